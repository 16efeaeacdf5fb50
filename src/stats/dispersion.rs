//! Between-study dispersion as Meta-DiSc 2.0 reports it beside τ², ρ and I² (METHODS §5.5): the
//! latent-scale ICC and the median odds ratio of each margin, and the area of the prediction
//! ellipse (the region of METHODS §4.3 a new study's (logit Se, logit Sp) falls in).
//!
//! Meta-DiSc 2.0 (Plana et al. 2022, BMC Med Res Methodol 22:288) lists "logit variances,
//! prediction ellipses, median odds ratios" among its heterogeneity outputs; its source is not
//! public, so the formulas are METHODS §5.5 (Larsen & Merlo 2005 for the MOR) and, for the area,
//! the ellipse's closed form on the logit scale and the polygon area in ROC space of the region
//! the SROC plot draws. Which of the two Meta-DiSc prints is not documented: both are given.

use super::bivariate::BivariateResult;
use super::estimate::Estimate;
use super::glmm::likelihood::CovStructure;
use super::heterogeneity::{icc, median_odds_ratio, MedianOddsRatio};
use super::summary::region;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// One margin's ICC and MOR.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarginDispersion {
    /// `τ²/(τ² + π²/3)`; CI by the delta method on `se(τ²)` when the fit gives it.
    pub icc: Estimate,
    /// `exp(√(2τ²)·Φ⁻¹(0.75))` with the τ² limits plugged in, and midas's MOR/(1 + MOR).
    pub median_odds_ratio: MedianOddsRatio,
    /// True when the fit gave no SE of τ² (REML, boundary): the intervals then equal the estimate.
    pub no_interval: bool,
}

/// The dispersion summaries of one pooled fit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dispersion {
    pub sensitivity: Option<MarginDispersion>,
    pub specificity: Option<MarginDispersion>,
    /// Area of the prediction ellipse on the (logit Se, logit Sp) plane: `π·c²·√det(Σ + V_μ)`.
    pub prediction_ellipse_area_logit: Option<f64>,
    /// Area of the same region in ROC space (FPR × Se, unit square), by the shoelace formula on
    /// 4001 boundary points.
    pub prediction_region_area_roc: Option<f64>,
    /// The region's radius `c` (F or χ² quantile at the analysis's level, as the SROC plot).
    pub region_radius: Option<f64>,
}

/// `se(τ²_j)` from the fit's covariance of the working parameters: `2τ²·se(ln τ)`.
fn se_tau2(fit: &BivariateResult, margin: usize) -> Option<f64> {
    let v = fit.internal.vcov_theta.as_ref()?;
    let idx = match (fit.internal.cov?, margin) {
        (CovStructure::Full | CovStructure::RhoFixed(_) | CovStructure::Independent, m) => 2 + m,
        (CovStructure::SensOnly, 0) | (CovStructure::SpecOnly, 1) => 2,
        _ => return None,
    };
    let t2 = if margin == 0 { fit.model.tau2_logit_sens } else { fit.model.tau2_logit_spec };
    let s = v.get((idx, idx)).copied()?.sqrt();
    (s.is_finite()).then_some(2.0 * t2 * s)
}

fn margin(fit: &BivariateResult, j: usize, level: f64) -> Option<MarginDispersion> {
    let m = &fit.model;
    let (t2, ci) = if j == 0 {
        (m.tau2_logit_sens, m.tau2_logit_sens_ci)
    } else {
        (m.tau2_logit_spec, m.tau2_logit_spec_ci)
    };
    if !(t2.is_finite() && t2 >= 0.0) {
        return None;
    }
    let se = se_tau2(fit, j);
    let icc_e = icc(t2, se.unwrap_or(0.0), level).ok()?;
    let mor = median_odds_ratio(t2, ci).ok()?;
    Some(MarginDispersion { icc: icc_e, median_odds_ratio: mor, no_interval: se.is_none() || ci.is_none() })
}

/// Shoelace area of a closed polygon.
fn polygon_area(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len();
    let mut s = 0.0;
    for i in 0..n {
        let (x1, y1) = pts[i];
        let (x2, y2) = pts[(i + 1) % n];
        s += x1 * y2 - x2 * y1;
    }
    0.5 * s.abs()
}

/// ICC, MOR and the prediction-ellipse area of a pooled fit.
///
/// # Formula
/// ICC, MOR: METHODS §5.5 (`heterogeneity::icc`, `heterogeneity::median_odds_ratio`).
/// Ellipse: `{x : (x − μ)ᵀ(Σ + V_μ)⁻¹(x − μ) ≤ c²}` (§4.3) has area `π c² √det(Σ + V_μ)` on the
/// logit plane; its image in ROC space is measured as a polygon.
///
/// # References
/// Larsen & Merlo (2005) Am J Epidemiol 161:81; Plana et al. (2022) (Meta-DiSc 2.0);
/// Harbord et al. (2007) for the regions.
pub fn dispersion(fit: &BivariateResult, level: f64) -> Dispersion {
    let m = &fit.model;
    let c = fit.sroc.region_radius;
    let pooled = m.pooled(fit.k);
    let s11 = pooled.tau2[0] + pooled.vcov_mu[0][0];
    let s22 = pooled.tau2[1] + pooled.vcov_mu[1][1];
    let s12 = pooled.cov12 + pooled.vcov_mu[0][1];
    let det = (s11 * s22 - s12 * s12).max(0.0);
    let bivariate = fit.hsroc.is_some() && det.is_finite();
    let logit_area = c.filter(|_| bivariate).map(|c| PI * c * c * det.sqrt());
    let roc_area = c.filter(|_| bivariate).map(|c| polygon_area(&region(&pooled, c, true, 4001)));
    Dispersion {
        sensitivity: margin(fit, 0, level),
        specificity: margin(fit, 1, level),
        prediction_ellipse_area_logit: logit_area.filter(|a| a.is_finite()),
        prediction_region_area_roc: roc_area.filter(|a| a.is_finite()),
        region_radius: c,
    }
}
