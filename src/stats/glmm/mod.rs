//! The bivariate binomial GLMM (METHODS §2): likelihood, quadrature, optimiser and fit.

pub mod fit;
pub mod likelihood;
pub mod mat2;
pub mod optim;
pub mod quadrature;
/// Test fixtures shared by the statistics' unit tests (AuditC of METHODS §12).
#[cfg(test)]
pub(crate) mod tests;
