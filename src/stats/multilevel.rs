//! A small exact-likelihood engine for the models that the two-level bivariate engine
//! (`stats::glmm`) does not cover: HSROC meta-regression with a covariate on shape (METHODS §16.3)
//! and the three-level model (§15.3). It integrates binomial rows over 2-D standard-normal random
//! effects by adaptive Gauss–Hermite quadrature (§2.6) and maximises with the project's BFGS
//! (`glmm::optim`) on a central-difference gradient.
//!
//! Deviation from §2.7a (exact analytic gradient): the models here are opt-in, fitted a few times
//! per analysis and small; a central-difference gradient of a likelihood whose inner modes are
//! solved to machine precision is accurate to ~1e-7, well inside the convergence tolerance, and
//! keeps this engine independent of the two-level engine's internals.

use super::glmm::mat2::M2;
use super::glmm::optim::{bfgs, Objective, Termination};
use super::glmm::quadrature::gauss_hermite;
use super::transform::{ln_choose, log1p_exp, prob_from_logit};
use crate::data::Study;
use nalgebra::DMatrix;

/// One 2×2 table as the likelihood sees it.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    pub tp: f64,
    pub n1: f64,
    pub tn: f64,
    pub n0: f64,
    /// `ln C(n1, TP) + ln C(n0, TN)` (§2.2: included, as lme4 and Stata do).
    pub lc: f64,
}

impl Counts {
    pub fn of(s: &Study) -> Counts {
        let (n1, n0) = (s.n_diseased(), s.tn + s.fp);
        Counts {
            tp: s.tp as f64,
            n1: n1 as f64,
            tn: s.tn as f64,
            n0: n0 as f64,
            lc: ln_choose(n1, s.tp) + ln_choose(n0, s.tn),
        }
    }
    /// `ln f(η)`.
    pub fn log_f(&self, eta: [f64; 2]) -> f64 {
        self.lc + self.tp * eta[0] - self.n1 * log1p_exp(eta[0]) + self.tn * eta[1]
            - self.n0 * log1p_exp(eta[1])
    }
    /// Score `(TP − n1 p1, TN − n0 p2)` and weights `n p (1 − p)` at `η`.
    pub fn score_weight(&self, eta: [f64; 2]) -> ([f64; 2], [f64; 2]) {
        let (p1, p2) = (prob_from_logit(eta[0]), prob_from_logit(eta[1]));
        (
            [self.tp - self.n1 * p1, self.tn - self.n0 * p2],
            [self.n1 * p1 * (1.0 - p1), self.n0 * p2 * (1.0 - p2)],
        )
    }
}

/// A Gauss–Hermite rule with its size.
#[derive(Clone, Debug)]
pub struct Rule {
    pub m: usize,
    /// The product nodes `(x_j, x_l, ln w_j + ln w_l + x_j² + x_l²)` kept: those whose weight
    /// `w_j w_l` is at least 1e-16 of the largest (the rest add < 1e-16 relative to a near-Gaussian
    /// integrand; at m = 21 this keeps 393 of 441).
    nodes2: Vec<(f64, f64, f64)>,
}

impl Rule {
    pub fn new(m: usize) -> Rule {
        let m = m.max(1);
        let gh = gauss_hermite(m);
        let lw_max = 2.0 * gh.log_weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut nodes2 = Vec::with_capacity(m * m);
        for j in 0..m {
            for l in 0..m {
                let lw = gh.log_weights[j] + gh.log_weights[l];
                if lw >= lw_max - 16.0 * std::f64::consts::LN_10 {
                    let (x, y) = (gh.nodes[j], gh.nodes[l]);
                    nodes2.push((x, y, lw + x * x + y * y));
                }
            }
        }
        Rule { m, nodes2 }
    }
    /// Product nodes in use (see `nodes2`).
    pub fn n_nodes(&self) -> usize {
        self.nodes2.len()
    }
}

fn g_value(rows: &[Counts], a: [f64; 2], b: &M2, u: [f64; 2]) -> f64 {
    let bu = b.mv(u);
    let eta = [a[0] + bu[0], a[1] + bu[1]];
    rows.iter().map(|r| r.log_f(eta)).sum::<f64>() - 0.5 * (u[0] * u[0] + u[1] * u[1])
}

/// The mode `û` of `g(u) = Σ_r ln f_r(a + B u) − ½u'u` (Newton with step halving, §2.4; `g` is
/// strictly concave) and `A = B'DB + I` there. `u` is the warm start and receives the mode.
pub fn mode(rows: &[Counts], a: [f64; 2], b: &M2, u: &mut [f64; 2]) -> Option<M2> {
    let mut g = g_value(rows, a, b, *u);
    for _ in 0..60 {
        let bu = b.mv(*u);
        let eta = [a[0] + bu[0], a[1] + bu[1]];
        let (mut s, mut d) = ([0.0; 2], [0.0; 2]);
        for r in rows {
            let (sr, dr) = r.score_weight(eta);
            s = [s[0] + sr[0], s[1] + sr[1]];
            d = [d[0] + dr[0], d[1] + dr[1]];
        }
        let bts = b.tv(s);
        let grad = [bts[0] - u[0], bts[1] - u[1]];
        let h = b.t_diag_m(d).add(&M2::new(1.0, 0.0, 0.0, 1.0));
        let step = h.inv().mv(grad);
        let mut t = 1.0;
        let mut moved = false;
        for _ in 0..30 {
            let cand = [u[0] + t * step[0], u[1] + t * step[1]];
            let gc = g_value(rows, a, b, cand);
            if gc.is_finite() && gc >= g - 1e-13 * g.abs().max(1.0) {
                *u = cand;
                g = gc;
                moved = true;
                break;
            }
            t *= 0.5;
        }
        if !moved || step[0].abs().max(step[1].abs()) * t < 1e-12 {
            break;
        }
    }
    if !g.is_finite() {
        return None;
    }
    let bu = b.mv(*u);
    let eta = [a[0] + bu[0], a[1] + bu[1]];
    let mut d = [0.0; 2];
    for r in rows {
        let (_, dr) = r.score_weight(eta);
        d = [d[0] + dr[0], d[1] + dr[1]];
    }
    Some(b.t_diag_m(d).add(&M2::new(1.0, 0.0, 0.0, 1.0)))
}

/// `ln ∫ Π_r f_r(a + B u) φ₂(u) du` by adaptive Gauss–Hermite quadrature (§2.6; m = 1 is
/// Laplace, §2.5). `warm` holds the previous mode and receives the new one.
pub fn integrate(rows: &[Counts], a: [f64; 2], b: &M2, rule: &Rule, warm: &mut [f64; 2]) -> Option<f64> {
    let h = mode(rows, a, b, warm)?;
    let u = *warm;
    if rule.m == 1 {
        return Some(g_value(rows, a, b, u) - 0.5 * h.det().ln());
    }
    let r = h.inv().chol_lower();
    adaptive_sum(rule, u, &r, |v| g_value(rows, a, b, v)).map(|s| s - (2.0 * std::f64::consts::PI).ln())
}

/// `ln ∫ exp(h(u)) du` ≈ `ln 2 + ln det R + LSE[ln w_j + ln w_l + h(û + √2 R z) + |z|²]` over the
/// product rule (the `−ln 2π` of a standard-normal weight is the caller's).
pub fn adaptive_sum(
    rule: &Rule,
    centre: [f64; 2],
    r: &M2,
    mut h: impl FnMut([f64; 2]) -> f64,
) -> Option<f64> {
    let s2 = std::f64::consts::SQRT_2;
    let mut terms = Vec::with_capacity(rule.nodes2.len());
    for &(x, y, lw) in &rule.nodes2 {
        let rz = r.mv([x, y]);
        let u = [centre[0] + s2 * rz[0], centre[1] + s2 * rz[1]];
        terms.push(lw + h(u));
    }
    let mx = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !mx.is_finite() {
        return None;
    }
    let lse = mx + terms.iter().map(|t| (t - mx).exp()).sum::<f64>().ln();
    Some(std::f64::consts::LN_2 + r.det().abs().ln() + lse)
}

/// How a fit of this engine ended.
#[derive(Clone, Debug)]
pub struct Fitted {
    pub x: Vec<f64>,
    pub loglik: f64,
    /// Inverse of the Hessian of −ℓ (central second differences), when positive definite.
    pub vcov: Option<DMatrix<f64>>,
    pub converged: bool,
    pub iterations: usize,
    pub termination: Termination,
    pub max_abs_gradient: f64,
}

/// −ℓ with a central-difference gradient.
struct NumGrad<F: FnMut(&[f64]) -> Option<f64>> {
    ll: F,
}

impl<F: FnMut(&[f64]) -> Option<f64>> Objective for NumGrad<F> {
    fn value_grad(&mut self, x: &[f64], grad: &mut [f64]) -> Option<f64> {
        let f0 = -(self.ll)(x)?;
        let mut xp = x.to_vec();
        for j in 0..x.len() {
            let h = 1e-5 * x[j].abs().max(1.0);
            xp[j] = x[j] + h;
            let fp = -(self.ll)(&xp)?;
            xp[j] = x[j] - h;
            let fm = -(self.ll)(&xp)?;
            xp[j] = x[j];
            grad[j] = (fp - fm) / (2.0 * h);
        }
        Some(f0)
    }
}

/// Hessian of −ℓ by central second differences (step `h·max(1,|x_j|)`).
pub fn hessian(ll: &mut impl FnMut(&[f64]) -> Option<f64>, x: &[f64], h: f64) -> Option<DMatrix<f64>> {
    let n = x.len();
    let f0 = -ll(x)?;
    let st: Vec<f64> = x.iter().map(|v| h * v.abs().max(1.0)).collect();
    let mut hm = DMatrix::zeros(n, n);
    let mut y = x.to_vec();
    for i in 0..n {
        y[i] = x[i] + st[i];
        let fp = -ll(&y)?;
        y[i] = x[i] - st[i];
        let fm = -ll(&y)?;
        y[i] = x[i];
        hm[(i, i)] = (fp - 2.0 * f0 + fm) / (st[i] * st[i]);
        for j in 0..i {
            let mut e = |si: f64, sj: f64| {
                let mut z = x.to_vec();
                z[i] += si * st[i];
                z[j] += sj * st[j];
                ll(&z).map(|v| -v)
            };
            let v = (e(1.0, 1.0)? - e(1.0, -1.0)? - e(-1.0, 1.0)? + e(-1.0, -1.0)?) / (4.0 * st[i] * st[j]);
            hm[(i, j)] = v;
            hm[(j, i)] = v;
        }
    }
    Some(hm)
}

/// Maximise `ll` from `x0` (BFGS on the central-difference gradient; gradient tolerance 1e-5 on
/// −ℓ, ≤ 400 iterations), then the Hessian at the optimum. Converged = the gradient tolerance was
/// met (or the objective stopped changing with the gradient below 1e-3) and the Hessian is
/// positive definite.
pub fn maximise(ll: impl FnMut(&[f64]) -> Option<f64>, x0: &[f64]) -> Fitted {
    maximise_from(ll, x0, None)
}

/// As [`maximise`], with BFGS's inverse-Hessian approximation seeded by `inv_h0` (e.g. the
/// covariance of a cheaper fit of the same model).
pub fn maximise_from(
    mut ll: impl FnMut(&[f64]) -> Option<f64>,
    x0: &[f64],
    inv_h0: Option<DMatrix<f64>>,
) -> Fitted {
    let res = {
        let mut obj = NumGrad { ll: &mut ll };
        bfgs(&mut obj, x0, inv_h0, 1e-5, 400, 2.0)
    };
    let mag = res.grad.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    let h = if res.f.is_finite() { hessian(&mut ll, &res.x, 1e-3) } else { None };
    let vcov = h.and_then(|h| h.cholesky().map(|c| c.inverse()));
    let ok_end = matches!(res.termination, Termination::GradientTolerance)
        || (matches!(res.termination, Termination::NoProgress | Termination::LineSearchFailed) && mag < 1e-3);
    Fitted {
        loglik: -res.f,
        converged: res.f.is_finite() && ok_end && vcov.is_some(),
        vcov,
        iterations: res.iterations,
        termination: res.termination,
        max_abs_gradient: mag,
        x: res.x,
    }
}

/// Lower-triangular `[[l11, 0], [l21, l22]]`.
pub fn lower(l11: f64, l21: f64, l22: f64) -> M2 {
    M2::new(l11, 0.0, l21, l22)
}

/// `(τ1², τ2², ρ)` of `Σ = L L'` (ρ is `None` when a variance is 0).
pub fn tau_rho(l: &M2) -> (f64, f64, Option<f64>) {
    let s = l.mul(&l.t());
    let (v1, v2, c) = (s.a, s.d, s.b);
    let rho = (v1 > 1e-300 && v2 > 1e-300).then(|| (c / (v1 * v2).sqrt()).clamp(-1.0, 1.0));
    (v1, v2, rho)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The adaptive rule reproduces a brute-force grid integral (METHODS §2.6's check), and
    /// converges as m grows.
    #[test]
    fn adaptive_rule_matches_a_grid() {
        let rows = [Counts::of(&Study::new("a", 47, 9, 3, 101)), Counts::of(&Study::new("b", 12, 4, 8, 30))];
        let (a, b) = ([1.2, 2.0], lower(0.8, -0.3, 0.5));
        let mut w = [0.0; 2];
        let l25 = integrate(&rows, a, &b, &Rule::new(25), &mut w).expect("value");
        let l41 = integrate(&rows, a, &b, &Rule::new(41), &mut w).expect("value");
        // Grid: u in [-8, 8]², step 0.01.
        let (n, lo, st) = (1601, -8.0, 0.01);
        let mut terms = Vec::new();
        for i in 0..n {
            for j in 0..n {
                let u = [lo + st * i as f64, lo + st * j as f64];
                terms.push(g_value(&rows, a, &b, u));
            }
        }
        let mx = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let grid = mx + (terms.iter().map(|t| (t - mx).exp()).sum::<f64>() * st * st).ln()
            - (2.0 * std::f64::consts::PI).ln();
        assert!((l25 - grid).abs() < 1e-7, "{l25} vs grid {grid}");
        assert!((l25 - l41).abs() < 1e-9, "{l25} vs {l41}");
        assert_eq!(Rule::new(21).n_nodes(), 393);
    }
}
