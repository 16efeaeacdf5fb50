//! State → DOM: the grid, the messages, the tables, the fit report and the plots. Only reads the
//! state it is given; user text goes through `textContent` and attributes only.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement, HtmlInputElement, HtmlSelectElement};

use super::dom::{add, by_id, clear, document, el, set_hidden};
use crate::analysis::{Analysis, Block, MetaRegOutcome};
use crate::data::{CovariateKind, Dataset, ParseOutcome};
use crate::plot::PlotStyle;
use crate::report::grid::Grid;
use crate::report::plots::{draw_plot, plot_size, PlotKind};
use crate::report::{fmt_est, fmt_p, fmt_p_cell, fmt_pct, fmt_ratio, summary_rows, SUMMARY_HEADERS};
use crate::settings::{AnalysisSettings, Model};
use crate::stats::estimate::Estimate;
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

fn est_text(e: &Option<Estimate>, f: &dyn Fn(&Estimate) -> String) -> String {
    e.as_ref().map_or("–".to_string(), f)
}

/// A `<span>` with a number and its full-precision `data-value`, appended to `parent`.
fn num(parent: &Element, text: &str, value: f64) -> Result<(), JsValue> {
    stat(parent, "span", text, Some(value)).map(|_| ())
}

/// A `<dt>`/`<dd>` pair in a `<dl>`.
fn pair(dl: &Element, term: &str, text: &str, value: Option<f64>) -> Result<(), JsValue> {
    add(dl, "dt", term)?;
    stat(dl, "dd", text, value)?;
    Ok(())
}

// ---------------------------------------------------------------- input side

/// Build the grid editor for `grid`; `parsed` tells which rows are studies (for the checkboxes).
pub fn grid(grid: &Grid, parsed: &ParseOutcome, settings: &AnalysisSettings) -> Result<(), JsValue> {
    let head: Element = by_id("grid-head")?;
    let body: Element = by_id("grid-body")?;
    clear(&head);
    clear(&body);
    let width = grid.width().max(5);
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
    Ok(())
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
    for e in &parsed.errors {
        let li = add(&ul, "li", &format!("Error: {e}"))?;
        li.set_class_name("error-item");
    }
    for w in &parsed.warnings {
        let li = add(&ul, "li", &format!("Warning: {w}"))?;
        li.set_class_name("warning-item");
    }
    let n = parsed.dataset.studies.len();
    let mut notes = format!("{n} {} read.", if n == 1 { "study" } else { "studies" });
    if !parsed.errors.is_empty() {
        notes.push_str(" Rows with errors are left out until they are fixed.");
    }
    for x in &parsed.notes {
        let mut c = x.chars();
        if let Some(first) = c.next() {
            notes.push(' ');
            notes.extend(first.to_uppercase());
            notes.push_str(c.as_str());
            if !x.ends_with('.') {
                notes.push('.');
            }
        }
    }
    super::dom::set_text("parse-notes", &notes)
}

/// Fill the covariate menu with the data set's covariates (keeping the current choice).
pub fn covariates(data: &Dataset, settings: &AnalysisSettings) -> Result<(), JsValue> {
    let sel: HtmlSelectElement = by_id("covariate")?;
    clear(&sel);
    let none = add(&sel, "option", "none")?;
    none.set_attribute("value", "")?;
    for c in &data.covariates {
        let kind = match c.kind {
            CovariateKind::Numeric => "numeric",
            CovariateKind::Categorical => "categorical",
        };
        let o = add(&sel, "option", &format!("{} ({kind})", c.name))?;
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
    Ok(())
}

/// Set the settings controls from `s`.
pub fn controls(s: &AnalysisSettings) -> Result<(), JsValue> {
    let model: HtmlSelectElement = by_id("model")?;
    model.set_value(match s.model {
        Model::Aghq => "aghq",
        Model::Laplace => "laplace",
        Model::Reitsma => "reitsma",
    });
    let nodes: HtmlInputElement = by_id("nodes")?;
    nodes.set_value(&s.nodes.to_string());
    nodes.set_disabled(s.model != Model::Aghq);
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
    )
}

// ---------------------------------------------------------------- results

/// Clear every result (no studies to analyse).
pub fn clear_results() -> Result<(), JsValue> {
    for id in [
        "summary-head",
        "summary-body",
        "fit-report",
        "heterogeneity",
        "threshold",
        "pubbias",
        "metareg",
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
    Ok(())
}

const STAT_KEYS: [&str; 12] = [
    "group",
    "k",
    "sensitivity",
    "specificity",
    "lr-positive",
    "lr-negative",
    "dor",
    "auc",
    "i2-sens",
    "i2-spec",
    "deeks-p",
    "lfk",
];

/// The summary table: Table 2 layout, overall row then subgroup rows.
pub fn summary(a: &Analysis, level: f64) -> Result<(), JsValue> {
    let head: Element = by_id("summary-head")?;
    let body: Element = by_id("summary-body")?;
    clear(&head);
    clear(&body);
    let tr = add(&head, "tr", "")?;
    let pct = format!("{}% CI", (level * 100.0).round());
    for h in SUMMARY_HEADERS {
        let th = add(&tr, "th", &h.replace("95% CI", &pct))?;
        th.set_attribute("scope", "col")?;
    }
    for (i, r) in summary_rows(a).iter().enumerate() {
        let tr = add(&body, "tr", "")?;
        tr.set_attribute("data-testid", "summary-row")?;
        tr.set_attribute("data-group", &r.label)?;
        if i > 0 {
            tr.set_class_name("subgroup");
        }
        let auc_text = est_text(&r.auc, &|e| {
            if e.ci[0].is_finite() {
                fmt_est(e, 2)
            } else {
                format!("{:.2}", e.estimate)
            }
        });
        let cells: [(String, Option<f64>); 12] = [
            (r.label.clone(), None),
            (r.k.to_string(), Some(r.k as f64)),
            (est_text(&r.sensitivity, &|e| fmt_est(e, 2)), r.sensitivity.map(|e| e.estimate)),
            (est_text(&r.specificity, &|e| fmt_est(e, 2)), r.specificity.map(|e| e.estimate)),
            (est_text(&r.lr_positive, &fmt_ratio), r.lr_positive.map(|e| e.estimate)),
            (est_text(&r.lr_negative, &|e| fmt_est(e, 2)), r.lr_negative.map(|e| e.estimate)),
            (est_text(&r.dor, &fmt_ratio), r.dor.map(|e| e.estimate)),
            (auc_text, r.auc.map(|e| e.estimate)),
            (r.i2_sens.map_or("–".into(), fmt_pct), r.i2_sens),
            (r.i2_spec.map_or("–".into(), fmt_pct), r.i2_spec),
            (r.deeks_p.map_or("–".into(), fmt_p_cell), r.deeks_p),
            (r.lfk.map_or("–".into(), |x| format!("{x:.2}")), r.lfk),
        ];
        for (j, ((text, value), key)) in cells.iter().zip(STAT_KEYS).enumerate() {
            let c = if j == 0 {
                let th = stat(&tr, "th", text, *value)?;
                th.set_attribute("scope", "row")?;
                th
            } else {
                stat(&tr, "td", text, *value)?
            };
            c.set_attribute("data-stat", key)?;
            if i == 0 && (2..=7).contains(&j) {
                c.set_attribute("data-testid", &format!("summary-{key}"))?;
            }
        }
        if let Some(n) = &r.note {
            tr.set_attribute("title", n)?;
        }
    }
    Ok(())
}

fn method_words(method: &str, nodes: Option<usize>) -> String {
    match method {
        "aghq" => format!(
            "exact bivariate binomial model (adaptive Gauss–Hermite quadrature{})",
            nodes.map_or(String::new(), |n| format!(", {n} nodes"))
        ),
        "laplace" => "bivariate binomial model (Laplace approximation)".to_string(),
        "reitsma" => "Reitsma bivariate normal model (REML)".to_string(),
        m => m.to_string(),
    }
}

/// What a rung of the fallback ladder means.
fn rung_words(rung: &str) -> &'static str {
    match rung {
        "B2" => "full bivariate model",
        "B0" => "correlation fixed at 0",
        "FE-Se" => "no between-study variance in sensitivity",
        "FE-Sp" => "no between-study variance in specificity",
        "FE" => "fixed effects for both",
        _ => "simpler model",
    }
}

/// The fit report in plain words.
pub fn fit_report(a: &Analysis) -> Result<(), JsValue> {
    let box_: Element = by_id("fit-report")?;
    clear(&box_);
    add(&box_, "h3", "How the model was fitted")?;
    let b = &a.overall;
    let Some(f) = &b.fit else {
        let p = add(
            &box_,
            "p",
            &format!(
                "No pooled estimate: {}",
                b.fit_error.as_deref().unwrap_or("the model could not be fitted")
            ),
        )?;
        p.set_class_name("bad");
        return Ok(());
    };
    let m = &f.model;
    let ul = add(&box_, "ul", "")?;
    let conv = if m.converged {
        format!(
            "The {} converged after {} iterations ({}).",
            method_words(&m.method, m.nodes),
            m.iterations,
            m.termination
        )
    } else {
        format!(
            "Warning: the {} did not converge ({}); treat the numbers with caution.",
            method_words(&m.method, m.nodes),
            m.termination
        )
    };
    let li = add(&ul, "li", &conv)?;
    if !m.converged {
        li.set_class_name("bad");
    }
    let li = add(&ul, "li", "")?;
    li.append_with_str_1(&format!("{} studies. Between-study variance of logit sensitivity τ² = ", b.k))?;
    num(&li, &format!("{:.3}", m.tau2_logit_sens), m.tau2_logit_sens)?;
    li.append_with_str_1(", of logit specificity τ² = ")?;
    num(&li, &format!("{:.3}", m.tau2_logit_spec), m.tau2_logit_spec)?;
    if let Some(r) = m.rho {
        li.append_with_str_1(", correlation ρ = ")?;
        num(&li, &signed(r, 2), r)?;
    }
    li.append_with_str_1(".")?;
    match &m.boundary {
        Some(bd) => {
            let li = add(
                &ul,
                "li",
                &format!(
                    "The estimate lies on the boundary of the parameter space ({bd}). Boundary fits are common with few studies; the pooled sensitivity and specificity remain usable, but the correlation and the regions are less reliable."
                ),
            )?;
            li.set_class_name("warn");
        }
        None => {
            add(&ul, "li", "The estimate is inside the parameter space (no boundary).")?;
        }
    }
    if m.rung != "B2" {
        let li = add(
            &ul,
            "li",
            &format!(
                "The full bivariate model could not be used; the fit fell back to rung {} ({}){}.",
                m.rung,
                rung_words(&m.rung),
                m.fallback.as_deref().map_or(String::new(), |w| format!(" because {w}"))
            ),
        )?;
        li.set_class_name("warn");
    } else if let (Some(fb), None) = (&m.fallback, &f.simplified) {
        add(&ul, "li", fb)?;
    }
    if let Some(s) = &f.simplified {
        let li = add(&ul, "li", "")?;
        li.append_with_str_1(&format!(
            "Beside it, the simplified fit (rung {}, {}) gives sensitivity ",
            s.model.rung,
            rung_words(&s.model.rung),
        ))?;
        num(&li, &fmt_est(&s.summary.sensitivity, 3), s.summary.sensitivity.estimate)?;
        li.append_with_str_1(" and specificity ")?;
        num(&li, &fmt_est(&s.summary.specificity, 3), s.summary.specificity.estimate)?;
        li.append_with_str_1(".")?;
    }
    for w in m.warnings.iter().chain(b.warnings.iter()) {
        let mut c = w.chars();
        let w: String = c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default();
        let li = add(&ul, "li", &w)?;
        li.set_class_name("warn");
    }
    if !a.excluded.is_empty() {
        add(&ul, "li", &format!("Left out by you: {}.", a.excluded.join("; ")))?;
    }
    Ok(())
}

fn ci2(ci: Option<[f64; 2]>, f: impl Fn(f64) -> String) -> String {
    ci.map_or(String::new(), |[l, u]| {
        // "−0.98 to 0.70" reads better than "−0.98–0.70" when a bound is negative.
        let sep = if l < 0.0 || u < 0.0 { " to " } else { "–" };
        format!(" ({}{sep}{})", f(l), f(u))
    })
}

/// `x` with `d` decimals and a true minus sign.
fn signed(x: f64, d: usize) -> String {
    format!("{x:.d$}").replace('-', "−")
}

/// Heterogeneity, threshold effect and publication bias.
pub fn heterogeneity(b: &Block) -> Result<(), JsValue> {
    let dl: Element = by_id("heterogeneity")?;
    clear(&dl);
    let h = &b.heterogeneity;
    if let Some(u) = &h.logit_sens {
        pair(
            &dl,
            "I² logit sensitivity",
            &format!("{}{}", fmt_pct(u.i2), ci2(u.i2_ci, fmt_pct)),
            Some(u.i2),
        )?;
    }
    if let Some(u) = &h.logit_spec {
        pair(
            &dl,
            "I² logit specificity",
            &format!("{}{}", fmt_pct(u.i2), ci2(u.i2_ci, fmt_pct)),
            Some(u.i2),
        )?;
    }
    if let Some(f) = &b.fit {
        let m = &f.model;
        pair(&dl, "τ² logit sensitivity", &format!("{:.3}", m.tau2_logit_sens), Some(m.tau2_logit_sens))?;
        pair(&dl, "τ² logit specificity", &format!("{:.3}", m.tau2_logit_spec), Some(m.tau2_logit_spec))?;
        if let Some(r) = m.rho {
            pair(
                &dl,
                "ρ (logit Se, logit Sp)",
                &format!("{}{}", signed(r, 2), ci2(m.rho_ci, |x| signed(x, 2))),
                Some(r),
            )?;
        }
    }
    if let Some(z) = &h.zhou_dendukuri {
        pair(&dl, "Zhou–Dendukuri I² sensitivity", &fmt_pct(z.i2_sens), Some(z.i2_sens))?;
        pair(&dl, "Zhou–Dendukuri I² specificity", &fmt_pct(z.i2_spec), Some(z.i2_spec))?;
        pair(&dl, "Zhou–Dendukuri I² bivariate", &fmt_pct(z.i2_bivariate), Some(z.i2_bivariate))?;
    }
    if let Some(l) = &h.lrt {
        pair(
            &dl,
            "LR test vs fixed effect",
            &format!("χ² = {:.2}, df {}, p {}", l.statistic, l.df, fmt_p(l.p_value)),
            Some(l.statistic),
        )?;
    }
    if let Some(r2) = h.threshold_share_rho2 {
        pair(&dl, "Share due to threshold (ρ²)", &fmt_pct(r2), Some(r2))?;
    }
    if dl.child_element_count() == 0 {
        add(&dl, "dd", "not estimable")?;
    }

    let dl: Element = by_id("threshold")?;
    clear(&dl);
    match &b.threshold {
        Some(t) => {
            pair(&dl, "Spearman ρ (Se, 1 − Sp)", &signed(t.spearman_rho, 3), Some(t.spearman_rho))?;
            pair(&dl, "p", &fmt_p_cell(t.p_value), Some(t.p_value))?;
            pair(&dl, "Studies", &t.k.to_string(), Some(t.k as f64))?;
            let words = if t.p_value < 0.05 && t.spearman_rho > 0.0 {
                "A positive correlation suggests a threshold effect."
            } else {
                "No evidence of a threshold effect."
            };
            add(&dl, "dd", words)?.set_class_name("note");
        }
        None => {
            add(&dl, "dd", "not estimable")?;
        }
    }

    let dl: Element = by_id("pubbias")?;
    clear(&dl);
    match &b.deeks {
        Some(d) => {
            pair(&dl, "Deeks' test slope", &signed(d.slope, 2), Some(d.slope))?;
            pair(&dl, "Deeks' test p", &fmt_p_cell(d.slope_p), Some(d.slope_p))?;
            let words = if d.slope_p < 0.10 {
                "Funnel-plot asymmetry (p < 0.10): small-study effects or publication bias are possible."
            } else {
                "No evidence of funnel-plot asymmetry (Deeks, p ≥ 0.10)."
            };
            add(&dl, "dd", words)?.set_class_name("note");
        }
        None => pair(&dl, "Deeks' test", "not estimable", None)?,
    }
    match &b.lfk {
        Some(l) => pair(
            &dl,
            "LFK index",
            &format!("{} ({})", signed(l.lfk_index, 2), l.interpretation),
            Some(l.lfk_index),
        )?,
        None => pair(&dl, "LFK index", "not estimable", None)?,
    }
    Ok(())
}

/// Meta-regression likelihood-ratio tests (hidden when there is no grouping).
pub fn metareg(a: &Analysis) -> Result<(), JsValue> {
    let boxe: Element = by_id("metareg-box")?;
    let t: Element = by_id("metareg")?;
    clear(&t);
    let Some(m) = &a.meta_regression else {
        return set_hidden(&boxe, true);
    };
    set_hidden(&boxe, false)?;
    let thead = add(&t, "thead", "")?;
    let tr = add(&thead, "tr", "")?;
    for h in ["Covariate", "Question", "χ²", "df", "p"] {
        add(&tr, "th", h)?.set_attribute("scope", "col")?;
    }
    let tbody = add(&t, "tbody", "")?;
    for (name, out) in m {
        match out {
            MetaRegOutcome::Fit(r) => {
                for (q, test) in [
                    ("Does sensitivity differ?", &r.lrt.sens),
                    ("Does specificity differ?", &r.lrt.spec),
                    ("Does either differ?", &r.lrt.both),
                ] {
                    let tr = add(&tbody, "tr", "")?;
                    add(&tr, "th", name)?.set_attribute("scope", "row")?;
                    add(&tr, "td", q)?;
                    stat(&tr, "td", &format!("{:.2}", test.statistic), Some(test.statistic))?;
                    stat(&tr, "td", &test.df.to_string(), Some(test.df as f64))?;
                    stat(&tr, "td", &fmt_p_cell(test.p_value), Some(test.p_value))?;
                }
            }
            MetaRegOutcome::Error { error } => {
                let tr = add(&tbody, "tr", "")?;
                add(&tr, "th", name)?.set_attribute("scope", "row")?;
                let td = add(&tr, "td", error)?;
                td.set_attribute("colspan", "4")?;
            }
        }
    }
    Ok(())
}

fn header_row(t: &Element, heads: &[&str]) -> Result<Element, JsValue> {
    let thead = add(t, "thead", "")?;
    let tr = add(&thead, "tr", "")?;
    for h in heads {
        add(&tr, "th", h)?.set_attribute("scope", "col")?;
    }
    add(t, "tbody", "")
}

/// The per-study table of the overall block.
pub fn studies(b: &Block) -> Result<(), JsValue> {
    let t: Element = by_id("studies")?;
    clear(&t);
    let body = header_row(
        &t,
        &["Study", "TP", "FP", "FN", "TN", "Sensitivity (CI)", "Specificity (CI)", "LR+", "LR−", "DOR"],
    )?;
    for s in &b.studies {
        let tr = add(&body, "tr", "")?;
        add(&tr, "th", &s.label)?.set_attribute("scope", "row")?;
        for x in [s.tp, s.fp, s.fn_, s.tn] {
            stat(&tr, "td", &x.to_string(), Some(x as f64))?;
        }
        stat(&tr, "td", &est_text(&s.sensitivity, &|e| fmt_est(e, 2)), s.sensitivity.map(|e| e.estimate))?;
        stat(&tr, "td", &est_text(&s.specificity, &|e| fmt_est(e, 2)), s.specificity.map(|e| e.estimate))?;
        for e in [s.lr_positive, s.lr_negative, s.dor] {
            stat(&tr, "td", &e.map_or("–".into(), |e| format!("{:.2}", e.estimate)), e.map(|e| e.estimate))?;
        }
    }
    Ok(())
}

/// The leave-one-out table (rows computed so far).
pub fn loo(rows: &[LooRow]) -> Result<(), JsValue> {
    let t: Element = by_id("loo")?;
    clear(&t);
    if rows.is_empty() {
        return Ok(());
    }
    let body = header_row(
        &t,
        &["Study left out", "Sensitivity (CI)", "Specificity (CI)", "LR+", "LR−", "DOR", "AUC", "Rung"],
    )?;
    for r in rows {
        let tr = add(&body, "tr", "")?;
        add(&tr, "th", &r.omitted)?.set_attribute("scope", "row")?;
        match &r.fit {
            Some(f) => {
                stat(&tr, "td", &fmt_est(&f.sensitivity, 2), Some(f.sensitivity.estimate))?;
                stat(&tr, "td", &fmt_est(&f.specificity, 2), Some(f.specificity.estimate))?;
                stat(&tr, "td", &fmt_ratio(&f.lr_positive), Some(f.lr_positive.estimate))?;
                stat(&tr, "td", &format!("{:.2}", f.lr_negative.estimate), Some(f.lr_negative.estimate))?;
                stat(&tr, "td", &fmt_ratio(&f.dor), Some(f.dor.estimate))?;
                stat(&tr, "td", &f.auc.map_or("–".into(), |x| format!("{x:.2}")), f.auc)?;
                add(&tr, "td", &f.rung)?;
            }
            None => {
                let td = add(&tr, "td", r.error.as_deref().unwrap_or("refit failed"))?;
                td.set_attribute("colspan", "7")?;
            }
        }
    }
    Ok(())
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
    let (w, h) = plot_size(kind, a);
    canvas.set_width(w);
    canvas.set_height(h);
    let backend = CanvasBackend::with_canvas_object(canvas.clone())
        .ok_or_else(|| JsValue::from_str("the canvas has no 2-D context"))?;
    let root = backend.into_drawing_area();
    if (scale - 1.0).abs() > 1e-9 {
        canvas.set_width((w as f64 * scale).round() as u32);
        canvas.set_height((h as f64 * scale).round() as u32);
        let ctx: CanvasRenderingContext2d = canvas.get_context("2d")?.ok_or("no 2-D context")?.dyn_into()?;
        ctx.scale(scale, scale)?;
    }
    draw_plot(&root, kind, a, &PlotStyle::for_canvas()).map_err(|e| JsValue::from_str(&e.to_string()))?;
    root.present().map_err(|e| JsValue::from_str(&format!("drawing failed: {e}")))?;
    Ok(())
}

/// The QUADAS-2 figures, shown only when the table has QUADAS judgement columns.
pub fn quadas(d: &crate::data::Dataset) -> Result<(), JsValue> {
    use crate::plot::{draw_quadas_summary, draw_quadas_traffic_light, quadas_height};
    let boxed: Element = by_id("quadas-box")?;
    let Some(q) = crate::report::plots::quadas_from_dataset(d) else {
        return super::dom::set_hidden(&boxed, true);
    };
    super::dom::set_hidden(&boxed, false)?;
    let style = PlotStyle::for_canvas();
    for (id, h) in [("plot-quadas", quadas_height(q.studies.len())), ("plot-quadas-summary", 360)] {
        let canvas: HtmlCanvasElement = by_id(id)?;
        canvas.set_width(900);
        canvas.set_height(h);
        let backend = CanvasBackend::with_canvas_object(canvas.clone())
            .ok_or_else(|| JsValue::from_str("the canvas has no 2-D context"))?;
        let root = backend.into_drawing_area();
        let drawn = if id == "plot-quadas" {
            draw_quadas_traffic_light(&root, &q, &style)
        } else {
            draw_quadas_summary(&root, &q, &style)
        };
        drawn.map_err(|e| JsValue::from_str(&e.to_string()))?;
        root.present().map_err(|e| JsValue::from_str(&format!("drawing failed: {e}")))?;
    }
    Ok(())
}

/// Draw every figure on its canvas (at the screen's pixel density).
pub fn plots(a: &Analysis) -> Result<(), JsValue> {
    let dpr = super::dom::window()?.device_pixel_ratio().clamp(1.0, 2.0);
    for k in PlotKind::ALL {
        let c: HtmlCanvasElement = by_id(&format!("plot-{}", k.id()))?;
        draw_canvas(&c, k, a, dpr)?;
    }
    Ok(())
}
