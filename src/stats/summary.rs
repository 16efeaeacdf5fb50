//! Derived summaries of a bivariate fit (METHODS §4): pooled sensitivity and specificity, LR±, DOR,
//! confidence and prediction regions, HSROC parameters, the SROC curve and its area.

use super::estimate::Estimate;
use super::glmm::quadrature::gauss_legendre;
use super::transform::{chi2_quantile, f_quantile, logit_from_prob, prob_from_logit};
use serde::{Deserialize, Serialize};

/// The pooled parameters every summary is computed from, in the orientation of METHODS §0.2
/// (logit sensitivity, logit specificity).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pooled {
    pub mu: [f64; 2],
    pub vcov_mu: [[f64; 2]; 2],
    pub tau2: [f64; 2],
    pub cov12: f64,
    pub k: usize,
}

impl Pooled {
    pub fn se(&self) -> [f64; 2] {
        [self.vcov_mu[0][0].sqrt(), self.vcov_mu[1][1].sqrt()]
    }
}

/// Which radius the 95% regions use (METHODS §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RegionKind {
    /// `c = √(2·F_{2,k−2}(level))` (metandi, midas, MetaDTA). Default.
    #[default]
    F,
    /// `c = √χ²_2(level)` (mada).
    #[serde(alias = "chi_square")]
    ChiSquare,
}

crate::impl_choice!(RegionKind, "region", [F => "f", ChiSquare => "chi2" | "chisq" | "chi-square"]);

/// Pooled sensitivity, specificity, LR+, LR−, DOR with CIs (METHODS §4.1–§4.2).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SummaryPoint {
    pub sensitivity: Estimate,
    pub specificity: Estimate,
    pub false_positive_rate: Estimate,
    #[serde(rename = "LR_positive")]
    pub lr_positive: Estimate,
    #[serde(rename = "LR_negative")]
    pub lr_negative: Estimate,
    #[serde(rename = "DOR")]
    pub dor: Estimate,
    /// `1/LR−`.
    pub inverse_lr_negative: Estimate,
}

fn quad(g: [f64; 2], v: &[[f64; 2]; 2]) -> f64 {
    g[0] * g[0] * v[0][0] + 2.0 * g[0] * g[1] * v[0][1] + g[1] * g[1] * v[1][1]
}

/// # Formula
/// METHODS §4.1: `Se = expit(μ1)`, CI `expit(μ1 ± z·se1)`. §4.2: log-scale delta method with
/// gradients LR+ `(1−Se, Sp)`, LR− `(−Se, −(1−Sp))`, DOR `(1, 1)`, 1/LR− `(Se, 1−Sp)`.
pub fn summary_point(p: &Pooled, z: f64) -> SummaryPoint {
    let se = p.se();
    let sens = prob_from_logit(p.mu[0]);
    let spec = prob_from_logit(p.mu[1]);
    let logit_ci = |m: f64, s: f64| {
        Estimate::new(prob_from_logit(m), prob_from_logit(m - z * s), prob_from_logit(m + z * s))
    };
    let log_ci = |lv: f64, g: [f64; 2]| {
        let s = quad(g, &p.vcov_mu).sqrt();
        Estimate::new(lv.exp(), (lv - z * s).exp(), (lv + z * s).exp())
    };
    let sp = logit_ci(p.mu[1], se[1]);
    SummaryPoint {
        sensitivity: logit_ci(p.mu[0], se[0]),
        specificity: sp,
        false_positive_rate: Estimate::new(1.0 - sp.estimate, 1.0 - sp.ci[1], 1.0 - sp.ci[0]),
        lr_positive: log_ci((sens / (1.0 - spec)).ln(), [1.0 - sens, spec]),
        lr_negative: log_ci(((1.0 - sens) / spec).ln(), [-sens, -(1.0 - spec)]),
        dor: log_ci(p.mu[0] + p.mu[1], [1.0, 1.0]),
        inverse_lr_negative: log_ci((spec / (1.0 - sens)).ln(), [sens, 1.0 - spec]),
    }
}

/// A closed curve in ROC space, as `(1 − specificity, sensitivity)` pairs.
pub type Curve = Vec<(f64, f64)>;

/// The radius `c` of the regions (METHODS §4.3). `None` when `k < 3` for the F version.
pub fn region_radius(kind: RegionKind, k: usize, level: f64) -> Option<f64> {
    match kind {
        RegionKind::F => {
            if k < 3 {
                None
            } else {
                Some((2.0 * f_quantile(level, 2.0, k as f64 - 2.0)).sqrt())
            }
        }
        RegionKind::ChiSquare => Some(chi2_quantile(level, 2.0).sqrt()),
    }
}

/// Confidence (`prediction = false`) or prediction region, `n_points` points (METHODS §4.3).
pub fn region(p: &Pooled, c: f64, prediction: bool, n_points: usize) -> Curve {
    let (s1, s2, c12) = (p.vcov_mu[0][0].sqrt(), p.vcov_mu[1][1].sqrt(), p.vcov_mu[0][1]);
    let (a1, a2, r) = if prediction {
        let sp1 = (p.tau2[0] + s1 * s1).sqrt();
        let sp2 = (p.tau2[1] + s2 * s2).sqrt();
        (sp1, sp2, (p.cov12 + c12) / (sp1 * sp2))
    } else {
        (s1, s2, c12 / (s1 * s2))
    };
    let r = r.clamp(-1.0, 1.0);
    let ac = r.acos();
    (0..n_points)
        .map(|i| {
            let phi = 2.0 * std::f64::consts::PI * i as f64 / (n_points - 1).max(1) as f64;
            let x = p.mu[1] + a2 * c * phi.cos();
            let y = p.mu[0] + a1 * c * (phi + ac).cos();
            (1.0 - prob_from_logit(x), prob_from_logit(y))
        })
        .collect()
}

/// HSROC (Rutter–Gatsonis) parameters from the bivariate parameters (METHODS §4.4).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hsroc {
    #[serde(rename = "Lambda")]
    pub lambda: f64,
    #[serde(rename = "Theta")]
    pub theta: f64,
    pub beta: f64,
    pub sigma2_alpha: f64,
    pub sigma2_theta: f64,
}

/// # Formula
/// Harbord et al. 2007: `Λ = (σB/σA)^{½}μ1 + (σA/σB)^{½}μ2`, `Θ = ½[(σB/σA)^{½}μ1 − (σA/σB)^{½}μ2]`,
/// `β = ln(σB/σA)`, `σ²α = 2(σAσB + σAB)`, `σ²θ = ½(σAσB − σAB)`. `None` unless both τ > 0.
pub fn hsroc(p: &Pooled) -> Option<Hsroc> {
    let (sa, sb) = (p.tau2[0].sqrt(), p.tau2[1].sqrt());
    if !(sa > 0.0 && sb > 0.0) {
        return None;
    }
    let r = (sb / sa).sqrt();
    Some(Hsroc {
        lambda: r * p.mu[0] + p.mu[1] / r,
        theta: 0.5 * (r * p.mu[0] - p.mu[1] / r),
        beta: (sb / sa).ln(),
        sigma2_alpha: (2.0 * (sa * sb + p.cov12)).max(0.0),
        sigma2_theta: (0.5 * (sa * sb - p.cov12)).max(0.0),
    })
}

/// Logit sensitivity on the Rutter–Gatsonis SROC curve at a logit FPR (METHODS §4.5 a):
/// `logit Se = μ1 + (τ1/τ2)(logit FPR + μ2)`.
pub fn sroc_logit_sens(mu: [f64; 2], tau2: [f64; 2], logit_fpr: f64) -> f64 {
    mu[0] + (tau2[0] / tau2[1]).sqrt() * (logit_fpr + mu[1])
}

/// Points of the SROC curve for FPR in `(lo, hi)` (METHODS §4.5 a); `n` points equally spaced in FPR.
pub fn sroc_curve(p: &Pooled, fpr_range: (f64, f64), n: usize) -> Curve {
    if !(p.tau2[0] > 0.0 && p.tau2[1] > 0.0) {
        return Vec::new();
    }
    let (lo, hi) = (fpr_range.0.max(1e-4), fpr_range.1.min(1.0 - 1e-4));
    (0..n)
        .map(|i| {
            let x = lo + (hi - lo) * i as f64 / (n - 1).max(1) as f64;
            (x, prob_from_logit(sroc_logit_sens(p.mu, p.tau2, logit_from_prob(x))))
        })
        .collect()
}

/// The metandi display rule: keep the points with specificity ≥ the smallest observed specificity
/// and sensitivity ≥ the smallest observed sensitivity (METHODS §4.5).
pub fn truncate_metandi(curve: &Curve, min_spec: f64, min_sens: f64) -> Curve {
    curve.iter().copied().filter(|&(fpr, se)| 1.0 - fpr >= min_spec && se >= min_sens).collect()
}

/// Exact area under the Rutter–Gatsonis SROC curve (METHODS §4.6):
/// `∫ expit(a + b t) expit(t)(1 − expit(t)) dt` with `a + b t = μ1 + (τ1/τ2)(t + μ2)`,
/// composite Gauss–Legendre (100 panels × 8 points on [−40, 40]).
pub fn auc_exact(mu: [f64; 2], tau2: [f64; 2]) -> Option<f64> {
    if !(tau2[0] > 0.0 && tau2[1] > 0.0) {
        return None;
    }
    let slope = (tau2[0] / tau2[1]).sqrt();
    let icept = mu[0] + slope * mu[1];
    Some(integrate_logistic(icept, slope))
}

thread_local! {
    static GL8: (Vec<f64>, Vec<f64>) = gauss_legendre(8);
}

fn integrate_logistic(a: f64, b: f64) -> f64 {
    GL8.with(|(x, w)| {
        let (lo, hi, panels) = (-40.0, 40.0, 100);
        let h = (hi - lo) / panels as f64;
        let mut s = 0.0;
        for p in 0..panels {
            let c = lo + (p as f64 + 0.5) * h;
            for (xi, wi) in x.iter().zip(w) {
                let t = c + 0.5 * h * xi;
                let e = prob_from_logit(t);
                s += wi * prob_from_logit(a + b * t) * e * (1.0 - e);
            }
        }
        s * 0.5 * h
    })
}

/// mada's AUC rule (METHODS §4.6, `mada::AUC`): the Rutter–Gatsonis curve at FPR = 0.01…0.99,
/// trapezoid with end halves, divided by 99. Offered only to reproduce mada's printout.
pub fn auc_mada(mu: [f64; 2], tau2: [f64; 2]) -> Option<f64> {
    if !(tau2[0] > 0.0 && tau2[1] > 0.0) {
        return None;
    }
    let s = |x: f64| prob_from_logit(sroc_logit_sens(mu, tau2, logit_from_prob(x)));
    let mut total = 0.5 * s(0.01) + 0.5 * s(0.99);
    for j in 2..=98 {
        total += s(j as f64 / 100.0);
    }
    Some(total / 99.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit_c_laplace() -> Pooled {
        // METHODS §12.2 Laplace optimum.
        Pooled {
            mu: [2.511161, 1.276197],
            vcov_mu: [[0.461782f64.powi(2), -0.058295], [-0.058295, 0.168868f64.powi(2)]],
            tau2: [2.601147, 0.381193],
            cov12: -0.817852 * (2.601147f64 * 0.381193).sqrt(),
            k: 14,
        }
    }

    #[test]
    fn methods_12_4_summary() {
        let p = audit_c_laplace();
        let s = summary_point(&p, 1.959963984540054);
        assert!((s.sensitivity.estimate - 0.9249206).abs() < 2e-6);
        assert!((s.sensitivity.ci[0] - 0.8328671).abs() < 2e-5);
        assert!((s.lr_positive.estimate - 4.2389).abs() < 1e-3);
        assert!((s.dor.ci[1] - 88.3034).abs() < 0.05);
        let h = hsroc(&p).unwrap();
        assert!((h.lambda - 3.616345).abs() < 1e-4);
        assert!((h.beta - -0.960201).abs() < 1e-4);
        assert!((auc_exact(p.mu, p.tau2).unwrap() - 0.8871534).abs() < 1e-5);
        assert!((auc_mada(p.mu, p.tau2).unwrap() - 0.8860031).abs() < 1e-5);
        assert!((region_radius(RegionKind::F, 14, 0.95).unwrap() - 2.787577).abs() < 1e-6);
        assert!((region_radius(RegionKind::ChiSquare, 14, 0.95).unwrap() - 2.447747).abs() < 1e-6);
    }
}
