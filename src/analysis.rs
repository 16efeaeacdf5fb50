//! The whole analysis a review reports: the pooled bivariate fit and every summary around it
//! (issues #3–#5), for the full data set and for each subgroup, plus meta-regression and the
//! leave-one-out analyses. Pure: no I/O; the CLI and the page serialise [`Analysis`] to JSON and
//! hand it to [`crate::report`].
//!
//! Two ways in, one code path:
//! * [`run`] — everything at once (the CLI, tests);
//! * [`Staged`] — the same work in the stages the page schedules: [`Staged::overall`] (the
//!   overall fit without the AUC bootstrap), [`Staged::complete_overall`] (adds it, no refit),
//!   [`Staged::groups`] (subgroup table and meta-regression), [`Staged::loo_rows`] (leave-one-out
//!   refits by range) and [`Staged::finish`]. Exclusions are applied once, in [`Staged::new`].
//!
//! Settings enter through [`AnalysisConfig::try_from`]`(&AnalysisSettings)`, the one fallible
//! conversion; the confidence level and the continuity correction are stored once (in the
//! settings) and handed to each statistic from there.

pub mod bayes;

use crate::data::correction::Correction;
use crate::data::{Covariate, CovariateKind, Dataset, Study};
use crate::settings::{AnalysisSettings, SettingsError};
use crate::stats::accuracy::{per_study, AccuracyConfig, StudyAccuracy};
use crate::stats::bivariate::{
    add_auc_interval, analyze, AucCi, BivariateResult, FitConfig, FitError, Method,
};
use crate::stats::comparative::{comparison, ComparisonBlock};
use crate::stats::estimate::Estimate;
use crate::stats::fagan::{fagan, lr_scattergram, FaganInput, LrScattergram};
use crate::stats::heterogeneity::{
    loglik_fixed_effect, lrt_heterogeneity, midas_q, threshold_share_rho2, univariate_logit, zhou_dendukuri,
    InverseVarianceQ, LrtHeterogeneity, Margin, MidasHeterogeneity, ZhouDendukuri,
};
use crate::stats::influence;
use crate::stats::metareg::{meta_regression, MetaRegError, MetaRegression};
use crate::stats::pubbias::{deeks_test, lfk, DeeksConfig, DeeksResult, LfkResult};
use crate::stats::threshold::{spearman_threshold, SpearmanConfig, SpearmanPMethod, SpearmanPUsed};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod rob;
pub use rob::{low_risk_analysis, LowRiskAnalysis, LowRiskLeftOut};
pub mod models;
pub mod revman;

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

/// A validated configuration: the user's [`AnalysisSettings`] (checked by
/// [`AnalysisConfig::try_from`]) plus the knobs no user sets (bootstrap draws and seed, Spearman
/// p-value method, whether meta-regression runs). The statistics' own configurations
/// ([`FitConfig`], [`AccuracyConfig`]) are derived views ([`AnalysisConfig::fit`],
/// [`AnalysisConfig::accuracy`]), so the level and the correction exist in one place only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisConfig {
    settings: AnalysisSettings,
    pub spearman_p: SpearmanPMethod,
    /// Run the bivariate meta-regression on the grouping covariate(s). Default true.
    pub meta_regression: bool,
    /// Parametric-bootstrap draws for the AUC interval (default 2000, METHODS §4.6).
    pub bootstrap_draws: usize,
    /// Seed of the AUC bootstrap (default 20240601; the same on native and wasm).
    pub seed: u64,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        let fit = FitConfig::default();
        AnalysisConfig {
            settings: AnalysisSettings::default(),
            spearman_p: SpearmanPMethod::TApproximation,
            meta_regression: true,
            bootstrap_draws: fit.bootstrap_draws,
            seed: fit.seed,
        }
    }
}

impl TryFrom<&AnalysisSettings> for AnalysisConfig {
    type Error = SettingsError;
    /// The one conversion from the user's choices: every range is checked
    /// ([`AnalysisSettings::validate`]); nothing is clamped.
    fn try_from(s: &AnalysisSettings) -> Result<Self, SettingsError> {
        s.validate()?;
        Ok(AnalysisConfig { settings: s.clone(), ..AnalysisConfig::default() })
    }
}

impl TryFrom<AnalysisSettings> for AnalysisConfig {
    type Error = SettingsError;
    fn try_from(s: AnalysisSettings) -> Result<Self, SettingsError> {
        AnalysisConfig::try_from(&s)
    }
}

impl AnalysisConfig {
    /// The settings this configuration was made from.
    pub fn settings(&self) -> &AnalysisSettings {
        &self.settings
    }
    /// The confidence level (the one copy).
    pub fn level(&self) -> f64 {
        self.settings.ci_level
    }
    /// The continuity correction of the two-step methods (the one copy).
    pub fn correction(&self) -> Correction {
        self.settings.correction
    }
    /// The configuration of the pooled fit.
    pub fn fit(&self) -> FitConfig {
        let s = &self.settings;
        FitConfig {
            method: s.model,
            nodes: s.nodes as usize,
            level: s.ci_level,
            region: s.region,
            auc_ci: s.auc_ci,
            bootstrap_draws: self.bootstrap_draws,
            seed: self.seed,
            ..FitConfig::default()
        }
    }
    /// The configuration of the per-study table.
    pub fn accuracy(&self) -> AccuracyConfig {
        let s = &self.settings;
        AccuracyConfig {
            ci_method: s.ci_method,
            level: s.ci_level,
            correction: s.correction,
            mada_compatible: false,
        }
    }
    /// The grouping the settings ask for: crossed covariates, a split numeric covariate, or one covariate.
    pub fn grouping(&self) -> Option<Grouping> {
        let s = &self.settings;
        match (&s.cross, &s.covariate, s.split_threshold) {
            (Some((a, b)), _, _) => Some(Grouping::Cross(a.clone(), b.clone())),
            (None, Some(cov), Some(t)) => Some(Grouping::Split(cov.clone(), t)),
            (None, Some(cov), None) => Some(Grouping::By(cov.clone())),
            _ => None,
        }
    }
    /// Whether the §10 analyses (leave-one-out etc.) are part of [`run`].
    pub fn influence(&self) -> bool {
        self.settings.leave_one_out
    }
}

/// Univariate heterogeneity of one margin (METHODS §5.2) in the JSON shape of issue #4.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Threshold {
    pub spearman_rho: f64,
    pub p_value: f64,
    pub method: SpearmanPUsed,
    pub k: usize,
}

/// Fagan block (METHODS §8.1).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FaganBlock {
    pub pretest: f64,
    pub pretest_source: String,
    pub lr_positive: f64,
    pub lr_negative: f64,
    pub post_positive: Estimate,
    pub post_negative: Estimate,
}

/// Everything reported for one set of studies (the whole data set or one subgroup).
///
/// People's JSON shows the fit's fields beside the block's (`#[serde(flatten)]`). The page's
/// worker messages carry the block as [`wire::Block`], with the fit nested: flattening makes a
/// decoder buffer every field of the block before reading it (serde's `Content`), which made
/// decoding schuetz's subgroups on the page take 50–70 ms. Results are only ever read back from
/// worker messages, so `Deserialize` reads the nested form only.
#[derive(Clone, Debug, Serialize)]
#[serde(remote = "Self")]
pub struct Block {
    pub k: usize,
    #[serde(flatten)]
    pub fit: Option<BivariateResult>,
    /// Why there is no pooled fit (e.g. a subgroup with one study).
    pub fit_error: Option<FitError>,
    pub studies: Vec<StudyAccuracy>,
    pub heterogeneity: Heterogeneity,
    pub threshold: Option<Threshold>,
    pub deeks: Option<DeeksResult>,
    pub lfk: Option<LfkResult>,
    pub fagan: Option<FaganBlock>,
    pub lr_scattergram: Option<LrScattergram>,
    /// Percentage study weights in the pooled estimates (METHODS §10.5; empty without a GLMM fit).
    pub weights: Vec<influence::WeightRow>,
    pub warnings: Vec<String>,
}

/// One row of the subgroup table (in worker messages [`wire::Subgroup`]: see [`Block`]).
#[derive(Clone, Debug, Serialize)]
#[serde(remote = "Self")]
pub struct Subgroup {
    pub level: String,
    #[serde(flatten)]
    pub block: Block,
}

/// The shapes of [`Block`] and [`Subgroup`] in the page's worker messages: the same fields,
/// nothing flattened. serde's remote derives read and write the real types directly (no copy).
pub mod wire {
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(remote = "super::Block")]
    pub struct Block {
        k: usize,
        fit: Option<BivariateResult>,
        fit_error: Option<FitError>,
        studies: Vec<StudyAccuracy>,
        heterogeneity: Heterogeneity,
        threshold: Option<Threshold>,
        deeks: Option<DeeksResult>,
        lfk: Option<LfkResult>,
        fagan: Option<FaganBlock>,
        lr_scattergram: Option<LrScattergram>,
        weights: Vec<influence::WeightRow>,
        warnings: Vec<String>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(remote = "super::Subgroup")]
    pub struct Subgroup {
        level: String,
        block: super::Block,
    }
}

impl Serialize for Block {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if crate::stats::for_people(self) {
            Block::serialize(self, s)
        } else {
            wire::Block::serialize(self, s)
        }
    }
}

impl<'de> Deserialize<'de> for Block {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        wire::Block::deserialize(d)
    }
}

impl Serialize for Subgroup {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if crate::stats::for_people(self) {
            Subgroup::serialize(self, s)
        } else {
            wire::Subgroup::serialize(self, s)
        }
    }
}

impl<'de> Deserialize<'de> for Subgroup {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        wire::Subgroup::deserialize(d)
    }
}

/// The subgroup table for one grouping.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubgroupTable {
    pub grouping: Grouping,
    pub levels: Vec<Subgroup>,
    /// Rows left out because their grouping value is missing.
    pub missing: usize,
    /// Their study labels.
    pub missing_labels: Vec<String>,
}

/// A meta-regression or the reason it could not be fitted.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetaRegOutcome {
    Fit(Box<MetaRegression>),
    Error { error: MetaRegError },
}

/// Sensitivity and influence analyses of the overall fit (METHODS §10).
#[derive(Clone, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClusterBlock {
    pub note: String,
    pub n_clusters: usize,
    pub one_row_per_cluster: Box<Block>,
    pub leave_cluster_out: Option<Vec<influence::LooRow>>,
}

/// The complete analysis.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Analysis {
    /// The settings the numbers were computed from: every label (levels, methods) comes from here.
    pub settings: AnalysisSettings,
    #[serde(flatten)]
    pub overall: Block,
    pub excluded: Vec<String>,
    pub subgroups: Option<SubgroupTable>,
    pub meta_regression: Option<BTreeMap<String, MetaRegOutcome>>,
    pub influence: Option<InfluenceBlock>,
    /// The sensitivity analysis restricted to the studies at low risk of bias (settings'
    /// `risk_of_bias.low_risk`; issue #15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_risk: Option<LowRiskAnalysis>,
    /// RevMan's externally calculated parameters (METHODS §18) with the HSROC SEs (§4.4), one
    /// entry per fitted analysis: overall, then each subgroup.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revman: Vec<revman::RevmanEntry>,
    /// ICC, median odds ratio and prediction-ellipse area (§5.5), one entry per fitted analysis.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dispersion: Vec<revman::DispersionEntry>,
    /// The Bayesian fit, when the settings ask for one (issue #16).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bayes: Option<bayes::BayesBlock>,
    /// The bivariate model under two alternative priors (when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bayes_prior_sensitivity: Option<Vec<bayes::Alternative>>,
    /// HSROC meta-regression and the three-level model (issue #13), when the settings ask.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<models::ModelsBlock>,
    /// The comparison of index tests (METHODS §15) when the settings name a test column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<ComparisonBlock>,
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
    block_with(studies, cfg, &cfg.fit())
}

/// [`analyze_block`] with the pooled fit's configuration given (the page's first stage skips the
/// AUC bootstrap).
fn block_with(studies: &[Study], cfg: &AnalysisConfig, fit_cfg: &FitConfig) -> Block {
    let correction = cfg.correction();
    let k = studies.len();
    let mut warnings = Vec::new();
    let (fit, fit_error) = match analyze(studies, fit_cfg) {
        Ok(f) => (Some(f), None),
        Err(e) => (None, Some(e)),
    };
    let table = per_study(studies, &cfg.accuracy());
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
    let level = cfg.level();
    let note = |w: &mut Vec<String>, what: &str, e: &dyn std::fmt::Display| w.push(format!("{what}: {e}"));
    let uni = |m: Margin, w: &mut Vec<String>| match univariate_logit(studies, m, &correction, level) {
        Ok(q) => Some(UniHet::from(&q)),
        Err(e) => {
            note(w, "univariate heterogeneity", &e);
            None
        }
    };
    let logit_sens = uni(Margin::Sensitivity, &mut warnings);
    let logit_spec = uni(Margin::Specificity, &mut warnings);
    let midas = midas_q(studies, level).map_err(|e| note(&mut warnings, "midas Q", &e)).ok();
    let glmm = fit.as_ref().filter(|_| fit_cfg.method != Method::Reitsma);
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
    let threshold =
        match spearman_threshold(studies, &SpearmanConfig { correction, p_method: cfg.spearman_p }) {
            Ok(s) => {
                warnings.extend(s.warnings.iter().cloned());
                Some(Threshold {
                    spearman_rho: s.result.rho,
                    p_value: s.result.p_value,
                    method: s.result.method,
                    k: s.result.k,
                })
            }
            Err(e) => {
                note(&mut warnings, "Spearman threshold effect", &e);
                None
            }
        };
    let deeks = deeks_test(studies, &DeeksConfig { correction, ..DeeksConfig::default() })
        .map_err(|e| note(&mut warnings, "Deeks' test", &e))
        .ok();
    let lfk_r = lfk(studies, &correction).map_err(|e| note(&mut warnings, "LFK index", &e)).ok();
    for w in deeks.iter().flat_map(|d| d.warnings.iter()).chain(lfk_r.iter().flat_map(|l| l.warnings.iter()))
    {
        if !warnings.contains(w) {
            warnings.push(w.clone());
        }
    }
    let fagan_b = fit.as_ref().and_then(|f| {
        let (pre, src) = match cfg.settings().pretest {
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
        &correction,
        fit.as_ref().map(|f| (f.summary.lr_positive, f.summary.lr_negative)),
    )
    .ok();
    let weights = fit.as_ref().map(|f| influence::study_weights(studies, f)).unwrap_or_default();
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
        weights,
        warnings,
    }
}

/// Errors that stop the whole analysis (everything else is reported inside it).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AnalysisError {
    NoStudies,
    /// No covariate column has this name; the second field lists the columns there are.
    UnknownCovariate(String, Vec<String>),
    NotNumeric(String),
    /// A setting is out of range (from [`run_settings`]).
    Settings(SettingsError),
}

impl std::fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnalysisError::NoStudies => write!(f, "no studies to analyse"),
            AnalysisError::UnknownCovariate(c, there) if there.is_empty() => {
                write!(f, "no covariate column named '{c}' (the data have no covariate columns)")
            }
            AnalysisError::UnknownCovariate(c, there) => {
                write!(f, "no covariate column named '{c}' (the columns are: {})", there.join(", "))
            }
            AnalysisError::NotNumeric(c) => {
                write!(f, "covariate '{c}' is not numeric, so it cannot be split at a threshold")
            }
            AnalysisError::Settings(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for AnalysisError {}

impl From<SettingsError> for AnalysisError {
    fn from(e: SettingsError) -> Self {
        AnalysisError::Settings(e)
    }
}

/// The group label of each study under a grouping (None = missing value).
pub fn group_labels(data: &Dataset, g: &Grouping) -> Result<Vec<Option<String>>, AnalysisError> {
    let get = |n: &str| {
        data.covariate(n).ok_or_else(|| {
            let there = data.covariates.iter().map(|c| c.name.clone()).collect();
            AnalysisError::UnknownCovariate(n.to_string(), there)
        })
    };
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

/// The subgroup table and the meta-regression of one grouping (stage 2).
#[derive(Clone, Debug, Default)]
pub struct Groups {
    pub subgroups: Option<SubgroupTable>,
    pub meta_regression: Option<BTreeMap<String, MetaRegOutcome>>,
}

/// One analysis, run in stages (see the module docs). Built once per input and settings; every
/// stage reads the same excluded-already data and the same configuration.
#[derive(Clone, Debug)]
pub struct Staged {
    cfg: AnalysisConfig,
    /// The input without the excluded rows.
    data: Dataset,
    excluded: Vec<String>,
}

impl Staged {
    /// Apply the exclusions.
    ///
    /// # Errors
    /// [`AnalysisError::NoStudies`] when nothing is left.
    pub fn new(data: &Dataset, cfg: &AnalysisConfig) -> Result<Staged, AnalysisError> {
        let ex = &cfg.settings().excluded;
        let keep: Vec<usize> =
            (0..data.studies.len()).filter(|&i| !ex.contains(&data.studies[i].label)).collect();
        let excluded: Vec<String> =
            data.studies.iter().filter(|s| ex.contains(&s.label)).map(|s| s.label.clone()).collect();
        let data = data.subset(&keep);
        if data.studies.is_empty() {
            return Err(AnalysisError::NoStudies);
        }
        Ok(Staged { cfg: cfg.clone(), data, excluded })
    }

    /// The configuration every stage uses.
    pub fn config(&self) -> &AnalysisConfig {
        &self.cfg
    }

    /// The analysed rows (exclusions applied).
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// Stage 1: the overall block without the AUC interval (everything else complete).
    pub fn overall(&self) -> Block {
        let fit_cfg = FitConfig { auc_ci: AucCi::None, ..self.cfg.fit() };
        block_with(&self.data.studies, &self.cfg, &fit_cfg)
    }

    /// Stage 2a: the AUC interval the settings ask for, added to a block from [`Staged::overall`]
    /// (no refit: the interval needs only the fit's parameters and their covariance).
    pub fn complete_overall(&self, block: &mut Block) {
        if let Some(f) = block.fit.as_mut() {
            add_auc_interval(f, &self.cfg.fit());
        }
    }

    /// Stage 2b: the subgroup table and the meta-regression of the grouping in the settings
    /// ([`Staged::subgroups`], then [`Staged::meta_regression`]: the page runs them as two tasks).
    ///
    /// # Errors
    /// When the grouping names an unknown column, or splits a categorical one.
    pub fn groups(&self) -> Result<Groups, AnalysisError> {
        let (mut g, covs) = self.subgroups()?;
        g.meta_regression = self.meta_regression(covs);
        Ok(g)
    }

    /// The meta-regression on `covs` (from [`Staged::subgroups`]); `None` when the settings turn
    /// it off or the method is REML.
    pub fn meta_regression(&self, covs: Option<Vec<Covariate>>) -> Option<BTreeMap<String, MetaRegOutcome>> {
        let cfg = &self.cfg;
        let fit_cfg = cfg.fit();
        let covs = covs?;
        if !cfg.meta_regression || fit_cfg.method == Method::Reitsma {
            return None;
        }
        let mut m = BTreeMap::new();
        for cov in covs {
            let out = match meta_regression(&self.data.studies, &cov, &fit_cfg) {
                Ok(r) => MetaRegOutcome::Fit(Box::new(r)),
                Err(e) => MetaRegOutcome::Error { error: e },
            };
            m.insert(cov.name.clone(), out);
        }
        Some(m)
    }

    /// Stage 2b without the meta-regression: the subgroup table of the grouping in the settings,
    /// and the covariates its meta-regression uses (`None`: no grouping).
    ///
    /// # Errors
    /// When the grouping names an unknown column, or splits a categorical one.
    pub fn subgroups(&self) -> Result<(Groups, Option<Vec<Covariate>>), AnalysisError> {
        let cfg = &self.cfg;
        let data = &self.data;
        Ok(match cfg.grouping() {
            None => (Groups::default(), None),
            Some(Grouping::By(c))
                if data.covariate(&c).is_some_and(|cv| cv.kind == CovariateKind::Numeric) =>
            {
                // A numeric covariate is a regressor, not a grouping: no table with one row per value.
                (Groups::default(), Some(data.covariate(&c).cloned().into_iter().collect()))
            }
            Some(g) => {
                let labels = group_labels(data, &g)?;
                let mut levels: Vec<String> = labels.iter().flatten().cloned().collect();
                levels.sort();
                levels.dedup();
                let rows = levels
                    .iter()
                    .map(|lv| {
                        let st: Vec<Study> = (0..labels.len())
                            .filter(|&i| labels[i].as_deref() == Some(lv.as_str()))
                            .map(|i| data.studies[i].clone())
                            .collect();
                        Subgroup { level: lv.clone(), block: analyze_block(&st, cfg) }
                    })
                    .collect();
                let missing_labels: Vec<String> = (0..labels.len())
                    .filter(|&i| labels[i].is_none())
                    .map(|i| data.studies[i].label.clone())
                    .collect();
                let covs = regression_covariates(data, &g, &labels);
                let table = SubgroupTable {
                    grouping: g,
                    levels: rows,
                    missing: missing_labels.len(),
                    missing_labels,
                };
                (Groups { subgroups: Some(table), meta_regression: None }, Some(covs))
            }
        })
    }

    /// Stage 3: the leave-one-out refits of rows `range` (each warm-started from `full`, the
    /// overall fit). Natively a whole range is spread over the cores.
    pub fn loo_rows(&self, full: &BivariateResult, range: std::ops::Range<usize>) -> Vec<influence::LooRow> {
        let studies = &self.data.studies;
        let fit_cfg = self.cfg.fit();
        let end = range.end.min(studies.len());
        if range.start == 0 && end == studies.len() {
            return influence::leave_one_out(studies, &fit_cfg, full);
        }
        (range.start..end).map(|i| influence::leave_one_out_row(studies, i, &fit_cfg, full)).collect()
    }

    /// The number of leave-one-out rows.
    pub fn n_loo(&self) -> usize {
        self.data.studies.len()
    }

    /// The §10 block from the overall fit and its leave-one-out rows (None without a pooled fit).
    pub fn influence(&self, overall: &Block, loo: Vec<influence::LooRow>) -> Option<InfluenceBlock> {
        let full = overall.fit.as_ref()?;
        let data = &self.data;
        let fit_cfg = self.cfg.fit();
        let cooks = influence::cooks_distance(full, &loo);
        let cluster = data.cluster_covariate().and_then(|_| {
            let one = influence::one_row_per_cluster_with_note(data);
            if one.n_clusters >= data.studies.len() {
                return None;
            }
            Some(ClusterBlock {
                note: one.note.clone(),
                n_clusters: one.n_clusters,
                one_row_per_cluster: Box::new(analyze_block(&one.studies, &self.cfg)),
                leave_cluster_out: influence::leave_cluster_out(
                    data,
                    &fit_cfg,
                    full,
                    &influence::LooConfig::default(),
                ),
            })
        });
        Some(InfluenceBlock {
            cooks_threshold: influence::cooks_threshold(data.studies.len()),
            cooks_distance: cooks,
            empirical_bayes: influence::empirical_bayes(&data.studies, full, self.cfg.level()),
            weights: influence::study_weights(&data.studies, full),
            loo,
            cluster,
        })
    }

    /// The sensitivity analysis restricted to the studies at low risk of bias in the domain the
    /// settings name ([`low_risk_analysis`] on the analysed rows); `None` when not asked for.
    pub fn low_risk(&self) -> Option<LowRiskAnalysis> {
        let domain = self.cfg.settings().risk_of_bias.low_risk.as_deref()?;
        Some(low_risk_analysis(&self.data, &self.cfg, domain))
    }

    /// The analysis from its stages.
    pub fn finish(self, overall: Block, groups: Groups, influence: Option<InfluenceBlock>) -> Analysis {
        let mut a = Analysis {
            settings: self.cfg.settings,
            overall,
            excluded: self.excluded,
            subgroups: groups.subgroups,
            meta_regression: groups.meta_regression,
            influence,
            low_risk: None,
            revman: Vec::new(),
            dispersion: Vec::new(),
            bayes: None,
            bayes_prior_sensitivity: None,
            models: None,
            comparison: None,
        };
        a.revman = revman::revman_entries(&a);
        a.dispersion = revman::dispersion_entries(&a);
        a
    }

    /// The Bayesian run the settings ask for, on the analysed rows (advance it, then `finish`).
    pub fn bayes_run(&self) -> Option<bayes::BayesRun> {
        let s = self.cfg.settings();
        bayes::BayesRun::new(&self.data.studies, &s.bayes)
            .map(|r| r.with_prevalences(bayes::sof_prevalences(&self.data.studies, &s.findings)))
    }

    /// Stage 2c: the HSROC meta-regression and the three-level model the settings ask for
    /// (`None` when they ask for neither).
    pub fn models(&self) -> Option<models::ModelsBlock> {
        let b = models::run_models(&self.data, &self.cfg);
        (!b.is_empty()).then_some(b)
    }

    /// The comparison of index tests the settings ask for (METHODS §15): the structure of the rows
    /// and the shared-random-effect fit, with the paired-only fit beside it when asked.
    ///
    /// # Errors
    /// [`AnalysisError::UnknownCovariate`] when the test column does not exist.
    pub fn comparison(&self) -> Result<Option<ComparisonBlock>, AnalysisError> {
        let c = &self.cfg.settings().comparison;
        let Some(test) = c.test.as_deref() else {
            return Ok(None);
        };
        let st = crate::data::structure::detect(&self.data, Some(test)).map_err(|_| {
            let there = self.data.covariates.iter().map(|c| c.name.clone()).collect();
            AnalysisError::UnknownCovariate(test.to_string(), there)
        })?;
        Ok(Some(comparison(&self.data.studies, &st, c.paired_only, &self.cfg.fit())))
    }
}

/// Run the complete analysis on a validated data set: every stage of [`Staged`] in turn.
///
/// # Errors
/// [`AnalysisError`] when nothing is left to analyse or the grouping names an unknown column.
pub fn run(data: &Dataset, cfg: &AnalysisConfig) -> Result<Analysis, AnalysisError> {
    let staged = Staged::new(data, cfg)?;
    let mut overall = staged.overall();
    staged.complete_overall(&mut overall);
    let groups = staged.groups()?;
    let infl = match overall.fit.as_ref() {
        Some(full) if cfg.influence() => {
            let loo = staged.loo_rows(full, 0..staged.n_loo());
            staged.influence(&overall, loo)
        }
        _ => None,
    };
    let low_risk = staged.low_risk();
    let models = staged.models();
    let comparison = staged.comparison()?;
    let bayes = staged.bayes_run().map(|mut r| {
        r.advance(usize::MAX);
        r.finish()
    });
    let b = &cfg.settings().bayes;
    let sensitivity = (b.model.is_some() && b.prior_sensitivity)
        .then(|| bayes::prior_sensitivity(&staged.data().studies, b));
    let mut a = staged.finish(overall, groups, infl);
    a.low_risk = low_risk;
    a.bayes = bayes;
    a.bayes_prior_sensitivity = sensitivity;
    a.models = models;
    a.comparison = comparison;
    Ok(a)
}

/// [`run`] from the user's settings (checked first).
///
/// # Errors
/// [`AnalysisError::Settings`] for an out-of-range setting, else as [`run`].
pub fn run_settings(data: &Dataset, settings: &AnalysisSettings) -> Result<Analysis, AnalysisError> {
    run(data, &AnalysisConfig::try_from(settings)?)
}
