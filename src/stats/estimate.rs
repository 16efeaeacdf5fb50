//! A point estimate with a confidence interval — the common currency of the report.

use serde::{Deserialize, Serialize};

/// `estimate` with `ci = [lower, upper]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub estimate: f64,
    pub ci: [f64; 2],
}

impl Estimate {
    pub fn new(estimate: f64, lo: f64, hi: f64) -> Self {
        Estimate {
            estimate,
            ci: [lo, hi],
        }
    }
}
