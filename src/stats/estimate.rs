//! A point estimate with its confidence interval, shared by every statistics module.

use serde::{Deserialize, Serialize};

/// A point estimate and a two-sided confidence interval `[lower, upper]`.
///
/// Serialises as `{"estimate": …, "ci": [lower, upper]}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub estimate: f64,
    pub ci: [f64; 2],
}

impl Estimate {
    /// Build an estimate from its value and limits.
    ///
    /// # Formula
    /// None (a container); the limits come from the calling method.
    ///
    /// # References
    /// None.
    pub fn new(estimate: f64, lower: f64, upper: f64) -> Self {
        Estimate { estimate, ci: [lower, upper] }
    }

    /// True when the estimate and both limits are finite numbers (no NaN, no ±∞).
    ///
    /// # Formula
    /// `is_finite` of the three numbers.
    ///
    /// # References
    /// None.
    pub fn is_finite(&self) -> bool {
        self.estimate.is_finite() && self.ci[0].is_finite() && self.ci[1].is_finite()
    }

    /// `Some(self)` when the estimate is not NaN and no limit is NaN (±∞ limits are allowed).
    ///
    /// # Formula
    /// None (the guard that keeps NaN out of every result).
    ///
    /// # References
    /// None.
    pub fn not_nan(self) -> Option<Self> {
        if self.estimate.is_nan() || self.ci[0].is_nan() || self.ci[1].is_nan() {
            None
        } else {
            Some(self)
        }
    }
}
