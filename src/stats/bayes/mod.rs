//! Bayesian fits by NUTS: the bivariate model ([`model`], METHODS §2.1 likelihood, MetaBayesDTA's
//! priors) and the latent-class model for an imperfect reference standard ([`latent`]).
//!
//! [`Sampler`] runs `chains` chains round-robin, one iteration per chain at a time, so a caller
//! can advance it in slices ([`Sampler::advance`]) and show progress; the draws do not depend on
//! how the run was sliced (each chain owns its random stream, derived from the seed and the chain
//! number). [`Sampler::finish`] summarises the draws: medians, 95 % credible intervals, R-hat,
//! bulk and tail ESS per quantity, divergences and tree depths, and a [`Verdict`].

pub mod diagnostics;
pub mod latent;

pub mod model;
pub mod nuts;
pub mod outputs;

use crate::stats::rng::SplitMix64;
use diagnostics::{diagnose, quantile_sorted, Diagnostics};
use nuts::{Chain, IterStats, LogDensity, NutsConfig};
use outputs::nan;
use serde::{Deserialize, Serialize};

/// The thresholds of the verdict (Vehtari et al. 2021: R-hat < 1.01 and ESS > 400 for 4 chains).
pub const RHAT_MAX: f64 = 1.01;
pub const ESS_MIN: f64 = 400.0;
/// Upper bounds a user may ask for (bounded run time).
pub const MAX_CHAINS: usize = 8;
pub const MAX_ITER: usize = 20_000;

/// How to run the sampler. Default: 4 chains × (1000 warm-up + 1000 draws), Stan's tree depth 10,
/// target acceptance 0.9 (stricter than Stan's 0.8: with few studies the funnel of the study
/// effects near τ = 0 diverges less with smaller steps; NumPyro's reference runs use 0.9 too).
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    pub chains: usize,
    pub warmup: usize,
    pub draws: usize,
    pub seed: u64,
    pub max_depth: u32,
    pub target_accept: f64,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { chains: 4, warmup: 1000, draws: 1000, seed: 20240601, max_depth: 10, target_accept: 0.9 }
    }
}

/// A model the sampler can run: a log density plus what to record per draw.
pub trait Model: LogDensity + Sync {
    /// Names of the recorded quantities, in the order [`Model::generate`] writes them.
    fn names(&self) -> Vec<String>;
    /// The recorded quantities at position `q` (generated quantities may use `rng`).
    fn generate(&self, q: &[f64], rng: &mut SplitMix64, out: &mut Vec<f64>);
    /// A starting point (Stan: uniform(−2, 2) on the unconstrained scale).
    fn init(&self, rng: &mut SplitMix64) -> Vec<f64> {
        (0..self.dim()).map(|_| 4.0 * rng.uniform() - 2.0).collect()
    }
}

/// The seed of chain `c`'s sampler stream and of its generated-quantities stream.
fn chain_seeds(seed: u64, c: usize) -> (u64, u64) {
    let mut s = SplitMix64::new(seed ^ (0xA076_1D64_78BD_642F_u64.wrapping_mul(c as u64 + 1)));
    (s.next_u64(), s.next_u64())
}

/// A run in progress.
pub struct Sampler<M: Model> {
    pub model: M,
    cfg: RunConfig,
    chains: Vec<Chain>,
    gen_rng: Vec<SplitMix64>,
    /// Per chain, the recorded quantities of each kept draw, flattened.
    draws: Vec<Vec<f64>>,
    stats: Vec<Vec<IterStats>>,
    iteration: usize,
    width: usize,
}

impl<M: Model> Sampler<M> {
    pub fn new(model: M, cfg: RunConfig) -> Sampler<M> {
        let nuts = NutsConfig {
            warmup: cfg.warmup,
            draws: cfg.draws,
            max_depth: cfg.max_depth,
            target_accept: cfg.target_accept,
        };
        let mut chains = Vec::new();
        let mut gen_rng = Vec::new();
        for c in 0..cfg.chains {
            let (a, b) = chain_seeds(cfg.seed, c);
            let mut rng = SplitMix64::new(a);
            let q0 = model.init(&mut rng);
            chains.push(Chain::new(&model, q0, nuts.clone(), rng));
            gen_rng.push(SplitMix64::new(b));
        }
        let width = model.names().len();
        Sampler {
            model,
            draws: vec![Vec::with_capacity(cfg.draws * width); cfg.chains],
            stats: vec![Vec::with_capacity(cfg.draws); cfg.chains],
            cfg,
            chains,
            gen_rng,
            iteration: 0,
            width,
        }
    }

    pub fn total_iterations(&self) -> usize {
        self.cfg.warmup + self.cfg.draws
    }

    /// Iterations done per chain.
    pub fn iterations_done(&self) -> usize {
        self.iteration
    }

    pub fn is_done(&self) -> bool {
        self.iteration >= self.total_iterations()
    }

    /// Runs up to `iterations` more iterations of every chain; true when the run is complete.
    pub fn advance(&mut self, iterations: usize) -> bool {
        let mut buf = Vec::with_capacity(self.width);
        for _ in 0..iterations {
            if self.is_done() {
                break;
            }
            let keep = self.iteration >= self.cfg.warmup;
            for c in 0..self.chains.len() {
                let s = self.chains[c].step(&self.model);
                if keep {
                    buf.clear();
                    self.model.generate(self.chains[c].position(), &mut self.gen_rng[c], &mut buf);
                    self.draws[c].extend_from_slice(&buf);
                    self.stats[c].push(s);
                }
            }
            self.iteration += 1;
        }
        self.is_done()
    }

    /// Runs to the end and summarises. Natively the chains run on their own threads (each owns
    /// its streams, so the draws are those of [`Sampler::advance`], bit for bit); on wasm32 one
    /// after another.
    pub fn run(mut self) -> Posterior {
        #[cfg(not(target_arch = "wasm32"))]
        self.run_threads();
        self.advance(usize::MAX);
        self.finish()
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn run_threads(&mut self) {
        if self.chains.len() < 2 || std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
            return;
        }
        let (start, total, warmup) = (self.iteration, self.total_iterations(), self.cfg.warmup);
        let model = &self.model;
        let chains = self.chains.iter_mut().zip(self.gen_rng.iter_mut());
        let out = chains.zip(self.draws.iter_mut().zip(self.stats.iter_mut()));
        std::thread::scope(|scope| {
            for ((chain, rng), (draws, stats)) in out {
                scope.spawn(move || {
                    let mut buf = Vec::new();
                    for it in start..total {
                        let s = chain.step(model);
                        if it >= warmup {
                            buf.clear();
                            model.generate(chain.position(), rng, &mut buf);
                            draws.extend_from_slice(&buf);
                            stats.push(s);
                        }
                    }
                });
            }
        });
        self.iteration = total;
    }

    /// The summary of the kept draws (call when [`Sampler::is_done`]).
    pub fn finish(&self) -> Posterior {
        let names = self.model.names();
        let n = self.stats.first().map_or(0, |s| s.len());
        let w = self.width;
        let mut quantities = Vec::with_capacity(w);
        for (j, name) in names.iter().enumerate() {
            let per_chain: Vec<Vec<f64>> =
                self.draws.iter().map(|d| (0..n).map(|i| d[i * w + j]).collect()).collect();
            quantities.push(Quantity::from_chains(name.clone(), per_chain));
        }
        let all: Vec<&IterStats> = self.stats.iter().flatten().collect();
        let divergences = all.iter().filter(|s| s.divergent).count();
        let max_depth_hits = all.iter().filter(|s| s.hit_max_depth).count();
        let total = all.len().max(1) as f64;
        let sampler = SamplerReport {
            chains: self.cfg.chains,
            warmup: self.cfg.warmup,
            draws: self.cfg.draws,
            seed: self.cfg.seed,
            max_depth: self.cfg.max_depth,
            divergences,
            max_depth_hits,
            mean_tree_depth: all.iter().map(|s| s.depth as f64).sum::<f64>() / total,
            max_tree_depth: all.iter().map(|s| s.depth).max().unwrap_or(0),
            leapfrog_steps: all.iter().map(|s| s.n_leapfrog as u64).sum(),
            step_sizes: self.stats.iter().map(|s| s.first().map_or(f64::NAN, |x| x.step_size)).collect(),
            mean_accept: all.iter().map(|s| s.accept).sum::<f64>() / total,
            divergent_per_chain: self
                .stats
                .iter()
                .map(|s| s.iter().filter(|x| x.divergent).count())
                .collect(),
        };
        let verdict = Verdict::judge(&quantities, &sampler);
        let mcmc = outputs::mcmc_summaries(&quantities);
        Posterior { quantities, sampler, verdict, mcmc }
    }
}

/// Draws and summary of one recorded quantity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Quantity {
    pub name: String,
    #[serde(deserialize_with = "nan::f64")]
    pub median: f64,
    #[serde(deserialize_with = "nan::f64")]
    pub mean: f64,
    #[serde(deserialize_with = "nan::f64")]
    pub sd: f64,
    /// 2.5 % and 97.5 % quantiles (the 95 % credible interval).
    #[serde(deserialize_with = "nan::pair")]
    pub ci: [f64; 2],
    pub diagnostics: Diagnostics,
    /// The draws per chain: never serialised, not even to the page's worker messages (for schuetz
    /// 228 quantities × 4000 draws); the page's renderer reads [`Posterior::mcmc`] and the results
    /// computed at the end of the run.
    #[serde(skip)]
    pub chains: Vec<Vec<f64>>,
}

impl Quantity {
    pub fn from_chains(name: String, chains: Vec<Vec<f64>>) -> Quantity {
        let mut all: Vec<f64> = chains.iter().flatten().copied().collect();
        all.sort_by(f64::total_cmp);
        let n = all.len().max(1) as f64;
        let mean = all.iter().sum::<f64>() / n;
        let sd = (all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
        let refs: Vec<&[f64]> = chains.iter().map(|c| c.as_slice()).collect();
        Quantity {
            name,
            median: quantile_sorted(&all, 0.5),
            mean,
            sd,
            ci: [quantile_sorted(&all, 0.025), quantile_sorted(&all, 0.975)],
            diagnostics: diagnose(&refs),
            chains,
        }
    }
    /// Every draw, chain after chain.
    pub fn all_draws(&self) -> Vec<f64> {
        self.chains.iter().flatten().copied().collect()
    }
}

/// What the sampler did, over all chains' kept iterations.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SamplerReport {
    pub chains: usize,
    pub warmup: usize,
    pub draws: usize,
    pub seed: u64,
    pub max_depth: u32,
    pub divergences: usize,
    pub divergent_per_chain: Vec<usize>,
    /// Iterations whose tree reached `max_depth` without turning.
    pub max_depth_hits: usize,
    #[serde(deserialize_with = "nan::f64")]
    pub mean_tree_depth: f64,
    pub max_tree_depth: u32,
    pub leapfrog_steps: u64,
    /// The adapted step size of each chain.
    #[serde(deserialize_with = "nan::vec")]
    pub step_sizes: Vec<f64>,
    #[serde(deserialize_with = "nan::f64")]
    pub mean_accept: f64,
}

/// Why the draws are not to be used (each item is one failed check).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum Problem {
    /// Some quantity's R-hat exceeds [`RHAT_MAX`] (the worst one named).
    Rhat {
        quantity: String,
        #[serde(deserialize_with = "nan::f64")]
        rhat: f64,
        count: usize,
    },
    /// Some quantity's bulk or tail ESS is below [`ESS_MIN`].
    Ess {
        quantity: String,
        #[serde(deserialize_with = "nan::f64")]
        ess: f64,
        count: usize,
    },
    Divergences {
        count: usize,
    },
    /// A quantity could not be diagnosed (non-finite draws).
    NotFinite {
        quantity: String,
    },
}

/// The overall verdict on a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Verdict {
    Converged,
    NotConverged { problems: Vec<Problem> },
}

impl Verdict {
    pub fn judge(quantities: &[Quantity], sampler: &SamplerReport) -> Verdict {
        let mut problems = Vec::new();
        if let Some(q) = quantities.iter().find(|q| !q.diagnostics.ess_bulk.is_finite()) {
            problems.push(Problem::NotFinite { quantity: q.name.clone() });
        }
        let bad_rhat: Vec<&Quantity> = quantities.iter().filter(|q| q.diagnostics.rhat > RHAT_MAX).collect();
        if let Some(worst) = bad_rhat.iter().max_by(|a, b| a.diagnostics.rhat.total_cmp(&b.diagnostics.rhat))
        {
            problems.push(Problem::Rhat {
                quantity: worst.name.clone(),
                rhat: worst.diagnostics.rhat,
                count: bad_rhat.len(),
            });
        }
        let ess = |q: &Quantity| q.diagnostics.ess_bulk.min(q.diagnostics.ess_tail);
        let low: Vec<&Quantity> = quantities.iter().filter(|q| ess(q) < ESS_MIN).collect();
        if let Some(worst) = low.iter().min_by(|a, b| ess(a).total_cmp(&ess(b))) {
            problems.push(Problem::Ess { quantity: worst.name.clone(), ess: ess(worst), count: low.len() });
        }
        if sampler.divergences > 0 {
            problems.push(Problem::Divergences { count: sampler.divergences });
        }
        if problems.is_empty() {
            Verdict::Converged
        } else {
            Verdict::NotConverged { problems }
        }
    }
    pub fn converged(&self) -> bool {
        matches!(self, Verdict::Converged)
    }
}

/// The summarised run of any model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Posterior {
    pub quantities: Vec<Quantity>,
    pub sampler: SamplerReport,
    pub verdict: Verdict,
    /// The MCMC plots' inputs of the hyper-parameters ([`outputs::PLOTTED`]). People's JSON
    /// leaves them out (the figures are `--bayes-plots`); the page's worker carries them.
    #[serde(default, skip_serializing_if = "crate::stats::for_people")]
    pub mcmc: Vec<outputs::McmcSummary>,
}

impl Posterior {
    pub fn get(&self, name: &str) -> Option<&Quantity> {
        self.quantities.iter().find(|q| q.name == name)
    }
    /// The smallest bulk/tail ESS over every quantity, and the largest R-hat.
    pub fn worst(&self) -> (f64, f64) {
        let ess = self
            .quantities
            .iter()
            .map(|q| q.diagnostics.ess_bulk.min(q.diagnostics.ess_tail))
            .fold(f64::INFINITY, f64::min);
        let rhat = self.quantities.iter().map(|q| q.diagnostics.rhat).fold(f64::NEG_INFINITY, f64::max);
        (ess, rhat)
    }
}

/// Checks of a run configuration; the message names the setting.
pub fn run_config_problem(cfg: &RunConfig) -> Option<String> {
    if !(1..=MAX_CHAINS).contains(&cfg.chains) {
        return Some(format!(
            "the number of chains must be between 1 and {MAX_CHAINS}; {} was given",
            cfg.chains
        ));
    }
    if cfg.draws < 10 || cfg.draws > MAX_ITER {
        return Some(format!(
            "the number of draws per chain must be between 10 and {MAX_ITER}; {} was given",
            cfg.draws
        ));
    }
    if cfg.warmup > MAX_ITER {
        return Some(format!(
            "the number of warm-up iterations must be at most {MAX_ITER}; {} was given",
            cfg.warmup
        ));
    }
    if !(1..=15).contains(&cfg.max_depth) {
        return Some(format!("the maximum tree depth must be between 1 and 15; {} was given", cfg.max_depth));
    }
    if !(cfg.target_accept > 0.5 && cfg.target_accept < 1.0) {
        return Some(format!(
            "the target acceptance must lie between 0.5 and 1; {} was given",
            cfg.target_accept
        ));
    }
    None
}

pub mod bivariate;
pub use bivariate::{fit_bivariate, prior_predictive, BayesBivariate};
