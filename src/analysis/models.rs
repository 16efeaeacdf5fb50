//! The further models of issue #13, run from the settings' [`crate::settings::ModelSettings`]:
//! the HSROC meta-regression on the grouping covariate (METHODS §16) and the three-level model for
//! several cohorts per study (§15.3). One stage, [`super::Staged::models`], after the subgroups.

use super::{analyze_block, group_labels, AnalysisConfig, Block, Grouping};
use crate::data::{Covariate, CovariateKind, CovariateValue, Dataset};
use crate::stats::hsroc_reg::{hsroc_regression, HsrocRegError, HsrocRegression};
use crate::stats::influence::one_row_per_cluster_with_note;
use crate::stats::threelevel::{three_level, ThreeLevel, ThreeLevelError};
use serde::{Deserialize, Serialize};

/// A result or the reason it is missing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Outcome<T, E> {
    Fit(Box<T>),
    Error { error: E },
}

/// The HSROC meta-regression and the three-level model, when asked for.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModelsBlock {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hsroc_regression: Option<Outcome<HsrocRegression, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub three_level: Option<Outcome<ThreeLevel, String>>,
    /// Beside the three-level model: the two-level analysis with one row per cluster (METHODS
    /// §1.1, the same as `influence.cluster.one_row_per_cluster`, here without leave-one-out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_row_per_cluster: Option<ClusterSummary>,
}

/// The one-row-per-cluster analysis.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClusterSummary {
    pub note: String,
    pub n_clusters: usize,
    pub block: Box<Block>,
}

impl ModelsBlock {
    pub fn is_empty(&self) -> bool {
        self.hsroc_regression.is_none() && self.three_level.is_none()
    }
}

fn hsroc(data: &Dataset, cfg: &AnalysisConfig) -> Outcome<HsrocRegression, String> {
    let err = |e: String| Outcome::Error { error: e };
    let cov: Covariate = match cfg.grouping() {
        None => {
            return err("HSROC meta-regression needs a covariate (choose one with --by or in Settings)".into())
        }
        Some(Grouping::Cross(..)) => {
            return err("HSROC meta-regression takes one covariate, not a crossed grouping".into())
        }
        Some(Grouping::By(c)) => match data.covariate(&c) {
            Some(cv) => cv.clone(),
            None => return err(format!("unknown column '{c}'")),
        },
        Some(g @ Grouping::Split(..)) => {
            let name = match &g {
                Grouping::Split(c, _) => c.clone(),
                _ => String::new(),
            };
            match group_labels(data, &g) {
                Ok(l) => Covariate {
                    name,
                    kind: CovariateKind::Categorical,
                    values: l
                        .into_iter()
                        .map(|v| v.map_or(CovariateValue::Missing, CovariateValue::Category))
                        .collect(),
                },
                Err(e) => return err(e.to_string()),
            }
        }
    };
    match hsroc_regression(&data.studies, &cov, &cfg.fit()) {
        Ok(r) => Outcome::Fit(Box::new(r)),
        Err(e @ HsrocRegError::NotCategorical { .. }) | Err(e) => err(e.to_string()),
    }
}

/// The study label of each row: the chosen column, else the detected cluster column, else the
/// study labels themselves (when some repeat).
fn study_labels(data: &Dataset, cfg: &AnalysisConfig) -> Result<(String, Vec<Option<String>>), String> {
    let k = data.studies.len();
    let m = &cfg.settings().models;
    if let Some(c) = &m.study_column {
        let cov = data.covariate(c).ok_or_else(|| format!("unknown study column '{c}'"))?;
        return Ok((cov.name.clone(), (0..k).map(|i| cov.label_of(i)).collect()));
    }
    if let Some(cov) = data.cluster_covariate() {
        return Ok((cov.name.clone(), (0..k).map(|i| cov.label_of(i)).collect()));
    }
    Ok(("study label".into(), data.studies.iter().map(|s| Some(s.label.clone())).collect()))
}

fn threelevel(data: &Dataset, cfg: &AnalysisConfig) -> Outcome<ThreeLevel, String> {
    let err = |e: String| Outcome::Error { error: e };
    let (study_col, study) = match study_labels(data, cfg) {
        Ok(x) => x,
        Err(e) => return err(e),
    };
    let k = data.studies.len();
    let cohort_name = cfg.settings().models.cohort.clone();
    let cohort: Option<Vec<Option<String>>> = match &cohort_name {
        None => None,
        Some(c) => match data.covariate(c) {
            Some(cov) => Some((0..k).map(|i| cov.label_of(i)).collect()),
            None => return err(format!("unknown cohort column '{c}'")),
        },
    };
    match three_level(
        &data.studies,
        &study,
        cohort.as_deref(),
        (&study_col, cohort_name.as_deref()),
        &cfg.fit(),
    ) {
        Ok(t) => Outcome::Fit(Box::new(t)),
        Err(e @ ThreeLevelError::NoRepeatedStudies) => err(format!("{e} (study column: {study_col})")),
        Err(e) => err(e.to_string()),
    }
}

/// Run what the settings ask for.
pub fn run_models(data: &Dataset, cfg: &AnalysisConfig) -> ModelsBlock {
    let m = &cfg.settings().models;
    let one_row_per_cluster = (m.wants_three_level() && data.cluster_covariate().is_some())
        .then(|| one_row_per_cluster_with_note(data))
        .filter(|o| o.n_clusters < data.studies.len())
        .map(|o| ClusterSummary {
            note: o.note.clone(),
            n_clusters: o.n_clusters,
            block: Box::new(analyze_block(&o.studies, cfg)),
        });
    ModelsBlock {
        hsroc_regression: m.hsroc_regression.then(|| hsroc(data, cfg)),
        three_level: m.wants_three_level().then(|| threelevel(data, cfg)),
        one_row_per_cluster,
    }
}
