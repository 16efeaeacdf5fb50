//! Bivariate meta-regression (METHODS §9.1–§9.2): a covariate acting on logit sensitivity, logit
//! specificity or both, with a common between-study covariance, fitted by exact ML (the same GLMM
//! engine), and likelihood-ratio tests with the correct degrees of freedom.

use super::bivariate::{boundary_of, fit_b2, nodes_of, Boundary, FitConfig, Method};
use super::estimate::Estimate;
use super::glmm::fit::{start_values, Design, StructFit};
use super::summary::{summary_point, Pooled, SummaryPoint};
use super::transform::{chi2_sf, normal_cdf, prob_from_logit, z_for_level};
use crate::data::{Covariate, CovariateKind, Study};
use serde::{Deserialize, Serialize};

/// Which margins the covariate acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acts {
    Both,
    SensOnly,
    SpecOnly,
    Neither,
}

/// A likelihood-ratio test.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrTest {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
}

impl LrTest {
    fn new(ll_full: f64, ll_reduced: f64, df: usize) -> LrTest {
        let stat = (2.0 * (ll_full - ll_reduced)).max(0.0);
        LrTest { statistic: stat, df, p_value: chi2_sf(stat, df as f64) }
    }
}

/// The three questions of METHODS §9.2.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrTests {
    /// Sensitivity differs: both vs covariate on specificity only (df L−1).
    pub sens: LrTest,
    /// Specificity differs: both vs covariate on sensitivity only (df L−1).
    pub spec: LrTest,
    /// Either differs: both vs no covariate (df 2(L−1)).
    pub both: LrTest,
}

/// One regression coefficient with its Wald test.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Coefficient {
    /// Machine name as in the R references (`sens`, `spec`, `sens_covLAG`, …).
    pub name: String,
    /// Plain-language label, e.g. "sensitivity: modality = LAG vs CT".
    pub label: String,
    pub estimate: f64,
    pub se: f64,
    pub z: f64,
    pub p_value: f64,
}

/// Pooled estimates for one level implied by the regression model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LevelEstimate {
    pub level: String,
    pub k: usize,
    pub mu_logit_sens: f64,
    pub mu_logit_spec: f64,
    pub vcov_mu: [[f64; 2]; 2],
    pub summary: SummaryPoint,
    /// Sensitivity of this level relative to the reference level's (a ratio of proportions), with
    /// a delta-method CI on the log scale; `None` for the reference level.
    pub relative_sensitivity: Option<Estimate>,
    /// Specificity relative to the reference level's.
    pub relative_specificity: Option<Estimate>,
}

/// `p(a + b) / p(a)` with `p = expit`, and a log-scale delta-method CI from the 2×2 covariance of
/// `(a, b)`: `∂ln r/∂a = p(a) − p(a+b)`, `∂ln r/∂b = 1 − p(a+b)`.
pub fn relative_proportion(a: f64, b: f64, v: [[f64; 2]; 2], z: f64) -> Estimate {
    let (p0, p1) = (prob_from_logit(a), prob_from_logit(a + b));
    let g = [p0 - p1, 1.0 - p1];
    let var = g[0] * g[0] * v[0][0] + 2.0 * g[0] * g[1] * v[0][1] + g[1] * g[1] * v[1][1];
    let lr = (p1 / p0).ln();
    let se = var.max(0.0).sqrt();
    Estimate::new((lr).exp(), (lr - z * se).exp(), (lr + z * se).exp())
}

/// A bivariate meta-regression on one covariate.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MetaRegression {
    pub covariate: String,
    pub kind: CovariateKind,
    /// Categorical: levels with the reference first. Numeric: empty.
    pub levels: Vec<String>,
    pub reference_level: Option<String>,
    /// Numeric covariates are centred at this mean.
    pub centre: Option<f64>,
    pub k_used: usize,
    pub rows_dropped_missing: usize,
    pub coefficients: Vec<Coefficient>,
    pub vcov: Vec<Vec<f64>>,
    pub tau2_logit_sens: f64,
    pub tau2_logit_spec: f64,
    pub rho: Option<f64>,
    pub loglik: f64,
    pub loglik_null: f64,
    pub loglik_sens_only: f64,
    pub loglik_spec_only: f64,
    pub lrt: LrTests,
    pub per_level: Vec<LevelEstimate>,
    pub converged: bool,
    pub boundary: Option<Boundary>,
    pub warnings: Vec<String>,
}

/// Errors of the meta-regression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum MetaRegError {
    /// A categorical covariate has fewer than 2 distinct non-missing values (0 when every cell is
    /// blank, 1 when it is constant): there is nothing to compare.
    TooFewLevels {
        covariate: String,
        levels: usize,
    },
    /// A numeric covariate does not vary among the usable rows.
    NoVariation {
        covariate: String,
    },
    TooFewStudies {
        got: usize,
    },
    /// Reitsma REML cannot be used for likelihood-ratio tests of fixed effects (§9.2).
    NeedsMl,
    Failed {
        reason: String,
    },
    /// A categorical covariate with more levels than the studies can inform (issue #10: such
    /// near-saturated models are meaningless and took minutes to fit).
    TooManyLevels {
        covariate: String,
        levels: usize,
        k: usize,
    },
}

/// The most levels a categorical covariate may have in a meta-regression; it also needs at least
/// two studies per level on average (`2·levels ≤ k`).
pub const MAX_LEVELS: usize = 20;

impl std::fmt::Display for MetaRegError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetaRegError::TooFewLevels { covariate, levels: 0 } => {
                write!(f, "covariate '{covariate}' has no values (every cell is blank): no meta-regression")
            }
            MetaRegError::TooFewLevels { covariate, levels } => write!(
                f,
                "covariate '{covariate}' has {levels} level among the studies; meta-regression needs at least 2"
            ),
            MetaRegError::NoVariation { covariate } => {
                write!(f, "covariate '{covariate}' does not vary among the studies")
            }
            MetaRegError::TooFewStudies { got } => {
                write!(f, "meta-regression needs at least 4 studies with the covariate; {got} given")
            }
            MetaRegError::NeedsMl => {
                write!(f, "likelihood-ratio tests need maximum-likelihood fits (exact or Laplace), not REML")
            }
            MetaRegError::Failed { reason } => write!(f, "meta-regression failed: {reason}"),
            MetaRegError::TooManyLevels { covariate, levels, k } => write!(
                f,
                "covariate '{covariate}' has {levels} levels for {k} studies; meta-regression needs at \
                 least two studies per level on average and at most {MAX_LEVELS} levels"
            ),
        }
    }
}

impl std::error::Error for MetaRegError {}

crate::stats::text_for_people!(MetaRegError, |v| v);

/// Column of the covariate for the usable rows: dummy codes (categorical, reference = first sorted
/// level, except that a risk-of-bias column — every level a QUADAS judgement — takes *low* as the
/// reference, so the coefficients read "high vs low") or the centred value (numeric).
struct Coding {
    rows: Vec<usize>,
    cols: Vec<Vec<f64>>,
    names: Vec<String>,
    levels: Vec<String>,
    centre: Option<f64>,
}

fn coding(cov: &Covariate, k: usize) -> Coding {
    match cov.kind {
        CovariateKind::Categorical => {
            let mut levels = cov.sorted_levels();
            let low =
                |l: &String| crate::data::rob::judgement(l) == Some(crate::data::rob::RobJudgement::Low);
            if levels.iter().all(|l| crate::data::rob::judgement(l).is_some()) {
                if let Some(i) = levels.iter().position(low) {
                    let l = levels.remove(i);
                    levels.insert(0, l);
                }
            }
            // Dummy codes for every level but the reference (none when there are < 2 levels; the
            // caller refuses such a covariate with `TooFewLevels`).
            let others: &[String] = levels.get(1..).unwrap_or(&[]);
            let rows: Vec<usize> = (0..k).filter(|&i| cov.label_of(i).is_some()).collect();
            let cols = rows
                .iter()
                .map(|&i| {
                    let l = cov.label_of(i).unwrap_or_default();
                    others.iter().map(|lv| if *lv == l { 1.0 } else { 0.0 }).collect()
                })
                .collect();
            let names = others.to_vec();
            Coding { rows, cols, names, levels, centre: None }
        }
        CovariateKind::Numeric => {
            let rows: Vec<usize> = (0..k).filter(|&i| cov.number_of(i).is_some()).collect();
            let vals: Vec<f64> = rows.iter().filter_map(|&i| cov.number_of(i)).collect();
            let mean = vals.iter().sum::<f64>() / vals.len().max(1) as f64;
            Coding {
                rows,
                cols: vals.iter().map(|v| vec![v - mean]).collect(),
                names: vec![String::new()],
                levels: Vec::new(),
                centre: Some(mean),
            }
        }
    }
}

fn coef_label(name: &str, cov: &Covariate, c: &Coding) -> String {
    let reference = c.levels.first().cloned().unwrap_or_default();
    match name {
        "sens" => match cov.kind {
            CovariateKind::Categorical => {
                format!("logit sensitivity at {} = {reference}", cov.name)
            }
            CovariateKind::Numeric => format!("logit sensitivity at the mean {}", cov.name),
        },
        "spec" => match cov.kind {
            CovariateKind::Categorical => {
                format!("logit specificity at {} = {reference}", cov.name)
            }
            CovariateKind::Numeric => format!("logit specificity at the mean {}", cov.name),
        },
        _ => {
            let (margin, rest) = if let Some(r) = name.strip_prefix("sens_cov") {
                ("sensitivity", r)
            } else {
                ("specificity", name.trim_start_matches("spec_cov"))
            };
            match cov.kind {
                CovariateKind::Categorical => {
                    format!("{margin}: {} = {rest} vs {reference} (logit difference)", cov.name)
                }
                CovariateKind::Numeric => {
                    format!("{margin}: change in logit per unit of {}", cov.name)
                }
            }
        }
    }
}

/// The design for a coding and which margins it acts on. Coefficient order as in the R references:
/// `sens, spec, sens_cov…, spec_cov…`.
fn design(c: &Coding, acts: Acts, cov_name: &str) -> Design {
    let q = c.names.len();
    let (on1, on2) = match acts {
        Acts::Both => (true, true),
        Acts::SensOnly => (true, false),
        Acts::SpecOnly => (false, true),
        Acts::Neither => (false, false),
    };
    let mut names = vec!["sens".to_string(), "spec".to_string()];
    // Names as in the R references: `sens_covLEVEL` (categorical) or `sens_cov` (numeric).
    let _ = cov_name;
    if on1 {
        names.extend(c.names.iter().map(|n| format!("sens_cov{n}")));
    }
    if on2 {
        names.extend(c.names.iter().map(|n| format!("spec_cov{n}")));
    }
    let p = names.len();
    let mut x1 = Vec::new();
    let mut x2 = Vec::new();
    for col in &c.cols {
        let mut r1 = vec![0.0; p];
        let mut r2 = vec![0.0; p];
        r1[0] = 1.0;
        r2[1] = 1.0;
        let mut at = 2;
        if on1 {
            r1[at..at + q].copy_from_slice(col);
            at += q;
        }
        if on2 {
            r2[at..at + q].copy_from_slice(col);
        }
        x1.push(r1);
        x2.push(r2);
    }
    Design { names, x1, x2, groups: None }
}

fn start_for(base: &[f64; 5], nb: usize) -> Vec<f64> {
    let mut v = vec![0.0; nb];
    v[0] = base[0];
    v[1] = base[1];
    v.extend_from_slice(&base[2..]);
    v
}

fn fit(studies: &[Study], d: &Design, nodes: usize, base: &[f64; 5]) -> StructFit {
    fit_b2(studies, d, nodes, &start_for(base, d.n_beta()))
}

/// Fit the bivariate meta-regression of `studies` on `cov` (METHODS §9.1) and the three LR tests
/// (§9.2). Rows with a missing covariate are dropped from every model compared.
///
/// # Errors
/// See [`MetaRegError`].
pub fn meta_regression(
    studies: &[Study],
    cov: &Covariate,
    cfg: &FitConfig,
) -> Result<MetaRegression, MetaRegError> {
    if cfg.method == Method::Reitsma {
        return Err(MetaRegError::NeedsMl);
    }
    let c = coding(cov, studies.len());
    if cov.kind == CovariateKind::Categorical && c.levels.len() < 2 {
        return Err(MetaRegError::TooFewLevels { covariate: cov.name.clone(), levels: c.levels.len() });
    }
    let sub: Vec<Study> = c.rows.iter().map(|&i| studies[i].clone()).collect();
    let k = sub.len();
    if k < 4 {
        return Err(MetaRegError::TooFewStudies { got: k });
    }
    let varies = match cov.kind {
        CovariateKind::Categorical => c.levels.len() >= 2,
        CovariateKind::Numeric => c.cols.iter().any(|v| v[0].abs() > 1e-12),
    };
    if !varies {
        return Err(MetaRegError::NoVariation { covariate: cov.name.clone() });
    }
    if cov.kind == CovariateKind::Categorical && (c.levels.len() > MAX_LEVELS || 2 * c.levels.len() > k) {
        return Err(MetaRegError::TooManyLevels { covariate: cov.name.clone(), levels: c.levels.len(), k });
    }
    let nodes = nodes_of(cfg);
    let base = start_values(&sub);
    let null = fit(&sub, &design(&c, Acts::Neither, &cov.name), nodes, &base);
    let base_null: [f64; 5] = {
        let mut b = base;
        if null.theta.len() == 5 {
            b.copy_from_slice(&null.theta);
        }
        b
    };
    let d_both = design(&c, Acts::Both, &cov.name);
    let full = fit(&sub, &d_both, nodes, &base_null);
    let sens_only = fit(&sub, &design(&c, Acts::SensOnly, &cov.name), nodes, &base_null);
    let spec_only = fit(&sub, &design(&c, Acts::SpecOnly, &cov.name), nodes, &base_null);
    let q = c.names.len();
    let mut warnings = Vec::new();
    for (what, f) in [
        ("model with the covariate", &full),
        ("model without it", &null),
        ("covariate on sensitivity only", &sens_only),
        ("covariate on specificity only", &spec_only),
    ] {
        if !f.converged {
            warnings.push(format!("the {what} did not converge ({})", f.termination.describe()));
        }
    }
    if !full.converged {
        return Err(MetaRegError::Failed {
            reason: format!(
                "the model with the covariate did not converge ({})",
                full.termination.describe()
            ),
        });
    }
    let nb = d_both.n_beta();
    let v = full.vcov.clone();
    let coefficients = d_both
        .names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let se = v.as_ref().map_or(f64::NAN, |v| v[(i, i)].sqrt());
            let z = full.theta[i] / se;
            Coefficient {
                name: n.clone(),
                label: coef_label(n, cov, &c),
                estimate: full.theta[i],
                se,
                z,
                p_value: 2.0 * (1.0 - normal_cdf(z.abs())),
            }
        })
        .collect();
    let vcov: Vec<Vec<f64>> =
        (0..nb).map(|i| (0..nb).map(|j| v.as_ref().map_or(f64::NAN, |v| v[(i, j)])).collect()).collect();
    let (t1, t2, rho) = full.cov.tau_rho(&full.theta[nb..]);
    let z = z_for_level(cfg.level);
    // Per-level estimates (categorical): c'β and c'Vc for c picking the intercept and the level's dummy.
    let mut per_level = Vec::new();
    if cov.kind == CovariateKind::Categorical {
        for (g, level) in c.levels.iter().enumerate() {
            let mut c1 = vec![0.0; nb];
            let mut c2 = vec![0.0; nb];
            c1[0] = 1.0;
            c2[1] = 1.0;
            if g > 0 {
                c1[2 + g - 1] = 1.0;
                c2[2 + q + g - 1] = 1.0;
            }
            let dotv = |a: &[f64], b: &[f64]| -> f64 {
                let mut s = 0.0;
                for i in 0..nb {
                    for j in 0..nb {
                        s += a[i] * vcov[i][j] * b[j];
                    }
                }
                s
            };
            let mu1: f64 = c1.iter().zip(&full.theta).map(|(a, b)| a * b).sum();
            let mu2: f64 = c2.iter().zip(&full.theta).map(|(a, b)| a * b).sum();
            let vm = [[dotv(&c1, &c1), dotv(&c1, &c2)], [dotv(&c2, &c1), dotv(&c2, &c2)]];
            let kg = c
                .cols
                .iter()
                .filter(|col| if g == 0 { col.iter().all(|x| *x == 0.0) } else { col[g - 1] == 1.0 })
                .count();
            let pooled = Pooled {
                mu: [mu1, mu2],
                vcov_mu: vm,
                tau2: [t1 * t1, t2 * t2],
                cov12: if rho.is_nan() { 0.0 } else { rho * t1 * t2 },
                k: kg,
            };
            let relative = |i0: usize, i1: usize| {
                let v2 = [[vcov[i0][i0], vcov[i0][i1]], [vcov[i1][i0], vcov[i1][i1]]];
                relative_proportion(full.theta[i0], full.theta[i1], v2, z)
            };
            per_level.push(LevelEstimate {
                level: level.clone(),
                k: kg,
                mu_logit_sens: mu1,
                mu_logit_spec: mu2,
                vcov_mu: vm,
                summary: summary_point(&pooled, z),
                relative_sensitivity: (g > 0).then(|| relative(0, 2 + g - 1)),
                relative_specificity: (g > 0).then(|| relative(1, 2 + q + g - 1)),
            });
        }
    }
    Ok(MetaRegression {
        covariate: cov.name.clone(),
        kind: cov.kind,
        levels: c.levels.clone(),
        reference_level: c.levels.first().cloned(),
        centre: c.centre,
        k_used: k,
        rows_dropped_missing: studies.len() - k,
        coefficients,
        vcov,
        tau2_logit_sens: t1 * t1,
        tau2_logit_spec: t2 * t2,
        rho: if rho.is_nan() { None } else { Some(rho) },
        loglik: full.loglik,
        loglik_null: null.loglik,
        loglik_sens_only: sens_only.loglik,
        loglik_spec_only: spec_only.loglik,
        lrt: LrTests {
            sens: LrTest::new(full.loglik, spec_only.loglik, q),
            spec: LrTest::new(full.loglik, sens_only.loglik, q),
            both: LrTest::new(full.loglik, null.loglik, 2 * q),
        },
        per_level,
        converged: full.converged && null.converged && sens_only.converged && spec_only.converged,
        boundary: boundary_of(&full, nb),
        warnings,
    })
}

#[cfg(test)]
mod too_many_levels_tests {
    use super::*;
    use crate::data::CovariateValue;

    fn studies(k: usize) -> Vec<Study> {
        (0..k).map(|i| Study::new(format!("S{i}"), 20 + i as u64 % 7, 5 + i as u64 % 3, 4, 60)).collect()
    }

    fn factor(k: usize, levels: usize) -> Covariate {
        Covariate {
            name: "g".into(),
            kind: CovariateKind::Categorical,
            values: (0..k).map(|i| CovariateValue::Category(format!("L{}", i % levels))).collect(),
        }
    }

    /// Issue #10 (found by tests/fuzz_pipeline.rs): one level per study made the fit run for a
    /// minute (k = 97) and return a saturated, meaningless model; now it is refused at once.
    #[test]
    fn one_level_per_study_is_refused_quickly() {
        let t = std::time::Instant::now();
        let e = meta_regression(&studies(40), &factor(40, 40), &FitConfig::default()).map(|_| ());
        assert!(matches!(e, Err(MetaRegError::TooManyLevels { levels: 40, k: 40, .. })), "{e:?}");
        assert!(t.elapsed().as_secs_f64() < 0.5);
        let e = meta_regression(&studies(100), &factor(100, 31), &FitConfig::default()).map(|_| ());
        assert!(matches!(e, Err(MetaRegError::TooManyLevels { levels: 31, .. })), "{e:?}");
    }

    #[test]
    fn two_studies_per_level_are_still_fitted() {
        let r = meta_regression(&studies(8), &factor(8, 4), &FitConfig::default());
        assert!(!matches!(r, Err(MetaRegError::TooManyLevels { .. })));
    }
}
