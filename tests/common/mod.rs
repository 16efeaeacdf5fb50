//! Shared helpers for integration tests: locating the reference data and a tiny CSV reader.
//!
//! The CSV reader is deliberately minimal (quoted fields, `""` escapes, commas); the real parser
//! lives in `fourfold::data` and is tested separately.
#![allow(dead_code)]

use fourfold::data::Study;
use std::path::{Path, PathBuf};

/// Directory `shared/refs` (holding `data/` and `expected/`).
///
/// Looks, in order, at `$FOURFOLD_REFS_DIR`, `CARGO_MANIFEST_DIR/../shared/refs`,
/// `../shared/refs` (relative to the working directory) and, for git worktrees nested one level
/// deeper (`/work/wt/NAME`), `CARGO_MANIFEST_DIR/../../shared/refs` and `../../shared/refs`.
/// Panics with the list of tried paths when none exists.
pub fn refs_dir() -> PathBuf {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(p) = std::env::var("FOURFOLD_REFS_DIR") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/refs")));
    candidates.push(PathBuf::from("../shared/refs"));
    candidates.push(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/refs")));
    candidates.push(PathBuf::from("../../shared/refs"));
    for c in &candidates {
        if c.join("expected").is_dir() && c.join("data").is_dir() {
            return c.clone();
        }
    }
    panic!(
        "reference directory shared/refs not found; tried {:?}. Set FOURFOLD_REFS_DIR to the \
         directory that contains data/ and expected/.",
        candidates
    );
}

/// A parsed reference CSV: the studies and the covariate columns (as strings).
pub struct RefData {
    pub studies: Vec<Study>,
    /// `(column name, one value per study)`.
    pub covariates: Vec<(String, Vec<String>)>,
}

/// Split one CSV line into fields (RFC-4180 quoting, no embedded newlines).
pub fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) => {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            }
            ('"', false) => in_quotes = true,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Read `study,TP,FP,FN,TN[,covariates…]`.
pub fn read_csv(path: &Path) -> RefData {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split_csv_line(lines.next().unwrap_or_else(|| panic!("{} is empty", path.display())));
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("{}: no column {name}", path.display()))
    };
    let (ci, tpi, fpi, fni, tni) = (col("study"), col("TP"), col("FP"), col("FN"), col("TN"));
    let cov_idx: Vec<usize> = (0..header.len()).filter(|i| ![ci, tpi, fpi, fni, tni].contains(i)).collect();
    let mut studies = Vec::new();
    let mut covariates: Vec<(String, Vec<String>)> =
        cov_idx.iter().map(|&i| (header[i].clone(), Vec::new())).collect();
    for (lineno, line) in lines.enumerate() {
        let f = split_csv_line(line);
        let num = |i: usize| -> u64 {
            f.get(i)
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or_else(|| panic!("{} line {}: bad count in column {i}", path.display(), lineno + 2))
        };
        studies.push(Study::new(f[ci].clone(), num(tpi), num(fpi), num(fni), num(tni)));
        for (slot, &i) in covariates.iter_mut().zip(&cov_idx) {
            slot.1.push(f.get(i).cloned().unwrap_or_default());
        }
    }
    RefData { studies, covariates }
}

/// Names (without `.json`) of every file in `expected/`, sorted.
pub fn expected_names() -> Vec<String> {
    let dir = refs_dir().join("expected");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let p = e.path();
            if p.extension()? != "json" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no expected/*.json files in {}", dir.display());
    names
}

/// Load `data/NAME.csv`.
pub fn load_data(name: &str) -> RefData {
    read_csv(&refs_dir().join("data").join(format!("{name}.csv")))
}

/// Load `expected/NAME.json`.
pub fn load_expected(name: &str) -> serde_json::Value {
    let p = refs_dir().join("expected").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: bad JSON: {e}", p.display()))
}
