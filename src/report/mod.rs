//! Numbers → presentation: every word a user reads, for the page and the CLI alike. Computes
//! nothing statistical: fixed decimals per quantity class, p-values, the rows of the summary table
//! in the layout of the seed review's Table 2, and (in [`results`]) the fit report, the
//! interpretations and the tables, as the shapes of [`doc`].

pub mod bayes;
pub mod comparison;
pub mod compat;
pub mod doc;
pub mod export;
pub mod grid;
pub mod html_report;
pub mod input;
pub mod models;
pub mod plot_settings;
pub mod plots;
#[cfg(all(feature = "png", not(target_arch = "wasm32")))]
pub mod png;
pub mod results;
pub mod revman;
pub mod rob;
pub mod sof;
pub mod xlsx;

pub use doc::text_table;
pub use results::{summary_cells, summary_headers, summary_table, text_report};

use crate::analysis::{Analysis, Block};
use crate::stats::bivariate::Rung;
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
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SummaryRow {
    pub label: String,
    pub k: usize,
    /// The fallback rung of the fit (`None` without a pooled fit).
    pub rung: Option<Rung>,
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
    let mut note = b.fit_error.as_ref().map(|e| e.to_string());
    if let Some(f) = fit {
        if f.model.rung != Rung::B2 || f.model.boundary.is_some() {
            note = Some(match (&f.model.boundary, &f.model.fallback) {
                (Some(bd), _) => format!("boundary: {}", results::boundary_words(*bd)),
                (None, Some(fb)) => fb.to_string(),
                _ => f.model.rung.to_string(),
            });
        }
    }
    SummaryRow {
        label: label.to_string(),
        k: b.k,
        rung: fit.map(|f| f.model.rung),
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
