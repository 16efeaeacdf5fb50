//! RevMan's "externally calculated" parameters (METHODS §18) and the delta-method standard errors
//! of the HSROC parameters (METHODS §4.4).
//!
//! RevMan 5 and RevMan Web do not fit the bivariate model; they draw the SROC curve and the
//! confidence and prediction regions from 15 numbers the author types into the analysis dialog.
//! [`RevmanParameters`] holds them in the dialog's order: the HSROC set (Lambda, Theta, beta,
//! Var(accuracy), Var(threshold)), the bivariate set (E(logitSe), E(logitSp), Var(logitSe),
//! Var(logitSp), Cov(logits), Corr(logits)) and the set for the regions (SE(E(logitSe)),
//! SE(E(logitSp)), Cov(Es), Studies). Order and grouping as in dtametaTMB `R/as_revman.R`
//! (EBME-UWK/dtametaTMB: "HSROC model parameters" ×5, "Bivariate model parameters" ×6,
//! "Confidence and prediction regions" ×4) and midas 3 (`midas.ado`, the "Parameters for
//! Confidence and Prediction Regions" block: SE(E(logitse)), SE(E(logitsp)), Cov(Es), Studies).
//! The labels a user reads live in `report::revman`.

use super::bivariate::BivariateResult;
use super::glmm::likelihood::CovStructure;
use super::rng::SplitMix64;
use super::transform::z_for_level;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// The 15 numbers of RevMan's "externally calculated" SROC dialog, in its order.
///
/// The HSROC five are `None` when the HSROC transform does not exist (a variance at zero: rungs
/// FE-Se, FE-Sp, FE); `corr_logits` is `None` when ρ is not identified.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevmanParameters {
    /// Lambda (Λ), the HSROC accuracy parameter.
    pub lambda: Option<f64>,
    /// Theta (Θ), the HSROC threshold parameter.
    pub theta: Option<f64>,
    /// beta (β), the HSROC shape parameter.
    pub beta: Option<f64>,
    /// Var(accuracy) = σ²α.
    pub var_accuracy: Option<f64>,
    /// Var(threshold) = σ²θ.
    pub var_threshold: Option<f64>,
    /// E(logitSe) = μA.
    pub e_logit_se: f64,
    /// E(logitSp) = μB.
    pub e_logit_sp: f64,
    /// Var(logitSe) = τ²A.
    pub var_logit_se: f64,
    /// Var(logitSp) = τ²B.
    pub var_logit_sp: f64,
    /// Cov(logits) = σAB.
    pub cov_logits: f64,
    /// Corr(logits) = ρ.
    pub corr_logits: Option<f64>,
    /// SE(E(logitSe)).
    pub se_e_logit_se: f64,
    /// SE(E(logitSp)).
    pub se_e_logit_sp: f64,
    /// Cov(Es): the covariance of the two estimated means.
    pub cov_es: f64,
    /// Studies = k.
    pub studies: usize,
}

impl RevmanParameters {
    /// The parameters of a pooled fit.
    ///
    /// # Formula
    /// METHODS §18: the bivariate parameters as estimated; the HSROC set by §4.4 (`fit.hsroc`).
    ///
    /// # References
    /// dtametaTMB `as_revman.ReitsmaTMB` (same 15 quantities, same order); Harbord et al. (2007).
    pub fn from_fit(fit: &BivariateResult) -> RevmanParameters {
        let m = &fit.model;
        let h = fit.hsroc.as_ref();
        RevmanParameters {
            lambda: h.map(|h| h.lambda),
            theta: h.map(|h| h.theta),
            beta: h.map(|h| h.beta),
            var_accuracy: h.map(|h| h.sigma2_alpha),
            var_threshold: h.map(|h| h.sigma2_theta),
            e_logit_se: m.mu_logit_sens,
            e_logit_sp: m.mu_logit_spec,
            var_logit_se: m.tau2_logit_sens,
            var_logit_sp: m.tau2_logit_spec,
            cov_logits: m.cov_logit_sens_spec,
            corr_logits: m.rho,
            se_e_logit_se: m.se_logit_sens,
            se_e_logit_sp: m.se_logit_spec,
            cov_es: m.vcov_mu[0][1],
            studies: fit.k,
        }
    }

    /// The 15 values in the dialog's order (`None`: not estimable).
    ///
    /// # Formula
    /// None (the fields in order; `studies` as a number).
    ///
    /// # References
    /// dtametaTMB `R/as_revman.R`.
    pub fn values(&self) -> [Option<f64>; 15] {
        [
            self.lambda,
            self.theta,
            self.beta,
            self.var_accuracy,
            self.var_threshold,
            Some(self.e_logit_se),
            Some(self.e_logit_sp),
            Some(self.var_logit_se),
            Some(self.var_logit_sp),
            Some(self.cov_logits),
            self.corr_logits,
            Some(self.se_e_logit_se),
            Some(self.se_e_logit_sp),
            Some(self.cov_es),
            Some(self.studies as f64),
        ]
    }
}

/// A standard error and a confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeCi {
    pub estimate: f64,
    /// SE on the natural scale (for a variance: `σ²·se(ln σ²)`).
    pub se: f64,
    /// SE of `ln σ²` (variances only; their interval is `exp(ln σ² ± z·se_log)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub se_log: Option<f64>,
    pub ci: [f64; 2],
}

/// Delta-method SEs and CIs of the five HSROC parameters (METHODS §4.4).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct HsrocInference {
    #[serde(rename = "Lambda")]
    pub lambda: SeCi,
    #[serde(rename = "Theta")]
    pub theta: SeCi,
    pub beta: SeCi,
    /// `None` at ρ = −1, where σ²α = 0 (reported without CI, as metandi).
    pub sigma2_alpha: Option<SeCi>,
    /// `None` at ρ = +1, where σ²θ = 0.
    pub sigma2_theta: Option<SeCi>,
    pub level: f64,
    /// [`HSROC_SE_METHOD`].
    #[serde(deserialize_with = "se_method")]
    pub method: crate::stats::FixedText,
}

/// How the HSROC parameters' SEs are computed.
pub const HSROC_SE_METHOD: &str = "delta method, numerical gradient on the fit's working parameters";

fn se_method<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    crate::stats::known_text(d, &[HSROC_SE_METHOD])
}

/// `(Λ, Θ, β, ln σ²α, ln σ²θ)` from the working parameters `(μ1, μ2, ln τ1, ln τ2[, atanh ρ])`.
fn hsroc_working(cov: CovStructure, th: &[f64]) -> Option<[f64; 5]> {
    if th.len() < 4
        || !matches!(cov, CovStructure::Full | CovStructure::RhoFixed(_) | CovStructure::Independent)
    {
        return None;
    }
    let (sa, sb, rho) = cov.tau_rho(&th[2..]);
    let r = (sb / sa).sqrt();
    let sab = rho * sa * sb;
    let out = [
        r * th[0] + th[1] / r,
        0.5 * (r * th[0] - th[1] / r),
        (sb / sa).ln(),
        (2.0 * (sa * sb + sab)).ln(),
        (0.5 * (sa * sb - sab)).ln(),
    ];
    out[..3].iter().all(|x| x.is_finite()).then_some(out)
}

/// Delta-method SEs and CIs of the HSROC parameters of a GLMM fit.
///
/// # Formula
/// METHODS §4.4: `g(θ) = (Λ, Θ, β, ln σ²α, ln σ²θ)` of the working parameters θ (`μ`, `ln τ`,
/// `atanh ρ`), `Var g = J V_θ Jᵀ` with `J` by central differences (step `1e-5·max(1, |θ_j|)`);
/// Wald CIs for Λ, Θ, β; `exp(ln σ² ± z·se)` for the variances (metandi `ci(log)`). At ρ = −1
/// σ²α = 0, at ρ = +1 σ²θ = 0: that variance is given without SE/CI. `None` for REML fits (no
/// covariance of the variance parameters), fallback rungs without both variances, or a fit
/// without an invertible information matrix.
///
/// # References
/// Harbord et al. (2007) Biostatistics 8:239; metandi (Harbord & Whiting 2009) `nlcom` intervals.
pub fn hsroc_inference(fit: &BivariateResult, level: f64) -> Option<HsrocInference> {
    let cov = fit.internal.cov?;
    let v = fit.internal.vcov_theta.as_ref()?;
    let th = &fit.internal.theta;
    let n = th.len();
    if v.nrows() != n || v.ncols() != n {
        return None;
    }
    let g0 = hsroc_working(cov, th)?;
    let mut jac = [[0.0; 8]; 5];
    if n > 8 {
        return None;
    }
    for j in 0..n {
        let h = 1e-5 * th[j].abs().max(1.0);
        let mut tp = th.clone();
        tp[j] += h;
        let mut tm = th.clone();
        tm[j] -= h;
        let (gp, gm) = (hsroc_working(cov, &tp)?, hsroc_working(cov, &tm)?);
        for i in 0..5 {
            jac[i][j] = (gp[i] - gm[i]) / (2.0 * h);
        }
    }
    let var = |i: usize| -> f64 {
        let mut s = 0.0;
        for a in 0..n {
            for b in 0..n {
                s += jac[i][a] * v[(a, b)] * jac[i][b];
            }
        }
        s
    };
    let z = z_for_level(level);
    let wald = |i: usize| -> Option<SeCi> {
        let se = var(i).sqrt();
        se.is_finite().then_some(SeCi {
            estimate: g0[i],
            se,
            se_log: None,
            ci: [g0[i] - z * se, g0[i] + z * se],
        })
    };
    let logvar = |i: usize| -> Option<SeCi> {
        let rho_edge = match cov {
            CovStructure::RhoFixed(s) => (i == 3 && s < 0.0) || (i == 4 && s > 0.0),
            _ => false,
        };
        if rho_edge || !g0[i].is_finite() {
            return None;
        }
        let sl = var(i).sqrt();
        let e = g0[i].exp();
        sl.is_finite().then_some(SeCi {
            estimate: e,
            se: e * sl,
            se_log: Some(sl),
            ci: [(g0[i] - z * sl).exp(), (g0[i] + z * sl).exp()],
        })
    };
    Some(HsrocInference {
        lambda: wald(0)?,
        theta: wald(1)?,
        beta: wald(2)?,
        sigma2_alpha: logvar(3),
        sigma2_theta: logvar(4),
        level,
        method: HSROC_SE_METHOD,
    })
}

/// Parametric-bootstrap SDs of `(Λ, Θ, β, ln σ²α, ln σ²θ)`: `θ* ~ N(θ̂, V_θ)`, `draws` draws.
///
/// # Formula
/// METHODS §4.6 (i) applied to the §4.4 transform: SD over the draws of `g(θ*)` (draws where `g`
/// is not finite are dropped). A check of [`hsroc_inference`], not a reported interval.
///
/// # References
/// Efron & Tibshirani (1993) ch. 6 (parametric bootstrap).
pub fn hsroc_bootstrap_sd(fit: &BivariateResult, draws: usize, seed: u64) -> Option<[f64; 5]> {
    let cov = fit.internal.cov?;
    let v: &DMatrix<f64> = fit.internal.vcov_theta.as_ref()?;
    let th = &fit.internal.theta;
    let l = v.clone().cholesky()?.l();
    let n = th.len();
    let mut rng = SplitMix64::new(seed);
    let (mut s1, mut s2, mut m) = ([0.0; 5], [0.0; 5], 0usize);
    let mut z = vec![0.0; n];
    let mut t = vec![0.0; n];
    for _ in 0..draws {
        z.iter_mut().for_each(|x| *x = rng.normal());
        for i in 0..n {
            t[i] = th[i] + (0..=i).map(|j| l[(i, j)] * z[j]).sum::<f64>();
        }
        if let Some(g) = hsroc_working(cov, &t).filter(|g| g.iter().all(|x| x.is_finite())) {
            for i in 0..5 {
                s1[i] += g[i];
                s2[i] += g[i] * g[i];
            }
            m += 1;
        }
    }
    if m < 10 {
        return None;
    }
    let mf = m as f64;
    Some(std::array::from_fn(|i| ((s2[i] - s1[i] * s1[i] / mf) / (mf - 1.0)).max(0.0).sqrt()))
}
