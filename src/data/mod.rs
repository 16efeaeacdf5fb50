//! Text → validated input. Nothing here draws or fits; everything here reports positioned errors.
//!
//! The central types are [`Study`] (one 2×2 table) and [`Dataset`] (the studies plus their
//! covariate columns). The statistics core accepts only these validated types.

pub mod choice;
pub mod correction;
pub mod error;
pub mod import;
pub mod parse;
pub mod reconstruct;
pub mod rob;
pub mod structure;

pub use choice::ParseChoiceError;
pub use error::{DataError, DataErrorKind, Severity};
pub use parse::{parse_table, ParseOutcome};

use serde::{Deserialize, Serialize};

/// One 2×2 table of a diagnostic accuracy study (METHODS §0.2).
///
/// `fn_` is the count of false negatives (`fn` is a keyword).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Study {
    pub label: String,
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
    pub tn: u64,
}

impl Study {
    pub fn new(label: impl Into<String>, tp: u64, fp: u64, fn_: u64, tn: u64) -> Self {
        Study { label: label.into(), tp, fp, fn_, tn }
    }
    /// `n1 = TP + FN`, the reference-positive (diseased) count.
    pub fn n_diseased(&self) -> u64 {
        self.tp + self.fn_
    }
    /// `n0 = FP + TN`, the reference-negative (non-diseased) count.
    pub fn n_healthy(&self) -> u64 {
        self.fp + self.tn
    }
    /// `N = n1 + n0`.
    pub fn n_total(&self) -> u64 {
        self.n_diseased() + self.n_healthy()
    }
    /// True when any of the four cells is zero.
    pub fn has_zero_cell(&self) -> bool {
        self.tp == 0 || self.fp == 0 || self.fn_ == 0 || self.tn == 0
    }
    /// The same table with the roles of diseased and non-diseased swapped (TP↔TN, FP↔FN):
    /// sensitivity and specificity trade places. Used by the relabelling identity tests.
    pub fn swapped_roles(&self) -> Study {
        Study { label: self.label.clone(), tp: self.tn, fp: self.fn_, fn_: self.fp, tn: self.tp }
    }
}

/// The value of one covariate for one study.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CovariateValue {
    Missing,
    Category(String),
    Number(f64),
}

/// How a covariate column is typed (automatically: numeric when every non-empty cell parses as a number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CovariateKind {
    Categorical,
    Numeric,
}

/// A covariate column, one value per study (same order as [`Dataset::studies`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Covariate {
    pub name: String,
    pub kind: CovariateKind,
    pub values: Vec<CovariateValue>,
}

impl Covariate {
    /// Distinct category labels in order of first appearance (categorical columns; numbers are
    /// rendered with `Display`). Missing values are skipped.
    pub fn levels(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in &self.values {
            let s = match v {
                CovariateValue::Missing => continue,
                CovariateValue::Category(s) => s.clone(),
                CovariateValue::Number(x) => format!("{x}"),
            };
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }
    /// Levels sorted alphabetically (the convention of the R references: first level = reference).
    pub fn sorted_levels(&self) -> Vec<String> {
        let mut l = self.levels();
        l.sort();
        l
    }
    /// The value of study `i` as a category label, if present.
    pub fn label_of(&self, i: usize) -> Option<String> {
        match self.values.get(i)? {
            CovariateValue::Missing => None,
            CovariateValue::Category(s) => Some(s.clone()),
            CovariateValue::Number(x) => Some(format!("{x}")),
        }
    }
    /// The value of study `i` as a number, if numeric.
    pub fn number_of(&self, i: usize) -> Option<f64> {
        match self.values.get(i)? {
            CovariateValue::Number(x) => Some(*x),
            _ => None,
        }
    }
}

/// Validated input: the studies and their covariates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub studies: Vec<Study>,
    pub covariates: Vec<Covariate>,
    /// Index into [`Dataset::covariates`] of the cluster column (rows from one publication share
    /// a value; METHODS §1.1), when the input has one (`cluster` or `study_id` next to `study`).
    #[serde(default)]
    pub cluster: Option<usize>,
}

impl Dataset {
    pub fn from_studies(studies: Vec<Study>) -> Self {
        Dataset { studies, covariates: Vec::new(), cluster: None }
    }
    pub fn covariate(&self, name: &str) -> Option<&Covariate> {
        self.covariates.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }
    /// The rows whose indices are in `keep` (in that order), with their covariate values.
    pub fn subset(&self, keep: &[usize]) -> Dataset {
        Dataset {
            studies: keep.iter().map(|&i| self.studies[i].clone()).collect(),
            covariates: self
                .covariates
                .iter()
                .map(|c| Covariate {
                    name: c.name.clone(),
                    kind: c.kind,
                    values: keep.iter().map(|&i| c.values[i].clone()).collect(),
                })
                .collect(),
            cluster: self.cluster,
        }
    }
    /// The cluster column, if any.
    pub fn cluster_covariate(&self) -> Option<&Covariate> {
        self.covariates.get(self.cluster?)
    }
}
