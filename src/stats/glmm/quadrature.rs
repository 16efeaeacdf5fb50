//! Gauss–Hermite and Gauss–Legendre rules (METHODS §2.6 step 2, §4.6).

use nalgebra::{DMatrix, SymmetricEigen};

/// A Gauss–Hermite rule for the weight `e^{−x²}` on the real line.
#[derive(Clone, Debug)]
pub struct GaussHermite {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
    pub log_weights: Vec<f64>,
}

/// Orthonormal Hermite functions `ψ_0..ψ_{m}` at `x` (w.r.t. the weight `e^{−x²}`).
fn orthonormal_hermite(m: usize, x: f64) -> Vec<f64> {
    let mut p = vec![0.0; m + 1];
    p[0] = std::f64::consts::PI.powf(-0.25);
    if m >= 1 {
        p[1] = std::f64::consts::SQRT_2 * x * p[0];
    }
    for j in 2..=m {
        let jf = j as f64;
        p[j] = (2.0 / jf).sqrt() * x * p[j - 1] - ((jf - 1.0) / jf).sqrt() * p[j - 2];
    }
    p
}

/// The `m`-point Gauss–Hermite rule.
///
/// # Formula
/// Golub–Welsch: eigenvalues of the symmetric tridiagonal Jacobi matrix with zero diagonal and
/// off-diagonals `√(j/2)` give the nodes (METHODS §2.6); each node is then polished by Newton's
/// method on the orthonormal Hermite polynomial and the weight is taken from the Christoffel
/// formula `w = 1/Σ_{j<m} ψ_j(x)²`, which is accurate even for the tiny outer weights.
/// `Σ w = √π`.
///
/// # References
/// Golub & Welsch 1969, Math Comp 23:221.
pub fn gauss_hermite(m: usize) -> GaussHermite {
    let m = m.max(1);
    if m == 1 {
        let w = std::f64::consts::PI.sqrt();
        return GaussHermite { nodes: vec![0.0], weights: vec![w], log_weights: vec![w.ln()] };
    }
    let mut jac = DMatrix::<f64>::zeros(m, m);
    for j in 1..m {
        let b = (j as f64 / 2.0).sqrt();
        jac[(j - 1, j)] = b;
        jac[(j, j - 1)] = b;
    }
    let eig = SymmetricEigen::new(jac);
    let mut nodes: Vec<f64> = eig.eigenvalues.iter().copied().collect();
    nodes.sort_by(|a, b| a.total_cmp(b));
    let mut weights = Vec::with_capacity(m);
    for x in nodes.iter_mut() {
        // Newton polish: ψ_m(x) = 0, ψ_m'(x) = √(2m) ψ_{m−1}(x).
        for _ in 0..3 {
            let p = orthonormal_hermite(m, *x);
            let d = (2.0 * m as f64).sqrt() * p[m - 1];
            if d != 0.0 {
                *x -= p[m] / d;
            }
        }
        let p = orthonormal_hermite(m - 1, *x);
        let s: f64 = p.iter().map(|v| v * v).sum();
        weights.push(1.0 / s);
    }
    // Exact symmetry.
    for i in 0..m / 2 {
        let j = m - 1 - i;
        let x = 0.5 * (nodes[j] - nodes[i]);
        nodes[i] = -x;
        nodes[j] = x;
        let w = 0.5 * (weights[i] + weights[j]);
        weights[i] = w;
        weights[j] = w;
    }
    if m % 2 == 1 {
        nodes[m / 2] = 0.0;
    }
    let log_weights = weights.iter().map(|w| w.ln()).collect();
    GaussHermite { nodes, weights, log_weights }
}

/// The `m`-point Gauss–Legendre rule on `[−1, 1]` (Golub–Welsch, off-diagonals `j/√(4j²−1)`).
pub fn gauss_legendre(m: usize) -> (Vec<f64>, Vec<f64>) {
    let m = m.max(1);
    let mut jac = DMatrix::<f64>::zeros(m, m);
    for j in 1..m {
        let jf = j as f64;
        let b = jf / (4.0 * jf * jf - 1.0).sqrt();
        jac[(j - 1, j)] = b;
        jac[(j, j - 1)] = b;
    }
    let eig = SymmetricEigen::new(jac);
    let mut pairs: Vec<(f64, f64)> =
        (0..m).map(|i| (eig.eigenvalues[i], 2.0 * eig.eigenvectors[(0, i)].powi(2))).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    (pairs.iter().map(|p| p.0).collect(), pairs.iter().map(|p| p.1).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hermite_weights_sum_to_sqrt_pi() {
        for m in [1, 2, 5, 7, 15, 21, 41] {
            let gh = gauss_hermite(m);
            let s: f64 = gh.weights.iter().sum();
            assert!((s - std::f64::consts::PI.sqrt()).abs() < 1e-13, "m={m} sum={s}");
        }
    }

    #[test]
    fn hermite_integrates_moments() {
        // ∫ x^4 e^{−x²} dx = 3√π/4, exact for m ≥ 3.
        let gh = gauss_hermite(5);
        let s: f64 = gh.nodes.iter().zip(&gh.weights).map(|(x, w)| w * x.powi(4)).sum();
        assert!((s - 0.75 * std::f64::consts::PI.sqrt()).abs() < 1e-13);
        // Known 2-point rule: ±1/√2, weights √π/2.
        let gh2 = gauss_hermite(2);
        assert!((gh2.nodes[1] - 0.5f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn legendre_integrates_polynomials() {
        let (x, w) = gauss_legendre(8);
        let s: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(14)).sum();
        assert!((s - 2.0 / 15.0).abs() < 1e-14);
    }
}
