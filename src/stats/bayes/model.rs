//! The Bayesian bivariate model (METHODS §2.1 likelihood) with MetaBayesDTA's priors, in the
//! non-centred parametrisation, as a [`LogDensity`] with an analytic gradient.
//!
//! ```text
//! TP_i ~ Bin(n1_i, expit(η1_i)),  TN_i ~ Bin(n0_i, expit(η2_i))
//! η1_i = μ1 + τ1 z1_i,  η2_i = μ2 + τ2 (ρ z1_i + √(1−ρ²) z2_i),  z ~ N(0, I)
//! μ_j ~ N(m_j, s_j),  τ_j ~ half-normal(0, σ_j) (or half-Cauchy),  Ω ~ LKJ(η)
//! ```
//! This is MetaBayesDTA's `models/BVM.stan` (CRSU-Apps/MetaBayesDTA): `logit_pi = mu +
//! diag_pre_multiply(sigma, L_Omega) * z`, `mu[j] ~ normal(·,·)`, `sigma[j] ~ normal(0, ·)`,
//! `L_Omega ~ lkj_corr_cholesky(2)`; its page's defaults (m_BVM module
//! `MA_priors_options_inputModule_renderUI_server`) are mean 0, SD 1.5 for both logit means and
//! SD 1 for both half-normal SD priors.
//!
//! Unconstrained coordinates: `q = (μ1, μ2, ln τ1, ln τ2, atanh ρ, z1_1, z2_1, …, z1_k, z2_k)`.
//! For 2×2 the LKJ(η) density of ρ is ∝ (1−ρ²)^(η−1); with ρ = tanh y the Jacobian adds
//! ln(1−ρ²), so the log density in y is η·ln(1−ρ²) (gradient −2ηρ). Binomial coefficients are
//! left out (constant).

use super::nuts::LogDensity;
use serde::{Deserialize, Serialize};

/// A prior on a between-study SD.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SdPrior {
    /// Half-normal with this scale (MetaBayesDTA's choice, default 1).
    HalfNormal { scale: f64 },
    /// Half-Cauchy with this scale.
    HalfCauchy { scale: f64 },
}

impl SdPrior {
    pub fn scale(self) -> f64 {
        match self {
            SdPrior::HalfNormal { scale } | SdPrior::HalfCauchy { scale } => scale,
        }
    }
    /// log density of τ (up to a constant) and its derivative in τ.
    fn log_density(self, tau: f64) -> (f64, f64) {
        match self {
            SdPrior::HalfNormal { scale } => (-0.5 * tau * tau / (scale * scale), -tau / (scale * scale)),
            SdPrior::HalfCauchy { scale } => {
                let r = tau / scale;
                (-libm::log1p(r * r), -2.0 * tau / (scale * scale + tau * tau))
            }
        }
    }
    /// A draw from the prior (for the prior-predictive view).
    pub fn draw(self, u: f64, z: f64) -> f64 {
        match self {
            SdPrior::HalfNormal { scale } => (scale * z).abs(),
            SdPrior::HalfCauchy { scale } => scale * libm::tan(std::f64::consts::FRAC_PI_2 * u),
        }
    }
}

/// The priors of the bivariate model. `Default` = MetaBayesDTA's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Priors {
    /// Normal prior (mean, SD) on μ1 = logit of the pooled sensitivity.
    pub mu_se: (f64, f64),
    /// Normal prior (mean, SD) on μ2 = logit of the pooled specificity.
    pub mu_sp: (f64, f64),
    pub tau_se: SdPrior,
    pub tau_sp: SdPrior,
    /// LKJ shape η on the 2×2 correlation matrix (η = 1: uniform ρ; MetaBayesDTA: 2).
    pub lkj_eta: f64,
}

impl Default for Priors {
    fn default() -> Self {
        Priors {
            mu_se: (0.0, 1.5),
            mu_sp: (0.0, 1.5),
            tau_se: SdPrior::HalfNormal { scale: 1.0 },
            tau_sp: SdPrior::HalfNormal { scale: 1.0 },
            lkj_eta: 2.0,
        }
    }
}

impl Priors {
    /// Vague priors (the large-k check against maximum likelihood): N(0, 10²) means,
    /// half-normal(0, 5) SDs, uniform correlation.
    pub fn vague() -> Priors {
        Priors {
            mu_se: (0.0, 10.0),
            mu_sp: (0.0, 10.0),
            tau_se: SdPrior::HalfNormal { scale: 5.0 },
            tau_sp: SdPrior::HalfNormal { scale: 5.0 },
            lkj_eta: 1.0,
        }
    }
    /// The first problem with a prior's parameters, if any (SDs and scales > 0, η > 0, finite).
    pub fn problem(&self) -> Option<String> {
        for (name, (m, s)) in [("sensitivity", self.mu_se), ("specificity", self.mu_sp)] {
            if !(m.is_finite() && s.is_finite() && s > 0.0) {
                return Some(format!(
                    "the prior on logit {name} needs a finite mean and an SD > 0 (got mean {m}, SD {s})"
                ));
            }
        }
        for (name, p) in [("sensitivity", self.tau_se), ("specificity", self.tau_sp)] {
            let s = p.scale();
            if !(s.is_finite() && s > 0.0) {
                return Some(format!(
                    "the prior on the between-study SD of {name} needs a scale > 0 (got {s})"
                ));
            }
        }
        if !(self.lkj_eta.is_finite() && self.lkj_eta > 0.0) {
            return Some(format!("the LKJ shape must be > 0 (got {})", self.lkj_eta));
        }
        None
    }
}

/// One study's counts as the model uses them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cells {
    pub tp: f64,
    pub n1: f64,
    pub tn: f64,
    pub n0: f64,
}

/// `ln(1 + e^x)` computed stably.
pub fn log1pexp(x: f64) -> f64 {
    if x > 0.0 {
        x + libm::log1p(libm::exp(-x))
    } else {
        libm::log1p(libm::exp(x))
    }
}

pub fn expit(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + libm::exp(-x))
    } else {
        let e = libm::exp(x);
        e / (1.0 + e)
    }
}

/// Index of the first study effect in `q`.
pub const N_HYPER: usize = 5;

/// The hyper-parameters in their natural metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyper {
    pub mu: [f64; 2],
    pub tau: [f64; 2],
    pub rho: f64,
    /// √(1 − ρ²).
    pub c: f64,
}

impl Hyper {
    pub fn new(mu: [f64; 2], tau: [f64; 2], rho: f64) -> Hyper {
        Hyper { mu, tau, rho, c: libm::sqrt((1.0 - rho * rho).max(0.0)) }
    }
    pub fn from_q(q: &[f64]) -> Hyper {
        Hyper::new([q[0], q[1]], [libm::exp(q[2]), libm::exp(q[3])], libm::tanh(q[4]))
    }
    /// Study i's logits (η1, η2) for standardised effects (z1, z2).
    pub fn eta(&self, z1: f64, z2: f64) -> (f64, f64) {
        (self.mu[0] + self.tau[0] * z1, self.mu[1] + self.tau[1] * (self.rho * z1 + self.c * z2))
    }
    /// Adds study `i`'s share of the gradient, given r1 = dℓᵢ/dη1 and r2 = dℓᵢ/dη2 at its
    /// standardised effects (z1, z2): the chain rule into (μ, ln τ, atanh ρ) and the study's two
    /// effects, whose N(0, 1) prior contributes −z. Both models (bivariate, latent class) share it.
    pub fn add_study_gradient(&self, g: &mut [f64], i: usize, (z1, z2): (f64, f64), (r1, r2): (f64, f64)) {
        let (t1, t2, rho, c) = (self.tau[0], self.tau[1], self.rho, self.c);
        g[0] += r1;
        g[1] += r2;
        g[2] += r1 * t1 * z1;
        g[3] += r2 * t2 * (rho * z1 + c * z2);
        // dη2/dy with ρ = tanh y: τ2·(z1 − ρ/c·z2)·(1−ρ²) = τ2·c·(c·z1 − ρ·z2).
        g[4] += r2 * t2 * c * (c * z1 - rho * z2);
        g[N_HYPER + 2 * i] = r1 * t1 + r2 * t2 * rho - z1;
        g[N_HYPER + 2 * i + 1] = r2 * t2 * c - z2;
    }
}

/// The log posterior of the bivariate model.
pub struct Bivariate {
    pub cells: Vec<Cells>,
    pub priors: Priors,
}

/// `(ln(1 + e^x), expit(x))` from one exponential; `ln(1 + u)` by `log1p` only where `log`
/// would lose digits (u < 1e-4), as `log1p` costs three times as much.
#[inline]
pub fn log1pexp_expit(x: f64) -> (f64, f64) {
    let u = libm::exp(-x.abs());
    let l = if u < 1e-4 { libm::log1p(u) } else { libm::log(1.0 + u) };
    let inv = 1.0 / (1.0 + u);
    if x > 0.0 {
        (x + l, inv)
    } else {
        (l, u * inv)
    }
}

impl Bivariate {
    /// The log-likelihood part of one study's (η1, η2) and its derivatives in η.
    fn study(c: &Cells, e1: f64, e2: f64) -> (f64, f64, f64) {
        let (l1, p1) = log1pexp_expit(e1);
        let (l2, p2) = log1pexp_expit(e2);
        let ll = c.tp * e1 - c.n1 * l1 + c.tn * e2 - c.n0 * l2;
        (ll, c.tp - c.n1 * p1, c.tn - c.n0 * p2)
    }

    /// The log prior of the hyper-parameters in the unconstrained metric (with Jacobians), and
    /// its gradient added into `g[..5]`.
    pub fn hyper_prior(priors: &Priors, q: &[f64], g: &mut [f64]) -> f64 {
        let h = Hyper::from_q(q);
        let mut lp = 0.0;
        for (j, (m, s)) in [priors.mu_se, priors.mu_sp].into_iter().enumerate() {
            let d = (h.mu[j] - m) / s;
            lp -= 0.5 * d * d;
            g[j] -= d / s;
        }
        for (j, p) in [priors.tau_se, priors.tau_sp].into_iter().enumerate() {
            let (l, dl) = p.log_density(h.tau[j]);
            // τ = e^s: log p(s) = log p(τ) + s; d/ds = τ·dlogp/dτ + 1.
            lp += l + q[2 + j];
            g[2 + j] += h.tau[j] * dl + 1.0;
        }
        let one_m = (1.0 - h.rho * h.rho).max(f64::MIN_POSITIVE);
        lp += priors.lkj_eta * libm::log(one_m);
        g[4] -= 2.0 * priors.lkj_eta * h.rho;
        lp
    }
}

impl LogDensity for Bivariate {
    fn dim(&self) -> usize {
        N_HYPER + 2 * self.cells.len()
    }
    fn logp_grad(&self, q: &[f64], g: &mut [f64]) -> f64 {
        g.iter_mut().for_each(|x| *x = 0.0);
        let h = Hyper::from_q(q);
        if !(h.tau[0].is_finite() && h.tau[1].is_finite()) || q.iter().any(|x| !x.is_finite()) {
            return f64::NEG_INFINITY;
        }
        let mut lp = Self::hyper_prior(&self.priors, q, g);
        for (i, cell) in self.cells.iter().enumerate() {
            let (z1, z2) = (q[N_HYPER + 2 * i], q[N_HYPER + 2 * i + 1]);
            let (e1, e2) = h.eta(z1, z2);
            let (ll, r1, r2) = Self::study(cell, e1, e2);
            lp += ll - 0.5 * (z1 * z1 + z2 * z2);
            h.add_study_gradient(g, i, (z1, z2), (r1, r2));
        }
        lp
    }
}

#[cfg(test)]
pub(crate) fn check_gradient<M: LogDensity>(m: &M, q: &[f64]) {
    let d = m.dim();
    let mut g = vec![0.0; d];
    m.logp_grad(q, &mut g);
    let mut scratch = vec![0.0; d];
    for j in 0..d {
        let h = 1e-6 * (1.0 + q[j].abs());
        let mut qp = q.to_vec();
        let mut qm = q.to_vec();
        qp[j] += h;
        qm[j] -= h;
        let num = (m.logp_grad(&qp, &mut scratch) - m.logp_grad(&qm, &mut scratch)) / (2.0 * h);
        assert!(
            (num - g[j]).abs() < 1e-5 * (1.0 + num.abs()),
            "coordinate {j}: analytic {} numeric {num}",
            g[j]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log1pexp_expit_is_accurate() {
        for x in [-800.0, -40.0, -9.3, -1.0, -1e-9, 0.0, 1e-9, 0.5, 9.3, 40.0, 800.0] {
            let (l, p) = log1pexp_expit(x);
            assert!((l - log1pexp(x)).abs() <= 1e-15 * (1.0 + log1pexp(x).abs()), "{x}");
            assert!((p - expit(x)).abs() <= 1e-15 * expit(x).max(1e-300), "{x}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let cells = vec![
            Cells { tp: 47.0, n1: 56.0, tn: 738.0, n0: 839.0 },
            Cells { tp: 0.0, n1: 3.0, tn: 20.0, n0: 20.0 },
            Cells { tp: 5.0, n1: 5.0, tn: 0.0, n0: 0.0 },
        ];
        for priors in
            [Priors::default(), Priors { tau_se: SdPrior::HalfCauchy { scale: 0.5 }, ..Priors::vague() }]
        {
            let m = Bivariate { cells: cells.clone(), priors };
            let q = [1.2, 0.7, -0.3, 0.2, -0.6, 0.3, -1.1, 0.8, 0.4, -0.2, 1.5];
            check_gradient(&m, &q);
        }
    }
}
