//! Errors of the statistics core.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a statistic could not be computed from the given data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StatsError {
    /// Fewer usable rows than the method needs.
    TooFewStudies { needed: usize, got: usize, what: &'static str },
    /// An argument is outside its domain (e.g. a probability outside (0, 1)).
    InvalidArgument { what: &'static str, detail: String },
    /// The data do not identify the quantity (zero variance, all ranks tied, …).
    NotEstimable { what: &'static str, reason: String },
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatsError::TooFewStudies { needed, got, what } => write!(
                f,
                "{what} needs at least {needed} usable studies, but only {got} {} available",
                if *got == 1 { "is" } else { "are" }
            ),
            StatsError::InvalidArgument { what, detail } => {
                write!(f, "invalid argument for {what}: {detail}")
            }
            StatsError::NotEstimable { what, reason } => {
                write!(f, "{what} cannot be estimated: {reason}")
            }
        }
    }
}

impl std::error::Error for StatsError {}
