//! Reitsma et al. (2005) bivariate normal model fitted by REML, matching `mada::reitsma`
//! (METHODS §3).

use super::glmm::optim::{bfgs, Objective, Termination};
use crate::data::correction::Correction;
use crate::data::Study;
use nalgebra::{DMatrix, DVector, Matrix2};

/// The REML fit in mada's orientation `(logit Se, logit FPR)` plus its conversion.
#[derive(Clone, Debug)]
pub struct ReitsmaFit {
    /// `β` = (μ_sens, μ_fpr) for the intercept model; `2·q` coefficients with covariates
    /// (all sensitivity coefficients first, then all FPR ones).
    pub beta: Vec<f64>,
    pub vcov_beta: DMatrix<f64>,
    /// Ψ in the FPR orientation.
    pub psi: [[f64; 2]; 2],
    /// Restricted log-likelihood `ℓ_R`.
    pub loglik_reml: f64,
    /// What `logLik()` prints in mada (ℓ_R plus the Jacobian to the proportion scale).
    pub loglik_mada: f64,
    pub iterations: usize,
    pub converged: bool,
    pub termination: Termination,
    pub correction_applied: bool,
}

struct Reml<'a> {
    y: &'a [[f64; 2]],
    s: &'a [[f64; 2]],
    x: &'a [Vec<f64>],
}

impl Reml<'_> {
    /// GLS at Ψ: returns (β̂, (ΣX'WX)^{-1}, ℓ_R).
    fn gls(&self, psi: Matrix2<f64>) -> Option<(DVector<f64>, DMatrix<f64>, f64)> {
        let q = self.x[0].len();
        let p = 2 * q;
        let mut xtwx = DMatrix::<f64>::zeros(p, p);
        let mut xtwy = DVector::<f64>::zeros(p);
        let mut sum_logdet = 0.0;
        let mut ws = Vec::with_capacity(self.y.len());
        for i in 0..self.y.len() {
            let v = psi + Matrix2::new(self.s[i][0], 0.0, 0.0, self.s[i][1]);
            let det = v.determinant();
            if det <= 0.0 || !det.is_finite() {
                return None;
            }
            sum_logdet += det.ln();
            let w = v.try_inverse()?;
            // X_i = I2 ⊗ x_i' : row 0 = (x, 0), row 1 = (0, x)
            let xi = &self.x[i];
            let mut xm = DMatrix::<f64>::zeros(2, p);
            for j in 0..q {
                xm[(0, j)] = xi[j];
                xm[(1, q + j)] = xi[j];
            }
            let wd = DMatrix::from_row_slice(2, 2, &[w[(0, 0)], w[(0, 1)], w[(1, 0)], w[(1, 1)]]);
            let xtw = xm.transpose() * &wd;
            xtwx += &xtw * &xm;
            xtwy += &xtw * DVector::from_column_slice(&self.y[i]);
            ws.push((xm, wd));
        }
        let chol = xtwx.clone().cholesky()?;
        let beta = chol.solve(&xtwy);
        let vcov = chol.inverse();
        let logdet_xtwx: f64 = 2.0 * chol.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
        let mut rss = 0.0;
        for (i, (xm, wd)) in ws.iter().enumerate() {
            let r = DVector::from_column_slice(&self.y[i]) - xm * &beta;
            rss += (r.transpose() * wd * &r)[(0, 0)];
        }
        let n = 2.0 * self.y.len() as f64;
        let ll = -0.5 * (n - p as f64) * (2.0 * std::f64::consts::PI).ln()
            - 0.5 * sum_logdet
            - 0.5 * logdet_xtwx
            - 0.5 * rss;
        Some((beta, vcov, ll))
    }
}

fn psi_from(l: &[f64]) -> Matrix2<f64> {
    let lm = Matrix2::new(l[0], 0.0, l[1], l[2]);
    lm * lm.transpose()
}

impl Objective for Reml<'_> {
    fn value_grad(&mut self, x: &[f64], grad: &mut [f64]) -> Option<f64> {
        let f0 = -self.gls(psi_from(x))?.2;
        for j in 0..3 {
            let h = 1e-6 * x[j].abs().max(1e-2);
            let mut xp = x.to_vec();
            xp[j] += h;
            let mut xm = x.to_vec();
            xm[j] -= h;
            let fp = -self.gls(psi_from(&xp))?.2;
            let fm = -self.gls(psi_from(&xm))?.2;
            grad[j] = (fp - fm) / (2.0 * h);
        }
        Some(f0)
    }
}

/// Fit the Reitsma model by REML.
///
/// # Formula
/// METHODS §3.2: `ℓ_R(Ψ) = −½(2k−p)ln2π − ½Σ ln det(S_i+Ψ) − ½ ln det(ΣX'WX) − ½Σ r'Wr`, maximised over
/// the Cholesky elements of `Ψ = LL'` (unconstrained signs, so |ρ| = 1 is reachable, as in mvmeta).
/// `covariates`: one row of the covariate design (including the leading 1) per study; `None` = intercept.
///
/// # Errors
/// `None` when fewer than 3 rows have both margins or the GLS system is singular.
///
/// # References
/// Reitsma et al. 2005, J Clin Epidemiol 58:982; mada 0.5.12 `reitsma.R`; mvmeta 1.0.3.
pub fn fit_reitsma(
    studies: &[Study],
    correction: &Correction,
    covariates: Option<&[Vec<f64>]>,
) -> Option<ReitsmaFit> {
    let cc = correction.apply(studies);
    let correction_applied = cc.iter().any(|c| c.corrected);
    let mut y = Vec::new();
    let mut s = Vec::new();
    let mut x = Vec::new();
    for (i, c) in cc.iter().enumerate() {
        if c.tp <= 0.0 || c.fn_ <= 0.0 || c.fp <= 0.0 || c.tn <= 0.0 {
            continue;
        }
        y.push([c.logit_sens(), -c.logit_spec()]);
        s.push([c.var_logit_sens(), c.var_logit_spec()]);
        x.push(match covariates {
            Some(cv) => cv[i].clone(),
            None => vec![1.0],
        });
    }
    if y.len() < 3 {
        return None;
    }
    let mut obj = Reml { y: &y, s: &s, x: &x };
    // Start: Ψ from the sample covariance of Y minus the mean within-study variance, floored.
    let n = y.len() as f64;
    let m0 = y.iter().map(|v| v[0]).sum::<f64>() / n;
    let m1 = y.iter().map(|v| v[1]).sum::<f64>() / n;
    let v0 = (y.iter().map(|v| (v[0] - m0).powi(2)).sum::<f64>() / (n - 1.0)
        - s.iter().map(|v| v[0]).sum::<f64>() / n)
        .max(0.05);
    let v1 = (y.iter().map(|v| (v[1] - m1).powi(2)).sum::<f64>() / (n - 1.0)
        - s.iter().map(|v| v[1]).sum::<f64>() / n)
        .max(0.05);
    let mut best: Option<(Vec<f64>, f64, usize, Termination)> = None;
    for r0 in [0.0, 0.5, -0.5] {
        let l0 = [v0.sqrt(), r0 * v1.sqrt(), v1.sqrt() * (1.0 - r0 * r0).sqrt()];
        let r = bfgs(&mut obj, &l0, None, 1e-9, 500, 1.0);
        if r.f.is_finite() && best.as_ref().is_none_or(|b| r.f < b.1 - 1e-12) {
            best = Some((r.x, r.f, r.iterations, r.termination));
        }
    }
    let (l, f, iterations, termination) = best?;
    let psi = psi_from(&l);
    let (beta, vcov, ll) = obj.gls(psi)?;
    let _ = f;
    // mada's logLik adds the Jacobian back to the proportion scale.
    let jac: f64 = y
        .iter()
        .map(|v| {
            let se = super::transform::prob_from_logit(v[0]);
            let fpr = super::transform::prob_from_logit(v[1]);
            (1.0 / (se * (1.0 - se))).ln() + (1.0 / (fpr * (1.0 - fpr))).ln()
        })
        .sum();
    let mut g = [0.0; 3];
    let gmax = obj
        .value_grad(&l, &mut g)
        .map(|_| g.iter().fold(0.0f64, |a, b| a.max(b.abs())))
        .unwrap_or(f64::INFINITY);
    Some(ReitsmaFit {
        beta: beta.iter().copied().collect(),
        vcov_beta: vcov,
        psi: [[psi[(0, 0)], psi[(0, 1)]], [psi[(1, 0)], psi[(1, 1)]]],
        loglik_reml: ll,
        loglik_mada: ll + jac,
        iterations,
        converged: gmax < 1e-4,
        termination,
        correction_applied,
    })
}
