//! What a Bayesian result carries besides the summaries of its quantities, computed once when the
//! run finishes so that a result that was serialised (the page's worker) can be shown whole: the
//! inputs of the MCMC plots ([`McmcSummary`]), the regions on the SROC plot ([`SrocRegions`]) and
//! the natural frequencies per 1,000 tested ([`bayes_frequencies`]). The draws themselves are not
//! serialised ([`super::Quantity::chains`]).
//!
//! Also the serde helper [`nan`]: JSON has no NaN, serde_json writes it as `null`; the result
//! types read `null` back as NaN (a failed diagnostic stays a failed diagnostic after the trip).

use super::diagnostics::{density_curves, quantile_sorted, rank_histograms};
use super::model::expit;
use super::{Posterior, Quantity};
use crate::stats::estimate::Estimate;
use crate::stats::sof::{Frequencies, PER};
use serde::{Deserialize, Serialize};

/// The hyper-parameters the MCMC plots are drawn for.
pub const PLOTTED: [&str; 5] = ["mu_se", "mu_sp", "tau_se", "tau_sp", "rho"];
/// At most this many draws per chain are kept for a trace plot (evenly thinned beyond).
pub const MAX_TRACE: usize = 1000;
/// Bins of the rank histograms and grid points of the density curves.
pub const RANK_BINS: usize = 20;
pub const DENSITY_POINTS: usize = 120;

/// One quantity's MCMC plot inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct McmcSummary {
    pub name: String,
    /// Kept draws per chain, every `thin`-th one (1 = all).
    pub traces: Vec<Vec<f64>>,
    pub thin: usize,
    /// Per chain, counts of its draws' pooled ranks in [`RANK_BINS`] bins (from all draws).
    pub rank_bins: Vec<Vec<usize>>,
    /// Per chain, a kernel density (x, density) from all draws.
    pub densities: Vec<Vec<(f64, f64)>>,
}

impl McmcSummary {
    pub fn of(q: &Quantity) -> McmcSummary {
        let refs: Vec<&[f64]> = q.chains.iter().map(|c| c.as_slice()).collect();
        let n = q.chains.iter().map(|c| c.len()).max().unwrap_or(0);
        let thin = n.div_ceil(MAX_TRACE).max(1);
        McmcSummary {
            name: q.name.clone(),
            traces: q.chains.iter().map(|c| c.iter().step_by(thin).copied().collect()).collect(),
            thin,
            rank_bins: rank_histograms(&refs, RANK_BINS),
            densities: density_curves(&refs, DENSITY_POINTS),
        }
    }
}

/// The plot inputs of every [`PLOTTED`] quantity the posterior has.
pub fn mcmc_summaries(quantities: &[Quantity]) -> Vec<McmcSummary> {
    PLOTTED.iter().filter_map(|k| quantities.iter().find(|q| q.name == *k)).map(McmcSummary::of).collect()
}

/// Points of each outline.
pub const REGION_POINTS: usize = 120;

/// The Bayesian regions on the SROC plot, as `(1 − specificity, sensitivity)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SrocRegions {
    /// Posterior medians of the pooled (1 − Sp, Se).
    pub summary: (f64, f64),
    /// 95 % credible region of the pooled (Se, Sp), closed outline.
    pub credible: Vec<(f64, f64)>,
    /// 95 % posterior predictive region of a new study's (Se, Sp), closed outline.
    pub predictive: Vec<(f64, f64)>,
    pub level: f64,
}

/// The outline, in logit space, of the ellipse centred on the draws' mean with their covariance,
/// scaled so that it holds the fraction `level` of the draws (the `level` quantile of their
/// Mahalanobis distances: no normality assumed for the radius, so heavy predictive tails widen
/// it), mapped to `(1 − expit(y), expit(x))`. `x` are logit Se draws, `y` logit Sp draws;
/// non-finite pairs are left out. Empty when fewer than 10 usable draws or a singular covariance.
pub fn draws_region(x: &[f64], y: &[f64], level: f64, points: usize) -> Vec<(f64, f64)> {
    let pairs: Vec<(f64, f64)> =
        x.iter().zip(y).map(|(a, b)| (*a, *b)).filter(|(a, b)| a.is_finite() && b.is_finite()).collect();
    let n = pairs.len();
    if n < 10 || points < 3 {
        return Vec::new();
    }
    let nf = n as f64;
    let (mx, my) = (pairs.iter().map(|p| p.0).sum::<f64>() / nf, pairs.iter().map(|p| p.1).sum::<f64>() / nf);
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (a, b) in &pairs {
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
        sxy += (a - mx) * (b - my);
    }
    let (sxx, syy, sxy) = (sxx / (nf - 1.0), syy / (nf - 1.0), sxy / (nf - 1.0));
    let det = sxx * syy - sxy * sxy;
    if !(det > 0.0 && det.is_finite()) {
        return Vec::new();
    }
    let mut d2: Vec<f64> = pairs
        .iter()
        .map(|(a, b)| {
            let (u, v) = (a - mx, b - my);
            (syy * u * u - 2.0 * sxy * u * v + sxx * v * v) / det
        })
        .collect();
    d2.sort_by(f64::total_cmp);
    let r = quantile_sorted(&d2, level).sqrt();
    // Cholesky of the covariance: (x, y) = m + r·L·(cos t, sin t).
    let l11 = sxx.sqrt();
    let l21 = sxy / l11;
    let l22 = (syy - l21 * l21).max(0.0).sqrt();
    (0..=points)
        .map(|i| {
            let t = 2.0 * std::f64::consts::PI * i as f64 / points as f64;
            let (c, s) = (libm::cos(t), libm::sin(t));
            let lx = mx + r * l11 * c;
            let ly = my + r * (l21 * c + l22 * s);
            (1.0 - expit(ly), expit(lx))
        })
        .collect()
}

fn logit(p: f64) -> f64 {
    libm::log(p / (1.0 - p))
}

impl SrocRegions {
    /// From the draws of `mu_se`, `mu_sp` (credible) and `pred_se`, `pred_sp` (predictive).
    pub fn of(p: &Posterior) -> Option<SrocRegions> {
        let (se, sp) = (p.get("se")?, p.get("sp")?);
        let (mu1, mu2) = (p.get("mu_se")?.all_draws(), p.get("mu_sp")?.all_draws());
        let pred1: Vec<f64> = p.get("pred_se")?.all_draws().into_iter().map(logit).collect();
        let pred2: Vec<f64> = p.get("pred_sp")?.all_draws().into_iter().map(logit).collect();
        let level = 0.95;
        let credible = draws_region(&mu1, &mu2, level, REGION_POINTS);
        let predictive = draws_region(&pred1, &pred2, level, REGION_POINTS);
        if credible.is_empty() || !(se.median.is_finite() && sp.median.is_finite()) {
            return None;
        }
        Some(SrocRegions { summary: (1.0 - sp.median, se.median), credible, predictive, level })
    }
}

/// Median and 95 % interval of draws (None when a draw is not finite).
fn estimate(mut v: Vec<f64>) -> Option<Estimate> {
    if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(Estimate::new(quantile_sorted(&v, 0.5), quantile_sorted(&v, 0.025), quantile_sorted(&v, 0.975)))
}

/// Natural frequencies per 1,000 tested at prevalence `p` from the joint posterior draws of the
/// pooled (Se, Sp): each outcome's posterior median and 2.5 / 97.5 % quantiles, draw by draw (so
/// test positives and the predictive values use both margins jointly). None when `p` is not in
/// (0, 1) or the draws are unusable.
pub fn frequencies_from_draws(se: &[f64], sp: &[f64], p: f64) -> Option<Frequencies> {
    if !(p > 0.0 && p < 1.0) || se.len() != sp.len() || se.is_empty() {
        return None;
    }
    let map = |f: &dyn Fn(f64, f64) -> f64| estimate(se.iter().zip(sp).map(|(a, b)| f(*a, *b)).collect());
    let (d, h) = (PER * p, PER * (1.0 - p));
    Some(Frequencies {
        prevalence: p,
        true_positives: map(&|s, _| d * s)?,
        false_negatives: map(&|s, _| d * (1.0 - s))?,
        true_negatives: map(&|_, c| h * c)?,
        false_positives: map(&|_, c| h * (1.0 - c))?,
        test_positives: map(&|s, c| d * s + h * (1.0 - c))?,
        ppv: map(&|s, c| p * s / (p * s + (1.0 - p) * (1.0 - c)))?,
        npv: map(&|s, c| (1.0 - p) * c / ((1.0 - p) * c + p * (1.0 - s)))?,
    })
}

/// [`frequencies_from_draws`] of the posterior's pooled `se`, `sp` at each prevalence (the ones
/// that cannot be computed are left out).
pub fn bayes_frequencies(post: &Posterior, prevalences: &[f64]) -> Vec<Frequencies> {
    let (Some(se), Some(sp)) = (post.get("se"), post.get("sp")) else { return Vec::new() };
    let (a, b) = (se.all_draws(), sp.all_draws());
    prevalences.iter().filter_map(|&p| frequencies_from_draws(&a, &b, p)).collect()
}

/// `null` ⇄ NaN for the f64 fields of the result types (serde_json writes NaN as `null`).
pub mod nan {
    use serde::{Deserialize, Deserializer};

    pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
    pub fn pair<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; 2], D::Error> {
        let v = <[Option<f64>; 2]>::deserialize(d)?;
        Ok(v.map(|x| x.unwrap_or(f64::NAN)))
    }
    pub fn vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Option<f64>>::deserialize(d)?.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::rng::SplitMix64;

    #[test]
    fn region_of_normal_draws_holds_its_share() {
        // Bivariate normal draws in logit space: the outline holds 95 % of them and approaches the
        // χ²₂ ellipse (radius √5.991 = 2.448 standard units).
        let mut r = SplitMix64::new(9);
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            let (a, b) = (r.normal(), r.normal());
            x.push(1.5 + 0.4 * a);
            y.push(2.0 + 0.3 * (0.6 * a + 0.8 * b));
        }
        let reg = draws_region(&x, &y, 0.95, 360);
        assert_eq!(reg.len(), 361);
        assert!((reg[0].0 - reg[360].0).abs() < 1e-12 && (reg[0].1 - reg[360].1).abs() < 1e-12);
        // The widest extent in logit Se: mean ± r·sd with r ≈ 2.448.
        let lx: Vec<f64> = reg.iter().map(|p| logit(p.1)).collect();
        let hi = lx.iter().copied().fold(f64::MIN, f64::max);
        assert!(((hi - 1.5) / 0.4 - 2.448).abs() < 0.05, "{}", (hi - 1.5) / 0.4);
        assert!(draws_region(&x[..5], &y[..5], 0.95, 10).is_empty());
    }

    #[test]
    fn frequencies_are_monotone_maps_of_the_margins() {
        let mut r = SplitMix64::new(2);
        let se: Vec<f64> = (0..4000).map(|_| expit(1.2 + 0.3 * r.normal())).collect();
        let sp: Vec<f64> = (0..4000).map(|_| expit(2.0 + 0.2 * r.normal())).collect();
        let f = frequencies_from_draws(&se, &sp, 0.2).expect("frequencies");
        let mut s = se.clone();
        s.sort_by(f64::total_cmp);
        // TP = 200·Se: the quantiles map exactly.
        assert!((f.true_positives.estimate - 200.0 * quantile_sorted(&s, 0.5)).abs() < 1e-9);
        assert!((f.false_negatives.ci[1] - 200.0 * (1.0 - quantile_sorted(&s, 0.025))).abs() < 1e-9);
        assert!((f.true_positives.estimate + f.false_negatives.estimate - 200.0).abs() < 1e-9);
        assert!(f.ppv.ci[0] < f.ppv.estimate && f.ppv.estimate < f.ppv.ci[1]);
        assert!(frequencies_from_draws(&se, &sp, 1.0).is_none());
    }
}
