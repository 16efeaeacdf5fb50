//! Pure numerics: no I/O, no plotting, no DOM, no string formatting for display.
//!
//! Every function takes validated [`crate::data`] types and returns plain numbers in structs.

pub mod accuracy;
pub mod bayes;
pub mod betainc;
pub mod bivariate;
pub mod comparative;
pub mod dispersion;
pub mod error;
pub mod estimate;
pub mod fagan;
pub mod glmm;
pub mod heterogeneity;
pub mod hsroc_reg;
pub mod influence;
pub mod metareg;
pub mod multilevel;
pub mod pubbias;
pub mod reitsma;
pub mod revman;
pub mod rng;
pub mod sof;
pub mod summary;
pub mod threelevel;
pub mod threshold;
pub mod transform;
pub use error::StatsError;
pub use estimate::Estimate;
