//! # Fourfold — meta-analysis of diagnostic test accuracy
//!
//! ## Code map
//!
//! | module | owns | may use |
//! |---|---|---|
//! | [`data`] | text / spreadsheets → validated [`data::Dataset`] with positioned errors (`parse`, `error`); 2×2 reconstruction from reported metrics (`reconstruct`, METHODS §11); continuity correction (the one place it is applied); the named choices of options (`choice`) | — |
//! | [`stats`] | every number: per-study accuracy, the bivariate GLMM / REML engine, summaries, heterogeneity, bias, subgroups, influence, HSROC meta-regression and the three-level model (`multilevel`: their small AGHQ engine) | `data` |
//! | [`settings`] | [`settings::AnalysisSettings`]: every user choice, with defaults and range checks; the option types are the statistics' own enums | `data`, `stats` |
//! | [`permalink`] | data + settings ⇄ a `#v1.…` URL fragment (bit-exact, never panics) | `data`, `settings`, `stats` |
//! | [`analysis`] | one complete analysis (overall, subgroups, meta-regression, leave-one-out) from data + validated settings, as one call (`run`) or in the stages the page schedules (`Staged`); records the settings in the result | `data`, `settings`, `stats` |
//! | [`findings`] | what a review hands over, from a finished analysis: the GRADE summary of findings in natural frequencies (METHODS §17), the decision curve, the compatibility view (each tool's model and conventions fitted by `stats`) | `analysis`, `data`, `settings`, `stats` |
//! | [`report`] | every word a user reads (fit report, interpretations, tables, headers at the result's level, input messages), the figures' inputs, exports, the page's editable grid; computes nothing | `analysis`, `data`, `findings`, `plot`, `settings`, `stats` |
//! | [`plot`] | drawing, generic over plotters' `DrawingBackend`, from plain structs; computes nothing statistical | — |
//! | [`worker`] | the page's analysis off its main thread: the jobs its Web Workers run, in steps a newer request cancels, and the messages (JavaScript values via serde-wasm-bindgen: NaN and ∞ kept) they send back | `analysis`, `data`, `findings`, `settings`, `stats` |
//! | `web` (wasm32 only) | the page shell: DOM events → settings → `analysis` stages on the page and `worker` jobs in Web Workers → places what `report` produced | everything |
//! | `bin` (`src/bin/sheets.rs`, `src/bin/engine.rs`, `src/bin/paint.rs`, wasm32 only) | the page's other wasm modules: the spreadsheet reader (a Web Worker, fetched on first use), the analysis engine (Web Workers; wraps `worker`'s jobs) and the first paint (`web::paint`, loaded before the page's full module) | `data`, `report`, `worker`, `web` |
//! | `cli` (`src/main.rs`, `src/cli.rs`) | the native CLI `fourfold` (on wasm32 `main` starts `web`) | everything |
//!
//! "May use" is the allowed import graph: `tests/tidy.rs` reads this table, checks that it names
//! every top-level module under `src/`, and fails on any `crate::…`, `super::…` (or, in the binary,
//! `fourfold::…`) path into a module the row does not list. Besides, `stats` and `data` never import
//! `web`, `report`, `plot`, `analysis` or `settings`, and `plot` never imports `web` or `stats`,
//! whatever the table says. Known offenders are listed, with the reason, in `tests/tidy.rs`.
//!
//! ## Architecture invariants
//!
//! * `stats` and `data` do no I/O, touch no DOM, never draw, and never mention `web_sys`,
//!   `plotters` or `std::fs` (checked by `tests/tidy.rs`).
//! * Iterative fits always say how they ended (converged, iterations, termination reason,
//!   boundary, fallback rung); a non-converged estimate is never presented as a result.
//! * Nothing exported to JavaScript panics: exported functions return `Result`.
//! * Options live in config structs with documented defaults (`AnalysisSettings`, `FitConfig`,
//!   `Correction`); the confidence level and the continuity correction are stored once, in the
//!   settings, and the statistics' configs are derived from them.
//! * Results are typed (method, rung, termination, boundary, fallback, errors are enums that
//!   serialise to the JSON strings of earlier versions); nothing downstream matches on prose.
//!
//! * The page fits only the overall model; every later stage runs in Web Workers (`worker`,
//!   `src/bin/engine.rs`) and crosses as results the page decodes. The decoders are in the page's
//!   full module, which is fetched after a small first-paint module (`web::paint`) has put the
//!   initial analysis on screen (README, *Performance*).
//!
//! The Bayesian fits (issue #16) are `stats::bayes` (own NUTS), run by `analysis::bayes`, worded by
//! `report::bayes` and placed by `web::bayes`. (The three-level model for clustered cohorts, METHODS §15.3,
//! is `stats::threelevel`; the HSROC meta-regression, §16, is `stats::hsroc_reg`.)

pub mod analysis;
pub mod data;
pub mod findings;
pub mod permalink;
pub mod plot;
pub mod report;
pub mod settings;
pub mod stats;
pub mod worker;

#[cfg(target_arch = "wasm32")]
pub mod web;
