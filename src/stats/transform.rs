//! Scale transforms and distribution helpers shared by the whole statistics core.

use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor, Normal, StudentsT};

/// `logit(p) = ln(p/(1−p))`.
pub fn logit_from_prob(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// `expit(x) = 1/(1+e^{−x})`, evaluated without overflow.
pub fn prob_from_logit(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^x)` evaluated stably (METHODS §2.2).
pub fn log1p_exp(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// `p` is a probability (statrs' `inverse_cdf` panics otherwise, issue #10).
fn is_probability(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

/// Standard normal quantile `Φ^{-1}(p)`; NaN when `p ∉ [0, 1]` (or NaN).
pub fn normal_quantile(p: f64) -> f64 {
    if !is_probability(p) {
        return f64::NAN;
    }
    // Normal::new(0,1) cannot fail.
    match Normal::new(0.0, 1.0) {
        Ok(n) => n.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// Standard normal CDF `Φ(x)`.
pub fn normal_cdf(x: f64) -> f64 {
    match Normal::new(0.0, 1.0) {
        Ok(n) => n.cdf(x),
        Err(_) => f64::NAN,
    }
}

/// Two-sided critical value `z = Φ^{-1}(1 − α/2)` for a confidence level (e.g. 0.95 → 1.959964).
pub fn z_for_level(level: f64) -> f64 {
    normal_quantile(1.0 - (1.0 - level) / 2.0)
}

/// Upper-tail probability `P(χ²_df > x)`.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if !(x.is_finite()) {
        return if x > 0.0 { 0.0 } else { f64::NAN };
    }
    if x <= 0.0 {
        return 1.0;
    }
    match ChiSquared::new(df) {
        Ok(d) => d.sf(x),
        Err(_) => f64::NAN,
    }
}

/// Quantile of `χ²_df`.
pub fn chi2_quantile(p: f64, df: f64) -> f64 {
    if !is_probability(p) {
        return f64::NAN;
    }
    match ChiSquared::new(df) {
        Ok(d) => d.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// Two-sided p-value `2·P(T_df > |t|)`.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_infinite() {
        return 0.0;
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => 2.0 * d.sf(t.abs()),
        Err(_) => f64::NAN,
    }
}

/// Quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !is_probability(p) {
        return f64::NAN;
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => d.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// Quantile of `F_{d1,d2}`.
pub fn f_quantile(p: f64, d1: f64, d2: f64) -> f64 {
    if !is_probability(p) {
        return f64::NAN;
    }
    match FisherSnedecor::new(d1, d2) {
        Ok(d) => d.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// `ln C(n, k)` via the log-gamma function.
pub fn ln_choose(n: u64, k: u64) -> f64 {
    use statrs::function::gamma::ln_gamma;
    if k > n {
        return f64::NEG_INFINITY;
    }
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn z95() {
        assert!((z_for_level(0.95) - 1.959_963_984_540_054).abs() < 1e-9);
    }
    #[test]
    fn expit_logit_roundtrip() {
        for &p in &[1e-9, 0.1, 0.5, 0.93, 1.0 - 1e-9] {
            assert!((prob_from_logit(logit_from_prob(p)) - p).abs() < 1e-12);
        }
        assert_eq!(prob_from_logit(-800.0), 0.0);
        assert_eq!(prob_from_logit(800.0), 1.0);
    }
    #[test]
    fn log1p_exp_stable() {
        assert!((log1p_exp(800.0) - 800.0).abs() < 1e-12);
        assert!((log1p_exp(0.0) - 2f64.ln()).abs() < 1e-15);
    }
    #[test]
    fn ln_choose_small() {
        assert!((ln_choose(5, 2) - 10f64.ln()).abs() < 1e-12);
    }
}

#[cfg(test)]
mod out_of_range_tests {
    use super::*;

    /// Issue #10: a probability a hair above 1 (rounding) reached statrs, which panics.
    #[test]
    fn quantiles_of_non_probabilities_are_nan_not_panics() {
        for p in [1.0 + f64::EPSILON, -1e-300, f64::NAN, f64::INFINITY] {
            assert!(normal_quantile(p).is_nan());
            assert!(chi2_quantile(p, 2.0).is_nan());
            assert!(t_quantile(p, 3.0).is_nan());
            assert!(f_quantile(p, 2.0, 5.0).is_nan());
        }
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
    }
}
