//! Heterogeneity statistics (METHODS §5, §2.10).
//!
//! Two-step statistics (§5.1, §5.2) work on the per-study counts; the GLMM-based summaries
//! (§5.3–§5.7) take plain numbers from a bivariate fit so that this module does not depend on the
//! fitting engine.

use super::accuracy::{check_level, two_step_subset};
use super::error::StatsError;
use super::estimate::Estimate;
use super::transform::{chi2_sf, ln_choose, normal_quantile, prob_from_logit, t_quantile, z_for_level};
use crate::data::correction::{CorrectedCounts, Correction};
use crate::data::Study;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// I² with the Higgins–Thompson test-based interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ISquared {
    /// `max(0, (Q − df)/Q)` as a fraction in [0, 1].
    pub i2: f64,
    /// CI as fractions; `None` when the interval is undefined (df = 1 and Q ≤ df + 1).
    pub ci: Option<[f64; 2]>,
}

/// I² and its Higgins–Thompson interval from Cochran's Q (midas `homogeni`).
///
/// # Formula
/// METHODS §5.1: `H² = Q/df`, `I² = max(0, (H²−1)/H²)`, `K = df+1`;
/// `SE(ln H) = ½(ln Q − ln df)/(√(2Q) − √(2K−3))` if `Q > K`, else
/// `√((1/(2(K−2)))(1 − 1/(3(K−2)²)))`; `H² := max(H², 1)`; `Var(I²) = 4 SE(ln H)²/(H²)²`;
/// `CI = [max(0, I² − z√Var), min(1, I² + z√Var)]`.
///
/// # References
/// Higgins & Thompson (2002), Stat Med 21:1539; midas 2.x `homogeni`.
pub fn higgins_thompson_i2(q: f64, df: f64, level: f64) -> Result<ISquared, StatsError> {
    check_level(level)?;
    if !(q.is_finite() && q >= 0.0 && df.is_finite() && df >= 1.0) {
        return Err(StatsError::InvalidArgument {
            what: "I² (Higgins–Thompson)",
            detail: format!("need finite Q ≥ 0 and df ≥ 1, got Q = {q}, df = {df}"),
        });
    }
    let i2 = if q > 0.0 { ((q - df) / q).clamp(0.0, 1.0) } else { 0.0 };
    let k = df + 1.0;
    let se_ln_h = if q > k {
        0.5 * (q.ln() - df.ln()) / ((2.0 * q).sqrt() - (2.0 * k - 3.0).sqrt())
    } else if k > 2.0 {
        ((1.0 / (2.0 * (k - 2.0))) * (1.0 - 1.0 / (3.0 * (k - 2.0).powi(2)))).sqrt()
    } else {
        f64::NAN
    };
    let h2 = (q / df).max(1.0);
    let var = 4.0 * se_ln_h * se_ln_h / (h2 * h2);
    let z = z_for_level(level);
    let ci = if var.is_finite() {
        Some([(i2 - z * var.sqrt()).max(0.0), (i2 + z * var.sqrt()).min(1.0)])
    } else {
        None
    };
    Ok(ISquared { i2, ci })
}

/// One margin of the midas Pearson heterogeneity statistic.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PearsonQ {
    /// Fixed-effect pooled proportion `Σx/Σn`.
    pub pooled: f64,
    pub q: f64,
    pub df: usize,
    pub p_value: f64,
    pub i2: ISquared,
}

/// midas 2.x univariate heterogeneity (sensitivity and specificity).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MidasHeterogeneity {
    pub k: usize,
    pub sensitivity: PearsonQ,
    pub specificity: PearsonQ,
    pub warnings: Vec<String>,
}

fn pearson_q(xs: &[(f64, f64)], level: f64, what: &'static str) -> Result<PearsonQ, StatsError> {
    let sx: f64 = xs.iter().map(|p| p.0).sum();
    let sn: f64 = xs.iter().map(|p| p.1).sum();
    let pooled = sx / sn;
    if !(pooled > 0.0 && pooled < 1.0) {
        return Err(StatsError::NotEstimable {
            what,
            reason: format!("the pooled proportion is {pooled}; the Pearson Q needs 0 < p < 1"),
        });
    }
    let q: f64 = xs
        .iter()
        .map(|&(x, n)| {
            let d = x / n - pooled;
            d * d / (pooled * (1.0 - pooled) / n)
        })
        .sum();
    let df = xs.len() - 1;
    Ok(PearsonQ {
        pooled,
        q,
        df,
        p_value: chi2_sf(q, df as f64),
        i2: higgins_thompson_i2(q, df as f64, level)?,
    })
}

/// midas-style Pearson Q on the proportion scale with Higgins–Thompson I² (raw counts).
///
/// # Formula
/// METHODS §5.1: `Q_Se = Σ (Se_i − Ŝe_F)²/(Ŝe_F(1−Ŝe_F)/n1_i)`, `Ŝe_F = ΣTP/Σn1`, df = k − 1,
/// `p = P(χ²_df > Q)`; same for Sp; I² CI by [`higgins_thompson_i2`]. Rows with `n1 = 0` or
/// `n0 = 0` are excluded (§1.1).
///
/// # References
/// midas 2.x (Dwamena 2007) "HETEROGENEITY"; Higgins & Thompson (2002).
pub fn midas_q(studies: &[Study], level: f64) -> Result<MidasHeterogeneity, StatsError> {
    check_level(level)?;
    let (sub, _, warnings) = two_step_subset(studies);
    if sub.len() < 2 {
        return Err(StatsError::TooFewStudies { needed: 2, got: sub.len(), what: "Cochran's Q" });
    }
    let se: Vec<(f64, f64)> = sub.iter().map(|s| (s.tp as f64, s.n_diseased() as f64)).collect();
    let sp: Vec<(f64, f64)> = sub.iter().map(|s| (s.tn as f64, s.n_healthy() as f64)).collect();
    Ok(MidasHeterogeneity {
        k: sub.len(),
        sensitivity: pearson_q(&se, level, "Pearson Q of sensitivity")?,
        specificity: pearson_q(&sp, level, "Pearson Q of specificity")?,
        warnings,
    })
}

/// Fixed-effect (inverse-variance) pooled mean.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FixedEffect {
    pub mu: f64,
    pub se: f64,
}

/// DerSimonian–Laird random-effects estimate (logit scale plus back-transformed probability).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DerSimonianLaird {
    pub tau2: f64,
    pub mu: f64,
    pub se: f64,
    pub ci: [f64; 2],
    pub prob: f64,
    pub prob_ci: [f64; 2],
}

/// Inverse-variance Cochran Q with fixed-effect and DerSimonian–Laird summaries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InverseVarianceQ {
    pub k: usize,
    pub q: f64,
    pub df: usize,
    pub p_value: f64,
    /// `max(0, (Q − df)/Q)` with the Higgins–Thompson CI.
    pub i2: ISquared,
    pub fixed_effect: FixedEffect,
    pub dersimonian_laird: DerSimonianLaird,
    pub warnings: Vec<String>,
}

/// Generic inverse-variance Cochran Q and DerSimonian–Laird pooling of `y` with variances `v`.
///
/// # Formula
/// METHODS §5.2: `w = 1/v`, `ȳ_w = Σwy/Σw`, `Q = Σw(y − ȳ_w)²`, df = k − 1,
/// `I² = max(0, (Q−df)/Q)`; DL `τ² = max(0, (Q − df)/(Σw − Σw²/Σw))`, `w* = 1/(v+τ²)`,
/// `μ = Σw*y/Σw*`, `se = 1/√Σw*`, CI `μ ± z·se`, `prob = expit(μ)`.
///
/// # References
/// Cochran (1954); DerSimonian & Laird (1986), Control Clin Trials 7:177; Higgins & Thompson (2002).
pub fn inverse_variance_q(y: &[f64], v: &[f64], level: f64) -> Result<InverseVarianceQ, StatsError> {
    check_level(level)?;
    if y.len() != v.len() {
        return Err(StatsError::InvalidArgument {
            what: "inverse-variance Q",
            detail: format!("{} estimates but {} variances", y.len(), v.len()),
        });
    }
    if y.len() < 2 {
        return Err(StatsError::TooFewStudies { needed: 2, got: y.len(), what: "Cochran's Q" });
    }
    if y.iter().any(|x| !x.is_finite()) || v.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
        return Err(StatsError::InvalidArgument {
            what: "inverse-variance Q",
            detail: "estimates must be finite and variances finite and > 0".into(),
        });
    }
    let w: Vec<f64> = v.iter().map(|x| 1.0 / x).collect();
    let sw: f64 = w.iter().sum();
    let sw2: f64 = w.iter().map(|x| x * x).sum();
    let mu_fe = w.iter().zip(y).map(|(w, y)| w * y).sum::<f64>() / sw;
    let q: f64 = w.iter().zip(y).map(|(w, y)| w * (y - mu_fe).powi(2)).sum();
    let df = y.len() - 1;
    let dff = df as f64;
    let c = sw - sw2 / sw;
    let tau2 = if c > 0.0 { ((q - dff) / c).max(0.0) } else { 0.0 };
    let ws: Vec<f64> = v.iter().map(|x| 1.0 / (x + tau2)).collect();
    let sws: f64 = ws.iter().sum();
    let mu = ws.iter().zip(y).map(|(w, y)| w * y).sum::<f64>() / sws;
    let se = 1.0 / sws.sqrt();
    let z = z_for_level(level);
    let ci = [mu - z * se, mu + z * se];
    Ok(InverseVarianceQ {
        k: y.len(),
        q,
        df,
        p_value: chi2_sf(q, dff),
        i2: higgins_thompson_i2(q, dff, level)?,
        fixed_effect: FixedEffect { mu: mu_fe, se: 1.0 / sw.sqrt() },
        dersimonian_laird: DerSimonianLaird {
            tau2,
            mu,
            se,
            ci,
            prob: prob_from_logit(mu),
            prob_ci: [prob_from_logit(ci[0]), prob_from_logit(ci[1])],
        },
        warnings: Vec::new(),
    })
}

/// Which margin a univariate analysis pools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Margin {
    Sensitivity,
    Specificity,
}

/// Inverse-variance Q, I² and DerSimonian–Laird pooling of logit Se or logit Sp.
///
/// # Formula
/// METHODS §1.4 (`y = ln(TP'/FN')`, `v = 1/TP' + 1/FN'`, resp. TN', FP') and §5.2. Rows with
/// `n1 = 0` or `n0 = 0` are excluded with a warning (§1.1); the correction is applied to the kept
/// rows.
///
/// # References
/// DerSimonian & Laird (1986); Higgins & Thompson (2002); mada `cochran.Q`; metafor `rma(method="DL")`.
pub fn univariate_logit(
    studies: &[Study],
    margin: Margin,
    correction: &Correction,
    level: f64,
) -> Result<InverseVarianceQ, StatsError> {
    let effect = |c: &CorrectedCounts| {
        let (a, b) = match margin {
            Margin::Sensitivity => (c.tp, c.fn_),
            Margin::Specificity => (c.tn, c.fp),
        };
        (a > 0.0 && b > 0.0).then(|| ((a / b).ln(), 1.0 / a + 1.0 / b))
    };
    pool_corrected(studies, correction, level, effect, "a zero cell remains after the correction")
}

/// Two-step inverse-variance pooling of a per-row effect `(y, v)` on the corrected counts: rows
/// with `n1 = 0` or `n0 = 0` are excluded (§1.1), rows where `effect` is undefined are left out
/// with the warning `why`.
fn pool_corrected(
    studies: &[Study],
    correction: &Correction,
    level: f64,
    effect: impl Fn(&CorrectedCounts) -> Option<(f64, f64)>,
    why: &str,
) -> Result<InverseVarianceQ, StatsError> {
    let (sub, _, mut warnings) = two_step_subset(studies);
    let cc = correction.apply(&sub);
    let (mut y, mut v) = (Vec::with_capacity(cc.len()), Vec::with_capacity(cc.len()));
    for (s, c) in sub.iter().zip(&cc) {
        match effect(c) {
            Some((yi, vi)) => {
                y.push(yi);
                v.push(vi);
            }
            None => warnings.push(format!("{}: {why}; the row is left out", s.label)),
        }
    }
    let mut out = inverse_variance_q(&y, &v, level)?;
    out.warnings = warnings;
    Ok(out)
}

/// Inverse-variance Q, I² and DerSimonian–Laird pooling of ln DOR (the `prob` fields of the
/// result are `expit(μ)` and have no meaning for a DOR; use `exp(μ)`).
///
/// # Formula
/// METHODS §1.6 (`y = ln DOR'`, `v = 1/TP'+1/FP'+1/FN'+1/TN'`) and §5.2; rows with `n1 = 0` or
/// `n0 = 0` are excluded (§1.1); rows with a zero cell left after the correction are left out.
///
/// # References
/// DerSimonian & Laird (1986); mada `madauni` (which, unlike this function, recomputes Q with
/// random-effects weights — see shared/refs/README finding 8).
pub fn univariate_log_dor(
    studies: &[Study],
    correction: &Correction,
    level: f64,
) -> Result<InverseVarianceQ, StatsError> {
    let effect = |c: &CorrectedCounts| {
        (c.tp > 0.0 && c.fp > 0.0 && c.fn_ > 0.0 && c.tn > 0.0).then(|| (c.log_dor(), c.se_log_dor().powi(2)))
    };
    pool_corrected(studies, correction, level, effect, "ln DOR is undefined after the correction")
}

/// Likelihood-ratio heterogeneity test (midas "LRT_Q").
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrtHeterogeneity {
    /// `2(ℓ_GLMM − ℓ_FE)`, truncated at 0.
    pub statistic: f64,
    pub df: usize,
    /// `½·P(χ²_3 > LRT)` (midas's halving).
    pub p_value: f64,
    /// `max(0, (LRT − 3)/LRT)`.
    pub i2: f64,
}

/// Likelihood-ratio test of the bivariate random-effects model against the fixed-effect model.
///
/// # Formula
/// METHODS §5.3: `LRT = 2(ℓ_GLMM − ℓ_FE)`, df = 3, `p = ½ P(χ²_3 > LRT)`,
/// `I² = max(0, (LRT − 3)/LRT)`.
///
/// # References
/// midas 2.x `xtbbrre` (Dwamena 2007).
pub fn lrt_heterogeneity(loglik_glmm: f64, loglik_fe: f64) -> Result<LrtHeterogeneity, StatsError> {
    if !(loglik_glmm.is_finite() && loglik_fe.is_finite()) {
        return Err(StatsError::InvalidArgument {
            what: "LRT heterogeneity",
            detail: format!("log-likelihoods must be finite ({loglik_glmm}, {loglik_fe})"),
        });
    }
    let stat = (2.0 * (loglik_glmm - loglik_fe)).max(0.0);
    let i2 = if stat > 0.0 { ((stat - 3.0) / stat).max(0.0) } else { 0.0 };
    Ok(LrtHeterogeneity { statistic: stat, df: 3, p_value: 0.5 * chi2_sf(stat, 3.0), i2 })
}

/// Fixed-effect bivariate model (Σ = 0).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FixedEffectFit {
    /// `ΣTP/Σn1`.
    pub sensitivity: f64,
    /// `ΣTN/Σn0`.
    pub specificity: f64,
    /// Maximised log-likelihood including the `ln C(n, x)` terms.
    pub loglik: f64,
}

fn xlny(x: f64, y: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x * y.ln()
    }
}

/// Fixed-effect bivariate binomial log-likelihood (all rows; a row's empty margin contributes 0).
///
/// # Formula
/// METHODS §2.10 with §2.2's `lc_i`: `Ŝe_F = ΣTP/Σn1`, `Ŝp_F = ΣTN/Σn0`,
/// `ℓ_FE = Σ [ln C(n1,TP) + ln C(n0,TN) + TP ln Ŝe_F + FN ln(1−Ŝe_F) + TN ln Ŝp_F + FP ln(1−Ŝp_F)]`
/// with `0·ln 0 = 0`.
///
/// # References
/// midas 2.x `xtbbrre`; Chu & Cole (2006).
pub fn loglik_fixed_effect(studies: &[Study]) -> Result<FixedEffectFit, StatsError> {
    let sn1: u64 = studies.iter().map(Study::n_diseased).sum();
    let sn0: u64 = studies.iter().map(Study::n_healthy).sum();
    if sn1 == 0 || sn0 == 0 {
        return Err(StatsError::NotEstimable {
            what: "fixed-effect log-likelihood",
            reason: "no diseased or no non-diseased participants in the data".into(),
        });
    }
    let se = studies.iter().map(|s| s.tp).sum::<u64>() as f64 / sn1 as f64;
    let sp = studies.iter().map(|s| s.tn).sum::<u64>() as f64 / sn0 as f64;
    let loglik = studies
        .iter()
        .map(|s| {
            ln_choose(s.n_diseased(), s.tp)
                + ln_choose(s.n_healthy(), s.tn)
                + xlny(s.tp as f64, se)
                + xlny(s.fn_ as f64, 1.0 - se)
                + xlny(s.tn as f64, sp)
                + xlny(s.fp as f64, 1.0 - sp)
        })
        .sum();
    Ok(FixedEffectFit { sensitivity: se, specificity: sp, loglik })
}

/// Zhou–Dendukuri I² values (fractions).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZhouDendukuri {
    pub i2_sens: f64,
    pub i2_spec: f64,
    pub i2_bivariate: f64,
    /// Typical within-study variances `σ̄1²`, `σ̄2²` on the logit scale.
    pub within_var_sens: f64,
    pub within_var_spec: f64,
}

/// Zhou–Dendukuri (2014) I² for logit Se, logit Sp and the bivariate generalisation.
///
/// # Formula
/// METHODS §5.4: `σ̄1² = mean(1/n1_i)·(e^{τ1²/2+μ1} + e^{τ1²/2−μ1} + 2)` (rows with `n1 > 0`), same
/// for `σ̄2²` with `n0`; `I²_Se = τ1²/(τ1²+σ̄1²)`, `I²_Sp = τ2²/(τ2²+σ̄2²)`,
/// `I²_biv = √detΣ/(√detΣ + √(σ̄1²σ̄2²))`, `detΣ = τ1²τ2²(1−ρ²)`. Orientation: (logit Se, logit Sp).
///
/// # References
/// Zhou & Dendukuri (2014), Stat Med 33:2701; midas 3.x `midas_mle.ado`.
pub fn zhou_dendukuri(
    studies: &[Study],
    mu1: f64,
    mu2: f64,
    tau2_1: f64,
    tau2_2: f64,
    rho: f64,
) -> Result<ZhouDendukuri, StatsError> {
    let n1: Vec<f64> = studies.iter().map(|s| s.n_diseased() as f64).collect();
    let n0: Vec<f64> = studies.iter().map(|s| s.n_healthy() as f64).collect();
    zhou_dendukuri_from_sizes(&n1, &n0, mu1, mu2, tau2_1, tau2_2, rho)
}

/// Zhou–Dendukuri I² from per-study margin sizes (real-valued, e.g. continuity-corrected
/// `n1' = n1 + 2c` when the fit used corrected counts, as a REML fit does).
///
/// # Formula
/// METHODS §5.4 (see [`zhou_dendukuri`]); sizes ≤ 0 are skipped in the means of `1/n`.
///
/// # References
/// Zhou & Dendukuri (2014), Stat Med 33:2701.
pub fn zhou_dendukuri_from_sizes(
    n1: &[f64],
    n0: &[f64],
    mu1: f64,
    mu2: f64,
    tau2_1: f64,
    tau2_2: f64,
    rho: f64,
) -> Result<ZhouDendukuri, StatsError> {
    let ok = mu1.is_finite()
        && mu2.is_finite()
        && tau2_1.is_finite()
        && tau2_1 >= 0.0
        && tau2_2.is_finite()
        && tau2_2 >= 0.0
        && rho.is_finite()
        && rho.abs() <= 1.0;
    if !ok {
        return Err(StatsError::InvalidArgument {
            what: "Zhou–Dendukuri I²",
            detail: format!(
                "need finite μ, τ² ≥ 0 and |ρ| ≤ 1 (μ1 {mu1}, μ2 {mu2}, τ1² {tau2_1}, τ2² {tau2_2}, ρ {rho})"
            ),
        });
    }
    let mean_inv = |v: &[f64]| -> Option<f64> {
        let w: Vec<f64> = v.iter().filter(|n| n.is_finite() && **n > 0.0).map(|n| 1.0 / n).collect();
        if w.is_empty() {
            None
        } else {
            Some(w.iter().sum::<f64>() / w.len() as f64)
        }
    };
    let (m1, m0) = match (mean_inv(n1), mean_inv(n0)) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(StatsError::TooFewStudies {
                needed: 1,
                got: 0,
                what: "Zhou–Dendukuri I² (rows with diseased and non-diseased participants)",
            })
        }
    };
    let s1 = m1 * ((tau2_1 / 2.0 + mu1).exp() + (tau2_1 / 2.0 - mu1).exp() + 2.0);
    let s2 = m0 * ((tau2_2 / 2.0 + mu2).exp() + (tau2_2 / 2.0 - mu2).exp() + 2.0);
    let det = tau2_1 * tau2_2 * (1.0 - rho * rho);
    let sd = det.max(0.0).sqrt();
    let out = ZhouDendukuri {
        i2_sens: tau2_1 / (tau2_1 + s1),
        i2_spec: tau2_2 / (tau2_2 + s2),
        i2_bivariate: sd / (sd + (s1 * s2).sqrt()),
        within_var_sens: s1,
        within_var_spec: s2,
    };
    if [out.i2_sens, out.i2_spec, out.i2_bivariate].iter().all(|x| x.is_finite()) {
        Ok(out)
    } else {
        Err(StatsError::NotEstimable {
            what: "Zhou–Dendukuri I²",
            reason: "overflow in the within-study variance (extreme μ or τ²)".into(),
        })
    }
}

/// Intraclass correlation on the latent scale, with delta-method CI (lower limit ≥ 0).
///
/// # Formula
/// METHODS §5.5: `ICC = τ²/(τ² + π²/3)`, `se(ICC) = se(τ²)·(π²/3)/(τ² + π²/3)²`,
/// CI `[max(0, ICC − z·se), min(1, ICC + z·se)]`.
///
/// # References
/// midas 2.x "ICC_SEN/ICC_SPE"; Snijders & Bosker (1999) for the latent-scale ICC.
pub fn icc(tau2: f64, se_tau2: f64, level: f64) -> Result<Estimate, StatsError> {
    check_level(level)?;
    if !(tau2.is_finite() && tau2 >= 0.0 && se_tau2.is_finite() && se_tau2 >= 0.0) {
        return Err(StatsError::InvalidArgument {
            what: "ICC",
            detail: format!("need finite τ² ≥ 0 and se ≥ 0 (τ² {tau2}, se {se_tau2})"),
        });
    }
    let c = PI * PI / 3.0;
    let v = tau2 / (tau2 + c);
    let se = se_tau2 * c / (tau2 + c).powi(2);
    let z = z_for_level(level);
    Ok(Estimate::new(v, (v - z * se).max(0.0), (v + z * se).min(1.0)))
}

/// Median odds ratio and midas's "MED" probability for one margin.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MedianOddsRatio {
    /// `exp(√(2τ²)·Φ⁻¹(0.75))`, CI by plugging in the τ² limits when given.
    pub mor: Estimate,
    /// midas "MED_SEN/MED_SPE" = MOR/(1+MOR).
    pub median_probability: Estimate,
}

/// Median odds ratio (Larsen & Merlo) with plug-in CI from the τ² limits.
///
/// # Formula
/// METHODS §5.5: `MOR = exp(√(2τ²)·Φ⁻¹(0.75))`; `MED = MOR/(1+MOR)`; CI: the same map applied to the
/// τ² CI limits (when `tau2_ci` is `None` the CI equals the point estimate).
///
/// # References
/// Larsen & Merlo (2005), Am J Epidemiol 161:81; midas 2.x.
pub fn median_odds_ratio(tau2: f64, tau2_ci: Option<[f64; 2]>) -> Result<MedianOddsRatio, StatsError> {
    let bad = |x: f64| !(x.is_finite() && x >= 0.0);
    if bad(tau2) || tau2_ci.is_some_and(|c| bad(c[0]) || bad(c[1])) {
        return Err(StatsError::InvalidArgument {
            what: "median odds ratio",
            detail: "τ² and its limits must be finite and ≥ 0".into(),
        });
    }
    let q = normal_quantile(0.75);
    let f = |t: f64| ((2.0 * t).sqrt() * q).exp();
    let [lo, hi] = tau2_ci.unwrap_or([tau2, tau2]);
    let mor = Estimate::new(f(tau2), f(lo), f(hi));
    let p = |m: f64| m / (1.0 + m);
    Ok(MedianOddsRatio {
        mor,
        median_probability: Estimate::new(p(mor.estimate), p(mor.ci[0]), p(mor.ci[1])),
    })
}

/// A prediction interval for the margin of a new study.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictionInterval {
    /// Interval on the logit scale.
    pub logit: [f64; 2],
    /// Back-transformed interval (probability scale).
    pub prob: [f64; 2],
    /// Degrees of freedom of the t quantile (`None` for the z version).
    pub df: Option<usize>,
}

fn pi_check(mu: f64, se: f64, tau2: f64) -> Result<(), StatsError> {
    if mu.is_finite() && se.is_finite() && se >= 0.0 && tau2.is_finite() && tau2 >= 0.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidArgument {
            what: "prediction interval",
            detail: format!("need finite μ, se ≥ 0, τ² ≥ 0 (μ {mu}, se {se}, τ² {tau2})"),
        })
    }
}

/// Marginal prediction interval with a t quantile on k − 2 df.
///
/// # Formula
/// METHODS §5.6: `expit(μ ± t_{k−2}·√(τ² + se²))`; needs k ≥ 3.
///
/// # References
/// Higgins, Thompson & Spiegelhalter (2009), JRSS-A 172:137; Riley, Higgins & Deeks (2011), BMJ 342:d549.
pub fn prediction_interval(
    mu: f64,
    se: f64,
    tau2: f64,
    k: usize,
    level: f64,
) -> Result<PredictionInterval, StatsError> {
    check_level(level)?;
    pi_check(mu, se, tau2)?;
    if k < 3 {
        return Err(StatsError::TooFewStudies { needed: 3, got: k, what: "a t-based prediction interval" });
    }
    let t = t_quantile(1.0 - (1.0 - level) / 2.0, (k - 2) as f64);
    let h = t * (tau2 + se * se).sqrt();
    let logit = [mu - h, mu + h];
    Ok(PredictionInterval {
        logit,
        prob: [prob_from_logit(logit[0]), prob_from_logit(logit[1])],
        df: Some(k - 2),
    })
}

/// Marginal prediction interval with a normal quantile (option of §5.6).
///
/// # Formula
/// METHODS §5.6: `expit(μ ± z·√(τ² + se²))`.
///
/// # References
/// Higgins, Thompson & Spiegelhalter (2009).
pub fn prediction_interval_z(
    mu: f64,
    se: f64,
    tau2: f64,
    level: f64,
) -> Result<PredictionInterval, StatsError> {
    check_level(level)?;
    pi_check(mu, se, tau2)?;
    let h = z_for_level(level) * (tau2 + se * se).sqrt();
    let logit = [mu - h, mu + h];
    Ok(PredictionInterval { logit, prob: [prob_from_logit(logit[0]), prob_from_logit(logit[1])], df: None })
}

/// midas's "proportion of heterogeneity likely due to threshold effect" = ρ².
///
/// # Formula
/// METHODS §5.7: `ρ̂²` (the sign of ρ is discarded; report next to the signed ρ).
///
/// # References
/// midas 2.x `results(het)` (Dwamena 2007).
///
/// `None` when ρ is not a finite number in [−1, 1].
pub fn threshold_share_rho2(rho: f64) -> Option<f64> {
    if rho.is_finite() && rho.abs() <= 1.0 {
        Some(rho * rho)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i2_small_df_no_ci() {
        let r = higgins_thompson_i2(1.5, 1.0, 0.95).expect("i2");
        assert!((r.i2 - 1.0 / 3.0).abs() < 1e-12);
        assert!(r.ci.is_none());
    }

    #[test]
    fn lrt_midas_halving() {
        let r = lrt_heterogeneity(-122.79198, -1348.226).expect("lrt");
        assert!((r.statistic - 2450.868).abs() < 1e-2);
        assert_eq!(r.df, 3);
        assert!(r.p_value < 1e-100);
    }

    #[test]
    fn rho2() {
        assert_eq!(threshold_share_rho2(-0.5), Some(0.25));
        assert_eq!(threshold_share_rho2(1.5), None);
    }

    #[test]
    fn prediction_interval_needs_three() {
        assert!(prediction_interval(0.0, 0.1, 0.2, 2, 0.95).is_err());
        let p = prediction_interval(0.0, 0.1, 0.2, 12, 0.95).expect("pi");
        assert!((p.logit[0] + p.logit[1]).abs() < 1e-12);
    }
}
