//! The shape of a long table (METHODS §15): one row per study × test (× cohort). Which rows
//! belong to one study, which test each row reports, and whether the tests are compared within
//! studies (paired) or only across them. Pure: no fitting, no words (the sentence a user reads is
//! `report::comparison::structure_sentence`).

use super::Dataset;
use serde::{Deserialize, Serialize};

/// How a study is recognised across its rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StudyId {
    /// The cluster column (`cluster`, `study_id`, …; [`Dataset::cluster_covariate`]).
    Cluster(String),
    /// The study label as it is.
    Label,
    /// The study label with a trailing " [TEST]" or " (TEST)" naming the row's own test removed
    /// (e.g. `Dewey 2006 [CT]` and `Dewey 2006 [MRI]` are one study).
    LabelWithoutTestSuffix,
}

/// Whether studies report more than one test (METHODS §15.2: direct vs indirect comparison).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// Every study reports every test.
    FullyPaired,
    /// Some studies report two or more tests, others one.
    PartiallyPaired,
    /// No study reports two tests: the comparison is entirely between studies.
    Unpaired,
}

/// What the rows are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// One row per study (no test column, no repeated study).
    OneRowPerStudy,
    /// A test column: one table per study and test.
    Comparative(Pairing),
    /// Study labels repeat without a test column: several cohorts per study (METHODS §15.3).
    Cohorts,
}

/// The detected structure of a data set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyStructure {
    pub shape: Shape,
    pub study_id: StudyId,
    /// The test column, when one was named.
    pub test_column: Option<String>,
    /// Tests in sorted order (the first is the reference).
    pub tests: Vec<String>,
    /// Per row: its study (index into `studies`) and its test (index into `tests`; `None` where
    /// the test cell is empty).
    pub study_of: Vec<usize>,
    pub test_of: Vec<Option<usize>>,
    /// Study names (the id each row was matched by), in order of first appearance.
    pub studies: Vec<String>,
    /// Studies reporting two or more different tests / every test.
    pub studies_with_several_tests: usize,
    pub studies_with_every_test: usize,
    /// Studies with two rows for the same test (cohorts within a comparative study).
    pub studies_with_repeated_test: usize,
    /// Rows without a test value (left out of the comparison).
    pub rows_without_test: usize,
    /// Tables per test (same order as `tests`).
    pub tables_per_test: Vec<usize>,
}

/// Why the structure could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StructureError {
    /// The named test column is not in the data.
    UnknownColumn(String),
}

impl std::fmt::Display for StructureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StructureError::UnknownColumn(c) => write!(f, "no column named \"{c}\" for the index test"),
        }
    }
}

impl std::error::Error for StructureError {}

/// `label` without a trailing ` [test]` or ` (test)` (case-insensitive), if it has one.
fn strip_test_suffix(label: &str, test: &str) -> Option<String> {
    let t = label.trim_end();
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(inner) = t.strip_suffix(close) {
            if let Some(at) = inner.rfind(open) {
                if inner[at + 1..].trim().eq_ignore_ascii_case(test.trim()) {
                    let head = inner[..at].trim_end();
                    if !head.is_empty() {
                        return Some(head.to_string());
                    }
                }
            }
        }
    }
    None
}

/// Detect the structure of `data` with `test` as the index-test column (METHODS §15).
///
/// # Errors
/// [`StructureError::UnknownColumn`] when `test` names no column.
pub fn detect(data: &Dataset, test: Option<&str>) -> Result<StudyStructure, StructureError> {
    let n = data.studies.len();
    let test_cov = match test {
        Some(name) => {
            Some(data.covariate(name).ok_or_else(|| StructureError::UnknownColumn(name.to_string()))?)
        }
        None => None,
    };
    let tests = test_cov.map(|c| c.sorted_levels()).unwrap_or_default();
    let test_of: Vec<Option<usize>> = (0..n)
        .map(|i| test_cov.and_then(|c| c.label_of(i)).and_then(|l| tests.iter().position(|t| *t == l)))
        .collect();
    // The study id of each row.
    let cluster = data.cluster_covariate().filter(|c| test_cov.is_none_or(|t| t.name != c.name));
    let (ids, study_id): (Vec<String>, StudyId) = match cluster {
        Some(c) => (
            (0..n).map(|i| c.label_of(i).unwrap_or_else(|| data.studies[i].label.clone())).collect(),
            StudyId::Cluster(c.name.clone()),
        ),
        None => {
            let stripped: Vec<Option<String>> = (0..n)
                .map(|i| test_of[i].and_then(|t| strip_test_suffix(&data.studies[i].label, &tests[t])))
                .collect();
            if stripped.iter().any(Option::is_some) {
                let ids = (0..n)
                    .map(|i| stripped[i].clone().unwrap_or_else(|| data.studies[i].label.clone()))
                    .collect();
                (ids, StudyId::LabelWithoutTestSuffix)
            } else {
                (data.studies.iter().map(|s| s.label.clone()).collect(), StudyId::Label)
            }
        }
    };
    let mut studies: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let study_of: Vec<usize> = ids
        .iter()
        .map(|id| {
            *index.entry(id.clone()).or_insert_with(|| {
                studies.push(id.clone());
                studies.len() - 1
            })
        })
        .collect();
    let nt = tests.len();
    let mut per_study: Vec<Vec<usize>> = vec![Vec::new(); studies.len()];
    for (r, &s) in study_of.iter().enumerate() {
        if let Some(t) = test_of[r] {
            per_study[s].push(t);
        }
    }
    let mut repeated = 0;
    let mut several = 0;
    let mut every = 0;
    for ts in &mut per_study {
        let before = ts.len();
        ts.sort_unstable();
        ts.dedup();
        if ts.len() < before {
            repeated += 1;
        }
        if ts.len() > 1 {
            several += 1;
        }
        if nt > 0 && ts.len() == nt {
            every += 1;
        }
    }
    let with_test = per_study.iter().filter(|t| !t.is_empty()).count();
    let shape = if test_cov.is_some() {
        Shape::Comparative(if several == 0 {
            Pairing::Unpaired
        } else if every == with_test {
            Pairing::FullyPaired
        } else {
            Pairing::PartiallyPaired
        })
    } else if studies.len() < n {
        Shape::Cohorts
    } else {
        Shape::OneRowPerStudy
    };
    let tables_per_test = (0..nt).map(|t| test_of.iter().filter(|x| **x == Some(t)).count()).collect();
    Ok(StudyStructure {
        shape,
        study_id,
        test_column: test_cov.map(|c| c.name.clone()),
        tests,
        rows_without_test: if test_cov.is_some() {
            test_of.iter().filter(|t| t.is_none()).count()
        } else {
            0
        },
        study_of,
        test_of,
        studies,
        studies_with_several_tests: several,
        studies_with_every_test: every,
        studies_with_repeated_test: repeated,
        tables_per_test,
    })
}

impl StudyStructure {
    /// The rows of studies that report every test (the paired-only analysis, METHODS §15.2).
    pub fn paired_rows(&self) -> Vec<usize> {
        let nt = self.tests.len();
        let mut seen: Vec<Vec<usize>> = vec![Vec::new(); self.studies.len()];
        for (r, &s) in self.study_of.iter().enumerate() {
            if let Some(t) = self.test_of[r] {
                if !seen[s].contains(&t) {
                    seen[s].push(t);
                }
            }
        }
        (0..self.study_of.len())
            .filter(|&r| self.test_of[r].is_some() && seen[self.study_of[r]].len() == nt)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Covariate, CovariateKind, CovariateValue, Study};

    fn data(rows: &[(&str, &str)]) -> Dataset {
        Dataset {
            studies: rows.iter().map(|(l, _)| Study::new(*l, 10, 2, 3, 20)).collect(),
            covariates: vec![Covariate {
                name: "test".into(),
                kind: CovariateKind::Categorical,
                values: rows
                    .iter()
                    .map(|(_, t)| {
                        if t.is_empty() {
                            CovariateValue::Missing
                        } else {
                            CovariateValue::Category(t.to_string())
                        }
                    })
                    .collect(),
            }],
            cluster: None,
        }
    }

    #[test]
    fn suffix_is_stripped_only_when_it_names_the_rows_test() {
        assert_eq!(strip_test_suffix("Dewey 2006 [CT]", "CT").as_deref(), Some("Dewey 2006"));
        assert_eq!(strip_test_suffix("Dewey 2006 (mri)", "MRI").as_deref(), Some("Dewey 2006"));
        assert_eq!(strip_test_suffix("Dewey 2006 [CT]", "MRI"), None);
        assert_eq!(strip_test_suffix("[CT]", "CT"), None);
    }

    #[test]
    fn pairing_is_detected() {
        let full = data(&[("A", "CT"), ("A", "MRI"), ("B", "MRI"), ("B", "CT")]);
        let s = detect(&full, Some("test")).unwrap();
        assert_eq!(s.shape, Shape::Comparative(Pairing::FullyPaired));
        assert_eq!((s.studies.len(), s.studies_with_every_test), (2, 2));
        assert_eq!(s.paired_rows(), vec![0, 1, 2, 3]);
        let part = data(&[("A [CT]", "CT"), ("A [MRI]", "MRI"), ("B [CT]", "CT"), ("C", "MRI"), ("D", "")]);
        let s = detect(&part, Some("TEST")).unwrap();
        assert_eq!(s.shape, Shape::Comparative(Pairing::PartiallyPaired));
        assert_eq!(s.study_id, StudyId::LabelWithoutTestSuffix);
        assert_eq!(s.studies, vec!["A", "B", "C", "D"]);
        assert_eq!((s.studies_with_several_tests, s.rows_without_test), (1, 1));
        assert_eq!(s.paired_rows(), vec![0, 1]);
        assert_eq!(s.tables_per_test, vec![2, 2]);
        let un = data(&[("A", "CT"), ("B", "MRI")]);
        assert_eq!(detect(&un, Some("test")).unwrap().shape, Shape::Comparative(Pairing::Unpaired));
    }

    #[test]
    fn repeated_labels_without_a_test_column_are_cohorts() {
        let d = data(&[("A", "x"), ("A", "y"), ("B", "x")]);
        assert_eq!(detect(&d, None).unwrap().shape, Shape::Cohorts);
        let d = data(&[("A", "x"), ("B", "y")]);
        assert_eq!(detect(&d, None).unwrap().shape, Shape::OneRowPerStudy);
        assert!(matches!(detect(&d, Some("nope")), Err(StructureError::UnknownColumn(_))));
    }
}
