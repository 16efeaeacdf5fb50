//! HSROC meta-regression (METHODS §16; Cochrane DTA Handbook v2 §9.4.6.5; Rutter & Gatsonis 2001;
//! Harbord et al. 2007): a categorical covariate acting on accuracy (Λ), threshold (Θ) and shape
//! (β) of the Rutter–Gatsonis model, fitted directly by exact ML, with likelihood-ratio tests;
//! beside it the equivalent bivariate parametrisation (§16.2) and the bivariate model with a
//! separate Σ per level and its "variances differ" test (§9.2, §16.3).
//!
//! # Model
//! Study i in level g, random `θ_i ~ N(Θ_g, σ²θ)`, `α_i ~ N(Λ_g, σ²α)` independent,
//! `logit Se_i = e^{−β_g/2}(θ_i + α_i/2)`, `logit Sp_i = −e^{β_g/2}(θ_i − α_i/2)`
//! (`logit π = (θ + αD)e^{−βD}`, D = ±½). In the spherical form of §2.3 the study's linear
//! predictor is `a + B u`, `a = A(β_g)(Θ_g, Λ_g)'`, `B = A(β_g) diag(σθ, σα)`,
//! `A(β) = [[e^{−β/2}, ½e^{−β/2}], [−e^{β/2}, ½e^{β/2}]]`, so the 2-D adaptive quadrature of
//! §2.6 applies unchanged. The standard deviations are free signed parameters (the likelihood is
//! even in each), so σ = 0 — ρ = ±1 in the bivariate form — lies inside the parameter space and
//! is reported as a boundary, not fitted around.
//!
//! With β common (no shape term) the model is the bivariate meta-regression with the covariate
//! on both margins and a common Σ (§16.2; the maps of §4.4 per level); the tests check that both
//! parametrisations give the same maximum.

use super::bivariate::{analyze, FitConfig, Method, Rung};
use super::estimate::Estimate;
use super::glmm::mat2::M2;
use super::metareg::{meta_regression, Coefficient, LrTest, MetaRegError};
use super::multilevel::{integrate, maximise, Counts, Fitted, Rule};
use super::transform::{chi2_sf, normal_cdf, z_for_level};
use crate::data::{Covariate, CovariateKind, Study};
use serde::{Deserialize, Serialize};

/// Which of the three HSROC terms carry the covariate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub accuracy: bool,
    pub threshold: bool,
    pub shape: bool,
}

impl Terms {
    const fn new(accuracy: bool, threshold: bool, shape: bool) -> Terms {
        Terms { accuracy, threshold, shape }
    }
    /// "accuracy + threshold + shape", "none".
    pub fn describe(self) -> String {
        let v: Vec<&str> =
            [(self.accuracy, "accuracy"), (self.threshold, "threshold"), (self.shape, "shape")]
                .iter()
                .filter(|t| t.0)
                .map(|t| t.1)
                .collect();
        if v.is_empty() {
            "none".into()
        } else {
            v.join(" + ")
        }
    }
}

/// One fitted HSROC model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HsrocModel {
    /// Terms that depend on the covariate.
    pub terms: Terms,
    pub n_par: usize,
    pub loglik: f64,
    pub converged: bool,
    pub iterations: usize,
    pub termination: String,
    pub max_abs_gradient: f64,
}

/// One parameter of a fitted HSROC model with its Wald SE and CI.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Param {
    /// Machine name: `Lambda`, `Theta`, `beta`, `Lambda_covCCP2`, …, `sigma2_theta`, `sigma2_alpha`.
    pub name: String,
    pub estimate: f64,
    pub se: f64,
    /// Wald z and p for the covariate effects (differences from the reference level); `None` for
    /// the reference-level parameters and the variances.
    pub z: Option<f64>,
    pub p_value: Option<f64>,
}

/// Λ, Θ, β of one level implied by a model, with CIs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LevelHsroc {
    pub level: String,
    pub k: usize,
    #[serde(rename = "Lambda")]
    pub lambda: Estimate,
    #[serde(rename = "Theta")]
    pub theta: Estimate,
    pub beta: Estimate,
}

/// The parameters of one model and the per-level values.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HsrocEstimates {
    pub terms: Terms,
    pub params: Vec<Param>,
    pub per_level: Vec<LevelHsroc>,
    pub sigma2_theta: f64,
    pub sigma2_alpha: f64,
    /// `σ²θ = 0` or `σ²α = 0` (ρ = ±1 in the bivariate form).
    pub boundary: Option<String>,
}

/// The LR tests (§16; no halving: the nulls are interior).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct HsrocTests {
    /// Accuracy differs: full model vs threshold + shape (df L−1).
    pub accuracy: LrTest,
    /// Threshold differs: full vs accuracy + shape (df L−1).
    pub threshold: LrTest,
    /// Shape differs: full vs accuracy + threshold (df L−1).
    pub shape: LrTest,
    /// Any term: full vs no covariate (df 3(L−1)).
    pub any: LrTest,
    /// With a common shape (the Handbook's next step when shape does not differ): accuracy
    /// (accuracy + threshold vs threshold only) and threshold (vs accuracy only), df L−1 each.
    pub accuracy_common_shape: LrTest,
    pub threshold_common_shape: LrTest,
}

/// The bivariate parametrisation of the common-shape model (§16.2), from `stats::metareg`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BivariateEquivalent {
    pub coefficients: Vec<Coefficient>,
    pub tau2_logit_sens: f64,
    pub tau2_logit_spec: f64,
    pub rho: Option<f64>,
    pub loglik: f64,
    /// `ℓ(bivariate, covariate on both margins) − ℓ(HSROC, accuracy + threshold)`: 0 up to the
    /// optimisers' tolerance when the two parametrisations are the same model.
    pub loglik_difference: f64,
}

/// One level's own bivariate fit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeparateLevel {
    pub level: String,
    pub k: usize,
    pub mu_logit_sens: f64,
    pub mu_logit_spec: f64,
    pub tau2_logit_sens: f64,
    pub tau2_logit_spec: f64,
    pub rho: Option<f64>,
    pub loglik: f64,
    pub rung: Rung,
    pub boundary: Option<String>,
}

/// The bivariate model with a separate Σ per level against the common-Σ model (§9.2 last row,
/// §16.3): df 3(L−1).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VariancesDiffer {
    pub per_level: Vec<SeparateLevel>,
    pub loglik_separate: f64,
    pub loglik_common: f64,
    pub lrt: LrTest,
}

/// The HSROC meta-regression on one categorical covariate.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HsrocRegression {
    pub covariate: String,
    /// Levels, reference first (alphabetical, as `stats::metareg`).
    pub levels: Vec<String>,
    pub reference_level: String,
    pub k_used: usize,
    pub rows_dropped_missing: usize,
    /// Quadrature points per dimension (1 = Laplace).
    pub nodes: usize,
    /// Every model fitted, the full one first.
    pub models: Vec<HsrocModel>,
    /// Estimates of the full model (covariate on accuracy, threshold and shape).
    pub full: HsrocEstimates,
    /// Estimates with a common shape (covariate on accuracy and threshold).
    pub common_shape: HsrocEstimates,
    pub lrt: HsrocTests,
    pub bivariate: Option<BivariateEquivalent>,
    /// `None` with the reason in `variances_note` when a level cannot be fitted on its own.
    pub variances_differ: Option<VariancesDiffer>,
    pub variances_note: Option<String>,
    pub converged: bool,
    pub warnings: Vec<String>,
}

/// Why the HSROC meta-regression was not fitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum HsrocRegError {
    /// The covariate is numeric (the shape term and the separate-Σ fits need levels).
    NotCategorical { covariate: String },
    /// Fewer than 2 levels, too few studies, or too many levels: as the bivariate meta-regression.
    MetaReg(MetaRegError),
    /// A level has fewer than 2 studies: its threshold and shape are not identified.
    SparseLevel { level: String, k: usize },
    /// The model with the covariate on all three terms did not converge.
    Failed { reason: String },
}

impl std::fmt::Display for HsrocRegError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HsrocRegError::NotCategorical { covariate } => write!(
                f,
                "HSROC meta-regression needs a categorical covariate; '{covariate}' is numeric (split it at a threshold)"
            ),
            HsrocRegError::MetaReg(e) => write!(f, "{e}"),
            HsrocRegError::SparseLevel { level, k } => write!(
                f,
                "level '{level}' has {k} stud{}; HSROC meta-regression needs at least 2 per level",
                if *k == 1 { "y" } else { "ies" }
            ),
            HsrocRegError::Failed { reason } => write!(f, "HSROC meta-regression failed: {reason}"),
        }
    }
}

impl std::error::Error for HsrocRegError {}

crate::stats::text_for_people!(HsrocRegError, |v| v);

/// `A(β)` of the module docs.
pub fn a_matrix(beta: f64) -> M2 {
    let (em, ep) = ((-0.5 * beta).exp(), (0.5 * beta).exp());
    M2::new(em, 0.5 * em, -ep, 0.5 * ep)
}

/// HSROC `(Λ, Θ, β, σ²α, σ²θ)` → bivariate `(μ1, μ2, τ1², τ2², σ12)` (inverse of §4.4).
pub fn bivariate_from_hsroc(lambda: f64, theta: f64, beta: f64, s2a: f64, s2t: f64) -> [f64; 5] {
    let a = a_matrix(beta);
    let mu = a.mv([theta, lambda]);
    let s = a.mul(&M2::new(s2t, 0.0, 0.0, s2a)).mul(&a.t());
    [mu[0], mu[1], s.a, s.d, s.b]
}

/// Bivariate → HSROC (§4.4), `None` unless both τ > 0.
pub fn hsroc_from_bivariate(mu1: f64, mu2: f64, t1sq: f64, t2sq: f64, c12: f64) -> Option<[f64; 5]> {
    if !(t1sq > 0.0 && t2sq > 0.0) {
        return None;
    }
    let (sa, sb) = (t1sq.sqrt(), t2sq.sqrt());
    let r = (sb / sa).sqrt();
    Some([
        r * mu1 + mu2 / r,
        0.5 * (r * mu1 - mu2 / r),
        (sb / sa).ln(),
        2.0 * (sa * sb + c12),
        0.5 * (sa * sb - c12),
    ])
}

/// Layout of the working vector for a set of terms with `q = L − 1` dummies:
/// `[Θ0, Λ0, β0, γθ (q if threshold), γα (q if accuracy), γβ (q if shape), σθ, σα]`.
struct Layout {
    terms: Terms,
    q: usize,
}

impl Layout {
    fn n(&self) -> usize {
        3 + self.q
            * (self.terms.threshold as usize + self.terms.accuracy as usize + self.terms.shape as usize)
            + 2
    }
    /// Offsets of (γθ, γα, γβ).
    fn offsets(&self) -> [Option<usize>; 3] {
        let mut at = 3;
        let mut out = [None; 3];
        for (j, on) in [self.terms.threshold, self.terms.accuracy, self.terms.shape].into_iter().enumerate() {
            if on {
                out[j] = Some(at);
                at += self.q;
            }
        }
        out
    }
    /// `(Θ_g, Λ_g, β_g)`.
    fn level(&self, x: &[f64], g: usize) -> [f64; 3] {
        let off = self.offsets();
        let mut v = [x[0], x[1], x[2]];
        if g > 0 {
            for j in 0..3 {
                if let Some(o) = off[j] {
                    v[j] += x[o + g - 1];
                }
            }
        }
        v
    }
    /// Gradient of `(Θ_g, Λ_g, β_g)[j]` wrt `x` (for `c'Vc`).
    fn contrast(&self, g: usize, j: usize) -> Vec<f64> {
        let mut c = vec![0.0; self.n()];
        c[j] = 1.0;
        if g > 0 {
            if let Some(o) = self.offsets()[j] {
                c[o + g - 1] = 1.0;
            }
        }
        c
    }
    fn names(&self, levels: &[String]) -> Vec<String> {
        let mut v: Vec<String> = vec!["Theta".into(), "Lambda".into(), "beta".into()];
        for (on, stem) in
            [(self.terms.threshold, "Theta"), (self.terms.accuracy, "Lambda"), (self.terms.shape, "beta")]
        {
            if on {
                v.extend(levels[1..].iter().map(|l| format!("{stem}_cov{l}")));
            }
        }
        v.extend(["sigma_theta".to_string(), "sigma_alpha".to_string()]);
        v
    }
    /// Embed `x_from` of another layout (missing terms = 0).
    fn embed(&self, from: &Layout, x_from: &[f64]) -> Vec<f64> {
        let mut x = vec![0.0; self.n()];
        x[..3].copy_from_slice(&x_from[..3]);
        let (ot, of) = (self.offsets(), from.offsets());
        for j in 0..3 {
            if let (Some(a), Some(b)) = (ot[j], of[j]) {
                x[a..a + self.q].copy_from_slice(&x_from[b..b + self.q]);
            }
        }
        let (n, nf) = (self.n(), from.n());
        x[n - 2] = x_from[nf - 2];
        x[n - 1] = x_from[nf - 1];
        x
    }
}

/// `ℓ` of the HSROC model: `rows[i]` in level `group[i]`.
struct Likelihood<'a> {
    rows: &'a [Counts],
    group: &'a [usize],
    warm: Vec<[f64; 2]>,
}

impl Likelihood<'_> {
    fn ll(&mut self, lay: &Layout, x: &[f64], rule: &Rule) -> Option<f64> {
        let n = lay.n();
        let (st, sa) = (x[n - 2], x[n - 1]);
        let mut total = 0.0;
        for (i, r) in self.rows.iter().enumerate() {
            let [th, la, be] = lay.level(x, self.group[i]);
            let a = a_matrix(be);
            let mean = a.mv([th, la]);
            let b = a.mul(&M2::new(st, 0.0, 0.0, sa));
            total += integrate(std::slice::from_ref(r), mean, &b, rule, &mut self.warm[i])?;
        }
        total.is_finite().then_some(total)
    }
}

/// Fit at a small rule first (m ≤ 7), then at the final one from there (the staged fit of §2.7a).
fn fit_model(lik: &mut Likelihood, lay: &Layout, x0: &[f64], m: usize) -> Fitted {
    let m0 = m.min(7);
    let start = if m0 < m {
        let r0 = Rule::new(m0);
        let f = maximise(|x| lik.ll(lay, x, &r0), x0);
        if f.loglik.is_finite() {
            f.x
        } else {
            x0.to_vec()
        }
    } else {
        x0.to_vec()
    };
    let rule = Rule::new(m);
    maximise(|x| lik.ll(lay, x, &rule), &start)
}

fn estimates(lay: &Layout, f: &Fitted, levels: &[String], ks: &[usize], z: f64) -> HsrocEstimates {
    let names = lay.names(levels);
    let n = lay.n();
    let se = |i: usize| f.vcov.as_ref().map_or(f64::NAN, |v| v[(i, i)].max(0.0).sqrt());
    let mut params: Vec<Param> = (0..n - 2)
        .map(|i| {
            let zz = (i >= 3).then(|| f.x[i] / se(i));
            Param {
                name: names[i].clone(),
                estimate: f.x[i],
                se: se(i),
                z: zz,
                p_value: zz.map(|z| 2.0 * (1.0 - normal_cdf(z.abs()))),
            }
        })
        .collect();
    let (st, sa) = (f.x[n - 2], f.x[n - 1]);
    // SE of σ² = 2|σ| se(σ) (delta method).
    params.push(Param {
        name: "sigma2_theta".into(),
        estimate: st * st,
        se: 2.0 * st.abs() * se(n - 2),
        z: None,
        p_value: None,
    });
    params.push(Param {
        name: "sigma2_alpha".into(),
        estimate: sa * sa,
        se: 2.0 * sa.abs() * se(n - 1),
        z: None,
        p_value: None,
    });
    let per_level = levels
        .iter()
        .enumerate()
        .map(|(g, level)| {
            let v = lay.level(&f.x, g);
            let est = |j: usize| {
                let c = lay.contrast(g, j);
                let var = f.vcov.as_ref().map_or(f64::NAN, |vc| {
                    let mut s = 0.0;
                    for a in 0..n {
                        for b in 0..n {
                            s += c[a] * vc[(a, b)] * c[b];
                        }
                    }
                    s
                });
                let s = var.max(0.0).sqrt();
                Estimate::new(v[j], v[j] - z * s, v[j] + z * s)
            };
            LevelHsroc { level: level.clone(), k: ks[g], theta: est(0), lambda: est(1), beta: est(2) }
        })
        .collect();
    let boundary = if st.abs() < 1e-3 {
        Some("sigma2_theta = 0 (rho = -1 in the bivariate form)".to_string())
    } else if sa.abs() < 1e-3 {
        Some("sigma2_alpha = 0 (rho = +1 in the bivariate form)".to_string())
    } else {
        None
    };
    HsrocEstimates {
        terms: lay.terms,
        params,
        per_level,
        sigma2_theta: st * st,
        sigma2_alpha: sa * sa,
        boundary,
    }
}

fn lr(full: f64, reduced: f64, df: usize) -> LrTest {
    let s = (2.0 * (full - reduced)).max(0.0);
    LrTest { statistic: s, df, p_value: chi2_sf(s, df as f64) }
}

/// Fit the HSROC meta-regression of `studies` on the categorical `cov` (METHODS §16) with the
/// model settings of `cfg` (exact AGHQ with `cfg.nodes`, or Laplace; REML is refused as in §9.2).
/// Rows with a missing covariate are dropped from every model compared.
///
/// # Errors
/// See [`HsrocRegError`].
pub fn hsroc_regression(
    studies: &[Study],
    cov: &Covariate,
    cfg: &FitConfig,
) -> Result<HsrocRegression, HsrocRegError> {
    if cov.kind != CovariateKind::Categorical {
        return Err(HsrocRegError::NotCategorical { covariate: cov.name.clone() });
    }
    // The bivariate meta-regression: the equivalent parametrisation, the common-Σ ℓ, the starting
    // values, and the same checks (levels, k, REML).
    let mr = meta_regression(studies, cov, cfg).map_err(HsrocRegError::MetaReg)?;
    let levels = mr.levels.clone();
    let q = levels.len() - 1;
    let rows_idx: Vec<usize> = (0..studies.len()).filter(|&i| cov.label_of(i).is_some()).collect();
    let group: Vec<usize> = rows_idx
        .iter()
        .map(|&i| cov.label_of(i).and_then(|l| levels.iter().position(|x| *x == l)).unwrap_or(0))
        .collect();
    let ks: Vec<usize> = (0..levels.len()).map(|g| group.iter().filter(|&&x| x == g).count()).collect();
    if let Some(g) = ks.iter().position(|&k| k < 2) {
        return Err(HsrocRegError::SparseLevel { level: levels[g].clone(), k: ks[g] });
    }
    let sub: Vec<Study> = rows_idx.iter().map(|&i| studies[i].clone()).collect();
    let rows: Vec<Counts> = sub.iter().map(Counts::of).collect();
    let m = if cfg.method == Method::Laplace { 1 } else { cfg.nodes.max(1) };
    let z = z_for_level(cfg.level);

    // Start: the per-level HSROC values implied by the common-Σ bivariate fit (variances floored
    // so that β is finite, as §2.7's start clamps τ ≥ 0.1).
    let (t1, t2) = (mr.tau2_logit_sens.max(0.01), mr.tau2_logit_spec.max(0.01));
    let rho = mr.rho.unwrap_or(0.0).clamp(-0.9, 0.9);
    let c12 = rho * (t1 * t2).sqrt();
    let coef = |name: &str| mr.coefficients.iter().find(|c| c.name == name).map_or(0.0, |c| c.estimate);
    let per_level_h: Vec<[f64; 5]> = levels
        .iter()
        .enumerate()
        .map(|(g, l)| {
            let (m1, m2) = if g == 0 {
                (coef("sens"), coef("spec"))
            } else {
                (coef("sens") + coef(&format!("sens_cov{l}")), coef("spec") + coef(&format!("spec_cov{l}")))
            };
            hsroc_from_bivariate(m1, m2, t1, t2, c12).unwrap_or([0.0; 5])
        })
        .collect();
    let ab = Layout { terms: Terms::new(true, true, false), q };
    let mut x_ab = vec![0.0; ab.n()];
    x_ab[0] = per_level_h[0][1];
    x_ab[1] = per_level_h[0][0];
    x_ab[2] = per_level_h[0][2];
    for g in 1..levels.len() {
        x_ab[3 + g - 1] = per_level_h[g][1] - per_level_h[0][1];
        x_ab[3 + q + g - 1] = per_level_h[g][0] - per_level_h[0][0];
    }
    let n_ab = ab.n();
    x_ab[n_ab - 2] = per_level_h[0][4].max(0.01).sqrt();
    x_ab[n_ab - 1] = per_level_h[0][3].max(0.01).sqrt();

    let mut lik = Likelihood { rows: &rows, group: &group, warm: vec![[0.0; 2]; rows.len()] };
    let f_ab = fit_model(&mut lik, &ab, &x_ab, m);
    let full_l = Layout { terms: Terms::new(true, true, true), q };
    let f_full = fit_model(&mut lik, &full_l, &full_l.embed(&ab, &f_ab.x), m);
    if !f_full.converged {
        return Err(HsrocRegError::Failed {
            reason: format!(
                "the model with the covariate on accuracy, threshold and shape did not converge ({})",
                f_full.termination
            ),
        });
    }
    let mut fits: Vec<(Layout, Fitted)> = Vec::new();
    for t in [Terms::new(false, true, true), Terms::new(true, false, true)] {
        let lay = Layout { terms: t, q };
        let f = fit_model(&mut lik, &lay, &lay.embed(&full_l, &f_full.x), m);
        fits.push((lay, f));
    }
    for t in [Terms::new(false, true, false), Terms::new(true, false, false), Terms::new(false, false, false)]
    {
        let lay = Layout { terms: t, q };
        let f = fit_model(&mut lik, &lay, &lay.embed(&ab, &f_ab.x), m);
        fits.push((lay, f));
    }
    let ll = |t: Terms| -> f64 {
        if t == full_l.terms {
            return f_full.loglik;
        }
        if t == ab.terms {
            return f_ab.loglik;
        }
        fits.iter().find(|(l, _)| l.terms == t).map_or(f64::NAN, |(_, f)| f.loglik)
    };
    let lrt = HsrocTests {
        accuracy: lr(f_full.loglik, ll(Terms::new(false, true, true)), q),
        threshold: lr(f_full.loglik, ll(Terms::new(true, false, true)), q),
        shape: lr(f_full.loglik, f_ab.loglik, q),
        any: lr(f_full.loglik, ll(Terms::new(false, false, false)), 3 * q),
        accuracy_common_shape: lr(f_ab.loglik, ll(Terms::new(false, true, false)), q),
        threshold_common_shape: lr(f_ab.loglik, ll(Terms::new(true, false, false)), q),
    };
    let mut warnings = Vec::new();
    let mut models = vec![model_of(&full_l, &f_full), model_of(&ab, &f_ab)];
    models.extend(fits.iter().map(|(l, f)| model_of(l, f)));
    for md in &models {
        if !md.converged {
            warnings.push(format!(
                "the HSROC model with the covariate on {} did not converge ({}); its LR tests are unreliable",
                md.terms.describe(),
                md.termination
            ));
        }
    }
    let bivariate = Some(BivariateEquivalent {
        coefficients: mr.coefficients.clone(),
        tau2_logit_sens: mr.tau2_logit_sens,
        tau2_logit_spec: mr.tau2_logit_spec,
        rho: mr.rho,
        loglik: mr.loglik,
        loglik_difference: mr.loglik - f_ab.loglik,
    });
    if (mr.loglik - f_ab.loglik).abs() > 1e-4 {
        warnings.push(format!(
            "the bivariate and HSROC parametrisations of the common-shape model reached log-likelihoods {:.6} and {:.6}",
            mr.loglik, f_ab.loglik
        ));
    }
    let (variances_differ, variances_note) = separate_sigma(&sub, &group, &levels, &ks, cfg, mr.loglik);
    let converged = models.iter().all(|m| m.converged);
    Ok(HsrocRegression {
        covariate: cov.name.clone(),
        reference_level: levels[0].clone(),
        levels: levels.clone(),
        k_used: sub.len(),
        rows_dropped_missing: studies.len() - sub.len(),
        nodes: m,
        models,
        full: estimates(&full_l, &f_full, &levels, &ks, z),
        common_shape: estimates(&ab, &f_ab, &levels, &ks, z),
        lrt,
        bivariate,
        variances_differ,
        variances_note,
        converged,
        warnings,
    })
}

fn model_of(lay: &Layout, f: &Fitted) -> HsrocModel {
    HsrocModel {
        terms: lay.terms,
        n_par: lay.n(),
        loglik: f.loglik,
        converged: f.converged,
        iterations: f.iterations,
        termination: f.termination.describe().to_string(),
        max_abs_gradient: f.max_abs_gradient,
    }
}

/// Separate bivariate fits per level (`stats::bivariate::analyze`, the full ML fit of §2.9 item 3)
/// against the common-Σ model.
fn separate_sigma(
    sub: &[Study],
    group: &[usize],
    levels: &[String],
    ks: &[usize],
    cfg: &FitConfig,
    ll_common: f64,
) -> (Option<VariancesDiffer>, Option<String>) {
    if let Some(g) = ks.iter().position(|&k| k < 4) {
        return (
            None,
            Some(format!(
                "the variances-differ test needs a bivariate fit per level (at least 4 studies each); level '{}' has {}",
                levels[g], ks[g]
            )),
        );
    }
    let cfg1 = FitConfig { auc_ci: super::bivariate::AucCi::None, node_check: false, ..cfg.clone() };
    let mut per_level = Vec::new();
    for (g, level) in levels.iter().enumerate() {
        let s: Vec<Study> = sub.iter().zip(group).filter(|(_, &x)| x == g).map(|(s, _)| s.clone()).collect();
        match analyze(&s, &cfg1) {
            Ok(r) if r.model.rung == Rung::B2 && r.model.converged => per_level.push(SeparateLevel {
                level: level.clone(),
                k: s.len(),
                mu_logit_sens: r.model.mu_logit_sens,
                mu_logit_spec: r.model.mu_logit_spec,
                tau2_logit_sens: r.model.tau2_logit_sens,
                tau2_logit_spec: r.model.tau2_logit_spec,
                rho: r.model.rho,
                loglik: r.model.loglik,
                rung: r.model.rung,
                boundary: r.model.boundary.map(|b| b.to_string()),
            }),
            Ok(r) => {
                return (
                    None,
                    Some(format!(
                        "level '{level}': its own bivariate fit ended at rung {} ({}), so the variances-differ test is not given",
                        r.model.rung.name(),
                        r.model.fallback.as_ref().map_or_else(|| r.model.termination.describe().to_string(), |f| f.to_string())
                    )),
                )
            }
            Err(e) => return (None, Some(format!("level '{level}': {e}"))),
        }
    }
    let ll_sep: f64 = per_level.iter().map(|p| p.loglik).sum();
    let q = levels.len() - 1;
    (
        Some(VariancesDiffer {
            per_level,
            loglik_separate: ll_sep,
            loglik_common: ll_common,
            lrt: lr(ll_sep, ll_common, 3 * q),
        }),
        None,
    )
}

/// `ℓ` of the bivariate model with per-level means `mu[g]` and a Σ per level, computed by this
/// module's engine (for the §16.2 identity and the separate-Σ check in the tests).
pub fn bivariate_loglik(
    studies: &[Study],
    group: &[usize],
    mu: &[[f64; 2]],
    sigma: &[[f64; 3]],
    m: usize,
) -> Option<f64> {
    let rule = Rule::new(m);
    let mut total = 0.0;
    for (s, &g) in studies.iter().zip(group) {
        let [v1, v2, c] = sigma[g];
        let l = M2::new(v1, c, c, v2).chol_lower();
        let mut w = [0.0; 2];
        total += integrate(&[Counts::of(s)], mu[g], &l, &rule, &mut w)?;
    }
    Some(total)
}

/// `ℓ` of the HSROC model with per-level `(Λ, Θ, β)` and common `(σ²α, σ²θ)` by the same engine.
pub fn hsroc_loglik(
    studies: &[Study],
    group: &[usize],
    lab: &[[f64; 3]],
    s2a: f64,
    s2t: f64,
    m: usize,
) -> Option<f64> {
    let rule = Rule::new(m);
    let mut total = 0.0;
    for (s, &g) in studies.iter().zip(group) {
        let [la, th, be] = lab[g];
        let a = a_matrix(be);
        let b = a.mul(&M2::new(s2t.sqrt(), 0.0, 0.0, s2a.sqrt()));
        let mut w = [0.0; 2];
        total += integrate(&[Counts::of(s)], a.mv([th, la]), &b, &rule, &mut w)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maps_invert_each_other() {
        let h = hsroc_from_bivariate(1.3, 2.1, 0.8, 1.9, -0.4).expect("finite");
        let b = bivariate_from_hsroc(h[0], h[1], h[2], h[3], h[4]);
        for (x, y) in b.iter().zip([1.3, 2.1, 0.8, 1.9, -0.4]) {
            assert!((x - y).abs() < 1e-12, "{b:?}");
        }
    }
}
