//! Shared helpers for the integration tests: locating shared/refs, reading its files with the
//! project's own parser (`fourfold::data::parse::parse_table`, never a second CSV reader), and the
//! one table of named tolerances ([`tol`]) every reference test compares with.
#![allow(dead_code)]

use fourfold::data::parse::parse_table;
use fourfold::data::{Dataset, Study};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Named tolerances of the reference and identity tests: one place, one reason per number.
///
/// "abs" means `|got − want| ≤ TOL`, "rel" means `|got − want| / |want| ≤ TOL`.
pub mod tol {
    // ---- the bivariate engine against R (engine_refs, metareg_refs; the tolerances) ----

    /// abs, logit-scale means and meta-regression coefficients against `own_aghq` (41×41 nodes) /
    /// `glmer_laplace_tight`. The bound; observed ≤ 2e-6, so it catches any modelling
    /// change while leaving room for the references' own optimiser stopping rules.
    pub const LOGIT_MEAN: f64 = 1e-4;
    /// rel, standard errors, τ², covariances (and meta-regression SEs). Second-order quantities
    /// from a finite-difference / quadrature Hessian: 1e-3 relative is what two correct
    /// implementations agree to.
    pub const SE_REL: f64 = 1e-3;
    /// abs, the correlation ρ (bounded in [−1, 1], as uncertain as the variances).
    pub const RHO: f64 = 1e-3;
    /// abs, maximised log-likelihood ℓ against R (and mada's REML logLik): the optimum is flat,
    /// so ℓ agrees much better than θ̂; 1e-4 still detects a wrong constant or a missed mode.
    pub const LOGLIK: f64 = 1e-4;
    /// abs, LR statistics: a difference of two log-likelihoods, each within [`LOGLIK`].
    pub const LRT: f64 = 2.0 * LOGLIK;
    /// abs, pooled sensitivity / specificity (and other probabilities such as an AUC CI) with
    /// their CIs: the logit-mean error propagated through `expit` plus the SE error in the CI.
    pub const PROB: f64 = 2e-4;
    /// rel, LR+, LR−, DOR and their CIs: exponentials of combinations of the means, so the
    /// relative error is a multiple of the logit errors.
    pub const RATIO_REL: f64 = 2e-3;
    /// abs, HSROC parameters (Λ, Θ, β, σ²α, σ²θ): smooth functions of means and variances.
    pub const HSROC: f64 = 1e-3;
    /// abs, Reitsma REML coefficients, SEs and pooled probabilities against `mada::reitsma`: the
    /// same closed-form REML problem, so much tighter than the GLMM bounds.
    pub const REML_COEF: f64 = 1e-5;
    /// abs, mada's AUC (a numerical integral in R, a different quadrature here).
    pub const REML_AUC: f64 = 1e-4;

    // ---- two-step statistics (two_step_refs) ----

    /// abs scaled by max(1, |want|), two-step statistics against the R JSON (full double
    /// precision there; the computations are closed form, so only rounding differs).
    pub const TWO_STEP_REF: f64 = 1e-6;
    /// rel, METHODS §12: "Tolerances: 1e-4 relative unless stated" for the printed AuditC numbers.
    pub const PRINTED_REL: f64 = 1e-4;
    /// abs, a number printed with 5 decimals in a paper: half a unit of the last digit.
    pub const PRINTED_5DP: f64 = 0.5e-5;
    /// abs, a number printed with 4 decimals: half a unit of the last digit.
    pub const PRINTED_4DP: f64 = 0.5e-4;
    /// abs, algebraic identities between closed-form quantities (a handful of roundings).
    pub const ALGEBRA: f64 = 1e-10;
    /// abs, values built on the normal quantile z₀.₉₇₅, compared with its 16-digit constant:
    /// room for the quantile routine's own error, still far below any wrong-quantile mistake.
    pub const QUANTILE: f64 = 1e-9;
    /// abs, single-formula checks against hand values (one or two roundings of O(1) numbers).
    pub const FORMULA: f64 = 1e-12;
    /// abs, an exact permutation p-value (2/10! ≈ 5.5e-7) against its closed form: far below the
    /// value itself, so an off-by-one permutation count fails.
    pub const EXACT_P: f64 = 1e-15;

    // ---- identities of the iterative engine (engine_properties, influence, metareg_refs) ----

    /// abs, identities that hold up to the optimiser's convergence (study order, relabelling,
    /// nested LR statistics): both fits stop at gradient < 1e-7, so estimates agree to ~1e-7.
    pub const OPTIMUM: f64 = 1e-6;
    /// abs, variance-type quantities (τ², SEs, DOR ratio) in the same identities: curvature is
    /// less well determined at the stopping point than the location.
    pub const OPTIMUM_VARIANCE: f64 = 1e-5;
    /// abs, METHODS §2.6: doubling the node count must change the maximised ℓ by less than this.
    pub const NODE_DOUBLING: f64 = 1e-6;
    /// abs, the last step of the node-count sequence 3…31 on audit_c: quadrature has converged.
    pub const NODE_CONVERGED: f64 = 1e-7;
    /// rel (to max(1, |x|)), numbers recorded by an earlier version of the engine against this one:
    /// the kernel's roundings and the optimiser's path changed (issue #12 moved them by ≤ 4e-8),
    /// the optimum did not.
    pub const ENGINE_VERSION: f64 = 1e-7;
    /// abs, a leave-one-out row against an independent call of the same public function with the
    /// same warm start: identical code path, in practice 0.
    pub const SAME_PATH: f64 = 1e-9;
    /// abs, sums that are exact in real arithmetic (percentage weights sum to 100, squared
    /// Mahalanobis distances with the sample covariance sum to 2(k − 1)): rounding of a k-term sum.
    pub const SUM_IDENTITY: f64 = 1e-9;
    /// abs, warm start (full fit's θ̂) against a cold start, logit means: both stop at gradient
    /// < 1e-7 and can land ~1e-7 apart on a flat optimum.
    pub const COLD_MU: f64 = 1e-5;
    /// abs, the same for pooled sensitivity / specificity (expit shrinks the difference).
    pub const COLD_PROB: f64 = 2e-6;
    /// abs, the same for ℓ (flat at the optimum: second order in the θ̂ difference).
    pub const COLD_LOGLIK: f64 = 1e-7;
    /// abs, the mode condition `b̂_i = Σ̂ (y_i − n_i p̂_i)` (∇g(û) = 0, METHODS §2.3), solved by Newton.
    pub const MODE_IDENTITY: f64 = 1e-8;
    /// rel to k·τ̂, `Σ_i E[b_i|y] = Σ̂ ∂ℓ/∂μ = 0` at the ML optimum, up to the gradient tolerance
    /// and the quadrature error; measured 6e-11 (sens) and 2e-11 (spec) on audit_c.
    pub const EB_SUM: f64 = 1e-8;

    // ---- summary of findings and the compatibility view (tests/sof_refs.rs, tests/compat_refs.rs) ----

    /// rel, the summary of findings against tests/refs-src/sof.R from the same mu and vcov: R's
    /// delta method uses a central-difference gradient (h = 1e-6, error ~1e-10), Fourfold the
    /// analytic one; 1e-7 relative is far above that and far below any formula error.
    pub const SOF_R: f64 = 1e-7;
    /// Share of the interval's width by which a delta-method limit may differ from the 2.5 / 97.5
    /// percentiles of 200 000 draws from N(mu, V): the delta method is first-order (the logit maps
    /// are curved), Monte Carlo error of a percentile is ≈ 0.3 % of the width. Measured on audit_c,
    /// dementia, scheidler: ≤ 4.1 % except audit_c's test positives at prevalence 0.37 (6.8 %,
    /// where se(logit Se) = 0.46 makes the distribution of the mixture skewed).
    pub const SOF_SIMULATION: f64 = 0.08;
    /// abs per 1,000 people, Fourfold's own fit (25 nodes) against R's computation from the 41×41
    /// `own_aghq` optimum: a probability within [`PROB`] moves a count by at most 0.2 per 1,000.
    pub const SOF_PER_1000: f64 = 1000.0 * PROB;
    /// abs, logit means of the `metadta` column against lme4's default `glmer` (refs finding 1:
    /// its default PIRLS tolerance leaves the logit means up to 1.6e-3 off the Laplace optimum).
    pub const GLMER_DEFAULT_MU: f64 = 2e-3;
    /// abs, pooled proportions of the `metadta` column against lme4's default `glmer` (the same
    /// inexactness on the probability scale).
    pub const GLMER_DEFAULT_PROB: f64 = 1e-3;
}

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
        "reference directory shared/refs not found; tried {candidates:?}. Set FOURFOLD_REFS_DIR to \
         the directory that contains data/ and expected/."
    );
}

/// `shared/refs/data`.
pub fn data_dir() -> PathBuf {
    refs_dir().join("data")
}

/// Path of `data/NAME.csv`.
pub fn data_path(name: &str) -> PathBuf {
    data_dir().join(format!("{name}.csv"))
}

/// The text of `data/NAME.csv`.
pub fn read_data_text(name: &str) -> String {
    read_text(&data_path(name))
}

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// File stems of `dir/*.EXT`, sorted; panics when there is none.
fn stems(dir: &Path, ext: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no *.{ext} files in {}", dir.display());
    names
}

/// A reference data set read with the project's own parser (every refs CSV parses without
/// errors; `tests/parse.rs` checks that). Numeric covariates are typed numeric, a `study_id` next
/// to a label column is the cluster, exactly as the page and the CLI read the file.
pub fn read_dataset(name: &str) -> Dataset {
    let parsed = parse_table(&read_data_text(name));
    assert!(parsed.errors.is_empty(), "{name}: {:?}", parsed.errors);
    parsed.dataset
}

/// The studies of a reference data set.
pub fn read_studies(name: &str) -> Vec<Study> {
    read_dataset(name).studies
}

/// `expected/NAME.json`.
pub fn expected(name: &str) -> Value {
    let p = refs_dir().join("expected").join(format!("{name}.json"));
    serde_json::from_str(&read_text(&p)).unwrap_or_else(|e| panic!("{}: bad JSON: {e}", p.display()))
}

/// Every data set in shared/refs/data (file stems, sorted).
pub fn all_data_sets() -> Vec<String> {
    stems(&data_dir(), "csv")
}

/// Every reference file in shared/refs/expected (file stems, sorted).
pub fn expected_names() -> Vec<String> {
    stems(&refs_dir().join("expected"), "json")
}

/// A categorical covariate column of a reference data set.
pub fn read_categorical(name: &str, column: &str) -> fourfold::data::Covariate {
    let cov = read_dataset(name).covariate(column).cloned().expect("covariate column");
    assert_eq!(cov.kind, fourfold::data::CovariateKind::Categorical, "{name}/{column}");
    cov
}
