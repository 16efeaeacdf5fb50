//! The page's analysis off its main thread: the jobs its Web Workers run (`src/bin/engine.rs`,
//! `www/engine-worker.js`) and the messages they send back. A job does its work in steps of
//! about [`SLICE_MS`] so that the worker can notice a newer request between steps (the page's
//! newer edit cancels older work); every step returns at most one [`Message`].
//!
//! Jobs are plain Rust, so they are tested natively (`tests/worker.rs`: with the messages'
//! results, the page's analysis equals [`crate::analysis::run`]). The messages travel as
//! JavaScript values (serde-wasm-bindgen, then the structured clone of `postMessage`): unlike JSON
//! they keep NaN and ±∞, and inside [`encoding`] the types that JSON shows as one sentence (a fit's
//! termination, fallback, boundary: `stats::text_for_people!`) and the fits' internals go
//! structurally, so they read back as the same values. The page fits only the overall model
//! itself (its first results); every later stage — subgroups, meta-regression, comparison of
//! tests, low-risk analysis, further models ([`Later`]), the AUC interval, the compatibility
//! view, the leave-one-out refits and the Bayesian fit — comes from a worker. The decoders this needs are in the page's full module, not
//! in the first paint's (`src/bin/paint.rs`), so they do not weigh on the first load.

use serde::{Deserialize, Serialize};

use crate::analysis::bayes::{prior_sensitivity, Alternative, BayesBlock, BayesRun};
use crate::analysis::models::ModelsBlock;
use crate::analysis::{
    Analysis, AnalysisConfig, Block, Groups, LowRiskAnalysis, MetaRegOutcome, Staged, Subgroup, SubgroupTable,
};
use crate::data::parse_table;
use crate::data::Covariate;
use crate::findings::{compat_view, CompatView};
use crate::settings::AnalysisSettings;
use crate::stats::bivariate::{AucBlock, BivariateResult};
use crate::stats::comparative::ComparisonBlock;
use crate::stats::influence::LooRow;

/// Work per step, in milliseconds (measured by the caller's clock).
pub const SLICE_MS: f64 = 40.0;

/// What a job sends back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Message {
    /// The AUC interval of the overall fit (the bootstrap of METHODS §4.6), for the fit and for
    /// the simplified fit beside it, if any.
    Auc { auc: Option<AucBlock>, simplified: Option<AucBlock> },
    /// One row of the subgroup table, in the table's order (part 0, before [`Message::Later`];
    /// one message each keeps every decode on the page short).
    Subgroup(Box<Subgroup>),
    /// The stages after the overall fit (part 0, after [`Message::Auc`] and the subgroups), the
    /// subgroup table without its rows.
    Later(Box<Later>),
    /// The compatibility view (every other tool's model fitted to the same studies).
    Compat(Box<CompatView>),
    /// Leave-one-out rows `start .. start + rows.len()` of `total`.
    Loo { start: usize, rows: Vec<LooRow>, total: usize },
    /// Iterations done and in all, per chain, of the Bayesian fit.
    BayesProgress { done: usize, total: usize },
    /// The Bayesian fit, and the prior-sensitivity fits when asked for.
    Bayes { block: Box<BayesBlock>, sensitivity: Option<Vec<Alternative>> },
    /// A stage is done with nothing to show yet (the step ends so that the worker can notice a
    /// newer request).
    Pending,
    /// Nothing to do: the text has no studies or the settings do not validate (the page has
    /// already said why).
    Nothing,
}

/// The stages of an analysis after the overall fit, as part 0 computes them (each its own step):
/// with the page's overall block they make the complete analysis ([`assemble`]).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Later {
    pub subgroups: Option<SubgroupTable>,
    pub meta_regression: Option<std::collections::BTreeMap<String, MetaRegOutcome>>,
    pub comparison: Option<ComparisonBlock>,
    pub low_risk: Option<LowRiskAnalysis>,
    pub models: Option<ModelsBlock>,
    /// Why a stage has no result (the grouping or the test column does not fit the data), in
    /// the words the page shows under the fit report.
    pub notes: Vec<String>,
}

/// The complete analysis (without leave-one-out and Bayesian fit) from the stages: what the page
/// shows once [`Message::Later`] has come (with the rows of [`Message::Subgroup`] before it), and
/// what `tests/worker.rs` compares with [`crate::analysis::run`].
pub fn assemble(staged: Staged, overall: Block, levels: Vec<Subgroup>, mut later: Later) -> Analysis {
    if let Some(t) = later.subgroups.as_mut() {
        t.levels = levels;
    }
    let groups = Groups { subgroups: later.subgroups, meta_regression: later.meta_regression };
    let mut a = staged.finish(overall, groups, None);
    a.low_risk = later.low_risk;
    a.models = later.models;
    a.comparison = later.comparison;
    a
}

/// Put the AUC interval of [`Message::Auc`] into the page's overall block (from
/// [`Staged::overall`], which leaves it out): the block is then [`Staged::complete_overall`]'s.
pub fn apply_auc(block: &mut Block, auc: Option<AucBlock>, simplified: Option<AucBlock>) {
    if let Some(f) = block.fit.as_mut() {
        f.auc = auc;
        if let Some(s) = f.simplified.as_mut() {
            s.auc = simplified;
        }
    }
}

/// Runs `f` — the encoder of a worker's message — so that the types JSON shows as one sentence
/// serialise structurally, and the fields JSON leaves out (the draws behind the MCMC plots) are
/// written (`stats::for_people`).
pub fn encoding<R>(f: impl FnOnce() -> R) -> R {
    crate::stats::while_transferring(f)
}

/// A message as the JavaScript value a worker posts: serde-wasm-bindgen inside [`encoding`], NaN
/// and ±∞ as numbers, u64 as BigInt (a seed may exceed 2⁵³).
///
/// # Errors
/// The encoder's message.
#[cfg(target_arch = "wasm32")]
pub fn to_js(m: &Message) -> Result<wasm_bindgen::JsValue, String> {
    let ser = serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
    encoding(|| m.serialize(&ser)).map_err(|e| format!("could not encode the result: {e}"))
}

/// The message of [`to_js`]'s value (after `postMessage`'s structured clone).
///
/// # Errors
/// The decoder's message (a value from another version of the program).
#[cfg(target_arch = "wasm32")]
pub fn from_js(v: wasm_bindgen::JsValue) -> Result<Message, String> {
    serde_wasm_bindgen::from_value(v).map_err(|e| format!("could not decode the result: {e}"))
}

/// The leave-one-out rows `start..end` of part `part` of `parts`: contiguous, in order, covering
/// `0..n`. With several parts, part 0 computes the later stages (subgroups, meta-regression, …)
/// and the compatibility view and no rows, while parts 1.. share the rows equally: the later
/// stages then run beside the refits, as they did when the page computed them (schuetz in 2
/// refitting workers: everything done in 1.87 s instead of 2.16–2.24 s when part 0 also
/// refitted; medians of 5 runs).
pub fn loo_share(n: usize, part: usize, parts: usize) -> (usize, usize) {
    if parts <= 1 {
        return (0, n);
    }
    if part == 0 {
        return (0, 0);
    }
    let (i, m) = (part - 1, parts - 1);
    (n * i / m, n * (i + 1) / m)
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
    Subgroups,
    /// Sending the subgroups one per message ([`Message::Subgroup`]), then the meta-regression
    /// on these covariates.
    Levels(Option<Vec<Covariate>>),
    MetaRegression(Option<Vec<Covariate>>),
    Comparison,
    Rest,
    Compat,
    Loo,
    Done,
}

/// One part of an analysis request. Every part fits the overall model and refits its share of
/// the leave-one-out rows ([`loo_share`]); part 0 first sends the AUC interval
/// ([`Message::Auc`]), the later stages ([`Message::Subgroup`], [`Message::Later`], one step
/// each) and the compatibility view ([`Message::Compat`]).
pub struct AnalysisJob {
    staged: Option<Staged>,
    part: usize,
    loo: bool,
    stage: Stage,
    full: Option<BivariateResult>,
    /// Part 0: the overall block with its AUC interval (for the compatibility view).
    overall: Option<Box<Block>>,
    levels: std::collections::VecDeque<Subgroup>,
    later: Later,
    next: usize,
    end: usize,
}

impl AnalysisJob {
    /// A job on `text` with the page's (already adjusted) settings as JSON. `loo`: also refit the
    /// leave-one-out rows (the page asks only when it has no complete rows for these data).
    ///
    /// # Errors
    /// When the settings JSON cannot be read (a page from another version).
    pub fn new(
        text: &str,
        settings_json: &str,
        part: usize,
        parts: usize,
        loo: bool,
    ) -> Result<Self, String> {
        let staged = staged(text, settings_json)?;
        let parts = parts.max(1);
        let (start, end) = match &staged {
            Some(s) => loo_share(s.n_loo(), part, parts),
            None => (0, 0),
        };
        Ok(AnalysisJob {
            staged,
            part,
            loo,
            stage: Stage::Overall,
            full: None,
            overall: None,
            levels: Default::default(),
            later: Later::default(),
            next: start,
            end,
        })
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
                    let (auc, simplified) = match &overall.fit {
                        Some(f) => (f.auc.clone(), f.simplified.as_ref().and_then(|s| s.auc.clone())),
                        None => (None, None),
                    };
                    self.overall = Some(Box::new(overall));
                    self.stage = Stage::Subgroups;
                    return Some(Message::Auc { auc, simplified });
                }
                self.stage = Stage::Loo;
                self.step(now)
            }
            Stage::Subgroups => {
                let covs = match staged.subgroups() {
                    Ok((g, covs)) => {
                        if let Some(mut t) = g.subgroups {
                            self.levels = std::mem::take(&mut t.levels).into();
                            self.later.subgroups = Some(t);
                        }
                        covs
                    }
                    Err(e) => {
                        self.later.notes.push(format!("Subgroup analysis not possible: {e}."));
                        None
                    }
                };
                self.stage = Stage::Levels(covs);
                Some(Message::Pending)
            }
            Stage::Levels(covs) => match self.levels.pop_front() {
                Some(level) => {
                    self.stage = Stage::Levels(covs);
                    Some(Message::Subgroup(Box::new(level)))
                }
                None => {
                    self.stage = Stage::MetaRegression(covs);
                    self.step(now)
                }
            },
            Stage::MetaRegression(covs) => {
                self.later.meta_regression = staged.meta_regression(covs);
                self.stage = Stage::Comparison;
                Some(Message::Pending)
            }
            Stage::Comparison => {
                self.later.comparison = staged.comparison().unwrap_or_else(|e| {
                    self.later.notes.push(format!("Comparison of tests not possible: {e}."));
                    None
                });
                self.stage = Stage::Rest;
                Some(Message::Pending)
            }
            Stage::Rest => {
                self.later.low_risk = staged.low_risk();
                self.later.models = staged.models();
                self.stage = Stage::Compat;
                Some(Message::Later(Box::new(std::mem::take(&mut self.later))))
            }
            Stage::Compat => {
                self.stage = Stage::Loo;
                let overall = self.overall.take()?;
                let a = staged.clone().finish(*overall, Default::default(), None);
                Some(Message::Compat(Box::new(compat_view(&a))))
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
