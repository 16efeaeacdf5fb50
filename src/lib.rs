//! # Fourfold — meta-analysis of diagnostic test accuracy
//!
//! ## Code map
//!
//! | module | owns | may use |
//! |---|---|---|
//! | [`data`] | text / spreadsheets → validated [`data::Dataset`] with positioned errors (`parse`, `error`); 2×2 reconstruction from reported metrics (`reconstruct`, METHODS §11); permalinks (`permalink`); continuity correction (the one place it is applied) | `settings` (permalinks only) |
//! | [`settings`] | [`settings::AnalysisSettings`]: every user choice, with defaults (plain data) | `data` |
//! | [`stats`] | every number: per-study accuracy, the bivariate GLMM / REML engine, summaries, heterogeneity, bias, subgroups | `data` |
//! | [`report`] | numbers → JSON / text tables; computes nothing | `data`, `stats` |
//! | [`plot`] | drawing, generic over plotters' `DrawingBackend`; computes nothing statistical | `data`, `stats` |
//! | `web` (wasm32 only) | the page shell: DOM events → data → stats → report/plot | everything |
//! | `src/main.rs`, `src/cli.rs` | the native CLI `fourfold` | everything |
//!
//! ## Architecture invariants
//!
//! * `stats` and `data` do no I/O, touch no DOM, never draw, and never mention `web_sys`,
//!   `plotters` or `std::fs` (checked by `tests/tidy.rs`).
//! * Iterative fits always say how they ended (converged, iterations, termination reason,
//!   boundary, fallback rung); a non-converged estimate is never presented as a result.
//! * Nothing exported to JavaScript panics: exported functions return `Result`.
//! * Options live in config structs with documented defaults (`FitConfig`, `Correction`).
//!
//! Deliberately absent: a three-level model for clustered cohorts (METHODS §14.4), Bayesian fits.

pub mod analysis;
pub mod data;
pub mod permalink;
pub mod plot;
pub mod report;
pub mod settings;
pub mod stats;

#[cfg(target_arch = "wasm32")]
pub mod web;
