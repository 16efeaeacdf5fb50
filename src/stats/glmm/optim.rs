//! Outer optimisation (METHODS §2.7): BFGS with an analytic gradient and a backtracking Armijo line
//! search, then Newton polish with a Hessian from central differences of the analytic gradient (§2.8).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// How a minimisation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum Termination {
    /// The gradient fell below the tolerance.
    GradientTolerance,
    /// The objective stopped changing (relative change below tolerance) for several iterations.
    NoProgress,
    /// The line search could not find a decrease.
    LineSearchFailed,
    /// The iteration cap was hit.
    MaxIterations,
    /// The objective could not be evaluated at the start.
    EvaluationFailed,
    /// No iteration was needed: the estimate has a closed form (both margins at an edge, §9.4).
    ClosedForm,
}

impl Termination {
    pub fn describe(self) -> &'static str {
        match self {
            Termination::GradientTolerance => "gradient below tolerance",
            Termination::NoProgress => "objective stopped changing",
            Termination::LineSearchFailed => "line search found no decrease",
            Termination::MaxIterations => "iteration limit reached",
            Termination::EvaluationFailed => "likelihood could not be evaluated",
            Termination::ClosedForm => "closed form (both margins at an edge)",
        }
    }
}

impl std::fmt::Display for Termination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

crate::stats::text_for_people!(Termination, |v| v.describe());

pub struct MinResult {
    pub x: Vec<f64>,
    pub f: f64,
    pub grad: Vec<f64>,
    pub inv_hessian: DMatrix<f64>,
    pub iterations: usize,
    pub evaluations: usize,
    pub termination: Termination,
}

/// Objective returning `f(x)` and writing `∇f(x)`; `None` where it cannot be evaluated.
pub trait Objective {
    fn value_grad(&mut self, x: &[f64], grad: &mut [f64]) -> Option<f64>;
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |a, b| a.max(b.abs()))
}

/// BFGS minimisation. `inv_h0` optionally seeds the inverse-Hessian approximation.
pub fn bfgs<O: Objective>(
    obj: &mut O,
    x0: &[f64],
    inv_h0: Option<DMatrix<f64>>,
    gtol: f64,
    max_iter: usize,
    max_step: f64,
) -> MinResult {
    bfgs_from(obj, x0, None, inv_h0, gtol, max_iter, max_step)
}

/// As [`bfgs`]; `start` is `(f(x0), ∇f(x0))` when the caller already has them (the objective's
/// state must then be as after evaluating at `x0`).
pub fn bfgs_from<O: Objective>(
    obj: &mut O,
    x0: &[f64],
    start: Option<(f64, &[f64])>,
    inv_h0: Option<DMatrix<f64>>,
    gtol: f64,
    max_iter: usize,
    max_step: f64,
) -> MinResult {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut evals = 0;
    let f0 = match start {
        Some((f, g0)) if g0.len() == n && f.is_finite() => {
            g.copy_from_slice(g0);
            Some(f)
        }
        _ => {
            evals = 1;
            obj.value_grad(&x, &mut g)
        }
    };
    let Some(mut f) = f0 else {
        return MinResult {
            x,
            f: f64::INFINITY,
            grad: g,
            inv_hessian: DMatrix::identity(n, n),
            iterations: 0,
            evaluations: evals,
            termination: Termination::EvaluationFailed,
        };
    };
    let seeded = inv_h0.is_some();
    let mut hinv = inv_h0.unwrap_or_else(|| DMatrix::identity(n, n));
    let mut first = !seeded;
    let mut stall = 0;
    let mut gnew = vec![0.0; n];
    for it in 0..max_iter {
        if max_abs(&g) < gtol {
            return MinResult {
                x,
                f,
                grad: g,
                inv_hessian: hinv,
                iterations: it,
                evaluations: evals,
                termination: Termination::GradientTolerance,
            };
        }
        let gv = DVector::from_column_slice(&g);
        let mut d = -(&hinv * &gv);
        let mut slope = d.dot(&gv);
        if slope >= 0.0 || !slope.is_finite() {
            hinv = DMatrix::identity(n, n);
            d = -gv.clone();
            slope = d.dot(&gv);
            first = true;
        }
        // Below this directional derivative the objective cannot resolve a decrease in double
        // precision: the remaining work belongs to the Newton polish, which tests the gradient.
        if slope.abs() < 1e-13 * f.abs().max(1.0) {
            return MinResult {
                x,
                f,
                grad: g,
                inv_hessian: hinv,
                iterations: it,
                evaluations: evals,
                termination: Termination::NoProgress,
            };
        }
        let dn = d.amax();
        let mut t = if first { (0.1 / dn.max(1e-12)).min(1.0) } else { 1.0 };
        if t * dn > max_step {
            t = max_step / dn;
        }
        let mut accepted = None;
        for _ in 0..30 {
            let xt: Vec<f64> = x.iter().zip(d.iter()).map(|(a, b)| a + t * b).collect();
            evals += 1;
            if let Some(ft) = obj.value_grad(&xt, &mut gnew) {
                if ft.is_finite() && ft <= f + 1e-4 * t * slope {
                    accepted = Some((xt, ft));
                    break;
                }
            }
            t *= 0.5;
        }
        let Some((xn, fnew)) = accepted else {
            return MinResult {
                x,
                f,
                grad: g,
                inv_hessian: hinv,
                iterations: it,
                evaluations: evals,
                termination: Termination::LineSearchFailed,
            };
        };
        let s = DVector::from_iterator(n, xn.iter().zip(&x).map(|(a, b)| a - b));
        let y = DVector::from_iterator(n, gnew.iter().zip(&g).map(|(a, b)| a - b));
        let sy = s.dot(&y);
        if sy > 1e-14 {
            if first {
                let scale = sy / y.dot(&y);
                hinv = DMatrix::identity(n, n) * scale;
                first = false;
            }
            let rho = 1.0 / sy;
            let hy = &hinv * &y;
            let yhy = y.dot(&hy);
            // H ← H + ρ²(sᵀy + yᵀHy) ssᵀ/… (standard BFGS inverse update)
            hinv += (&s * s.transpose()) * (rho * rho * (sy + yhy))
                - (&hy * s.transpose() + &s * hy.transpose()) * rho;
        }
        let df = (f - fnew).abs();
        x = xn;
        f = fnew;
        g.copy_from_slice(&gnew);
        if df <= 1e-13 * f.abs().max(1.0) {
            stall += 1;
            if stall >= 3 {
                return MinResult {
                    x,
                    f,
                    grad: g,
                    inv_hessian: hinv,
                    iterations: it + 1,
                    evaluations: evals,
                    termination: Termination::NoProgress,
                };
            }
        } else {
            stall = 0;
        }
    }
    let term = if max_abs(&g) < gtol { Termination::GradientTolerance } else { Termination::MaxIterations };
    MinResult {
        x,
        f,
        grad: g,
        inv_hessian: hinv,
        iterations: max_iter,
        evaluations: evals,
        termination: term,
    }
}

/// Hessian of `f` at `x` from differences of the analytic gradient (step `h·max(1,|x_j|)`),
/// symmetrised: forward differences against `g0 = ∇f(x)` when it is given (n gradient
/// evaluations), central differences otherwise (2n).
pub fn hessian_from_gradient<O: Objective>(
    obj: &mut O,
    x: &[f64],
    h: f64,
    g0: Option<&[f64]>,
) -> Option<DMatrix<f64>> {
    let n = x.len();
    let mut hm = DMatrix::zeros(n, n);
    let mut gp = vec![0.0; n];
    let mut gm = vec![0.0; n];
    for j in 0..n {
        let step = h * x[j].abs().max(1.0);
        let mut xp = x.to_vec();
        xp[j] += step;
        obj.value_grad(&xp, &mut gp)?;
        match g0 {
            Some(g0) => {
                for i in 0..n {
                    hm[(i, j)] = (gp[i] - g0[i]) / step;
                }
            }
            None => {
                let mut xm = x.to_vec();
                xm[j] -= step;
                obj.value_grad(&xm, &mut gm)?;
                for i in 0..n {
                    hm[(i, j)] = (gp[i] - gm[i]) / (2.0 * step);
                }
            }
        }
    }
    let ht = hm.transpose();
    Some((hm + ht) * 0.5)
}
