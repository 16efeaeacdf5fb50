//! Comparative / multi-test meta-analysis (METHODS §15.1–§15.2): several 2×2 tables per study,
//! one per index test, sharing one bivariate study random effect, with fixed effects per test for
//! logit sensitivity and logit specificity:
//!
//! `logit Se_ir = μ_A,t(r) + u_iA`, `logit Sp_ir = μ_B,t(r) + u_iB`, `u_i ~ N₂(0, Σ)`.
//!
//! The marginal likelihood of a study stays a 2-D integral whatever the number of its tables, so
//! the §2 engine fits it (exact AGHQ or Laplace; [`crate::stats::glmm::fit::Design::with_groups`]),
//! with the §2.9 boundary refits and the §9.4 ladder (B2 → B0). This is
//! `glmer(cbind(true, n - true) ~ 0 + test:sens + test:spec + (0 + sens + spec | study))`.
//!
//! Outputs: per-test pooled estimates with every §4 summary; relative sensitivity and
//! specificity against the reference test (ratio, log-scale delta-method CI, §15.2) and
//! differences (natural-scale delta method); LR tests of equal sensitivity (df T−1), equal
//! specificity (df T−1) and both (df 2(T−1)), each reduced model fitted with the same random-effects
//! structure; and, when no study reports two tests (the only case where test-specific Σ_t is
//! identifiable, §15.1), the LR test "variances differ" against separate fits per test (df 3(T−1)).

use super::bivariate::{
    analyze, boundary_of, fit_b0, fit_b2, nodes_of, Boundary, Fallback, FallbackReason, FitConfig, Method,
    Rung,
};
use super::estimate::Estimate;
use super::glmm::fit::{loglik_check, maximise_loglik, start_values, Design, StructFit};
use super::glmm::likelihood::CovStructure;
use super::glmm::optim::Termination;
use super::metareg::LrTest;
use super::summary::{
    auc_exact, hsroc, region, region_radius, sroc_curve, summary_point, truncate_metandi, Curve, Hsroc,
    Pooled, SummaryPoint,
};
use super::transform::{chi2_sf, prob_from_logit, z_for_level};
use crate::data::Study;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// The tables of a comparative analysis: every row is one 2×2 table of study `study[r]` for test
/// `test[r]` (indices into `tests`).
#[derive(Clone, Copy, Debug)]
pub struct ComparativeInput<'a> {
    pub tables: &'a [Study],
    pub study: &'a [usize],
    pub test: &'a [usize],
    /// Test names; the first is the reference of the relative estimates.
    pub tests: &'a [String],
}

/// Why no comparative fit was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum ComparativeError {
    /// Fewer than two tests have tables.
    TooFewTests { tests: usize },
    /// Fewer than two studies.
    TooFewStudies { got: usize },
    /// Reitsma REML has no likelihood to share a random effect in (and no LR tests of fixed effects).
    NeedsMl,
    /// The input's vectors disagree in length or index past `tests`.
    BadInput,
    /// Neither the bivariate model nor the simpler B0 model converged.
    NotConverged { termination: Termination },
}

impl std::fmt::Display for ComparativeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ComparativeError::TooFewTests { tests } => {
                write!(f, "a comparison needs at least 2 tests with tables; {tests} found")
            }
            ComparativeError::TooFewStudies { got } => {
                write!(f, "a comparison needs at least 2 studies; {got} given")
            }
            ComparativeError::NeedsMl => write!(
                f,
                "the comparative model is fitted by maximum likelihood (exact or Laplace), not Reitsma REML"
            ),
            ComparativeError::BadInput => write!(f, "the tables, study and test columns disagree"),
            ComparativeError::NotConverged { termination } => {
                write!(f, "the comparative model did not converge ({})", termination.describe())
            }
        }
    }
}

impl std::error::Error for ComparativeError {}

crate::stats::text_for_people!(ComparativeError, |v| v);

/// One fixed effect of the model with its standard error.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Coef {
    /// `sens:CT`, `spec:MRI`, … (the glmer names without the `test` prefix).
    pub name: String,
    pub estimate: f64,
    pub se: f64,
}

/// Pooled estimates of one test under the shared model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TestEstimate {
    pub test: String,
    /// Tables of this test, and the studies they come from (equal: one table per study and test).
    pub k: usize,
    pub mu_logit_sens: f64,
    pub mu_logit_spec: f64,
    pub vcov_mu: [[f64; 2]; 2],
    pub summary: SummaryPoint,
    pub hsroc: Option<Hsroc>,
    /// Exact AUC of this test's SROC curve (§4.6; no interval here).
    pub auc: Option<f64>,
    /// Marginal prediction intervals for a new study (§5.6, t with k−2 df of the test's tables).
    pub prediction_interval_sens: Option<[f64; 2]>,
    pub prediction_interval_spec: Option<[f64; 2]>,
    /// Rutter–Gatsonis curve (metandi truncation to the test's data), regions.
    pub sroc_curve: Curve,
    pub confidence_region: Curve,
    pub prediction_region: Curve,
    /// Against the reference test (`None` for the reference itself): ratio Se_t / Se_ref with a
    /// log-scale delta-method CI, and the difference Se_t − Se_ref (natural-scale delta method).
    pub relative_sensitivity: Option<Estimate>,
    pub relative_specificity: Option<Estimate>,
    pub difference_sensitivity: Option<Estimate>,
    pub difference_specificity: Option<Estimate>,
}

/// LR tests between tests (§15.2).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct ComparisonTests {
    /// Equal sensitivity across tests (df T−1).
    pub equal_sensitivity: LrTest,
    /// Equal specificity (df T−1).
    pub equal_specificity: LrTest,
    /// Both equal (df 2(T−1)).
    pub equal_both: LrTest,
}

/// The test-specific variances variant (§15.1): separate bivariate fits per test, compared with the
/// shared-Σ model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeparateVariances {
    /// `Some` when every separate fit converged (at rung B2, same structure family).
    pub lrt: Option<LrTest>,
    pub loglik_separate: Option<f64>,
    /// Per test: τ² of logit Se and of logit Sp, ρ, from its own fit.
    pub per_test: Vec<(String, f64, f64, Option<f64>)>,
    /// Why the test is not given (a study reports two tests; a separate fit fell back).
    pub note: Option<String>,
}

/// The comparative fit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Comparative {
    pub tests: Vec<String>,
    pub reference: String,
    pub k_studies: usize,
    pub k_tables: usize,
    /// Studies reporting more than one test / every test.
    pub studies_with_several_tests: usize,
    pub studies_with_every_test: usize,
    pub method: Method,
    pub nodes: usize,
    pub converged: bool,
    pub iterations: usize,
    pub termination: Termination,
    pub boundary: Option<Boundary>,
    pub rung: Rung,
    pub fallback: Option<Fallback>,
    pub warnings: Vec<String>,
    pub coefficients: Vec<Coef>,
    pub vcov: Vec<Vec<f64>>,
    pub tau2_logit_sens: f64,
    pub tau2_logit_spec: f64,
    pub rho: Option<f64>,
    pub loglik: f64,
    /// `ℓ` re-evaluated at the estimate with `2m+1` nodes (§2.6).
    pub loglik_check_nodes: Option<(usize, f64)>,
    pub max_abs_gradient: f64,
    pub aic: f64,
    pub per_test: Vec<TestEstimate>,
    pub lrt: ComparisonTests,
    pub loglik_equal_sens: f64,
    pub loglik_equal_spec: f64,
    pub loglik_equal_both: f64,
    pub separate_variances: SeparateVariances,
}

/// Which fixed effects differ by test.
#[derive(Clone, Copy, PartialEq)]
enum PerTest {
    Both,
    SensOnly,
    SpecOnly,
    Neither,
}

/// The design for tables sorted by study (`test` per row, `groups` the studies' row ranges).
fn design(test: &[usize], names: &[String], per: PerTest, groups: &[(usize, usize)]) -> Option<Design> {
    let t = names.len();
    let (ts, tp) = match per {
        PerTest::Both => (t, t),
        PerTest::SensOnly => (t, 1),
        PerTest::SpecOnly => (1, t),
        PerTest::Neither => (1, 1),
    };
    let mut coef = Vec::new();
    for (n, m) in [("sens", ts), ("spec", tp)] {
        if m == 1 {
            coef.push(n.to_string());
        } else {
            coef.extend(names.iter().map(|l| format!("{n}:{l}")));
        }
    }
    let p = ts + tp;
    let x1 = test
        .iter()
        .map(|&r| {
            let mut v = vec![0.0; p];
            v[if ts == 1 { 0 } else { r }] = 1.0;
            v
        })
        .collect();
    let x2 = test
        .iter()
        .map(|&r| {
            let mut v = vec![0.0; p];
            v[ts + if tp == 1 { 0 } else { r }] = 1.0;
            v
        })
        .collect();
    Design { names: coef, x1, x2, groups: None }.with_groups(groups.to_vec())
}

fn start_for(base: &[f64; 5], per_test: &[[f64; 2]], per: PerTest) -> Vec<f64> {
    let mut v = Vec::new();
    match per {
        PerTest::Both | PerTest::SensOnly => v.extend(per_test.iter().map(|m| m[0])),
        _ => v.push(base[0]),
    }
    match per {
        PerTest::Both | PerTest::SpecOnly => v.extend(per_test.iter().map(|m| m[1])),
        _ => v.push(base[1]),
    }
    v.extend_from_slice(&base[2..]);
    v
}

/// `p_b/p_a` with `p = expit` from the 2×2 covariance of `(a, b)`; log-scale delta method:
/// `∂ln r/∂a = −(1 − p_a)`, `∂ln r/∂b = 1 − p_b` (§15.2).
pub fn ratio_of_proportions(a: f64, b: f64, v: [[f64; 2]; 2], z: f64) -> Estimate {
    let (pa, pb) = (prob_from_logit(a), prob_from_logit(b));
    let g = [-(1.0 - pa), 1.0 - pb];
    let var = g[0] * g[0] * v[0][0] + 2.0 * g[0] * g[1] * v[0][1] + g[1] * g[1] * v[1][1];
    let lr = pb.ln() - pa.ln();
    let se = var.max(0.0).sqrt();
    Estimate::new(lr.exp(), (lr - z * se).exp(), (lr + z * se).exp())
}

/// `p_b − p_a` with a natural-scale delta-method CI: gradient `(−p_a(1−p_a), p_b(1−p_b))`.
pub fn difference_of_proportions(a: f64, b: f64, v: [[f64; 2]; 2], z: f64) -> Estimate {
    let (pa, pb) = (prob_from_logit(a), prob_from_logit(b));
    let g = [-pa * (1.0 - pa), pb * (1.0 - pb)];
    let var = g[0] * g[0] * v[0][0] + 2.0 * g[0] * g[1] * v[0][1] + g[1] * g[1] * v[1][1];
    let d = pb - pa;
    let se = var.max(0.0).sqrt();
    Estimate::new(d, d - z * se, d + z * se)
}

fn lr_test(full: f64, reduced: f64, df: usize) -> LrTest {
    let stat = (2.0 * (full - reduced)).max(0.0);
    LrTest { statistic: stat, df, p_value: chi2_sf(stat, df as f64) }
}

/// The rows sorted by study (stable) and each study's row range.
fn by_study(study: &[usize]) -> (Vec<usize>, Vec<(usize, usize)>) {
    let mut order: Vec<usize> = (0..study.len()).collect();
    // Studies in order of first appearance.
    let mut first = std::collections::HashMap::new();
    for (r, &s) in study.iter().enumerate() {
        first.entry(s).or_insert(r);
    }
    order.sort_by_key(|&r| (first[&study[r]], r));
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for (at, &r) in order.iter().enumerate() {
        match groups.last_mut() {
            Some(g) if study[order[g.0]] == study[r] => g.1 = at + 1,
            _ => groups.push((at, at + 1)),
        }
    }
    (order, groups)
}

/// Fit the comparative model (see the module docs).
///
/// # Errors
/// [`ComparativeError`].
pub fn comparative(input: &ComparativeInput<'_>, cfg: &FitConfig) -> Result<Comparative, ComparativeError> {
    let n = input.tables.len();
    if input.study.len() != n || input.test.len() != n || input.test.iter().any(|&t| t >= input.tests.len()) {
        return Err(ComparativeError::BadInput);
    }
    if cfg.method == Method::Reitsma {
        return Err(ComparativeError::NeedsMl);
    }
    // Tests that have tables, in the given order.
    let present: Vec<usize> = (0..input.tests.len()).filter(|t| input.test.contains(t)).collect();
    if present.len() < 2 {
        return Err(ComparativeError::TooFewTests { tests: present.len() });
    }
    let names: Vec<String> = present.iter().map(|&t| input.tests[t].clone()).collect();
    let remap = |t: usize| present.iter().position(|&p| p == t).unwrap_or(0);
    let (order, groups) = by_study(input.study);
    let ks = groups.len();
    if ks < 2 {
        return Err(ComparativeError::TooFewStudies { got: ks });
    }
    let tables: Vec<Study> = order.iter().map(|&r| input.tables[r].clone()).collect();
    let test: Vec<usize> = order.iter().map(|&r| remap(input.test[r])).collect();
    let nt = names.len();
    let tests_in = |g: &(usize, usize)| {
        let mut v: Vec<usize> = test[g.0..g.1].to_vec();
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    let several = groups.iter().filter(|g| tests_in(g) > 1).count();
    let every = groups.iter().filter(|g| tests_in(g) == nt).count();
    let nodes = nodes_of(cfg);
    let z = z_for_level(cfg.level);
    let base = start_values(&tables);
    let rows_of =
        |t: usize| -> Vec<Study> { (0..n).filter(|&r| test[r] == t).map(|r| tables[r].clone()).collect() };
    let per_start: Vec<[f64; 2]> = (0..nt)
        .map(|t| {
            let s = start_values(&rows_of(t));
            [s[0], s[1]]
        })
        .collect();
    let d = |per: PerTest| design(&test, &names, per, &groups).ok_or(ComparativeError::BadInput);
    let d_full = d(PerTest::Both)?;
    let nb = d_full.n_beta();
    let mut warnings = Vec::new();
    // The ladder (§9.4): B2 for ≥ 4 studies, else B0; B0 when B2 does not converge.
    let fit_with = |b2: bool, design: &Design, start: &[f64]| -> (StructFit, Rung) {
        if b2 {
            (fit_b2(&tables, design, nodes, start), Rung::B2)
        } else {
            fit_b0(&tables, design, nodes, start)
        }
    };
    let start_full = start_for(&base, &per_start, PerTest::Both);
    let mut use_b2 = ks >= 4;
    let mut fallback = None;
    if !use_b2 {
        warnings.push(format!(
            "only {ks} studies: the bivariate model needs at least 4, so correlated random effects were not fitted"
        ));
    }
    let (mut full, mut rung) = fit_with(use_b2, &d_full, &start_full);
    if !use_b2 {
        fallback = Some(Fallback { rung, reason: FallbackReason::FewStudies });
    } else if !full.converged {
        let (b0, r0) = fit_b0(&tables, &d_full, nodes, &start_full);
        if b0.converged {
            warnings.push(format!(
                "the bivariate model did not converge ({}); the simpler model {} is reported instead",
                full.termination.describe(),
                r0.name()
            ));
            fallback = Some(Fallback { rung: r0, reason: FallbackReason::NotConverged });
            full = b0;
            rung = r0;
            use_b2 = false;
        }
    }
    if !full.converged {
        return Err(ComparativeError::NotConverged { termination: full.termination });
    }
    let boundary = boundary_of(&full, nb);
    if let Some(b) = boundary {
        warnings.push(format!("the shared between-study covariance is at a boundary ({b})"));
    }
    // Reduced models for the LR tests, with the same random-effects family, started from the full fit.
    let full_like: [f64; 5] = {
        let (t1, t2, rho) = full.cov.tau_rho(&full.theta[nb..]);
        let lt = |t: f64| if t > 0.0 { t.ln() } else { -4.0 };
        let r = if rho.is_nan() { 0.0 } else { rho.clamp(-0.9, 0.9) };
        // Common means: the table-weighted average of the fitted test means.
        let w: Vec<f64> = (0..nt).map(|t| test.iter().filter(|&&x| x == t).count() as f64).collect();
        let sw: f64 = w.iter().sum();
        let avg = |off: usize| (0..nt).map(|t| w[t] * full.theta[off + t]).sum::<f64>() / sw;
        if full.cov == CovStructure::Full {
            [avg(0), avg(nt), full.theta[nb], full.theta[nb + 1], full.theta[nb + 2]]
        } else {
            [avg(0), avg(nt), lt(t1), lt(t2), r.atanh()]
        }
    };
    let fitted_means: Vec<[f64; 2]> = (0..nt).map(|t| [full.theta[t], full.theta[nt + t]]).collect();
    // Seed of a reduced model's quasi-Newton stage: its Hessian at the full optimum, `A'HA` with
    // `θ_full = A θ_reduced` (equal means mapped onto every test), inverted. The reduced optimum
    // is near, so the small-m stage is not needed.
    let hess = full.hessian.clone().filter(|_| use_b2 && full.cov == CovStructure::Full);
    let seed_for = |per: PerTest, dd: &Design| -> Option<DMatrix<f64>> {
        let h = hess.as_ref()?;
        let np_full = h.nrows();
        let np_red = dd.n_beta() + 3;
        let mut a = DMatrix::<f64>::zeros(np_full, np_red);
        let (ts, tp) = match per {
            PerTest::Both => (nt, nt),
            PerTest::SensOnly => (nt, 1),
            PerTest::SpecOnly => (1, nt),
            PerTest::Neither => (1, 1),
        };
        for t in 0..nt {
            a[(t, if ts == 1 { 0 } else { t })] = 1.0;
            a[(nt + t, ts + if tp == 1 { 0 } else { t })] = 1.0;
        }
        for j in 0..3 {
            a[(2 * nt + j, ts + tp + j)] = 1.0;
        }
        (a.transpose() * h * &a).cholesky().map(|c| c.inverse())
    };
    let mut reduced = |per: PerTest, what: &str| -> Result<f64, ComparativeError> {
        let dd = d(per)?;
        let start = start_for(&full_like, &fitted_means, per);
        // With the seed, the maximum alone (no Hessian: the LR test needs ℓ only); the ladder's
        // fit with its boundary refits when that does not converge or leaves the interior.
        let quick = seed_for(per, &dd)
            .map(|seed| maximise_loglik(&tables, &dd, CovStructure::Full, nodes, &start, Some(&seed)))
            .filter(|f| f.converged && boundary_of(f, dd.n_beta()).is_none());
        let f = match quick {
            Some(f) => f,
            None => fit_with(use_b2, &dd, &start).0,
        };
        if !f.converged {
            warnings.push(format!("the model with {what} did not converge ({})", f.termination.describe()));
        }
        Ok(f.loglik)
    };
    let ll_sens = reduced(PerTest::SpecOnly, "equal sensitivities")?;
    let ll_spec = reduced(PerTest::SensOnly, "equal specificities")?;
    let ll_both = reduced(PerTest::Neither, "equal sensitivities and specificities")?;
    let check = if nodes > 1 && cfg.node_check {
        loglik_check(&tables, &d_full, &full, 2 * nodes + 1).map(|l| (2 * nodes + 1, l))
    } else {
        None
    };
    if let Some((m2, l2)) = check {
        if (l2 - full.loglik).abs() > 0.01 {
            warnings.push(format!(
                "the log-likelihood changes by {:.3} between {nodes} and {m2} quadrature points: increase the number of points",
                l2 - full.loglik
            ));
        }
    }
    let v = full.vcov.clone();
    if v.is_none() {
        warnings.push(
            "the observed information matrix is not positive definite: standard errors are unavailable"
                .into(),
        );
    }
    let vij = |i: usize, j: usize| v.as_ref().map_or(f64::NAN, |m| m[(i, j)]);
    let coefficients = d_full
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| Coef { name: name.clone(), estimate: full.theta[i], se: vij(i, i).sqrt() })
        .collect();
    let vcov = (0..nb).map(|i| (0..nb).map(|j| vij(i, j)).collect()).collect();
    let (t1, t2, rho) = full.cov.tau_rho(&full.theta[nb..]);
    let cov12 = if rho.is_nan() { 0.0 } else { rho * t1 * t2 };
    let per_test = (0..nt)
        .map(|t| {
            let rows = rows_of(t);
            let kt = rows.len();
            let (i1, i2) = (t, nt + t);
            let vm = [[vij(i1, i1), vij(i1, i2)], [vij(i2, i1), vij(i2, i2)]];
            let pooled = Pooled {
                mu: [full.theta[i1], full.theta[i2]],
                vcov_mu: vm,
                tau2: [t1 * t1, t2 * t2],
                cov12,
                k: kt,
            };
            let has_se = vm[0][0].is_finite() && vm[1][1].is_finite();
            let radius = region_radius(cfg.region, kt, cfg.level).filter(|_| has_se);
            let full_curve = sroc_curve(&pooled, (0.0, 1.0), 201);
            let min_of = |f: &dyn Fn(&Study) -> Option<f64>| rows.iter().filter_map(f).fold(1.0, f64::min);
            let min_spec = min_of(&|s| (s.n_healthy() > 0).then(|| s.tn as f64 / s.n_healthy() as f64));
            let min_sens = min_of(&|s| (s.n_diseased() > 0).then(|| s.tp as f64 / s.n_diseased() as f64));
            let sroc = if t1 > 0.0 && t2 > 0.0 {
                truncate_metandi(&full_curve, min_spec, min_sens)
            } else {
                Vec::new()
            };
            let pi = |j: usize| -> Option<[f64; 2]> {
                if kt < 3 || !has_se {
                    return None;
                }
                let q = super::transform::t_quantile(1.0 - (1.0 - cfg.level) / 2.0, kt as f64 - 2.0);
                let s = (pooled.tau2[j] + pooled.vcov_mu[j][j]).sqrt();
                Some([prob_from_logit(pooled.mu[j] - q * s), prob_from_logit(pooled.mu[j] + q * s)])
            };
            let rel = |i_ref: usize, i_t: usize, f: fn(f64, f64, [[f64; 2]; 2], f64) -> Estimate| {
                (t > 0 && has_se).then(|| {
                    let v2 = [[vij(i_ref, i_ref), vij(i_ref, i_t)], [vij(i_t, i_ref), vij(i_t, i_t)]];
                    f(full.theta[i_ref], full.theta[i_t], v2, z)
                })
            };
            TestEstimate {
                test: names[t].clone(),
                k: kt,
                mu_logit_sens: pooled.mu[0],
                mu_logit_spec: pooled.mu[1],
                vcov_mu: vm,
                summary: summary_point(&pooled, z),
                hsroc: hsroc(&pooled),
                auc: auc_exact(pooled.mu, pooled.tau2),
                prediction_interval_sens: pi(0),
                prediction_interval_spec: pi(1),
                sroc_curve: sroc,
                confidence_region: radius.map(|c| region(&pooled, c, false, 361)).unwrap_or_default(),
                prediction_region: radius.map(|c| region(&pooled, c, true, 361)).unwrap_or_default(),
                relative_sensitivity: rel(0, i1, ratio_of_proportions),
                relative_specificity: rel(nt, i2, ratio_of_proportions),
                difference_sensitivity: rel(0, i1, difference_of_proportions),
                difference_specificity: rel(nt, i2, difference_of_proportions),
            }
        })
        .collect();
    let separate_variances = separate(&names, &rows_of, several, full.loglik, rung, cfg);
    let df = nt - 1;
    Ok(Comparative {
        tests: names.clone(),
        reference: names[0].clone(),
        k_studies: ks,
        k_tables: n,
        studies_with_several_tests: several,
        studies_with_every_test: every,
        method: cfg.method,
        nodes,
        converged: full.converged,
        iterations: full.iterations,
        termination: full.termination,
        boundary,
        rung,
        fallback,
        warnings,
        coefficients,
        vcov,
        tau2_logit_sens: t1 * t1,
        tau2_logit_spec: t2 * t2,
        rho: if rho.is_nan() { None } else { Some(rho) },
        loglik: full.loglik,
        loglik_check_nodes: check,
        max_abs_gradient: full.max_abs_gradient(),
        aic: -2.0 * full.loglik + 2.0 * full.theta.len() as f64,
        per_test,
        lrt: ComparisonTests {
            equal_sensitivity: lr_test(full.loglik, ll_sens, df),
            equal_specificity: lr_test(full.loglik, ll_spec, df),
            equal_both: lr_test(full.loglik, ll_both, 2 * df),
        },
        loglik_equal_sens: ll_sens,
        loglik_equal_spec: ll_spec,
        loglik_equal_both: ll_both,
        separate_variances,
    })
}

/// Test-specific Σ_t (§15.1): identifiable only when no study reports two tests, and then it is the
/// separate bivariate fit of each test; compared with the shared-Σ fit by an LR test (df 3(T−1)).
fn separate(
    names: &[String],
    rows_of: &dyn Fn(usize) -> Vec<Study>,
    several: usize,
    ll_shared: f64,
    rung: Rung,
    cfg: &FitConfig,
) -> SeparateVariances {
    let none = |note: String| SeparateVariances {
        lrt: None,
        loglik_separate: None,
        per_test: Vec::new(),
        note: Some(note),
    };
    if several > 0 {
        return none(format!(
            "not identifiable: {several} {} more than one test, so one study random effect is shared across tests",
            if several == 1 { "study reports" } else { "studies report" }
        ));
    }
    if rung != Rung::B2 {
        return none(format!("not compared: the shared model is at rung {rung}"));
    }
    let cfg1 = FitConfig { node_check: false, auc_ci: super::bivariate::AucCi::None, ..cfg.clone() };
    let mut ll = 0.0;
    let mut per_test = Vec::new();
    for (t, name) in names.iter().enumerate() {
        match analyze(&rows_of(t), &cfg1) {
            Ok(r) if r.model.rung == Rung::B2 && r.model.converged => {
                ll += r.model.loglik;
                per_test.push((name.clone(), r.model.tau2_logit_sens, r.model.tau2_logit_spec, r.model.rho));
            }
            Ok(r) => {
                return none(format!(
                "not compared: the separate fit of {name} ended at rung {} (its covariance family differs)",
                r.model.rung
            ))
            }
            Err(e) => return none(format!("not compared: the separate fit of {name} failed ({e})")),
        }
    }
    let df = 3 * (names.len() - 1);
    SeparateVariances {
        lrt: Some(lr_test(ll, ll_shared, df)),
        loglik_separate: Some(ll),
        per_test,
        note: None,
    }
}

/// What fits a comparison the structure implies: all tables with a test value, and, when asked,
/// the studies that report every test (§15.2, direct comparison) beside it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ComparisonBlock {
    pub structure: crate::data::structure::StudyStructure,
    /// The fit on every table with a test value.
    pub all_studies: ComparisonOutcome,
    /// The fit on the studies reporting every test (when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paired_only: Option<ComparisonOutcome>,
    /// Per test: the rows (indices into the analysed data) of its tables, for the forest plot.
    pub rows_per_test: Vec<Vec<usize>>,
}

/// A comparative fit or why there is none.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ComparisonOutcome {
    Fit(Box<Comparative>),
    Error { error: ComparativeError },
}

impl ComparisonOutcome {
    pub fn fit(&self) -> Option<&Comparative> {
        match self {
            ComparisonOutcome::Fit(c) => Some(c),
            ComparisonOutcome::Error { .. } => None,
        }
    }
}

/// Fit the rows `keep` (indices into `tables`) of a detected structure.
pub fn fit_rows(
    tables: &[Study],
    st: &crate::data::structure::StudyStructure,
    keep: &[usize],
    cfg: &FitConfig,
) -> ComparisonOutcome {
    let rows: Vec<usize> =
        keep.iter().copied().filter(|&r| st.test_of.get(r).copied().flatten().is_some()).collect();
    let t: Vec<Study> = rows.iter().map(|&r| tables[r].clone()).collect();
    let study: Vec<usize> = rows.iter().map(|&r| st.study_of[r]).collect();
    let test: Vec<usize> = rows.iter().map(|&r| st.test_of[r].unwrap_or(0)).collect();
    let input = ComparativeInput { tables: &t, study: &study, test: &test, tests: &st.tests };
    match comparative(&input, cfg) {
        Ok(c) => ComparisonOutcome::Fit(Box::new(c)),
        Err(error) => ComparisonOutcome::Error { error },
    }
}

/// The comparison of `data` by the structure `st` (all tables; the paired-only fit beside it when
/// `paired_only`).
pub fn comparison(
    tables: &[Study],
    st: &crate::data::structure::StudyStructure,
    paired_only: bool,
    cfg: &FitConfig,
) -> ComparisonBlock {
    let all: Vec<usize> = (0..tables.len()).collect();
    let paired = paired_only.then(|| {
        let rows = st.paired_rows();
        fit_rows(tables, st, &rows, cfg)
    });
    ComparisonBlock {
        structure: st.clone(),
        all_studies: fit_rows(tables, st, &all, cfg),
        paired_only: paired,
        rows_per_test: (0..st.tests.len())
            .map(|t| (0..tables.len()).filter(|&r| st.test_of[r] == Some(t)).collect())
            .collect(),
    }
}
