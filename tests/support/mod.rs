//! Shared helpers for the integration tests: locating shared/refs and reading its files.
#![allow(dead_code)]

use fourfold::data::Study;
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

/// Minimal reader for the reference CSVs (quoted labels, integer counts).
pub fn read_studies(name: &str) -> Vec<Study> {
    let text =
        std::fs::read_to_string(refs_dir().join("data").join(format!("{name}.csv"))).expect("data file");
    let mut lines = text.lines();
    let header: Vec<String> = split(lines.next().expect("header"));
    let col = |n: &str| header.iter().position(|h| h == n).expect("column");
    let (it, ifp, ifn, itn, is) = (col("TP"), col("FP"), col("FN"), col("TN"), col("study"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f = split(l);
            let n = |i: usize| f[i].parse::<u64>().expect("count");
            Study::new(f[is].clone(), n(it), n(ifp), n(ifn), n(itn))
        })
        .collect()
}

pub fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut q = false;
    for ch in line.chars() {
        match ch {
            '"' => q = !q,
            ',' if !q => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
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

/// A categorical covariate column of a reference data set, as a [`fourfold::data::Covariate`].
pub fn read_categorical(name: &str, column: &str) -> fourfold::data::Covariate {
    use fourfold::data::{Covariate, CovariateKind, CovariateValue};
    let text =
        std::fs::read_to_string(refs_dir().join("data").join(format!("{name}.csv"))).expect("data file");
    let mut lines = text.lines();
    let header = split(lines.next().expect("header"));
    let ci = header.iter().position(|h| h == column).expect("covariate column");
    let values = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v = split(l)[ci].clone();
            if v.is_empty() {
                CovariateValue::Missing
            } else {
                CovariateValue::Category(v)
            }
        })
        .collect();
    Covariate { name: column.to_string(), kind: CovariateKind::Categorical, values }
}
