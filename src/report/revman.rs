//! Words and tables for the RevMan hand-off (METHODS §18), the HSROC parameters' SEs (§4.4) and
//! the Meta-DiSc 2.0 dispersion summaries (§5.5): the page's table and copy text, the CSV, and the
//! CLI's text all come from here.
//!
//! Labels, grouping and order are RevMan's "externally calculated" parameters as dtametaTMB's
//! `as_revman()` lists them (EBME-UWK/dtametaTMB `R/as_revman.R`) and midas 3 prints them
//! (`midas.ado`): Lambda, Theta, beta, Var(accuracy), Var(threshold) | E(logitSe), E(logitSp),
//! Var(logitSe), Var(logitSp), Cov(logits), Corr(logits) | SE(E(logitSe)), SE(E(logitSp)),
//! Cov(Es), Studies.

use super::doc::{Cell, Row, Table};
use super::export::csv;
use crate::analysis::revman::{AnalysisRef, DispersionEntry, RevmanEntry};
use crate::analysis::Analysis;
use crate::stats::estimate::Estimate;
use crate::stats::revman::SeCi;

/// RevMan's labels, in the dialog's order.
pub const LABELS: [&str; 15] = [
    "Lambda",
    "Theta",
    "beta",
    "Var(accuracy)",
    "Var(threshold)",
    "E(logitSe)",
    "E(logitSp)",
    "Var(logitSe)",
    "Var(logitSp)",
    "Cov(logits)",
    "Corr(logits)",
    "SE(E(logitSe))",
    "SE(E(logitSp))",
    "Cov(Es)",
    "Studies",
];

/// The dialog's three sets and how many parameters each holds (in order).
pub const GROUPS: [(&str, usize); 3] = [
    ("HSROC model parameters", 5),
    ("Bivariate model parameters", 6),
    ("Confidence and prediction regions", 4),
];

/// The set parameter `i` belongs to.
pub fn group_of(i: usize) -> &'static str {
    let mut end = 0;
    for (g, n) in GROUPS {
        end += n;
        if i < end {
            return g;
        }
    }
    ""
}

/// "Overall" or the subgroup's level.
pub fn analysis_name(r: &AnalysisRef) -> String {
    match r {
        AnalysisRef::Overall => "Overall".into(),
        AnalysisRef::Subgroup { level } => level.clone(),
    }
}

/// A parameter as shown (6 decimals, as MetaDTA and midas print them; `Studies` as a count).
fn shown(i: usize, v: Option<f64>) -> String {
    match v {
        Some(x) if i == 14 => format!("{x:.0}"),
        Some(x) if x.is_finite() => format!("{x:.6}"),
        _ => "–".into(),
    }
}

/// Full precision for machine use (copy, CSV); empty when not estimable.
fn full(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite()).map_or(String::new(), |x| format!("{x}"))
}

/// The 15 parameters, one column per fitted analysis (overall, then each subgroup).
pub fn revman_table(a: &Analysis) -> Option<Table> {
    if a.revman.is_empty() {
        return None;
    }
    let mut headers = vec!["Set".to_string(), "Parameter".to_string()];
    headers.extend(a.revman.iter().map(|e| analysis_name(&e.analysis)));
    let values: Vec<[Option<f64>; 15]> = a.revman.iter().map(|e| e.parameters.values()).collect();
    let rows = (0..15)
        .map(|i| {
            let first_of_set = i == 0 || group_of(i) != group_of(i - 1);
            let mut cells =
                vec![Cell::text(if first_of_set { group_of(i) } else { "" }), Cell::text(LABELS[i])];
            cells.extend(values.iter().map(|v| Cell::opt(shown(i, v[i]), v[i])));
            Row::new(cells)
        })
        .collect();
    let mut keys = vec!["set", "parameter"];
    keys.extend(std::iter::repeat_n("value", a.revman.len()));
    Some(Table { headers, keys, rows })
}

/// What the page's Copy button puts on the clipboard: the table as tab-separated text with
/// full-precision numbers (pastes into a spreadsheet as cells; each value types into RevMan's
/// dialog as it is).
pub fn revman_clipboard(a: &Analysis) -> String {
    let mut rows = vec![{
        let mut h = vec!["Parameter".to_string()];
        h.extend(a.revman.iter().map(|e| analysis_name(&e.analysis)));
        h.join("\t")
    }];
    for (i, label) in LABELS.iter().enumerate() {
        let mut r = vec![label.to_string()];
        r.extend(a.revman.iter().map(|e| full(e.parameters.values()[i])));
        rows.push(r.join("\t"));
    }
    rows.join("\n") + "\n"
}

/// The HSROC SE/CI of parameter `i` (0–4) of an entry.
fn inference_of(e: &RevmanEntry, i: usize) -> Option<SeCi> {
    let h = e.hsroc_inference.as_ref()?;
    match i {
        0 => Some(h.lambda),
        1 => Some(h.theta),
        2 => Some(h.beta),
        3 => h.sigma2_alpha,
        4 => h.sigma2_theta,
        _ => None,
    }
}

/// Long-format CSV: one row per analysis and parameter, with the SE and CI of the HSROC five.
pub fn revman_csv(a: &Analysis) -> String {
    let mut rows = vec![["analysis", "set", "parameter", "value", "se", "ci_lower", "ci_upper"]
        .map(String::from)
        .to_vec()];
    for e in &a.revman {
        let v = e.parameters.values();
        for i in 0..15 {
            let inf = inference_of(e, i);
            rows.push(vec![
                analysis_name(&e.analysis),
                group_of(i).to_string(),
                LABELS[i].to_string(),
                full(v[i]),
                full(inf.map(|s| s.se)),
                full(inf.map(|s| s.ci[0])),
                full(inf.map(|s| s.ci[1])),
            ]);
        }
    }
    csv(&rows)
}

/// The HSROC parameters with delta-method SEs and CIs, one row per analysis and parameter.
pub fn hsroc_inference_table(a: &Analysis) -> Option<Table> {
    let level = a.settings.ci_level;
    let pct = crate::settings::level_percent(level);
    let mut rows = Vec::new();
    for e in a.revman.iter().filter(|e| e.hsroc_inference.is_some()) {
        let values = e.parameters.values();
        for (i, &v) in values.iter().enumerate().take(5) {
            let inf = inference_of(e, i);
            rows.push(Row::new(vec![
                Cell::text(if i == 0 { analysis_name(&e.analysis) } else { String::new() }),
                Cell::text(LABELS[i]),
                Cell::opt(shown(i, v), v),
                Cell::opt(inf.map_or("–".into(), |s| format!("{:.4}", s.se)), inf.map(|s| s.se)),
                Cell::opt(
                    inf.map_or("not estimable (at the ρ = ±1 boundary)".into(), |s| {
                        format!("{:.3} to {:.3}", s.ci[0], s.ci[1])
                    }),
                    inf.map(|s| s.ci[0]),
                ),
            ]));
        }
    }
    if rows.is_empty() {
        return None;
    }
    Some(Table {
        headers: vec![
            "Analysis".into(),
            "Parameter".into(),
            "Estimate".into(),
            "SE".into(),
            format!("{pct}% CI"),
        ],
        keys: vec!["analysis", "parameter", "estimate", "se", "ci"],
        rows,
    })
}

/// Why an analysis has no HSROC SEs (REML or a fallback rung), for the note under the table.
pub fn hsroc_inference_note(a: &Analysis) -> Option<String> {
    let missing: Vec<String> =
        a.revman.iter().filter(|e| e.hsroc_inference.is_none()).map(|e| analysis_name(&e.analysis)).collect();
    (!missing.is_empty()).then(|| {
        format!(
            "No HSROC standard errors for {}: the fit gives no covariance of its variance parameters \
             (Reitsma REML, or a fallback rung with a variance at zero).",
            missing.join(", ")
        )
    })
}

/// The Meta-DiSc 2.0 dispersion summaries, one row per fitted analysis: the median odds ratio and
/// the latent-scale ICC of each margin, and the area of the prediction region.
pub fn dispersion_table(a: &Analysis) -> Option<Table> {
    if a.dispersion.is_empty() {
        return None;
    }
    let pct = crate::settings::level_percent(a.settings.ci_level);
    let est = |e: Option<&Estimate>, no_ci: bool| -> Cell {
        match e {
            Some(e) if no_ci => Cell::num(format!("{:.2}", e.estimate), e.estimate),
            Some(e) => Cell::num(format!("{:.2} ({:.2}–{:.2})", e.estimate, e.ci[0], e.ci[1]), e.estimate),
            None => Cell::text("–"),
        }
    };
    let rows = a
        .dispersion
        .iter()
        .map(|e: &DispersionEntry| {
            let d = &e.dispersion;
            let (s, p) = (d.sensitivity.as_ref(), d.specificity.as_ref());
            let no = |m: Option<&crate::stats::dispersion::MarginDispersion>| m.is_none_or(|m| m.no_interval);
            Row::new(vec![
                Cell::text(analysis_name(&e.analysis)),
                est(s.map(|m| &m.median_odds_ratio.mor), no(s)),
                est(p.map(|m| &m.median_odds_ratio.mor), no(p)),
                est(s.map(|m| &m.icc), no(s)),
                est(p.map(|m| &m.icc), no(p)),
                Cell::opt(
                    d.prediction_ellipse_area_logit.map_or("–".into(), |x| format!("{x:.2}")),
                    d.prediction_ellipse_area_logit,
                ),
                Cell::opt(
                    d.prediction_region_area_roc.map_or("–".into(), |x| format!("{x:.3}")),
                    d.prediction_region_area_roc,
                ),
            ])
        })
        .collect();
    Some(Table {
        headers: vec![
            "Analysis".into(),
            "MOR sensitivity".into(),
            "MOR specificity".into(),
            "ICC sensitivity".into(),
            "ICC specificity".into(),
            format!("{pct}% PR area, logit plane"),
            format!("{pct}% PR area, ROC space"),
        ],
        keys: vec!["analysis", "mor_sens", "mor_spec", "icc_sens", "icc_spec", "area_logit", "area_roc"],
        rows,
    })
}

/// What the dispersion table's numbers mean (shown under it).
pub const DISPERSION_NOTE: &str = "The median odds ratio (MOR) is the median of the odds ratio between \
two randomly chosen studies, larger over smaller: 1 means no between-study spread. ICC = τ²/(τ² + π²/3) \
is the share of the latent-scale variance that lies between studies. The prediction region (PR) is where a \
new study's sensitivity and specificity are expected to fall; its area shrinks with the spread \
(ROC space: the fraction of the unit square). Intervals: MOR from the τ² limits, ICC by the delta method; \
none for fits without a standard error of τ² (Reitsma REML).";

/// The RevMan block of the CLI's text report.
pub fn revman_text(a: &Analysis) -> String {
    let mut out = String::new();
    if let Some(t) = revman_table(a) {
        out.push_str("\nRevMan externally calculated parameters (type these into RevMan's SROC dialog):\n");
        out.push_str(&t.to_text());
    }
    if let Some(t) = hsroc_inference_table(a) {
        out.push_str("\nHSROC parameters, delta-method standard errors:\n");
        out.push_str(&t.to_text());
    }
    if let Some(n) = hsroc_inference_note(a) {
        out.push_str(&format!("{n}\n"));
    }
    if let Some(t) = dispersion_table(a) {
        out.push_str("\nBetween-study spread (as Meta-DiSc 2.0 reports it):\n");
        out.push_str(&t.to_text());
        out.push_str(&format!("{DISPERSION_NOTE}\n"));
    }
    out
}
