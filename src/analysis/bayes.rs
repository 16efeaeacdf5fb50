//! The Bayesian fit of an analysis (issue #16): which model the settings ask for, run at once
//! ([`run_bayes`]) or in slices ([`BayesRun::advance`], the page).

use crate::data::Study;
use crate::settings::{BayesModel, BayesSettings};
use crate::stats::bayes::bivariate::{self, BayesBivariate};
use crate::stats::bayes::latent::{self, BayesLatentClass, LatentClass};
use crate::stats::bayes::model::Bivariate;
use crate::stats::bayes::Sampler;
use serde::{Deserialize, Serialize};

/// The Bayesian result of an analysis.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum BayesBlock {
    Bivariate(BayesBivariate),
    LatentClass(BayesLatentClass),
}

impl BayesBlock {
    pub fn posterior(&self) -> &crate::stats::bayes::Posterior {
        match self {
            BayesBlock::Bivariate(b) => &b.posterior,
            BayesBlock::LatentClass(l) => &l.posterior,
        }
    }
}

/// A Bayesian run in progress.
pub enum BayesRun {
    Bivariate(Box<Sampler<Bivariate>>, BayesSettings, usize),
    LatentClass(Box<Sampler<LatentClass>>, BayesSettings, usize),
}

impl BayesRun {
    /// The run the settings ask for (None when the Bayesian fit is off or there are no studies).
    pub fn new(studies: &[Study], s: &BayesSettings) -> Option<BayesRun> {
        if studies.is_empty() {
            return None;
        }
        let cfg = s.run_config();
        Some(match s.model? {
            BayesModel::Bivariate => BayesRun::Bivariate(
                Box::new(bivariate::sampler(studies, &s.priors, &cfg)),
                s.clone(),
                studies.len(),
            ),
            BayesModel::LatentClass => BayesRun::LatentClass(
                Box::new(latent::sampler(studies, &s.priors, &s.reference, &cfg)),
                s.clone(),
                studies.len(),
            ),
        })
    }
    /// Runs up to `iterations` more iterations of every chain; true when done.
    pub fn advance(&mut self, iterations: usize) -> bool {
        match self {
            BayesRun::Bivariate(s, ..) => s.advance(iterations),
            BayesRun::LatentClass(s, ..) => s.advance(iterations),
        }
    }
    /// (iterations done, iterations in all) per chain.
    pub fn progress(&self) -> (usize, usize) {
        match self {
            BayesRun::Bivariate(s, ..) => (s.iterations_done(), s.total_iterations()),
            BayesRun::LatentClass(s, ..) => (s.iterations_done(), s.total_iterations()),
        }
    }
    pub fn finish(&self) -> BayesBlock {
        match self {
            BayesRun::Bivariate(s, set, k) => BayesBlock::Bivariate(BayesBivariate {
                priors: set.priors.clone(),
                posterior: s.finish(),
                k: *k,
            }),
            BayesRun::LatentClass(s, set, k) => BayesBlock::LatentClass(BayesLatentClass {
                priors: set.priors.clone(),
                reference: set.reference.clone(),
                posterior: s.finish(),
                k: *k,
                vague_reference: set.reference.vague(),
            }),
        }
    }
}

/// The Bayesian fit in one call.
pub fn run_bayes(studies: &[Study], s: &BayesSettings) -> Option<BayesBlock> {
    let mut r = BayesRun::new(studies, s)?;
    r.advance(usize::MAX);
    Some(r.finish())
}

/// One alternative prior of the prior-sensitivity comparison and the fit under it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Alternative {
    pub name: std::borrow::Cow<'static, str>,
    pub fit: BayesBivariate,
}

/// The two alternative priors the sensitivity comparison shows beside the chosen one: vague
/// (N(0, 10²) means, half-normal(0, 5) SDs, uniform correlation) and heavy-tailed
/// (N(0, 2²) means, half-Cauchy(0, 1) SDs, LKJ(1)).
pub fn alternative_priors() -> [(&'static str, crate::stats::bayes::model::Priors); 2] {
    use crate::stats::bayes::model::{Priors, SdPrior};
    let heavy = Priors {
        mu_se: (0.0, 2.0),
        mu_sp: (0.0, 2.0),
        tau_se: SdPrior::HalfCauchy { scale: 1.0 },
        tau_sp: SdPrior::HalfCauchy { scale: 1.0 },
        lkj_eta: 1.0,
    };
    [("vague", Priors::vague()), ("heavy-tailed", heavy)]
}

/// The bivariate model under each alternative prior (same sampler settings and seed).
pub fn prior_sensitivity(studies: &[Study], s: &BayesSettings) -> Vec<Alternative> {
    if studies.is_empty() {
        return Vec::new();
    }
    alternative_priors()
        .into_iter()
        .map(|(name, priors)| Alternative {
            name: name.into(),
            fit: bivariate::fit_bivariate(studies, &priors, &s.run_config()),
        })
        .collect()
}
