//! GRADE summary of findings in natural frequencies (METHODS §17) and the decision curve (net
//! benefit) from the pooled sensitivity and specificity.
//!
//! Everything is computed from the two logit means `μ̂ = (logit Se, logit Sp)` and their 2×2
//! covariance `V̂` (METHODS §2.8): the cells TP/FN map the interval of Se, TN/FP that of Sp
//! (monotone maps, §17); the quantities that need both margins (test positives, PPV, NPV, net
//! benefit) take the delta method on the logit means **with their covariance** — never two
//! independent intervals.

use super::estimate::Estimate;
use super::transform::{logit_from_prob, prob_from_logit};
use serde::{Deserialize, Serialize};

/// People per summary-of-findings column (GRADE DTA: per 1,000 tested).
pub const PER: f64 = 1000.0;

/// The pooled logit means and their covariance, the only inputs of this module.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogitMeans {
    pub mu: [f64; 2],
    pub vcov: [[f64; 2]; 2],
}

impl LogitMeans {
    fn quad(&self, g: [f64; 2]) -> f64 {
        let v = &self.vcov;
        (g[0] * g[0] * v[0][0] + 2.0 * g[0] * g[1] * v[0][1] + g[1] * g[1] * v[1][1]).max(0.0)
    }
    /// Usable: finite means, a positive semi-definite covariance with finite entries.
    fn usable(&self) -> bool {
        let v = &self.vcov;
        self.mu.iter().all(|m| m.is_finite())
            && v.iter().flatten().all(|x| x.is_finite())
            && v[0][0] >= 0.0
            && v[1][1] >= 0.0
            && v[0][0] * v[1][1] - v[0][1] * v[1][0] >= -1e-12 * (v[0][0] * v[1][1]).abs()
    }
}

/// Natural frequencies per [`PER`] people tested at one prevalence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frequencies {
    pub prevalence: f64,
    pub true_positives: Estimate,
    pub false_negatives: Estimate,
    pub true_negatives: Estimate,
    pub false_positives: Estimate,
    /// Test positives `N·[p·Se + (1−p)(1−Sp)]`, joint interval.
    pub test_positives: Estimate,
    /// Positive predictive value, joint interval (`logit PPV = logit p + ln LR+`).
    pub ppv: Estimate,
    /// Negative predictive value, joint interval (`logit(1−NPV) = logit p + ln LR−`).
    pub npv: Estimate,
}

/// Why a summary of findings cannot be computed.
#[derive(Clone, Debug, PartialEq)]
pub enum SofError {
    /// A prevalence outside (0, 1).
    Prevalence(f64),
    /// The means or their covariance are not finite / not a covariance.
    Unusable,
}

impl std::fmt::Display for SofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SofError::Prevalence(p) => {
                write!(f, "a prevalence must lie between 0 and 1 (exclusive); {p} was given")
            }
            SofError::Unusable => write!(f, "the pooled logit means have no usable covariance"),
        }
    }
}

impl std::error::Error for SofError {}

fn e(est: f64, lo: f64, hi: f64) -> Estimate {
    Estimate::new(est, lo.min(hi), hi.max(lo))
}

/// The natural frequencies at prevalence `p` with `z` the normal quantile of the level.
///
/// # Formula
/// METHODS §17: `TP = N·p·Se`, `FN = N·p·(1−Se)`, `TN = N·(1−p)·Sp`, `FP = N·(1−p)·(1−Sp)`, each
/// interval the image of `expit(μ_j ± z·se_j)` (§4.1). Test positives: `q = p·Se + (1−p)(1−Sp)`,
/// `logit q ± z·se`, `se² = g'V̂g`, `g = (p·Se(1−Se), −(1−p)·Sp(1−Sp)) / (q(1−q))`. PPV:
/// `logit p + ln LR+ ± z·se`, gradient of `ln LR+` = `(1−Se, Sp)`; NPV: `1 − expit(logit p + ln LR−
/// ∓ z·se)`, gradient of `ln LR−` = `(−Se, −(1−Sp))` (§4.2).
///
/// # References
/// Schünemann et al. 2008 (BMJ 336:1106), GRADE DTA guidance 2020 (J Clin Epidemiol 122:129).
///
/// # Errors
/// [`SofError`] for a prevalence outside (0, 1) or unusable inputs.
pub fn frequencies(m: &LogitMeans, p: f64, z: f64) -> Result<Frequencies, SofError> {
    if !(p > 0.0 && p < 1.0) {
        return Err(SofError::Prevalence(p));
    }
    if !m.usable() || !z.is_finite() {
        return Err(SofError::Unusable);
    }
    let se = [m.vcov[0][0].sqrt(), m.vcov[1][1].sqrt()];
    let (sens, spec) = (prob_from_logit(m.mu[0]), prob_from_logit(m.mu[1]));
    let sens_ci = [prob_from_logit(m.mu[0] - z * se[0]), prob_from_logit(m.mu[0] + z * se[0])];
    let spec_ci = [prob_from_logit(m.mu[1] - z * se[1]), prob_from_logit(m.mu[1] + z * se[1])];
    let (d, h) = (PER * p, PER * (1.0 - p));
    let q = p * sens + (1.0 - p) * (1.0 - spec);
    let gq = [p * sens * (1.0 - sens), -(1.0 - p) * spec * (1.0 - spec)];
    let sq = m.quad(gq).sqrt() / (q * (1.0 - q));
    let lq = logit_from_prob(q);
    let lp = logit_from_prob(p);
    let l_plus = sens.ln() - (1.0 - spec).ln();
    let s_plus = m.quad([1.0 - sens, spec]).sqrt();
    let l_minus = (1.0 - sens).ln() - spec.ln();
    let s_minus = m.quad([-sens, -(1.0 - spec)]).sqrt();
    Ok(Frequencies {
        prevalence: p,
        true_positives: e(d * sens, d * sens_ci[0], d * sens_ci[1]),
        false_negatives: e(d * (1.0 - sens), d * (1.0 - sens_ci[1]), d * (1.0 - sens_ci[0])),
        true_negatives: e(h * spec, h * spec_ci[0], h * spec_ci[1]),
        false_positives: e(h * (1.0 - spec), h * (1.0 - spec_ci[1]), h * (1.0 - spec_ci[0])),
        test_positives: e(PER * q, PER * prob_from_logit(lq - z * sq), PER * prob_from_logit(lq + z * sq)),
        ppv: e(
            prob_from_logit(lp + l_plus),
            prob_from_logit(lp + l_plus - z * s_plus),
            prob_from_logit(lp + l_plus + z * s_plus),
        ),
        npv: e(
            1.0 - prob_from_logit(lp + l_minus),
            1.0 - prob_from_logit(lp + l_minus + z * s_minus),
            1.0 - prob_from_logit(lp + l_minus - z * s_minus),
        ),
    })
}

/// The default prevalences: minimum, median and maximum of the studies' `n1/(n1 + n0)` (METHODS
/// §17), each strictly inside (0, 1) (studies with no diseased or no healthy participants are
/// left out), without repeats. Empty when no study qualifies.
pub fn default_prevalences(n1_n0: &[(u64, u64)]) -> Vec<f64> {
    let mut p: Vec<f64> =
        n1_n0.iter().filter(|(a, b)| *a > 0 && *b > 0).map(|&(a, b)| a as f64 / (a + b) as f64).collect();
    if p.is_empty() {
        return p;
    }
    p.sort_by(f64::total_cmp);
    let n = p.len();
    let median = if n % 2 == 1 { p[n / 2] } else { 0.5 * (p[n / 2 - 1] + p[n / 2]) };
    let mut out = vec![p[0], median, p[n - 1]];
    out.dedup();
    out
}

/// One point of the decision curve: net benefit (true positives per person, net of false
/// positives weighted by the threshold odds) of testing, treating everyone and treating no one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetBenefit {
    pub threshold: f64,
    /// Test-guided treatment, with a delta-method interval from the joint uncertainty.
    pub test: Estimate,
    pub treat_all: f64,
    /// Always 0.
    pub treat_none: f64,
    /// Net interventions avoided per person compared with treating all: `(NB_test − NB_all)/w`.
    pub interventions_avoided: f64,
}

/// The decision curve at prevalence `p` over `thresholds` (each in (0, 1); others are skipped).
///
/// # Formula
/// `w = t/(1−t)`; `NB_test = p·Se − (1−p)(1−Sp)·w`, `NB_all = p − (1−p)·w`, `NB_none = 0`;
/// interval `NB_test ± z·√(g'V̂g)`, `g = (p·Se(1−Se), (1−p)·w·Sp(1−Sp))` (natural scale: net benefit
/// can be negative). Interventions avoided: `(NB_test − NB_all)/w`.
///
/// # References
/// Vickers & Elkin 2006 (Med Decis Making 26:565); Vickers, van Calster, Steyerberg 2016 (BMJ
/// 352:i6).
///
/// # Errors
/// As [`frequencies`].
pub fn decision_curve(
    m: &LogitMeans,
    p: f64,
    thresholds: &[f64],
    z: f64,
) -> Result<Vec<NetBenefit>, SofError> {
    if !(p > 0.0 && p < 1.0) {
        return Err(SofError::Prevalence(p));
    }
    if !m.usable() || !z.is_finite() {
        return Err(SofError::Unusable);
    }
    let (sens, spec) = (prob_from_logit(m.mu[0]), prob_from_logit(m.mu[1]));
    Ok(thresholds
        .iter()
        .filter(|t| **t > 0.0 && **t < 1.0)
        .map(|&t| {
            let w = t / (1.0 - t);
            let nb = p * sens - (1.0 - p) * (1.0 - spec) * w;
            let g = [p * sens * (1.0 - sens), (1.0 - p) * w * spec * (1.0 - spec)];
            let s = m.quad(g).sqrt();
            let all = p - (1.0 - p) * w;
            NetBenefit {
                threshold: t,
                test: Estimate::new(nb, nb - z * s, nb + z * s),
                treat_all: all,
                treat_none: 0.0,
                interventions_avoided: (nb - all) / w,
            }
        })
        .collect())
}

/// The thresholds of the decision curve's figure: 1 % to 99 % in steps of 1 %.
pub fn curve_thresholds() -> Vec<f64> {
    (1..100).map(|i| i as f64 / 100.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::rng::SplitMix64 as Rng;

    /// AuditC, Laplace optimum (METHODS §12.2).
    fn audit() -> LogitMeans {
        LogitMeans {
            mu: [2.511161, 1.276197],
            vcov: [[0.461782f64.powi(2), -0.058295], [-0.058295, 0.168868f64.powi(2)]],
        }
    }

    #[test]
    fn cells_by_hand() {
        let m = audit();
        let f = frequencies(&m, 0.1, 1.959964).expect("sof");
        // Se = 0.9249206, Sp = 0.7818017 (§12.4): TP = 100·Se, TN = 900·Sp.
        assert!((f.true_positives.estimate - 92.49206).abs() < 1e-3);
        assert!((f.false_negatives.estimate - 7.50794).abs() < 1e-3);
        assert!((f.true_negatives.estimate - 703.62153).abs() < 1e-2);
        assert!((f.false_positives.estimate - 196.37847).abs() < 1e-2);
        // Limits from the §12.4 intervals: Se [0.8328671, 0.9682081], Sp [0.7201532, 0.8330184].
        assert!((f.true_positives.ci[0] - 83.28671).abs() < 1e-3);
        assert!((f.false_negatives.ci[1] - 16.71329).abs() < 1e-3);
        assert!((f.false_positives.ci[0] - 900.0 * (1.0 - 0.8330184)).abs() < 1e-2);
        let sum = f.true_positives.estimate
            + f.false_negatives.estimate
            + f.true_negatives.estimate
            + f.false_positives.estimate;
        assert!((sum - PER).abs() < 1e-9);
        assert!(
            (f.test_positives.estimate - (f.true_positives.estimate + f.false_positives.estimate)).abs()
                < 1e-9
        );
        // PPV = TP / test positives.
        assert!((f.ppv.estimate - f.true_positives.estimate / f.test_positives.estimate).abs() < 1e-12);
        assert!(
            (f.npv.estimate - f.true_negatives.estimate / (PER - f.test_positives.estimate)).abs() < 1e-12
        );
    }

    /// Percentiles of the quantities under draws from N(μ̂, V̂) against the delta-method limits;
    /// and the same draws with the covariance dropped give visibly different limits (the test
    /// would catch intervals built from two independent margins).
    #[test]
    fn joint_intervals_match_simulation() {
        let m = audit();
        let p = 0.2;
        let f = frequencies(&m, p, 1.959964).expect("sof");
        let draw = |cov: f64, seed: u64| {
            let mut rng = Rng::new(seed);
            let v = m.vcov;
            let l11 = v[0][0].sqrt();
            let l21 = cov / l11;
            let l22 = (v[1][1] - l21 * l21).sqrt();
            let (mut tpos, mut ppv, mut npv) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..40_000 {
                let (a, b) = (rng.normal(), rng.normal());
                let se = prob_from_logit(m.mu[0] + l11 * a);
                let sp = prob_from_logit(m.mu[1] + l21 * a + l22 * b);
                let q = p * se + (1.0 - p) * (1.0 - sp);
                tpos.push(PER * q);
                ppv.push(p * se / q);
                npv.push((1.0 - p) * sp / (1.0 - q));
            }
            [tpos, ppv, npv].map(|mut x| {
                x.sort_by(f64::total_cmp);
                [x[(0.025 * x.len() as f64) as usize], x[(0.975 * x.len() as f64) as usize]]
            })
        };
        let joint = draw(m.vcov[0][1], 7);
        let indep = draw(0.0, 7);
        // Width-relative agreement: delta vs simulation on the scale where each CI was built.
        let close = |ci: [f64; 2], sim: [f64; 2], tol: f64| {
            let w = ci[1] - ci[0];
            (ci[0] - sim[0]).abs() < tol * w && (ci[1] - sim[1]).abs() < tol * w
        };
        assert!(close(f.test_positives.ci, joint[0], 0.06), "{:?} {:?}", f.test_positives.ci, joint[0]);
        assert!(close(f.ppv.ci, joint[1], 0.06), "{:?} {:?}", f.ppv.ci, joint[1]);
        assert!(close(f.npv.ci, joint[2], 0.08), "{:?} {:?}", f.npv.ci, joint[2]);
        // Without the covariance the test-positive interval is clearly narrower (r = −0.75).
        let wj = joint[0][1] - joint[0][0];
        let wi = indep[0][1] - indep[0][0];
        assert!(wi < 0.85 * wj, "independent {wi} joint {wj}");
    }

    #[test]
    fn decision_curve_identities() {
        let m = audit();
        let p = 0.3;
        let d = decision_curve(&m, p, &[0.0, 0.05, 0.3, 0.5, 1.0], 1.959964).expect("curve");
        assert_eq!(d.len(), 3);
        let (se, sp) = (0.9249206, 0.7818017);
        let nb = p * se - (1.0 - p) * (1.0 - sp) * (0.3 / 0.7);
        assert!((d[1].test.estimate - nb).abs() < 1e-6);
        // At the threshold equal to the prevalence, treat-all has zero net benefit.
        assert!(d[1].treat_all.abs() < 1e-12);
        assert!(d[0].test.ci[0] < d[0].test.estimate && d[0].test.estimate < d[0].test.ci[1]);
        assert!(frequencies(&m, 1.0, 1.96).is_err());
        assert_eq!(default_prevalences(&[(10, 90), (0, 5), (30, 70), (50, 50)]), vec![0.1, 0.3, 0.5]);
        assert_eq!(default_prevalences(&[(10, 90)]), vec![0.1]);
    }
}
