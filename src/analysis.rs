//! The whole analysis a review reports, in one call: the pooled bivariate fit and every summary
//! around it (issues #3–#5), for the full data set and for each subgroup, plus meta-regression.
//! Pure: no I/O; the CLI and the page serialise [`Analysis`] to JSON and render it.

use crate::data::correction::Correction;
use crate::data::{Covariate, CovariateKind, Dataset, Study};
use crate::stats::accuracy::{per_study, AccuracyConfig, StudyAccuracy};
use crate::stats::bivariate::{analyze, BivariateResult, FitConfig, Method};
use crate::stats::estimate::Estimate;
use crate::stats::fagan::{fagan, lr_scattergram, FaganInput, LrScattergram};
use crate::stats::heterogeneity::{
    loglik_fixed_effect, lrt_heterogeneity, midas_q, threshold_share_rho2, univariate_logit, zhou_dendukuri,
    InverseVarianceQ, LrtHeterogeneity, Margin, MidasHeterogeneity, ZhouDendukuri,
};
use crate::stats::influence;
use crate::stats::metareg::{meta_regression, MetaRegression};
use crate::stats::pubbias::{deeks_test, lfk, DeeksConfig, DeeksResult, LfkResult};
use crate::stats::threshold::{spearman_threshold, SpearmanConfig, SpearmanPMethod};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How studies are grouped for the subgroup table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One row per level of a covariate.
    By(String),
    /// A numeric covariate split at a threshold: `< t` and `≥ t`.
    Split(String, f64),
    /// Two covariates crossed: `A × B`.
    Cross(String, String),
}

/// Every option of the analysis, with the defaults of METHODS §13.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisConfig {
    pub fit: FitConfig,
    pub accuracy: AccuracyConfig,
    /// Correction for two-step methods (Spearman, univariate Q, Deeks, LFK); default `single` 0.5.
    pub correction: Correction,
    pub spearman_p: SpearmanPMethod,
    /// Pre-test probability for the Fagan nomogram; `None` = median prevalence of the studies.
    pub pretest: Option<f64>,
    pub grouping: Option<Grouping>,
    /// Run the bivariate meta-regression on the grouping covariate(s).
    pub meta_regression: bool,
    /// Study labels to leave out.
    pub exclude: Vec<String>,
    /// Leave-one-out, Cook's distance, empirical Bayes, weights and the cluster analysis (§10).
    #[serde(default)]
    pub influence: bool,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            fit: FitConfig::default(),
            accuracy: AccuracyConfig::default(),
            correction: Correction::default(),
            spearman_p: SpearmanPMethod::TApproximation,
            pretest: None,
            grouping: None,
            meta_regression: true,
            exclude: Vec::new(),
            influence: false,
        }
    }
}

/// Univariate heterogeneity of one margin (METHODS §5.2) in the JSON shape of issue #4.
#[derive(Clone, Debug, Serialize)]
pub struct UniHet {
    #[serde(rename = "Q")]
    pub q: f64,
    pub df: usize,
    pub p_value: f64,
    #[serde(rename = "I2")]
    pub i2: f64,
    #[serde(rename = "I2_ci")]
    pub i2_ci: Option<[f64; 2]>,
    pub tau2_dl: f64,
    pub mu_dl: f64,
}

impl From<&InverseVarianceQ> for UniHet {
    fn from(q: &InverseVarianceQ) -> Self {
        UniHet {
            q: q.q,
            df: q.df,
            p_value: q.p_value,
            i2: q.i2.i2,
            i2_ci: q.i2.ci,
            tau2_dl: q.dersimonian_laird.tau2,
            mu_dl: q.dersimonian_laird.mu,
        }
    }
}

/// Heterogeneity block (METHODS §5).
#[derive(Clone, Debug, Serialize)]
pub struct Heterogeneity {
    pub logit_sens: Option<UniHet>,
    pub logit_spec: Option<UniHet>,
    pub midas: Option<MidasHeterogeneity>,
    pub lrt: Option<LrtHeterogeneity>,
    pub zhou_dendukuri: Option<ZhouDendukuri>,
    /// midas's "proportion of heterogeneity likely due to threshold effect" = ρ̂² (§5.7): a
    /// heuristic that discards the sign of ρ.
    pub threshold_share_rho2: Option<f64>,
}

/// Threshold-effect block (METHODS §6).
#[derive(Clone, Debug, Serialize)]
pub struct Threshold {
    pub spearman_rho: f64,
    pub p_value: f64,
    pub method: String,
    pub k: usize,
}

/// Fagan block (METHODS §8.1).
#[derive(Clone, Debug, Serialize)]
pub struct FaganBlock {
    pub pretest: f64,
    pub pretest_source: String,
    pub lr_positive: f64,
    pub lr_negative: f64,
    pub post_positive: Estimate,
    pub post_negative: Estimate,
}

/// Everything reported for one set of studies (the whole data set or one subgroup).
#[derive(Clone, Debug, Serialize)]
pub struct Block {
    pub k: usize,
    #[serde(flatten)]
    pub fit: Option<BivariateResult>,
    /// Why there is no pooled fit (e.g. a subgroup with one study).
    pub fit_error: Option<String>,
    pub studies: Vec<StudyAccuracy>,
    pub heterogeneity: Heterogeneity,
    pub threshold: Option<Threshold>,
    pub deeks: Option<DeeksResult>,
    pub lfk: Option<LfkResult>,
    pub fagan: Option<FaganBlock>,
    pub lr_scattergram: Option<LrScattergram>,
    pub warnings: Vec<String>,
}

/// One row of the subgroup table.
#[derive(Clone, Debug, Serialize)]
pub struct Subgroup {
    pub level: String,
    #[serde(flatten)]
    pub block: Block,
}

/// The subgroup table for one grouping.
#[derive(Clone, Debug, Serialize)]
pub struct SubgroupTable {
    pub grouping: Grouping,
    pub levels: Vec<Subgroup>,
    /// Rows left out because their grouping value is missing.
    pub missing: usize,
}

/// A meta-regression or the reason it could not be fitted.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum MetaRegOutcome {
    Fit(Box<MetaRegression>),
    Error { error: String },
}

/// Sensitivity and influence analyses of the overall fit (METHODS §10).
#[derive(Clone, Debug, Serialize)]
pub struct InfluenceBlock {
    pub loo: Vec<influence::LooRow>,
    pub cooks_distance: Vec<Option<f64>>,
    pub cooks_threshold: f64,
    pub empirical_bayes: Vec<influence::EbRow>,
    pub weights: Vec<influence::WeightRow>,
    /// When a cluster column repeats: the analysis with one row per cluster, and leave-one-cluster-out.
    pub cluster: Option<ClusterBlock>,
}

/// The cluster sensitivity analysis (METHODS §1.1, §10.1).
#[derive(Clone, Debug, Serialize)]
pub struct ClusterBlock {
    pub note: String,
    pub n_clusters: usize,
    pub one_row_per_cluster: Box<Block>,
    pub leave_cluster_out: Option<Vec<influence::LooRow>>,
}

/// The complete analysis.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    #[serde(flatten)]
    pub overall: Block,
    pub excluded: Vec<String>,
    pub subgroups: Option<SubgroupTable>,
    pub meta_regression: Option<BTreeMap<String, MetaRegOutcome>>,
    pub influence: Option<InfluenceBlock>,
}

/// Median of the per-study prevalences `n1/N` (the default pre-test probability).
pub fn median_prevalence(studies: &[Study]) -> Option<f64> {
    let mut p: Vec<f64> = studies
        .iter()
        .filter(|s| s.n_total() > 0)
        .map(|s| s.n_diseased() as f64 / s.n_total() as f64)
        .collect();
    if p.is_empty() {
        return None;
    }
    p.sort_by(|a, b| a.total_cmp(b));
    let n = p.len();
    Some(if n % 2 == 1 { p[n / 2] } else { 0.5 * (p[n / 2 - 1] + p[n / 2]) })
}

/// Analyse one set of studies: the pooled fit and every §1, §5–§8 summary. Failures of a part are
/// recorded as warnings (and `None`), never abort the block.
pub fn analyze_block(studies: &[Study], cfg: &AnalysisConfig) -> Block {
    let k = studies.len();
    let mut warnings = Vec::new();
    let (fit, fit_error) = match analyze(studies, &cfg.fit) {
        Ok(f) => (Some(f), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let table = per_study(studies, &cfg.accuracy);
    let studies_out = match table {
        Ok(t) => {
            warnings.extend(t.warnings.clone());
            t.rows
        }
        Err(e) => {
            warnings.push(e.to_string());
            Vec::new()
        }
    };
    let level = cfg.fit.level;
    let note = |w: &mut Vec<String>, what: &str, e: &dyn std::fmt::Display| w.push(format!("{what}: {e}"));
    let uni = |m: Margin, w: &mut Vec<String>| match univariate_logit(studies, m, &cfg.correction, level) {
        Ok(q) => Some(UniHet::from(&q)),
        Err(e) => {
            note(w, "univariate heterogeneity", &e);
            None
        }
    };
    let logit_sens = uni(Margin::Sensitivity, &mut warnings);
    let logit_spec = uni(Margin::Specificity, &mut warnings);
    let midas = midas_q(studies, level).map_err(|e| note(&mut warnings, "midas Q", &e)).ok();
    let glmm = fit.as_ref().filter(|_| cfg.fit.method != Method::Reitsma);
    let lrt = glmm.and_then(|f| {
        let fe = loglik_fixed_effect(studies).ok()?;
        lrt_heterogeneity(f.model.loglik, fe.loglik).ok()
    });
    let zd = fit.as_ref().and_then(|f| {
        let m = &f.model;
        zhou_dendukuri(
            studies,
            m.mu_logit_sens,
            m.mu_logit_spec,
            m.tau2_logit_sens,
            m.tau2_logit_spec,
            m.rho.unwrap_or(0.0),
        )
        .ok()
    });
    let rho2 = fit.as_ref().and_then(|f| f.model.rho).and_then(threshold_share_rho2);
    let threshold = match spearman_threshold(
        studies,
        &SpearmanConfig { correction: cfg.correction, p_method: cfg.spearman_p },
    ) {
        Ok(s) => {
            warnings.extend(s.warnings.iter().cloned());
            Some(Threshold {
                spearman_rho: s.result.rho,
                p_value: s.result.p_value,
                method: s.result.method.clone(),
                k: s.result.k,
            })
        }
        Err(e) => {
            note(&mut warnings, "Spearman threshold effect", &e);
            None
        }
    };
    let deeks = deeks_test(studies, &DeeksConfig { correction: cfg.correction, ..DeeksConfig::default() })
        .map_err(|e| note(&mut warnings, "Deeks' test", &e))
        .ok();
    let lfk_r = lfk(studies, &cfg.correction).map_err(|e| note(&mut warnings, "LFK index", &e)).ok();
    for w in deeks.iter().flat_map(|d| d.warnings.iter()).chain(lfk_r.iter().flat_map(|l| l.warnings.iter()))
    {
        if !warnings.contains(w) {
            warnings.push(w.clone());
        }
    }
    let fagan_b = fit.as_ref().and_then(|f| {
        let (pre, src) = match cfg.pretest {
            Some(p) => (p, "user".to_string()),
            None => (median_prevalence(studies)?, "median prevalence of the studies".to_string()),
        };
        let s = &f.summary;
        let fg = fagan(&FaganInput {
            pre_test: pre,
            lr_positive: s.lr_positive.estimate,
            lr_positive_ci: Some(s.lr_positive.ci),
            lr_negative: s.lr_negative.estimate,
            lr_negative_ci: Some(s.lr_negative.ci),
        })
        .ok()?;
        Some(FaganBlock {
            pretest: pre,
            pretest_source: src,
            lr_positive: s.lr_positive.estimate,
            lr_negative: s.lr_negative.estimate,
            post_positive: fg.post_test_positive,
            post_negative: fg.post_test_negative,
        })
    });
    let lrs = lr_scattergram(
        studies,
        &cfg.correction,
        fit.as_ref().map(|f| (f.summary.lr_positive, f.summary.lr_negative)),
    )
    .ok();
    Block {
        k,
        fit,
        fit_error,
        studies: studies_out,
        heterogeneity: Heterogeneity {
            logit_sens,
            logit_spec,
            midas,
            lrt,
            zhou_dendukuri: zd,
            threshold_share_rho2: rho2,
        },
        threshold,
        deeks,
        lfk: lfk_r,
        fagan: fagan_b,
        lr_scattergram: lrs,
        warnings,
    }
}

/// Errors that stop the whole analysis (everything else is reported inside it).
#[derive(Clone, Debug, PartialEq)]
pub enum AnalysisError {
    NoStudies,
    UnknownCovariate(String),
    NotNumeric(String),
}

impl std::fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnalysisError::NoStudies => write!(f, "no studies to analyse"),
            AnalysisError::UnknownCovariate(c) => write!(f, "no covariate column named '{c}'"),
            AnalysisError::NotNumeric(c) => {
                write!(f, "covariate '{c}' is not numeric, so it cannot be split at a threshold")
            }
        }
    }
}

impl std::error::Error for AnalysisError {}

/// The group label of each study under a grouping (None = missing value).
pub fn group_labels(data: &Dataset, g: &Grouping) -> Result<Vec<Option<String>>, AnalysisError> {
    let get = |n: &str| data.covariate(n).ok_or_else(|| AnalysisError::UnknownCovariate(n.to_string()));
    let k = data.studies.len();
    Ok(match g {
        Grouping::By(c) => {
            let cov = get(c)?;
            (0..k).map(|i| cov.label_of(i)).collect()
        }
        Grouping::Split(c, t) => {
            let cov = get(c)?;
            if cov.kind != CovariateKind::Numeric {
                return Err(AnalysisError::NotNumeric(c.clone()));
            }
            (0..k)
                .map(|i| cov.number_of(i).map(|x| if x < *t { format!("< {t}") } else { format!("≥ {t}") }))
                .collect()
        }
        Grouping::Cross(a, b) => {
            let (ca, cb) = (get(a)?, get(b)?);
            (0..k).map(|i| Some(format!("{} × {}", ca.label_of(i)?, cb.label_of(i)?))).collect()
        }
    })
}

/// The covariate columns a grouping implies, for meta-regression (a split becomes a 2-level factor).
fn regression_covariates(data: &Dataset, g: &Grouping, labels: &[Option<String>]) -> Vec<Covariate> {
    use crate::data::CovariateValue;
    match g {
        Grouping::By(c) => data.covariate(c).cloned().into_iter().collect(),
        Grouping::Split(c, _) => vec![Covariate {
            name: c.clone(),
            kind: CovariateKind::Categorical,
            values: labels
                .iter()
                .map(|l| l.clone().map_or(CovariateValue::Missing, CovariateValue::Category))
                .collect(),
        }],
        Grouping::Cross(a, b) => [a, b].iter().filter_map(|n| data.covariate(n).cloned()).collect(),
    }
}

/// Run the complete analysis on a validated data set.
///
/// # Errors
/// [`AnalysisError`] when nothing is left to analyse or the grouping names an unknown column.
pub fn run(data: &Dataset, cfg: &AnalysisConfig) -> Result<Analysis, AnalysisError> {
    let keep: Vec<usize> =
        (0..data.studies.len()).filter(|&i| !cfg.exclude.contains(&data.studies[i].label)).collect();
    let excluded: Vec<String> =
        data.studies.iter().filter(|s| cfg.exclude.contains(&s.label)).map(|s| s.label.clone()).collect();
    let data = data.subset(&keep);
    if data.studies.is_empty() {
        return Err(AnalysisError::NoStudies);
    }
    let overall = analyze_block(&data.studies, cfg);
    let (subgroups, metareg) = match &cfg.grouping {
        None => (None, None),
        Some(Grouping::By(c)) if data.covariate(c).is_some_and(|cv| cv.kind == CovariateKind::Numeric) => {
            // A numeric covariate is a regressor, not a grouping: no table with one row per value.
            let cov = data.covariate(c).cloned().ok_or_else(|| AnalysisError::UnknownCovariate(c.clone()))?;
            let mr = if cfg.meta_regression && cfg.fit.method != Method::Reitsma {
                let out = match meta_regression(&data.studies, &cov, &cfg.fit) {
                    Ok(r) => MetaRegOutcome::Fit(Box::new(r)),
                    Err(e) => MetaRegOutcome::Error { error: e.to_string() },
                };
                Some(BTreeMap::from([(cov.name.clone(), out)]))
            } else {
                None
            };
            (None, mr)
        }
        Some(g) => {
            let labels = group_labels(&data, g)?;
            let mut levels: Vec<String> = labels.iter().flatten().cloned().collect();
            levels.sort();
            levels.dedup();
            let rows = levels
                .iter()
                .map(|lv| {
                    let idx: Vec<usize> =
                        (0..labels.len()).filter(|&i| labels[i].as_deref() == Some(lv.as_str())).collect();
                    let st: Vec<Study> = idx.iter().map(|&i| data.studies[i].clone()).collect();
                    Subgroup { level: lv.clone(), block: analyze_block(&st, cfg) }
                })
                .collect();
            let missing = labels.iter().filter(|l| l.is_none()).count();
            let mr = if cfg.meta_regression && cfg.fit.method != Method::Reitsma {
                let mut m = BTreeMap::new();
                for cov in regression_covariates(&data, g, &labels) {
                    let out = match meta_regression(&data.studies, &cov, &cfg.fit) {
                        Ok(r) => MetaRegOutcome::Fit(Box::new(r)),
                        Err(e) => MetaRegOutcome::Error { error: e.to_string() },
                    };
                    m.insert(cov.name.clone(), out);
                }
                Some(m)
            } else {
                None
            };
            (Some(SubgroupTable { grouping: g.clone(), levels: rows, missing }), mr)
        }
    };
    let infl = if cfg.influence { influence_block(&data, &overall, cfg) } else { None };
    Ok(Analysis { overall, excluded, subgroups, meta_regression: metareg, influence: infl })
}

/// The §10 analyses of the overall fit (None when there is no pooled fit).
pub fn influence_block(data: &Dataset, overall: &Block, cfg: &AnalysisConfig) -> Option<InfluenceBlock> {
    let full = overall.fit.as_ref()?;
    let loo = influence::leave_one_out(&data.studies, &cfg.fit, full);
    let cooks = influence::cooks_distance(full, &loo);
    let cluster = data.cluster_covariate().and_then(|_| {
        let one = influence::one_row_per_cluster_with_note(data);
        if one.n_clusters >= data.studies.len() {
            return None;
        }
        Some(ClusterBlock {
            note: one.note.clone(),
            n_clusters: one.n_clusters,
            one_row_per_cluster: Box::new(analyze_block(&one.studies, cfg)),
            leave_cluster_out: influence::leave_cluster_out(
                data,
                &cfg.fit,
                full,
                &influence::LooConfig::default(),
            ),
        })
    });
    Some(InfluenceBlock {
        cooks_threshold: influence::cooks_threshold(data.studies.len()),
        cooks_distance: cooks,
        empirical_bayes: influence::empirical_bayes(&data.studies, full, cfg.fit.level),
        weights: influence::study_weights(&data.studies, full),
        loo,
        cluster,
    })
}

impl AnalysisConfig {
    /// The analysis configuration for the user's settings (page, permalink).
    pub fn from_settings(s: &crate::settings::AnalysisSettings) -> AnalysisConfig {
        use crate::settings as st;
        use crate::stats::bivariate::AucCi;
        use crate::stats::summary::RegionKind;
        let mut c = AnalysisConfig::default();
        c.fit.method = match s.model {
            st::Model::Aghq => Method::Aghq,
            st::Model::Laplace => Method::Laplace,
            st::Model::Reitsma => Method::Reitsma,
        };
        c.fit.nodes = (s.nodes as usize).clamp(1, 41);
        if s.ci_level > 0.5 && s.ci_level < 1.0 {
            c.fit.level = s.ci_level;
            c.accuracy.level = s.ci_level;
        }
        c.fit.region = match s.region {
            st::RegionKind::F => RegionKind::F,
            st::RegionKind::ChiSquare => RegionKind::ChiSquare,
        };
        c.fit.auc_ci = match s.auc_ci {
            st::AucCi::Bootstrap => AucCi::Bootstrap,
            st::AucCi::Delta => AucCi::Delta,
        };
        c.correction = s.correction;
        c.accuracy.correction = s.correction;
        c.accuracy.ci_method = match s.ci_method {
            st::CiMethod::ClopperPearson => crate::stats::accuracy::CiMethod::ClopperPearson,
            st::CiMethod::Wilson => crate::stats::accuracy::CiMethod::Wilson,
        };
        c.pretest = s.pretest.filter(|p| *p > 0.0 && *p < 1.0);
        c.exclude = s.excluded.clone();
        c.grouping = match (&s.cross, &s.covariate, s.split_threshold) {
            (Some((a, b)), _, _) => Some(Grouping::Cross(a.clone(), b.clone())),
            (None, Some(cov), Some(t)) => Some(Grouping::Split(cov.clone(), t)),
            (None, Some(cov), None) => Some(Grouping::By(cov.clone())),
            _ => None,
        };
        c
    }
}
