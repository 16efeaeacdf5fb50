//! The bivariate binomial GLMM (METHODS §2): likelihood, quadrature, optimiser and fit.

pub mod fit;
pub mod likelihood;
pub mod mat2;
pub mod optim;
pub mod quadrature;
#[cfg(test)]
mod tests;
