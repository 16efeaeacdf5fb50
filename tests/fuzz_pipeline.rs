//! Whole-pipeline fuzzing on stable Rust (issue #10, "No panic, no hang, anywhere a user can
//! reach"): generated and mutated data sets go through everything a user can trigger — text →
//! `parse_table` → `analysis::run` with random options → JSON → summary rows, CSV / R-script
//! exports, every figure as SVG, the QUADAS figures, the page's own leave-one-out refit
//! (`Staged::loo_rows`) and the permalink.
//!
//! * **Cases.** Each case has its own 64-bit seed (derived from the run seed and the case number),
//!   so one case can be replayed alone. A case is either a generated table (k = 0…300; counts
//!   mostly small, some up to 4·10⁹, zero cells and all-zero margins; covariates that are blank,
//!   constant, one-level, mixed text/number, numeric, categorical, one label per row, QUADAS
//!   judgements; repeated or blank study labels; a `cluster` / `study_id` column; several
//!   delimiters and header spellings) or a reference data set from `../shared/refs/data`; either
//!   is then sometimes mutated line- and cell-wise (deleted, duplicated and swapped rows, junk
//!   cells, byte flips). The options come from [`random_config`].
//! * **No panic.** Each case runs under `catch_unwind`; a panic is reported with the case seed,
//!   the options and the input text, and the test fails at the end (after at most
//!   [`MAX_REPORTED`] reports).
//! * **No hang.** The stated bound: every case ends with a result or an error within
//!   [`BOUND_MS`] = 3 s in a native release build, for k ≤ 300 without leave-one-out and k ≤ 12
//!   with it (leave-one-out is only generated there; the page's own one-refit-at-a-time path,
//!   `Staged::loo_rows`, is exercised at every k). Tables with a count ≥ [`HUGE_COUNT`] have the
//!   looser [`HUGE_BOUND_MS`] (see below), and meta-regressions on a crossed grouping or on more
//!   than 5 levels [`HEAVY_BOUND_MS`] = 15 s (a dozen subgroup fits and two ~25-parameter
//!   meta-regressions at k ≈ 250 take ≈ 6 s). The slowest case of each class is printed at the
//!   end; `FOURFOLD_FUZZ_PIPELINE_ENFORCE=1` (set by `make fuzz`, not by `make test`, where a
//!   loaded machine would make it flaky) makes exceeding a bound a failure.
//!   A watchdog thread aborts the process with the case's details when one case runs longer than
//!   [`HANG_MS`] (always on: that is a hang, not noise).
//!
//! Environment: `FOURFOLD_FUZZ_PIPELINE_ITERS` (default 150 cases), `FOURFOLD_FUZZ_SEED` (run seed,
//! default 1), `FOURFOLD_FUZZ_PIPELINE_CASE=<case seed>` (replay one case, printing it),
//! `FOURFOLD_FUZZ_PIPELINE_ENFORCE=1`. E.g.
//! `FOURFOLD_FUZZ_PIPELINE_ITERS=20000 FOURFOLD_FUZZ_PIPELINE_ENFORCE=1 cargo test --release --test fuzz_pipeline -- --nocapture`.
//!
//! The findings of issue #10 (blank-covariate panic, Clopper–Pearson hang, unflagged infinite
//! estimate) and this fuzzer's own ((d): GLMM fits on counts in the millions ran for minutes) are
//! fixed; tables with counts ≥ [`HUGE_COUNT`] keep the looser [`HUGE_BOUND_MS`] = 30 s (slowest seen:
//! 17.6 s, k = 223, 30 nodes). `FOURFOLD_FUZZ_REML_FOR_HUGE=1` analyses them with REML instead.

use fourfold::analysis::{run, AnalysisConfig, Staged};
use fourfold::data::correction::{Correction, CorrectionRule};
use fourfold::data::parse::parse_table;
use fourfold::permalink;
use fourfold::plot::{draw_quadas_summary, draw_quadas_traffic_light, quadas_height, to_svg, PlotStyle};
use fourfold::report::export::{loo_csv, r_script, studies_csv, summary_csv};
use fourfold::report::grid::{dataset_to_text, split};
use fourfold::report::plots::{plot_svg, quadas_from_dataset, PlotKind};
use fourfold::report::{results, summary_rows, text_report};
use fourfold::settings::AnalysisSettings;
use fourfold::stats::accuracy::CiMethod;
use fourfold::stats::bivariate::{AucCi, Method};
use fourfold::stats::summary::RegionKind;
use fourfold::stats::threshold::SpearmanPMethod;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The stated time bound of one case (native release build), see the module documentation.
const BOUND_MS: f64 = 3000.0;
/// Tables with a cell this large have the looser bound [`HUGE_BOUND_MS`].
const HUGE_COUNT: u64 = 1_000_000;
/// The bound of a case with a count ≥ [`HUGE_COUNT`].
const HUGE_BOUND_MS: f64 = 30_000.0;
/// The bound of a case with a meta-regression on a crossed grouping or on more than 5 levels: at
/// k ≈ 250 that is a dozen subgroup fits and two meta-regressions of ~25 parameters (6 s seen).
const HEAVY_BOUND_MS: f64 = 15_000.0;
/// One case running this long is a hang: the watchdog prints it and aborts.
const HANG_MS: u128 = 120_000;
/// Panics reported in full before the run gives up.
const MAX_REPORTED: usize = 5;
/// Leave-one-out / influence analyses are generated for k up to this.
const LOO_MAX_K: usize = 12;

// ------------------------------------------------------------------ RNG

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, full-period, good enough to drive a fuzzer.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (0 when n = 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn idx(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.idx(xs.len())]
    }
}

/// The seed of case `i` of a run.
fn case_seed(run_seed: u64, i: u64) -> u64 {
    Rng::new(run_seed ^ i.wrapping_mul(0xd6e8_feb8_6659_fd93)).next()
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?.replace('_', "");
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

// ------------------------------------------------------------------ data sets

fn refs_dir() -> String {
    let near = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/refs/data");
    let far = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/refs/data");
    if std::path::Path::new(near).is_dir() { near } else { far }.to_string()
}

/// The reference data sets (sorted by name), used as seeds for mutation.
fn reference_tables() -> Vec<String> {
    let mut paths: Vec<_> = std::fs::read_dir(refs_dir())
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().and_then(|e| e.to_str()) == Some("csv"));
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect()
}

/// Number of studies: mostly small, sometimes large, up to 300.
fn random_k(rng: &mut Rng) -> usize {
    (match rng.below(100) {
        0..=4 => rng.range(0, 1),
        5..=29 => rng.range(2, 5),
        30..=74 => rng.range(6, 30),
        75..=89 => rng.range(31, 100),
        _ => rng.range(101, 300),
    }) as usize
}

#[derive(Clone, Copy)]
enum CountRegime {
    Small,
    Medium,
    /// Mostly small, a few huge cells.
    Mixed,
    Huge,
}

fn random_count(rng: &mut Rng, regime: CountRegime, zero_p: f64) -> u64 {
    if rng.chance(zero_p) {
        return 0;
    }
    match regime {
        CountRegime::Small => rng.range(0, 60),
        CountRegime::Medium => rng.range(0, 5000),
        CountRegime::Mixed => {
            if rng.chance(0.03) {
                rng.range(1_000_000, 4_000_000_000)
            } else {
                rng.range(0, 200)
            }
        }
        CountRegime::Huge => rng.range(1_000_000, 4_000_000_000),
    }
}

#[derive(Clone, Copy, Debug)]
enum CovKind {
    Blank,
    ConstantText,
    ConstantNumber,
    MixedTextNumber,
    Numeric,
    NumericWeird,
    Categorical,
    PerRow,
    Quadas,
    OneValue,
}

const WORDS: &[&str] =
    &["CT", "MRI", "LAG", "primary", "secondary", "cohort", "case-control", "ä ö", "x", "NA"];
const WEIRD_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1e308",
    "-1e308",
    "1e-300",
    "2,5",
    "3.5",
    "1 000",
    "-7",
    "1e3",
    "0.0000001",
    "123456789012",
];
const JUNK: &[&str] = &[
    "",
    "-1",
    "1.5",
    "x",
    "1e9",
    "4294967296",
    "18446744073709551616",
    "NaN",
    "inf",
    "0",
    " 7 ",
    "\"",
    "1,000",
    "١٢",
    "low",
    "  ",
    "1e400",
    "0x10",
];

fn covariate_cell(rng: &mut Rng, kind: CovKind, row: usize, levels: &[String]) -> String {
    match kind {
        CovKind::Blank => String::new(),
        CovKind::ConstantText => "same".into(),
        CovKind::ConstantNumber => "5".into(),
        CovKind::MixedTextNumber => {
            if rng.chance(0.5) {
                rng.range(0, 100).to_string()
            } else {
                rng.pick(WORDS).to_string()
            }
        }
        CovKind::Numeric => {
            if rng.chance(0.1) {
                String::new()
            } else if rng.chance(0.5) {
                rng.range(1990, 2024).to_string()
            } else {
                format!("{:.3}", rng.unit() * 100.0)
            }
        }
        CovKind::NumericWeird => {
            if rng.chance(0.1) {
                String::new()
            } else {
                rng.pick(WEIRD_NUMBERS).to_string()
            }
        }
        CovKind::Categorical => {
            if rng.chance(0.1) {
                String::new()
            } else {
                rng.pick(levels).clone()
            }
        }
        CovKind::PerRow => format!("L{row}"),
        CovKind::Quadas => rng.pick(&["low", "high", "unclear", "low", ""]).to_string(),
        CovKind::OneValue => {
            if row == 0 {
                "only".into()
            } else {
                String::new()
            }
        }
    }
}

/// A cell quoted when it needs it for delimiter `d`.
fn cell(s: &str, d: char) -> String {
    if s.contains(d) || s.contains('"') || s.contains('\n') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A generated table as text.
fn generate_table(rng: &mut Rng) -> String {
    let k = random_k(rng);
    let d = *rng.pick(&[',', '\t', ';', ',', '\t']);
    let label_name = *rng.pick(&["study", "Study", "author", "label", "Author (year)"]);
    let count_names: [&str; 4] = *rng.pick(&[
        ["TP", "FP", "FN", "TN"],
        ["tp", "fp", "fn", "tn"],
        ["a", "b", "c", "d"],
        ["True positives", "False positives", "False negatives", "True negatives"],
    ]);
    let n_cov = *rng.pick(&[0usize, 0, 1, 1, 2, 3, 4, 6]);
    let kinds = [
        CovKind::Blank,
        CovKind::ConstantText,
        CovKind::ConstantNumber,
        CovKind::MixedTextNumber,
        CovKind::Numeric,
        CovKind::NumericWeird,
        CovKind::Categorical,
        CovKind::PerRow,
        CovKind::Quadas,
        CovKind::OneValue,
    ];
    let cov_names = ["modality", "year", "type", "setting", "design", "n", "prevalence", "", "modality"];
    let mut covs: Vec<(String, CovKind, Vec<String>)> = (0..n_cov)
        .map(|_| {
            let kind = *rng.pick(&kinds);
            let n_levels = rng.range(1, 4) as usize;
            let levels = (0..n_levels).map(|_| rng.pick(WORDS).to_string()).collect();
            (rng.pick(&cov_names).to_string(), kind, levels)
        })
        .collect();
    // A cluster column: consecutive runs of 1–4 rows share an id (some blank).
    let cluster = rng.chance(0.15).then(|| rng.pick(&["cluster", "study_id"]).to_string());
    let regime = *rng.pick(&[
        CountRegime::Small,
        CountRegime::Small,
        CountRegime::Small,
        CountRegime::Medium,
        CountRegime::Mixed,
        CountRegime::Huge,
    ]);
    let zero_p = *rng.pick(&[0.0, 0.0, 0.05, 0.3]);
    // Whole-table patterns.
    let pattern = rng.below(20);
    let label_mode = rng.below(10);
    let n_labels = (k / 3).max(1) as u64;

    let mut header: Vec<String> = vec![label_name.to_string()];
    header.extend(count_names.iter().map(|s| s.to_string()));
    header.extend(covs.iter().map(|c| c.0.clone()));
    if let Some(c) = &cluster {
        header.push(c.clone());
    }
    // Occasionally the columns are in another order (the header names them).
    let mut order: Vec<usize> = (0..header.len()).collect();
    if rng.chance(0.1) {
        for i in (1..order.len()).rev() {
            let j = rng.idx(i + 1);
            order.swap(i, j);
        }
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    if !rng.chance(0.05) {
        rows.push(header.clone());
    }
    let mut cluster_id = 0u64;
    let mut cluster_left = 0u64;
    for i in 0..k {
        let label = match label_mode {
            0 => format!("S{}", rng.below(n_labels)),
            1 if rng.chance(0.2) => String::new(),
            2 => format!("Smith, \"J\" {}", 1990 + i),
            _ => format!("Study {i}"),
        };
        let mut c = [0u64; 4];
        for x in &mut c {
            *x = random_count(rng, regime, zero_p);
        }
        match pattern {
            0 => c[2] = 0, // every FN = 0 (known finding (c): an unflagged infinite estimate)
            1 => c[1] = 0, // every FP = 0
            2 => c = [10, 2, 3, 40],
            3 => c = [0, 0, 0, 0],
            _ => {}
        }
        match rng.below(40) {
            0 => (c[0], c[2]) = (0, 0), // no diseased
            1 => (c[1], c[3]) = (0, 0), // no healthy
            2 => c = [0; 4],
            _ => {}
        }
        let mut row = vec![label];
        row.extend(c.iter().map(|x| x.to_string()));
        for (_, kind, levels) in &mut covs {
            row.push(covariate_cell(rng, *kind, i, levels));
        }
        if cluster.is_some() {
            if cluster_left == 0 {
                cluster_id += 1;
                cluster_left = rng.range(1, 4);
            }
            cluster_left -= 1;
            row.push(if rng.chance(0.05) { String::new() } else { format!("C{cluster_id}") });
        }
        rows.push(row);
    }
    let eol = *rng.pick(&["\n", "\r\n", "\n"]);
    let mut out = String::new();
    for r in &rows {
        let cells: Vec<String> = order.iter().map(|&j| cell(&r[j], d)).collect();
        out.push_str(&cells.join(&d.to_string()));
        out.push_str(eol);
    }
    out
}

/// Line- and cell-level mutations (and a few byte flips).
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..rng.range(1, 6) {
        let n = lines.len();
        match rng.below(9) {
            0 if n > 0 => {
                lines.remove(rng.idx(n));
            }
            1 if n > 0 => {
                let l = lines[rng.idx(n)].clone();
                lines.insert(rng.idx(n + 1), l);
            }
            2 if n > 1 => {
                let (a, b) = (rng.idx(n), rng.idx(n));
                lines.swap(a, b);
            }
            3 | 4 if n > 0 => {
                // Replace one cell by junk (cells split on the first delimiter seen).
                let i = rng.idx(n);
                let d = [',', '\t', ';'].into_iter().find(|c| lines[i].contains(*c)).unwrap_or(',');
                let mut cells: Vec<String> = lines[i].split(d).map(str::to_string).collect();
                let j = rng.idx(cells.len());
                cells[j] = rng.pick(JUNK).to_string();
                lines[i] = cells.join(&d.to_string());
            }
            5 => lines.insert(rng.idx(n + 1), String::new()),
            6 if n > 0 => lines.truncate(rng.idx(n) + 1),
            7 if n > 0 => {
                // Drop the last cell of a line (ragged rows).
                let i = rng.idx(n);
                if let Some(p) = lines[i].rfind([',', '\t', ';']) {
                    lines[i].truncate(p);
                }
            }
            _ if n > 0 => {
                let i = rng.idx(n);
                let mut b = lines[i].clone().into_bytes();
                if !b.is_empty() {
                    let j = rng.idx(b.len());
                    b[j] ^= 1 << rng.below(7);
                }
                lines[i] = String::from_utf8_lossy(&b).into_owned();
            }
            _ => {}
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// The input text of a case.
fn case_text(rng: &mut Rng, refs: &[String]) -> String {
    let base = if !refs.is_empty() && rng.chance(0.2) { rng.pick(refs).clone() } else { generate_table(rng) };
    if rng.chance(0.3) {
        mutate(rng, &base)
    } else {
        base
    }
}

// ------------------------------------------------------------------ options

/// Random options over every choice a user can make (CLI flags, page settings, permalinks).
///
/// This is the ONE place that builds an [`AnalysisConfig`]; adapt it when the settings API changes.
/// `columns` are the covariate names of the parsed table, `labels` its study labels.
/// The options of one case: the user's settings (as the page, the CLI or a permalink make them,
/// out-of-range values included: they must come back as a typed error) and the knobs no user sets.
#[derive(Clone, Debug)]
struct Options {
    settings: AnalysisSettings,
    spearman_p: SpearmanPMethod,
    meta_regression: bool,
    bootstrap_draws: usize,
    seed: u64,
}

impl Options {
    /// The validated configuration, or the settings error a user would see.
    fn config(&self) -> Result<AnalysisConfig, fourfold::settings::SettingsError> {
        let mut c = AnalysisConfig::try_from(&self.settings)?;
        c.spearman_p = self.spearman_p;
        c.meta_regression = self.meta_regression;
        c.bootstrap_draws = self.bootstrap_draws;
        c.seed = self.seed;
        Ok(c)
    }
}

fn random_config(rng: &mut Rng, columns: &[String], labels: &[String]) -> Options {
    let mut s = AnalysisSettings {
        model: *rng.pick(&[Method::Aghq, Method::Aghq, Method::Laplace, Method::Reitsma]),
        ..AnalysisSettings::default()
    };
    // Mostly valid node counts; sometimes out of range (a typed error, never a clamp).
    s.nodes = match rng.below(40) {
        0 => *rng.pick(&[0, 42, 100, u32::MAX]),
        1..=16 => rng.range(1, 41) as u32,
        _ => s.nodes,
    };
    // The CLI accepts 0.5 < level < 1; the page offers 0.9, 0.95 and 0.99; a permalink anything.
    s.ci_level = match rng.below(32) {
        0..=3 => 0.5 + 1e-9,
        4..=7 => 1.0 - 1e-12,
        8..=11 => 0.5 + 0.5 * rng.unit().max(1e-9),
        12 => *rng.pick(&[0.5, 1.0, f64::NAN, -1.0]),
        _ => *rng.pick(&[0.9, 0.95, 0.99]),
    };
    s.region = *rng.pick(&[RegionKind::F, RegionKind::ChiSquare]);
    s.auc_ci = *rng.pick(&[AucCi::Bootstrap, AucCi::Delta, AucCi::None]);
    // A permalink carries any f64 as the increment; the CLI sets only the rule.
    let rule = *rng.pick(&[CorrectionRule::Single, CorrectionRule::All, CorrectionRule::None]);
    let increment = if rng.chance(0.85) {
        0.5
    } else {
        *rng.pick(&[0.0, 0.1, 1.0, 1e-12, 1e6, 0.0, 0.1, 1.0, 1e-12, 1e6, -0.5, f64::NAN, f64::INFINITY])
    };
    s.correction = Correction::new(rule, increment);
    s.ci_method = *rng.pick(&[CiMethod::ClopperPearson, CiMethod::Wilson]);
    s.pretest = match rng.below(20) {
        0..=3 => Some(*rng.pick(&[1e-9, 0.5, 1.0 - 1e-9, 0.25])),
        4..=7 => Some(rng.unit().clamp(1e-6, 1.0 - 1e-6)),
        8 => Some(*rng.pick(&[0.0, 1.0, 1.5, f64::NAN])),
        _ => None,
    };
    // Columns to group by: real ones (blank ones included), sometimes a name that is not there.
    let col = |rng: &mut Rng| -> String {
        if columns.is_empty() || rng.chance(0.05) {
            rng.pick(&["nope", "", "modality"]).to_string()
        } else {
            rng.pick(columns).clone()
        }
    };
    match rng.below(8) {
        0..=2 => {}
        3..=4 => s.covariate = Some(col(rng)),
        5 => {
            s.covariate = Some(col(rng));
            s.split_threshold = Some(match rng.below(4) {
                0 => *rng.pick(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, 1e308]),
                _ => (rng.unit() * 120.0).round(),
            });
        }
        _ => {
            let a = col(rng);
            let b = if rng.chance(0.2) { a.clone() } else { col(rng) };
            s.cross = Some((a, b));
        }
    }
    s.excluded = match rng.below(20) {
        0 => labels.to_vec(), // everything
        1 => vec!["not a study".into()],
        2..=5 if !labels.is_empty() => (0..rng.range(1, 3)).map(|_| rng.pick(labels).clone()).collect(),
        _ => Vec::new(),
    };
    s.leave_one_out = labels.len() <= LOO_MAX_K && rng.chance(0.3);
    Options {
        settings: s,
        spearman_p: *rng.pick(&[SpearmanPMethod::TApproximation, SpearmanPMethod::Exact]),
        meta_regression: rng.chance(0.9),
        // Bootstrap with fewer draws than the default 2000 keeps a case fast; the code path is the same.
        bootstrap_draws: rng.range(20, 200) as usize,
        seed: rng.next(),
    }
}

/// Steer around findings not fixed yet, so that the rest of the case still runs. Returns what was
/// avoided. (Issue #10's findings (a)–(c) are fixed and have no filter any more.)
fn known_issue_filter(huge: bool, opts: &mut Options) -> Vec<&'static str> {
    let mut avoided = Vec::new();
    // Finding (d), fixed: GLMM fits on counts in the millions ran for minutes (seed
    // 0xa8fbb05442843194). They are fuzzed again; the class keeps the looser HUGE_BOUND_MS, and
    // FOURFOLD_FUZZ_REML_FOR_HUGE=1 analyses such tables with REML instead (to fuzz the rest faster).
    if huge
        && opts.settings.model != Method::Reitsma
        && std::env::var_os("FOURFOLD_FUZZ_REML_FOR_HUGE").is_some()
    {
        opts.settings.model = Method::Reitsma;
        avoided.push("REML instead of the GLMM on counts >= 1e6 (FOURFOLD_FUZZ_REML_FOR_HUGE)");
    }
    avoided
}

// ------------------------------------------------------------------ one case

struct Case {
    seed: u64,
    text: String,
    cfg: Options,
    k: usize,
    /// A count ≥ [`HUGE_COUNT`] (finding (d)).
    huge: bool,
    /// Meta-regression on a crossed grouping or on a covariate with more than 5 levels: many
    /// fits with many parameters (bound [`HEAVY_BOUND_MS`]).
    heavy: bool,
    avoided: Vec<&'static str>,
}

fn make_case(seed: u64, refs: &[String]) -> Case {
    let mut rng = Rng::new(seed);
    let text = case_text(&mut rng, refs);
    // Parsing here only to know the columns and labels for the options; `run_case` parses again.
    let parsed = parse_table(&text);
    let columns: Vec<String> = parsed.dataset.covariates.iter().map(|c| c.name.clone()).collect();
    let labels: Vec<String> = parsed.dataset.studies.iter().map(|s| s.label.clone()).collect();
    let mut cfg = random_config(&mut rng, &columns, &labels);
    let huge =
        parsed.dataset.studies.iter().any(|s| [s.tp, s.fp, s.fn_, s.tn].iter().any(|&x| x >= HUGE_COUNT));
    let avoided = known_issue_filter(huge, &mut cfg);
    let levels = |c: &str| parsed.dataset.covariate(c).map_or(0, |c| c.levels().len());
    let s = &cfg.settings;
    let heavy = cfg.meta_regression
        && (s.cross.is_some()
            || s.covariate.as_deref().is_some_and(|c| s.split_threshold.is_none() && levels(c) > 5));
    Case { seed, text, cfg, k: parsed.dataset.studies.len(), huge, heavy, avoided }
}

/// Everything a user can reach, on one input. Returns a short outcome description, and the total
/// and the slowest time of the page-style leave-one-out refits (`Staged::loo_rows`; the page runs each in
/// its own event-loop slice, so they are timed apart from the analysis).
fn run_case(text: &str, opts: &Options, seed: u64) -> (String, f64, f64) {
    let parsed = parse_table(text);
    let data = &parsed.dataset;
    let _ = split(text).to_text();
    let _ = dataset_to_text(data);
    let _ = serde_json::to_string(&parsed.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>());
    if let Some(q) = quadas_from_dataset(data) {
        let style = PlotStyle::default();
        let _ = to_svg(900, quadas_height(q.studies.len()), |a| draw_quadas_traffic_light(a, &q, &style));
        let _ = to_svg(900, 360, |a| draw_quadas_summary(a, &q, &style));
    }
    // A permalink of the data with the default settings (the options are covered by fuzz_smoke).
    if data.studies.len() <= 40 {
        let link = permalink::encode(data, &AnalysisSettings::default());
        assert!(permalink::decode(&link).is_ok(), "a permalink the page wrote must decode");
    }
    let cfg = match opts.config() {
        Ok(c) => c,
        Err(e) => return (format!("settings error: {e}"), 0.0, 0.0),
    };
    let a = match run(data, &cfg) {
        Ok(a) => a,
        Err(e) => return (format!("error: {e}"), 0.0, 0.0),
    };
    let json = serde_json::to_string(&a).expect("the analysis serialises to JSON");
    assert!(json.starts_with('{'));
    let rows = summary_rows(&a);
    // Every word the CLI prints and the page places (the same report layer).
    let _ = text_report(&a);
    let _ = results::glance(&a);
    let _ = results::model_card(&a.overall, a.settings.ci_level);
    let _ = results::metareg_levels(&a);
    let _ = results::metareg_coefficients(&a);
    let _ = results::subgroup_fit_reports(&a);
    let _ = results::studies_table(&a.overall, a.settings.ci_level);
    let _ = summary_csv(&a);
    let _ = studies_csv(&a.overall);
    if let Some(sg) = &a.subgroups {
        for l in &sg.levels {
            let _ = studies_csv(&l.block);
        }
    }
    if let Some(inf) = &a.influence {
        let _ = loo_csv(&inf.loo);
    }
    let _ = r_script(data, &a);
    for kind in PlotKind::ALL {
        let _ = plot_svg(kind, &a);
    }
    // The summary of findings, the decision curve and the report (which holds the compatibility
    // view: five more fits).
    let _ = fourfold::report::sof::sof_csv(&fourfold::findings::summary_of_findings(&a));
    let _ = fourfold::report::sof::sof_text(&a);
    let _ = fourfold::report::html_report::report_html(&a, Some("#v1.x"));
    // The page's leave-one-out: one refit at a time (a couple of rows, any k).
    let (mut loo_total, mut loo_ms) = (0.0f64, 0.0f64);
    if let (Some(full), Ok(staged)) = (&a.overall.fit, Staged::new(data, &cfg)) {
        let n = staged.n_loo();
        let mut rng = Rng::new(seed ^ 0x5eed);
        for _ in 0..2.min(n) {
            let i = rng.idx(n);
            let t = Instant::now();
            let _ = staged.loo_rows(full, i..i + 1);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            loo_total += ms;
            loo_ms = loo_ms.max(ms);
        }
    }
    (format!("ok ({} summary rows, JSON {} bytes)", rows.len(), json.len()), loo_total, loo_ms)
}

fn describe(c: &Case) -> String {
    let text: String = if c.text.len() > 6000 {
        let mut end = 6000;
        while !c.text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}\n… ({} bytes in all)", &c.text[..end], c.text.len())
    } else {
        c.text.clone()
    };
    format!(
        "case seed {:#018x} (replay: FOURFOLD_FUZZ_PIPELINE_CASE={:#x}), k = {}\noptions: {:?}\nknown issues avoided: {:?}\ninput text:\n{text}",
        c.seed, c.seed, c.k, c.cfg, c.avoided
    )
}

fn short_options(o: &Options) -> String {
    let c = &o.settings;
    format!(
        "{} nodes {} level {} auc {}/{} ci {} cc {}/{} covariate {:?} split {:?} cross {:?} metareg {} exclude {} loo {}",
        c.model,
        c.nodes,
        c.ci_level,
        c.auc_ci,
        o.bootstrap_draws,
        c.ci_method,
        c.correction.rule,
        c.correction.increment,
        c.covariate,
        c.split_threshold,
        c.cross,
        o.meta_regression,
        c.excluded.len(),
        c.leave_one_out
    )
}

/// Replay only: the time of each stage of a case, to find where a slow case spends it.
fn profile(text: &str, opts: &Options) {
    let t = Instant::now();
    let parsed = parse_table(text);
    let lap = |what: &str, t: &mut Instant| {
        println!("  {what}: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        *t = Instant::now();
    };
    let mut t = t;
    lap("parse", &mut t);
    let Ok(cfg) = opts.config() else {
        println!("  settings error");
        return;
    };
    let Ok(staged) = Staged::new(&parsed.dataset, &cfg) else {
        println!("  nothing to analyse");
        return;
    };
    let mut overall = staged.overall();
    lap(
        &format!(
            "overall stage ({})",
            overall.fit.as_ref().map_or_else(|| "no fit".to_string(), |f| f.model.rung.to_string())
        ),
        &mut t,
    );
    staged.complete_overall(&mut overall);
    lap("AUC interval", &mut t);
    let _ = staged.groups();
    lap("subgroups and meta-regression", &mut t);
    if let Ok(a) = run(&parsed.dataset, &cfg) {
        lap("analysis::run", &mut t);
        for kind in PlotKind::ALL {
            let _ = plot_svg(kind, &a);
        }
        lap("plots", &mut t);
    }
}

// ------------------------------------------------------------------ driver

type Watch = Arc<Mutex<Option<(Instant, String)>>>;

/// Aborts the process when one case runs longer than [`HANG_MS`].
fn watchdog(watch: Watch) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(500));
        let hung = watch.lock().ok().and_then(|g| {
            g.as_ref().filter(|(t0, _)| t0.elapsed().as_millis() > HANG_MS).map(|(_, d)| d.clone())
        });
        if let Some(d) = hung {
            eprintln!("fuzz pipeline: HANG — one case ran for more than {} s\n{d}", HANG_MS / 1000);
            std::process::exit(3);
        }
    });
}

#[test]
fn fuzz_pipeline() {
    let refs = reference_tables();
    let enforce = std::env::var("FOURFOLD_FUZZ_PIPELINE_ENFORCE").is_ok_and(|v| v == "1");
    let run_seed = env_u64("FOURFOLD_FUZZ_SEED").unwrap_or(1);
    let seeds: Vec<u64> = match env_u64("FOURFOLD_FUZZ_PIPELINE_CASE") {
        Some(s) => vec![s],
        None => {
            let n = env_u64("FOURFOLD_FUZZ_PIPELINE_ITERS").unwrap_or(150);
            (0..n).map(|i| case_seed(run_seed, i)).collect()
        }
    };
    let replay = seeds.len() == 1;
    let watch: Watch = Arc::new(Mutex::new(None));
    watchdog(watch.clone());
    let start = Instant::now();
    let mut failures: Vec<String> = Vec::new();
    // Slowest case: [0] ordinary, [1] with huge counts (finding (d)).
    let mut slowest: [Option<(f64, String)>; 2] = [None, None];
    let mut over_bound: Vec<String> = Vec::new();
    let (mut errors, mut avoided, mut loo_cases, mut total_k) = (0usize, 0usize, 0usize, 0usize);
    for &seed in &seeds {
        let case = make_case(seed, &refs);
        if replay {
            println!("{}", describe(&case));
            profile(&case.text, &case.cfg);
        }
        if let Ok(mut g) = watch.lock() {
            *g = Some((Instant::now(), describe(&case)));
        }
        let t0 = Instant::now();
        let out = catch_unwind(AssertUnwindSafe(|| run_case(&case.text, &case.cfg, case.seed)));
        let mut ms = t0.elapsed().as_secs_f64() * 1e3;
        let mut loo_ms = 0.0;
        if let Ok((_, total, max)) = &out {
            loo_ms = *max;
            ms -= total;
        }
        if let Ok(mut g) = watch.lock() {
            *g = None;
        }
        total_k += case.k;
        avoided += usize::from(!case.avoided.is_empty());
        loo_cases += usize::from(case.cfg.settings.leave_one_out);
        let summary = format!(
            "seed {:#018x}, k = {}{}, {:.0} ms (+ page refit {:.0} ms), options: {}",
            case.seed,
            case.k,
            if case.huge { " (huge counts)" } else { "" },
            ms,
            loo_ms,
            short_options(&case.cfg)
        );
        match out {
            Ok((o, _, _)) => {
                errors += usize::from(o.starts_with("error"));
                if replay {
                    println!("outcome: {o} in {ms:.1} ms");
                }
            }
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                eprintln!("fuzz pipeline: PANIC ({msg})\n{}\n", describe(&case));
                failures.push(format!("panic '{msg}' at {summary}"));
                if failures.len() >= MAX_REPORTED {
                    break;
                }
            }
        }
        let bound = if case.huge {
            HUGE_BOUND_MS
        } else if case.heavy {
            HEAVY_BOUND_MS
        } else {
            BOUND_MS
        };
        if ms.max(loo_ms) > bound {
            over_bound.push(summary.clone());
        }
        let class = &mut slowest[usize::from(case.huge)];
        if class.as_ref().is_none_or(|(t, _)| ms > *t) {
            *class = Some((ms, summary));
        }
    }
    let n = seeds.len();
    println!(
        "fuzz pipeline: {n} cases in {:.1} s (mean k {:.1}; {errors} ended in an analysis error; \
         {loo_cases} with leave-one-out; {avoided} steered around a KNOWN_ISSUE)",
        start.elapsed().as_secs_f64(),
        total_k as f64 / n.max(1) as f64
    );
    if let Some((_, s)) = &slowest[0] {
        println!("fuzz pipeline: slowest case (bound {BOUND_MS} ms): {s}");
    }
    if let Some((_, s)) = &slowest[1] {
        println!("fuzz pipeline: slowest case with a count >= {HUGE_COUNT} (bound {HUGE_BOUND_MS} ms): {s}");
    }
    println!("fuzz pipeline: {} case(s) over their bound", over_bound.len());
    for s in over_bound.iter().take(20) {
        println!("  over bound: {s}");
    }
    assert!(failures.is_empty(), "{} panic(s):\n{}", failures.len(), failures.join("\n"));
    if enforce {
        assert!(over_bound.is_empty(), "{} case(s) over their time bound", over_bound.len());
    }
}
