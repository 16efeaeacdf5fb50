//! The page's state: the text and settings the user chose, the latest results, and the
//! generation counter that lets a new input cancel pending work. One instance per page, in a
//! thread-local (wasm is single-threaded).

use std::cell::RefCell;

use crate::analysis::bayes::{Alternative, BayesBlock};
use crate::analysis::Analysis;
use crate::data::ParseOutcome;
use crate::findings::CompatView;
use crate::settings::AnalysisSettings;
use crate::stats::bivariate::AucBlock;
use crate::stats::bivariate::DEFAULT_NODES;
use crate::stats::influence::LooRow;

/// The embedded example data sets (copies of shared/refs/data under www/examples), `(file stem,
/// description, text)`. The first is the default.
pub const EXAMPLES: [(&str, &str, &str); 15] = [
    (
        "scheidler",
        "Scheidler 1997 — lymph-node metastases (CT, LAG, MRI)",
        include_str!("../../www/examples/scheidler.csv"),
    ),
    ("audit_c", "AUDIT-C — alcohol misuse", include_str!("../../www/examples/audit_c.csv")),
    (
        "smoking",
        "Smoking — self-report vs biochemical validation",
        include_str!("../../www/examples/smoking.csv"),
    ),
    (
        "schuetz",
        "Schuetz 2010 — CT vs MRI coronary angiography",
        include_str!("../../www/examples/schuetz.csv"),
    ),
    ("anti_ccp", "Anti-CCP — rheumatoid arthritis", include_str!("../../www/examples/anti_ccp.csv")),
    ("audit4", "AUDIT — 4 studies", include_str!("../../www/examples/audit4.csv")),
    ("catheter", "Catheter segment culture", include_str!("../../www/examples/catheter.csv")),
    ("dementia", "Dementia screening", include_str!("../../www/examples/dementia.csv")),
    ("gould_pet", "Gould — PET for pulmonary nodules", include_str!("../../www/examples/gould_pet.csv")),
    ("mmse4", "MMSE — 4 studies", include_str!("../../www/examples/mmse4.csv")),
    ("pap", "Pap smear", include_str!("../../www/examples/pap.csv")),
    (
        "scheidler_lag",
        "Scheidler — lymphangiography only",
        include_str!("../../www/examples/scheidler_lag.csv"),
    ),
    ("skin_tests", "Skin tests", include_str!("../../www/examples/skin_tests.csv")),
    ("telomerase", "Telomerase — bladder cancer", include_str!("../../www/examples/telomerase.csv")),
    ("xpert_tbm", "Xpert — tuberculous meningitis", include_str!("../../www/examples/xpert_tbm.csv")),
];

/// The default example (Scheidler et al. 1997, JAMA 278:1096).
pub const EXAMPLE_CSV: &str = EXAMPLES[0].2;

/// The page's default settings: the documented defaults with the engine's default node count, so
/// that the page and the CLI (`fourfold analyze`) give the same numbers.
pub fn default_settings() -> AnalysisSettings {
    AnalysisSettings { nodes: DEFAULT_NODES as u32, ..AnalysisSettings::default() }
}

/// Leave-one-out rows of one input, kept so that changing only e.g. the pre-test probability
/// does not redo the refits.
#[derive(Default)]
pub struct LooCache {
    pub key: String,
    pub rows: Vec<LooRow>,
    pub complete: bool,
}

/// The current generation's results as they come in (`super::pipeline`, `super::engine`).
#[derive(Default)]
pub struct EngineRun {
    /// The worker's later stages ([`crate::worker::Later`]) are in `page`.
    pub complete: bool,
    /// The page's first pass (the data and the overall block) until the later stages come.
    pub base: Option<(crate::analysis::Staged, crate::analysis::Block)>,
    /// The analysis without the AUC interval and the Bayesian fit: the first pass's, then the
    /// complete one.
    pub page: Option<Analysis>,
    /// The subgroup table's rows received so far ([`crate::worker::Message::Subgroup`]).
    pub levels: Vec<crate::analysis::Subgroup>,
    /// Why a later stage has no result ([`crate::worker::Later::notes`]), under the fit report.
    pub notes: Vec<String>,
    /// The overall model was fitted (leave-one-out refits need it).
    pub has_fit: bool,
    /// The AUC interval of the overall fit and of its simplified fit, from the worker.
    pub auc: Option<(Option<AucBlock>, Option<AucBlock>)>,
    /// Leave-one-out rows as they arrive (empty: none requested — cached, or no pooled fit).
    pub slots: Vec<Option<LooRow>>,
    /// The Bayesian fit and its prior-sensitivity fits, once sampled.
    pub bayes: Option<(BayesBlock, Option<Vec<Alternative>>)>,
}

#[derive(Default)]
pub struct App {
    pub text: String,
    pub settings: AnalysisSettings,
    /// Incremented by every change of input or settings; pending work of older generations stops.
    pub generation: u64,
    pub debounce: Option<i32>,
    pub parsed: Option<ParseOutcome>,
    /// The analysis on screen (fast pass, then complete).
    pub analysis: Option<Analysis>,
    pub loo: LooCache,
    /// The engine's work on the current input.
    pub run: EngineRun,
    /// The compatibility view of the analysis on screen (computed by the engine).
    pub compat: Option<CompatView>,
    /// The last change came from the grid editor (do not rebuild the grid under the cursor).
    pub from_grid: bool,
    /// The `#…` fragment this page wrote itself (its own `hashchange` is ignored).
    pub own_hash: String,
    /// The text and settings an example replaced (for "Undo").
    pub undo: Option<(String, AnalysisSettings)>,
    /// The analysis is being shown, one section or figure per task (`pipeline::show`), the next
    /// being `show_next`.
    pub showing: bool,
    pub show_next: usize,
    /// The grid editor of the latest text, drawn after the results (`pipeline::pass1`).
    pub pending_grid: Option<Box<dyn FnOnce() -> Result<(), wasm_bindgen::JsValue>>>,
    /// `ready` waits for that task.
    pub ready_pending: bool,
    /// Display choices of the figures (zoom, regions, labels); not analysis settings.
    pub plot_options: crate::report::plots::PlotOptions,
}

thread_local! {
    static APP: RefCell<App> = RefCell::new(App {
        settings: default_settings(),
        ..App::default()
    });
}

/// The current settings when the state is not borrowed (for the panic hook, which may run while
/// it is); `None` otherwise.
pub fn try_settings() -> Option<AnalysisSettings> {
    APP.try_with(|a| a.try_borrow().ok().map(|a| a.settings.clone())).ok().flatten()
}

/// Run `f` with the state borrowed mutably. Never call `with` from inside `f`.
pub fn with<R>(f: impl FnOnce(&mut App) -> R) -> R {
    APP.with(|a| f(&mut a.borrow_mut()))
}
