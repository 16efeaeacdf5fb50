//! Shared helpers for the integration tests: locating shared/refs and reading its files.
#![allow(dead_code)]

use fourfold::data::parse::parse_table;
use fourfold::data::{Dataset, Study};
use serde_json::Value;
use std::path::PathBuf;

pub fn refs_dir() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for cand in [here.join("../shared/refs"), here.join("shared/refs")] {
        if cand.join("expected").is_dir() {
            return cand;
        }
    }
    panic!("shared/refs not found next to the crate (expected ../shared/refs)");
}

/// A reference data set read with the project's own parser (every refs CSV parses without
/// errors or warnings; `tests/parse.rs` checks that).
pub fn read_dataset(name: &str) -> Dataset {
    let text =
        std::fs::read_to_string(refs_dir().join("data").join(format!("{name}.csv"))).expect("data file");
    let parsed = parse_table(&text);
    assert!(parsed.errors.is_empty(), "{name}: {:?}", parsed.errors);
    parsed.dataset
}

/// The studies of a reference data set.
pub fn read_studies(name: &str) -> Vec<Study> {
    read_dataset(name).studies
}

pub fn expected(name: &str) -> Value {
    let text =
        std::fs::read_to_string(refs_dir().join("expected").join(format!("{name}.json"))).expect("json");
    serde_json::from_str(&text).expect("valid json")
}

/// Every data set in shared/refs/data (file stems).
pub fn all_data_sets() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(refs_dir().join("data"))
        .expect("data dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    v.sort();
    v
}

/// A categorical covariate column of a reference data set.
pub fn read_categorical(name: &str, column: &str) -> fourfold::data::Covariate {
    let cov = read_dataset(name).covariate(column).cloned().expect("covariate column");
    assert_eq!(cov.kind, fourfold::data::CovariateKind::Categorical, "{name}/{column}");
    cov
}
