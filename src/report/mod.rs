//! Numbers → presentation. Computes nothing: fixed decimals per quantity class, p-values, and the
//! rows of the summary table in the layout of the seed review's Table 2 (shared by CLI and page).

pub mod export;
pub mod grid;
pub mod plots;

use crate::analysis::{Analysis, Block};
use crate::stats::estimate::Estimate;

/// `0.80 (0.78–0.83)` with `d` decimals.
pub fn fmt_est(e: &Estimate, d: usize) -> String {
    format!("{:.d$} ({:.d$}–{:.d$})", e.estimate, e.ci[0], e.ci[1])
}

/// Decimals for a ratio: 2 below 10, 1 below 100, 0 above.
pub fn ratio_decimals(x: f64) -> usize {
    if x.abs() < 10.0 {
        2
    } else if x.abs() < 100.0 {
        1
    } else {
        0
    }
}

/// A ratio estimate with decimals chosen by its size.
pub fn fmt_ratio(e: &Estimate) -> String {
    fmt_est(e, ratio_decimals(e.estimate))
}

/// p-values for running text: `< 0.001`, else `= 0.123`. Tables use [`fmt_p_cell`].
pub fn fmt_p(p: f64) -> String {
    if !p.is_finite() {
        "–".into()
    } else if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("= {p:.3}")
    }
}

/// p-values for table cells: `<0.001`, else 3 decimals.
pub fn fmt_p_cell(p: f64) -> String {
    if !p.is_finite() {
        "–".into()
    } else if p < 0.001 {
        "<0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// A percentage with one decimal.
pub fn fmt_pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// One row of the summary table (Table 2 of the seed review), as text cells and full-precision values.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SummaryRow {
    pub label: String,
    pub k: usize,
    pub rung: String,
    pub sensitivity: Option<Estimate>,
    pub specificity: Option<Estimate>,
    pub lr_positive: Option<Estimate>,
    pub lr_negative: Option<Estimate>,
    pub dor: Option<Estimate>,
    pub auc: Option<Estimate>,
    pub i2_sens: Option<f64>,
    pub i2_spec: Option<f64>,
    pub spearman_rho: Option<f64>,
    pub deeks_p: Option<f64>,
    pub lfk: Option<f64>,
    pub note: Option<String>,
}

/// The summary row of a block.
pub fn summary_row(label: &str, b: &Block) -> SummaryRow {
    let fit = b.fit.as_ref();
    let auc = fit
        .and_then(|f| f.auc.as_ref())
        .map(|a| Estimate { estimate: a.estimate, ci: a.ci.unwrap_or([f64::NAN; 2]) });
    let mut note = b.fit_error.clone();
    if let Some(f) = fit {
        if f.model.rung != "B2" || f.model.boundary.is_some() {
            note = Some(match (&f.model.boundary, &f.model.fallback) {
                (Some(bd), _) => format!("boundary: {bd}"),
                (None, Some(fb)) => fb.clone(),
                _ => f.model.rung.clone(),
            });
        }
    }
    SummaryRow {
        label: label.to_string(),
        k: b.k,
        rung: fit.map_or("–".into(), |f| f.model.rung.clone()),
        sensitivity: fit.map(|f| f.summary.sensitivity),
        specificity: fit.map(|f| f.summary.specificity),
        lr_positive: fit.map(|f| f.summary.lr_positive),
        lr_negative: fit.map(|f| f.summary.lr_negative),
        dor: fit.map(|f| f.summary.dor),
        auc,
        i2_sens: b.heterogeneity.logit_sens.as_ref().map(|h| h.i2),
        i2_spec: b.heterogeneity.logit_spec.as_ref().map(|h| h.i2),
        spearman_rho: b.threshold.as_ref().map(|t| t.spearman_rho),
        deeks_p: b.deeks.as_ref().map(|d| d.slope_p),
        lfk: b.lfk.as_ref().map(|l| l.lfk_index),
        note,
    }
}

/// Overall row followed by one row per subgroup level.
pub fn summary_rows(a: &Analysis) -> Vec<SummaryRow> {
    let mut rows = vec![summary_row("Overall", &a.overall)];
    if let Some(sg) = &a.subgroups {
        rows.extend(sg.levels.iter().map(|l| summary_row(&l.level, &l.block)));
    }
    rows
}

/// The column headers of the summary table.
pub const SUMMARY_HEADERS: [&str; 12] = [
    "Group",
    "N",
    "Sensitivity (95% CI)",
    "Specificity (95% CI)",
    "LR+ (95% CI)",
    "LR− (95% CI)",
    "DOR (95% CI)",
    "AUC (95% CI)",
    "I² Se",
    "I² Sp",
    "Deeks p",
    "LFK",
];

/// The text cells of a row, in the order of [`SUMMARY_HEADERS`].
pub fn summary_cells(r: &SummaryRow) -> Vec<String> {
    let o = |e: &Option<Estimate>, f: &dyn Fn(&Estimate) -> String| e.as_ref().map_or("–".to_string(), f);
    vec![
        r.label.clone(),
        r.k.to_string(),
        o(&r.sensitivity, &|e| fmt_est(e, 2)),
        o(&r.specificity, &|e| fmt_est(e, 2)),
        o(&r.lr_positive, &fmt_ratio),
        o(&r.lr_negative, &|e| fmt_est(e, 2)),
        o(&r.dor, &fmt_ratio),
        o(&r.auc, &|e| {
            if e.ci[0].is_finite() {
                fmt_est(e, 2)
            } else {
                format!("{:.2}", e.estimate)
            }
        }),
        r.i2_sens.map_or("–".into(), fmt_pct),
        r.i2_spec.map_or("–".into(), fmt_pct),
        r.deeks_p.map_or("–".into(), fmt_p_cell),
        r.lfk.map_or("–".into(), |x| format!("{x:.2}")),
    ]
}

/// A plain-text table with aligned columns.
pub fn text_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let n = headers.len();
    let mut w: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}{}", " ".repeat(w[i].saturating_sub(c.chars().count()))))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(headers.iter().map(|h| h.to_string()).collect());
    out.push('\n');
    out.push_str(&w.iter().map(|x| "─".repeat(*x)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.clone()));
        out.push('\n');
    }
    out
}
