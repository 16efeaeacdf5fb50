//! Sensitivity and influence analyses (METHODS §10): leave-one-out and leave-one-cluster-out refits,
//! the "one row per cluster" analysis, empirical-Bayes predictions with standardized residuals,
//! Cook's distance, percentage study weights (Burke et al. 2018) and goodness-of-fit diagnostics.
//!
//! Everything here is a pure function of the studies and a finished [`BivariateResult`]; the engine
//! files are not modified. The small per-study computations (conditional mode, `A_i = C'D̂C + I`,
//! posterior moments) are re-derived here from METHODS §2.3–§2.6.

use super::bivariate::{
    analyze_with_start, AucCi, BivariateResult, Boundary, Fallback, FitConfig, Rung, WarmStart,
};
use super::estimate::Estimate;
use super::glmm::likelihood::{GlmmProblem, GlmmRow, ModeInfo};
use super::glmm::mat2::M2;
use super::glmm::quadrature::gauss_hermite;
use super::transform::{normal_quantile, prob_from_logit, z_for_level};
use crate::data::{Dataset, Study};
use serde::{Deserialize, Serialize};

/// |standardized residual| above this flags an outlier (METHODS §10.2, midas 3.x).
pub const OUTLIER_RESIDUAL: f64 = 2.0;

/// Options of the leave-one-out refits.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LooConfig {
    /// AUC interval of every refit. Default [`AucCi::None`]: the point AUC is still reported, but
    /// the bootstrap (2000 draws per refit) is skipped.
    pub auc_ci: AucCi,
}

impl Default for LooConfig {
    fn default() -> Self {
        LooConfig { auc_ci: AucCi::None }
    }
}

/// The estimates of one refit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LooFit {
    pub k: usize,
    pub mu_logit_sens: f64,
    pub mu_logit_spec: f64,
    pub sensitivity: Estimate,
    pub specificity: Estimate,
    pub lr_positive: Estimate,
    pub lr_negative: Estimate,
    pub dor: Estimate,
    pub auc: Option<f64>,
    pub auc_ci: Option<[f64; 2]>,
    pub tau2_logit_sens: f64,
    pub tau2_logit_spec: f64,
    pub rho: Option<f64>,
    pub loglik: f64,
    /// Fallback-ladder rung of the refit (`B2`, `B0`, `FE-Se`, `FE-Sp`, `FE`), free to differ from the full fit.
    pub rung: Rung,
    /// Why the rung is not `B2` (or which simpler fit was computed beside a boundary B2).
    pub fallback: Option<Fallback>,
    pub boundary: Option<Boundary>,
    pub converged: bool,
    /// True when the rung differs from the full fit's.
    pub rung_changed: bool,
}

/// One row of a leave-one-out (or leave-one-cluster-out) table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LooRow {
    /// Label of the omitted study (or the cluster value).
    pub omitted: String,
    /// Indices (into the input) of the omitted rows.
    pub omitted_rows: Vec<usize>,
    /// The refit, when it succeeded.
    pub fit: Option<LooFit>,
    /// Why the refit failed (the table is never aborted).
    pub error: Option<String>,
}

/// The warm start used by every refit: the full fit's working parameters when they are a Full
/// (5-parameter) vector, otherwise none (the engine then computes its own starting values).
pub fn warm_start(full: &BivariateResult) -> Option<WarmStart<'_>> {
    if full.internal.theta.len() == 5
        && full.internal.cov == Some(crate::stats::glmm::likelihood::CovStructure::Full)
    {
        Some(WarmStart { theta: &full.internal.theta, inv_hessian: full.internal.vcov_theta.as_ref() })
    } else {
        None
    }
}

/// The configuration of the refits: the user's, with the AUC interval from `loo`.
pub fn loo_fit_config(cfg: &FitConfig, loo: &LooConfig) -> FitConfig {
    FitConfig { auc_ci: loo.auc_ci, node_check: false, ..cfg.clone() }
}

/// Refit `studies` (already reduced) exactly as a user would: [`analyze_with_start`] with the
/// [`warm_start`] rule, so a row of the table equals an independent fit on the same rows.
fn refit(
    studies: &[Study],
    cfg: &FitConfig,
    full: &BivariateResult,
    omitted: String,
    omitted_rows: Vec<usize>,
) -> LooRow {
    match analyze_with_start(studies, cfg, warm_start(full)) {
        Ok(r) => LooRow { omitted, omitted_rows, fit: Some(loo_fit_of(&r, full.model.rung)), error: None },
        Err(e) => LooRow { omitted, omitted_rows, fit: None, error: Some(e.to_string()) },
    }
}

fn loo_fit_of(r: &BivariateResult, full_rung: Rung) -> LooFit {
    let m = &r.model;
    LooFit {
        k: r.k,
        mu_logit_sens: m.mu_logit_sens,
        mu_logit_spec: m.mu_logit_spec,
        sensitivity: r.summary.sensitivity,
        specificity: r.summary.specificity,
        lr_positive: r.summary.lr_positive,
        lr_negative: r.summary.lr_negative,
        dor: r.summary.dor,
        auc: r.auc.as_ref().map(|a| a.estimate),
        auc_ci: r.auc.as_ref().and_then(|a| a.ci),
        tau2_logit_sens: m.tau2_logit_sens,
        tau2_logit_spec: m.tau2_logit_spec,
        rho: m.rho,
        loglik: m.loglik,
        rung: m.rung,
        fallback: m.fallback,
        boundary: m.boundary,
        converged: m.converged,
        rung_changed: m.rung != full_rung,
    }
}

/// Leave-one-out (METHODS §10.1) with the default [`LooConfig`] (no AUC interval).
///
/// Row `i` is, by construction, `analyze_with_start(&rest_i, &loo_fit_config(cfg, &LooConfig::default()),
/// warm_start(full))`: the same public function a user would call, with the same start.
pub fn leave_one_out(studies: &[Study], cfg: &FitConfig, full: &BivariateResult) -> Vec<LooRow> {
    leave_one_out_with(studies, cfg, full, &LooConfig::default())
}

/// Leave-one-out with explicit options.
pub fn leave_one_out_with(
    studies: &[Study],
    cfg: &FitConfig,
    full: &BivariateResult,
    loo: &LooConfig,
) -> Vec<LooRow> {
    let c = loo_fit_config(cfg, loo);
    par_map(studies.len(), |i| leave_one_out_row_with(studies, i, &c, full))
}

/// Row `i` of [`leave_one_out`] alone (the page computes the table a few rows at a time).
pub fn leave_one_out_row(studies: &[Study], i: usize, cfg: &FitConfig, full: &BivariateResult) -> LooRow {
    leave_one_out_row_with(studies, i, &loo_fit_config(cfg, &LooConfig::default()), full)
}

/// Row `i` with the refit configuration `c` already derived by [`loo_fit_config`].
fn leave_one_out_row_with(studies: &[Study], i: usize, c: &FitConfig, full: &BivariateResult) -> LooRow {
    let rest: Vec<Study> =
        studies.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, s)| s.clone()).collect();
    let omitted = studies.get(i).map_or(String::new(), |s| s.label.clone());
    refit(&rest, c, full, omitted, vec![i])
}

/// `(0..n).map(f)`, spread over the available cores natively (each refit is independent, so the
/// result does not depend on the thread count); sequential on wasm32.
fn par_map<T: Send, F: Fn(usize) -> T + Sync>(n: usize, f: F) -> Vec<T> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(n);
        if threads > 1 {
            let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
            std::thread::scope(|scope| {
                // Interleaved assignment balances slow (boundary) refits across threads.
                let slots: Vec<(usize, &mut Option<T>)> = out.iter_mut().enumerate().collect();
                let mut per: Vec<Vec<(usize, &mut Option<T>)>> = (0..threads).map(|_| Vec::new()).collect();
                for (i, slot) in slots {
                    per[i % threads].push((i, slot));
                }
                for work in per {
                    let f = &f;
                    scope.spawn(move || {
                        for (i, slot) in work {
                            *slot = Some(f(i));
                        }
                    });
                }
            });
            return out.into_iter().flatten().collect();
        }
    }
    (0..n).map(f).collect()
}

/// Cluster label per row; a missing value makes the row its own cluster (labelled by the study).
/// The cluster column is the parser's choice, [`Dataset::cluster_covariate`] (one place decides).
fn cluster_labels(dataset: &Dataset) -> Option<Vec<String>> {
    let col = dataset.cluster_covariate()?;
    Some(
        (0..dataset.studies.len())
            .map(|i| {
                col.label_of(i)
                    .filter(|s| !s.trim().is_empty())
                    .unwrap_or_else(|| format!("(row) {}", dataset.studies[i].label))
            })
            .collect(),
    )
}

/// Clusters in order of first appearance, each with its row indices.
fn clusters(dataset: &Dataset) -> Option<Vec<(String, Vec<usize>)>> {
    let labels = cluster_labels(dataset)?;
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, l) in labels.into_iter().enumerate() {
        match out.iter_mut().find(|(c, _)| *c == l) {
            Some((_, rows)) => rows.push(i),
            None => out.push((l, vec![i])),
        }
    }
    Some(out)
}

/// Leave-one-cluster-out (METHODS §10.1): refit without all rows of each cluster. `None` when the
/// data set has no cluster column.
pub fn leave_cluster_out(
    dataset: &Dataset,
    cfg: &FitConfig,
    full: &BivariateResult,
    loo: &LooConfig,
) -> Option<Vec<LooRow>> {
    let cl = clusters(dataset)?;
    let c = loo_fit_config(cfg, loo);
    Some(
        cl.into_iter()
            .map(|(label, rows)| {
                let rest: Vec<Study> = dataset
                    .studies
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| !rows.contains(j))
                    .map(|(_, s)| s.clone())
                    .collect();
                refit(&rest, &c, full, label, rows)
            })
            .collect(),
    )
}

/// The "one row per cluster" reduction with its bookkeeping.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OneRowPerCluster {
    pub studies: Vec<Study>,
    /// Input index of each kept row.
    pub kept_rows: Vec<usize>,
    pub n_clusters: usize,
    /// Plain-language statement of the rule, for the report.
    pub note: String,
}

/// One row per cluster (METHODS §1.1, §10.1): within each cluster keep the row with the largest
/// total N = TP+FP+FN+TN; ties go to the first such row in input order. Clusters keep the order of
/// their first appearance; a row with a missing cluster value is its own cluster. Without a cluster
/// column every row is kept.
///
/// Choice: the largest N is the most informative single cohort and does not look at the results
/// (choosing, e.g., the row closest to the pooled estimate would bias the sensitivity analysis).
pub fn one_row_per_cluster_with_note(dataset: &Dataset) -> OneRowPerCluster {
    let Some(cl) = clusters(dataset) else {
        return OneRowPerCluster {
            studies: dataset.studies.clone(),
            kept_rows: (0..dataset.studies.len()).collect(),
            n_clusters: dataset.studies.len(),
            note: "no cluster column: every row is its own cluster".into(),
        };
    };
    let kept_rows: Vec<usize> = cl
        .iter()
        .map(|(_, rows)| {
            let mut best = rows[0];
            for &r in &rows[1..] {
                if dataset.studies[r].n_total() > dataset.studies[best].n_total() {
                    best = r;
                }
            }
            best
        })
        .collect();
    let dropped = dataset.studies.len() - kept_rows.len();
    OneRowPerCluster {
        studies: kept_rows
            .iter()
            .map(|&i| dataset.studies[i].clone())
            .collect(),
        n_clusters: cl.len(),
        note: format!(
            "one row per cluster: {} clusters from {} rows; in each cluster the row with the largest total number of participants was kept (first such row on ties), {} rows dropped",
            cl.len(),
            dataset.studies.len(),
            dropped
        ),
        kept_rows,
    }
}

/// The rows of [`one_row_per_cluster_with_note`].
pub fn one_row_per_cluster(dataset: &Dataset) -> Vec<Study> {
    one_row_per_cluster_with_note(dataset).studies
}

// ---------------------------------------------------------------------------------------------
// Empirical Bayes (§10.2)
// ---------------------------------------------------------------------------------------------

/// The pooled means and the factor `C` of a fit (`Σ = CC'`).
///
/// For a GLMM fit, `C = CovStructure::factor(φ̂)` from the engine's working parameters; for a fit
/// without GLMM internals (Reitsma REML) it is the lower Cholesky factor built from the reported
/// `τ̂²` and `σ̂12` (ρ not identified → 0), i.e. EB predictions of the binomial model at those parameters.
fn mu_and_factor(full: &BivariateResult) -> ([f64; 2], M2) {
    let m = &full.model;
    let mu = [m.mu_logit_sens, m.mu_logit_spec];
    if let Some(cov) = full.internal.cov {
        if full.internal.theta.len() >= 2 {
            return (mu, cov.factor(&full.internal.theta[2..]).0);
        }
    }
    let t1 = m.tau2_logit_sens.max(0.0).sqrt();
    let t2 = m.tau2_logit_spec.max(0.0).sqrt();
    let rho = if t1 > 0.0 && t2 > 0.0 { (m.cov_logit_sens_spec / (t1 * t2)).clamp(-1.0, 1.0) } else { 0.0 };
    (mu, M2::new(t1, 0.0, rho * t2, t2 * (1.0 - rho * rho).max(0.0).sqrt()))
}

/// One study's counts as an engine row (no design: `η = μ + C u` is passed as `eta0 = μ`).
fn counts(s: &Study) -> GlmmRow {
    GlmmRow {
        y1: s.tp as f64,
        n1: s.n_diseased() as f64,
        y2: s.tn as f64,
        n2: s.n_healthy() as f64,
        lc: 0.0,
        x1: Vec::new(),
        x2: Vec::new(),
    }
}

/// `g(u)` of METHODS §2.3 (without `lc`), the engine's.
fn g_of(c: &GlmmRow, mu: [f64; 2], cf: &M2, u: [f64; 2]) -> f64 {
    GlmmProblem::g_value(c, mu, cf, u)
}

/// The conditional mode (METHODS §2.4) by the engine's solver, started at the fit's stored mode
/// (so normally 0–1 steps). `None` if it does not converge or the means are not finite (a margin
/// at the edge of §9.4 item 3).
fn mode_of(c: &GlmmRow, mu: [f64; 2], cf: &M2, start: [f64; 2]) -> Option<ModeInfo> {
    if !(mu[0].is_finite() && mu[1].is_finite()) {
        return None;
    }
    GlmmProblem::mode(c, mu, cf, start, 0).ok()
}

fn sym(m: &M2) -> [[f64; 2]; 2] {
    [[m.a, 0.5 * (m.b + m.c)], [0.5 * (m.b + m.c), m.d]]
}

/// One study's empirical-Bayes prediction (METHODS §10.2).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EbRow {
    pub label: String,
    /// Conditional mode in the spherical metric, `û_i`.
    pub mode_u: [f64; 2],
    /// `b̂_i = C û_i` (logit sensitivity, logit specificity).
    pub b: [f64; 2],
    /// Approximate posterior covariance `P_i = C A_i^{-1} C'`, `A_i = C'D̂C + I` at `û_i`.
    pub posterior_cov: [[f64; 2]; 2],
    /// Posterior mean `E[b_i | y]` by the adaptive Gauss–Hermite rule of the fit (the fit's node
    /// count; equal to `b̂_i` for Laplace). This is what midas 3.x (meglm) reports.
    pub posterior_mean_b: [f64; 2],
    /// EB sensitivity `expit(μ̂1 + b̂_1i)` and its approximate interval `expit(μ̂1 + b̂_1i ± z√P_11)`
    /// at the analysis level (`z = Φ⁻¹(1 − (1 − level)/2)`, 1.96 at 0.95).
    pub sensitivity: Estimate,
    pub specificity: Estimate,
    /// Observed sensitivity / specificity (None when the margin is empty).
    pub raw_sensitivity: Option<f64>,
    pub raw_specificity: Option<f64>,
    /// `r_ij = b̂_ij / √(τ̂_j² − P_i[j,j])`; None when τ̂_j = 0 or the denominator is not positive.
    pub residual_sens: Option<f64>,
    pub residual_spec: Option<f64>,
    /// |r| > [`OUTLIER_RESIDUAL`] on either margin.
    pub outlier: bool,
}

/// Empirical-Bayes predictions and standardized residuals (METHODS §10.2), with intervals at
/// `level` (the analysis level, e.g. 0.95). Empty when a conditional mode cannot be found (never
/// for a converged fit) or the level is not in (0, 1).
pub fn empirical_bayes(studies: &[Study], full: &BivariateResult, level: f64) -> Vec<EbRow> {
    if !(level > 0.0 && level < 1.0) {
        return Vec::new();
    }
    let (mu, cf) = mu_and_factor(full);
    let tau2 = [full.model.tau2_logit_sens, full.model.tau2_logit_spec];
    let z = z_for_level(level);
    let nodes = match full.model.nodes {
        Some(m) if full.internal.cov.is_some() => m.max(1),
        _ => 1,
    };
    let gh = gauss_hermite(nodes);
    let mut out = Vec::with_capacity(studies.len());
    for (i, s) in studies.iter().enumerate() {
        let c = counts(s);
        let start = full.internal.modes.get(i).copied().unwrap_or([0.0; 2]);
        let Some(md) = mode_of(&c, mu, &cf, start) else {
            return Vec::new();
        };
        let b = cf.mv(md.u);
        let ainv = md.a.inv();
        let p = sym(&cf.mul(&ainv).mul(&cf.t()));
        let pm = posterior_mean(&c, mu, &cf, &md, &ainv, &gh);
        let res = |j: usize| -> Option<f64> {
            let den = tau2[j] - p[j][j];
            if tau2[j] <= 0.0 || den <= 1e-12 * tau2[j] {
                None
            } else {
                Some(b[j] / den.sqrt())
            }
        };
        let (r1, r2) = (res(0), res(1));
        let est = |j: usize| {
            let sd = p[j][j].max(0.0).sqrt();
            Estimate::new(
                prob_from_logit(mu[j] + b[j]),
                prob_from_logit(mu[j] + b[j] - z * sd),
                prob_from_logit(mu[j] + b[j] + z * sd),
            )
        };
        let (y, n) = ([c.y1, c.y2], [c.n1, c.n2]);
        let raw = |j: usize| (n[j] > 0.0).then(|| y[j] / n[j]);
        out.push(EbRow {
            label: s.label.clone(),
            mode_u: md.u,
            b,
            posterior_cov: p,
            posterior_mean_b: pm,
            sensitivity: est(0),
            specificity: est(1),
            raw_sensitivity: raw(0),
            raw_specificity: raw(1),
            residual_sens: r1,
            residual_spec: r2,
            outlier: [r1, r2].iter().any(|r| r.is_some_and(|v| v.abs() > OUTLIER_RESIDUAL)),
        });
    }
    out
}

/// `E[b | y]` by the adaptive product rule of METHODS §2.6: nodes `u = û + √2 R z`,
/// `R = chol(A^{-1})`, weights `w_j w_l e^{g(u) + z'z}`.
fn posterior_mean(
    c: &GlmmRow,
    mu: [f64; 2],
    cf: &M2,
    md: &ModeInfo,
    ainv: &M2,
    gh: &super::glmm::quadrature::GaussHermite,
) -> [f64; 2] {
    if gh.nodes.len() == 1 {
        return cf.mv(md.u);
    }
    let r = sym_m2(ainv).chol_lower();
    let g0 = g_of(c, mu, cf, md.u);
    let sq2 = std::f64::consts::SQRT_2;
    let (mut sw, mut s0, mut s1) = (0.0, 0.0, 0.0);
    for (j, &xj) in gh.nodes.iter().enumerate() {
        for (l, &xl) in gh.nodes.iter().enumerate() {
            let zz = r.mv([xj, xl]);
            let u = [md.u[0] + sq2 * zz[0], md.u[1] + sq2 * zz[1]];
            let lw = gh.log_weights[j] + gh.log_weights[l] + g_of(c, mu, cf, u) - g0 + xj * xj + xl * xl;
            let w = lw.exp();
            sw += w;
            s0 += w * u[0];
            s1 += w * u[1];
        }
    }
    cf.mv([s0 / sw, s1 / sw])
}

fn sym_m2(m: &M2) -> M2 {
    let o = 0.5 * (m.b + m.c);
    M2::new(m.a, o, o, m.d)
}

// ---------------------------------------------------------------------------------------------
// Cook's distance (§10.3)
// ---------------------------------------------------------------------------------------------

/// Cook's distance from the leave-one-out fits (METHODS §10.3):
/// `D_i = (μ̂ − μ̂_(−i))' V_μ^{-1} (μ̂ − μ̂_(−i)) / 2` with `V_μ` the full fit's covariance of
/// `(μ̂1, μ̂2)`. `None` for a failed refit or when `V_μ` is unavailable / not positive definite.
pub fn cooks_distance(full: &BivariateResult, loo: &[LooRow]) -> Vec<Option<f64>> {
    let v = full.model.vcov_mu;
    let vm = M2::new(v[0][0], v[0][1], v[1][0], v[1][1]);
    let ok = vm.a.is_finite() && vm.d.is_finite() && vm.a > 0.0 && vm.det() > 0.0;
    let vi = vm.inv();
    let mu = [full.model.mu_logit_sens, full.model.mu_logit_spec];
    loo.iter()
        .map(|row| {
            let f = row.fit.as_ref()?;
            if !ok {
                return None;
            }
            let d = [mu[0] - f.mu_logit_sens, mu[1] - f.mu_logit_spec];
            let q = vi.mv(d);
            Some(0.5 * (d[0] * q[0] + d[1] * q[1]))
        })
        .collect()
}

/// The flagging threshold `4/k` of Cook's distance.
pub fn cooks_threshold(k: usize) -> f64 {
    4.0 / k as f64
}

// ---------------------------------------------------------------------------------------------
// Percentage study weights (§10.5)
// ---------------------------------------------------------------------------------------------

/// Percentage weights of one study (Burke et al. 2018).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WeightRow {
    pub label: String,
    /// `100·W_i[0,0]/V_β[0,0]`.
    pub sensitivity: f64,
    /// `100·W_i[1,1]/V_β[1,1]`.
    pub specificity: f64,
    /// midas: `100·tr W_i / tr V_β`.
    pub overall: f64,
}

/// Percentage study weights (METHODS §10.5): `V_i = Σ̂ + diag(1/(n1 p̂1(1−p̂1)), 1/(n0 p̂2(1−p̂2)))`
/// with `p̂` the EB-conditional fitted probabilities and `Σ̂` holding σ̂12 (not MetaDTA's
/// `cov(μ̂1, μ̂2)`); `F_i = V_i^{-1}`, `V_β = (Σ F_i)^{-1}`, `W_i = V_β F_i V_β`. Each column sums to 100.
///
/// `V_i^{-1}` is computed as `(I + WΣ̂)^{-1} W` with `W = diag(n p̂(1−p̂))`, which is finite when a
/// margin is empty (`n = 0`: that study has weight 0 on that margin). Empty when the EB modes are
/// unavailable or `V_β` is singular.
pub fn study_weights(studies: &[Study], full: &BivariateResult) -> Vec<WeightRow> {
    let (mu, cf) = mu_and_factor(full);
    // Σ̂ = CC' = [[τ̂1², σ̂12], [σ̂12, τ̂2²]] (σ̂12 = ρ̂τ̂1τ̂2, the between-study covariance).
    let sigma = sym_m2(&cf.mul(&cf.t()));
    let mut fi = Vec::with_capacity(studies.len());
    for (i, s) in studies.iter().enumerate() {
        let c = counts(s);
        let start = full.internal.modes.get(i).copied().unwrap_or([0.0; 2]);
        let Some(md) = mode_of(&c, mu, &cf, start) else {
            return Vec::new();
        };
        let w = M2::new(md.d[0], 0.0, 0.0, md.d[1]);
        let f = M2::new(1.0, 0.0, 0.0, 1.0).add(&w.mul(&sigma)).inv().mul(&w);
        fi.push(sym_m2(&f));
    }
    let ftot = fi.iter().fold(M2::ZERO, |a, f| a.add(f));
    if ftot.det().is_nan() || ftot.det() <= 0.0 {
        return Vec::new();
    }
    let vb = ftot.inv();
    studies
        .iter()
        .zip(&fi)
        .map(|(s, f)| {
            let wi = vb.mul(f).mul(&vb);
            WeightRow {
                label: s.label.clone(),
                sensitivity: 100.0 * wi.a / vb.a,
                specificity: 100.0 * wi.d / vb.d,
                overall: 100.0 * wi.trace() / vb.trace(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Goodness of fit (§10.4)
// ---------------------------------------------------------------------------------------------

/// Per-study goodness-of-fit quantities.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GofRow {
    pub label: String,
    /// Deviance residual of TP given `ŷ = n1·expit(μ̂1 + b̂_1i)` (None when n1 = 0).
    pub deviance_sens: Option<f64>,
    /// Deviance residual of TN given `ŷ = n0·expit(μ̂2 + b̂_2i)` (None when n0 = 0).
    pub deviance_spec: Option<f64>,
    /// Squared Mahalanobis distance of `b̂_i` from the mean of the `b̂` with their sample covariance.
    pub mahalanobis2: Option<f64>,
}

/// One point of a QQ plot: the sorted observed value against the theoretical quantile.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QqPoint {
    pub label: String,
    pub observed: f64,
    pub theoretical: f64,
}

/// Goodness-of-fit diagnostics (METHODS §10.4) with the data of three QQ plots.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GoodnessOfFit {
    pub rows: Vec<GofRow>,
    /// Deviance residuals (sensitivity margin) against normal quantiles `Φ^{-1}((i−½)/n)`.
    pub qq_deviance_sens: Vec<QqPoint>,
    pub qq_deviance_spec: Vec<QqPoint>,
    /// Squared Mahalanobis distances against χ²_2 quantiles `−2 ln(1 − (i−½)/k)`. Empty when the
    /// sample covariance of the `b̂_i` is singular (e.g. a τ̂ = 0 boundary fit).
    pub qq_mahalanobis: Vec<QqPoint>,
}

/// Deviance residual `sign(y − ŷ)·√(2[y ln(y/ŷ) + (n−y) ln((n−y)/(n−ŷ))])`, `0·ln 0 = 0`.
pub fn deviance_residual(y: f64, n: f64, p: f64) -> Option<f64> {
    if n <= 0.0 {
        return None;
    }
    let yh = n * p;
    let xlx = |a: f64, b: f64| if a > 0.0 { a * (a / b).ln() } else { 0.0 };
    let dev = 2.0 * (xlx(y, yh) + xlx(n - y, n - yh));
    Some((y - yh).signum() * dev.max(0.0).sqrt())
}

fn qq(pairs: Vec<(String, f64)>, quantile: impl Fn(f64) -> f64) -> Vec<QqPoint> {
    let mut v = pairs;
    v.sort_by(|a, b| a.1.total_cmp(&b.1));
    let n = v.len() as f64;
    v.into_iter()
        .enumerate()
        .map(|(i, (label, observed))| QqPoint {
            label,
            observed,
            theoretical: quantile((i as f64 + 0.5) / n),
        })
        .collect()
}

/// Goodness of fit (METHODS §10.4) from the EB predictions.
pub fn goodness_of_fit(studies: &[Study], full: &BivariateResult) -> GoodnessOfFit {
    // The residuals and modes do not depend on the interval level.
    let eb = empirical_bayes(studies, full, 0.95);
    let mu = [full.model.mu_logit_sens, full.model.mu_logit_spec];
    let k = eb.len();
    // Sample mean and covariance (divisor k−1) of the b̂_i.
    let mean = eb.iter().fold([0.0; 2], |a, r| [a[0] + r.b[0], a[1] + r.b[1]]);
    let mean = [mean[0] / k.max(1) as f64, mean[1] / k.max(1) as f64];
    let mut s = M2::ZERO;
    for r in &eb {
        let d = [r.b[0] - mean[0], r.b[1] - mean[1]];
        s = s.add(&M2::new(d[0] * d[0], d[0] * d[1], d[0] * d[1], d[1] * d[1]));
    }
    let s = s.scale(1.0 / (k as f64 - 1.0).max(1.0));
    let s_ok = k >= 3 && s.a > 0.0 && s.d > 0.0 && s.det() > 1e-12 * s.a * s.d;
    let si = s.inv();
    let rows: Vec<GofRow> = eb
        .iter()
        .zip(studies)
        .map(|(r, st)| {
            let c = counts(st);
            let d = [r.b[0] - mean[0], r.b[1] - mean[1]];
            let q = si.mv(d);
            GofRow {
                label: r.label.clone(),
                deviance_sens: deviance_residual(c.y1, c.n1, prob_from_logit(mu[0] + r.b[0])),
                deviance_spec: deviance_residual(c.y2, c.n2, prob_from_logit(mu[1] + r.b[1])),
                mahalanobis2: s_ok.then(|| d[0] * q[0] + d[1] * q[1]),
            }
        })
        .collect();
    let pick = |f: &dyn Fn(&GofRow) -> Option<f64>| -> Vec<(String, f64)> {
        rows.iter().filter_map(|r| f(r).map(|v| (r.label.clone(), v))).collect()
    };
    GoodnessOfFit {
        qq_deviance_sens: qq(pick(&|r| r.deviance_sens), normal_quantile),
        qq_deviance_spec: qq(pick(&|r| r.deviance_spec), normal_quantile),
        qq_mahalanobis: qq(pick(&|r| r.mahalanobis2), |p| -2.0 * (1.0 - p).ln()),
        rows,
    }
}
