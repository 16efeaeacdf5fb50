//! The Bayesian bivariate model run end to end: recorded quantities, the fit, the prior predictive.

use super::model::{expit, Bivariate, Cells, Hyper, Priors, N_HYPER};
use super::nuts::std_normal;
use super::outputs::{bayes_frequencies, SrocRegions};
use super::{Model, Posterior, RunConfig, Sampler};
use crate::data::Study;
use crate::stats::rng::SplitMix64;
use crate::stats::sof::Frequencies;
use serde::{Deserialize, Serialize};

/// Recorded per draw, in this order, then `se[i]`, `sp[i]` for every study.
pub const SUMMARY_NAMES: [&str; 12] = [
    "mu_se", "mu_sp", "tau_se", "tau_sp", "rho", "se", "sp", "lr_pos", "lr_neg", "dor", "pred_se", "pred_sp",
];

/// The pooled quantities of one draw of (μ, τ, ρ) and a predictive draw for a new study.
fn summaries(h: &Hyper, z_new: (f64, f64), out: &mut Vec<f64>) {
    let se = expit(h.mu[0]);
    let sp = expit(h.mu[1]);
    let (p1, p2) = h.eta(z_new.0, z_new.1);
    out.extend_from_slice(&[
        h.mu[0],
        h.mu[1],
        h.tau[0],
        h.tau[1],
        h.rho,
        se,
        sp,
        se / (1.0 - sp),
        (1.0 - se) / sp,
        libm::exp(h.mu[0] + h.mu[1]),
        expit(p1),
        expit(p2),
    ]);
}

impl Model for Bivariate {
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = SUMMARY_NAMES.iter().map(|s| s.to_string()).collect();
        for i in 0..self.cells.len() {
            v.push(format!("se[{}]", i + 1));
        }
        for i in 0..self.cells.len() {
            v.push(format!("sp[{}]", i + 1));
        }
        v
    }
    fn generate(&self, q: &[f64], rng: &mut SplitMix64, out: &mut Vec<f64>) {
        let h = Hyper::from_q(q);
        let z = (std_normal(rng), std_normal(rng));
        summaries(&h, z, out);
        let k = self.cells.len();
        let etas: Vec<(f64, f64)> =
            (0..k).map(|i| h.eta(q[N_HYPER + 2 * i], q[N_HYPER + 2 * i + 1])).collect();
        out.extend(etas.iter().map(|e| expit(e.0)));
        out.extend(etas.iter().map(|e| expit(e.1)));
    }
}

/// The Bayesian bivariate fit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BayesBivariate {
    pub priors: Priors,
    pub posterior: Posterior,
    pub k: usize,
    /// The credible and predictive regions on the SROC plot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sroc: Option<SrocRegions>,
    /// Natural frequencies per 1,000 tested at the summary of findings' prevalences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frequencies: Vec<Frequencies>,
}

impl BayesBivariate {
    /// The fit from a finished run, with its SROC regions and the frequencies at `prevalences`.
    pub fn new(priors: Priors, posterior: Posterior, k: usize, prevalences: &[f64]) -> BayesBivariate {
        BayesBivariate {
            sroc: SrocRegions::of(&posterior),
            frequencies: bayes_frequencies(&posterior, prevalences),
            priors,
            posterior,
            k,
        }
    }
    /// A pooled or hyper quantity by name (one of [`SUMMARY_NAMES`]).
    pub fn q(&self, name: &str) -> Option<&super::Quantity> {
        self.posterior.get(name)
    }
    /// Study `i`'s shrunken (sensitivity, specificity).
    pub fn study(&self, i: usize) -> Option<(&super::Quantity, &super::Quantity)> {
        Some((self.posterior.get(&format!("se[{}]", i + 1))?, self.posterior.get(&format!("sp[{}]", i + 1))?))
    }
    /// Up to `max` predictive draws (1 − Sp, Se) for a new study, thinned evenly over all chains.
    pub fn predictive_points(&self, max: usize) -> Vec<(f64, f64)> {
        let (Some(se), Some(sp)) = (self.q("pred_se"), self.q("pred_sp")) else {
            return Vec::new();
        };
        let (a, b) = (se.all_draws(), sp.all_draws());
        let step = (a.len() / max.max(1)).max(1);
        a.iter().zip(&b).step_by(step).map(|(s, p)| (1.0 - p, *s)).collect()
    }
}

/// The model's cells from validated studies (no continuity correction: METHODS §1.3).
pub fn cells_of(studies: &[Study]) -> Vec<Cells> {
    studies
        .iter()
        .map(|s| Cells {
            tp: s.tp as f64,
            n1: s.n_diseased() as f64,
            tn: s.tn as f64,
            n0: s.n_healthy() as f64,
        })
        .collect()
}

/// A sampler for the bivariate model (advance it in slices, then `finish`).
pub fn sampler(studies: &[Study], priors: &Priors, cfg: &RunConfig) -> Sampler<Bivariate> {
    Sampler::new(Bivariate { cells: cells_of(studies), priors: priors.clone() }, cfg.clone())
}

/// Fits the bivariate model in one call.
pub fn fit_bivariate(studies: &[Study], priors: &Priors, cfg: &RunConfig) -> BayesBivariate {
    BayesBivariate::new(priors.clone(), sampler(studies, priors, cfg).run(), studies.len(), &[])
}

/// What the priors alone imply: pooled (Se, Sp) and a new study's (Se, Sp), `n` independent draws.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PriorPredictive {
    pub pooled: Vec<(f64, f64)>,
    pub new_study: Vec<(f64, f64)>,
    /// 2.5 %, 50 %, 97.5 % of the pooled sensitivity and specificity.
    pub se_quantiles: [f64; 3],
    pub sp_quantiles: [f64; 3],
    /// The same of a new study's sensitivity and specificity.
    #[serde(default)]
    pub new_se_quantiles: [f64; 3],
    #[serde(default)]
    pub new_sp_quantiles: [f64; 3],
}

pub fn prior_predictive(priors: &Priors, n: usize, seed: u64) -> PriorPredictive {
    let mut rng = SplitMix64::new(seed);
    let mut pooled = Vec::with_capacity(n);
    let mut new_study = Vec::with_capacity(n);
    for _ in 0..n {
        let mu = [
            priors.mu_se.0 + priors.mu_se.1 * std_normal(&mut rng),
            priors.mu_sp.0 + priors.mu_sp.1 * std_normal(&mut rng),
        ];
        let tau = [
            priors.tau_se.draw(rng.uniform(), std_normal(&mut rng)),
            priors.tau_sp.draw(rng.uniform(), std_normal(&mut rng)),
        ];
        // LKJ(η) for 2×2: (ρ + 1)/2 ~ Beta(η, η).
        let rho = 2.0 * beta_draw(priors.lkj_eta, &mut rng) - 1.0;
        let h = Hyper::new(mu, tau, rho);
        pooled.push((expit(mu[0]), expit(mu[1])));
        let (e1, e2) = h.eta(std_normal(&mut rng), std_normal(&mut rng));
        new_study.push((expit(e1), expit(e2)));
    }
    let q = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        [0.025, 0.5, 0.975].map(|p| super::diagnostics::quantile_sorted(&v, p))
    };
    PriorPredictive {
        se_quantiles: q(pooled.iter().map(|p| p.0).collect()),
        sp_quantiles: q(pooled.iter().map(|p| p.1).collect()),
        new_se_quantiles: q(new_study.iter().map(|p| p.0).collect()),
        new_sp_quantiles: q(new_study.iter().map(|p| p.1).collect()),
        pooled,
        new_study,
    }
}

/// Beta(a, a) by two gamma draws (Marsaglia–Tsang).
fn beta_draw(a: f64, rng: &mut SplitMix64) -> f64 {
    let x = gamma_draw(a, rng);
    let y = gamma_draw(a, rng);
    if x + y > 0.0 {
        x / (x + y)
    } else {
        0.5
    }
}

pub(crate) fn gamma_draw(a: f64, rng: &mut SplitMix64) -> f64 {
    if a < 1.0 {
        let u = rng.uniform();
        return gamma_draw(a + 1.0, rng) * libm::pow(u, 1.0 / a);
    }
    let d = a - 1.0 / 3.0;
    let c = 1.0 / libm::sqrt(9.0 * d);
    for _ in 0..1000 {
        let x = std_normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = rng.uniform();
        if libm::log(u) < 0.5 * x * x + d - d * v + d * libm::log(v) {
            return d * v;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::stats::glmm::tests::audit_c;

    #[test]
    fn audit_c_converges_and_is_reproducible() {
        let cfg = RunConfig { warmup: 500, draws: 500, ..RunConfig::default() };
        let a = fit_bivariate(&audit_c(), &Priors::default(), &cfg);
        let v = &a.posterior.verdict;
        assert_eq!(a.posterior.sampler.divergences, 0, "{v:?}");
        let se = a.q("se").expect("se");
        // ML (METHODS §12.4): Se 0.925 [0.833, 0.968]; the posterior median lies close.
        assert!((se.median - 0.92).abs() < 0.03, "{se:?}");
        let b = fit_bivariate(&audit_c(), &Priors::default(), &cfg);
        assert_eq!(a.q("mu_se").map(|q| q.chains.clone()), b.q("mu_se").map(|q| q.chains.clone()));
        // Slicing does not change the draws.
        let mut s = sampler(&audit_c(), &Priors::default(), &cfg);
        while !s.advance(37) {}
        let c = s.finish();
        assert_eq!(c.get("mu_se").map(|q| q.chains.clone()), a.q("mu_se").map(|q| q.chains.clone()));
    }

    #[test]
    fn prior_predictive_of_defaults() {
        let pp = prior_predictive(&Priors::default(), 20_000, 1);
        // N(0, 1.5²) on the logit: expit(±1.96·1.5) = [0.050, 0.950], median 0.5.
        assert!((pp.se_quantiles[0] - 0.0502).abs() < 0.01, "{:?}", pp.se_quantiles);
        assert!((pp.se_quantiles[1] - 0.5).abs() < 0.02);
        assert!((pp.sp_quantiles[2] - 0.9498).abs() < 0.01);
    }
}
