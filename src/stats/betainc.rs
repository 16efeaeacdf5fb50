//! The regularized incomplete beta function and its inverse in bounded time, for the exact
//! Clopper–Pearson interval (METHODS §1.5) at any count a `u64` cell can hold.
//!
//! statrs' `inv_beta_reg` (AS 109) has no iteration limit and does not finish for counts of 1e7–1e8
//! (issue #10). Here:
//! * [`beta_reg`] is the Lentz continued fraction (the algorithm statrs uses) with an explicit
//!   iteration cap [`MAX_CF_TERMS`] (the fraction needs O(√max(a, b)) terms near the mean: ~6·10⁴
//!   at a = 4·10⁹) and a prefactor `x^a (1−x)^b / B(a, b)` computed without the cancellation of
//!   `ln Γ` differences at large arguments (Stirling form with the remainder series).
//! * [`beta_quantile`] solves `I_p(a, b) = target` by Newton on the logit scale, safeguarded by a
//!   bracket that is bisected whenever a step leaves it; at most [`MAX_QUANTILE_STEPS`] evaluations.

use statrs::function::gamma::ln_gamma;

/// At most this many terms of the continued fraction per evaluation.
pub const MAX_CF_TERMS: usize = 400_000;
/// At most this many evaluations of `I_p(a, b)` per quantile.
pub const MAX_QUANTILE_STEPS: usize = 200;

/// How much work a computation did (for tests that must notice an unbounded loop).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Evaluations of `I_p(a, b)`.
    pub evaluations: usize,
    /// Continued-fraction terms over all evaluations.
    pub cf_terms: usize,
}

/// Stirling remainder `δ(z) = ln Γ(z) − [(z − ½) ln z − z + ½ ln 2π]` for `z ≥ 20`
/// (series to `z^-11`; the next term is below 1e-17 there).
fn stirling_remainder(z: f64) -> f64 {
    let z2 = 1.0 / (z * z);
    (1.0 / 12.0
        - z2 * (1.0 / 360.0
            - z2 * (1.0 / 1260.0 - z2 * (1.0 / 1680.0 - z2 * (1.0 / 1188.0 - z2 * 691.0 / 360_360.0)))))
        / z
}

const LARGE: f64 = 20.0;

/// `ln[x^a (1−x)^b / B(a, b)]` for `a, b > 0`, `0 < x < 1`, accurate in relative terms of the
/// result also when `a` or `b` is ~1e9 (where `ln Γ(a + b) − ln Γ(a) − ln Γ(b)` loses ~1e-5).
pub fn ln_beta_kernel(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 || x >= 1.0 {
        return f64::NEG_INFINITY;
    }
    let s = a + b;
    let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
    if a >= LARGE && b >= LARGE {
        let p0 = a / s;
        let q0 = b / s;
        // a ln(x/p0) + b ln((1−x)/q0): each term O(√a), their sum O(1); both by log1p.
        a * ((x - p0) / p0).ln_1p() + b * ((p0 - x) / q0).ln_1p() + 0.5 * (a * b / s).ln()
            - half_ln_2pi
            - stirling_remainder(a)
            - stirling_remainder(b)
            + stirling_remainder(s)
    } else if a.max(b) >= LARGE {
        // One small parameter: Stirling form for the large one only.
        let (sm, lg, xs) = if a < b { (a, b, x) } else { (b, a, 1.0 - x) };
        // −ln B = −ln Γ(sm) + (lg − ½) ln(1 + sm/lg) + sm ln s − sm − δ(lg) + δ(s);
        // lg ln(1 − xs) + lg ln(1 + sm/lg) = lg ln(1 + t), t = (sm − xs·s)/lg.
        let t = (sm - xs * s) / lg;
        sm * (xs * s).ln() - sm - ln_gamma(sm) + lg * t.ln_1p()
            - 0.5 * (sm / lg).ln_1p()
            - stirling_remainder(lg)
            + stirling_remainder(s)
    } else {
        ln_gamma(s) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (-x).ln_1p()
    }
}

/// Regularized incomplete beta `I_x(a, b)` with the work it took. NaN for invalid arguments.
pub fn beta_reg_counted(a: f64, b: f64, x: f64) -> (f64, usize) {
    if !(a > 0.0 && b > 0.0 && (0.0..=1.0).contains(&x)) {
        return (f64::NAN, 0);
    }
    if x == 0.0 {
        return (0.0, 0);
    }
    if x == 1.0 {
        return (1.0, 0);
    }
    // The fraction converges fast for x < (a+1)/(a+b+2); otherwise use I_x(a,b) = 1 − I_{1−x}(b,a).
    let swap = x >= (a + 1.0) / (a + b + 2.0);
    let (a, b, x) = if swap { (b, a, 1.0 - x) } else { (a, b, x) };
    let front = (ln_beta_kernel(a, b, x)).exp() / a;
    let (cf, terms) = continued_fraction(a, b, x);
    let v = front * cf;
    (if swap { 1.0 - v } else { v }, terms)
}

/// `I_x(a, b)`.
pub fn beta_reg(a: f64, b: f64, x: f64) -> f64 {
    beta_reg_counted(a, b, x).0
}

/// Lentz's evaluation of the continued fraction of `I_x(a, b)` (Numerical Recipes `betacf`).
fn continued_fraction(a: f64, b: f64, x: f64) -> (f64, usize) {
    let eps = f64::EPSILON;
    let tiny = f64::MIN_POSITIVE / eps;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let clamp = |v: f64| if v.abs() < tiny { tiny } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / clamp(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=MAX_CF_TERMS {
        let mf = m as f64;
        let m2 = 2.0 * mf;
        let aa = mf * (b - mf) * x / ((qam + m2) * (a + m2));
        d = 1.0 / clamp(1.0 + aa * d);
        c = clamp(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + mf) * (qab + mf) * x / ((a + m2) * (qap + m2));
        d = 1.0 / clamp(1.0 + aa * d);
        c = clamp(1.0 + aa / c);
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() <= 3.0 * eps {
            return (h, m);
        }
    }
    (h, MAX_CF_TERMS)
}

/// The `target` quantile of Beta(a, b): the `p` with `I_p(a, b) = target`, with the work done.
/// `None` for invalid arguments.
pub fn beta_quantile_counted(a: f64, b: f64, target: f64) -> Option<(f64, Work)> {
    if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite() && target > 0.0 && target < 1.0) {
        return None;
    }
    // Solve in the tail nearer 0, where p is represented with full relative precision:
    // I_p(a, b) = t  ⇔  I_{1−p}(b, a) = 1 − t.
    if a > b {
        let (q, w) = solve_lower(b, a, 1.0 - target);
        return Some((1.0 - q, w));
    }
    let (p, w) = solve_lower(a, b, target);
    Some((p, w))
}

/// The `target` quantile of Beta(a, b); `None` for invalid arguments.
pub fn beta_quantile(a: f64, b: f64, target: f64) -> Option<f64> {
    beta_quantile_counted(a, b, target).map(|(p, _)| p)
}

/// Safeguarded Newton on `t = logit p` for `I_{expit t}(a, b) = target` (`a ≤ b`, so `p ≲ ½`).
fn solve_lower(a: f64, b: f64, target: f64) -> (f64, Work) {
    use super::transform::{logit_from_prob, prob_from_logit};
    let mut work = Work::default();
    // I is increasing in t; f(lo) < 0 < f(hi) on the representable range.
    let (mut lo, mut hi) = (-745.0f64, 40.0f64);
    let mut t = logit_from_prob(a / (a + b));
    if !t.is_finite() {
        t = 0.0;
    }
    let mut best = prob_from_logit(t);
    for _ in 0..MAX_QUANTILE_STEPS {
        let p = prob_from_logit(t);
        best = p;
        let (i, terms) = beta_reg_counted(a, b, p);
        work.evaluations += 1;
        work.cf_terms += terms;
        let f = i - target;
        if f == 0.0 || !f.is_finite() {
            break;
        }
        if f < 0.0 {
            lo = t;
        } else {
            hi = t;
        }
        // dI/dt = p^a (1−p)^b / B(a, b).
        let deriv = ln_beta_kernel(a, b, p).exp();
        let newton = t - f / deriv;
        let next = if newton.is_finite() && newton > lo && newton < hi { newton } else { 0.5 * (lo + hi) };
        let tol = 4.0 * f64::EPSILON * next.abs().max(1.0);
        if (next - t).abs() <= tol || hi - lo <= tol {
            best = prob_from_logit(next);
            break;
        }
        t = next;
    }
    (best, work)
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{Beta, ContinuousCDF};

    #[test]
    fn matches_statrs_where_it_is_fast() {
        let mut worst: f64 = 0.0;
        for &n in &[1u32, 2, 5, 10, 33, 57, 100, 250, 1000, 5000] {
            for x in 0..=n {
                for &q in &[0.025, 0.05, 0.005, 0.975, 0.95] {
                    let (a, b) = (f64::from(x) + 1.0, f64::from(n - x) + 0.5);
                    let old = Beta::new(a, b).map(|d| d.inverse_cdf(q)).unwrap_or(f64::NAN);
                    let new = beta_quantile(a, b, q).unwrap_or(f64::NAN);
                    worst = worst.max((old - new).abs());
                }
            }
        }
        assert!(worst < 1e-10, "worst |old − new| = {worst:e}");
    }

    #[test]
    fn kernel_forms_agree_at_the_switch() {
        for &(a, b, x) in &[(20.0, 20.0, 0.3), (25.0, 3.5, 0.8), (2.5, 40.0, 0.05), (300.0, 7.0, 0.97)] {
            let direct = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * f64::ln(x) + b * (1.0 - x).ln();
            assert!((ln_beta_kernel(a, b, x) - direct).abs() < 1e-11, "{a} {b} {x}");
        }
    }

    #[test]
    fn huge_parameters_are_bounded() {
        for &(a, b) in &[(4e9, 1.0), (4e9 - 5.0, 6.0), (2e9, 2e9 + 1.0), (1.0, 4e9), (1e8, 3e7)] {
            for &q in &[0.025, 0.975] {
                let (p, w) = beta_quantile_counted(a, b, q).expect("valid");
                assert!(p > 0.0 && p < 1.0, "{a} {b} {q}: {p}");
                assert!(w.evaluations <= MAX_QUANTILE_STEPS);
                assert!(w.cf_terms <= MAX_QUANTILE_STEPS * MAX_CF_TERMS);
                // The root: I_p(a, b) = q.
                let i = beta_reg(a, b, p);
                assert!((i - q).abs() < 1e-6, "{a} {b} {q}: I = {i}");
            }
        }
    }
}
