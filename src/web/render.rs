//! State → DOM: the grid, the messages, the tables, the fit report and the plots. Only reads the
//! state it is given; user text goes through `textContent` and attributes only.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement, HtmlInputElement, HtmlSelectElement};

use super::dom::{add, by_id, clear, document, el, set_hidden};
use crate::analysis::{Analysis, Block};
use crate::data::{CovariateKind, Dataset, ParseOutcome};
use crate::plot::PlotStyle;
use crate::report::doc::{Card, Line, Seg, Table, Tone};
use crate::report::grid::Grid;
use crate::report::plots::{draw_plot_with, plot_size, PlotKind, PlotOptions};
use crate::report::results;
use crate::settings::{AnalysisSettings, Method};
use crate::stats::influence::LooRow;

/// Format a number for `data-value` (shortest text that reads back to the same f64).
fn dv(x: f64) -> String {
    format!("{x}")
}

/// A `<td>` (or `tag`) with text and, when given, the full-precision value in `data-value`.
fn stat(parent: &Element, tag: &str, text: &str, value: Option<f64>) -> Result<Element, JsValue> {
    let c = add(parent, tag, text)?;
    if let Some(v) = value.filter(|v| v.is_finite()) {
        c.set_attribute("data-value", &dv(v))?;
    }
    Ok(c)
}

/// Append the segments of a report line to `parent`: text as text nodes, numbers as
/// `<span data-value>`.
fn line_into(parent: &Element, l: &Line) -> Result<(), JsValue> {
    for seg in &l.segs {
        match seg {
            Seg::Text(t) => parent.append_with_str_1(t)?,
            Seg::Num { text, value } => {
                stat(parent, "span", text, Some(*value))?;
            }
        }
    }
    Ok(())
}

fn tone_class(t: Tone) -> &'static str {
    match t {
        Tone::Normal => "",
        Tone::Warn => "warn",
        Tone::Bad => "bad",
        Tone::Note => "note",
    }
}

/// A result card into its `<dl>`: term/value pairs, then the interpretations.
pub(super) fn card_into(id: &str, c: &Card) -> Result<(), JsValue> {
    let dl: Element = by_id(id)?;
    clear(&dl);
    for p in &c.pairs {
        add(&dl, "dt", &p.term)?;
        stat(&dl, "dd", &p.text, p.value)?;
    }
    for n in &c.notes {
        add(&dl, "dd", n)?.set_class_name("note");
    }
    Ok(())
}

/// A report table into the `<table id=…>`: header row, then one row per entry (the first cell is
/// the row header; a short row's last cell spans the remaining columns).
pub(super) fn table_into(id: &str, t: &Table) -> Result<Vec<Element>, JsValue> {
    let el_t: Element = by_id(id)?;
    clear(&el_t);
    let thead = add(&el_t, "thead", "")?;
    let tr = add(&thead, "tr", "")?;
    for h in &t.headers {
        add(&tr, "th", h)?.set_attribute("scope", "col")?;
    }
    let body = add(&el_t, "tbody", "")?;
    let mut out = Vec::new();
    for r in &t.rows {
        let tr = add(&body, "tr", "")?;
        let n = r.cells.len();
        for (j, c) in r.cells.iter().enumerate() {
            let cell = stat(&tr, if j == 0 { "th" } else { "td" }, &c.text, c.value)?;
            if j == 0 {
                cell.set_attribute("scope", "row")?;
            }
            if let Some(k) = t.keys.get(j) {
                cell.set_attribute("data-stat", k)?;
            }
            if j + 1 == n && n < t.headers.len() {
                cell.set_attribute("colspan", &(t.headers.len() - j).to_string())?;
            }
        }
        if let Some(note) = &r.note {
            tr.set_attribute("title", note)?;
        }
        out.push(tr);
    }
    Ok(out)
}

// ---------------------------------------------------------------- input side

/// Build the grid editor for `grid`; `parsed` tells which rows are studies (for the checkboxes).
pub fn grid(grid: &Grid, parsed: &ParseOutcome, settings: &AnalysisSettings) -> Result<(), JsValue> {
    let head: Element = by_id("grid-head")?;
    let body: Element = by_id("grid-body")?;
    clear(&head);
    clear(&body);
    let width = grid.width().max(5);
    // Each column as wide as its longest cell (within 4–40 characters), so covariates show whole.
    let chars: Vec<usize> = (0..width)
        .map(|c| {
            grid.rows
                .iter()
                .filter_map(|r| r.cells.get(c))
                .map(|x| x.chars().count())
                .max()
                .unwrap_or(0)
                .clamp(4, 40)
        })
        .collect();
    let header: Vec<String> = grid.rows.first().map(|r| r.cells.clone()).unwrap_or_default();
    let col_name = |c: usize| header.get(c).cloned().unwrap_or_else(|| format!("column {}", c + 1));
    for (r, row) in grid.rows.iter().enumerate() {
        let tr = el("tr")?;
        tr.set_attribute("data-line", &row.line.to_string())?;
        let first = el(if r == 0 { "th" } else { "td" })?;
        tr.append_child(&first)?;
        if r == 0 {
            first.set_text_content(Some("Use"));
            first.set_attribute("scope", "col")?;
        } else if let Some(i) = parsed.row_lines.iter().position(|&l| l == row.line) {
            if let Some(study) = parsed.dataset.studies.get(i) {
                let cb: HtmlInputElement = el("input")?.dyn_into()?;
                cb.set_type("checkbox");
                cb.set_checked(!settings.excluded.contains(&study.label));
                cb.set_attribute("data-study", &study.label)?;
                cb.set_attribute("aria-label", &format!("include {}", study.label))?;
                cb.set_class_name("use");
                first.append_child(&cb)?;
            }
        }
        for c in 0..width {
            let td = el(if r == 0 { "th" } else { "td" })?;
            let input: HtmlInputElement = el("input")?.dyn_into()?;
            input.set_type("text");
            input.set_value(row.cells.get(c).map_or("", String::as_str));
            input.set_size(chars.get(c).copied().unwrap_or(8) as u32 + 1);
            input.set_attribute("data-row", &r.to_string())?;
            input.set_attribute("data-col", &c.to_string())?;
            input.set_attribute("spellcheck", "false")?;
            let label = if r == 0 {
                format!("header of column {}", c + 1)
            } else {
                format!("line {}, {}", row.line, col_name(c))
            };
            input.set_attribute("aria-label", &label)?;
            input.set_class_name("cell");
            td.append_child(&input)?;
            tr.append_child(&td)?;
        }
        let last = el(if r == 0 { "th" } else { "td" })?;
        if r > 0 {
            let b = add(&last, "button", "×")?;
            b.set_attribute("type", "button")?;
            b.set_attribute("data-remove-row", &r.to_string())?;
            b.set_attribute("aria-label", &format!("remove line {}", row.line))?;
            b.set_class_name("remove");
        } else {
            let span = add(&last, "span", "Remove")?;
            span.set_class_name("sr-only");
            last.set_attribute("scope", "col")?;
        }
        tr.append_child(&last)?;
        if r == 0 {
            head.append_child(&tr)?;
        } else {
            body.append_child(&tr)?;
        }
    }
    super::gridnav::rove()
}

/// Highlight the cells and rows that have errors (by line and column name) in the grid.
pub fn mark_errors(grid: &Grid, parsed: &ParseOutcome) -> Result<(), JsValue> {
    let doc = document()?;
    let header: Vec<String> = grid.rows.first().map(|r| r.cells.clone()).unwrap_or_default();
    let rows = doc.query_selector_all("#grid tr[data-line]")?;
    for i in 0..rows.length() {
        let Some(tr) = rows.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        let line: usize = tr.get_attribute("data-line").and_then(|l| l.parse().ok()).unwrap_or(0);
        let errs: Vec<_> = parsed.errors.iter().filter(|e| e.line == Some(line)).collect();
        tr.class_list().toggle_with_force("row-error", !errs.is_empty())?;
        let cells = tr.query_selector_all("input.cell")?;
        for j in 0..cells.length() {
            let Some(input) = cells.item(j).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            let col: usize =
                input.get_attribute("data-col").and_then(|c| c.parse().ok()).unwrap_or(usize::MAX);
            let name = header.get(col).map(String::as_str).unwrap_or("");
            let hit: Vec<String> = errs
                .iter()
                .filter(|e| {
                    e.column.as_deref().is_some_and(|c| !name.is_empty() && c.eq_ignore_ascii_case(name))
                })
                .map(|e| e.message.clone())
                .collect();
            input.class_list().toggle_with_force("cell-error", !hit.is_empty())?;
            if hit.is_empty() {
                input.remove_attribute("aria-invalid")?;
                input.remove_attribute("title")?;
            } else {
                input.set_attribute("aria-invalid", "true")?;
                input.set_attribute("title", &hit.join("; "))?;
            }
        }
    }
    Ok(())
}

/// List errors and warnings (each with its line and column) and the reader's notes.
pub fn messages(parsed: &ParseOutcome) -> Result<(), JsValue> {
    let ul: Element = by_id("input-errors")?;
    clear(&ul);
    for (kind, text) in crate::report::input::problems(parsed) {
        let li = add(&ul, "li", &text)?;
        li.set_class_name(if kind == "error" { "error-item" } else { "warning-item" });
    }
    super::dom::set_text("parse-notes", &crate::report::input::read_summary(parsed))
}

/// The example menu shows the example on screen (or "your own data").
pub fn example_choice(text: &str) -> Result<(), JsValue> {
    let sel: HtmlSelectElement = by_id("example-select")?;
    sel.set_value(crate::report::input::example_for(text, &super::state::EXAMPLES).unwrap_or(""));
    Ok(())
}

/// Fill the covariate menu with the data set's covariates (keeping the current choice).
pub fn covariates(data: &Dataset, settings: &AnalysisSettings) -> Result<(), JsValue> {
    let sel: HtmlSelectElement = by_id("covariate")?;
    clear(&sel);
    let none = add(&sel, "option", "none")?;
    none.set_attribute("value", "")?;
    for c in &data.covariates {
        let o = add(&sel, "option", &crate::report::input::covariate_label(c))?;
        o.set_attribute("value", &c.name)?;
    }
    sel.set_value(settings.covariate.as_deref().unwrap_or(""));
    let numeric = settings
        .covariate
        .as_deref()
        .and_then(|n| data.covariate(n))
        .is_some_and(|c| c.kind == CovariateKind::Numeric);
    let split: HtmlInputElement = by_id("split")?;
    split.set_disabled(!numeric);
    super::models::columns(data, settings)
}

/// Fill the index-test menu with the categorical columns (keeping the current choice).
pub fn test_columns(data: &Dataset, settings: &AnalysisSettings) -> Result<(), JsValue> {
    let sel: HtmlSelectElement = by_id("test-column")?;
    clear(&sel);
    add(&sel, "option", "none")?.set_attribute("value", "")?;
    for c in data.covariates.iter().filter(|c| c.kind == CovariateKind::Categorical) {
        add(&sel, "option", &crate::report::input::covariate_label(c))?.set_attribute("value", &c.name)?;
    }
    sel.set_value(settings.comparison.test.as_deref().unwrap_or(""));
    let paired: HtmlInputElement = by_id("paired-only")?;
    paired.set_checked(settings.comparison.paired_only);
    paired.set_disabled(settings.comparison.test.is_none());
    Ok(())
}

/// The comparison of index tests (hidden without a test column): the report, the comparison
/// and LR-test tables, the per-test SROC and the forest plot by test.
pub fn comparison(a: &Analysis) -> Result<(), JsValue> {
    use crate::report::comparison as cmp;
    let boxe: Element = by_id("comparison-box")?;
    let Some(b) = &a.comparison else {
        return set_hidden(&boxe, true);
    };
    set_hidden(&boxe, false)?;
    let rep: Element = by_id("comparison-report")?;
    clear(&rep);
    lines_into(&rep, &cmp::findings(b, a.settings.ci_level))?;
    table_into("comparison", &cmp::comparison_table(b, a.settings.ci_level))?;
    table_into("comparison-tests", &cmp::tests_table(b)).map(|_| ())
}

/// Set the settings controls from `s`.
pub fn controls(s: &AnalysisSettings) -> Result<(), JsValue> {
    let model: HtmlSelectElement = by_id("model")?;
    model.set_value(s.model.name());
    let nodes: HtmlInputElement = by_id("nodes")?;
    nodes.set_value(&s.nodes.to_string());
    nodes.set_disabled(s.model != Method::Aghq);
    let level: HtmlSelectElement = by_id("ci-level")?;
    level.set_value(&format!("{}", s.ci_level));
    let corr: HtmlSelectElement = by_id("correction")?;
    corr.set_value(s.correction.rule.name());
    let split: HtmlInputElement = by_id("split")?;
    split.set_value(&s.split_threshold.map_or(String::new(), |t| format!("{t}")));
    let auto: HtmlInputElement = by_id("pretest-auto")?;
    let range: HtmlInputElement = by_id("pretest")?;
    auto.set_checked(s.pretest.is_none());
    range.set_disabled(s.pretest.is_none());
    if let Some(p) = s.pretest {
        range.set_value(&format!("{}", (p * 100.0).round()));
    }
    super::dom::set_text(
        "pretest-value",
        &s.pretest.map_or("auto".to_string(), |p| format!("{:.0} %", p * 100.0)),
    )?;
    super::models::controls(s)?;
    super::bayes::controls(s)
}

// ---------------------------------------------------------------- results

/// Clear every result (no studies to analyse).
pub fn clear_results() -> Result<(), JsValue> {
    let mb: Element = by_id("models-box")?;
    set_hidden(&mb, true)?;
    for id in [
        "summary-head",
        "summary-body",
        "fit-report",
        "heterogeneity",
        "threshold",
        "pubbias",
        "model-card",
        "glance",
        "metareg",
        "revman",
        "hsroc-se",
        "dispersion",
        "studies",
        "loo",
    ] {
        let e: Element = by_id(id)?;
        clear(&e);
    }
    for k in PlotKind::ALL {
        let c: HtmlCanvasElement = by_id(&format!("plot-{}", k.id()))?;
        c.set_width(c.width());
    }
    let cmp: Element = by_id("comparison-box")?;
    set_hidden(&cmp, true)?;
    Ok(())
}

/// The summary table: Table 2 layout, overall row then subgroup rows (headers at the analysis's level).
pub fn summary(a: &Analysis) -> Result<(), JsValue> {
    let t = results::summary_table(a);
    let head: Element = by_id("summary-head")?;
    let body: Element = by_id("summary-body")?;
    clear(&head);
    clear(&body);
    let tr = add(&head, "tr", "")?;
    for h in &t.headers {
        add(&tr, "th", h)?.set_attribute("scope", "col")?;
    }
    for (i, r) in t.rows.iter().enumerate() {
        let tr = add(&body, "tr", "")?;
        tr.set_attribute("data-testid", "summary-row")?;
        if let Some(g) = r.cells.first() {
            tr.set_attribute("data-group", &g.text)?;
        }
        if i > 0 {
            tr.set_class_name("subgroup");
        }
        for (j, (c, key)) in r.cells.iter().zip(&t.keys).enumerate() {
            let cell = stat(&tr, if j == 0 { "th" } else { "td" }, &c.text, c.value)?;
            if j == 0 {
                cell.set_attribute("scope", "row")?;
            }
            cell.set_attribute("data-stat", key)?;
            if i == 0 && (2..=7).contains(&j) {
                cell.set_attribute("data-testid", &format!("summary-{key}"))?;
            }
        }
        if let Some(n) = &r.note {
            tr.set_attribute("title", n)?;
        }
    }
    Ok(())
}

/// The two-sentence summary beside the settings.
pub fn glance(a: &Analysis) -> Result<(), JsValue> {
    let g: Element = by_id("glance")?;
    clear(&g);
    for l in results::glance(a) {
        let p = add(&g, "p", "")?;
        line_into(&p, &l)?;
        let c = tone_class(l.tone);
        if !c.is_empty() {
            p.set_class_name(c);
        }
    }
    Ok(())
}

/// The fit report in plain words.
pub fn fit_report(a: &Analysis) -> Result<(), JsValue> {
    let box_: Element = by_id("fit-report")?;
    clear(&box_);
    add(&box_, "h3", "How the model was fitted")?;
    lines_into(&box_, &results::fit_report(a))?;
    let subs = results::subgroup_fit_reports(a);
    if !subs.is_empty() {
        let d = add(&box_, "details", "")?;
        d.set_attribute("data-testid", "subgroup-fits")?;
        add(&d, "summary", "How each subgroup's model was fitted")?;
        for (name, lines) in &subs {
            add(&d, "h4", name)?;
            lines_into(&d, lines)?;
        }
    }
    let note: Element = by_id("summary-note")?;
    match results::subgroup_missing(a) {
        Some(l) => {
            note.set_text_content(Some(&l.plain()));
            set_hidden(&note, false)
        }
        None => set_hidden(&note, true),
    }
}

/// A `<ul>` of report lines, each `<li>` classed by its tone.
pub(super) fn lines_into(parent: &Element, lines: &[Line]) -> Result<(), JsValue> {
    let ul = add(parent, "ul", "")?;
    for l in lines {
        let li = add(&ul, "li", "")?;
        line_into(&li, l)?;
        let c = tone_class(l.tone);
        if !c.is_empty() {
            li.set_class_name(c);
        }
    }
    Ok(())
}

/// Heterogeneity, threshold effect, publication bias and the model's further parameters.
pub fn heterogeneity(b: &Block, level: f64) -> Result<(), JsValue> {
    card_into("model-card", &results::model_card(b, level))?;
    card_into("heterogeneity", &results::heterogeneity_card(b))?;
    card_into("threshold", &results::threshold_card(b))?;
    card_into("pubbias", &results::pubbias_card(b))
}

/// Meta-regression likelihood-ratio tests (hidden when there is no grouping).
pub fn metareg(a: &Analysis) -> Result<(), JsValue> {
    let boxe: Element = by_id("metareg-box")?;
    match results::metareg_table(a) {
        Some(t) => {
            set_hidden(&boxe, false)?;
            table_into("metareg", &t)?;
            if let Some(t) = results::metareg_levels(a) {
                table_into("metareg-levels", &t)?;
            }
            if let Some(t) = results::metareg_coefficients(a) {
                table_into("metareg-coef", &t)?;
            }
            Ok(())
        }
        None => {
            for id in ["metareg", "metareg-levels", "metareg-coef"] {
                let t: Element = by_id(id)?;
                clear(&t);
            }
            set_hidden(&boxe, true)
        }
    }
}

/// The per-study table of the overall block.
pub fn studies(a: &Analysis) -> Result<(), JsValue> {
    table_into("studies", &results::studies_table(&a.overall, a.settings.ci_level)).map(|_| ())
}

/// The leave-one-out table (rows computed so far).
pub fn loo(rows: &[LooRow], level: f64) -> Result<(), JsValue> {
    if rows.is_empty() {
        let t: Element = by_id("loo")?;
        clear(&t);
        return Ok(());
    }
    table_into("loo", &results::loo_table(rows, level, None)).map(|_| ())
}

// ---------------------------------------------------------------- plots

/// Draw figure `kind` of `a` on `canvas` at `scale` × its logical size (the plot's layout stays
/// that of the logical size; only the resolution grows).
pub fn draw_canvas(
    canvas: &HtmlCanvasElement,
    kind: PlotKind,
    a: &Analysis,
    scale: f64,
) -> Result<(), JsValue> {
    let opts = super::state::with(|s| s.plot_options.clone());
    draw_scaled(canvas, plot_size(kind, a), scale, |root| {
        draw_plot_with(root, kind, a, &PlotStyle::for_canvas(), &opts)
    })
}

/// The one way a figure reaches a canvas: laid out at its logical size `(w, h)`, drawn at
/// `scale` × that resolution (screen pixel density, or 3.125 for the 300 dpi PNG).
pub(super) fn draw_scaled(
    canvas: &HtmlCanvasElement,
    (w, h): (u32, u32),
    scale: f64,
    draw: impl FnOnce(&DrawingArea<CanvasBackend, plotters::coord::Shift>) -> Result<(), crate::plot::PlotError>,
) -> Result<(), JsValue> {
    // The backend takes its coordinate space from the canvas size at creation: the logical one.
    canvas.set_width(w);
    canvas.set_height(h);
    // Shown at its logical size (never stretched: blurry text), shrunk by CSS `max-width` only.
    // CSSOM, not a style attribute, so the CSP's `style-src 'self'` allows it.
    canvas.style().set_property("width", &format!("{w}px"))?;
    let backend = CanvasBackend::with_canvas_object(canvas.clone())
        .ok_or_else(|| JsValue::from_str("the canvas has no 2-D context"))?;
    let root = backend.into_drawing_area();
    if (scale - 1.0).abs() > 1e-9 {
        canvas.set_width((w as f64 * scale).round() as u32);
        canvas.set_height((h as f64 * scale).round() as u32);
        let ctx: CanvasRenderingContext2d = canvas.get_context("2d")?.ok_or("no 2-D context")?.dyn_into()?;
        ctx.scale(scale, scale)?;
    }
    draw(&root).map_err(|e| JsValue::from_str(&e.to_string()))?;
    root.present().map_err(|e| JsValue::from_str(&format!("drawing failed: {e}")))?;
    Ok(())
}

/// The QUADAS-2 / QUADAS-3 figures, shown only when the table has QUADAS judgement columns.
pub fn quadas(d: &crate::data::Dataset) -> Result<(), JsValue> {
    use crate::report::plots::QuadasKind;
    let boxed: Element = by_id("quadas-box")?;
    let Some(q) = crate::report::plots::quadas_from_dataset(d) else {
        return super::dom::set_hidden(&boxed, true);
    };
    super::dom::set_hidden(&boxed, false)?;
    // The tool's name (QUADAS-2 or QUADAS-3) in the heading and captions.
    let names = boxed.query_selector_all(".rob-tool")?;
    for i in 0..names.length() {
        if let Some(n) = names.item(i) {
            n.set_text_content(Some(&q.tool));
        }
    }
    for kind in [QuadasKind::TrafficLight, QuadasKind::Summary] {
        let canvas: HtmlCanvasElement = by_id(&format!("plot-{}", kind.id()))?;
        draw_quadas_canvas(&canvas, kind, &q, 1.0)?;
    }
    Ok(())
}

/// Draw a QUADAS-2 figure on `canvas` at `scale` × its logical size.
pub fn draw_quadas_canvas(
    canvas: &HtmlCanvasElement,
    kind: crate::report::plots::QuadasKind,
    q: &crate::plot::QuadasData,
    scale: f64,
) -> Result<(), JsValue> {
    draw_scaled(canvas, kind.size(q), scale, |root| {
        crate::report::plots::draw_quadas(root, kind, q, &PlotStyle::for_canvas())
    })
}

/// The figure controls that depend on the analysis: one "regions" box per SROC series.
pub fn plot_controls(a: &Analysis, opts: &PlotOptions) -> Result<(), JsValue> {
    let box_: Element = by_id("sroc-regions")?;
    clear(&box_);
    let names: Vec<String> =
        crate::report::plots::sroc_data(a).series.iter().map(|s| s.name.clone()).collect();
    for (i, name) in names.iter().enumerate() {
        let label = add(&box_, "label", "")?;
        label.set_class_name("inline");
        let cb: HtmlInputElement = el("input")?.dyn_into()?;
        cb.set_type("checkbox");
        cb.set_checked(!opts.sroc_hidden_regions.contains(&i));
        cb.set_attribute("data-series", &i.to_string())?;
        cb.set_class_name("sroc-region");
        label.append_child(&cb)?;
        label.append_with_str_1(&format!(" regions of {name}"))?;
    }
    Ok(())
}

/// The figures of `a`, in the order they are drawn: every kind, and the comparison's when there
/// is one (a figure option — RevMan SROC, zoom — redraws them like the others; issue #11: their
/// canvases kept the old options while the SVG export had the new ones).
pub fn plot_kinds(a: &Analysis) -> Vec<PlotKind> {
    let extra = if a.comparison.is_some() { &PlotKind::EXTRA[..] } else { &[] };
    PlotKind::ALL.iter().chain(extra).copied().collect()
}

/// Draw figure `k` of `a` on its canvas (at the screen's pixel density).
pub fn plot(k: PlotKind, a: &Analysis) -> Result<(), JsValue> {
    let dpr = super::dom::window()?.device_pixel_ratio().clamp(1.0, 2.0);
    let c: HtmlCanvasElement = by_id(&format!("plot-{}", k.id()))?;
    draw_canvas(&c, k, a, dpr)
}

/// Draw every figure on its canvas.
pub fn plots(a: &Analysis) -> Result<(), JsValue> {
    plot_kinds(a).into_iter().try_for_each(|k| plot(k, a))
}
