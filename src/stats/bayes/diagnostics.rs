//! Convergence diagnostics of Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-
//! normalization, folding, and localization: an improved R-hat", Bayesian Analysis 16:667 — the
//! same estimators as ArviZ 0.23 (`arviz.stats.diagnostics`: `_rhat` on rank-normalised split
//! chains and their folded version, `_ess` with Geyer's initial monotone sequence, bulk ESS on the
//! rank-normalised split chains, tail ESS = min of the ESS of the indicators `x ≤ q05`, `x ≤ q95`
//! with R's type-7 quantiles). `tests/bayes_refs.rs` checks them against ArviZ on stored draws.
//!
//! Autocovariances are computed directly (O(n·t) for the lags t the Geyer sum actually uses), not
//! by FFT: the result is the same biased estimator (divided by n) without an FFT dependency.

use statrs::distribution::{ContinuousCDF, Normal};

/// R-hat and ESS of one quantity.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostics {
    /// max(bulk, tail) rank-normalised split R-hat.
    #[serde(deserialize_with = "super::outputs::nan::f64")]
    pub rhat: f64,
    #[serde(deserialize_with = "super::outputs::nan::f64")]
    pub ess_bulk: f64,
    #[serde(deserialize_with = "super::outputs::nan::f64")]
    pub ess_tail: f64,
    /// Monte Carlo SE of the mean (sd / √ESS_mean).
    #[serde(deserialize_with = "super::outputs::nan::f64")]
    pub mcse_mean: f64,
}

/// R's type-7 quantile of sorted values.
pub fn quantile_sorted(x: &[f64], p: f64) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    let h = (x.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(x.len() - 1);
    x[lo] + (h - lo as f64) * (x[hi] - x[lo])
}

fn split(chains: &[&[f64]]) -> Vec<Vec<f64>> {
    let n = chains.iter().map(|c| c.len()).min().unwrap_or(0);
    let half = n / 2;
    let mut out = Vec::with_capacity(2 * chains.len());
    for c in chains {
        out.push(c[..half].to_vec());
    }
    for c in chains {
        out.push(c[c.len() - half..].to_vec());
    }
    out
}

/// Average ranks (1-based) over all values, back-transformed to normal scores (Blom, c = 3/8).
fn z_scale(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let all: Vec<f64> = chains.iter().flatten().copied().collect();
    let s = all.len();
    let mut idx: Vec<usize> = (0..s).collect();
    idx.sort_by(|&a, &b| all[a].total_cmp(&all[b]));
    let mut rank = vec![0.0; s];
    let mut i = 0;
    while i < s {
        let mut j = i;
        while j + 1 < s && all[idx[j + 1]] == all[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            rank[k] = r;
        }
        i = j + 1;
    }
    let normal = Normal::standard();
    let c = 3.0 / 8.0;
    let z: Vec<f64> = rank.iter().map(|r| normal.inverse_cdf((r - c) / (s as f64 - 2.0 * c + 1.0))).collect();
    let mut out = Vec::with_capacity(chains.len());
    let mut k = 0;
    for ch in chains {
        out.push(z[k..k + ch.len()].to_vec());
        k += ch.len();
    }
    out
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn var(x: &[f64], ddof: f64) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - ddof)
}

/// Classic R-hat of (already split) chains.
fn rhat_raw(chains: &[Vec<f64>]) -> f64 {
    let n = chains[0].len() as f64;
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    let w = mean(&chains.iter().map(|c| var(c, 1.0)).collect::<Vec<_>>());
    let b = n * var(&means, 1.0);
    ((b / w + n - 1.0) / n).sqrt()
}

/// ESS of (already split) chains: ArviZ `_ess` (Geyer's initial positive, then monotone sequence).
pub fn ess_raw(chains: &[Vec<f64>]) -> f64 {
    let m = chains.len();
    let n = chains.first().map_or(0, |c| c.len());
    let size = (m * n) as f64;
    if n < 4 {
        return f64::NAN;
    }
    let (lo, hi) =
        chains.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    if !(lo.is_finite() && hi.is_finite()) {
        return f64::NAN;
    }
    if hi - lo < 1e-15 {
        return size;
    }
    let centred: Vec<Vec<f64>> = chains
        .iter()
        .map(|c| {
            let mu = mean(c);
            c.iter().map(|x| x - mu).collect()
        })
        .collect();
    // Mean over chains of the biased autocovariance at lag t.
    let acov = |t: usize| -> f64 {
        centred
            .iter()
            .map(|c| c[..n - t].iter().zip(&c[t..]).map(|(a, b)| a * b).sum::<f64>() / n as f64)
            .sum::<f64>()
            / m as f64
    };
    let nf = n as f64;
    let chain_means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    let mean_var = acov(0) * nf / (nf - 1.0);
    let mut var_plus = mean_var * (nf - 1.0) / nf;
    if m > 1 {
        var_plus += var(&chain_means, 1.0);
    }
    let mut rho = vec![0.0; n];
    let mut rho_even = 1.0;
    rho[0] = rho_even;
    let mut rho_odd = 1.0 - (mean_var - acov(1)) / var_plus;
    rho[1] = rho_odd;
    let mut t = 1;
    while t < n.saturating_sub(3) && rho_even + rho_odd > 0.0 {
        rho_even = 1.0 - (mean_var - acov(t + 1)) / var_plus;
        rho_odd = 1.0 - (mean_var - acov(t + 2)) / var_plus;
        if rho_even + rho_odd >= 0.0 {
            rho[t + 1] = rho_even;
            rho[t + 2] = rho_odd;
        }
        t += 2;
    }
    let max_t = t - 2;
    if rho_even > 0.0 {
        rho[max_t + 1] = rho_even;
    }
    let mut t = 1;
    while t + 2 <= max_t {
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t] {
            rho[t + 1] = (rho[t - 1] + rho[t]) / 2.0;
            rho[t + 2] = rho[t + 1];
        }
        t += 2;
    }
    let tau = -1.0 + 2.0 * rho[..=max_t].iter().sum::<f64>() + rho.get(max_t + 1).copied().unwrap_or(0.0);
    let tau = tau.max(1.0 / size.log10());
    if rho.iter().any(|r| r.is_nan()) {
        return f64::NAN;
    }
    size / tau
}

/// All diagnostics of one quantity from its chains (each chain's draws in order).
pub fn diagnose(chains: &[&[f64]]) -> Diagnostics {
    let nan = Diagnostics { rhat: f64::NAN, ess_bulk: f64::NAN, ess_tail: f64::NAN, mcse_mean: f64::NAN };
    if chains.is_empty()
        || chains.iter().any(|c| c.len() < 4)
        || chains.iter().flat_map(|c| c.iter()).any(|x| !x.is_finite())
    {
        return nan;
    }
    let sp = split(chains);
    let mut all: Vec<f64> = chains.iter().flat_map(|c| c.iter().copied()).collect();
    all.sort_by(f64::total_cmp);
    let constant = all[all.len() - 1] - all[0] < 1e-15;
    let z = z_scale(&sp);
    let rhat = if constant {
        f64::NAN
    } else {
        let med = quantile_sorted(&all, 0.5);
        let folded: Vec<Vec<f64>> = sp.iter().map(|c| c.iter().map(|x| (x - med).abs()).collect()).collect();
        rhat_raw(&z).max(rhat_raw(&z_scale(&folded)))
    };
    let ess_bulk = ess_raw(&z);
    let ind = |q: f64| -> f64 {
        let s: Vec<Vec<f64>> =
            sp.iter().map(|c| c.iter().map(|&x| if x <= q { 1.0 } else { 0.0 }).collect()).collect();
        ess_raw(&s)
    };
    let ess_tail = ind(quantile_sorted(&all, 0.05)).min(ind(quantile_sorted(&all, 0.95)));
    let ess_mean = ess_raw(&sp);
    let sd = var(&all, 1.0).sqrt();
    Diagnostics { rhat, ess_bulk, ess_tail, mcse_mean: sd / ess_mean.sqrt() }
}

/// Monte Carlo SE of the p-quantile (ArviZ `_mcse_quantile`: the ±1σ quantiles of the
/// Beta(ESS·p + 1, ESS·(1−p) + 1) distribution of the quantile's rank, mapped through the draws).
pub fn mcse_quantile(chains: &[&[f64]], p: f64) -> f64 {
    let sp = split(chains);
    let mut all: Vec<f64> = chains.iter().flat_map(|c| c.iter().copied()).collect();
    if all.len() < 8 {
        return f64::NAN;
    }
    all.sort_by(f64::total_cmp);
    let q = quantile_sorted(&all, p);
    let s: Vec<Vec<f64>> =
        sp.iter().map(|c| c.iter().map(|&x| if x <= q { 1.0 } else { 0.0 }).collect()).collect();
    let ess = ess_raw(&s);
    let Ok(beta) = statrs::distribution::Beta::new(ess * p + 1.0, ess * (1.0 - p) + 1.0) else {
        return f64::NAN;
    };
    let size = all.len() as f64;
    let a = (beta.inverse_cdf(0.1586553) * size - 1.0).max(0.0).floor() as usize;
    let b = (beta.inverse_cdf(0.8413447) * size - 1.0).min(size - 1.0).ceil() as usize;
    (all[b.min(all.len() - 1)] - all[a.min(all.len() - 1)]) / 2.0
}

/// Per chain, the counts of its draws' ranks (over all chains pooled) in `bins` equal bins: the
/// rank plot of Vehtari et al. (2021), flat when the chains mix.
pub fn rank_histograms(chains: &[&[f64]], bins: usize) -> Vec<Vec<usize>> {
    let bins = bins.max(1);
    let owned: Vec<Vec<f64>> = chains.iter().map(|c| c.to_vec()).collect();
    let all: Vec<f64> = owned.iter().flatten().copied().collect();
    let s = all.len();
    let mut idx: Vec<usize> = (0..s).collect();
    idx.sort_by(|&a, &b| all[a].total_cmp(&all[b]));
    let mut rank = vec![0usize; s];
    for (r, &i) in idx.iter().enumerate() {
        rank[i] = r;
    }
    let mut out = Vec::with_capacity(chains.len());
    let mut k = 0;
    for c in &owned {
        let mut h = vec![0usize; bins];
        for _ in c {
            h[(rank[k] * bins / s.max(1)).min(bins - 1)] += 1;
            k += 1;
        }
        out.push(h);
    }
    out
}

/// Per chain, a Gaussian kernel density on `points` grid points spanning all draws (bandwidth
/// by Silverman's rule from the pooled draws).
pub fn density_curves(chains: &[&[f64]], points: usize) -> Vec<Vec<(f64, f64)>> {
    let mut all: Vec<f64> = chains.iter().flat_map(|c| c.iter().copied()).filter(|x| x.is_finite()).collect();
    if all.len() < 2 || points < 2 {
        return vec![Vec::new(); chains.len()];
    }
    all.sort_by(f64::total_cmp);
    let sd = var(&all, 1.0).sqrt();
    let iqr = quantile_sorted(&all, 0.75) - quantile_sorted(&all, 0.25);
    let spread = if iqr > 0.0 { sd.min(iqr / 1.34) } else { sd };
    let h = (0.9 * spread * (all.len() as f64).powf(-0.2)).max(1e-12);
    let (lo, hi) = (all[0] - 2.0 * h, all[all.len() - 1] + 2.0 * h);
    let grid: Vec<f64> = (0..points).map(|i| lo + (hi - lo) * i as f64 / (points - 1) as f64).collect();
    let c0 = 1.0 / (h * (2.0 * std::f64::consts::PI).sqrt());
    chains
        .iter()
        .map(|c| {
            let n = c.len().max(1) as f64;
            grid.iter()
                .map(|&x| (x, c.iter().map(|v| (-0.5 * ((x - v) / h).powi(2)).exp()).sum::<f64>() * c0 / n))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::rng::SplitMix64;

    #[test]
    fn iid_draws_have_ess_near_n_and_rhat_near_one() {
        let mut r = SplitMix64::new(3);
        let chains: Vec<Vec<f64>> = (0..4).map(|_| (0..1000).map(|_| r.normal()).collect()).collect();
        let refs: Vec<&[f64]> = chains.iter().map(|c| c.as_slice()).collect();
        let d = diagnose(&refs);
        assert!((d.rhat - 1.0).abs() < 0.01, "{d:?}");
        assert!(d.ess_bulk > 3300.0 && d.ess_bulk < 4800.0, "{d:?}");
        assert!(d.ess_tail > 3000.0, "{d:?}");
        // A chain stuck elsewhere is caught.
        let mut bad = chains.clone();
        bad[0].iter_mut().for_each(|x| *x += 3.0);
        let refs: Vec<&[f64]> = bad.iter().map(|c| c.as_slice()).collect();
        assert!(diagnose(&refs).rhat > 1.3);
        // An AR(1) chain with φ = 0.9 has ESS ≈ N (1−φ)/(1+φ) ≈ 211.
        let mut chains = Vec::new();
        for _ in 0..4 {
            let mut x = 0.0;
            chains.push(
                (0..1000)
                    .map(|_| {
                        x = 0.9 * x + r.normal();
                        x
                    })
                    .collect::<Vec<f64>>(),
            );
        }
        let refs: Vec<&[f64]> = chains.iter().map(|c| c.as_slice()).collect();
        let e = diagnose(&refs).ess_bulk;
        assert!(e > 130.0 && e < 320.0, "{e}");
    }
}
