//! Threshold effect: Spearman correlation of logit Se and logit FPR (METHODS §6).

use super::accuracy::two_step_subset;
use super::error::StatsError;
use super::transform::t_two_sided_p;
use crate::data::correction::Correction;
use crate::data::Study;
use serde::{Deserialize, Serialize};

/// How the p-value of Spearman's ρ is obtained.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpearmanPMethod {
    /// `t = r√((k−2)/(1−r²))` on k − 2 df (Meta-DiSc 1.4, Stata `spearman`). Default.
    #[default]
    TApproximation,
    /// Exact permutation distribution when k ≤ 10 and no ties; otherwise falls back to the t
    /// approximation (the `method` field says so).
    Exact,
}

/// Options of [`spearman_threshold`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpearmanConfig {
    /// Correction applied before the logits (default `single`, 0.5).
    pub correction: Correction,
    pub p_method: SpearmanPMethod,
}

/// Spearman rank correlation with its p-value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spearman {
    pub k: usize,
    pub rho: f64,
    pub df: usize,
    /// The t statistic of the approximation (`None` when |ρ| = 1).
    pub t: Option<f64>,
    pub p_value: f64,
    /// How the p-value was obtained (JSON: `"t approximation"`, `"exact permutation"`, or the
    /// fallback explanation).
    pub method: SpearmanPUsed,
    pub ties: bool,
}

/// The p-value method actually used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum SpearmanPUsed {
    TApproximation,
    ExactPermutation,
    /// Exact requested, but the data contain ties: t approximation.
    TApproximationTies,
    /// Exact requested, but k > 10: t approximation.
    TApproximationLargeK,
}

impl std::fmt::Display for SpearmanPUsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SpearmanPUsed::TApproximation => "t approximation",
            SpearmanPUsed::ExactPermutation => "exact permutation",
            SpearmanPUsed::TApproximationTies => {
                "t approximation (exact p requested but the data contain ties)"
            }
            SpearmanPUsed::TApproximationLargeK => "t approximation (exact p requested but k > 10)",
        })
    }
}

crate::stats::text_for_people!(SpearmanPUsed, |v| v);

/// Threshold-effect analysis: Spearman ρ of logit Se' and logit FPR'.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpearmanThreshold {
    pub labels: Vec<String>,
    /// `logit Se'_i`.
    pub x: Vec<f64>,
    /// `logit FPR'_i = −logit Sp'_i`.
    pub y: Vec<f64>,
    pub result: Spearman,
    pub warnings: Vec<String>,
}

/// Mid-ranks (1-based; ties get the average rank). NaN-free input assumed.
///
/// # Formula
/// METHODS §6 (mid-ranks).
///
/// # References
/// Kendall & Gibbons (1990), Rank Correlation Methods.
pub fn mid_ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &id in &idx[i..=j] {
            r[id] = avg;
        }
        i = j + 1;
    }
    r
}

/// Pearson correlation; `None` when either variable is constant or lengths differ.
///
/// # Formula
/// `r = Σ(x−x̄)(y−ȳ)/√(Σ(x−x̄)² Σ(y−ȳ)²)`.
///
/// # References
/// Pearson (1896).
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    let r = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
    r.is_finite().then_some(r)
}

/// Two-sided t-approximation p-value of a Spearman (or Pearson) correlation.
///
/// # Formula
/// METHODS §6: `t = r√((k−2)/(1−r²))`, `p = 2·P(T_{k−2} > |t|)`; `p = 0` when |r| = 1.
///
/// # References
/// Meta-DiSc 1.4 (Zamora et al. 2006); Stata `spearman`.
pub fn spearman_p_t(r: f64, k: usize) -> Result<(Option<f64>, f64), StatsError> {
    if k < 3 {
        return Err(StatsError::TooFewStudies { needed: 3, got: k, what: "the Spearman t test" });
    }
    if !(r.is_finite() && r.abs() <= 1.0) {
        return Err(StatsError::InvalidArgument {
            what: "Spearman p-value",
            detail: format!("r = {r} is not in [−1, 1]"),
        });
    }
    if r.abs() >= 1.0 {
        return Ok((None, 0.0));
    }
    let df = (k - 2) as f64;
    let t = r * (df / (1.0 - r * r)).sqrt();
    Ok((Some(t), t_two_sided_p(t, df)))
}

/// Exact two-sided permutation p-value of Spearman's ρ for untied data (k ≤ 10).
///
/// # Formula
/// METHODS §6: enumerate all k! rank permutations and count `|r*| ≥ |r| − 1e-12`, with
/// `r = 1 − 6Σd²/(k(k²−1))`.
///
/// # References
/// Kendall & Gibbons (1990).
pub fn spearman_p_exact(r: f64, k: usize) -> Result<f64, StatsError> {
    if !(3..=10).contains(&k) {
        return Err(StatsError::InvalidArgument {
            what: "exact Spearman p-value",
            detail: format!("k = {k}; exact enumeration is done for 3 ≤ k ≤ 10"),
        });
    }
    let kf = k as f64;
    let denom = kf * (kf * kf - 1.0);
    let target = r.abs() - 1e-12;
    let mut perm: Vec<i64> = (1..=k as i64).collect();
    let mut c = vec![0usize; k];
    let mut count: u64 = 0;
    let mut total: u64 = 0;
    let rho_of = |p: &[i64]| -> f64 {
        let d2: i64 = p.iter().enumerate().map(|(i, &v)| (i as i64 + 1 - v).pow(2)).sum();
        1.0 - 6.0 * d2 as f64 / denom
    };
    // Heap's algorithm (iterative).
    let mut visit = |p: &[i64]| {
        total += 1;
        if rho_of(p).abs() >= target {
            count += 1;
        }
    };
    visit(&perm);
    let mut i = 0;
    while i < k {
        if c[i] < i {
            if i % 2 == 0 {
                perm.swap(0, i);
            } else {
                perm.swap(c[i], i);
            }
            visit(&perm);
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
    Ok(count as f64 / total as f64)
}

/// Spearman correlation of two samples with the chosen p-value method.
///
/// # Formula
/// METHODS §6: `r_s` = Pearson correlation of mid-ranks; p by [`spearman_p_t`] or
/// [`spearman_p_exact`] (exact only without ties and k ≤ 10, else the t approximation).
///
/// # References
/// Spearman (1904); Meta-DiSc 1.4.
pub fn spearman(x: &[f64], y: &[f64], method: SpearmanPMethod) -> Result<Spearman, StatsError> {
    if x.len() != y.len() {
        return Err(StatsError::InvalidArgument {
            what: "Spearman correlation",
            detail: format!("x has {} values, y has {}", x.len(), y.len()),
        });
    }
    let k = x.len();
    if k < 3 {
        return Err(StatsError::TooFewStudies { needed: 3, got: k, what: "Spearman correlation" });
    }
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return Err(StatsError::InvalidArgument {
            what: "Spearman correlation",
            detail: "values must be finite".into(),
        });
    }
    let rx = mid_ranks(x);
    let ry = mid_ranks(y);
    let has_ties = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        s.windows(2).any(|w| w[0] == w[1])
    };
    let ties = has_ties(x) || has_ties(y);
    let rho = pearson(&rx, &ry).ok_or_else(|| StatsError::NotEstimable {
        what: "Spearman correlation",
        reason: "all values of one variable are tied".into(),
    })?;
    let (t, p_t) = spearman_p_t(rho, k)?;
    let (p_value, method) = match method {
        SpearmanPMethod::TApproximation => (p_t, SpearmanPUsed::TApproximation),
        SpearmanPMethod::Exact if !ties && k <= 10 => {
            (spearman_p_exact(rho, k)?, SpearmanPUsed::ExactPermutation)
        }
        SpearmanPMethod::Exact if ties => (p_t, SpearmanPUsed::TApproximationTies),
        SpearmanPMethod::Exact => (p_t, SpearmanPUsed::TApproximationLargeK),
    };
    Ok(Spearman { k, rho, df: k - 2, t, p_value, method, ties })
}

/// Threshold effect: Spearman ρ between logit Se' and logit FPR' across studies.
///
/// # Formula
/// METHODS §6 with §1.3/§1.4: `x = ln(TP'/FN')`, `y = ln(FP'/TN')`. Rows with `n1 = 0` or `n0 = 0`
/// are excluded (§1.1); rows with a zero cell left after the correction are left out with a warning.
///
/// # References
/// Zamora et al. (2006), Meta-DiSc; Moses, Shapiro & Littenberg (1993).
pub fn spearman_threshold(studies: &[Study], cfg: &SpearmanConfig) -> Result<SpearmanThreshold, StatsError> {
    let (sub, _, mut warnings) = two_step_subset(studies);
    let cc = cfg.correction.apply(&sub);
    let (mut labels, mut x, mut y) = (Vec::new(), Vec::new(), Vec::new());
    for (s, c) in sub.iter().zip(&cc) {
        if c.tp > 0.0 && c.fn_ > 0.0 && c.fp > 0.0 && c.tn > 0.0 {
            labels.push(s.label.clone());
            x.push(c.logit_sens());
            y.push(-c.logit_spec());
        } else {
            warnings
                .push(format!("{}: a zero cell remains after the correction; the row is left out", s.label));
        }
    }
    let result = spearman(&x, &y, cfg.p_method)?;
    Ok(SpearmanThreshold { labels, x, y, result, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_with_ties() {
        assert_eq!(mid_ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn exact_small() {
        // k = 3, r = 1: permutations with |r| = 1 are identity and reversal → 2/6.
        let p = spearman_p_exact(1.0, 3).expect("p");
        assert!((p - 1.0 / 3.0).abs() < 1e-12);
    }
}
