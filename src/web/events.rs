//! DOM events → state changes → [`pipeline::schedule`]. Listeners live as long as the page.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlCanvasElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

use super::dom::{by_id, document, download_blob, download_text, el, set_text, storage, window};
use super::pipeline::{schedule, AUTOSAVE_KEY};
use super::{render, show_fatal, state};
use crate::data::reconstruct::reconstruct_from_text;
use crate::data::CovariateKind;
use crate::permalink;
use crate::report::export::{loo_csv, r_script, studies_csv, summary_csv};
use crate::report::grid::{self, GridRow};
use crate::report::plots::{plot_svg_with, quadas_from_dataset, quadas_svg, PlotKind, QuadasKind};

/// Add a listener for `event` on `target` that reports errors instead of throwing.
fn on(
    target: &web_sys::EventTarget,
    event: &str,
    mut f: impl FnMut(Event) -> Result<(), JsValue> + 'static,
) -> Result<(), JsValue> {
    let c = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        if let Err(err) = f(e) {
            show_fatal(&err);
        }
    });
    target.add_event_listener_with_callback(event, c.as_ref().unchecked_ref())?;
    c.forget();
    Ok(())
}

pub(super) fn on_id(
    id: &str,
    event: &str,
    f: impl FnMut(Event) -> Result<(), JsValue> + 'static,
) -> Result<(), JsValue> {
    let e: Element = by_id(id)?;
    on(&e, event, f)
}

fn target_el(e: &Event) -> Option<Element> {
    e.target().and_then(|t| t.dyn_into::<Element>().ok())
}

/// Replace the text (textarea and state) and re-analyse after `delay` ms.
pub fn set_input_text(text: &str, delay: i32) -> Result<(), JsValue> {
    let ta: HtmlTextAreaElement = by_id("data-input")?;
    ta.set_value(text);
    state::with(|a| a.text = text.to_string());
    forget_hash()?;
    schedule(delay)
}

/// Drop a `#…` permalink from the address bar once the data differ from it.
fn forget_hash() -> Result<(), JsValue> {
    let w = window()?;
    let loc = w.location();
    if loc.hash()?.len() > 1 {
        let url = format!("{}{}", loc.pathname()?, loc.search()?);
        w.history()?.replace_state_with_url(&JsValue::NULL, "", Some(&url))?;
    }
    Ok(())
}

fn append_row(cells: Vec<String>) -> Result<(), JsValue> {
    let text = state::with(|a| a.text.clone());
    let mut g = grid::split(&text);
    let width = g.width().max(5);
    let mut cells = cells;
    cells.resize(width.max(cells.len()), String::new());
    g.rows.push(GridRow { line: 0, cells });
    set_input_text(&g.to_text(), 0)
}

/// Before an example replaces the text: keep the user's text and settings, and offer to undo.
/// (An example replacing an unchanged example needs no undo.)
fn keep_for_undo(what: &str) -> Result<(), JsValue> {
    let (text, settings) = state::with(|a| (a.text.clone(), a.settings.clone()));
    let b: Element = by_id("undo-box")?;
    if crate::report::input::example_for(&text, &state::EXAMPLES).is_some() || text.trim().is_empty() {
        state::with(|a| a.undo = None);
        return super::dom::set_hidden(&b, true);
    }
    state::with(|a| a.undo = Some((text, settings)));
    set_text("undo-msg", &crate::report::input::replaced_message(what))?;
    super::dom::set_hidden(&b, false)
}

/// Read every settings control into the state.
fn read_settings() -> Result<(), JsValue> {
    let model: HtmlSelectElement = by_id("model")?;
    let nodes: HtmlInputElement = by_id("nodes")?;
    let level: HtmlSelectElement = by_id("ci-level")?;
    let corr: HtmlSelectElement = by_id("correction")?;
    let cov: HtmlSelectElement = by_id("covariate")?;
    let split: HtmlInputElement = by_id("split")?;
    let auto: HtmlInputElement = by_id("pretest-auto")?;
    let range: HtmlInputElement = by_id("pretest")?;
    let bayes: HtmlSelectElement = by_id("bayes-model")?;
    let test_col: HtmlSelectElement = by_id("test-column")?;
    let paired: HtmlInputElement = by_id("paired-only")?;
    let data = state::with(|a| a.parsed.as_ref().map(|p| p.dataset.clone()));
    state::with(|a| {
        let s = &mut a.settings;
        // The controls' values are the option types' own names; a value out of range (e.g. 100
        // nodes) is kept and refused by the analysis with a message, never clamped silently.
        if let Ok(m) = model.value().parse() {
            s.model = m;
        }
        if let Ok(n) = nodes.value().trim().parse::<u32>() {
            s.nodes = n;
        }
        if let Ok(l) = level.value().parse::<f64>() {
            s.ci_level = l;
        }
        if let Ok(r) = corr.value().parse() {
            s.correction.rule = r;
        }
        let new_cov = Some(cov.value()).filter(|v| !v.is_empty());
        let numeric = new_cov
            .as_deref()
            .and_then(|c| data.as_ref()?.covariate(c).cloned())
            .filter(|c| c.kind == CovariateKind::Numeric);
        if new_cov != s.covariate {
            // A new numeric covariate starts split at its median; a categorical one is not split.
            s.split_threshold = numeric.as_ref().and_then(|c| {
                let mut v: Vec<f64> = (0..c.values.len()).filter_map(|i| c.number_of(i)).collect();
                v.sort_by(|a, b| a.total_cmp(b));
                let n = v.len();
                (n > 0).then(|| if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) })
            });
        } else {
            s.split_threshold =
                split.value().trim().parse::<f64>().ok().filter(|t| t.is_finite() && numeric.is_some());
        }
        s.covariate = new_cov;
        s.bayes.model = serde_json::from_value(serde_json::Value::String(bayes.value())).ok();
        s.comparison.test = Some(test_col.value()).filter(|v| !v.is_empty());
        s.comparison.paired_only = paired.checked() && s.comparison.test.is_some();
        s.pretest = if auto.checked() {
            None
        } else {
            range.value().parse::<f64>().ok().map(|p| (p / 100.0).clamp(0.01, 0.99))
        };
    });
    let s = state::with(|a| a.settings.clone());
    render::controls(&s)
}

fn export(kind: &str, plot: Option<String>) -> Result<(), JsValue> {
    let (analysis, parsed, loo) = state::with(|a| (a.analysis.clone(), a.parsed.clone(), a.loo.rows.clone()));
    let Some(a) = analysis else {
        return Ok(());
    };
    match kind {
        "svg" | "png" if plot.as_deref().is_some_and(|p| p.starts_with("mcmc-")) => {
            super::bayes::export(kind, plot.as_deref(), a.bayes.as_ref()).map(|_| ())
        }
        "svg" | "png" if plot.as_deref().and_then(QuadasKind::from_id).is_some() => {
            let (Some(k), Some(p)) = (plot.as_deref().and_then(QuadasKind::from_id), parsed) else {
                return Ok(());
            };
            let name = format!("fourfold-{}.{kind}", k.id());
            if kind == "svg" {
                let svg = quadas_svg(k, &p.dataset).map_err(|e| JsValue::from_str(&e.to_string()))?;
                match svg {
                    Some(svg) => download_text(&name, "image/svg+xml", &svg),
                    None => Ok(()),
                }
            } else {
                let Some(q) = quadas_from_dataset(&p.dataset) else { return Ok(()) };
                let c: HtmlCanvasElement = el("canvas")?.dyn_into()?;
                render::draw_quadas_canvas(&c, k, &q, 3.125)?;
                download_png(&name, &c)
            }
        }
        "svg" | "png" => {
            let Some(k) = plot.as_deref().and_then(PlotKind::from_id) else {
                return Ok(());
            };
            let name = format!("fourfold-{}.{kind}", k.id());
            if kind == "svg" {
                let opts = state::with(|s| s.plot_options.clone());
                let svg = plot_svg_with(k, &a, &opts).map_err(|e| JsValue::from_str(&e.to_string()))?;
                download_text(&name, "image/svg+xml", &svg)
            } else {
                // 300 dpi for a figure laid out at 96 px per inch: 300 / 96 = 3.125; the PNG
                // carries a pHYs chunk saying so.
                let c: HtmlCanvasElement = el("canvas")?.dyn_into()?;
                render::draw_canvas(&c, k, &a, 3.125)?;
                download_png(&name, &c)
            }
        }
        "summary-csv" => download_text("fourfold-summary.csv", "text/csv", &summary_csv(&a)),
        "studies-csv" => download_text("fourfold-studies.csv", "text/csv", &studies_csv(&a.overall)),
        "loo-csv" => download_text("fourfold-leave-one-out.csv", "text/csv", &loo_csv(&loo)),
        "json" => {
            let mut v = serde_json::to_value(&a).map_err(|e| JsValue::from_str(&e.to_string()))?;
            if let Some(o) = v.as_object_mut() {
                o.insert("loo".into(), serde_json::to_value(&loo).unwrap_or_default());
            }
            let text = serde_json::to_string_pretty(&v).map_err(|e| JsValue::from_str(&e.to_string()))?;
            download_text("fourfold-results.json", "application/json", &text)
        }
        "revman-csv" => {
            download_text("fourfold-revman.csv", "text/csv", &crate::report::revman::revman_csv(&a))
        }
        "xlsx" => super::revman::download_xlsx(&a, &loo),
        "r" => {
            let d = parsed.map(|p| p.dataset).unwrap_or_default();
            download_text("fourfold.R", "text/plain", &r_script(&d, &a))
        }
        _ => super::findings::export(kind, &a, parsed.as_ref().map(|p| &p.dataset)).map(|_| ()),
    }
}

/// Download the canvas as a PNG marked as 300 dpi (`report::export::png_with_dpi`).
pub(super) fn download_png(name: &str, c: &HtmlCanvasElement) -> Result<(), JsValue> {
    use base64::Engine as _;
    let url = c.to_data_url_with_type("image/png")?;
    let b64 = url.split_once(',').map_or("", |(_, b)| b);
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| JsValue::from_str(&format!("the PNG could not be read back: {e}")))?;
    let png = crate::report::export::png_with_dpi(&raw, 300.0).unwrap_or(raw);
    let bytes = js_sys::Uint8Array::from(png.as_slice());
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("image/png");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&js_sys::Array::of1(&bytes), &opts)?;
    download_blob(name, &blob)
}

fn load_file(file: web_sys::File) -> Result<(), JsValue> {
    let name = file.name().to_ascii_lowercase();
    let reader = web_sys::FileReader::new()?;
    let r2 = reader.clone();
    let onload = Closure::once_into_js(move || {
        let result = (|| -> Result<(), JsValue> {
            let bytes = js_sys::Uint8Array::new(&r2.result()?);
            if name.ends_with(".xlsx") || name.ends_with(".ods") || name.ends_with(".xls") {
                return super::sheets::read(&bytes);
            }
            // A RevMan 5 review (.rm5, XML): read by the same worker (the XML reader is not in the first load).
            if name.ends_with(".rm5")
                || crate::data::import::rm5::looks_like_rm5(&bytes.subarray(0, 4096).to_vec())
            {
                return super::sheets::read(&bytes);
            }
            let text = String::from_utf8_lossy(&bytes.to_vec()).into_owned();
            show_link_error(false)?;
            set_input_text(&text, 0)
        })();
        if let Err(e) = result {
            show_fatal(&e);
        }
    });
    reader.set_onload(Some(onload.unchecked_ref()));
    reader.read_as_array_buffer(&file)
}

pub fn show_link_error(show: bool) -> Result<(), JsValue> {
    let e: Element = by_id("link-error")?;
    super::dom::set_hidden(&e, !show)
}

/// Wire every control of the page.
pub fn wire() -> Result<(), JsValue> {
    on_id("data-input", "input", |e| {
        let ta: HtmlTextAreaElement = by_id("data-input")?;
        state::with(|a| {
            a.text = ta.value();
            a.from_grid = false;
        });
        forget_hash()?;
        // A paste or drop is one complete edit: analyse at once. Typing is debounced.
        let whole = e
            .dyn_ref::<web_sys::InputEvent>()
            .is_some_and(|ie| matches!(ie.input_type().as_str(), "insertFromPaste" | "insertFromDrop"));
        schedule(if whole { 0 } else { 250 })
    })?;

    // Grid: cell edits write back to the text; checkboxes exclude; × removes a row.
    on_id("grid", "input", |e| {
        let Some(t) = target_el(&e) else { return Ok(()) };
        if !t.class_list().contains("cell") {
            return Ok(());
        }
        let (Some(r), Some(c)) = (
            t.get_attribute("data-row").and_then(|v| v.parse::<usize>().ok()),
            t.get_attribute("data-col").and_then(|v| v.parse::<usize>().ok()),
        ) else {
            return Ok(());
        };
        let value = t.dyn_ref::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
        let text = state::with(|a| a.text.clone());
        let mut g = grid::split(&text);
        g.set(r, c, &value);
        let new = g.to_text();
        let ta: HtmlTextAreaElement = by_id("data-input")?;
        ta.set_value(&new);
        state::with(|a| {
            a.text = new;
            a.from_grid = true;
        });
        forget_hash()?;
        schedule(250)
    })?;
    on_id("grid", "change", |e| {
        let Some(t) = target_el(&e) else { return Ok(()) };
        let Some(label) = t.get_attribute("data-study") else { return Ok(()) };
        let checked = t.dyn_ref::<HtmlInputElement>().is_some_and(|i| i.checked());
        state::with(|a| {
            a.settings.excluded.retain(|l| l != &label);
            if !checked {
                a.settings.excluded.push(label);
            }
            a.from_grid = true;
        });
        schedule(0)
    })?;
    on_id("grid", "click", |e| {
        let Some(t) = target_el(&e) else { return Ok(()) };
        let Some(r) = t.get_attribute("data-remove-row").and_then(|v| v.parse::<usize>().ok()) else {
            return Ok(());
        };
        let text = state::with(|a| a.text.clone());
        let mut g = grid::split(&text);
        if r < g.rows.len() {
            g.rows.remove(r);
        }
        set_input_text(&g.to_text(), 0)
    })?;
    on_id("add-row", "click", |_| {
        append_row(vec!["new study".into(), "0".into(), "0".into(), "0".into(), "0".into()])
    })?;

    on_id("reconstruct-add", "click", |_| {
        let input: HtmlInputElement = by_id("reconstruct-input")?;
        match reconstruct_from_text(&input.value()) {
            Ok(r) => {
                let s = &r.study;
                set_text("reconstruct-msg", &crate::report::input::reconstruction_message(&r))?;
                append_row(vec![
                    s.label.clone(),
                    s.tp.to_string(),
                    s.fp.to_string(),
                    s.fn_.to_string(),
                    s.tn.to_string(),
                ])
            }
            Err(e) => set_text("reconstruct-msg", &format!("Could not rebuild the table: {e}")),
        }
    })?;

    on_id("revman-copy", "click", |_| super::revman::copy())?;

    on_id("permalink-copy", "click", |_| {
        let (parsed, mut settings) = state::with(|a| (a.parsed.clone(), a.settings.clone()));
        let Some(p) = parsed else { return Ok(()) };
        super::figlink::put(&mut settings);
        let frag = permalink::encode(&p.dataset, &settings);
        let w = window()?;
        let loc = w.location();
        let url = format!("{}{}{}#{frag}", loc.origin()?, loc.pathname()?, loc.search()?);
        let out: HtmlInputElement = by_id("permalink")?;
        out.set_value(&url);
        state::with(|a| a.own_hash = format!("#{frag}"));
        loc.set_hash(&frag)?;
        out.select();
        // The clipboard may be refused (no permission); the link stays selectable in the field.
        let _ = w.navigator().clipboard().write_text(&url);
        Ok(())
    })?;

    on_id("reset-example", "click", |_| {
        keep_for_undo(state::EXAMPLES[0].1)?;
        if let Some(s) = storage() {
            let _ = s.remove_item(AUTOSAVE_KEY);
        }
        let settings = state::default_settings();
        render::controls(&settings)?;
        state::with(|a| a.settings = settings);
        show_link_error(false)?;
        set_input_text(state::EXAMPLE_CSV, 0)
    })?;

    // Example menu.
    let sel: HtmlSelectElement = by_id("example-select")?;
    for (stem, desc, _) in state::EXAMPLES {
        let o = super::dom::add(&sel, "option", desc)?;
        o.set_attribute("value", stem)?;
    }
    on_id("example-select", "change", |_| {
        let sel: HtmlSelectElement = by_id("example-select")?;
        let v = sel.value();
        let Some((_, desc, text)) = state::EXAMPLES.iter().find(|(s, _, _)| *s == v) else {
            return Ok(());
        };
        keep_for_undo(desc)?;
        state::with(|a| {
            a.settings.covariate = None;
            a.settings.split_threshold = None;
            a.settings.cross = None;
            a.settings.excluded.clear();
        });
        let s = state::with(|a| a.settings.clone());
        render::controls(&s)?;
        set_input_text(text, 0)
    })?;

    on_id("undo-replace", "click", |_| {
        let Some((text, settings)) = state::with(|a| a.undo.take()) else {
            return Ok(());
        };
        render::controls(&settings)?;
        state::with(|a| a.settings = settings);
        let b: Element = by_id("undo-box")?;
        super::dom::set_hidden(&b, true)?;
        set_input_text(&text, 0)
    })?;

    on_id("file-input", "change", |_| {
        let input: HtmlInputElement = by_id("file-input")?;
        if let Some(f) = input.files().and_then(|l| l.get(0)) {
            load_file(f)?;
        }
        input.set_value("");
        Ok(())
    })?;

    for id in [
        "model",
        "nodes",
        "ci-level",
        "correction",
        "covariate",
        "split",
        "pretest-auto",
        "test-column",
        "paired-only",
        "bayes-model",
    ] {
        on_id(id, "change", |_| {
            read_settings()?;
            schedule(0)
        })?;
    }
    on_id("pretest", "input", |_| {
        read_settings()?;
        schedule(150)
    })?;

    // A permalink pasted into the address bar of an open page changes only the fragment.
    let w = window()?;
    on(&w, "hashchange", |_| {
        let hash = window()?.location().hash()?;
        if hash.len() <= 1 || state::with(|a| a.own_hash == hash) {
            return Ok(());
        }
        match permalink::decode(&hash) {
            Ok((d, mut s)) => {
                show_link_error(false)?;
                super::figlink::take(&mut s)?;
                render::controls(&s)?;
                state::with(|a| a.settings = s);
                let ta: HtmlTextAreaElement = by_id("data-input")?;
                let text = grid::dataset_to_text(&d);
                ta.set_value(&text);
                state::with(|a| {
                    a.text = text;
                    a.own_hash = hash;
                });
                schedule(0)
            }
            Err(e) => {
                set_text("link-error", &format!("This link could not be opened: {e}."))?;
                show_link_error(true)
            }
        }
    })?;

    // Figure display options: redraw the figures only (no re-analysis).
    let redraw = || -> Result<(), JsValue> {
        match state::with(|a| a.analysis.clone()) {
            Some(a) => render::plots(&a),
            None => Ok(()),
        }
    };
    on_id("sroc-zoom", "change", move |_| {
        let z: HtmlInputElement = by_id("sroc-zoom")?;
        state::with(|a| a.plot_options.sroc_zoom = z.checked());
        redraw()
    })?;
    on_id("plot-labels", "change", move |_| {
        let sel: HtmlSelectElement = by_id("plot-labels")?;
        let mode = match sel.value().as_str() {
            "all" => crate::plot::LabelMode::All,
            "off" => crate::plot::LabelMode::Off,
            _ => crate::plot::LabelMode::default(),
        };
        state::with(|a| a.plot_options.labels = mode);
        redraw()
    })?;
    on_id("sroc-regions", "change", move |e| {
        let Some(t) = target_el(&e) else { return Ok(()) };
        let Some(i) = t.get_attribute("data-series").and_then(|v| v.parse::<usize>().ok()) else {
            return Ok(());
        };
        let on = t.dyn_ref::<HtmlInputElement>().is_some_and(|c| c.checked());
        state::with(|a| {
            let h = &mut a.plot_options.sroc_hidden_regions;
            h.retain(|x| *x != i);
            if !on {
                h.push(i);
            }
        });
        redraw()
    })?;

    // Exports (delegated: every button with data-export).
    let doc = document()?;
    on(&doc, "click", |e| {
        let Some(t) = target_el(&e) else { return Ok(()) };
        let Some(b) = t.closest("[data-export]")? else { return Ok(()) };
        let kind = b.get_attribute("data-export").unwrap_or_default();
        export(&kind, b.get_attribute("data-plot"))
    })?;
    super::findings::wire()?;
    super::cochrane::wire()
}
