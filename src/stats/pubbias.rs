//! Publication bias / small-study effects: Deeks' funnel-plot asymmetry test and the LFK index
//! with Doi-plot data (METHODS §7).

use super::accuracy::two_step_subset;
use super::error::StatsError;
use super::transform::{normal_quantile, t_two_sided_p};
use crate::data::correction::{CorrectedCounts, Correction};
use crate::data::Study;
use serde::{Deserialize, Serialize};

/// Below this many studies both tests have low power (Deeks et al. 2005; Furuya-Kanamori 2018).
pub const LOW_POWER_K: usize = 10;

/// Which counts the effective sample size is computed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EssSource {
    /// `ESS = 4 n1 n0/(n1+n0)` from the original (uncorrected) counts. Default; reproduces the
    /// reference `deeks` block.
    #[default]
    Uncorrected,
    /// ESS from the continuity-corrected margins `n1' = TP'+FN'`, `n0' = FP'+TN'` (midas 2.x style;
    /// the reference block `variant_ess_from_corrected_counts`).
    Corrected,
}

/// Options of [`deeks_test`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeeksConfig {
    /// Correction for ln DOR (default `single`, 0.5; `none` drops rows with a zero cell, as midas 3.x).
    pub correction: Correction,
    pub ess: EssSource,
}

/// One funnel-plot point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunnelPoint {
    pub label: String,
    /// `ln DOR'` (x-axis of the plot).
    pub ln_dor: f64,
    /// `1/√ESS` (y-axis of the plot, drawn reversed).
    pub inv_sqrt_ess: f64,
    pub ess: f64,
}

/// The fitted regression line `ln DOR = intercept + slope·(1/√ESS)` between two values of 1/√ESS.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedLine {
    /// `[0, max 1/√ESS]`.
    pub inv_sqrt_ess: [f64; 2],
    pub ln_dor: [f64; 2],
}

/// Result of Deeks' test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeeksResult {
    pub k: usize,
    /// The "bias" coefficient (of 1/√ESS).
    pub slope: f64,
    pub slope_se: f64,
    pub slope_t: f64,
    pub df: usize,
    pub slope_p: f64,
    pub intercept: f64,
    pub intercept_se: f64,
    pub points: Vec<FunnelPoint>,
    pub fitted_line: FittedLine,
    pub ess: EssSource,
    pub correction: Correction,
    pub warnings: Vec<String>,
}

fn low_power_warning(k: usize, warnings: &mut Vec<String>) {
    if k < LOW_POWER_K {
        warnings.push(format!(
            "only {k} studies (< {LOW_POWER_K}): Deeks' test and the LFK index have low power to detect asymmetry"
        ));
    }
}

/// Kept rows with all four corrected cells > 0: (label, study, corrected counts).
fn usable_rows(studies: &[Study], correction: &Correction) -> (Vec<(Study, CorrectedCounts)>, Vec<String>) {
    let (sub, _, mut warnings) = two_step_subset(studies);
    let cc = correction.apply(&sub);
    let mut rows = Vec::with_capacity(sub.len());
    for (s, c) in sub.into_iter().zip(cc) {
        if c.tp > 0.0 && c.fp > 0.0 && c.fn_ > 0.0 && c.tn > 0.0 {
            rows.push((s, c));
        } else {
            warnings.push(format!(
                "{}: ln DOR is undefined (zero cell, correction '{}'); the row is left out",
                s.label,
                correction.rule.name()
            ));
        }
    }
    (rows, warnings)
}

/// Deeks' funnel-plot asymmetry test.
///
/// # Formula
/// METHODS §7.1: `y_i = ln DOR'_i`, `x_i = 1/√ESS_i`, `ESS = 4 n1 n0/(n1+n0)`; WLS with weights
/// ESS: `b̂ = (X'WX)⁻¹X'Wy`, `σ̂² = Σ ESS e²/(k−2)`, `V = σ̂²(X'WX)⁻¹`,
/// `t = b̂_slope/√V_slope`, `p = 2P(T_{k−2} > |t|)`. Default ESS from the uncorrected counts and
/// ln DOR with 0.5 added to all cells of rows with a zero cell (reference `deeks` block);
/// [`EssSource::Corrected`] gives the `variant_ess_from_corrected_counts` block. Needs k ≥ 3.
///
/// # References
/// Deeks, Macaskill & Irwig (2005), J Clin Epidemiol 58:882; midas 2.x / 3.x `pubbias`.
pub fn deeks_test(studies: &[Study], cfg: &DeeksConfig) -> Result<DeeksResult, StatsError> {
    let (rows, mut warnings) = usable_rows(studies, &cfg.correction);
    let k = rows.len();
    if k < 3 {
        return Err(StatsError::TooFewStudies { needed: 3, got: k, what: "Deeks' test" });
    }
    let points: Vec<FunnelPoint> = rows
        .iter()
        .map(|(s, c)| {
            let (n1, n0) = match cfg.ess {
                EssSource::Uncorrected => (s.n_diseased() as f64, s.n_healthy() as f64),
                EssSource::Corrected => (c.n_diseased(), c.n_healthy()),
            };
            let ess = 4.0 * n1 * n0 / (n1 + n0);
            FunnelPoint { label: s.label.clone(), ln_dor: c.log_dor(), inv_sqrt_ess: 1.0 / ess.sqrt(), ess }
        })
        .collect();
    let (mut sw, mut swx, mut swxx, mut swy, mut swxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for p in &points {
        let (w, x, y) = (p.ess, p.inv_sqrt_ess, p.ln_dor);
        sw += w;
        swx += w * x;
        swxx += w * x * x;
        swy += w * y;
        swxy += w * x * y;
    }
    let det = sw * swxx - swx * swx;
    if det.is_nan() || det <= 1e-14 * sw * swxx {
        return Err(StatsError::NotEstimable {
            what: "Deeks' test",
            reason: "all studies have the same effective sample size".into(),
        });
    }
    let slope = (sw * swxy - swx * swy) / det;
    let intercept = (swy - slope * swx) / sw;
    let rss: f64 =
        points.iter().map(|p| p.ess * (p.ln_dor - intercept - slope * p.inv_sqrt_ess).powi(2)).sum();
    let df = k - 2;
    let sigma2 = rss / df as f64;
    let slope_se = (sigma2 * sw / det).sqrt();
    let intercept_se = (sigma2 * swxx / det).sqrt();
    if !(slope_se > 0.0 && slope_se.is_finite()) {
        return Err(StatsError::NotEstimable {
            what: "Deeks' test",
            reason: "the regression fits the points exactly (zero residual variance)".into(),
        });
    }
    let slope_t = slope / slope_se;
    let slope_p = t_two_sided_p(slope_t, df as f64);
    let xmax = points.iter().map(|p| p.inv_sqrt_ess).fold(0.0, f64::max);
    let fitted_line = FittedLine { inv_sqrt_ess: [0.0, xmax], ln_dor: [intercept, intercept + slope * xmax] };
    low_power_warning(k, &mut warnings);
    Ok(DeeksResult {
        k,
        slope,
        slope_se,
        slope_t,
        df,
        slope_p,
        intercept,
        intercept_se,
        points,
        fitted_line,
        ess: cfg.ess,
        correction: cfg.correction,
        warnings,
    })
}

/// One Doi-plot point (rows sorted by effect).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DoiPoint {
    pub label: String,
    /// Effect (ln DOR').
    pub te: f64,
    pub se: f64,
    /// Normal quantile of the cumulative mid-rank proportion; the plot uses |z|.
    pub z: f64,
}

/// LFK index with its interpretation and the Doi-plot data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LfkResult {
    pub k: usize,
    pub lfk_index: f64,
    /// "no asymmetry", "minor asymmetry" or "major asymmetry".
    #[serde(deserialize_with = "interpretation")]
    pub interpretation: crate::stats::FixedText,
    /// Rows sorted by TE ascending.
    pub points: Vec<DoiPoint>,
    pub warnings: Vec<String>,
}

/// Interpretation of an LFK index.
///
/// # Formula
fn interpretation<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    crate::stats::known_text(d, &["no asymmetry", "minor asymmetry", "major asymmetry"])
}

/// METHODS §7.2: |LFK| ≤ 1 "no asymmetry", ≤ 2 "minor asymmetry", otherwise "major asymmetry".
///
/// # References
/// Furuya-Kanamori, Barendregt & Doi (2018), Int J Evid Based Healthc 16:195.
pub fn lfk_interpretation(lfk: f64) -> &'static str {
    let a = lfk.abs();
    if a <= 1.0 {
        "no asymmetry"
    } else if a <= 2.0 {
        "minor asymmetry"
    } else {
        "major asymmetry"
    }
}

/// LFK index and Doi-plot z-scores of generic effects `te` with standard errors `se`.
///
/// Returns the index and, in sorted order, `(original index, z)`.
///
/// # Formula
/// METHODS §7.2: sort by TE; `N_i = 100·max v/v_i`; `M_1 = N_1/2`, `M_i = M_{i−1} + (N_{i−1}+N_i)/2`;
/// `P_i = (M_i − 0.5)/ΣN`; `z_i = Φ⁻¹(P_i)`; `d_i = TE_i − TE_{j*}` with `j* = argmin|z|`;
/// `LFK = 5/(2k)·Σ[z_i + (max z − min z)/(max d − min d)·d_i]`.
///
/// # References
/// Furuya-Kanamori, Barendregt & Doi (2018); metasens `lfkindex`.
pub fn lfk_index(te: &[f64], se: &[f64]) -> Result<(f64, Vec<(usize, f64)>), StatsError> {
    if te.len() != se.len() {
        return Err(StatsError::InvalidArgument {
            what: "LFK index",
            detail: format!("{} effects but {} standard errors", te.len(), se.len()),
        });
    }
    let k = te.len();
    if k < 3 {
        return Err(StatsError::TooFewStudies { needed: 3, got: k, what: "the LFK index" });
    }
    if te.iter().any(|x| !x.is_finite()) || se.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
        return Err(StatsError::InvalidArgument {
            what: "LFK index",
            detail: "effects must be finite and standard errors finite and > 0".into(),
        });
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| te[a].total_cmp(&te[b])); // stable, like R's order()
    let v: Vec<f64> = order.iter().map(|&i| se[i] * se[i]).collect();
    let vmax = v.iter().cloned().fold(f64::MIN, f64::max);
    let n: Vec<f64> = v.iter().map(|vi| 100.0 * vmax / vi).collect();
    let total: f64 = n.iter().sum();
    let mut z = Vec::with_capacity(k);
    let mut m = 0.0;
    for i in 0..k {
        m = if i == 0 { n[0] / 2.0 } else { m + (n[i - 1] + n[i]) / 2.0 };
        // P_i < 1 in exact arithmetic; with weights spanning many orders of magnitude the running
        // sum can overshoot ΣN by rounding (issue #10), so keep P below 1.
        z.push(normal_quantile(((m - 0.5) / total).min(1.0 - f64::EPSILON / 2.0)));
    }
    let ts: Vec<f64> = order.iter().map(|&i| te[i]).collect();
    let jstar = z
        .iter()
        .enumerate()
        .fold((0usize, f64::INFINITY), |acc, (i, zi)| if zi.abs() < acc.1 { (i, zi.abs()) } else { acc })
        .0;
    let d: Vec<f64> = ts.iter().map(|t| t - ts[jstar]).collect();
    let range = |x: &[f64]| {
        let mx = x.iter().cloned().fold(f64::MIN, f64::max);
        let mn = x.iter().cloned().fold(f64::MAX, f64::min);
        mx - mn
    };
    let (rz, rd) = (range(&z), range(&d));
    if rd.is_nan() || rd <= 0.0 || z.iter().any(|x| !x.is_finite()) {
        return Err(StatsError::NotEstimable { what: "LFK index", reason: "all effects are equal".into() });
    }
    let lfk = 5.0 / (2.0 * k as f64) * z.iter().zip(&d).map(|(zi, di)| zi + rz / rd * di).sum::<f64>();
    Ok((lfk, order.into_iter().zip(z).collect()))
}

/// LFK index of ln DOR' with Doi-plot data.
///
/// # Formula
/// METHODS §7.2 with `TE = ln DOR'`, `se = √(1/TP'+1/FP'+1/FN'+1/TN')` (§1.6, default `single` CC);
/// see [`lfk_index`]. Needs k ≥ 3.
///
/// # References
/// Furuya-Kanamori, Barendregt & Doi (2018); metasens `lfkindex`, `doiplot`.
pub fn lfk(studies: &[Study], correction: &Correction) -> Result<LfkResult, StatsError> {
    let (rows, mut warnings) = usable_rows(studies, correction);
    let te: Vec<f64> = rows.iter().map(|(_, c)| c.log_dor()).collect();
    let se: Vec<f64> = rows.iter().map(|(_, c)| c.se_log_dor()).collect();
    let (index, sorted) = lfk_index(&te, &se)?;
    let points = sorted
        .into_iter()
        .filter_map(|(i, z)| {
            rows.get(i).map(|(s, _)| DoiPoint { label: s.label.clone(), te: te[i], se: se[i], z })
        })
        .collect();
    low_power_warning(rows.len(), &mut warnings);
    Ok(LfkResult {
        k: rows.len(),
        lfk_index: index,
        interpretation: lfk_interpretation(index),
        points,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_few() {
        let s = vec![Study::new("a", 5, 1, 2, 9), Study::new("b", 7, 2, 1, 8)];
        match deeks_test(&s, &DeeksConfig::default()) {
            Err(StatsError::TooFewStudies { needed: 3, got: 2, .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
        assert!(lfk(&s, &Correction::default()).is_err());
    }

    #[test]
    fn interpretation_bands() {
        assert_eq!(lfk_interpretation(-0.9), "no asymmetry");
        assert_eq!(lfk_interpretation(1.5), "minor asymmetry");
        assert_eq!(lfk_interpretation(-2.1), "major asymmetry");
    }
}

#[cfg(test)]
mod extreme_weights_tests {
    use super::*;

    /// Issue #10 (found by tests/fuzz_pipeline.rs, a permalink with a 1e-12 continuity increment):
    /// weights N_i spanning ~13 orders of magnitude made the running sum M_i overshoot ΣN by
    /// rounding, so Φ⁻¹ got a probability of 1.0000000000000002 and panicked. Now no panic.
    #[test]
    fn lfk_index_with_extreme_weights_does_not_panic() {
        for (k, every) in [(264, 20), (264, 7), (100, 9), (300, 30)] {
            // Ordinary studies (se ≈ 0.3) plus a few corrected by 1e-12 (se ≈ 2e6, |TE| ≈ 50).
            let se: Vec<f64> =
                (0..k).map(|i| if i % every == 3 { 2.0e6 } else { 0.25 + 0.001 * (i % 50) as f64 }).collect();
            let te: Vec<f64> = (0..k)
                .map(|i| if i % every == 3 { 50.0 + i as f64 * 0.01 } else { (i as f64 * 0.37).sin() * 2.0 })
                .collect();
            let r = std::panic::catch_unwind(|| lfk_index(&te, &se));
            assert!(r.is_ok(), "lfk_index panicked (k {k}, every {every})");
        }
    }
}
