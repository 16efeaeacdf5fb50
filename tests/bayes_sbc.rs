//! Simulation-based calibration (Talts et al. 2018, arXiv:1804.06788) of the Bayesian bivariate
//! model: draw (μ, τ, ρ) from the prior, data from the likelihood, fit, and record the rank of the
//! true value among thinned posterior draws. A correct sampler gives uniform ranks; the χ² test
//! over [`BINS`] bins (df = BINS − 1) is reported and must not reject at the 0.1 % level.
//!
//! The suite runs [`FAST_REPS`] replications; `cargo test --release --test bayes_sbc -- --ignored`
//! runs 200 (result recorded in README.md, "Bayesian fits").
#![cfg(not(target_arch = "wasm32"))]

use fourfold::data::Study;
use fourfold::stats::bayes::model::{expit, Priors};
use fourfold::stats::bayes::nuts::std_normal;
use fourfold::stats::bayes::{fit_bivariate, RunConfig};
use fourfold::stats::rng::SplitMix64;

const BINS: usize = 10;
const FAST_REPS: usize = 60;
/// χ²₉ 0.999 quantile: the histograms are rejected only when p < 0.001 (4 parameters tested).
const CHI2_9_999: f64 = 27.877;

fn binomial(n: u64, p: f64, rng: &mut SplitMix64) -> u64 {
    (0..n).filter(|_| rng.uniform() < p).count() as u64
}

/// Ranks (0..=L) of the true (μ1, μ2, τ1, ρ) for `reps` replications.
fn sbc(reps: usize, seed: u64) -> Vec<[usize; 4]> {
    let priors = Priors::default();
    let mut rng = SplitMix64::new(seed);
    let mut out = Vec::new();
    for r in 0..reps {
        let mu = [
            priors.mu_se.0 + priors.mu_se.1 * std_normal(&mut rng),
            priors.mu_sp.0 + priors.mu_sp.1 * std_normal(&mut rng),
        ];
        let tau = [std_normal(&mut rng).abs(), std_normal(&mut rng).abs()];
        // LKJ(2) on 2×2: (ρ + 1)/2 ~ Beta(2, 2) — by the order statistic of three uniforms' median.
        let mut u = [rng.uniform(), rng.uniform(), rng.uniform()];
        u.sort_by(f64::total_cmp);
        let rho = 2.0 * u[1] - 1.0;
        let studies: Vec<Study> = (0..6)
            .map(|i| {
                let (z1, z2) = (std_normal(&mut rng), std_normal(&mut rng));
                let e1 = mu[0] + tau[0] * z1;
                let e2 = mu[1] + tau[1] * (rho * z1 + (1.0 - rho * rho).sqrt() * z2);
                let (n1, n0) = (30, 60);
                let tp = binomial(n1, expit(e1), &mut rng);
                let tn = binomial(n0, expit(e2), &mut rng);
                Study::new(format!("s{i}"), tp, n0 - tn, n1 - tp, tn)
            })
            .collect();
        let cfg =
            RunConfig { chains: 4, warmup: 300, draws: 250, seed: 1000 + r as u64, ..RunConfig::default() };
        let fit = fit_bivariate(&studies, &priors, &cfg);
        let truth = [mu[0], mu[1], tau[0], rho];
        let mut ranks = [0usize; 4];
        for (j, name) in ["mu_se", "mu_sp", "tau_se", "rho"].iter().enumerate() {
            let q = fit.posterior.get(name).expect("quantity");
            // Thin by 10: 4 × 25 = 100 draws, L + 1 = 101 possible ranks.
            let thinned: Vec<f64> = q.chains.iter().flat_map(|c| c.iter().step_by(10).copied()).collect();
            ranks[j] = thinned.iter().filter(|&&x| x < truth[j]).count();
        }
        out.push(ranks);
    }
    out
}

fn chi2(ranks: &[[usize; 4]], j: usize, l: usize) -> (f64, [usize; BINS]) {
    let mut h = [0usize; BINS];
    for r in ranks {
        h[(r[j] * BINS / (l + 1)).min(BINS - 1)] += 1;
    }
    let e = ranks.len() as f64 / BINS as f64;
    (h.iter().map(|&o| (o as f64 - e).powi(2) / e).sum(), h)
}

fn check(reps: usize) {
    let ranks = sbc(reps, 77);
    for (j, name) in ["mu_se", "mu_sp", "tau_se", "rho"].iter().enumerate() {
        let (x2, h) = chi2(&ranks, j, 100);
        println!("SBC {reps} replications, {name}: rank histogram {h:?}, χ²₉ = {x2:.2}");
        assert!(x2 < CHI2_9_999, "{name}: χ² = {x2} for {h:?}");
    }
}

#[test]
fn sbc_fast() {
    check(FAST_REPS);
}

#[test]
#[ignore = "200 replications: about a minute in release"]
fn sbc_200() {
    check(200);
}
