//! Fitting the bivariate binomial GLMM (METHODS §2.7–§2.9): starting values, staged BFGS with the
//! exact gradient, Newton polish, observed-information standard errors, and boundary refits.

use super::likelihood::{CovStructure, GlmmProblem, GlmmRow, QuadRule, Workspace};
use super::optim::{bfgs, bfgs_from, hessian_from_gradient, MinResult, Objective, Termination};
use crate::data::correction::Correction;
use crate::data::Study;
use crate::stats::transform::ln_choose;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Gradient tolerance of the outer optimiser on `ℓ` (METHODS §2.7 item 4 asks for 1e-4; we go further).
pub const GRAD_TOL: f64 = 1e-7;
/// Convergence is declared when `max |∂ℓ/∂θ| <` this (METHODS §2.7 item 4).
pub const GRAD_TOL_CONVERGED: f64 = 1e-4;
/// Relative step of the forward-difference Hessian of the analytic gradient. Truncation error is
/// O(h) ≈ 1e-5 relative; gradient noise (modes converged to 1e-10) divided by h stays below that.
/// (lme4's `deriv12` uses central differences of the *value* with step 1e-4.)
pub const HESSIAN_STEP: f64 = 1e-5;
/// |ρ| above this is a boundary fit (metandi's threshold, §2.9).
pub const RHO_BOUNDARY: f64 = 0.995;
/// τ below this is a boundary fit (§2.9).
pub const TAU_BOUNDARY: f64 = 1e-3;

/// The fixed-effect design: `η1_i = x1_i·β`, `η2_i = x2_i·β`, and which rows share a random
/// effect.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Design {
    pub names: Vec<String>,
    pub x1: Vec<Vec<f64>>,
    pub x2: Vec<Vec<f64>>,
    /// Rows `lo..hi` of each study when a study has several tables sharing one random effect
    /// (METHODS §15.1; see [`Design::with_groups`]); `None`: one row per study (§2). Not in
    /// people's JSON; in the page's worker messages.
    #[serde(default, skip_serializing_if = "crate::stats::for_people")]
    pub groups: Option<Vec<(usize, usize)>>,
}

impl Design {
    /// Intercept-only: `β = (μ1, μ2)` = (logit sensitivity, logit specificity).
    pub fn intercepts(k: usize) -> Design {
        Design {
            names: vec!["logit_sens".into(), "logit_spec".into()],
            x1: vec![vec![1.0, 0.0]; k],
            x2: vec![vec![0.0, 1.0]; k],
            groups: None,
        }
    }
    pub fn n_beta(&self) -> usize {
        self.names.len()
    }

    /// The design with the rows of study `i` at `groups[i].0 .. groups[i].1` sharing one random
    /// effect. `None` unless the ranges are contiguous, ordered, non-empty and cover every row.
    pub fn with_groups(mut self, groups: Vec<(usize, usize)>) -> Option<Design> {
        let mut at = 0;
        for &(lo, hi) in &groups {
            if lo != at || hi <= lo {
                return None;
            }
            at = hi;
        }
        if at != self.x1.len() {
            return None;
        }
        // One row per group is the ungrouped model itself (and takes its kernel).
        self.groups = (groups.len() < at).then_some(groups);
        Some(self)
    }

    /// The number of random effects (studies): groups, or rows when ungrouped.
    pub fn n_units(&self) -> usize {
        self.groups.as_ref().map_or(self.x1.len(), Vec::len)
    }
}

/// A study uses the smallest candidate rule whose `ℓ_i` is within this of the full `m`-point rule's
/// (checked at the stage-1 estimate). Over k studies the fitted ℓ then differs from the full rule's
/// by at most `k·ROW_RULE_TOL`.
pub const ROW_RULE_TOL: f64 = 1e-10;

/// Choose a node count per study (METHODS §2.6 asks for enough nodes; it does not ask every study
/// to use the same number). Studies whose conditional posterior is close to Gaussian (large `n`)
/// reach the full rule's value with few nodes; heavy-tailed ones (zero cells) keep all `m`. The
/// choice is made once, at `theta`, so the objective optimised afterwards is a fixed smooth function.
///
/// Search: every study is tried at 13 points; those that pass are tried at 5 and 9, those that fail
/// at 21 (and otherwise keep `m`). Candidates at or above `m` are skipped.
///
/// Returns `ℓ(theta)` and its gradient under the chosen rules (the studies kept at `m` reuse the
/// full rule's evaluation, which is taken with the gradient for that purpose).
pub fn select_rules(
    p: &mut GlmmProblem,
    theta: &[f64],
    ws: &mut Workspace,
    m: usize,
) -> Option<(f64, Vec<f64>)> {
    let k = p.n_units();
    let groups = p.groups.take();
    *p = GlmmProblem::single_rule(std::mem::take(&mut p.rows), p.n_beta, p.cov, m);
    p.groups = groups;
    p.row_rule = vec![0; k];
    let np = p.n_par();
    let mut full = vec![0.0; k];
    let mut full_grad = vec![0.0; k * np];
    let mut g_all = vec![0.0; np];
    p.eval_rows_grads(theta, ws, Some(&mut g_all), None, Some(&mut full), Some(&mut full_grad)).ok()?;
    let mut chosen = vec![m; k];
    let mut vals = vec![0.0; k];
    let mut try_rule =
        |p: &mut GlmmProblem, ws: &mut Workspace, c: usize, rows: &[usize]| -> Option<Vec<usize>> {
            if c >= m || rows.is_empty() {
                return Some(Vec::new());
            }
            p.rules = vec![QuadRule::new(c)];
            p.row_rule = vec![0; k];
            p.eval_rows(theta, ws, None, Some(rows), Some(&mut vals)).ok()?;
            Some(rows.iter().copied().filter(|&i| (vals[i] - full[i]).abs() < ROW_RULE_TOL).collect())
        };
    let all: Vec<usize> = (0..k).collect();
    let pass13 = try_rule(p, ws, 13, &all)?;
    let mut in13 = vec![false; k];
    pass13.iter().for_each(|&i| in13[i] = true);
    let fail13: Vec<usize> = all.iter().copied().filter(|&i| !in13[i]).collect();
    for &i in &pass13 {
        chosen[i] = 13;
    }
    let pass5 = try_rule(p, ws, 5, &pass13)?;
    for &i in &pass5 {
        chosen[i] = 5;
    }
    let mut in5 = vec![false; k];
    pass5.iter().for_each(|&i| in5[i] = true);
    let rest: Vec<usize> = pass13.iter().copied().filter(|&i| !in5[i]).collect();
    for i in try_rule(p, ws, 9, &rest)? {
        chosen[i] = 9;
    }
    for i in try_rule(p, ws, 21, &fail13)? {
        chosen[i] = 21;
    }
    let mut ms: Vec<usize> = chosen.clone();
    ms.sort_unstable();
    ms.dedup();
    p.rules = ms.iter().map(|&c| QuadRule::new(c)).collect();
    p.row_rule = chosen.iter().map(|c| ms.iter().position(|x| x == c).unwrap_or(0)).collect();
    // ℓ and its gradient under the chosen rules.
    let fewer: Vec<usize> = (0..k).filter(|&i| chosen[i] < m).collect();
    let mut f = 0.0;
    let mut g = vec![0.0; np];
    for i in (0..k).filter(|&i| chosen[i] >= m) {
        f += full[i];
        g.iter_mut().zip(&full_grad[i * np..(i + 1) * np]).for_each(|(a, b)| *a += b);
    }
    if !fewer.is_empty() {
        let mut gs = vec![0.0; np];
        f += p.eval_rows(theta, ws, Some(&mut gs), Some(&fewer), None).ok()?;
        g.iter_mut().zip(&gs).for_each(|(a, b)| *a += b);
    }
    Some((f, g))
}

/// Build the GLMM problem for `studies` under `design`.
pub fn problem(studies: &[Study], design: &Design, cov: CovStructure, nodes: usize) -> GlmmProblem {
    let rows = studies
        .iter()
        .enumerate()
        .map(|(i, s)| GlmmRow {
            y1: s.tp as f64,
            n1: s.n_diseased() as f64,
            y2: s.tn as f64,
            n2: s.n_healthy() as f64,
            lc: ln_choose(s.n_diseased(), s.tp) + ln_choose(s.n_healthy(), s.tn),
            x1: design.x1[i].clone(),
            x2: design.x2[i].clone(),
        })
        .collect();
    match &design.groups {
        None => GlmmProblem::single_rule(rows, design.n_beta(), cov, nodes),
        Some(g) => GlmmProblem::grouped(rows.clone(), Some(g.clone()), design.n_beta(), cov, nodes)
            .unwrap_or_else(|| GlmmProblem::single_rule(rows, design.n_beta(), cov, nodes)),
    }
}

struct NegLogLik<'a> {
    p: &'a GlmmProblem,
    ws: Workspace,
    best_modes: Vec<[f64; 2]>,
    best_f: f64,
    /// `Σ_i ℓ_i^sat`, the saturated log-likelihood (each study's proportions fitted exactly). The
    /// optimiser minimises `−(ℓ − offset)`, a deviance-like objective of order k instead of order
    /// N: with counts in the millions `ℓ` is ~−1e10, and the optimiser's relative tests
    /// (`|Δf| ≤ 1e-13·|f|`) would stop it at the start. The optimum and the gradient are unchanged.
    offset: f64,
}

impl<'a> NegLogLik<'a> {
    fn new(p: &'a GlmmProblem, modes: Vec<[f64; 2]>) -> NegLogLik<'a> {
        NegLogLik::with_workspace(p, p.workspace(), modes)
    }

    fn with_workspace(p: &'a GlmmProblem, ws: Workspace, modes: Vec<[f64; 2]>) -> NegLogLik<'a> {
        let sat = |y: f64, n: f64| -> f64 {
            if y <= 0.0 || y >= n {
                0.0
            } else {
                y * (y / n).ln() + (n - y) * (1.0 - y / n).ln()
            }
        };
        let offset = p.rows.iter().map(|r| r.lc + sat(r.y1, r.n1) + sat(r.y2, r.n2)).sum();
        NegLogLik { ws, p, best_modes: modes, best_f: f64::INFINITY, offset }
    }
}

impl Objective for NegLogLik<'_> {
    fn value_grad(&mut self, x: &[f64], grad: &mut [f64]) -> Option<f64> {
        if x.iter().any(|v| !v.is_finite()) {
            return None;
        }
        // Warm start from the modes of the best point so far.
        self.ws.modes.copy_from_slice(&self.best_modes);
        let ll = self.p.eval(x, &mut self.ws, Some(grad)).ok()?;
        grad.iter_mut().for_each(|g| *g = -*g);
        if grad.iter().any(|g| !g.is_finite()) {
            return None;
        }
        let f = -(ll - self.offset);
        if f < self.best_f {
            self.best_f = f;
            self.best_modes.copy_from_slice(&self.ws.modes);
        }
        Some(f)
    }
}

/// The fit of one covariance structure at one node count.
#[derive(Clone, Debug)]
pub struct StructFit {
    pub cov: CovStructure,
    pub nodes: usize,
    pub theta: Vec<f64>,
    pub loglik: f64,
    /// Gradient of `ℓ` at `theta`.
    pub gradient: Vec<f64>,
    /// Hessian of `−ℓ` (observed information) at `theta`, when it could be computed.
    pub hessian: Option<DMatrix<f64>>,
    /// `H^{-1}` when `H` is positive definite.
    pub vcov: Option<DMatrix<f64>>,
    pub iterations: usize,
    pub evaluations: usize,
    pub termination: Termination,
    pub converged: bool,
    /// Conditional modes `û_i` at `theta`.
    pub modes: Vec<[f64; 2]>,
    /// The node count each study's ℓ_i was computed with (`nodes`, or fewer where
    /// [`select_rules`] found the smaller rule within [`ROW_RULE_TOL`] of it).
    pub row_nodes: Vec<usize>,
}

impl StructFit {
    pub fn max_abs_gradient(&self) -> f64 {
        self.gradient.iter().fold(0.0f64, |a, b| a.max(b.abs()))
    }
}

/// Fit one covariance structure from `start`, in stages: BFGS at a small node count (when the
/// target is larger than 7), BFGS at the target count seeded with the stage-1 curvature, then
/// Newton polish with the finite-difference Hessian, which also gives `V_θ = H^{-1}` (§2.8).
pub fn fit_structure(
    studies: &[Study],
    design: &Design,
    cov: CovStructure,
    nodes: usize,
    start: &[f64],
) -> StructFit {
    fit_structure_seeded(studies, design, cov, nodes, start, None)
}

/// As [`fit_structure`]; with `seed` (an inverse Hessian of `−ℓ` near `start`, e.g. the full-data
/// `V_θ` for a leave-one-out refit) the small-`m` stage is skipped and BFGS starts from that
/// curvature.
pub fn fit_structure_seeded(
    studies: &[Study],
    design: &Design,
    cov: CovStructure,
    nodes: usize,
    start: &[f64],
    seed: Option<&DMatrix<f64>>,
) -> StructFit {
    fit_structure_with(studies, design, cov, nodes, start, seed, true)
}

/// The maximised `ℓ` only (for likelihood-ratio tests): as [`fit_structure_seeded`] without the
/// Newton polish and the Hessian, so `hessian` and `vcov` are `None` and `converged` means
/// `max |∂ℓ/∂θ| <` [`GRAD_TOL_CONVERGED`] at a finite `ℓ`. With a good `seed` (the reduced
/// model's curvature at a nearby optimum) this costs about half a full fit.
pub fn maximise_loglik(
    studies: &[Study],
    design: &Design,
    cov: CovStructure,
    nodes: usize,
    start: &[f64],
    seed: Option<&DMatrix<f64>>,
) -> StructFit {
    fit_structure_with(studies, design, cov, nodes, start, seed, false)
}

fn fit_structure_with(
    studies: &[Study],
    design: &Design,
    cov: CovStructure,
    nodes: usize,
    start: &[f64],
    seed: Option<&DMatrix<f64>>,
    polish: bool,
) -> StructFit {
    let k = design.n_units();
    let mut iterations = 0;
    let mut evaluations = 0;
    let mut x = start.to_vec();
    let mut inv_h = seed.filter(|m| m.nrows() == start.len()).cloned();
    let mut modes = vec![[0.0; 2]; k];
    if nodes > 7 && inv_h.is_none() {
        let p1 = problem(studies, design, cov, 5);
        let mut o1 = NegLogLik::new(&p1, modes.clone());
        let r1 = bfgs(&mut o1, &x, None, 1e-5, 300, 3.0);
        iterations += r1.iterations;
        evaluations += r1.evaluations;
        if r1.termination != Termination::EvaluationFailed {
            // Seed the final stage with the small-m curvature: a finite-difference Hessian at the
            // stage-1 estimate (cheap at 5 nodes) when it is positive definite, else BFGS's own.
            let fd = hessian_from_gradient(&mut o1, &r1.x, HESSIAN_STEP, Some(&r1.grad))
                .and_then(|h| h.cholesky().map(|c| c.inverse()));
            evaluations += r1.x.len();
            x = r1.x;
            inv_h = Some(fd.unwrap_or(r1.inv_hessian));
            modes = o1.best_modes;
        }
    }
    let mut p = problem(studies, design, cov, nodes);
    let mut ws = p.workspace();
    // −ℓ and its gradient at x under the chosen rules, when the rule selection computed them.
    let mut start_fg: Option<(f64, Vec<f64>)> = None;
    if nodes > 7 {
        ws.modes.copy_from_slice(&modes);
        match select_rules(&mut p, &x, &mut ws, nodes) {
            Some((l, g)) => {
                if l.is_finite() && g.iter().all(|v| v.is_finite()) {
                    start_fg = Some((-l, g.iter().map(|v| -v).collect()));
                    modes.copy_from_slice(&ws.modes);
                }
                evaluations += 1;
            }
            None => p = problem(studies, design, cov, nodes),
        }
    }
    let row_nodes: Vec<usize> =
        p.row_rule.iter().map(|&r| p.rules.get(r).map_or(nodes, QuadRule::m)).collect();
    let mut o = NegLogLik::with_workspace(&p, ws, modes);
    // The rule selection's evaluation, in the centred objective's terms.
    if let Some(s) = start_fg.as_mut() {
        s.0 += o.offset;
    }
    o.best_f = start_fg.as_ref().map_or(f64::INFINITY, |s| s.0);
    let start_ref = start_fg.as_ref().map(|(f, g)| (*f, g.as_slice()));
    let r: MinResult = bfgs_from(&mut o, &x, start_ref, inv_h, GRAD_TOL, 500, 3.0);
    iterations += r.iterations;
    evaluations += r.evaluations;
    let mut x = r.x;
    let mut f = r.f;
    let mut grad = r.grad;
    let mut termination = r.termination;
    // Newton polish (≤ 5 steps) with the Hessian from gradient differences.
    let mut hess = None;
    // Whether the objective's last evaluation was at `x` (its modes are then the modes at `x`).
    let mut last_at_x = false;
    for _ in 0..if polish { 5 } else { 0 } {
        last_at_x = false;
        let Some(h) = hessian_from_gradient(&mut o, &x, HESSIAN_STEP, Some(&grad)) else {
            break;
        };
        evaluations += x.len();
        let chol = h.clone().cholesky();
        hess = Some(h);
        let Some(chol) = chol else { break };
        let gmax = grad.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        if gmax < 1e-9 {
            break;
        }
        let step = chol.solve(&nalgebra::DVector::from_column_slice(&grad));
        let xn: Vec<f64> = x.iter().zip(step.iter()).map(|(a, b)| a - b).collect();
        let mut gn = vec![0.0; x.len()];
        evaluations += 1;
        match o.value_grad(&xn, &mut gn) {
            Some(fnew) if fnew <= f + 1e-12 * f.abs().max(1.0) => {
                // The Hessian is re-taken only after a step large enough to change it.
                let big = step.amax() > 1e-3;
                x = xn;
                f = fnew;
                grad = gn;
                last_at_x = true;
                if !big {
                    break;
                }
            }
            _ => break,
        }
    }
    // Final modes and ℓ at x (already at hand when the accepted Newton step was the last evaluation).
    if !last_at_x {
        let mut g = vec![0.0; x.len()];
        evaluations += 1;
        if let Some(fx) = o.value_grad(&x, &mut g) {
            f = fx;
            grad = g;
        }
    }
    let modes = o.ws.modes.clone();
    let vcov = hess.as_ref().and_then(|h| h.clone().cholesky().map(|c| c.inverse()));
    let gradient: Vec<f64> = grad.iter().map(|v| -v).collect();
    let gmax = gradient.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    let converged = f.is_finite() && gmax < GRAD_TOL_CONVERGED && (vcov.is_some() || !polish);
    // How the fit ended is judged at the final point, after the Newton polish.
    if gmax < GRAD_TOL {
        termination = Termination::GradientTolerance;
    }
    StructFit {
        cov,
        nodes,
        theta: x,
        loglik: o.offset - f,
        gradient,
        hessian: hess,
        vcov,
        iterations,
        evaluations,
        termination,
        converged,
        modes,
        row_nodes,
    }
}

/// Evaluate `ℓ(θ)` with `nodes` points per dimension (used for the node-doubling diagnostic).
pub fn loglik_at(
    studies: &[Study],
    design: &Design,
    cov: CovStructure,
    nodes: usize,
    theta: &[f64],
) -> Option<f64> {
    let p = problem(studies, design, cov, nodes);
    let mut ws = p.workspace();
    p.eval(theta, &mut ws, None).ok()
}

/// The node-doubling check of METHODS §2.6 for a fit: `ℓ(θ̂)` with `check_nodes` points for every
/// study the fit evaluated with its full node count, and with the fit's own (smaller) rule for a
/// study whose `ℓ_i` had already settled there ([`select_rules`]: within [`ROW_RULE_TOL`] of the
/// full rule, so more nodes cannot move it either). Equals [`loglik_at`] with `check_nodes` up to
/// `k·ROW_RULE_TOL` and costs, on large well-behaved tables, a fraction of it.
pub fn loglik_check(studies: &[Study], design: &Design, fit: &StructFit, check_nodes: usize) -> Option<f64> {
    let mut p = problem(studies, design, fit.cov, check_nodes);
    if fit.row_nodes.len() == design.n_units() {
        let mut ms: Vec<usize> =
            fit.row_nodes.iter().map(|&c| if c >= fit.nodes { check_nodes } else { c }).collect();
        let per_row = ms.clone();
        ms.sort_unstable();
        ms.dedup();
        p.rules = ms.iter().map(|&c| QuadRule::new(c)).collect();
        p.row_rule = per_row.iter().map(|c| ms.iter().position(|x| x == c).unwrap_or(0)).collect();
    }
    let mut ws = p.workspace();
    if fit.modes.len() == design.n_units() {
        ws.modes.copy_from_slice(&fit.modes);
    }
    p.eval(&fit.theta, &mut ws, None).ok()
}

/// Starting values (METHODS §2.7 item 1b): per margin the DerSimonian–Laird mean and τ² of the
/// corrected logits (`single`, 0.5; τ ≥ 0.1), ρ the Pearson correlation of the logits clipped to ±0.9.
pub fn start_values(studies: &[Study]) -> [f64; 5] {
    let cc = Correction::default().apply(studies);
    let mut y1 = Vec::new();
    let mut v1 = Vec::new();
    let mut y2 = Vec::new();
    let mut v2 = Vec::new();
    for c in &cc {
        if c.n_diseased() > 0.0 && c.tp > 0.0 && c.fn_ > 0.0 {
            y1.push(c.logit_sens());
            v1.push(c.var_logit_sens());
        }
        if c.n_healthy() > 0.0 && c.tn > 0.0 && c.fp > 0.0 {
            y2.push(c.logit_spec());
            v2.push(c.var_logit_spec());
        }
    }
    let (m1, t1) = dl(&y1, &v1);
    let (m2, t2) = dl(&y2, &v2);
    // Correlation over rows with both margins.
    let both: Vec<(f64, f64)> = cc
        .iter()
        .filter(|c| c.tp > 0.0 && c.fn_ > 0.0 && c.tn > 0.0 && c.fp > 0.0)
        .map(|c| (c.logit_sens(), c.logit_spec()))
        .collect();
    let rho = pearson(&both).clamp(-0.9, 0.9);
    [m1, m2, 0.5 * t1.max(0.01).ln(), 0.5 * t2.max(0.01).ln(), rho.atanh()]
}

fn dl(y: &[f64], v: &[f64]) -> (f64, f64) {
    if y.is_empty() {
        return (0.0, 0.01);
    }
    let w: Vec<f64> = v.iter().map(|v| 1.0 / v).collect();
    let sw: f64 = w.iter().sum();
    let ybar = w.iter().zip(y).map(|(w, y)| w * y).sum::<f64>() / sw;
    let q: f64 = w.iter().zip(y).map(|(w, y)| w * (y - ybar).powi(2)).sum();
    let sw2: f64 = w.iter().map(|w| w * w).sum();
    let df = y.len() as f64 - 1.0;
    let tau2 = if df > 0.0 { ((q - df) / (sw - sw2 / sw)).max(0.0) } else { 0.0 };
    let wr: Vec<f64> = v.iter().map(|v| 1.0 / (v + tau2)).collect();
    let swr: f64 = wr.iter().sum();
    let mu = wr.iter().zip(y).map(|(w, y)| w * y).sum::<f64>() / swr;
    (mu, tau2)
}

fn pearson(xy: &[(f64, f64)]) -> f64 {
    let n = xy.len() as f64;
    if n < 3.0 {
        return 0.0;
    }
    let mx = xy.iter().map(|p| p.0).sum::<f64>() / n;
    let my = xy.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = xy.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = xy.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let syy: f64 = xy.iter().map(|p| (p.1 - my).powi(2)).sum();
    let r = sxy / (sxx * syy).sqrt();
    if r.is_finite() {
        r
    } else {
        0.0
    }
}
