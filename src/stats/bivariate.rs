//! The pooled analysis: fit the bivariate model chosen in [`FitConfig`] (exact GLMM by adaptive
//! quadrature, Laplace, or Reitsma REML), walk the fallback ladder (METHODS §9.4) and compute every
//! summary of §4. This is the function the CLI and the page call.

use super::estimate::Estimate;
use super::glmm::fit::{
    fit_structure, fit_structure_seeded, loglik_check, start_values, Design, StructFit, RHO_BOUNDARY,
    TAU_BOUNDARY,
};
use super::glmm::likelihood::CovStructure;
use super::glmm::optim::Termination;
use super::reitsma::fit_reitsma;
use super::rng::SplitMix64;
use super::summary::{
    auc_exact, auc_mada, hsroc, region, region_radius, sroc_curve, summary_point, truncate_metandi, Curve,
    Hsroc, Pooled, RegionKind, SummaryPoint,
};
use super::transform::{logit_from_prob, prob_from_logit, z_for_level};
use crate::data::correction::{Correction, CorrectionRule};
use crate::data::Study;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Default number of Gauss–Hermite points per dimension for the exact fit. Chosen so that doubling
/// it changes the maximised log-likelihood by less than 1e-6 on every data set in shared/refs
/// (`tests/engine_properties.rs::node_count_is_enough_on_every_data_set`). Measured: m = 21 fails on
/// gould_pet (4.2e-6) and smoking (1.5e-6); m = 25 gives at most 8.0e-7 (gould_pet).
pub const DEFAULT_NODES: usize = 25;

/// Which model to fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Exact binomial GLMM by adaptive Gauss–Hermite quadrature (default; = xtmelogit / metandi).
    #[default]
    Aghq,
    /// Laplace approximation (= lme4 `glmer(nAGQ = 1)`, MetaDTA, Meta-DiSc 2.0).
    Laplace,
    /// Reitsma bivariate normal model by REML (= `mada::reitsma`).
    Reitsma,
}

crate::impl_choice!(Method, "model", [Aghq => "aghq" | "exact" | "agq", Laplace => "laplace", Reitsma => "reitsma" | "reml"]);

/// The largest number of quadrature points per dimension a user may ask for (the §2.6 check
/// evaluates `2m + 1` points; beyond 41 the rule gains nothing on any reference data set).
pub const MAX_NODES: usize = 41;

/// How the AUC interval is computed (METHODS §4.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AucCi {
    /// Parametric bootstrap in the working metric (default).
    #[default]
    Bootstrap,
    /// Delta method on logit(AUC).
    Delta,
    /// No interval (fast path for leave-one-out and subgroups' interactive previews).
    None,
}

crate::impl_choice!(AucCi, "AUC interval", [Bootstrap => "bootstrap", Delta => "delta", None => "none"]);

/// Options of the pooled analysis. Defaults: exact GLMM with [`DEFAULT_NODES`] points, 95% level,
/// F-based regions, bootstrap AUC CI with B = 2000 and seed 20240601, REML with mada's `all` 0.5 correction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitConfig {
    pub method: Method,
    pub nodes: usize,
    pub level: f64,
    pub region: RegionKind,
    pub auc_ci: AucCi,
    pub bootstrap_draws: usize,
    pub seed: u64,
    /// Continuity correction used by the REML model (the GLMM is never corrected, §1.3).
    pub reml_correction: Correction,
    /// Re-evaluate ℓ at the estimate with `2m+1` nodes and warn when it moves by > 0.01 (§2.6).
    /// On by default; leave-one-out refits turn it off.
    #[serde(default = "yes")]
    pub node_check: bool,
}

fn yes() -> bool {
    true
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            method: Method::Aghq,
            nodes: DEFAULT_NODES,
            level: 0.95,
            region: RegionKind::F,
            auc_ci: AucCi::Bootstrap,
            bootstrap_draws: 2000,
            seed: 20240601,
            reml_correction: Correction::new(CorrectionRule::All, 0.5),
            node_check: true,
        }
    }
}

/// Why no pooled estimate could be produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub enum FitError {
    /// Fewer studies than the method needs.
    TooFewStudies { needed: usize, got: usize },
    /// The simplified model fitted for fewer than 4 studies did not converge.
    NotConverged { rung: Rung, termination: Termination },
    /// The bivariate fit did not converge and no simpler model did either.
    NoRungConverged { termination: Termination },
    /// The REML system is singular (or fewer than 3 rows are usable).
    RemlSingular,
    /// The free margin beside a margin at an edge could not be fitted (§9.4 item 3).
    MarginFailed {
        #[serde(deserialize_with = "crate::stats::margin_text")]
        margin: crate::stats::FixedText,
        termination: Termination,
    },
    /// No exact interval for a margin at an edge (no participants).
    NoExactInterval {
        #[serde(deserialize_with = "crate::stats::margin_text")]
        margin: crate::stats::FixedText,
    },
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitError::TooFewStudies { needed, got } => {
                write!(f, "a pooled estimate needs at least {needed} studies; {got} given (per-study estimates only)")
            }
            FitError::NotConverged { rung, termination } => {
                write!(f, "the model could not be fitted: {rung} did not converge ({termination})")
            }
            FitError::NoRungConverged { termination } => write!(
                f,
                "the model could not be fitted: the bivariate fit ended with '{termination}' and no simpler model converged"
            ),
            FitError::RemlSingular => {
                write!(f, "the model could not be fitted: the REML system is singular or fewer than 3 usable rows")
            }
            FitError::MarginFailed { margin, termination } => {
                write!(f, "the model could not be fitted: the {margin} margin could not be fitted ({termination})")
            }
            FitError::NoExactInterval { margin } => {
                write!(f, "the model could not be fitted: no exact interval for the {margin} margin")
            }
        }
    }
}

impl std::error::Error for FitError {}

crate::stats::text_for_people!(FitError, |v| v);

/// The rung of the fallback ladder a fit ended on (METHODS §9.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum Rung {
    /// Bivariate model with correlated random effects.
    B2,
    /// ρ fixed at 0 (two univariate random-effects models).
    B0,
    /// Univariate models with a fixed effect for sensitivity.
    FeSens,
    /// … for specificity.
    FeSpec,
    /// Fixed effects on both margins.
    Fe,
}

impl Rung {
    pub fn name(self) -> &'static str {
        match self {
            Rung::B2 => "B2",
            Rung::B0 => "B0",
            Rung::FeSens => "FE-Se",
            Rung::FeSpec => "FE-Sp",
            Rung::Fe => "FE",
        }
    }
}

impl std::fmt::Display for Rung {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Compares with a rung's name (`rung == "B2"`), for tests and JSON comparisons.
impl PartialEq<&str> for Rung {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

crate::stats::text_for_people!(Rung, |v| v.name());

/// Which constraint of the parameter space a fit lies on (METHODS §2.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum Boundary {
    /// ρ fixed at +1 (`positive`) or −1 by the boundary refit.
    RhoFixed { positive: bool },
    /// |ρ̂| beyond [`RHO_BOUNDARY`] without a refit (REML).
    RhoNear,
    /// τ of logit sensitivity is zero.
    TauSens,
    /// τ of logit specificity is zero.
    TauSpec,
    /// Both τ are zero.
    TauBoth,
    /// A margin's summed counts are at an edge (Σx = 0 or Σx = Σn): its logit is ±∞ (§9.4 item 3).
    MarginAtEdge { sens: Option<Edge>, spec: Option<Edge> },
}

impl Boundary {
    /// A boundary of the correlation (ρ = ±1 or |ρ| beyond the threshold).
    pub fn is_rho(self) -> bool {
        matches!(self, Boundary::RhoFixed { .. } | Boundary::RhoNear)
    }
}

impl std::fmt::Display for Boundary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Boundary::RhoFixed { positive: true } => f.write_str("rho = +1"),
            Boundary::RhoFixed { positive: false } => f.write_str("rho = -1"),
            Boundary::RhoNear => write!(f, "|rho| > {RHO_BOUNDARY}"),
            Boundary::TauSens => f.write_str("tau2 of logit sensitivity = 0"),
            Boundary::TauSpec => f.write_str("tau2 of logit specificity = 0"),
            Boundary::TauBoth => f.write_str("both tau2 = 0"),
            Boundary::MarginAtEdge { sens, spec } => {
                let parts: Vec<String> = [("sensitivity", sens), ("specificity", spec)]
                    .iter()
                    .filter_map(|(name, e)| {
                        e.map(|e| format!("logit {name} = {}inf", if e == Edge::One { "+" } else { "-" }))
                    })
                    .collect();
                f.write_str(&parts.join(", "))
            }
        }
    }
}

crate::stats::text_for_people!(Boundary, |v| v);

/// Why a fit is not the plain B2 model, or which simpler fit was computed beside it (§9.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FallbackReason {
    /// Fewer than 4 studies: correlated random effects were not fitted.
    FewStudies,
    /// The bivariate fit did not converge.
    NotConverged,
    /// This (simplified) fit was made because B2 lies on a boundary.
    B2AtBoundary(Boundary),
    /// B2 lies on a boundary; the simplified fit of this rung is reported beside it.
    ComputedBeside(Boundary),
    /// One or both margins at an edge (§9.4 item 3): the summed counts `(x, n)` per margin, and
    /// whether the free margin fell back to a fixed effect.
    MarginAtEdge { sens: Option<(Edge, u64, u64)>, spec: Option<(Edge, u64, u64)>, free_fixed: bool },
}

/// A fallback: the rung it led to and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Fallback {
    pub rung: Rung,
    pub reason: FallbackReason,
}

impl std::fmt::Display for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.rung;
        match self.reason {
            FallbackReason::FewStudies => write!(f, "{r}: fewer than 4 studies"),
            FallbackReason::NotConverged => write!(f, "{r}: bivariate fit did not converge"),
            FallbackReason::B2AtBoundary(b) => write!(f, "{r}: B2 at a boundary ({b})"),
            FallbackReason::ComputedBeside(b) => write!(f, "{r} computed beside B2: boundary ({b})"),
            FallbackReason::MarginAtEdge { sens, spec, free_fixed } => {
                let mut reasons = Vec::new();
                for (j, m) in [sens, spec].iter().enumerate() {
                    if let Some((e, x, n)) = m {
                        let name = ["sensitivity", "specificity"][j];
                        let cells = match (j, e) {
                            (0, Edge::One) => "FN = 0",
                            (0, Edge::Zero) => "TP = 0",
                            (_, Edge::One) => "FP = 0",
                            (_, Edge::Zero) => "TN = 0",
                        };
                        let sign = if *e == Edge::One { "+" } else { "−" };
                        reasons.push(format!(
                            "every study has {cells}, so the maximum likelihood of logit {name} is at {sign}∞; pooled {name} = {x}/{n} with an exact Clopper–Pearson interval on the summed counts"
                        ));
                    }
                }
                if free_fixed {
                    let free = if sens.is_some() { "specificity" } else { "sensitivity" };
                    reasons.push(format!(
                        "fixed effect for {free} (its τ is 0 or the random-effects fit failed)"
                    ));
                }
                write!(f, "{r}: {}", reasons.join("; "))
            }
        }
    }
}

crate::stats::text_for_people!(Fallback, |v| v);

/// The `model` block: how the fit ended and its parameters (names as in shared/refs/expected).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelBlock {
    pub method: Method,
    pub nodes: Option<usize>,
    pub converged: bool,
    pub iterations: usize,
    pub evaluations: usize,
    pub termination: Termination,
    /// `None` for an interior fit; otherwise which constraint is active (JSON e.g. "rho = -1").
    pub boundary: Option<Boundary>,
    /// The ladder rung (`B2`, `B0`, `FE-Se`, `FE-Sp`, `FE`) and why, when not `B2`.
    pub rung: Rung,
    pub fallback: Option<Fallback>,
    pub warnings: Vec<String>,
    pub mu_logit_sens: f64,
    pub mu_logit_spec: f64,
    pub se_logit_sens: f64,
    pub se_logit_spec: f64,
    pub vcov_mu: [[f64; 2]; 2],
    pub tau2_logit_sens: f64,
    pub tau2_logit_spec: f64,
    pub tau2_logit_sens_ci: Option<[f64; 2]>,
    pub tau2_logit_spec_ci: Option<[f64; 2]>,
    pub cov_logit_sens_spec: f64,
    pub rho: Option<f64>,
    pub rho_ci: Option<[f64; 2]>,
    pub loglik: f64,
    pub max_abs_gradient: f64,
    /// `ℓ` at the estimate re-evaluated with `2m+1` nodes (the §2.6 diagnostic).
    pub loglik_check_nodes: Option<(usize, f64)>,
    pub aic: f64,
    pub bic: f64,
}

impl ModelBlock {
    /// The pooled parameters the summaries are computed from (§4), for `k` studies.
    pub fn pooled(&self, k: usize) -> Pooled {
        Pooled {
            mu: [self.mu_logit_sens, self.mu_logit_spec],
            vcov_mu: self.vcov_mu,
            tau2: [self.tau2_logit_sens, self.tau2_logit_spec],
            cov12: self.cov_logit_sens_spec,
            k,
        }
    }
}

/// The AUC with its interval and how the interval was obtained.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AucBlock {
    pub estimate: f64,
    pub ci: Option<[f64; 2]>,
    pub ci_method: String,
    pub draws: Option<usize>,
    pub seed: Option<u64>,
    /// mada's rule on the same parameters (for comparison with `mada::AUC`).
    pub mada_rule: f64,
}

/// Regions and curves for the SROC plot.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SrocBlock {
    pub region_radius: Option<f64>,
    pub confidence_region: Curve,
    pub prediction_region: Curve,
    /// The Rutter–Gatsonis curve truncated by the metandi rule.
    pub curve: Curve,
    /// The full curve over FPR ∈ (0, 1).
    pub curve_full: Curve,
}

/// A complete pooled analysis.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BivariateResult {
    /// Number of studies (serialised by the enclosing block; handed over to the page's worker
    /// messages like [`BivariateResult::internal`], under a name of its own: a block flattens
    /// its fit beside its own `k`).
    #[serde(default, rename = "fit_k", skip_serializing_if = "crate::stats::for_people")]
    pub k: usize,
    pub model: ModelBlock,
    pub summary: SummaryPoint,
    pub hsroc: Option<Hsroc>,
    pub auc: Option<AucBlock>,
    pub sroc: SrocBlock,
    /// Marginal prediction intervals for a new study's sensitivity and specificity (§5.6, t_{k−2}).
    pub prediction_interval_sens: Option<[f64; 2]>,
    pub prediction_interval_spec: Option<[f64; 2]>,
    /// The simplified fit the ladder asks for, reported beside the main one (§2.9 item 3).
    pub simplified: Option<Box<BivariateResult>>,
    /// Summaries that are not reported, or not by their usual formula, and why (e.g. a margin at
    /// the boundary of §9.4 item 3: no SROC/AUC/HSROC, ratio intervals from the margins' limits).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<String>,
    /// Not in people's JSON, but in the page's worker messages: the page derives more from a
    /// block than the JSON shows (the dispersion table's intervals read `vcov_theta`).
    #[serde(default, skip_serializing_if = "crate::stats::for_people")]
    pub internal: Internal,
}

/// What later analyses (leave-one-out warm starts, EB predictions, bootstrap) need from a GLMM fit.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Internal {
    pub cov: Option<CovStructure>,
    pub theta: Vec<f64>,
    #[serde(with = "matrix")]
    pub vcov_theta: Option<DMatrix<f64>>,
    pub modes: Vec<[f64; 2]>,
}

/// A matrix as `(rows, column-major entries)`.
mod matrix {
    use nalgebra::DMatrix;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(m: &Option<DMatrix<f64>>, s: S) -> Result<S::Ok, S::Error> {
        m.as_ref().map(|m| (m.nrows(), m.as_slice().to_vec())).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DMatrix<f64>>, D::Error> {
        let Some((rows, data)) = Option::<(usize, Vec<f64>)>::deserialize(d)? else { return Ok(None) };
        if rows == 0 || data.len() % rows != 0 {
            return Err(serde::de::Error::custom(format!("{} entries do not fill {rows} rows", data.len())));
        }
        Ok(Some(DMatrix::from_vec(rows, data.len() / rows, data)))
    }
}

/// Fit the pooled model and compute every §4 summary.
///
/// # Errors
/// [`FitError::TooFewStudies`] when fewer than 2 studies (3 for REML) are given, or
/// [`FitError::Failed`] when no rung of the ladder converges.
pub fn analyze(studies: &[Study], cfg: &FitConfig) -> Result<BivariateResult, FitError> {
    analyze_with_start(studies, cfg, None)
}

/// A warm start for the GLMM: working parameters of the full bivariate model (`μ1, μ2, ln τ1, ln τ2,
/// atanh ρ`) and, optionally, an inverse Hessian to seed the quasi-Newton stage.
#[derive(Clone, Copy, Debug)]
pub struct WarmStart<'a> {
    pub theta: &'a [f64],
    pub inv_hessian: Option<&'a DMatrix<f64>>,
}

/// As [`analyze`], optionally warm-starting the GLMM from another fit (leave-one-out uses the full
/// fit): the small-m stage is skipped when an inverse Hessian is given.
pub fn analyze_with_start(
    studies: &[Study],
    cfg: &FitConfig,
    start: Option<WarmStart<'_>>,
) -> Result<BivariateResult, FitError> {
    let k = studies.len();
    match cfg.method {
        Method::Reitsma => {
            if k < 3 {
                return Err(FitError::TooFewStudies { needed: 3, got: k });
            }
            reitsma_result(studies, cfg)
        }
        Method::Aghq | Method::Laplace => {
            if k < 2 {
                return Err(FitError::TooFewStudies { needed: 2, got: k });
            }
            glmm_result(studies, cfg, start)
        }
    }
}

pub(crate) fn nodes_of(cfg: &FitConfig) -> usize {
    match cfg.method {
        Method::Laplace => 1,
        _ => cfg.nodes.clamp(1, MAX_NODES),
    }
}

/// Project a Full working vector (`nb` coefficients, then `ln τ1, ln τ2, atanh ρ`) onto another
/// structure's parameters.
pub(crate) fn project(theta_full: &[f64], nb: usize, cov: CovStructure) -> Vec<f64> {
    let mut v = theta_full[..nb].to_vec();
    let (lt1, lt2) = (theta_full[nb].max(-4.0), theta_full[nb + 1].max(-4.0));
    match cov {
        CovStructure::Full => v.extend_from_slice(&[lt1, lt2, theta_full[nb + 2].clamp(-3.0, 3.0)]),
        CovStructure::RhoFixed(_) | CovStructure::Independent => v.extend_from_slice(&[lt1, lt2]),
        CovStructure::SensOnly => v.push(lt1),
        CovStructure::SpecOnly => v.push(lt2),
        CovStructure::NoRandom => {}
    }
    v
}

pub(crate) fn boundary_of(fit: &StructFit, nb: usize) -> Option<Boundary> {
    let (t1, t2, rho) = fit.cov.tau_rho(&fit.theta[nb..]);
    match fit.cov {
        CovStructure::RhoFixed(s) => Some(Boundary::RhoFixed { positive: s > 0.0 }),
        CovStructure::SensOnly => Some(Boundary::TauSpec),
        CovStructure::SpecOnly => Some(Boundary::TauSens),
        CovStructure::NoRandom => Some(Boundary::TauBoth),
        CovStructure::Full | CovStructure::Independent => {
            if t1 < TAU_BOUNDARY {
                Some(Boundary::TauSens)
            } else if t2 < TAU_BOUNDARY {
                Some(Boundary::TauSpec)
            } else if rho.abs() > RHO_BOUNDARY {
                Some(Boundary::RhoNear)
            } else {
                None
            }
        }
    }
}

/// Fit the bivariate model (rung B2) with the boundary rules of §2.9. `start` is a Full working vector.
pub(crate) fn fit_b2(studies: &[Study], design: &Design, nodes: usize, start: &[f64]) -> StructFit {
    fit_b2_seeded(studies, design, nodes, start, None)
}

fn fit_b2_seeded(
    studies: &[Study],
    design: &Design,
    nodes: usize,
    start: &[f64],
    seed: Option<&DMatrix<f64>>,
) -> StructFit {
    let nb = design.n_beta();
    let full = fit_structure_seeded(studies, design, CovStructure::Full, nodes, start, seed);
    let (t1, t2, rho) = CovStructure::Full.tau_rho(&full.theta[nb..]);
    let interior_ok = full.converged && t1 >= TAU_BOUNDARY && t2 >= TAU_BOUNDARY && rho.abs() <= RHO_BOUNDARY;
    if interior_ok {
        return full;
    }
    let mut candidates: Vec<CovStructure> = Vec::new();
    if rho.abs() > 0.9 || !full.converged {
        candidates.push(CovStructure::RhoFixed(if rho >= 0.0 { 1.0 } else { -1.0 }));
        if !full.converged {
            candidates.push(CovStructure::RhoFixed(if rho >= 0.0 { -1.0 } else { 1.0 }));
        }
    }
    if t1 < 0.05 || !full.converged {
        candidates.push(CovStructure::SpecOnly);
    }
    if t2 < 0.05 || !full.converged {
        candidates.push(CovStructure::SensOnly);
    }
    if t1 < 0.05 && t2 < 0.05 {
        candidates.push(CovStructure::NoRandom);
    }
    let mut best = full;
    for cov in candidates {
        let f = fit_structure(studies, design, cov, nodes, &project(&best.theta_full_like(nb), nb, cov));
        let better = f.converged && (!best.converged || f.loglik >= best.loglik - 1e-6);
        if better {
            best = f;
        }
    }
    if !best.converged {
        for r in [-0.5f64, 0.0, 0.5] {
            let mut s = start.to_vec();
            s[nb + 2] = r.atanh();
            let f = fit_structure(studies, design, CovStructure::Full, nodes, &s);
            if f.converged && (!best.converged || f.loglik > best.loglik) {
                best = f;
            }
        }
    }
    best
}

pub(crate) trait FullLike {
    fn theta_full_like(&self, nb: usize) -> Vec<f64>;
}

impl FullLike for StructFit {
    /// The working vector expressed as a Full one (`ln τ = −4` for a zero τ, ρ clamped).
    fn theta_full_like(&self, nb: usize) -> Vec<f64> {
        let (t1, t2, rho) = self.cov.tau_rho(&self.theta[nb..]);
        let lt = |t: f64| if t > 0.0 { t.ln() } else { -4.0 };
        let r = if rho.is_nan() { 0.0 } else { rho.clamp(-0.999, 0.999) };
        let mut v = self.theta[..nb].to_vec();
        v.extend_from_slice(&[lt(t1), lt(t2), r.atanh()]);
        v
    }
}

/// The B0 rung: ρ = 0, dropping a margin's random effect when its τ vanishes (FE for that margin).
pub(crate) fn fit_b0(studies: &[Study], design: &Design, nodes: usize, start: &[f64]) -> (StructFit, Rung) {
    let nb = design.n_beta();
    let ind = fit_structure(
        studies,
        design,
        CovStructure::Independent,
        nodes,
        &project(start, nb, CovStructure::Independent),
    );
    let (t1, t2, _) = CovStructure::Independent.tau_rho(&ind.theta[nb..]);
    let (cov, rung) = match (t1 < TAU_BOUNDARY || !ind.converged, t2 < TAU_BOUNDARY || !ind.converged) {
        (false, false) => return (ind, Rung::B0),
        (true, false) => (CovStructure::SpecOnly, Rung::FeSens),
        (false, true) => (CovStructure::SensOnly, Rung::FeSpec),
        (true, true) => (CovStructure::NoRandom, Rung::Fe),
    };
    let f = fit_structure(studies, design, cov, nodes, &project(&ind.theta_full_like(nb), nb, cov));
    if f.converged || !ind.converged {
        (f, rung)
    } else {
        (ind, Rung::B0)
    }
}

fn glmm_result(
    studies: &[Study],
    cfg: &FitConfig,
    warm: Option<WarmStart<'_>>,
) -> Result<BivariateResult, FitError> {
    let k = studies.len();
    let nodes = nodes_of(cfg);
    let edges = degenerate_margins(studies);
    if edges.iter().any(Option::is_some) {
        return degenerate_result(studies, cfg, edges);
    }
    let design = Design::intercepts(k);
    let (start, seed): (Vec<f64>, Option<&DMatrix<f64>>) = match warm {
        Some(w) if w.theta.len() == 5 => (w.theta.to_vec(), w.inv_hessian),
        _ => (start_values(studies).to_vec(), None),
    };
    let mut warnings = Vec::new();
    if k < 4 {
        let (b0, rung) = fit_b0(studies, &design, nodes, &start);
        if !b0.converged {
            return Err(FitError::NotConverged { rung, termination: b0.termination });
        }
        warnings.push(format!("only {k} studies: the bivariate model needs at least 4 (metandi's minimum), so correlated random effects were not fitted"));
        return Ok(build_glmm_result(
            studies,
            cfg,
            &b0,
            rung,
            Some(Fallback { rung, reason: FallbackReason::FewStudies }),
            warnings,
        ));
    }
    // The simpler model reported instead of a bivariate fit that did not reach its maximum.
    let b0_instead = |b0: &StructFit, rung: Rung, warnings: Vec<String>| {
        build_glmm_result(
            studies,
            cfg,
            b0,
            rung,
            Some(Fallback { rung, reason: FallbackReason::NotConverged }),
            warnings,
        )
    };
    let mut b2 = fit_b2_seeded(studies, &design, nodes, &start, seed);
    // A boundary B2 whose ℓ is below the simpler B0's is not the maximum of the full model (which
    // nests B0): its optimiser stopped early (seen with counts in the millions). Refit from B0.
    let mut b0_beside = None;
    if b2.converged && boundary_of(&b2, 2).is_some() {
        let (b0, rung) = fit_b0(studies, &design, nodes, &start);
        if b0.converged && b0.loglik > b2.loglik + 1e-6 {
            let again = fit_b2(studies, &design, nodes, &b0.theta_full_like(2));
            if again.converged && again.loglik > b2.loglik + 1e-6 {
                b2 = again;
            }
        }
        if b0.converged && b0.loglik > b2.loglik + 1e-6 {
            // Still below: the full model's fit is not trustworthy here; report the best fit found.
            warnings.push(format!(
                "the bivariate fit stopped at a lower likelihood ({:.3}) than the simpler model {} ({:.3}), so it did not reach its maximum; the simpler model is reported instead",
                b2.loglik,
                rung.name(),
                b0.loglik
            ));
            return Ok(b0_instead(&b0, rung, warnings));
        }
        b0_beside = Some((b0, rung));
    }
    if !b2.converged {
        let (b0, rung) = fit_b0(studies, &design, nodes, &start);
        if !b0.converged {
            return Err(FitError::NoRungConverged { termination: b2.termination });
        }
        warnings.push(format!(
            "the bivariate model did not converge ({}); the simpler model {} is reported instead",
            b2.termination.describe(),
            rung.name()
        ));
        return Ok(b0_instead(&b0, rung, warnings));
    }
    let mut res = build_glmm_result(studies, cfg, &b2, Rung::B2, None, warnings);
    // A boundary B2 is reported flagged (`model.boundary`), with the simpler fit beside it
    // (`model.fallback`, `simplified`); the report says so in words.
    if let Some(b) = res.model.boundary {
        let (b0, rung) = b0_beside.unwrap_or_else(|| fit_b0(studies, &design, nodes, &start));
        if b0.converged {
            let mut simp = build_glmm_result(
                studies,
                cfg,
                &b0,
                rung,
                Some(Fallback { rung, reason: FallbackReason::B2AtBoundary(b) }),
                Vec::new(),
            );
            simp.simplified = None;
            res.model.fallback = Some(Fallback { rung, reason: FallbackReason::ComputedBeside(b) });
            res.simplified = Some(Box::new(simp));
        }
    }
    Ok(res)
}

/// Where a margin's summed counts sit at an edge (METHODS §9.4 item 3): `Σx = 0` or `Σx = Σn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Edge {
    /// `Σx = 0`: the margin's likelihood increases without bound as its logit → −∞.
    Zero,
    /// `Σx = Σn`: … as its logit → +∞.
    One,
}

/// The edges of the (sensitivity, specificity) margins: `Some` where every study has FN = 0 or
/// TP = 0 (sensitivity), FP = 0 or TN = 0 (specificity). A margin with no participants at all is
/// `None` (it is not informative, not degenerate).
pub fn degenerate_margins(studies: &[Study]) -> [Option<Edge>; 2] {
    let sum = |f: fn(&Study) -> u64| studies.iter().map(|s| u128::from(f(s))).sum::<u128>();
    let edge = |x: u128, n: u128| match (n, x) {
        (0, _) => None,
        (_, 0) => Some(Edge::Zero),
        _ if x == n => Some(Edge::One),
        _ => None,
    };
    [edge(sum(|s| s.tp), sum(Study::n_diseased)), edge(sum(|s| s.tn), sum(Study::n_healthy))]
}

/// The fit when a margin is degenerate (METHODS §9.4 item 3, §2.9): the maximum of the binomial
/// likelihood is at logit = ±∞, so no GLMM optimum exists (an optimiser stops at a large logit
/// with a huge SE and calls it converged). Reported instead: that margin's pooled proportion
/// `Σx/Σn` (0 or 1) with the exact Clopper–Pearson interval on the summed counts, τ² = 0, and the
/// other margin by the univariate random-effects GLMM of §2.11 (the same engine; fixed effect when
/// its τ < 1e-3 or it fails). Rung FE-Se / FE-Sp (or FE when both margins are fixed effects), the
/// reason in `fallback`, a warning, and `omitted` saying which summaries are left out: SROC, AUC,
/// HSROC (need both τ > 0), the regions (no logit-scale SE at ±∞), prediction intervals of FE
/// margins. LR±, DOR, 1/LR− are the ratios of the pooled proportions; their intervals are the
/// ratios of the margins' interval limits (each is monotone in Se and Sp) [DERIVED].
///
/// The Reitsma model is not routed here: its continuity correction keeps every logit finite.
fn degenerate_result(
    studies: &[Study],
    cfg: &FitConfig,
    edges: [Option<Edge>; 2],
) -> Result<BivariateResult, FitError> {
    use super::accuracy::clopper_pearson;
    let k = studies.len();
    let nodes = nodes_of(cfg);
    let z = z_for_level(cfg.level);
    let sums = |f: fn(&Study) -> u64| studies.iter().map(|s| f(s) as f64).sum::<f64>();
    let x = [sums(|s| s.tp), sums(|s| s.tn)];
    let n = [sums(Study::n_diseased), sums(Study::n_healthy)];
    let names = ["sensitivity", "specificity"];
    let counts = |j: usize| -> Option<(Edge, u64, u64)> {
        let xs: u64 = studies.iter().map(|s| if j == 0 { s.tp } else { s.tn }).fold(0, u64::saturating_add);
        let ns: u64 = studies
            .iter()
            .map(|s| if j == 0 { s.n_diseased() } else { s.n_healthy() })
            .fold(0, u64::saturating_add);
        edges[j].map(|e| (e, xs, ns))
    };
    let mut free_fixed = false;
    // The free margin, if any: univariate random-effects GLMM, else fixed effect.
    let free = match edges {
        [Some(_), None] => Some(1),
        [None, Some(_)] => Some(0),
        _ => None,
    };
    let sv = start_values(studies);
    let mut margin: Option<(StructFit, bool)> = None;
    if let Some(j) = free {
        let reduced: Vec<Study> = studies
            .iter()
            .map(|s| {
                if j == 1 {
                    Study { tp: 0, fn_: 0, ..s.clone() }
                } else {
                    Study { tn: 0, fp: 0, ..s.clone() }
                }
            })
            .collect();
        let on = |m: usize| vec![vec![if m == j { 1.0 } else { 0.0 }]; k];
        let design =
            Design { names: vec![format!("logit_{}", &names[j][..4])], x1: on(0), x2: on(1), groups: None };
        let re_cov = if j == 0 { CovStructure::SensOnly } else { CovStructure::SpecOnly };
        let re = fit_structure(&reduced, &design, re_cov, nodes, &[sv[j], sv[2 + j]]);
        let (t1, t2, _) = re.cov.tau_rho(&re.theta[1..]);
        if re.converged && t1.max(t2) >= TAU_BOUNDARY {
            margin = Some((re, true));
        } else {
            let fe = fit_structure(&reduced, &design, CovStructure::NoRandom, nodes, &re.theta[..1]);
            if !fe.converged {
                return Err(FitError::MarginFailed { margin: names[j], termination: fe.termination });
            }
            free_fixed = true;
            margin = Some((fe, false));
        }
    }
    let random_free = margin.as_ref().is_some_and(|(_, r)| *r);
    let rung = match (edges, random_free) {
        ([Some(_), None], true) => Rung::FeSens,
        ([None, Some(_)], true) => Rung::FeSpec,
        _ => Rung::Fe,
    };
    let fallback = Fallback {
        rung,
        reason: FallbackReason::MarginAtEdge { sens: counts(0), spec: counts(1), free_fixed },
    };
    let mut warnings = vec![format!(
        "{fallback}. The bivariate model has no maximum here; SROC, AUC, HSROC and the regions are not reported."
    )];
    let mut mu = [0.0; 2];
    let mut var = [f64::NAN; 2];
    let mut tau2 = [0.0; 2];
    let mut tau2_ci = [None, None];
    let mut est = [Estimate::new(f64::NAN, f64::NAN, f64::NAN); 2];
    for j in 0..2 {
        if let Some(e) = edges[j] {
            mu[j] = if e == Edge::One { f64::INFINITY } else { f64::NEG_INFINITY };
            est[j] = clopper_pearson(x[j], n[j], cfg.level)
                .ok_or(FitError::NoExactInterval { margin: names[j] })?;
        }
    }
    let (loglik, iterations, evaluations, termination, converged, gmax, np) = match &margin {
        Some((f, random)) => {
            let j = free.unwrap_or(0);
            mu[j] = f.theta[0];
            var[j] = f.vcov.as_ref().map_or(f64::NAN, |v| v[(0, 0)]);
            if *random {
                let t = f.theta[1].exp();
                tau2[j] = t * t;
                tau2_ci[j] = f.vcov.as_ref().map(|v| {
                    let s = v[(1, 1)].sqrt();
                    [(2.0 * (f.theta[1] - z * s)).exp(), (2.0 * (f.theta[1] + z * s)).exp()]
                });
            }
            let se = var[j].sqrt();
            est[j] = Estimate::new(
                prob_from_logit(mu[j]),
                prob_from_logit(mu[j] - z * se),
                prob_from_logit(mu[j] + z * se),
            );
            (
                f.loglik,
                f.iterations,
                f.evaluations,
                f.termination,
                f.converged,
                f.max_abs_gradient(),
                f.theta.len() + 1,
            )
        }
        None => (0.0, 0, 0, Termination::ClosedForm, true, 0.0, 2),
    };
    if !var[0].is_finite() && !var[1].is_finite() && free.is_some() {
        warnings.push(
            "the observed information matrix is not positive definite: standard errors are unavailable"
                .into(),
        );
    }
    let boundary = Boundary::MarginAtEdge { sens: edges[0], spec: edges[1] };
    let model = ModelBlock {
        method: cfg.method,
        nodes: Some(nodes),
        converged,
        iterations,
        evaluations,
        termination,
        boundary: Some(boundary),
        rung,
        fallback: Some(fallback),
        warnings,
        mu_logit_sens: mu[0],
        mu_logit_spec: mu[1],
        se_logit_sens: var[0].sqrt(),
        se_logit_spec: var[1].sqrt(),
        vcov_mu: [[var[0], 0.0], [0.0, var[1]]],
        tau2_logit_sens: tau2[0],
        tau2_logit_spec: tau2[1],
        tau2_logit_sens_ci: tau2_ci[0],
        tau2_logit_spec_ci: tau2_ci[1],
        cov_logit_sens_spec: 0.0,
        rho: None,
        rho_ci: None,
        loglik,
        max_abs_gradient: gmax,
        loglik_check_nodes: None,
        aic: -2.0 * loglik + 2.0 * np as f64,
        bic: -2.0 * loglik + np as f64 * (2.0 * k as f64).ln(),
    };
    let mut res = finish(studies, cfg, model, Internal::default());
    res.summary = ratio_summary(est[0], est[1]);
    res.sroc.confidence_region.clear();
    res.sroc.prediction_region.clear();
    res.sroc.curve.clear();
    res.sroc.curve_full.clear();
    res.hsroc = None;
    res.auc = None;
    let pi = |j: usize| -> Option<[f64; 2]> {
        if k < 3 || tau2[j] <= 0.0 || !var[j].is_finite() {
            return None;
        }
        let t = super::transform::t_quantile(1.0 - (1.0 - cfg.level) / 2.0, k as f64 - 2.0);
        let s = (tau2[j] + var[j]).sqrt();
        Some([prob_from_logit(mu[j] - t * s), prob_from_logit(mu[j] + t * s)])
    };
    res.prediction_interval_sens = pi(0);
    res.prediction_interval_spec = pi(1);
    res.omitted = vec![
        "SROC curve, AUC and HSROC parameters: reported only when both margins have a between-study variance (τ > 0)".into(),
        "confidence and prediction regions: a margin is at ±∞ on the logit scale (no standard error)".into(),
        "LR+, LR−, DOR, 1/LR−: ratios of the pooled proportions; intervals from the margins' interval limits, not the delta method (which needs finite logits)".into(),
    ];
    for (what, e) in [
        ("DOR", res.summary.dor),
        ("1/LR−", res.summary.inverse_lr_negative),
        ("LR+", res.summary.lr_positive),
    ] {
        if !e.estimate.is_finite() {
            res.omitted
                .push(format!("{what}: not finite (a pooled proportion is 0 or 1); serialised as null"));
        }
    }
    Ok(res)
}

/// LR+, LR−, DOR and 1/LR− from intervals of Se and Sp (used when a margin is at an edge): each
/// ratio is monotone in both proportions, so its limits are the ratios of the limits.
fn ratio_summary(se: Estimate, sp: Estimate) -> SummaryPoint {
    let lrp = |a: f64, b: f64| a / (1.0 - b);
    let lrn = |a: f64, b: f64| (1.0 - a) / b;
    let dor = |a: f64, b: f64| (a * b) / ((1.0 - a) * (1.0 - b));
    let ilrn = |a: f64, b: f64| b / (1.0 - a);
    let inc = |f: &dyn Fn(f64, f64) -> f64| {
        Estimate::new(f(se.estimate, sp.estimate), f(se.ci[0], sp.ci[0]), f(se.ci[1], sp.ci[1]))
    };
    SummaryPoint {
        sensitivity: se,
        specificity: sp,
        false_positive_rate: Estimate::new(1.0 - sp.estimate, 1.0 - sp.ci[1], 1.0 - sp.ci[0]),
        lr_positive: inc(&lrp),
        lr_negative: Estimate::new(
            lrn(se.estimate, sp.estimate),
            lrn(se.ci[1], sp.ci[1]),
            lrn(se.ci[0], sp.ci[0]),
        ),
        dor: inc(&dor),
        inverse_lr_negative: inc(&ilrn),
    }
}

fn build_glmm_result(
    studies: &[Study],
    cfg: &FitConfig,
    f: &StructFit,
    rung: Rung,
    fallback: Option<Fallback>,
    mut warnings: Vec<String>,
) -> BivariateResult {
    let k = studies.len();
    let z = z_for_level(cfg.level);
    let (t1, t2, rho) = f.cov.tau_rho(&f.theta[2..]);
    let np = f.theta.len();
    let vcov = f.vcov.clone();
    let vmu = match &vcov {
        Some(v) => [[v[(0, 0)], v[(0, 1)]], [v[(1, 0)], v[(1, 1)]]],
        None => [[f64::NAN; 2]; 2],
    };
    if vcov.is_none() {
        warnings.push(
            "the observed information matrix is not positive definite: standard errors are unavailable"
                .into(),
        );
    }
    let var_of = |i: usize| vcov.as_ref().map(|v| v[(i, i)]);
    let ln_tau_ci = |idx: Option<usize>, t: f64| -> Option<[f64; 2]> {
        let i = idx?;
        let s = var_of(i)?.sqrt();
        let lt = t.ln();
        Some([(2.0 * (lt - z * s)).exp(), (2.0 * (lt + z * s)).exp()])
    };
    let (i_t1, i_t2, i_rho) = match f.cov {
        CovStructure::Full => (Some(2), Some(3), Some(4)),
        CovStructure::RhoFixed(_) | CovStructure::Independent => (Some(2), Some(3), None),
        CovStructure::SensOnly => (Some(2), None, None),
        CovStructure::SpecOnly => (None, Some(2), None),
        CovStructure::NoRandom => (None, None, None),
    };
    let rho_ci = i_rho.and_then(|i| {
        let s = var_of(i)?.sqrt();
        let a = f.theta[i];
        if rho.abs() > RHO_BOUNDARY {
            None
        } else {
            Some([(a - z * s).tanh(), (a + z * s).tanh()])
        }
    });
    let cov12 = if rho.is_nan() { 0.0 } else { rho * t1 * t2 };
    let nodes = f.nodes;
    let check = if nodes > 1 && cfg.node_check {
        loglik_check(studies, &Design::intercepts(k), f, 2 * nodes + 1).map(|l| (2 * nodes + 1, l))
    } else {
        None
    };
    if let Some((m2, l2)) = check {
        if (l2 - f.loglik).abs() > 0.01 {
            warnings.push(format!("the log-likelihood changes by {:.3} between {nodes} and {m2} quadrature points: increase the number of points", l2 - f.loglik));
        }
    }
    let gmax = f.max_abs_gradient();
    let model = ModelBlock {
        method: cfg.method,
        nodes: Some(nodes),
        converged: f.converged,
        iterations: f.iterations,
        evaluations: f.evaluations,
        termination: f.termination,
        boundary: boundary_of(f, 2),
        rung,
        fallback,
        warnings,
        mu_logit_sens: f.theta[0],
        mu_logit_spec: f.theta[1],
        se_logit_sens: vmu[0][0].sqrt(),
        se_logit_spec: vmu[1][1].sqrt(),
        vcov_mu: vmu,
        tau2_logit_sens: t1 * t1,
        tau2_logit_spec: t2 * t2,
        tau2_logit_sens_ci: ln_tau_ci(i_t1, t1),
        tau2_logit_spec_ci: ln_tau_ci(i_t2, t2),
        cov_logit_sens_spec: cov12,
        rho: if rho.is_nan() { None } else { Some(rho) },
        rho_ci,
        loglik: f.loglik,
        max_abs_gradient: gmax,
        loglik_check_nodes: check,
        aic: -2.0 * f.loglik + 2.0 * np as f64,
        bic: -2.0 * f.loglik + np as f64 * (2.0 * k as f64).ln(),
    };
    let internal = Internal {
        cov: Some(f.cov),
        theta: f.theta.clone(),
        vcov_theta: vcov.clone(),
        modes: f.modes.clone(),
    };
    finish(studies, cfg, model, internal)
}

/// Everything that follows from the pooled parameters (§4, §5.6).
fn finish(studies: &[Study], cfg: &FitConfig, model: ModelBlock, internal: Internal) -> BivariateResult {
    let k = studies.len();
    let z = z_for_level(cfg.level);
    let pooled = model.pooled(k);
    let summary = summary_point(&pooled, z);
    let hs = hsroc(&pooled);
    let auc = auc_block(&pooled, &internal, cfg);
    let radius = region_radius(cfg.region, k, cfg.level);
    let has_se = pooled.vcov_mu[0][0].is_finite();
    let (conf, pred) = match (radius, has_se) {
        (Some(c), true) => (region(&pooled, c, false, 361), region(&pooled, c, true, 361)),
        _ => (Vec::new(), Vec::new()),
    };
    let full = sroc_curve(&pooled, (0.0, 1.0), 201);
    let min_spec = studies
        .iter()
        .filter(|s| s.n_healthy() > 0)
        .map(|s| s.tn as f64 / s.n_healthy() as f64)
        .fold(1.0, f64::min);
    let min_sens = studies
        .iter()
        .filter(|s| s.n_diseased() > 0)
        .map(|s| s.tp as f64 / s.n_diseased() as f64)
        .fold(1.0, f64::min);
    let curve = truncate_metandi(&full, min_spec, min_sens);
    let pi = |j: usize| -> Option<[f64; 2]> {
        if k < 3 || !has_se {
            return None;
        }
        let t = super::transform::t_quantile(1.0 - (1.0 - cfg.level) / 2.0, k as f64 - 2.0);
        let s = (pooled.tau2[j] + pooled.vcov_mu[j][j]).sqrt();
        Some([prob_from_logit(pooled.mu[j] - t * s), prob_from_logit(pooled.mu[j] + t * s)])
    };
    BivariateResult {
        k,
        summary,
        hsroc: hs,
        auc,
        sroc: SrocBlock {
            region_radius: radius,
            confidence_region: conf,
            prediction_region: pred,
            curve,
            curve_full: full,
        },
        prediction_interval_sens: pi(0),
        prediction_interval_spec: pi(1),
        simplified: None,
        omitted: Vec::new(),
        model,
        internal,
    }
}

/// The AUC (exact integral, §4.6) with the interval `cfg.auc_ci` asks for.
fn auc_block(pooled: &Pooled, internal: &Internal, cfg: &FitConfig) -> Option<AucBlock> {
    let z = z_for_level(cfg.level);
    auc_exact(pooled.mu, pooled.tau2).map(|a| {
        let (ci, draws, seed, how) = match (cfg.auc_ci, &internal.cov, &internal.vcov_theta) {
            (AucCi::Bootstrap, Some(cov), Some(v)) => (
                auc_bootstrap(*cov, &internal.theta, v, cfg),
                Some(cfg.bootstrap_draws),
                Some(cfg.seed),
                "parametric bootstrap",
            ),
            (AucCi::Delta, Some(cov), Some(v)) => {
                (auc_delta(*cov, &internal.theta, v, z), None, None, "delta method on logit(AUC)")
            }
            (AucCi::None, _, _) => (None, None, None, "not computed"),
            _ => (None, None, None, "not available for this model"),
        };
        AucBlock {
            estimate: a,
            ci,
            ci_method: how.into(),
            draws,
            seed,
            mada_rule: auc_mada(pooled.mu, pooled.tau2).unwrap_or(f64::NAN),
        }
    })
}

/// Recompute the AUC block of a finished fit (and of the simplified fit beside it) with the
/// interval `cfg.auc_ci` asks for: the page fits once without the bootstrap, shows the results,
/// then adds the interval. Equal to fitting with `cfg` directly (the fit does not depend on it).
pub fn add_auc_interval(res: &mut BivariateResult, cfg: &FitConfig) {
    let pooled = res.model.pooled(res.k);
    res.auc = auc_block(&pooled, &res.internal, cfg);
    if let Some(s) = res.simplified.as_mut() {
        add_auc_interval(s, cfg);
    }
}

fn auc_of_theta(cov: CovStructure, th: &[f64]) -> Option<f64> {
    let (t1, t2, _) = cov.tau_rho(&th[2..]);
    auc_exact([th[0], th[1]], [t1 * t1, t2 * t2])
}

/// Parametric bootstrap CI of the AUC (METHODS §4.6 i): `θ* ~ N(θ̂, V_θ)` in the working metric.
pub fn auc_bootstrap(
    cov: CovStructure,
    theta: &[f64],
    v: &DMatrix<f64>,
    cfg: &FitConfig,
) -> Option<[f64; 2]> {
    let l = v.clone().cholesky()?.l();
    let n = theta.len();
    let mut rng = SplitMix64::new(cfg.seed);
    let mut draws = Vec::with_capacity(cfg.bootstrap_draws);
    let mut zbuf = vec![0.0; n];
    let mut th = vec![0.0; n];
    for _ in 0..cfg.bootstrap_draws {
        zbuf.iter_mut().for_each(|z| *z = rng.normal());
        for i in 0..n {
            th[i] = theta[i] + (0..=i).map(|j| l[(i, j)] * zbuf[j]).sum::<f64>();
        }
        if let Some(a) = auc_of_theta(cov, &th) {
            draws.push(a);
        }
    }
    if draws.len() < 10 {
        return None;
    }
    draws.sort_by(|a, b| a.total_cmp(b));
    let alpha = 1.0 - cfg.level;
    Some([quantile_sorted(&draws, alpha / 2.0), quantile_sorted(&draws, 1.0 - alpha / 2.0)])
}

/// Type-7 (R default) sample quantile of sorted data.
pub fn quantile_sorted(x: &[f64], p: f64) -> f64 {
    let h = (x.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(x.len() - 1);
    x[lo] + (h - lo as f64) * (x[hi] - x[lo])
}

/// Delta-method CI of the AUC on the logit scale (METHODS §4.6 ii).
pub fn auc_delta(cov: CovStructure, theta: &[f64], v: &DMatrix<f64>, z: f64) -> Option<[f64; 2]> {
    let a = auc_of_theta(cov, theta)?;
    let n = theta.len();
    let mut g = vec![0.0; n];
    for j in 0..n {
        let h = 1e-5 * theta[j].abs().max(1.0);
        let mut tp = theta.to_vec();
        tp[j] += h;
        let mut tm = theta.to_vec();
        tm[j] -= h;
        g[j] = (auc_of_theta(cov, &tp)? - auc_of_theta(cov, &tm)?) / (2.0 * h);
    }
    let mut var = 0.0;
    for i in 0..n {
        for j in 0..n {
            var += g[i] * v[(i, j)] * g[j];
        }
    }
    let se = var.sqrt() / (a * (1.0 - a));
    let la = logit_from_prob(a);
    Some([prob_from_logit(la - z * se), prob_from_logit(la + z * se)])
}

fn reitsma_result(studies: &[Study], cfg: &FitConfig) -> Result<BivariateResult, FitError> {
    let f = fit_reitsma(studies, &cfg.reml_correction, None).ok_or(FitError::RemlSingular)?;
    let v = &f.vcov_beta;
    // Convert from (logit Se, logit FPR) to (logit Se, logit Sp).
    let vmu = [[v[(0, 0)], -v[(0, 1)]], [-v[(1, 0)], v[(1, 1)]]];
    let (t1s, t2s, c) = (f.psi[0][0], f.psi[1][1], -f.psi[0][1]);
    let rho = c / (t1s * t2s).sqrt();
    let mut warnings = Vec::new();
    if f.correction_applied {
        warnings.push(format!(
            "continuity correction '{}' ({}) applied, as mada does",
            cfg.reml_correction.rule.name(),
            cfg.reml_correction.increment
        ));
    }
    let model = ModelBlock {
        method: Method::Reitsma,
        nodes: None,
        converged: f.converged,
        iterations: f.iterations,
        evaluations: 0,
        termination: f.termination,
        boundary: if rho.abs() > RHO_BOUNDARY { Some(Boundary::RhoNear) } else { None },
        rung: Rung::B2,
        fallback: None,
        warnings,
        mu_logit_sens: f.beta[0],
        mu_logit_spec: -f.beta[1],
        se_logit_sens: vmu[0][0].sqrt(),
        se_logit_spec: vmu[1][1].sqrt(),
        vcov_mu: vmu,
        tau2_logit_sens: t1s,
        tau2_logit_spec: t2s,
        tau2_logit_sens_ci: None,
        tau2_logit_spec_ci: None,
        cov_logit_sens_spec: c,
        rho: if rho.is_finite() { Some(rho) } else { None },
        rho_ci: None,
        loglik: f.loglik_mada,
        max_abs_gradient: f64::NAN,
        loglik_check_nodes: None,
        aic: -2.0 * f.loglik_mada + 10.0,
        bic: -2.0 * f.loglik_mada + 5.0 * (2.0 * studies.len() as f64).ln(),
    };
    Ok(finish(studies, cfg, model, Internal::default()))
}
