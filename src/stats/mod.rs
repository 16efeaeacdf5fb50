//! Pure numerics: no I/O, no plotting, no DOM, no string formatting for display.
//!
//! Every function takes validated [`crate::data`] types and returns plain numbers in structs.

pub mod bivariate;
pub mod estimate;
pub mod glmm;
pub mod reitsma;
pub mod rng;
pub mod summary;
pub mod transform;
