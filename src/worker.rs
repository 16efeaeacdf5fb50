//! The page's analysis off its main thread: the jobs its Web Workers run (`src/bin/engine.rs`,
//! `www/engine-worker.js`) and the messages they send back. A job does its work in steps of
//! about [`SLICE_MS`] so that the worker can notice a newer request between steps (the page's
//! newer edit cancels older work); every step returns at most one [`Message`].
//!
//! Jobs are plain Rust, so they are tested natively (`tests/worker.rs`: assembled from the
//! messages, the page's analysis equals [`crate::analysis::run`]). The messages travel as
//! MessagePack ([`to_bytes`] / [`from_bytes`]): unlike JSON it keeps NaN and ±∞, and it is not
//! human-readable, so the types that JSON shows as one sentence (a fit's termination, fallback,
//! boundary, errors: `stats::text_for_people!`) travel structurally and read back as the same
//! values.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::analysis::bayes::{prior_sensitivity, Alternative, BayesBlock, BayesRun};
use crate::analysis::{Analysis, AnalysisConfig, Block, Staged};
use crate::data::parse_table;
use crate::findings::{compat_view, CompatView};
use crate::settings::AnalysisSettings;
use crate::stats::bivariate::BivariateResult;
use crate::stats::influence::LooRow;

/// Work per step, in milliseconds (measured by the caller's clock).
pub const SLICE_MS: f64 = 40.0;

/// What a job sends back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Message {
    /// Everything but the leave-one-out refits and the Bayesian fit: the overall block with its
    /// AUC interval, subgroups, meta-regression, comparison of tests, further models, low-risk
    /// analysis, and the compatibility view. `*_error` say why a part the settings ask for could
    /// not be done (shown in the fit report).
    Complete {
        analysis: Box<Analysis>,
        compat: Option<Box<CompatView>>,
        groups_error: Option<String>,
        comparison_error: Option<String>,
    },
    /// Leave-one-out rows `start .. start + rows.len()` of `total`.
    Loo { start: usize, rows: Vec<LooRow>, total: usize },
    /// Iterations done and in all, per chain, of the Bayesian fit.
    BayesProgress { done: usize, total: usize },
    /// The Bayesian fit, and the prior-sensitivity fits when asked for.
    Bayes { block: Box<BayesBlock>, sensitivity: Option<Vec<Alternative>> },
    /// Nothing to do: the text has no studies or the settings do not validate (the page has
    /// already said why).
    Nothing,
}

/// `v` as MessagePack bytes.
///
/// # Errors
/// The encoder's message (a map key that is not a string, which no result type has).
pub fn to_bytes<T: Serialize>(v: &T) -> Result<Vec<u8>, String> {
    crate::stats::while_transferring(|| rmp_serde::to_vec_named(v))
        .map_err(|e| format!("could not encode the result: {e}"))
}

/// A value from the bytes of [`to_bytes`].
///
/// # Errors
/// The decoder's message (bytes from another version of the program).
pub fn from_bytes<T: DeserializeOwned>(b: &[u8]) -> Result<T, String> {
    rmp_serde::from_slice(b).map_err(|e| format!("could not decode the result: {e}"))
}

/// The data and settings of a request, as the page sends them.
fn staged(text: &str, settings_json: &str) -> Result<Option<Staged>, String> {
    let settings: AnalysisSettings =
        serde_json::from_str(settings_json).map_err(|e| format!("the settings could not be read: {e}"))?;
    let parsed = parse_table(text);
    let Ok(cfg) = AnalysisConfig::try_from(&settings) else {
        return Ok(None);
    };
    Ok(Staged::new(&parsed.dataset, &cfg).ok())
}

enum Stage {
    Overall,
    Rest(Box<Block>),
    Loo,
    Done,
}

/// One part of an analysis request. Part 0 of `parts` computes everything but the Bayesian fit
/// ([`Message::Complete`]) and then its share of the leave-one-out refits; the other parts fit
/// the overall model and refit their share. Shares are contiguous ranges of the studies.
pub struct AnalysisJob {
    staged: Option<Staged>,
    part: usize,
    parts: usize,
    loo: bool,
    stage: Stage,
    full: Option<BivariateResult>,
    next: usize,
    end: usize,
}

impl AnalysisJob {
    /// A job on `text` with the page's (already adjusted) settings as JSON. `loo`: also refit the
    /// leave-one-out rows (the page asks only when it has no complete rows for these data).
    ///
    /// # Errors
    /// When the settings JSON cannot be read (a page from another version).
    pub fn new(text: &str, settings_json: &str, part: usize, parts: usize, loo: bool) -> Result<Self, String> {
        let staged = staged(text, settings_json)?;
        let parts = parts.max(1);
        let (start, end) = match &staged {
            Some(s) => {
                let n = s.n_loo();
                (n * part / parts, n * (part + 1) / parts)
            }
            None => (0, 0),
        };
        Ok(AnalysisJob { staged, part, parts, loo, stage: Stage::Overall, full: None, next: start, end })
    }

    /// The leave-one-out rows this part refits.
    pub fn loo_range(&self) -> std::ops::Range<usize> {
        self.next..self.end
    }

    /// One step of about [`SLICE_MS`] (by `now`, in ms); `None` when the job is done.
    pub fn step(&mut self, now: &dyn Fn() -> f64) -> Option<Message> {
        let Some(staged) = self.staged.as_ref() else {
            if matches!(self.stage, Stage::Done) {
                return None;
            }
            self.stage = Stage::Done;
            return (self.part == 0).then_some(Message::Nothing);
        };
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Overall => {
                let mut overall = staged.overall();
                self.full = overall.fit.clone();
                if self.part == 0 {
                    staged.complete_overall(&mut overall);
                    self.stage = Stage::Rest(Box::new(overall));
                    // The overall fit is one step; the rest is the next.
                    return self.step(now);
                }
                self.stage = Stage::Loo;
                self.step(now)
            }
            Stage::Rest(overall) => {
                self.stage = Stage::Loo;
                Some(complete(staged, *overall))
            }
            Stage::Loo => {
                if !self.loo || self.full.is_none() || self.next >= self.end {
                    return None;
                }
                let full = self.full.as_ref()?;
                let t0 = now();
                let start = self.next;
                let mut rows = Vec::new();
                while self.next < self.end {
                    rows.extend(staged.loo_rows(full, self.next..self.next + 1));
                    self.next += 1;
                    if now() - t0 > SLICE_MS {
                        break;
                    }
                }
                self.stage = Stage::Loo;
                Some(Message::Loo { start, rows, total: staged.n_loo() })
            }
            Stage::Done => None,
        }
    }

    /// Which part of how many.
    pub fn part(&self) -> (usize, usize) {
        (self.part, self.parts)
    }
}

/// The [`Message::Complete`] of an overall block (with its AUC interval).
fn complete(staged: &Staged, overall: Block) -> Message {
    let (groups, groups_error) = match staged.groups() {
        Ok(g) => (g, None),
        Err(e) => (Default::default(), Some(e.to_string())),
    };
    let (comparison, comparison_error) = match staged.comparison() {
        Ok(c) => (c, None),
        Err(e) => (None, Some(e.to_string())),
    };
    let low_risk = staged.low_risk();
    let models = staged.models();
    let mut a = staged.clone().finish(overall, groups, None);
    a.low_risk = low_risk;
    a.models = models;
    a.comparison = comparison;
    let compat = Some(Box::new(compat_view(&a)));
    Message::Complete { analysis: Box::new(a), compat, groups_error, comparison_error }
}

/// The Bayesian fit the settings ask for, sampled in steps (every chain advances together).
pub struct BayesJob {
    run: Option<BayesRun>,
    staged: Option<Staged>,
    done: bool,
}

impl BayesJob {
    /// # Errors
    /// When the settings JSON cannot be read.
    pub fn new(text: &str, settings_json: &str) -> Result<Self, String> {
        let staged = staged(text, settings_json)?;
        let run = staged.as_ref().and_then(Staged::bayes_run);
        Ok(BayesJob { run, staged, done: false })
    }

    /// One step of about [`SLICE_MS`]: progress, then the fit; `None` when done.
    pub fn step(&mut self, now: &dyn Fn() -> f64) -> Option<Message> {
        if self.done {
            return None;
        }
        let Some(run) = self.run.as_mut() else {
            self.done = true;
            return Some(Message::Nothing);
        };
        let t0 = now();
        let mut finished = false;
        while !finished && now() - t0 < SLICE_MS {
            finished = run.advance(5);
        }
        if !finished {
            let (done, total) = run.progress();
            return Some(Message::BayesProgress { done, total });
        }
        self.done = true;
        let block = Box::new(run.finish());
        let sensitivity = self.staged.as_ref().and_then(|s| {
            let b = &s.config().settings().bayes;
            b.prior_sensitivity.then(|| prior_sensitivity(&s.data().studies, b))
        });
        Some(Message::Bayes { block, sensitivity })
    }
}
