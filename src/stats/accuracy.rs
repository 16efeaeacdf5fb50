//! Per-study accuracy table (METHODS §1.1, §1.2, §1.5, §1.6).
//!
//! Proportions (Se, Sp, PPV, NPV, prevalence, accuracy) come from the **raw** counts with an exact
//! Clopper–Pearson interval by default; likelihood ratios, DOR and all logit-scale quantities use the
//! continuity-corrected counts of [`crate::data::correction`].

use super::error::StatsError;
use super::estimate::Estimate;
use super::transform::z_for_level;
use crate::data::correction::{CorrectedCounts, Correction};
use crate::data::Study;
use serde::{Deserialize, Serialize};

/// Confidence-interval method for a binomial proportion (METHODS §1.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CiMethod {
    /// Exact Clopper–Pearson interval (midas, MetaDTA). Default.
    #[default]
    ClopperPearson,
    /// Wilson score interval without continuity correction (mada `binomCI`, method 2).
    Wilson,
}

crate::impl_choice!(CiMethod, "interval", [ClopperPearson => "clopper-pearson" | "cp" | "exact" | "clopperpearson", Wilson => "wilson"]);

/// Options of [`per_study`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccuracyConfig {
    /// Interval method for the proportions. Default Clopper–Pearson.
    pub ci_method: CiMethod,
    /// Confidence level in (0, 1). Default 0.95.
    pub level: f64,
    /// Continuity correction for LR±, DOR and logits. Default `single`, 0.5.
    pub correction: Correction,
    /// mada-compatible mode: proportions and their intervals are computed from the
    /// corrected counts (mada `madad` applies its correction to everything). Default false.
    pub mada_compatible: bool,
}

impl Default for AccuracyConfig {
    fn default() -> Self {
        AccuracyConfig {
            ci_method: CiMethod::ClopperPearson,
            level: 0.95,
            correction: Correction::default(),
            mada_compatible: false,
        }
    }
}

/// One row of the per-study table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyAccuracy {
    pub label: String,
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
    pub tn: u64,
    /// `TP/n1`; `None` when `n1 = 0`.
    pub sensitivity: Option<Estimate>,
    /// `TN/n0`; `None` when `n0 = 0`.
    pub specificity: Option<Estimate>,
    /// `TP/(TP+FP)`; `None` when no test positives.
    pub ppv: Option<Estimate>,
    /// `TN/(TN+FN)`; `None` when no test negatives.
    pub npv: Option<Estimate>,
    /// `n1/N`; `None` when `N = 0`.
    pub prevalence: Option<Estimate>,
    /// `(TP+TN)/N`; `None` when `N = 0`.
    pub accuracy: Option<Estimate>,
    /// LR+ with log-method CI on corrected counts; `None` when not estimable.
    pub lr_positive: Option<Estimate>,
    /// LR− with log-method CI on corrected counts; `None` when not estimable.
    pub lr_negative: Option<Estimate>,
    /// DOR with log-method CI on corrected counts; `None` when not estimable.
    pub dor: Option<Estimate>,
    pub logit_sens: Option<f64>,
    pub var_logit_sens: Option<f64>,
    pub logit_spec: Option<f64>,
    pub var_logit_spec: Option<f64>,
    pub log_dor: Option<f64>,
    pub se_log_dor: Option<f64>,
    /// Whether the continuity increment was added to this row.
    pub corrected: bool,
}

/// The per-study table plus warnings about rows that two-step methods exclude.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PerStudyTable {
    pub rows: Vec<StudyAccuracy>,
    pub ci_method: CiMethod,
    pub level: f64,
    pub correction: Correction,
    pub mada_compatible: bool,
    pub warnings: Vec<String>,
}

/// Check that a confidence level lies strictly inside (0, 1).
pub(crate) fn check_level(level: f64) -> Result<(), StatsError> {
    if level.is_finite() && level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidArgument {
            what: "confidence level",
            detail: format!("{level} is not strictly between 0 and 1"),
        })
    }
}

/// Clopper–Pearson (exact) interval for `x` successes out of `n` (real-valued counts allowed).
///
/// # Formula
/// METHODS §1.5: `L = BetaInv(α/2; x, n−x+1)` (0 if x = 0), `U = BetaInv(1−α/2; x+1, n−x)` (1 if x = n).
///
/// # References
/// Clopper & Pearson (1934), Biometrika 26:404.
///
/// The Beta quantiles are found in bounded time at any count ([`super::betainc::beta_quantile`]:
/// safeguarded Newton, at most 200 evaluations); `x = n` gives `L = (α/2)^{1/n}` and `x = 0`
/// gives `U = 1 − (α/2)^{1/n}` in closed form.
///
/// Returns `None` when `n ≤ 0`, `x ∉ [0, n]` or the level is outside (0, 1).
pub fn clopper_pearson(x: f64, n: f64, level: f64) -> Option<Estimate> {
    use super::betainc::beta_quantile;
    if !(n > 0.0 && n.is_finite() && x >= 0.0 && x <= n && level > 0.0 && level < 1.0) {
        return None;
    }
    let half = (1.0 - level) / 2.0;
    let lower = if x <= 0.0 {
        0.0
    } else if x >= n {
        (half.ln() / n).exp()
    } else {
        beta_quantile(x, n - x + 1.0, half)?
    };
    let upper = if x >= n {
        1.0
    } else if x <= 0.0 {
        -(half.ln() / n).exp_m1()
    } else {
        beta_quantile(x + 1.0, n - x, 1.0 - half)?
    };
    Estimate::new(x / n, lower, upper).not_nan()
}

/// Wilson score interval for `x` successes out of `n` (real-valued counts allowed).
///
/// # Formula
/// METHODS §1.5: `centre = (x + z²/2)/(n + z²)`, `half = z√n/(n + z²)·√(p̂(1−p̂) + z²/(4n))`,
/// clipped to `[0, 1]`.
///
/// # References
/// Wilson (1927), JASA 22:209; mada `binomCI` (method 2).
pub fn wilson(x: f64, n: f64, level: f64) -> Option<Estimate> {
    if !(n > 0.0 && x >= 0.0 && x <= n && level > 0.0 && level < 1.0) {
        return None;
    }
    let z = z_for_level(level);
    let p = x / n;
    let z2 = z * z;
    let centre = (x + z2 / 2.0) / (n + z2);
    let half = z * n.sqrt() / (n + z2) * (p * (1.0 - p) + z2 / (4.0 * n)).sqrt();
    Estimate::new(p, (centre - half).max(0.0), (centre + half).min(1.0)).not_nan()
}

/// A proportion with the chosen interval method.
///
/// # Formula
/// METHODS §1.5 (dispatches to [`clopper_pearson`] or [`wilson`]).
///
/// # References
/// Clopper & Pearson (1934); Wilson (1927).
pub fn proportion(x: f64, n: f64, method: CiMethod, level: f64) -> Option<Estimate> {
    match method {
        CiMethod::ClopperPearson => clopper_pearson(x, n, level),
        CiMethod::Wilson => wilson(x, n, level),
    }
}

fn log_ratio_estimate(log_est: f64, se: f64, z: f64) -> Option<Estimate> {
    if !(log_est.is_finite() && se.is_finite() && se >= 0.0) {
        return None;
    }
    Estimate::new(log_est.exp(), (log_est - z * se).exp(), (log_est + z * se).exp()).not_nan()
}

/// LR+ with its log-method CI from (corrected) counts.
///
/// # Formula
/// METHODS §1.2, §1.6: `LR+ = Se/(1−Sp)`, `SE(ln LR+) = √(1/TP − 1/n1 + 1/FP − 1/n0)`,
/// `CI = exp(ln LR+ ± z·SE)`.
///
/// # References
/// Simel, Samsa & Matchar (1991), J Clin Epidemiol 44:763.
///
/// `None` when TP or FP is zero (not estimable).
pub fn lr_positive(c: &CorrectedCounts, level: f64) -> Option<Estimate> {
    let (n1, n0) = (c.n_diseased(), c.n_healthy());
    if !(c.tp > 0.0 && c.fp > 0.0 && level > 0.0 && level < 1.0) {
        return None;
    }
    let est = (c.tp / n1) / (c.fp / n0);
    let se = (1.0 / c.tp - 1.0 / n1 + 1.0 / c.fp - 1.0 / n0).max(0.0).sqrt();
    log_ratio_estimate(est.ln(), se, z_for_level(level))
}

/// LR− with its log-method CI from (corrected) counts.
///
/// # Formula
/// METHODS §1.2, §1.6: `LR− = (1−Se)/Sp`, `SE(ln LR−) = √(1/FN − 1/n1 + 1/TN − 1/n0)`.
///
/// # References
/// Simel, Samsa & Matchar (1991), J Clin Epidemiol 44:763.
///
/// `None` when FN or TN is zero.
pub fn lr_negative(c: &CorrectedCounts, level: f64) -> Option<Estimate> {
    let (n1, n0) = (c.n_diseased(), c.n_healthy());
    if !(c.fn_ > 0.0 && c.tn > 0.0 && level > 0.0 && level < 1.0) {
        return None;
    }
    let est = (c.fn_ / n1) / (c.tn / n0);
    let se = (1.0 / c.fn_ - 1.0 / n1 + 1.0 / c.tn - 1.0 / n0).max(0.0).sqrt();
    log_ratio_estimate(est.ln(), se, z_for_level(level))
}

/// DOR with its log-method CI from (corrected) counts.
///
/// # Formula
/// METHODS §1.2, §1.6: `DOR = TP·TN/(FP·FN)`, `SE(ln DOR) = √(1/TP + 1/FP + 1/FN + 1/TN)`.
///
/// # References
/// Glas et al. (2003), J Clin Epidemiol 56:1129.
///
/// `None` when any cell is zero.
pub fn dor(c: &CorrectedCounts, level: f64) -> Option<Estimate> {
    if !(all_cells_positive(c) && level > 0.0 && level < 1.0) {
        return None;
    }
    log_ratio_estimate(c.log_dor(), c.se_log_dor(), z_for_level(level))
}

fn all_cells_positive(c: &CorrectedCounts) -> bool {
    c.tp > 0.0 && c.fp > 0.0 && c.fn_ > 0.0 && c.tn > 0.0
}

fn finite(x: f64) -> Option<f64> {
    if x.is_finite() {
        Some(x)
    } else {
        None
    }
}

/// Rows usable by two-step methods: those with `n1 > 0` and `n0 > 0`.
///
/// Returns the kept row indices (0-based) and one warning per excluded row, e.g.
/// `"row 3 (Smith 2001): no diseased participants (TP+FN = 0); it is excluded from two-step methods"`.
///
/// # Formula
/// METHODS §1.1 (rows with one empty margin carry no information for two-step methods).
///
/// # References
/// midas 3.x `pubbias` (aborts on such rows); mada `checkdata`.
pub fn two_step_rows(studies: &[Study]) -> (Vec<usize>, Vec<String>) {
    let mut kept = Vec::with_capacity(studies.len());
    let mut warnings = Vec::new();
    for (i, s) in studies.iter().enumerate() {
        let reason = match (s.n_diseased() == 0, s.n_healthy() == 0) {
            (false, false) => {
                kept.push(i);
                continue;
            }
            (true, false) => "no diseased participants (TP+FN = 0)",
            (false, true) => "no non-diseased participants (FP+TN = 0)",
            (true, true) => "no participants (all four cells are 0)",
        };
        warnings.push(format!("{}: {reason}; it is excluded from the two-step methods", s.label));
    }
    (kept, warnings)
}

/// The studies kept by [`two_step_rows`], cloned, with the warnings.
pub(crate) fn two_step_subset(studies: &[Study]) -> (Vec<Study>, Vec<usize>, Vec<String>) {
    let (kept, warnings) = two_step_rows(studies);
    let sub = kept.iter().filter_map(|&i| studies.get(i).cloned()).collect();
    (sub, kept, warnings)
}

/// Per-study accuracy table.
///
/// # Formula
/// METHODS §1.2 (point estimates; proportions from raw counts unless `mada_compatible`),
/// §1.3 (correction via [`Correction::apply`]), §1.4 (logits and variances), §1.5 (proportion
/// CIs), §1.6 (log-method CIs of LR+, LR−, DOR). Rows with `n1 = 0` or `n0 = 0` are kept in the
/// table (their undefined entries are `None`) and reported in `warnings` (§1.1).
///
/// # References
/// Clopper & Pearson (1934); Wilson (1927); Simel et al. (1991); midas 2.x; mada `madad`.
pub fn per_study(studies: &[Study], cfg: &AccuracyConfig) -> Result<PerStudyTable, StatsError> {
    check_level(cfg.level)?;
    if !(cfg.correction.increment.is_finite() && cfg.correction.increment >= 0.0) {
        return Err(StatsError::InvalidArgument {
            what: "continuity correction",
            detail: format!("increment {} must be a finite number ≥ 0", cfg.correction.increment),
        });
    }
    let corrected = cfg.correction.apply(studies);
    let (_, warnings) = two_step_rows(studies);
    let level = cfg.level;
    let rows = studies
        .iter()
        .zip(corrected.iter())
        .map(|(s, c)| {
            // Counts used for the proportions: raw, or corrected in mada-compatible mode.
            let (tp, fp, fn_, tn) = if cfg.mada_compatible {
                (c.tp, c.fp, c.fn_, c.tn)
            } else {
                (s.tp as f64, s.fp as f64, s.fn_ as f64, s.tn as f64)
            };
            let n = tp + fp + fn_ + tn;
            let prop = |x: f64, m: f64| proportion(x, m, cfg.ci_method, level);
            let sens_ok = c.tp > 0.0 && c.fn_ > 0.0;
            let spec_ok = c.tn > 0.0 && c.fp > 0.0;
            let dor_ok = all_cells_positive(c);
            StudyAccuracy {
                label: s.label.clone(),
                tp: s.tp,
                fp: s.fp,
                fn_: s.fn_,
                tn: s.tn,
                sensitivity: prop(tp, tp + fn_),
                specificity: prop(tn, tn + fp),
                ppv: prop(tp, tp + fp),
                npv: prop(tn, tn + fn_),
                prevalence: prop(tp + fn_, n),
                accuracy: prop(tp + tn, n),
                lr_positive: lr_positive(c, level),
                lr_negative: lr_negative(c, level),
                dor: dor(c, level),
                logit_sens: if sens_ok { finite(c.logit_sens()) } else { None },
                var_logit_sens: if sens_ok { finite(c.var_logit_sens()) } else { None },
                logit_spec: if spec_ok { finite(c.logit_spec()) } else { None },
                var_logit_spec: if spec_ok { finite(c.var_logit_spec()) } else { None },
                log_dor: if dor_ok { finite(c.log_dor()) } else { None },
                se_log_dor: if dor_ok { finite(c.se_log_dor()) } else { None },
                corrected: c.corrected,
            }
        })
        .collect();
    Ok(PerStudyTable {
        rows,
        ci_method: cfg.ci_method,
        level,
        correction: cfg.correction,
        mada_compatible: cfg.mada_compatible,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-6;

    #[test]
    fn cp_and_wilson_audit_c_row1() {
        let cp = clopper_pearson(47.0, 56.0, 0.95).expect("cp");
        assert!((cp.ci[0] - 0.716720).abs() < TOL);
        assert!((cp.ci[1] - 0.923781).abs() < TOL);
        let w = wilson(47.0, 56.0, 0.95).expect("wilson");
        assert!((w.ci[0] - 0.721938).abs() < TOL);
        assert!((w.ci[1] - 0.913073).abs() < TOL);
    }

    /// The statrs interval this replaced (AS 109 inversion; fast for small and moderate counts).
    fn cp_statrs(x: f64, n: f64, level: f64) -> (f64, f64) {
        use statrs::distribution::{Beta, ContinuousCDF};
        let a = 1.0 - level;
        let lo = if x <= 0.0 {
            0.0
        } else {
            Beta::new(x, n - x + 1.0).map_or(f64::NAN, |b| b.inverse_cdf(a / 2.0))
        };
        let hi = if x >= n {
            1.0
        } else {
            Beta::new(x + 1.0, n - x).map_or(f64::NAN, |b| b.inverse_cdf(1.0 - a / 2.0))
        };
        (lo, hi)
    }

    #[test]
    fn cp_matches_the_statrs_inversion_on_a_grid() {
        let mut worst: f64 = 0.0;
        let mut cases = 0;
        for &n in &[1.0, 2.0, 3.0, 7.0, 10.0, 25.0, 56.0, 57.0, 100.0, 333.0, 1000.0, 2500.0, 10_000.0] {
            let mut xs: Vec<f64> = (0..=10).map(|i| (n * f64::from(i) / 10.0).round()).collect();
            xs.extend([1.0, 2.0, n - 1.0, n - 2.0, 0.5, n - 0.5].iter().filter(|v| **v >= 0.0 && **v <= n));
            for x in xs {
                for level in [0.95, 0.90, 0.99] {
                    let (lo, hi) = cp_statrs(x, n, level);
                    let e = clopper_pearson(x, n, level).expect("cp");
                    worst = worst.max((e.ci[0] - lo).abs()).max((e.ci[1] - hi).abs());
                    cases += 1;
                }
            }
        }
        assert!(cases > 400);
        assert!(worst <= 1e-10, "worst difference {worst:e}");
    }

    #[test]
    fn cp_closed_forms_and_huge_counts() {
        let e = clopper_pearson(57.0, 57.0, 0.95).expect("cp");
        assert_eq!(e.estimate, 1.0);
        assert!((e.ci[0] - 0.025f64.powf(1.0 / 57.0)).abs() < 1e-15);
        assert!((e.ci[0] - 0.937_332_519).abs() < 1e-9);
        let z = clopper_pearson(0.0, 57.0, 0.90).expect("cp");
        assert!((z.ci[1] - (1.0 - 0.05f64.powf(1.0 / 57.0))).abs() < 1e-15);
        // Counts that made statrs' inversion run for minutes or forever (issue #10).
        for &(x, n) in &[(1e7, 1e7 + 20.0), (1e8, 1e8 + 3.0), (4e9, 4.2e9), (4e9 - 1.0, 4e9), (2.0, 4e9)] {
            let e = clopper_pearson(x, n, 0.95).expect("cp");
            assert!(e.ci[0] < e.estimate && e.estimate < e.ci[1], "{x}/{n}: {e:?}");
            // Normal approximation is excellent at these counts away from the edges.
            let p = x / n;
            if x > 100.0 && n - x > 100.0 {
                let sd = (p * (1.0 - p) / n).sqrt();
                assert!(((p - e.ci[0]) / sd - 1.96).abs() < 0.01, "{x}/{n}: {e:?}");
            }
        }
    }

    #[test]
    fn empty_margin_rows() {
        let s = vec![Study::new("A", 0, 3, 0, 7), Study::new("B", 4, 1, 2, 9)];
        let t = per_study(&s, &AccuracyConfig::default()).expect("table");
        assert!(t.rows[0].sensitivity.is_none());
        assert!(t.rows[0].specificity.is_some());
        assert_eq!(t.warnings.len(), 1);
        assert!(t.warnings[0].starts_with("A: no diseased participants"));
        let (kept, _) = two_step_rows(&s);
        assert_eq!(kept, vec![1]);
    }

    #[test]
    fn no_correction_zero_cell_not_estimable() {
        let s = vec![Study::new("A", 5, 0, 2, 9)];
        let cfg = AccuracyConfig {
            correction: Correction::new(crate::data::correction::CorrectionRule::None, 0.5),
            ..AccuracyConfig::default()
        };
        let t = per_study(&s, &cfg).expect("table");
        assert!(t.rows[0].lr_positive.is_none());
        assert!(t.rows[0].dor.is_none());
        assert!(t.rows[0].lr_negative.is_some());
        assert!(t.rows[0].logit_spec.is_none());
        assert!(t.rows[0].logit_sens.is_some());
    }
}
