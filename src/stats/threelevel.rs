//! The three-level bivariate model: several validation cohorts (2×2 tables) per study (METHODS
//! §15.3).
//!
//! `logit Se_icr = μ1 + u_i1 + v_ic1`, `logit Sp_icr = μ2 + u_i2 + v_ic2`, `u_i ~ N₂(0, Σ_s)`
//! (study), `v_ic ~ N₂(0, Σ_c)` (cohort within study), independent. Spherical form (§2.3):
//! `u = L_s a`, `v = L_c b` with `L_s`, `L_c` lower Cholesky factors whose elements are the free
//! parameters (`θ = (μ1, μ2, ls11, ls21, ls22, lc11, lc21, lc22)`, the metric of lme4), so zero
//! variances and |ρ| = 1 are reachable.
//!
//! * **Laplace**: one joint mode per study over `(a, b_1..b_C)` (dimension 2(C+1)); the Hessian is
//!   block-arrow; `ln L_i ≈ g(ŵ) − ½ ln det(−∇²g)`. This is what lme4 `glmer(nAGQ = 1)` and glmmTMB
//!   compute for `(0 + sens + spec | study) + (0 + sens + spec | study:cohort)`.
//! * **Exact (nested AGHQ)**: outer adaptive `m_o²` rule for `a`, centred at the joint mode and
//!   scaled by the Schur complement of the joint Hessian (the curvature of the marginal in `a`);
//!   at every outer node, each cohort's inner integral over `b_c` by its own adaptive `m_i²` rule
//!   (§2.6). Cost per study ≈ `m_o² · C · (m_i² + Newton)` row evaluations; the fit runs Laplace
//!   first, then BFGS on the exact likelihood from there, and ℓ is re-evaluated with both rules
//!   doubled (the node-convergence check).
//!
//! Studies with one cohort inform `Σ_s + Σ_c` only; the split needs at least one study with two
//! or more cohorts.

use super::bivariate::{FitConfig, Method};
use super::estimate::Estimate;
use super::glmm::mat2::M2;
use super::multilevel::{
    adaptive_sum, integrate, lower, maximise, maximise_from, tau_rho, Counts, Fitted, Rule,
};
use super::summary::{summary_point, Pooled, SummaryPoint};
use super::transform::{chi2_sf, z_for_level};
use crate::data::Study;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// The largest outer rule of the nested quadrature (`--nodes` above it is capped for this model;
/// cost ∝ m_o² m_i²). On smoking, outer 9 → 18 changes ℓ by < 1e-9 at a fixed θ.
pub const MAX_OUTER_NODES: usize = 9;
/// The largest inner rule. The inner integrals are per-cohort binomial likelihoods with zero cells
/// and large n, which need as many nodes as the two-level model (METHODS §2.7a: m ≥ 17): on
/// smoking inner 9 is off by 1.4e-4 in ℓ, 18 by 3e-7, 21 by < 1e-7 (against 25).
pub const MAX_INNER_NODES: usize = 21;
/// Studies with more cohorts than this make the joint Laplace step and the nested rule too costly
/// for the page; refused with a message.
pub const MAX_COHORTS_PER_STUDY: usize = 40;

/// One study: its cohorts, each a list of rows.
#[derive(Clone, Debug)]
struct StudyRows {
    cohorts: Vec<Vec<Counts>>,
}

/// A covariance matrix with its parts.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Cov2 {
    pub tau2_logit_sens: f64,
    pub tau2_logit_spec: f64,
    pub rho: Option<f64>,
}

/// One fitted three-level model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ThreeLevelFit {
    /// `laplace` or `nested-aghq`.
    pub method: String,
    /// `(m_o, m_i)` for the nested rule; `None` for Laplace.
    pub nodes: Option<(usize, usize)>,
    pub mu_logit_sens: f64,
    pub mu_logit_spec: f64,
    pub se_logit_sens: f64,
    pub se_logit_spec: f64,
    pub vcov_mu: [[f64; 2]; 2],
    pub study: Cov2,
    pub cohort: Cov2,
    /// Share of the between-table variance that is between studies, per margin:
    /// `τ²_s / (τ²_s + τ²_c)`.
    pub share_between_studies: [f64; 2],
    /// `tr Σ_s / (tr Σ_s + tr Σ_c)`.
    pub share_between_studies_trace: f64,
    /// Pooled sensitivity, specificity, LR, DOR (total variance `Σ_s + Σ_c` for the regions).
    pub summary: SummaryPoint,
    pub loglik: f64,
    pub converged: bool,
    pub iterations: usize,
    pub termination: String,
    pub max_abs_gradient: f64,
    /// Which variance is at its boundary, when one is.
    pub boundary: Option<String>,
    /// `((2m_o, 2m_i), ℓ)` at the estimate with both rules doubled (nested AGHQ only).
    pub loglik_doubled_nodes: Option<((usize, usize), f64)>,
    /// Free parameters in the Cholesky metric and their covariance (order `μ1, μ2, ls11, ls21,
    /// ls22, lc11, lc21, lc22`).
    pub theta: Vec<f64>,
}

/// The three-level analysis.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ThreeLevel {
    /// Column the study labels came from (or "study label" for repeated labels).
    pub study_column: String,
    /// Column that labels cohorts within a study; `None`: every row is its own cohort.
    pub cohort_column: Option<String>,
    pub n_studies: usize,
    pub n_cohorts: usize,
    pub n_rows: usize,
    /// Studies with ≥ 2 cohorts (these identify the split of the variance).
    pub n_multi_cohort_studies: usize,
    pub max_cohorts_per_study: usize,
    pub laplace: ThreeLevelFit,
    /// The exact fit (when the model is AGHQ).
    pub exact: Option<ThreeLevelFit>,
    /// ℓ of the two-level model (study variance fixed at 0: cohorts independent) by Laplace, and
    /// the LR statistic against the Laplace three-level fit (its null lies on the boundary;
    /// `p_conservative` is from χ²₃ and overstates p).
    pub loglik_two_level: f64,
    pub lr_study_level: f64,
    pub p_conservative: f64,
    pub warnings: Vec<String>,
}

/// Why the three-level model was not fitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum ThreeLevelError {
    /// No study has two or more cohorts: Σ_s and Σ_c are not separately identified.
    NoRepeatedStudies,
    TooFewStudies {
        got: usize,
    },
    /// Each cohort needs its own random effect; more than [`MAX_COHORTS_PER_STUDY`] in one study.
    TooManyCohorts {
        study: String,
        cohorts: usize,
    },
    NeedsMl,
    Failed {
        reason: String,
    },
}

impl std::fmt::Display for ThreeLevelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ThreeLevelError::NoRepeatedStudies => write!(
                f,
                "no study has more than one cohort (2×2 table): the three-level model needs repeated study labels"
            ),
            ThreeLevelError::TooFewStudies { got } => {
                write!(f, "the three-level model needs at least 3 studies; {got} given")
            }
            ThreeLevelError::TooManyCohorts { study, cohorts } => write!(
                f,
                "study '{study}' has {cohorts} cohorts; the three-level model takes at most {MAX_COHORTS_PER_STUDY} per study"
            ),
            ThreeLevelError::NeedsMl => write!(
                f,
                "the three-level model is fitted by maximum likelihood (exact or Laplace), not REML"
            ),
            ThreeLevelError::Failed { reason } => write!(f, "three-level model failed: {reason}"),
        }
    }
}

impl std::error::Error for ThreeLevelError {}

crate::stats::text_for_people!(ThreeLevelError, |v| v);

fn factors(x: &[f64]) -> ([f64; 2], M2, M2) {
    ([x[0], x[1]], lower(x[2], x[3], x[4]), lower(x[5], x[6], x[7]))
}

/// Joint mode of one study: `w = (a, b_1..b_C)`; returns `g(ŵ)`, the negative Hessian and `ŵ`.
fn joint_mode(
    st: &StudyRows,
    mu: [f64; 2],
    ls: &M2,
    lc: &M2,
    w: &mut DVector<f64>,
) -> Option<(f64, DMatrix<f64>)> {
    let nc = st.cohorts.len();
    let n = 2 * (nc + 1);
    let eval = |w: &DVector<f64>| -> (f64, DVector<f64>, DMatrix<f64>) {
        let a = [w[0], w[1]];
        let sa = ls.mv(a);
        let mut g = -0.5 * w.norm_squared();
        let mut grad = -w.clone();
        let mut h = DMatrix::<f64>::identity(n, n);
        for (c, rows) in st.cohorts.iter().enumerate() {
            let b = [w[2 + 2 * c], w[3 + 2 * c]];
            let vb = lc.mv(b);
            let eta = [mu[0] + sa[0] + vb[0], mu[1] + sa[1] + vb[1]];
            let (mut s, mut d) = ([0.0; 2], [0.0; 2]);
            for r in rows {
                g += r.log_f(eta);
                let (sr, dr) = r.score_weight(eta);
                s = [s[0] + sr[0], s[1] + sr[1]];
                d = [d[0] + dr[0], d[1] + dr[1]];
            }
            let (gs, gc) = (ls.tv(s), lc.tv(s));
            grad[0] += gs[0];
            grad[1] += gs[1];
            grad[2 + 2 * c] += gc[0];
            grad[3 + 2 * c] += gc[1];
            // Blocks: Ls'DLs, Ls'DLc, Lc'DLc.
            let dm = M2::new(d[0], 0.0, 0.0, d[1]);
            let uu = ls.t().mul(&dm).mul(ls);
            let uv = ls.t().mul(&dm).mul(lc);
            let vv = lc.t().mul(&dm).mul(lc);
            let o = 2 + 2 * c;
            h[(0, 0)] += uu.a;
            h[(0, 1)] += uu.b;
            h[(1, 0)] += uu.c;
            h[(1, 1)] += uu.d;
            for (i, j, v) in [(0, 0, uv.a), (0, 1, uv.b), (1, 0, uv.c), (1, 1, uv.d)] {
                h[(i, o + j)] += v;
                h[(o + j, i)] += v;
            }
            h[(o, o)] += vv.a;
            h[(o, o + 1)] += vv.b;
            h[(o + 1, o)] += vv.c;
            h[(o + 1, o + 1)] += vv.d;
        }
        (g, grad, h)
    };
    let (mut g, mut grad, mut h) = eval(w);
    for _ in 0..60 {
        let step = h.clone().cholesky()?.solve(&grad);
        let mut t = 1.0;
        let mut moved = false;
        for _ in 0..30 {
            let cand = &*w + &step * t;
            let (gc, grc, hc) = eval(&cand);
            if gc.is_finite() && gc >= g - 1e-13 * g.abs().max(1.0) {
                *w = cand;
                (g, grad, h) = (gc, grc, hc);
                moved = true;
                break;
            }
            t *= 0.5;
        }
        if !moved || step.amax() * t < 1e-12 {
            break;
        }
    }
    g.is_finite().then_some((g, h))
}

/// `ln L_i` of one study: Laplace (`rules = None`) or nested AGHQ with `(outer, inner)` rules.
fn study_loglik(
    st: &StudyRows,
    x: &[f64],
    rules: Option<(&Rule, &Rule)>,
    w: &mut DVector<f64>,
) -> Option<f64> {
    let (mu, ls, lc) = factors(x);
    let (g, h) = joint_mode(st, mu, &ls, &lc, w)?;
    let Some((ro, ri)) = rules else {
        let ch = h.cholesky()?;
        let logdet: f64 = ch.l().diagonal().iter().map(|d| 2.0 * d.ln()).sum();
        return Some(g - 0.5 * logdet);
    };
    // Outer curvature: Schur complement of the cohort blocks (exact: H_vv is block diagonal).
    let mut s = M2::new(h[(0, 0)], h[(0, 1)], h[(1, 0)], h[(1, 1)]);
    for c in 0..st.cohorts.len() {
        let o = 2 + 2 * c;
        let huv = M2::new(h[(0, o)], h[(0, o + 1)], h[(1, o)], h[(1, o + 1)]);
        let hvv = M2::new(h[(o, o)], h[(o, o + 1)], h[(o + 1, o)], h[(o + 1, o + 1)]);
        s = s.add(&huv.mul(&hvv.inv()).mul(&huv.t()).scale(-1.0));
    }
    let r = s.inv().chol_lower();
    let centre = [w[0], w[1]];
    let warm0: Vec<[f64; 2]> = (0..st.cohorts.len()).map(|c| [w[2 + 2 * c], w[3 + 2 * c]]).collect();
    let mut failed = false;
    let val = adaptive_sum(ro, centre, &r, |a| {
        let sa = ls.mv(a);
        let mut tot = -0.5 * (a[0] * a[0] + a[1] * a[1]);
        for (c, rows) in st.cohorts.iter().enumerate() {
            let mut wc = warm0[c];
            match integrate(rows, [mu[0] + sa[0], mu[1] + sa[1]], &lc, ri, &mut wc) {
                Some(v) => tot += v,
                None => failed = true,
            }
        }
        tot
    })?;
    (!failed).then(|| val - (2.0 * std::f64::consts::PI).ln())
}

struct Model<'a> {
    studies: &'a [StudyRows],
    warm: Vec<DVector<f64>>,
}

impl Model<'_> {
    fn ll(&mut self, x: &[f64], rules: Option<(&Rule, &Rule)>) -> Option<f64> {
        let mut tot = 0.0;
        for (st, w) in self.studies.iter().zip(self.warm.iter_mut()) {
            tot += study_loglik(st, x, rules, w)?;
        }
        tot.is_finite().then_some(tot)
    }
}

fn cov_of(l: &M2) -> Cov2 {
    let (v1, v2, rho) = tau_rho(l);
    Cov2 { tau2_logit_sens: v1, tau2_logit_spec: v2, rho }
}

fn boundary_of(s: &Cov2, c: &Cov2) -> Option<String> {
    let mut v = Vec::new();
    for (name, cv) in [("study", s), ("cohort", c)] {
        if cv.tau2_logit_sens < 1e-6 {
            v.push(format!("{name} variance of logit sensitivity = 0"));
        }
        if cv.tau2_logit_spec < 1e-6 {
            v.push(format!("{name} variance of logit specificity = 0"));
        }
        if let Some(r) = cv.rho.filter(|r| r.abs() > 0.995) {
            v.push(format!("{name} correlation = {}", if r > 0.0 { "+1" } else { "-1" }));
        }
    }
    (!v.is_empty()).then(|| v.join("; "))
}

fn report(f: &Fitted, method: &str, nodes: Option<(usize, usize)>, k: usize, z: f64) -> ThreeLevelFit {
    let (mu, ls, lc) = factors(&f.x);
    let (study, cohort) = (cov_of(&ls), cov_of(&lc));
    let v = |i: usize, j: usize| f.vcov.as_ref().map_or(f64::NAN, |v| v[(i, j)]);
    let vcov_mu = [[v(0, 0), v(0, 1)], [v(1, 0), v(1, 1)]];
    let sig = |c: &Cov2| c.rho.map_or(0.0, |r| r * (c.tau2_logit_sens * c.tau2_logit_spec).sqrt());
    let tau2 =
        [study.tau2_logit_sens + cohort.tau2_logit_sens, study.tau2_logit_spec + cohort.tau2_logit_spec];
    let share = |a: f64, b: f64| if a + b > 0.0 { a / (a + b) } else { f64::NAN };
    let pooled = Pooled { mu, vcov_mu, tau2, cov12: sig(&study) + sig(&cohort), k };
    ThreeLevelFit {
        method: method.to_string(),
        nodes,
        mu_logit_sens: mu[0],
        mu_logit_spec: mu[1],
        se_logit_sens: vcov_mu[0][0].max(0.0).sqrt(),
        se_logit_spec: vcov_mu[1][1].max(0.0).sqrt(),
        vcov_mu,
        share_between_studies: [
            share(study.tau2_logit_sens, cohort.tau2_logit_sens),
            share(study.tau2_logit_spec, cohort.tau2_logit_spec),
        ],
        share_between_studies_trace: share(
            study.tau2_logit_sens + study.tau2_logit_spec,
            cohort.tau2_logit_sens + cohort.tau2_logit_spec,
        ),
        summary: summary_point(&pooled, z),
        boundary: boundary_of(&study, &cohort),
        study,
        cohort,
        loglik: f.loglik,
        converged: f.converged,
        iterations: f.iterations,
        termination: f.termination.describe().to_string(),
        max_abs_gradient: f.max_abs_gradient,
        loglik_doubled_nodes: None,
        theta: f.x.clone(),
    }
}

/// Group rows into studies and cohorts: rows with the same `study` label form a study (a row
/// without one is a study of its own); within it, rows with the same `cohort` label form a cohort
/// (`None`: every row is a cohort).
fn group(
    studies: &[Study],
    study: &[Option<String>],
    cohort: Option<&[Option<String>]>,
) -> (Vec<StudyRows>, Vec<String>) {
    let mut keys: Vec<String> = Vec::new();
    let mut out: Vec<(Vec<Option<String>>, StudyRows)> = Vec::new();
    for (i, s) in studies.iter().enumerate() {
        let key = study.get(i).cloned().flatten().unwrap_or_else(|| format!("\u{0}row{i}"));
        let at = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
            keys.push(key.clone());
            out.push((Vec::new(), StudyRows { cohorts: Vec::new() }));
            keys.len() - 1
        });
        let ck = cohort.and_then(|c| c.get(i).cloned().flatten());
        let (labels, st) = &mut out[at];
        match ck.as_ref().and_then(|c| labels.iter().position(|l| l.as_ref() == Some(c))) {
            Some(j) => st.cohorts[j].push(Counts::of(s)),
            None => {
                labels.push(ck);
                st.cohorts.push(vec![Counts::of(s)]);
            }
        }
    }
    (out.into_iter().map(|(_, s)| s).collect(), keys)
}

/// Fit the three-level model (METHODS §15.3). `study[i]` is the study label of row `i`,
/// `cohort[i]` its cohort label within the study (or every row its own cohort).
///
/// # Errors
/// See [`ThreeLevelError`].
pub fn three_level(
    studies: &[Study],
    study: &[Option<String>],
    cohort: Option<&[Option<String>]>,
    names: (&str, Option<&str>),
    cfg: &FitConfig,
) -> Result<ThreeLevel, ThreeLevelError> {
    if cfg.method == Method::Reitsma {
        return Err(ThreeLevelError::NeedsMl);
    }
    let (grouped, keys) = group(studies, study, cohort);
    if grouped.len() < 3 {
        return Err(ThreeLevelError::TooFewStudies { got: grouped.len() });
    }
    let n_multi = grouped.iter().filter(|s| s.cohorts.len() >= 2).count();
    if n_multi == 0 {
        return Err(ThreeLevelError::NoRepeatedStudies);
    }
    let max_c = grouped.iter().map(|s| s.cohorts.len()).max().unwrap_or(0);
    if let Some(i) = grouped.iter().position(|s| s.cohorts.len() > MAX_COHORTS_PER_STUDY) {
        return Err(ThreeLevelError::TooManyCohorts {
            study: keys[i].clone(),
            cohorts: grouped[i].cohorts.len(),
        });
    }
    let n_cohorts: usize = grouped.iter().map(|s| s.cohorts.len()).sum();
    let z = z_for_level(cfg.level);
    let mut model = Model {
        studies: &grouped,
        warm: grouped.iter().map(|s| DVector::zeros(2 * (s.cohorts.len() + 1))).collect(),
    };
    // Start: pooled logits, half of a moderate variance at each level.
    let (mut a1, mut b1, mut a0, mut b0) = (0.0, 0.0, 0.0, 0.0);
    for s in studies {
        a1 += s.tp as f64 + 0.5;
        b1 += s.n_diseased() as f64 + 1.0;
        a0 += s.tn as f64 + 0.5;
        b0 += (s.tn + s.fp) as f64 + 1.0;
    }
    let lg = |a: f64, b: f64| (a / (b - a)).ln();
    let x0 = [lg(a1, b1), lg(a0, b0), 0.7, 0.0, 0.7, 0.7, 0.0, 0.7];
    let lap = maximise(|x| model.ll(x, None), &x0);
    if !lap.loglik.is_finite() {
        return Err(ThreeLevelError::Failed {
            reason: format!("the Laplace likelihood could not be maximised ({})", lap.termination),
        });
    }
    let mut warnings = Vec::new();
    let laplace = report(&lap, "laplace", None, studies.len(), z);
    if !laplace.converged {
        warnings.push(format!(
            "the Laplace fit did not converge ({}; largest gradient {:.1e}){}",
            laplace.termination,
            laplace.max_abs_gradient,
            if lap.vcov.is_none() {
                "; its Hessian is not positive definite (a variance at its boundary), so SEs are not given"
            } else {
                ""
            }
        ));
    }
    let exact = if cfg.method == Method::Aghq && cfg.nodes > 1 {
        let (mo, mi) = (cfg.nodes.min(MAX_OUTER_NODES), cfg.nodes.min(MAX_INNER_NODES));
        let (ro, ri) = (Rule::new(mo), Rule::new(mi));
        let f = maximise_from(|x| model.ll(x, Some((&ro, &ri))), &lap.x, lap.vcov.clone());
        let mut r = report(&f, "nested-aghq", Some((mo, mi)), studies.len(), z);
        let (r2o, r2i) = (Rule::new(2 * mo), Rule::new(2 * mi));
        if let Some(l2) = model.ll(&f.x, Some((&r2o, &r2i))) {
            r.loglik_doubled_nodes = Some(((2 * mo, 2 * mi), l2));
            if (l2 - f.loglik).abs() > 1e-4 {
                warnings.push(format!(
                    "doubling the nested quadrature nodes ({mo}, {mi} → {}, {}) moves ℓ by {:.1e}: the exact fit is not yet converged in the nodes",
                    2 * mo,
                    2 * mi,
                    (l2 - f.loglik).abs()
                ));
            }
        }
        if !r.converged {
            warnings.push(format!("the exact (nested AGHQ) fit did not converge ({})", r.termination));
        }
        Some(r)
    } else {
        None
    };
    // Two-level comparison (study variance fixed at 0), by Laplace against the Laplace fit: the
    // exact refit would double the cost of the exact model for a test whose p is only a bound.
    let two = {
        let th = &laplace.theta;
        let x0 = [th[0], th[1], th[5], th[6], th[7]];
        maximise(|y| model.ll(&[y[0], y[1], 0.0, 0.0, 0.0, y[2], y[3], y[4]], None), &x0)
    };
    let lr = (2.0 * (laplace.loglik - two.loglik)).max(0.0);
    Ok(ThreeLevel {
        study_column: names.0.to_string(),
        cohort_column: names.1.map(str::to_string),
        n_studies: grouped.len(),
        n_cohorts,
        n_rows: studies.len(),
        n_multi_cohort_studies: n_multi,
        max_cohorts_per_study: max_c,
        laplace,
        exact,
        loglik_two_level: two.loglik,
        lr_study_level: lr,
        p_conservative: chi2_sf(lr, 3.0),
        warnings,
    })
}

/// The head fit's pooled sensitivity and specificity (exact if present, else Laplace).
pub fn headline(t: &ThreeLevel) -> (&ThreeLevelFit, Estimate, Estimate) {
    let f = t.exact.as_ref().unwrap_or(&t.laplace);
    (f, f.summary.sensitivity, f.summary.specificity)
}

/// `ℓ` of the three-level model at `theta` (order `μ1, μ2, ls11, ls21, ls22, lc11, lc21, lc22`):
/// Laplace when `nodes` is `None`, else nested AGHQ with `(m_o, m_i)` (for checks against other
/// implementations at a common parameter).
pub fn loglik_at(
    studies: &[Study],
    study: &[Option<String>],
    cohort: Option<&[Option<String>]>,
    theta: &[f64; 8],
    nodes: Option<(usize, usize)>,
) -> Option<f64> {
    let (grouped, _) = group(studies, study, cohort);
    let mut model = Model {
        studies: &grouped,
        warm: grouped.iter().map(|s| DVector::zeros(2 * (s.cohorts.len() + 1))).collect(),
    };
    let rules = nodes.map(|(o, i)| (Rule::new(o), Rule::new(i)));
    model.ll(theta, rules.as_ref().map(|(a, b)| (a, b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cohorts that are exact copies within each study: the cohort variance goes to its boundary
    /// (0); the fit ends without a panic and says so (boundary, or not converged with the reason).
    #[test]
    fn identical_cohorts_put_the_cohort_variance_at_zero() {
        let base = [
            (40, 8, 10, 90),
            (25, 12, 5, 70),
            (60, 3, 20, 110),
            (33, 20, 7, 95),
            (48, 6, 12, 60),
            (20, 9, 9, 80),
        ];
        let mut studies = Vec::new();
        let mut labels = Vec::new();
        for (i, &(tp, fp, fn_, tn)) in base.iter().enumerate() {
            for c in 0..2 {
                studies.push(Study::new(format!("S{i}.{c}"), tp, fp, fn_, tn));
                labels.push(Some(format!("S{i}")));
            }
        }
        let cfg = FitConfig { method: Method::Laplace, ..FitConfig::default() };
        let t = three_level(&studies, &labels, None, ("s", None), &cfg).expect("fit");
        let f = &t.laplace;
        assert!(f.cohort.tau2_logit_sens < 1e-3 && f.cohort.tau2_logit_spec < 1e-3, "{:?}", f.cohort);
        assert!(f.boundary.is_some() || !f.converged, "{f:?}");
        if !f.converged {
            assert!(!t.warnings.is_empty());
        }
        // The two-level likelihood is the same maximum (nothing for a cohort level to explain).
        assert!((f.loglik - t.loglik_two_level).abs() < 1e-3 || f.loglik > t.loglik_two_level);
    }
}
