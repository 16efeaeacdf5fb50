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
    /// The regions on the SROC plot.
    pub fn sroc(&self) -> Option<&crate::stats::bayes::outputs::SrocRegions> {
        match self {
            BayesBlock::Bivariate(b) => b.sroc.as_ref(),
            BayesBlock::LatentClass(l) => l.sroc.as_ref(),
        }
    }
    /// The natural frequencies per 1,000 tested.
    pub fn frequencies(&self) -> &[crate::stats::sof::Frequencies] {
        match self {
            BayesBlock::Bivariate(b) => &b.frequencies,
            BayesBlock::LatentClass(l) => &l.frequencies,
        }
    }
    /// The priors of the index test and, for the latent-class model, of the reference standard.
    pub fn priors(&self) -> (&crate::stats::bayes::model::Priors, Option<&latent::ReferencePriors>) {
        match self {
            BayesBlock::Bivariate(b) => (&b.priors, None),
            BayesBlock::LatentClass(l) => (&l.priors, Some(&l.reference)),
        }
    }
}

/// A Bayesian run in progress: the sampler, the settings, the number of studies and the
/// prevalences of the natural frequencies.
pub enum BayesRun {
    Bivariate(Box<Sampler<Bivariate>>, BayesSettings, usize, Vec<f64>),
    LatentClass(Box<Sampler<LatentClass>>, BayesSettings, usize, Vec<f64>),
}

/// The prevalences of the summary of findings (METHODS §17): the user's, else the lowest, median
/// and highest of the studies'.
pub fn sof_prevalences(studies: &[Study], f: &crate::settings::FindingsSettings) -> Vec<f64> {
    if !f.prevalences.is_empty() {
        return f.prevalences.clone();
    }
    let n: Vec<(u64, u64)> = studies.iter().map(|s| (s.tp + s.fn_, s.fp + s.tn)).collect();
    crate::stats::sof::default_prevalences(&n)
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
                Vec::new(),
            ),
            BayesModel::LatentClass => BayesRun::LatentClass(
                Box::new(latent::sampler(studies, &s.priors, &s.reference, &cfg)),
                s.clone(),
                studies.len(),
                Vec::new(),
            ),
        })
    }
    /// The natural frequencies of the result are computed at these prevalences.
    pub fn with_prevalences(mut self, p: Vec<f64>) -> BayesRun {
        match &mut self {
            BayesRun::Bivariate(.., v) | BayesRun::LatentClass(.., v) => *v = p,
        }
        self
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
            BayesRun::Bivariate(s, set, k, prev) => {
                BayesBlock::Bivariate(BayesBivariate::new(set.priors.clone(), s.finish(), *k, prev))
            }
            BayesRun::LatentClass(s, set, k, prev) => BayesBlock::LatentClass(BayesLatentClass::new(
                set.priors.clone(),
                set.reference.clone(),
                s.finish(),
                *k,
                prev,
            )),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The credible region lies inside the predictive one, and both hold the posterior median.
    #[test]
    fn credible_region_inside_predictive_region() {
        let studies = crate::stats::glmm::tests::audit_c();
        let s = BayesSettings {
            model: Some(BayesModel::Bivariate),
            warmup: 300,
            draws: 300,
            ..Default::default()
        };
        let b = run_bayes(&studies, &s).expect("fit");
        let r = b.sroc().expect("regions");
        let span = |v: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| {
            let xs: Vec<f64> = v.iter().map(f).collect();
            (xs.iter().copied().fold(f64::MAX, f64::min), xs.iter().copied().fold(f64::MIN, f64::max))
        };
        let (c, pr) = (span(&r.credible, |p| p.1), span(&r.predictive, |p| p.1));
        assert!(pr.0 < c.0 && c.1 < pr.1, "{c:?} {pr:?}");
        assert!(c.0 < r.summary.1 && r.summary.1 < c.1);
        // The posterior median of Se lies within its 95 % CrI, which the region's Se span contains.
        let se = b.posterior().get("se").expect("se");
        assert!(c.0 <= se.ci[0] + 0.02 && se.ci[1] - 0.02 <= c.1, "{c:?} vs {:?}", se.ci);
    }
}
