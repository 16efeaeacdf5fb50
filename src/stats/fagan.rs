//! Post-test probability displays (METHODS §8): Fagan nomogram, likelihood-ratio scattergram and
//! probability-modifying curves. Geometry only; drawing happens in the plot layer.

use super::accuracy::{lr_negative, lr_positive, two_step_subset};
use super::error::StatsError;
use super::estimate::Estimate;
use super::transform::{logit_from_prob, prob_from_logit};
use crate::data::correction::Correction;
use crate::data::Study;
use serde::{Deserialize, Serialize};

/// Probability tick labels of the nomogram (per cent), as midas draws them.
pub const PROBABILITY_TICKS_PERCENT: [f64; 29] = [
    0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0,
    93.0, 95.0, 97.0, 98.0, 99.0, 99.3, 99.5, 99.7, 99.8, 99.9,
];

/// Likelihood-ratio tick labels of the nomogram.
pub const LR_TICKS: [f64; 19] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0,
    500.0, 1000.0,
];

/// Half-range of the shared vertical coordinate u.
pub const U_RANGE: f64 = 6.9;

fn check_prob(p: f64, what: &'static str) -> Result<(), StatsError> {
    if p.is_finite() && p > 0.0 && p < 1.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidArgument { what, detail: format!("{p} is not strictly between 0 and 1") })
    }
}

fn check_lr(lr: f64, what: &'static str) -> Result<(), StatsError> {
    if lr.is_finite() && lr > 0.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidArgument { what, detail: format!("{lr} is not a finite number > 0") })
    }
}

/// Post-test probability from a pre-test probability and a likelihood ratio.
///
/// # Formula
/// METHODS §8.1: `q = expit(logit p + ln LR)` (= LR·p/(1 − p + LR·p)).
///
/// # References
/// Fagan (1975), NEJM 293:257.
pub fn post_test_probability(pre_test: f64, lr: f64) -> Result<f64, StatsError> {
    check_prob(pre_test, "pre-test probability")?;
    check_lr(lr, "likelihood ratio")?;
    Ok(prob_from_logit(logit_from_prob(pre_test) + lr.ln()))
}

/// Input of [`fagan`]: pre-test probability and the pooled likelihood ratios (CIs optional).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaganInput {
    pub pre_test: f64,
    pub lr_positive: f64,
    pub lr_positive_ci: Option<[f64; 2]>,
    pub lr_negative: f64,
    pub lr_negative_ci: Option<[f64; 2]>,
}

/// A tick on one nomogram axis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tick {
    /// Vertical coordinate u.
    pub u: f64,
    /// The value at the tick (probability as a fraction, or the LR).
    pub value: f64,
    /// Text to print (per cent for probabilities).
    pub label: String,
}

/// One nomogram axis at horizontal position `x`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NomogramAxis {
    pub name: std::borrow::Cow<'static, str>,
    pub x: f64,
    pub ticks: Vec<Tick>,
}

/// A straight line across the nomogram, from the pre-test axis (x = −1) to the post-test axis (x = +1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NomogramLine {
    pub lr: f64,
    pub post_test: f64,
    /// `[x, u]` at the pre-test axis.
    pub start: [f64; 2],
    /// `[x, u]` at the LR axis.
    pub middle: [f64; 2],
    /// `[x, u]` at the post-test axis.
    pub end: [f64; 2],
}

/// Fagan nomogram: numbers and drawing geometry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fagan {
    pub pre_test: f64,
    pub lr_positive: f64,
    pub lr_negative: f64,
    /// Post-test probability after a positive test, with the LR+ CI mapped through the same formula.
    pub post_test_positive: Estimate,
    /// Post-test probability after a negative test, with the LR− CI mapped through the same formula.
    pub post_test_negative: Estimate,
    /// Whether the post-test CIs come from LR CIs (otherwise they equal the point value).
    pub has_ci: bool,
    pub axes: [NomogramAxis; 3],
    pub line_positive: NomogramLine,
    pub line_negative: NomogramLine,
    /// `[−U_RANGE, U_RANGE]`.
    pub u_range: [f64; 2],
}

fn fmt_num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// The straight line of one likelihood ratio across the nomogram (the plot layer draws it).
///
/// # Formula
/// METHODS §8.1: from `(−1, −logit p)` through `(0, ½ ln LR)` to `(+1, logit p + ln LR)`.
///
/// # References
/// Fagan (1975); midas `fagani`.
pub fn nomogram_line(pre_test: f64, lr: f64) -> NomogramLine {
    let lp = logit_from_prob(pre_test);
    let post = prob_from_logit(lp + lr.ln());
    NomogramLine {
        lr,
        post_test: post,
        start: [-1.0, -lp],
        middle: [0.0, 0.5 * lr.ln()],
        end: [1.0, lp + lr.ln()],
    }
}

/// The three nomogram axes (pre-test at x = −1, LR at x = 0, post-test at x = +1).
///
/// # Formula
/// METHODS §8.1: pre-test p at `u = −logit p`, LR at `u = ½ ln LR`, post-test q at `u = logit q`;
/// ticks from [`PROBABILITY_TICKS_PERCENT`] and [`LR_TICKS`].
///
/// # References
/// Fagan (1975); midas `fagani`.
pub fn nomogram_axes() -> [NomogramAxis; 3] {
    let prob_ticks = |sign: f64| -> Vec<Tick> {
        PROBABILITY_TICKS_PERCENT
            .iter()
            .map(|&pc| {
                let p = pc / 100.0;
                Tick { u: sign * logit_from_prob(p), value: p, label: fmt_num(pc) }
            })
            .collect()
    };
    [
        NomogramAxis { name: "pre-test probability (%)".into(), x: -1.0, ticks: prob_ticks(-1.0) },
        NomogramAxis {
            name: "likelihood ratio".into(),
            x: 0.0,
            ticks: LR_TICKS
                .iter()
                .map(|&lr| Tick { u: 0.5 * lr.ln(), value: lr, label: fmt_num(lr) })
                .collect(),
        },
        NomogramAxis { name: "post-test probability (%)".into(), x: 1.0, ticks: prob_ticks(1.0) },
    ]
}

/// Fagan nomogram: post-test probabilities after a positive and a negative test, plus geometry.
///
/// # Formula
/// METHODS §8.1: `q± = expit(logit p + ln LR±)`; CI limits of q± are the LR± limits mapped through
/// the same (monotone) formula [DERIVED].
///
/// # References
/// Fagan (1975), NEJM 293:257; midas `fagani`.
pub fn fagan(input: &FaganInput) -> Result<Fagan, StatsError> {
    check_prob(input.pre_test, "pre-test probability")?;
    check_lr(input.lr_positive, "LR+")?;
    check_lr(input.lr_negative, "LR−")?;
    for ci in [input.lr_positive_ci, input.lr_negative_ci].into_iter().flatten() {
        check_lr(ci[0], "LR confidence limit")?;
        check_lr(ci[1], "LR confidence limit")?;
    }
    let p = input.pre_test;
    let map = |lr: f64, ci: Option<[f64; 2]>| -> Result<Estimate, StatsError> {
        let q = post_test_probability(p, lr)?;
        let [a, b] = ci.unwrap_or([lr, lr]);
        let (qa, qb) = (post_test_probability(p, a)?, post_test_probability(p, b)?);
        Ok(Estimate::new(q, qa.min(qb), qa.max(qb)))
    };
    Ok(Fagan {
        pre_test: p,
        lr_positive: input.lr_positive,
        lr_negative: input.lr_negative,
        post_test_positive: map(input.lr_positive, input.lr_positive_ci)?,
        post_test_negative: map(input.lr_negative, input.lr_negative_ci)?,
        has_ci: input.lr_positive_ci.is_some() || input.lr_negative_ci.is_some(),
        axes: nomogram_axes(),
        line_positive: nomogram_line(p, input.lr_positive),
        line_negative: nomogram_line(p, input.lr_negative),
        u_range: [-U_RANGE, U_RANGE],
    })
}

/// Pooled prevalence `Σn1/ΣN`, midas 2007's default pre-test probability.
///
/// # Formula
/// METHODS §8.1: `Σ(TP+FN)/Σ(TP+FP+FN+TN)`.
///
/// # References
/// midas 2007 `fagani` (Dwamena).
///
/// `None` when there are no participants, or the pooled prevalence is 0 or 1 (not a usable prior).
pub fn pooled_prevalence(studies: &[Study]) -> Option<f64> {
    let n1: u64 = studies.iter().map(Study::n_diseased).sum();
    let n: u64 = studies.iter().map(Study::n_total).sum();
    let p = n1 as f64 / n as f64;
    (n > 0 && p > 0.0 && p < 1.0).then_some(p)
}

/// Quadrant of the LR scattergram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LrQuadrant {
    /// LR+ > 10 and LR− < 0.1: "exclusion & confirmation".
    LeftUpper,
    /// LR+ > 10 and LR− ≥ 0.1: "confirmation only".
    RightUpper,
    /// LR+ ≤ 10 and LR− < 0.1: "exclusion only".
    LeftLower,
    /// LR+ ≤ 10 and LR− ≥ 0.1: "neither".
    RightLower,
}

impl LrQuadrant {
    /// Classify a pair (LR+, LR−) with the midas thresholds 10 and 0.1.
    ///
    /// # Formula
    /// METHODS §8.2: upper when LR+ > 10, left when LR− < 0.1.
    ///
    /// # References
    /// midas `lrmatrix`; Stengel et al. (2003), Lancet Infect Dis 3:331.
    pub fn classify(lr_positive: f64, lr_negative: f64) -> Self {
        match (lr_positive > 10.0, lr_negative < 0.1) {
            (true, true) => LrQuadrant::LeftUpper,
            (true, false) => LrQuadrant::RightUpper,
            (false, true) => LrQuadrant::LeftLower,
            (false, false) => LrQuadrant::RightLower,
        }
    }
    /// midas's short name (LUQ, RUQ, LLQ, RLQ).
    ///
    /// # Formula
    /// METHODS §8.2 (naming only).
    ///
    /// # References
    /// midas `lrmatrix`.
    pub fn code(self) -> &'static str {
        match self {
            LrQuadrant::LeftUpper => "LUQ",
            LrQuadrant::RightUpper => "RUQ",
            LrQuadrant::LeftLower => "LLQ",
            LrQuadrant::RightLower => "RLQ",
        }
    }
    /// Clinical reading of the quadrant.
    ///
    /// # Formula
    /// METHODS §8.2 (wording of the quadrants).
    ///
    /// # References
    /// midas `lrmatrix`.
    pub fn description(self) -> &'static str {
        match self {
            LrQuadrant::LeftUpper => "exclusion & confirmation",
            LrQuadrant::RightUpper => "confirmation only",
            LrQuadrant::LeftLower => "exclusion only",
            LrQuadrant::RightLower => "neither exclusion nor confirmation",
        }
    }
}

/// One point of the LR scattergram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrPoint {
    pub label: String,
    /// x coordinate.
    pub lr_negative: f64,
    /// y coordinate.
    pub lr_positive: f64,
    pub quadrant: LrQuadrant,
}

/// The pooled point with its CI cross-hairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrSummaryPoint {
    pub lr_positive: Estimate,
    pub lr_negative: Estimate,
    pub quadrant: LrQuadrant,
}

/// LR scattergram data (log–log axes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrScattergram {
    pub points: Vec<LrPoint>,
    pub summary: Option<LrSummaryPoint>,
    /// Horizontal reference line (LR+ = 10).
    pub lr_positive_reference: f64,
    /// Vertical reference line (LR− = 0.1).
    pub lr_negative_reference: f64,
    pub warnings: Vec<String>,
}

/// Likelihood-ratio scattergram: per-study (LR−, LR+) from corrected counts, quadrant of each.
///
/// # Formula
/// METHODS §8.2 with §1.2/§1.3 (LR± from corrected counts); quadrants by LR+ > 10 and LR− < 0.1.
///
/// # References
/// midas `lrmatrix` (Dwamena 2007); Stengel et al. (2003) for the thresholds.
pub fn lr_scattergram(
    studies: &[Study],
    correction: &Correction,
    summary: Option<(Estimate, Estimate)>,
) -> Result<LrScattergram, StatsError> {
    let (sub, _, mut warnings) = two_step_subset(studies);
    let cc = correction.apply(&sub);
    let mut points = Vec::with_capacity(sub.len());
    for (s, c) in sub.iter().zip(&cc) {
        match (lr_positive(c, 0.95), lr_negative(c, 0.95)) {
            (Some(p), Some(n)) => points.push(LrPoint {
                label: s.label.clone(),
                lr_negative: n.estimate,
                lr_positive: p.estimate,
                quadrant: LrQuadrant::classify(p.estimate, n.estimate),
            }),
            _ => warnings.push(format!(
                "{}: LR+ or LR− is not estimable (zero cell, correction '{}'); the point is omitted",
                s.label,
                correction.rule.name()
            )),
        }
    }
    let summary = match summary {
        Some((p, n)) => {
            if !(p.is_finite() && n.is_finite() && p.estimate > 0.0 && n.estimate > 0.0) {
                return Err(StatsError::InvalidArgument {
                    what: "LR scattergram summary point",
                    detail: "pooled LRs and their limits must be finite and > 0".into(),
                });
            }
            Some(LrSummaryPoint {
                lr_positive: p,
                lr_negative: n,
                quadrant: LrQuadrant::classify(p.estimate, n.estimate),
            })
        }
        None => None,
    };
    Ok(LrScattergram { points, summary, lr_positive_reference: 10.0, lr_negative_reference: 0.1, warnings })
}

/// Probability-modifying curves over the prior.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbabilityCurves {
    pub prior: Vec<f64>,
    /// `q+(p)`.
    pub post_positive: Vec<f64>,
    /// `q−(p)`.
    pub post_negative: Vec<f64>,
}

/// Probability-modifying ("conditional probability") curves on an even grid of `n_points` priors
/// in [0, 1] (endpoints included; the diagonal q = p is the prior itself).
///
/// # Formula
/// METHODS §8.3: `q±(p) = LR±·p/(1 − p + LR±·p)`.
///
/// # References
/// midas `pddam` (Dwamena 2007).
pub fn probability_curves(
    lr_positive: f64,
    lr_negative: f64,
    n_points: usize,
) -> Result<ProbabilityCurves, StatsError> {
    check_lr(lr_positive, "LR+")?;
    check_lr(lr_negative, "LR−")?;
    if n_points < 2 {
        return Err(StatsError::InvalidArgument {
            what: "probability curves",
            detail: format!("need at least 2 grid points, got {n_points}"),
        });
    }
    let prior: Vec<f64> = (0..n_points).map(|i| i as f64 / (n_points - 1) as f64).collect();
    let f = |lr: f64, p: f64| lr * p / (1.0 - p + lr * p);
    Ok(ProbabilityCurves {
        post_positive: prior.iter().map(|&p| f(lr_positive, p)).collect(),
        post_negative: prior.iter().map(|&p| f(lr_negative, p)).collect(),
        prior,
    })
}

/// Unconditional predictive values averaged over a uniform prior on `[c1, c2]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnconditionalPredictiveValues {
    pub ppv: f64,
    pub npv: f64,
}

/// Unconditional PPV and NPV for a uniform prior on `[c1, c2]` (midas 2007 `pddami`).
///
/// # Formula
/// METHODS §8.3 with `D = Se + Sp − 1`:
/// `uPPV = Se/D − Se(1−Sp)·ln[(c2Se + (1−c2)(1−Sp))/(c1Se + (1−c1)(1−Sp))]/((c2−c1)D²)`,
/// `uNPV = Sp/D − Sp(1−Se)·ln[((1−c1)Sp + c1(1−Se))/((1−c2)Sp + c2(1−Se))]/((c2−c1)D²)`.
///
/// # References
/// midas 2007 `pddami` (Dwamena).
pub fn unconditional_predictive_values(
    sens: f64,
    spec: f64,
    c1: f64,
    c2: f64,
) -> Result<UnconditionalPredictiveValues, StatsError> {
    check_prob(sens, "sensitivity")?;
    check_prob(spec, "specificity")?;
    if !(c1.is_finite() && c2.is_finite() && 0.0 <= c1 && c1 < c2 && c2 <= 1.0) {
        return Err(StatsError::InvalidArgument {
            what: "prior range",
            detail: format!("need 0 ≤ c1 < c2 ≤ 1, got [{c1}, {c2}]"),
        });
    }
    let d = sens + spec - 1.0;
    if d.abs() < 1e-12 {
        return Err(StatsError::NotEstimable {
            what: "unconditional predictive values",
            reason: "Se + Sp = 1 (uninformative test)".into(),
        });
    }
    let fpr = 1.0 - spec;
    let fnr = 1.0 - sens;
    let w = (c2 - c1) * d * d;
    let ppv =
        sens / d - sens * fpr * ((c2 * sens + (1.0 - c2) * fpr) / (c1 * sens + (1.0 - c1) * fpr)).ln() / w;
    let npv =
        spec / d - spec * fnr * (((1.0 - c1) * spec + c1 * fnr) / ((1.0 - c2) * spec + c2 * fnr)).ln() / w;
    if ppv.is_finite() && npv.is_finite() {
        Ok(UnconditionalPredictiveValues { ppv, npv })
    } else {
        Err(StatsError::NotEstimable {
            what: "unconditional predictive values",
            reason: "a logarithm argument is 0 at the end of the prior range".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_passes_through_lr_axis() {
        let l = nomogram_line(0.3, 5.0);
        // collinear: middle u is the mean of start and end u
        assert!(((l.start[1] + l.end[1]) / 2.0 - l.middle[1]).abs() < 1e-12);
        assert!((prob_from_logit(l.end[1]) - l.post_test).abs() < 1e-12);
    }

    #[test]
    fn uppv_matches_numeric_average() {
        let (se, sp, c1, c2) = (0.85, 0.9, 0.1, 0.6);
        let u = unconditional_predictive_values(se, sp, c1, c2).expect("upv");
        let m = 20000;
        let (mut a, mut b) = (0.0, 0.0);
        for i in 0..m {
            let p = c1 + (c2 - c1) * (i as f64 + 0.5) / m as f64;
            a += se * p / (se * p + (1.0 - sp) * (1.0 - p));
            b += sp * (1.0 - p) / (sp * (1.0 - p) + (1.0 - se) * p);
        }
        assert!((u.ppv - a / m as f64).abs() < 1e-7);
        assert!((u.npv - b / m as f64).abs() < 1e-7);
    }
}
