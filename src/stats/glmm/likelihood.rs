//! The binomial–normal marginal log-likelihood and its exact gradient (METHODS §2.2–§2.6).
//!
//! Per study, in the spherical form of §2.3 (`b = C u`, `u ~ N2(0, I)`):
//! `g(u) = lc + y1 η1 − n1 ln(1+e^{η1}) + y2 η2 − n2 ln(1+e^{η2}) − ½u'u`, `η = Xβ + C u`.
//! The conditional mode `û` is found by Newton (§2.4); adaptive Gauss–Hermite quadrature centres
//! the product rule at `û` and scales it by `R = chol((C'D̂C + I)^{-1})` (§2.6); `m = 1` is the
//! Laplace approximation (§2.5).
//!
//! The gradient is exact for the adapted rule: it differentiates through the mode `û(θ)` (implicit
//! function theorem) and the scale `R(θ)` (derivative of a Cholesky factor), not only the integrand
//! at fixed nodes. Holding `û` and `R` fixed is wrong at small `m` (METHODS §2.7a).

use super::mat2::M2;
use super::quadrature::GaussHermite;
use crate::stats::transform::prob_from_logit;
use serde::{Deserialize, Serialize};

/// One study's data for the GLMM: successes and trials per margin, the log binomial coefficients
/// and the design rows (`η1 = x1·β`, `η2 = x2·β`).
#[derive(Clone, Debug)]
pub struct GlmmRow {
    pub y1: f64,
    pub n1: f64,
    pub y2: f64,
    pub n2: f64,
    pub lc: f64,
    pub x1: Vec<f64>,
    pub x2: Vec<f64>,
}

/// Which random-effects covariance is estimated, and how it is parametrised (working metric of
/// METHODS §0.2: `ln τ1, ln τ2, atanh ρ`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CovStructure {
    /// `(ln τ1, ln τ2, atanh ρ)`.
    Full,
    /// ρ fixed at +1 or −1 (boundary, METHODS §2.9 item 1): `(ln τ1, ln τ2)`.
    RhoFixed(f64),
    /// ρ = 0 (rung B0 of the fallback ladder, §9.4): `(ln τ1, ln τ2)`.
    Independent,
    /// τ2 = 0, only the sensitivity margin varies: `(ln τ1)`.
    SensOnly,
    /// τ1 = 0, only the specificity margin varies: `(ln τ2)`.
    SpecOnly,
    /// Σ = 0: the fixed-effect model (§2.10).
    NoRandom,
}

impl CovStructure {
    pub fn n_par(self) -> usize {
        match self {
            CovStructure::Full => 3,
            CovStructure::RhoFixed(_) | CovStructure::Independent => 2,
            CovStructure::SensOnly | CovStructure::SpecOnly => 1,
            CovStructure::NoRandom => 0,
        }
    }

    /// `(τ1, τ2, ρ)` from the working parameters; ρ is NaN where it is not identified.
    pub fn tau_rho(self, phi: &[f64]) -> (f64, f64, f64) {
        match self {
            CovStructure::Full => (phi[0].exp(), phi[1].exp(), phi[2].tanh()),
            CovStructure::RhoFixed(s) => (phi[0].exp(), phi[1].exp(), s),
            CovStructure::Independent => (phi[0].exp(), phi[1].exp(), 0.0),
            CovStructure::SensOnly => (phi[0].exp(), 0.0, f64::NAN),
            CovStructure::SpecOnly => (0.0, phi[0].exp(), f64::NAN),
            CovStructure::NoRandom => (0.0, 0.0, f64::NAN),
        }
    }

    /// The Cholesky-type factor `C` (Σ = CC') and its derivatives with respect to each working parameter.
    pub fn factor(self, phi: &[f64]) -> (M2, Vec<M2>) {
        match self {
            CovStructure::Full => {
                let (t1, t2) = (phi[0].exp(), phi[1].exp());
                let r = phi[2].tanh();
                let c = 1.0 / phi[2].cosh();
                (
                    M2::new(t1, 0.0, r * t2, t2 * c),
                    vec![
                        M2::new(t1, 0.0, 0.0, 0.0),
                        M2::new(0.0, 0.0, r * t2, t2 * c),
                        M2::new(0.0, 0.0, t2 * c * c, -t2 * c * r),
                    ],
                )
            }
            CovStructure::RhoFixed(s) => {
                let (t1, t2) = (phi[0].exp(), phi[1].exp());
                (
                    M2::new(t1, 0.0, s * t2, 0.0),
                    vec![M2::new(t1, 0.0, 0.0, 0.0), M2::new(0.0, 0.0, s * t2, 0.0)],
                )
            }
            CovStructure::Independent => {
                let (t1, t2) = (phi[0].exp(), phi[1].exp());
                (M2::new(t1, 0.0, 0.0, t2), vec![M2::new(t1, 0.0, 0.0, 0.0), M2::new(0.0, 0.0, 0.0, t2)])
            }
            CovStructure::SensOnly => {
                let t1 = phi[0].exp();
                (M2::new(t1, 0.0, 0.0, 0.0), vec![M2::new(t1, 0.0, 0.0, 0.0)])
            }
            CovStructure::SpecOnly => {
                let t2 = phi[0].exp();
                (M2::new(0.0, 0.0, 0.0, t2), vec![M2::new(0.0, 0.0, 0.0, t2)])
            }
            CovStructure::NoRandom => (M2::ZERO, vec![]),
        }
    }
}

/// Why a likelihood evaluation failed.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// The conditional mode of study `row` did not converge (METHODS §2.4).
    ModeNotConverged { row: usize },
    /// A non-finite value appeared.
    NonFinite { row: usize },
}

/// A GLMM problem: data, design width, covariance structure and quadrature rule.
#[derive(Clone, Debug)]
pub struct GlmmProblem {
    pub rows: Vec<GlmmRow>,
    pub n_beta: usize,
    pub cov: CovStructure,
    /// The quadrature rules in use; `row_rule[i]` indexes the rule of study `i`.
    pub rules: Vec<QuadRule>,
    pub row_rule: Vec<usize>,
    /// The kernel factorises `e^{η2}` per row of the rule while `|η̂2|` plus the rule's reach stays
    /// below this ([`FACTOR_LIMIT`]; tests lower it to exercise the per-node form).
    pub(crate) factor_limit: f64,
    /// Which rows share one random effect (METHODS §15.1): unit `i` is the rows
    /// `groups[i].0 .. groups[i].1` (contiguous, in order, covering every row). `None`: every row
    /// is its own unit (METHODS §2, the one-table-per-study model). Modes, rules and the per-unit
    /// outputs of [`GlmmProblem::eval_rows`] are indexed by unit.
    pub groups: Option<Vec<(usize, usize)>>,
}

/// See [`GlmmProblem::factor_limit`]: far from `e^{709}` overflow.
pub const FACTOR_LIMIT: f64 = 600.0;

/// A Gauss–Hermite product rule with its retained node pairs: for the first coordinate's node `j`,
/// the second coordinate's nodes `spans[j].0 .. spans[j].1` (an interval, the weights being unimodal).
#[derive(Clone, Debug)]
pub struct QuadRule {
    pub gh: GaussHermite,
    pub spans: Vec<(usize, usize)>,
    /// `ln w_j + x_j²` per node (the terms of the adapted rule that do not depend on the study).
    node_const: Vec<f64>,
    /// `2 max_j ln w_j`: the value of `ln w_j + ln w_l + x_j² + x_l²` at the centre of the rule.
    centre: f64,
}

impl QuadRule {
    /// The `m × m` product rule, keeping the pairs whose weight `w_j·w_l` is at least
    /// [`NODE_PRUNE`] times the largest. 1e-14 was measured to move ℓ by 2.4e-7 on gould_pet (a
    /// heavy-tailed posterior inflates the corner nodes); at 1e-20 every reference set agrees with
    /// the full rule to < 1e-11 (10% of the m = 25 pairs are skipped).
    pub fn new(m: usize) -> QuadRule {
        // Built once per node count (the eigen-decomposition of §2.6 step 2 is not free: a fit
        // uses up to six rules, and leave-one-out or subgroups repeat them).
        const CACHED: usize = 128;
        static RULES: [std::sync::OnceLock<QuadRule>; CACHED] =
            [const { std::sync::OnceLock::new() }; CACHED];
        match RULES.get(m.max(1)) {
            Some(cell) => cell.get_or_init(|| QuadRule::build(m)).clone(),
            None => QuadRule::build(m),
        }
    }

    fn build(m: usize) -> QuadRule {
        let gh = super::quadrature::gauss_hermite(m);
        let lw = &gh.log_weights;
        let m = lw.len();
        let lmax = lw.iter().copied().fold(f64::NEG_INFINITY, f64::max) * 2.0;
        let cut = lmax + NODE_PRUNE.ln();
        let spans = (0..m)
            .map(|j| {
                let keep = |l: &usize| lw[j] + lw[*l] >= cut;
                match ((0..m).find(keep), (0..m).rev().find(keep)) {
                    (Some(lo), Some(hi)) => (lo, hi + 1),
                    _ => (0, 0),
                }
            })
            .collect();
        let node_const = gh.nodes.iter().zip(lw).map(|(x, w)| w + x * x).collect();
        QuadRule { gh, spans, node_const, centre: lmax }
    }
    pub fn m(&self) -> usize {
        self.gh.nodes.len()
    }
}

/// Per-study scratch kept between evaluations (warm-started modes).
#[derive(Clone, Debug)]
pub struct Workspace {
    pub modes: Vec<[f64; 2]>,
}

impl Workspace {
    pub fn new(k: usize, _m: usize) -> Self {
        Workspace { modes: vec![[0.0; 2]; k] }
    }
}

/// Result of the mode search for one study (METHODS §2.4): the mode `û`, the linear predictor
/// `η̂`, the probabilities, the score `ŝ = y − n p̂`, the weights `D̂ = n p̂(1 − p̂)` and
/// `A = C'D̂C + I` at `û`, and `g(û)` (without `lc`). Also used by the empirical-Bayes predictions
/// (`stats::influence`).
pub(crate) struct ModeInfo {
    pub(crate) u: [f64; 2],
    pub(crate) eta: [f64; 2],
    pub(crate) p: [f64; 2],
    pub(crate) s: [f64; 2],
    pub(crate) d: [f64; 2],
    pub(crate) a: M2,
    pub(crate) g: f64,
}

/// Relative weight below which a product node is skipped (see [`QuadRule::new`]).
pub const NODE_PRUNE: f64 = 1e-20;

/// `y η − n ln(1+e^η)` and `expit(η)` sharing one exponential.
#[inline]
fn margin_ll_and_p(y: f64, n: f64, eta: f64) -> (f64, f64) {
    let e = (-eta.abs()).exp();
    let (l, inv) = ln_1p_of(e);
    let p = if eta >= 0.0 { inv } else { e * inv };
    if n == 0.0 {
        return (0.0, p);
    }
    (y * eta - n * (eta.max(0.0) + l), p)
}

/// `(ln(1 + t), 1/(1 + t))` for `t ≥ 0`: `ln` of the rounded `u = 1 + t` corrected by
/// `(t − (u − 1))/u` (the rounding of `u`), which makes it as accurate as `ln_1p` while `ln` is
/// the cheaper call; the reciprocal is shared with the probability `t/(1 + t)`.
#[inline(always)]
pub(crate) fn ln_1p_of(t: f64) -> (f64, f64) {
    let u = 1.0 + t;
    let inv = 1.0 / u;
    (u.ln() + (t - (u - 1.0)) * inv, inv)
}

/// `ln(1 + t)` for `t ≥ 0` without a division, to within 1.2e-16 absolute beyond the rounding
/// of the result (the kernel's per-study budget is 1e-10, `tests/kernel_before.rs`): for `t ≤ 1` the
/// rounding `c = t − (u − 1)` of `u = 1 + t` is added as it is (`c/u` and `c` differ by < c/2 ≤
/// 2^{−54}); for `t > 1` the relative rounding of `u` (≤ 2^{−53}) is itself the absolute error of
/// `ln u`.
#[inline(always)]
pub(crate) fn ln_1p_nodiv(t: f64) -> f64 {
    let u = 1.0 + t;
    u.ln() + if t <= 1.0 { t - (u - 1.0) } else { 0.0 }
}

#[inline]
fn margin_ll(y: f64, n: f64, eta: f64) -> f64 {
    if n == 0.0 {
        0.0
    } else {
        y * eta - n * (eta.max(0.0) + ln_1p_of((-eta.abs()).exp()).0)
    }
}

impl GlmmProblem {
    pub fn n_par(&self) -> usize {
        self.n_beta + self.cov.n_par()
    }

    /// One rule for every study.
    pub fn single_rule(rows: Vec<GlmmRow>, n_beta: usize, cov: CovStructure, m: usize) -> GlmmProblem {
        let k = rows.len();
        GlmmProblem {
            rows,
            n_beta,
            cov,
            rules: vec![QuadRule::new(m)],
            row_rule: vec![0; k],
            factor_limit: FACTOR_LIMIT,
            groups: None,
        }
    }

    /// As [`GlmmProblem::single_rule`], with the rows of each unit given by `groups` (see
    /// [`GlmmProblem::groups`]; `None` = one row per unit). Groups that are not contiguous,
    /// ordered ranges covering every row are refused (`None` is returned).
    pub fn grouped(
        rows: Vec<GlmmRow>,
        groups: Option<Vec<(usize, usize)>>,
        n_beta: usize,
        cov: CovStructure,
        m: usize,
    ) -> Option<GlmmProblem> {
        if let Some(g) = &groups {
            let mut at = 0;
            for &(lo, hi) in g {
                if lo != at || hi <= lo {
                    return None;
                }
                at = hi;
            }
            if at != rows.len() {
                return None;
            }
        }
        let units = groups.as_ref().map_or(rows.len(), Vec::len);
        let mut p = GlmmProblem::single_rule(rows, n_beta, cov, m);
        p.row_rule = vec![0; units];
        p.groups = groups;
        Some(p)
    }

    /// The number of units (random effects): studies, or rows when there is no grouping.
    pub fn n_units(&self) -> usize {
        self.groups.as_ref().map_or(self.rows.len(), Vec::len)
    }

    /// The rows of unit `i`.
    #[inline(always)]
    fn unit_rows(&self, i: usize) -> (usize, usize) {
        match &self.groups {
            None => (i, i + 1),
            Some(g) => g.get(i).copied().unwrap_or((0, 0)),
        }
    }

    /// The largest node count in use.
    pub fn max_nodes(&self) -> usize {
        self.rules.iter().map(QuadRule::m).max().unwrap_or(1)
    }

    pub fn workspace(&self) -> Workspace {
        Workspace::new(self.n_units(), self.max_nodes())
    }

    /// `g(u)` of METHODS §2.3 without `lc`, at `η = η0 + C u`.
    pub(crate) fn g_value(row: &GlmmRow, eta0: [f64; 2], c: &M2, u: [f64; 2]) -> f64 {
        let e = c.mv(u);
        margin_ll(row.y1, row.n1, eta0[0] + e[0]) + margin_ll(row.y2, row.n2, eta0[1] + e[1])
            - 0.5 * (u[0] * u[0] + u[1] * u[1])
    }

    /// The conditional mode of one study by damped Newton (METHODS §2.4), from `start`
    /// (`i` is the study's index, for the error).
    pub(crate) fn mode(
        row: &GlmmRow,
        eta0: [f64; 2],
        c: &M2,
        start: [f64; 2],
        i: usize,
    ) -> Result<ModeInfo, EvalError> {
        let mut u = start;
        if !(u[0].is_finite() && u[1].is_finite()) {
            u = [0.0; 2];
        }
        let info = |u: [f64; 2]| {
            let e = c.mv(u);
            let eta = [eta0[0] + e[0], eta0[1] + e[1]];
            let p = [prob_from_logit(eta[0]), prob_from_logit(eta[1])];
            let s = [row.y1 - row.n1 * p[0], row.y2 - row.n2 * p[1]];
            let d = [row.n1 * p[0] * (1.0 - p[0]), row.n2 * p[1] * (1.0 - p[1])];
            let a = c.t_diag_m(d).add(&M2::new(1.0, 0.0, 0.0, 1.0));
            ModeInfo { u, eta, p, s, d, a, g: 0.0 }
        };
        let mut g0 = Self::g_value(row, eta0, c, u);
        for it in 0..60 {
            let mi = info(u);
            let cs = c.tv(mi.s);
            let grad = [cs[0] - u[0], cs[1] - u[1]];
            let step = mi.a.inv().mv(grad);
            // Counts in the millions make g ~ −1e9, and its rounding (≈ 1e-16·|g|) hides steps
            // long before |Δu| < 1e-10: after NOISE_AFTER iterations (ordinary studies converge in
            // fewer, so their modes are unchanged), the mode is taken as found once the Newton
            // decrement (the increase a full step predicts) is below g's resolution.
            const NOISE_AFTER: usize = 20;
            let decrement = grad[0] * step[0] + grad[1] * step[1];
            if it >= NOISE_AFTER && decrement.abs() <= 64.0 * f64::EPSILON * g0.abs().max(1.0) {
                return Ok(ModeInfo { g: g0, ..info(u) });
            }
            let mut t = 1.0;
            let mut accepted = false;
            let mut unew = u;
            let mut g1 = g0;
            for _ in 0..30 {
                unew = [u[0] + t * step[0], u[1] + t * step[1]];
                g1 = Self::g_value(row, eta0, c, unew);
                if g1 >= g0 - 1e-12 * g0.abs().max(1.0) {
                    accepted = true;
                    break;
                }
                t *= 0.5;
            }
            if !accepted {
                return Err(EvalError::ModeNotConverged { row: i });
            }
            let du = (t * step[0]).abs().max((t * step[1]).abs());
            u = unew;
            g0 = g1;
            if du < 1e-10 {
                return Ok(ModeInfo { g: g0, ..info(u) });
            }
        }
        Err(EvalError::ModeNotConverged { row: i })
    }

    /// The marginal log-likelihood `ℓ(θ)` (including the binomial coefficients) and, if `grad` is
    /// given, its exact gradient, for `θ = (β, φ)`.
    pub fn eval(
        &self,
        theta: &[f64],
        ws: &mut Workspace,
        grad: Option<&mut [f64]>,
    ) -> Result<f64, EvalError> {
        self.eval_rows(theta, ws, grad, None, None)
    }

    /// As [`GlmmProblem::eval`], restricted to the studies in `only` (all when `None`), writing each
    /// study's `ℓ_i` into `per_row` when given.
    pub fn eval_rows(
        &self,
        theta: &[f64],
        ws: &mut Workspace,
        grad: Option<&mut [f64]>,
        only: Option<&[usize]>,
        per_row: Option<&mut [f64]>,
    ) -> Result<f64, EvalError> {
        self.eval_rows_grads(theta, ws, grad, only, per_row, None)
    }

    /// As [`GlmmProblem::eval_rows`]; with `grad` given, also writes each study's gradient of
    /// `ℓ_i` into `per_row_grad` (row `i` at `i·n_par ..`) when that is given.
    pub fn eval_rows_grads(
        &self,
        theta: &[f64],
        ws: &mut Workspace,
        mut grad: Option<&mut [f64]>,
        only: Option<&[usize]>,
        mut per_row: Option<&mut [f64]>,
        mut per_row_grad: Option<&mut [f64]>,
    ) -> Result<f64, EvalError> {
        let np = self.n_par();
        let nb = self.n_beta;
        let beta = &theta[..nb];
        let (c, dcs) = self.cov.factor(&theta[nb..]);
        if let Some(g) = grad.as_deref_mut() {
            g.iter_mut().for_each(|v| *v = 0.0);
        }
        let sqrt2 = std::f64::consts::SQRT_2;
        let base = -(2.0 * std::f64::consts::PI).ln() + 2f64.ln();
        let want_grad = grad.is_some();
        let mut total = 0.0;
        let all: Vec<usize>;
        let list: &[usize] = match only {
            Some(rows) => rows,
            None => {
                all = (0..self.n_units()).collect();
                &all
            }
        };
        for &i in list {
            let (lo, hi) = self.unit_rows(i);
            if hi > lo + 1 {
                // Several tables share this random effect (METHODS §15.1).
                let rg = per_row_grad.as_deref_mut().and_then(|v| v.get_mut(i * np..(i + 1) * np));
                let lli = self.eval_group(i, (lo, hi), beta, (&c, &dcs), ws, grad.as_deref_mut(), rg)?;
                total += lli;
                if let Some(out) = per_row.as_deref_mut() {
                    out[i] = lli;
                }
                continue;
            }
            let Some(row) = self.rows.get(lo) else {
                continue;
            };
            let rule = &self.rules[self.row_rule[i]];
            let eta0 = [dot(&row.x1, beta), dot(&row.x2, beta)];
            let mi = Self::mode(row, eta0, &c, ws.modes[i], i)?;
            ws.modes[i] = mi.u;
            let minv = mi.a.inv();
            let r = minv.chol_lower();
            let k = c.mul(&r);
            let ln_det_r = r.a.ln() + r.d.ln();
            // Log-sum-exp over the nodes in one pass, shifted by the integrand's value at the centre
            // of the adapted rule (at most a few units from the largest node value; an exact
            // maximum is taken only when that shift under- or overflows).
            let mut shift = mi.g + rule.centre;
            let mut ns = if rule.m() == 1 {
                // Laplace (§2.5): the one node is the mode itself, where the integrand is g(û).
                let (s, u) = (mi.s, mi.u);
                let su = M2::new(s[0] * u[0], s[0] * u[1], s[1] * u[0], s[1] * u[1]);
                NodeSums { w: 1.0, s, su, sz: M2::ZERO, u, uz: M2::ZERO }
            } else {
                node_sums(row, &mi, [&r, &k], rule, shift, want_grad, self.factor_limit)
            };
            if !(ns.w > 1e-250 && ns.w < 1e250) {
                shift += node_sums_max(row, &mi, &r, &k, rule, shift);
                ns = node_sums(row, &mi, [&r, &k], rule, shift, want_grad, self.factor_limit);
            }
            let sum = ns.w;
            let lli = row.lc + base + ln_det_r + shift + sum.ln();
            if !lli.is_finite() {
                return Err(EvalError::NonFinite { row: i });
            }
            total += lli;
            if let Some(out) = per_row.as_deref_mut() {
                out[i] = lli;
            }
            let Some(g) = grad.as_deref_mut() else {
                continue;
            };
            // Softmax-weighted moments over the nodes.
            let inv = 1.0 / sum;
            let s1 = [ns.s[0] * inv, ns.s[1] * inv]; // Σπ s
            let su = ns.su.scale(inv); // Σπ s u'
            let sz = ns.sz.scale(inv); // Σπ s z'
            let ub = [ns.u[0] * inv, ns.u[1] * inv]; // Σπ u
            let uz = ns.uz.scale(inv); // Σπ u z'
            let cts1 = c.tv(s1);
            let gs = [cts1[0] - ub[0], cts1[1] - ub[1]]; // Σπ ∇_u g
            let ctsz = c.t().mul(&sz);
            let gz = M2::new(ctsz.a - uz.a, ctsz.b - uz.b, ctsz.c - uz.c, ctsz.d - uz.d); // Σπ ∇g z'
            let rinv = r.inv_lower();
            let dd_fac = [mi.d[0] * (1.0 - 2.0 * mi.p[0]), mi.d[1] * (1.0 - 2.0 * mi.p[1])];
            let one = |p: usize, deta0: [f64; 2], dc: &M2| -> f64 {
                let _ = p;
                let dcu = dc.mv(mi.u);
                let dlin = [deta0[0] + dcu[0], deta0[1] + dcu[1]];
                // dû = M [dC' ŝ − C' D̂ (dη0 + dC û)]
                let t1 = dc.tv(mi.s);
                let t2 = c.tv([mi.d[0] * dlin[0], mi.d[1] * dlin[1]]);
                let du = minv.mv([t1[0] - t2[0], t1[1] - t2[1]]);
                let cdu = c.mv(du);
                let deta = [dlin[0] + cdu[0], dlin[1] + cdu[1]];
                let dd = [dd_fac[0] * deta[0], dd_fac[1] * deta[1]];
                let dmd = |x: &M2, y: &M2| {
                    x.t().mul(&M2::new(mi.d[0] * y.a, mi.d[0] * y.b, mi.d[1] * y.c, mi.d[1] * y.d))
                };
                let da = dmd(dc, &c).add(&dmd(&c, dc)).add(&c.t_diag_m(dd));
                let dm = minv.mul(&da).mul(&minv).scale(-1.0);
                let dr = r.mul(&rinv.mul(&dm).mul(&rinv.t()).phi());
                s1[0] * deta0[0]
                    + s1[1] * deta0[1]
                    + su.dot(dc)
                    + gs[0] * du[0]
                    + gs[1] * du[1]
                    + sqrt2 * gz.dot(&dr)
                    - 0.5 * minv.mul(&da).trace()
            };
            let mut row_grad = per_row_grad.as_deref_mut().and_then(|v| v.get_mut(i * np..(i + 1) * np));
            for q in 0..np {
                let v = if q < nb {
                    one(q, [row.x1[q], row.x2[q]], &M2::ZERO)
                } else {
                    one(q, [0.0, 0.0], &dcs[q - nb])
                };
                g[q] += v;
                if let Some(rg) = row_grad.as_deref_mut() {
                    rg[q] = v;
                }
            }
        }
        Ok(total)
    }
}

/// Unnormalised node sums of one study: `Σ w`, and (for the gradient) `Σ w s`, `Σ w s u'`,
/// `Σ w s z'`, `Σ w u`, `Σ w u z'` with `w = exp(v − shift)` the node's integrand.
struct NodeSums {
    w: f64,
    s: [f64; 2],
    su: M2,
    sz: M2,
    u: [f64; 2],
    uz: M2,
}

/// Sums over one row of the rule: `Σw`, `Σw x_l`, `Σw x_l²`, `Σw s2`, `Σw s2 x_l`.
#[derive(Default)]
struct RowSums {
    w: f64,
    wx: f64,
    wx2: f64,
    ws: f64,
    wsx: f64,
}

impl RowSums {
    #[inline(always)]
    fn add(&mut self, w: f64, s2: f64, xl: f64) {
        let (ws, wx) = (w * s2, w * xl);
        self.w += w;
        self.wx += wx;
        self.wx2 += wx * xl;
        self.ws += ws;
        self.wsx += ws * xl;
    }
}

/// The node values `v_jl − shift` of one study over the retained pairs of `rule` (METHODS §2.6
/// step 3: `u_jl = û + √2 R z`, `v = ln w_j + ln w_l + x_j² + x_l² + g(u_jl)`), summed in one pass.
/// The per-`j` terms are hoisted; the inner loop over `l` is straight-line arithmetic on the node
/// arrays.
#[inline]
fn node_sums(
    row: &GlmmRow,
    mi: &ModeInfo,
    [r, k]: [&M2; 2],
    rule: &QuadRule,
    shift: f64,
    grad: bool,
    factor_limit: f64,
) -> NodeSums {
    let sqrt2 = std::f64::consts::SQRT_2;
    let (xs, nc) = (&rule.gh.nodes, &rule.node_const);
    let (ka, kc, kd) = (sqrt2 * k.a, sqrt2 * k.c, sqrt2 * k.d);
    let (ra, rc, rd) = (sqrt2 * r.a, sqrt2 * r.c, sqrt2 * r.d);
    let (y2, n2) = (row.y2, row.n2);
    let mut out = NodeSums { w: 0.0, s: [0.0; 2], su: M2::ZERO, sz: M2::ZERO, u: [0.0; 2], uz: M2::ZERO };
    // `e^{kd x_l}` per node when every `e^{η2}` of the study stays far from overflow (else the
    // per-node `e^{−|η2|}` form).
    let xmax = xs.iter().fold(0.0f64, |a, x| a.max(x.abs()));
    // Per node of the second coordinate: `e^{kd x_l}` and the part of the exponent that depends on
    // `x_l` only, `q_l = ln w_l + x_l² + y2 kd x_l − ½ rd² x_l²`; the exponent is then
    // `A_j + q_l + B_j x_l − n2 ln(1 + e^{η2})` with `A_j, B_j` per row of the rule.
    let fast: Option<Vec<(f64, f64)>> =
        (mi.eta[1].abs() + (kc.abs() + kd.abs()) * xmax < factor_limit).then(|| {
            xs.iter()
                .zip(nc)
                .map(|(&x, &c)| ((kd * x).exp(), c + y2 * kd * x - 0.5 * rd * rd * x * x))
                .collect()
        });
    for (j, &(lo, hi)) in rule.spans.iter().enumerate() {
        if lo >= hi {
            continue;
        }
        let xj = xs[j];
        let (h1, p1) = margin_ll_and_p(row.y1, row.n1, mi.eta[0] + ka * xj);
        let u1 = mi.u[0] + ra * xj;
        let base_j = nc[j] + h1 - 0.5 * u1 * u1 - shift;
        let (a2, b2) = (mi.eta[1] + kc * xj, mi.u[1] + rc * xj);
        let (xl, ncl) = (&xs[lo..hi], &nc[lo..hi]);
        let mut acc = RowSums::default();
        if let Some(fq) = fast.as_ref().map(|f| &f[lo..hi]) {
            // e^{η2} = e^{a2} · e^{kd x_l}: one exponential per row of the rule instead of one per node.
            let ea = a2.exp();
            let aj = base_j + y2 * a2 - 0.5 * b2 * b2;
            let bj = -b2 * rd;
            if !grad {
                for (&xl, &(e, q)) in xl.iter().zip(fq) {
                    acc.w += (aj + q + bj * xl - n2 * ln_1p_nodiv(ea * e)).exp();
                }
                out.w += acc.w;
                continue;
            }
            for (&xl, &(e, q)) in xl.iter().zip(fq) {
                let t = ea * e;
                let (lt, inv) = ln_1p_of(t);
                acc.add((aj + q + bj * xl - n2 * lt).exp(), y2 - n2 * (t * inv), xl);
            }
        } else {
            if !grad {
                for (&xl, &cl) in xl.iter().zip(ncl) {
                    let eta2 = a2 + kd * xl;
                    let u2 = b2 + rd * xl;
                    acc.w += (base_j + cl + margin_ll(y2, n2, eta2) - 0.5 * u2 * u2).exp();
                }
                out.w += acc.w;
                continue;
            }
            for (&xl, &cl) in xl.iter().zip(ncl) {
                let eta2 = a2 + kd * xl;
                let u2 = b2 + rd * xl;
                let (h2, p2) = margin_ll_and_p(y2, n2, eta2);
                acc.add((base_j + cl + h2 - 0.5 * u2 * u2).exp(), y2 - n2 * p2, xl);
            }
        }
        // u2 = b2 + rd x_l is linear in x_l: Σw u2, Σw s2 u2 and Σw u2 x_l follow from
        // Σw, Σw x_l, Σw x_l², Σw s2 and Σw s2 x_l.
        let RowSums { w: w0, wx: wxl, wx2: wxl2, ws: ws2, wsx: ws2xl } = acc;
        let wu2 = b2 * w0 + rd * wxl;
        let ws2u2 = b2 * ws2 + rd * ws2xl;
        let wu2xl = b2 * wxl + rd * wxl2;
        let s1j = row.y1 - row.n1 * p1;
        out.w += w0;
        out.s[0] += s1j * w0;
        out.s[1] += ws2;
        out.su.a += s1j * u1 * w0;
        out.su.b += s1j * wu2;
        out.su.c += u1 * ws2;
        out.su.d += ws2u2;
        out.sz.a += s1j * xj * w0;
        out.sz.b += s1j * wxl;
        out.sz.c += xj * ws2;
        out.sz.d += ws2xl;
        out.u[0] += u1 * w0;
        out.u[1] += wu2;
        out.uz.a += u1 * xj * w0;
        out.uz.b += u1 * wxl;
        out.uz.c += xj * wu2;
        out.uz.d += wu2xl;
    }
    out
}

/// `max_jl (v_jl − shift)` over the retained pairs (the fallback shift of [`node_sums`]).
fn node_sums_max(row: &GlmmRow, mi: &ModeInfo, r: &M2, k: &M2, rule: &QuadRule, shift: f64) -> f64 {
    let sqrt2 = std::f64::consts::SQRT_2;
    let (xs, nc) = (&rule.gh.nodes, &rule.node_const);
    let mut vmax = f64::NEG_INFINITY;
    for (j, &(lo, hi)) in rule.spans.iter().enumerate() {
        let xj = xs[j];
        let u1 = mi.u[0] + sqrt2 * r.a * xj;
        let h1 = margin_ll(row.y1, row.n1, mi.eta[0] + sqrt2 * k.a * xj);
        for l in lo..hi {
            let xl = xs[l];
            let eta2 = mi.eta[1] + sqrt2 * (k.c * xj + k.d * xl);
            let u2 = mi.u[1] + sqrt2 * (r.c * xj + r.d * xl);
            let v = nc[j] + nc[l] + h1 + margin_ll(row.y2, row.n2, eta2) - 0.5 * (u1 * u1 + u2 * u2) - shift;
            vmax = vmax.max(v);
        }
    }
    if vmax.is_finite() {
        vmax
    } else {
        0.0
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The conditional mode of a unit with several rows (METHODS §15.1 with §2.4): the per-row
/// linear predictors, probabilities, scores and weights at `û`, and the unit's totals
/// (`ŝ = Σ_r s_r`, `D̂ = Σ_r D_r`, `A = C'D̂C + I`).
struct GroupMode {
    u: [f64; 2],
    eta: Vec<[f64; 2]>,
    p: Vec<[f64; 2]>,
    s_rows: Vec<[f64; 2]>,
    d_rows: Vec<[f64; 2]>,
    s: [f64; 2],
    d: [f64; 2],
    a: M2,
    g: f64,
}

impl GlmmProblem {
    /// `g(u)` of a unit (without the `lc`): the rows' binomial terms summed, at `η_r = η0_r + C u`.
    fn g_value_group(rows: &[GlmmRow], eta0: &[[f64; 2]], c: &M2, u: [f64; 2]) -> f64 {
        let e = c.mv(u);
        rows.iter()
            .zip(eta0)
            .map(|(r, e0)| margin_ll(r.y1, r.n1, e0[0] + e[0]) + margin_ll(r.y2, r.n2, e0[1] + e[1]))
            .sum::<f64>()
            - 0.5 * (u[0] * u[0] + u[1] * u[1])
    }

    fn group_info(rows: &[GlmmRow], eta0: &[[f64; 2]], c: &M2, u: [f64; 2]) -> GroupMode {
        let e = c.mv(u);
        let n = rows.len();
        let mut gm = GroupMode {
            u,
            eta: Vec::with_capacity(n),
            p: Vec::with_capacity(n),
            s_rows: Vec::with_capacity(n),
            d_rows: Vec::with_capacity(n),
            s: [0.0; 2],
            d: [0.0; 2],
            a: M2::ZERO,
            g: 0.0,
        };
        for (r, e0) in rows.iter().zip(eta0) {
            let eta = [e0[0] + e[0], e0[1] + e[1]];
            let p = [prob_from_logit(eta[0]), prob_from_logit(eta[1])];
            let s = [r.y1 - r.n1 * p[0], r.y2 - r.n2 * p[1]];
            let d = [r.n1 * p[0] * (1.0 - p[0]), r.n2 * p[1] * (1.0 - p[1])];
            gm.s = [gm.s[0] + s[0], gm.s[1] + s[1]];
            gm.d = [gm.d[0] + d[0], gm.d[1] + d[1]];
            gm.eta.push(eta);
            gm.p.push(p);
            gm.s_rows.push(s);
            gm.d_rows.push(d);
        }
        gm.a = c.t_diag_m(gm.d).add(&M2::new(1.0, 0.0, 0.0, 1.0));
        gm
    }

    /// The conditional mode of a unit by damped Newton (METHODS §2.4 with the rows' terms summed).
    fn mode_group(
        rows: &[GlmmRow],
        eta0: &[[f64; 2]],
        c: &M2,
        start: [f64; 2],
        i: usize,
    ) -> Result<GroupMode, EvalError> {
        let mut u = start;
        if !(u[0].is_finite() && u[1].is_finite()) {
            u = [0.0; 2];
        }
        let mut g0 = Self::g_value_group(rows, eta0, c, u);
        for it in 0..60 {
            let mi = Self::group_info(rows, eta0, c, u);
            let cs = c.tv(mi.s);
            let grad = [cs[0] - u[0], cs[1] - u[1]];
            let step = mi.a.inv().mv(grad);
            // As in `mode`: the Newton decrement below g's resolution ends the search late on.
            let decrement = grad[0] * step[0] + grad[1] * step[1];
            if it >= 20 && decrement.abs() <= 64.0 * f64::EPSILON * g0.abs().max(1.0) {
                return Ok(GroupMode { g: g0, ..mi });
            }
            let mut t = 1.0;
            let mut accepted = false;
            let mut unew = u;
            let mut g1 = g0;
            for _ in 0..30 {
                unew = [u[0] + t * step[0], u[1] + t * step[1]];
                g1 = Self::g_value_group(rows, eta0, c, unew);
                if g1 >= g0 - 1e-12 * g0.abs().max(1.0) {
                    accepted = true;
                    break;
                }
                t *= 0.5;
            }
            if !accepted {
                return Err(EvalError::ModeNotConverged { row: i });
            }
            let du = (t * step[0]).abs().max((t * step[1]).abs());
            u = unew;
            g0 = g1;
            if du < 1e-10 {
                return Ok(GroupMode { g: g0, ..Self::group_info(rows, eta0, c, u) });
            }
        }
        Err(EvalError::ModeNotConverged { row: i })
    }

    /// `ℓ_i` of unit `i` (rows `lo..hi`) and, with `grad`, its exact gradient added to `grad`
    /// (and written to `unit_grad`): the §2.6 rule at the unit's mode, the integrand the product of
    /// the rows' binomial terms. The derivation is that of the one-row kernel with `ŝ`, `D̂` the
    /// rows' sums; the fixed effects enter through each row's own design, so the node sums keep
    /// `Σπ s_r` per row. Written plainly (one pass per node): units with several rows are few.
    #[allow(clippy::too_many_arguments)]
    fn eval_group(
        &self,
        i: usize,
        (lo, hi): (usize, usize),
        beta: &[f64],
        (c, dcs): (&M2, &[M2]),
        ws: &mut Workspace,
        grad: Option<&mut [f64]>,
        unit_grad: Option<&mut [f64]>,
    ) -> Result<f64, EvalError> {
        let rows = &self.rows[lo..hi];
        let nr = rows.len();
        let nb = self.n_beta;
        let np = self.n_par();
        let rule = &self.rules[self.row_rule[i]];
        let eta0: Vec<[f64; 2]> = rows.iter().map(|r| [dot(&r.x1, beta), dot(&r.x2, beta)]).collect();
        let mi = Self::mode_group(rows, &eta0, c, ws.modes[i], i)?;
        ws.modes[i] = mi.u;
        let minv = mi.a.inv();
        let r = minv.chol_lower();
        let k = c.mul(&r);
        let ln_det_r = r.a.ln() + r.d.ln();
        let sqrt2 = std::f64::consts::SQRT_2;
        let base = -(2.0 * std::f64::consts::PI).ln() + 2f64.ln();
        let want_grad = grad.is_some();
        let lc: f64 = rows.iter().map(|r| r.lc).sum();
        let mut shift = mi.g + rule.centre;
        let mut gs = group_node_sums(rows, &mi, [&r, &k], rule, shift, want_grad);
        if !(gs.w > 1e-250 && gs.w < 1e250) && rule.m() > 1 {
            shift += gs.vmax;
            gs = group_node_sums(rows, &mi, [&r, &k], rule, shift, want_grad);
        }
        let lli = lc + base + ln_det_r + shift + gs.w.ln();
        if !lli.is_finite() {
            return Err(EvalError::NonFinite { row: i });
        }
        let Some(g) = grad else {
            return Ok(lli);
        };
        let inv = 1.0 / gs.w;
        let su = gs.su.scale(inv);
        let sz = gs.sz.scale(inv);
        let ub = [gs.u[0] * inv, gs.u[1] * inv];
        let uz = gs.uz.scale(inv);
        let s_tot = [gs.s[0] * inv, gs.s[1] * inv];
        let cts = c.tv(s_tot);
        let gsu = [cts[0] - ub[0], cts[1] - ub[1]];
        let ctsz = c.t().mul(&sz);
        let gz = M2::new(ctsz.a - uz.a, ctsz.b - uz.b, ctsz.c - uz.c, ctsz.d - uz.d);
        let rinv = r.inv_lower();
        let dd_fac: Vec<[f64; 2]> = (0..nr)
            .map(|j| [mi.d_rows[j][0] * (1.0 - 2.0 * mi.p[j][0]), mi.d_rows[j][1] * (1.0 - 2.0 * mi.p[j][1])])
            .collect();
        let mut unit_grad = unit_grad;
        for q in 0..np {
            let dc = if q < nb { M2::ZERO } else { dcs[q - nb] };
            let deta0 = |j: usize| if q < nb { [rows[j].x1[q], rows[j].x2[q]] } else { [0.0, 0.0] };
            let dcu = dc.mv(mi.u);
            // dû = M [dC' ŝ − C' Σ_r D_r (dη0_r + dC û)]
            let mut wd = [0.0; 2];
            for j in 0..nr {
                let e = deta0(j);
                wd[0] += mi.d_rows[j][0] * (e[0] + dcu[0]);
                wd[1] += mi.d_rows[j][1] * (e[1] + dcu[1]);
            }
            let t1 = dc.tv(mi.s);
            let t2 = c.tv(wd);
            let du = minv.mv([t1[0] - t2[0], t1[1] - t2[1]]);
            let cdu = c.mv(du);
            let mut dd = [0.0; 2];
            let mut fixed = 0.0;
            for (j, (fac, sr)) in dd_fac.iter().zip(&gs.s_rows).enumerate() {
                let e = deta0(j);
                dd[0] += fac[0] * (e[0] + dcu[0] + cdu[0]);
                dd[1] += fac[1] * (e[1] + dcu[1] + cdu[1]);
                fixed += sr[0] * inv * e[0] + sr[1] * inv * e[1];
            }
            let dmd = |x: &M2, y: &M2| {
                x.t().mul(&M2::new(mi.d[0] * y.a, mi.d[0] * y.b, mi.d[1] * y.c, mi.d[1] * y.d))
            };
            let da = dmd(&dc, c).add(&dmd(c, &dc)).add(&c.t_diag_m(dd));
            let dm = minv.mul(&da).mul(&minv).scale(-1.0);
            let dr = r.mul(&rinv.mul(&dm).mul(&rinv.t()).phi());
            let v = fixed + su.dot(&dc) + gsu[0] * du[0] + gsu[1] * du[1] + sqrt2 * gz.dot(&dr)
                - 0.5 * minv.mul(&da).trace();
            g[q] += v;
            if let Some(ug) = unit_grad.as_deref_mut() {
                ug[q] = v;
            }
        }
        Ok(lli)
    }
}

/// Node sums of a unit with several rows: as [`NodeSums`], plus `Σ w s_r` per row, and the
/// largest node value (for the fallback shift).
struct GroupSums {
    w: f64,
    s: [f64; 2],
    su: M2,
    sz: M2,
    u: [f64; 2],
    uz: M2,
    s_rows: Vec<[f64; 2]>,
    vmax: f64,
}

fn group_node_sums(
    rows: &[GlmmRow],
    mi: &GroupMode,
    [r, k]: [&M2; 2],
    rule: &QuadRule,
    shift: f64,
    grad: bool,
) -> GroupSums {
    let nr = rows.len();
    let mut out = GroupSums {
        w: 0.0,
        s: [0.0; 2],
        su: M2::ZERO,
        sz: M2::ZERO,
        u: [0.0; 2],
        uz: M2::ZERO,
        s_rows: vec![[0.0; 2]; nr],
        vmax: f64::NEG_INFINITY,
    };
    if rule.m() == 1 {
        // Laplace (§2.5): the one node is the mode.
        let (s, u) = (mi.s, mi.u);
        out.w = (mi.g + rule.centre - shift).exp();
        out.vmax = mi.g + rule.centre - shift;
        let w = out.w;
        out.s = [w * s[0], w * s[1]];
        out.su = M2::new(s[0] * u[0], s[0] * u[1], s[1] * u[0], s[1] * u[1]).scale(w);
        out.u = [w * u[0], w * u[1]];
        for (o, sr) in out.s_rows.iter_mut().zip(&mi.s_rows) {
            *o = [w * sr[0], w * sr[1]];
        }
        return out;
    }
    let sqrt2 = std::f64::consts::SQRT_2;
    let (xs, nc) = (&rule.gh.nodes, &rule.node_const);
    let (ka, kc, kd) = (sqrt2 * k.a, sqrt2 * k.c, sqrt2 * k.d);
    let (ra, rc, rd) = (sqrt2 * r.a, sqrt2 * r.c, sqrt2 * r.d);
    let mut s1r = vec![0.0; nr];
    let mut s2r = vec![0.0; nr];
    for (j, &(lo, hi)) in rule.spans.iter().enumerate() {
        if lo >= hi {
            continue;
        }
        let xj = xs[j];
        let mut h1 = 0.0;
        let mut s1 = 0.0;
        for (q, row) in rows.iter().enumerate() {
            let (h, p) = margin_ll_and_p(row.y1, row.n1, mi.eta[q][0] + ka * xj);
            h1 += h;
            s1r[q] = row.y1 - row.n1 * p;
            s1 += s1r[q];
        }
        let u1 = mi.u[0] + ra * xj;
        let base_j = nc[j] + h1 - 0.5 * u1 * u1 - shift;
        for l in lo..hi {
            let xl = xs[l];
            let off2 = kc * xj + kd * xl;
            let u2 = mi.u[1] + rc * xj + rd * xl;
            let mut h2 = 0.0;
            let mut s2 = 0.0;
            for (q, row) in rows.iter().enumerate() {
                let (h, p) = margin_ll_and_p(row.y2, row.n2, mi.eta[q][1] + off2);
                h2 += h;
                s2r[q] = row.y2 - row.n2 * p;
                s2 += s2r[q];
            }
            let v = base_j + nc[l] + h2 - 0.5 * u2 * u2;
            out.vmax = out.vmax.max(v);
            let w = v.exp();
            out.w += w;
            if !grad {
                continue;
            }
            out.s[0] += w * s1;
            out.s[1] += w * s2;
            out.su.a += w * s1 * u1;
            out.su.b += w * s1 * u2;
            out.su.c += w * s2 * u1;
            out.su.d += w * s2 * u2;
            out.sz.a += w * s1 * xj;
            out.sz.b += w * s1 * xl;
            out.sz.c += w * s2 * xj;
            out.sz.d += w * s2 * xl;
            out.u[0] += w * u1;
            out.u[1] += w * u2;
            out.uz.a += w * u1 * xj;
            out.uz.b += w * u1 * xl;
            out.uz.c += w * u2 * xj;
            out.uz.d += w * u2 * xl;
            for q in 0..nr {
                out.s_rows[q][0] += w * s1r[q];
                out.s_rows[q][1] += w * s2r[q];
            }
        }
    }
    out
}
