//! The wasm shell: DOM events → data → numbers → DOM text and canvas. It owns the DOM and nothing else.
//!
//! Entry point: [`run`], called from `fn main` of the `fourfold` bin on wasm32 (`src/main.rs`). The
//! bin, not a cdylib, is the page's wasm module; see the `[lib]` comment in `Cargo.toml`.
//!
//! Rules for this module:
//! * every fallible step returns `Result<_, JsValue>`; no `unwrap`/`expect`/indexing;
//! * user data reaches the page only through `textContent` (never `innerHTML`);
//! * the page's elements are found by `id` and described in `index.html`; tests find them by
//!   `data-testid`.
//!
//! The CSV reader here ([`parse_counts`]) is an interim comma splitter; the real parser
//! (`data::parse`/`data::validate`) replaces it when it lands.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlCanvasElement, HtmlTextAreaElement};

use crate::data::Study;

/// The default data set shown on load: Scheidler et al. 1997 (JAMA 278:1096), 44 studies
/// (lymph-node metastases in cervical cancer; CT, lymphangiography, MRI). Also served as
/// `examples/scheidler.csv`.
pub const EXAMPLE_CSV: &str = include_str!("../../www/examples/scheidler.csv");

/// A table read from text: the header, the raw cells of every row and the studies built from them.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub studies: Vec<Study>,
    /// The first non-count, non-label column (e.g. `modality`), one value per study.
    pub groups: Option<(String, Vec<String>)>,
}

/// Interim CSV reader: split lines on commas, strip surrounding double quotes, find the
/// `TP`, `FP`, `FN`, `TN` columns by name (case-insensitive) and an optional `study` label column.
///
/// # Errors
/// A message naming the (1-based) line for a missing column, a short row or a cell that is not a
/// non-negative integer. All bad rows are reported, not just the first.
pub fn parse_counts(text: &str) -> Result<ParsedTable, String> {
    let mut lines =
        text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let (_, header_line) = lines.next().ok_or("no data: paste a header line and one row per study")?;
    let header: Vec<String> = split_line(header_line);
    let col = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (tp, fp, fn_, tn) = match (col("tp"), col("fp"), col("fn"), col("tn")) {
        (Some(a), Some(b), Some(c), Some(d)) => (a, b, c, d),
        _ => return Err("line 1: the header needs columns TP, FP, FN and TN".into()),
    };
    let label = col("study");
    let group = header
        .iter()
        .enumerate()
        .find(|(i, _)| ![Some(tp), Some(fp), Some(fn_), Some(tn), label].contains(&Some(*i)))
        .map(|(i, h)| (i, h.clone()));

    let mut rows = Vec::new();
    let mut studies = Vec::new();
    let mut group_values = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in lines {
        let cells = split_line(line);
        let count = |c: usize, what: &str| -> Result<u64, String> {
            let cell = cells.get(c).map(String::as_str).unwrap_or("");
            cell.parse::<u64>()
                .map_err(|_| format!("line {}: {what} is {cell:?}, not a non-negative whole number", i + 1))
        };
        match (count(tp, "TP"), count(fp, "FP"), count(fn_, "FN"), count(tn, "TN")) {
            (Ok(a), Ok(b), Ok(c), Ok(d)) => {
                let name = match label.and_then(|l| cells.get(l)) {
                    Some(s) => s.clone(),
                    None => format!("study {}", studies.len() + 1),
                };
                studies.push(Study::new(name, a, b, c, d));
                if let Some((g, _)) = &group {
                    group_values.push(cells.get(*g).cloned().unwrap_or_default());
                }
                rows.push(cells);
            }
            (a, b, c, d) => {
                errors.extend([a.err(), b.err(), c.err(), d.err()].into_iter().flatten());
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    if studies.is_empty() {
        return Err("no studies: add one row per study below the header".into());
    }
    let groups = group.map(|(_, name)| (name, group_values));
    Ok(ParsedTable { header, rows, studies, groups })
}

fn split_line(line: &str) -> Vec<String> {
    line.split(',')
        .map(|c| {
            let c = c.trim();
            c.strip_prefix('"').and_then(|c| c.strip_suffix('"')).unwrap_or(c).to_string()
        })
        .collect()
}

/// Crude pooled sensitivity `ΣTP / Σ(TP+FN)` with its numerator and denominator — a placeholder
/// number for the shell, not a meta-analytic estimate (it ignores between-study heterogeneity).
/// `None` when no study has a diseased participant.
pub fn crude_pooled_sens(studies: &[Study]) -> Option<(f64, u64, u64)> {
    let tp: u64 = studies.iter().map(|s| s.tp).sum();
    let n1: u64 = studies.iter().map(Study::n_diseased).sum();
    (n1 > 0).then(|| (tp as f64 / n1 as f64, tp, n1))
}

/// Called once from `main` on wasm32. Errors are shown in the page and the console.
pub fn run() {
    console_error_panic_hook::set_once();
    if let Err(e) = start() {
        show_fatal(&e);
    }
}

/// Wire up the page: fill the textarea with the example, analyse it, re-analyse on every `input`.
///
/// # Errors
/// When an element described in `index.html` is missing or has the wrong type.
pub fn start() -> Result<(), JsValue> {
    let doc = document()?;
    let input: HtmlTextAreaElement = by_id(&doc, "data-input")?;
    if input.value().trim().is_empty() {
        input.set_value(EXAMPLE_CSV);
    }
    update(&doc, &input.value())?;

    let handler = Closure::<dyn FnMut()>::new(move || {
        let result = document().and_then(|doc| {
            let input: HtmlTextAreaElement = by_id(&doc, "data-input")?;
            update(&doc, &input.value())
        });
        if let Err(e) = result {
            show_fatal(&e);
        }
    });
    input.add_event_listener_with_callback("input", handler.as_ref().unchecked_ref())?;
    // The listener lives as long as the page.
    handler.forget();
    Ok(())
}

/// Re-analyse `text` and refresh every output; the status reads `ready` only when the shown
/// results belong to `text`.
fn update(doc: &Document, text: &str) -> Result<(), JsValue> {
    let status: Element = by_id(doc, "status")?;
    let error: Element = by_id(doc, "error")?;
    let sens: Element = by_id(doc, "crude-sens")?;
    let canvas: HtmlCanvasElement = by_id(doc, "plot-sroc")?;
    status.set_text_content(Some("computing"));
    match parse_counts(text) {
        Ok(table) => {
            error.set_text_content(None);
            error.set_attribute("hidden", "")?;
            fill_table(doc, &table)?;
            let shown = match crude_pooled_sens(&table.studies) {
                Some((p, tp, n1)) => format!("{p:.3} ({tp} / {n1})"),
                None => "not available (no diseased participants)".to_string(),
            };
            sens.set_text_content(Some(&shown));
            draw_study_points(&canvas, &table)?;
            status.set_text_content(Some("ready"));
        }
        Err(msg) => {
            error.set_text_content(Some(&msg));
            error.remove_attribute("hidden")?;
            sens.set_text_content(Some("—"));
            status.set_text_content(Some("error"));
        }
    }
    Ok(())
}

fn fill_table(doc: &Document, table: &ParsedTable) -> Result<(), JsValue> {
    let thead: Element = by_id(doc, "data-head")?;
    let tbody: Element = by_id(doc, "data-body")?;
    thead.set_text_content(None);
    tbody.set_text_content(None);
    let tr = doc.create_element("tr")?;
    for h in &table.header {
        let th = doc.create_element("th")?;
        th.set_attribute("scope", "col")?;
        th.set_text_content(Some(h));
        tr.append_child(&th)?;
    }
    thead.append_child(&tr)?;
    for row in &table.rows {
        let tr = doc.create_element("tr")?;
        for cell in row {
            let td = doc.create_element("td")?;
            td.set_text_content(Some(cell));
            tr.append_child(&td)?;
        }
        tbody.append_child(&tr)?;
    }
    Ok(())
}

const GROUP_COLOURS: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x8c, 0x56, 0x4b),
];

/// Draw the study points (1 − specificity, sensitivity) on `canvas`, coloured by the first
/// covariate column when there is one. Placeholder until `plot::sroc` lands.
///
/// # Errors
/// When the canvas has no 2-D context or plotters fails to draw.
pub fn draw_study_points(canvas: &HtmlCanvasElement, table: &ParsedTable) -> Result<(), JsValue> {
    let backend = CanvasBackend::with_canvas_object(canvas.clone())
        .ok_or_else(|| JsValue::from_str("the SROC canvas has no 2-D context"))?;
    let root = backend.into_drawing_area();
    let err = |e: DrawingAreaErrorKind<_>| JsValue::from_str(&format!("drawing failed: {e}"));
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(48)
        .caption("Study estimates", ("sans-serif", 18))
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("1 − specificity")
        .y_desc("sensitivity")
        .x_labels(6)
        .y_labels(6)
        .max_light_lines(1)
        .light_line_style(RGBColor(0xee, 0xee, 0xee))
        .draw()
        .map_err(err)?;

    let levels: Vec<String> = match &table.groups {
        Some((_, values)) => {
            let mut l: Vec<String> = Vec::new();
            for v in values {
                if !l.contains(v) {
                    l.push(v.clone());
                }
            }
            l
        }
        None => vec![String::new()],
    };
    for (level, &colour) in levels.iter().zip(GROUP_COLOURS.iter().cycle()) {
        let points = table.studies.iter().enumerate().filter_map(|(i, s)| {
            let in_level = match &table.groups {
                Some((_, values)) => values.get(i) == Some(level),
                None => true,
            };
            let (n1, n0) = (s.n_diseased(), s.n_healthy());
            (in_level && n1 > 0 && n0 > 0).then(|| (s.fp as f64 / n0 as f64, s.tp as f64 / n1 as f64))
        });
        let series =
            chart.draw_series(points.map(|p| Circle::new(p, 4, colour.mix(0.75).filled()))).map_err(err)?;
        if table.groups.is_some() {
            series.label(level.clone()).legend(move |(x, y)| Circle::new((x, y), 4, colour.filled()));
        }
    }
    if table.groups.is_some() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

fn document() -> Result<Document, JsValue> {
    web_sys::window().and_then(|w| w.document()).ok_or_else(|| JsValue::from_str("no window.document"))
}

fn by_id<T: JsCast>(doc: &Document, id: &str) -> Result<T, JsValue> {
    doc.get_element_by_id(id)
        .ok_or_else(|| JsValue::from_str(&format!("index.html has no element #{id}")))?
        .dyn_into::<T>()
        .map_err(|_| JsValue::from_str(&format!("#{id} has an unexpected element type")))
}

/// Last-resort error display: the console, plus the page's error box and status when present.
fn show_fatal(e: &JsValue) {
    let msg = e.as_string().unwrap_or_else(|| format!("{e:?}"));
    web_sys::console::error_1(&JsValue::from_str(&format!("fourfold: {msg}")));
    if let Ok(doc) = document() {
        if let Some(el) = doc.get_element_by_id("error") {
            el.set_text_content(Some(&msg));
            let _ = el.remove_attribute("hidden");
        }
        if let Some(el) = doc.get_element_by_id("status") {
            el.set_text_content(Some("error"));
        }
    }
}
