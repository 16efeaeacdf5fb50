//! The computation schedule: it only schedules the stages of [`crate::analysis::Staged`]. Every
//! change bumps the generation counter and (after a debounce) runs: pass 1 (parse, grid, the
//! overall stage → summary and plots), pass 2 (the AUC interval added to the same fit, subgroups,
//! meta-regression) in a later event-loop task, then the leave-one-out refits a few at a time.
//! The status reads `ready` only when all of it belongs to the current input; a newer generation
//! makes pending steps return without doing anything.

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlProgressElement};

use super::dom::{by_id, clear_timeout, now, set_hidden, set_text, set_timeout, storage};
use super::{render, show_fatal, state};
use crate::analysis::{Analysis, AnalysisConfig, Block, Groups, Staged};
use crate::data::{parse_table, CovariateKind, Dataset};
use crate::report::grid;
use crate::settings::AnalysisSettings;
use crate::stats::bivariate::BivariateResult;

/// localStorage key of the autosaved text and settings.
pub const AUTOSAVE_KEY: &str = "fourfold.autosave.v1";

pub fn set_status(s: &str) -> Result<(), JsValue> {
    set_text("status", s)
}

fn report(r: Result<(), JsValue>) {
    if let Err(e) = r {
        show_fatal(&e);
    }
}

fn current(gen: u64) -> bool {
    state::with(|a| a.generation == gen)
}

/// Re-analyse after `delay` ms; cancels every pending step of older generations.
pub fn schedule(delay: i32) -> Result<(), JsValue> {
    let gen = state::with(|a| {
        a.generation += 1;
        if let Some(h) = a.debounce.take() {
            clear_timeout(h);
        }
        a.generation
    });
    set_status("computing")?;
    let h = set_timeout(delay, move || report(pass1(gen)))?;
    state::with(|a| a.debounce = Some(h));
    Ok(())
}

fn autosave(text: &str, settings: &AnalysisSettings) {
    if let Some(s) = storage() {
        let v = serde_json::json!({ "text": text, "settings": settings });
        let _ = s.set_item(AUTOSAVE_KEY, &v.to_string());
    }
}

/// Drop choices that do not fit the data (a covariate that is gone, a split of a category).
fn fit_settings(s: &mut AnalysisSettings, d: &Dataset) {
    match s.covariate.as_deref().map(|c| d.covariate(c)) {
        Some(None) => {
            s.covariate = None;
            s.split_threshold = None;
        }
        Some(Some(c)) if c.kind != CovariateKind::Numeric => s.split_threshold = None,
        _ => {}
    }
    if let Some((a, b)) = &s.cross {
        if d.covariate(a).is_none() || d.covariate(b).is_none() {
            s.cross = None;
        }
    }
    if s.comparison.test.as_deref().is_some_and(|t| d.covariate(t).is_none()) {
        s.comparison = Default::default();
    }
}

fn show(a: &Analysis) -> Result<(), JsValue> {
    render::summary(a)?;
    render::glance(a)?;
    render::fit_report(a)?;
    render::heterogeneity(&a.overall, a.settings.ci_level)?;
    render::metareg(a)?;
    super::revman::render(a)?;
    super::models::render(a)?;
    render::studies(a)?;
    super::cochrane::low_risk(a)?;
    super::findings::render(a)?;
    let opts = state::with(|s| s.plot_options.clone());
    render::plot_controls(a, &opts)?;
    render::plots(a)?;
    render::comparison(a)
}

/// No results: clear them and say why in the fit-report box.
fn nothing(why: &str) -> Result<(), JsValue> {
    render::clear_results()?;
    state::with(|a| a.analysis = None);
    set_text("loo-status", "")?;
    set_text("fit-report", why)?;
    set_status("error")
}

fn pass1(gen: u64) -> Result<(), JsValue> {
    if !current(gen) {
        return Ok(());
    }
    let (text, mut settings, from_grid) =
        state::with(|a| (a.text.clone(), a.settings.clone(), std::mem::take(&mut a.from_grid)));
    let parsed = parse_table(&text);
    fit_settings(&mut settings, &parsed.dataset);
    let g = grid::split(&text);
    if !from_grid {
        render::grid(&g, &parsed, &settings)?;
    }
    render::mark_errors(&g, &parsed)?;
    render::messages(&parsed)?;
    render::example_choice(&text)?;
    render::covariates(&parsed.dataset, &settings)?;
    let bsel: web_sys::HtmlSelectElement = by_id("bayes-model")?;
    bsel.set_value(
        &settings
            .bayes
            .model
            .and_then(|m| serde_json::to_value(m).ok())
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
    );
    super::bayes::controls(&settings)?;
    render::test_columns(&parsed.dataset, &settings)?;
    render::quadas(&parsed.dataset)?;
    super::cochrane::choices(&parsed.dataset, &settings)?;
    autosave(&text, &settings);
    state::with(|a| {
        a.settings = settings.clone();
        a.parsed = Some(parsed.clone());
    });
    if parsed.dataset.studies.is_empty() {
        return nothing("");
    }
    let cfg = match AnalysisConfig::try_from(&settings) {
        Ok(c) => c,
        Err(e) => return nothing(&format!("Settings: {e}.")),
    };
    let staged = match Staged::new(&parsed.dataset, &cfg) {
        Ok(s) => s,
        Err(e) => return nothing(&format!("Nothing to analyse: {e}.")),
    };
    let overall = staged.overall();
    let a = staged.clone().finish(overall.clone(), Groups::default(), None);
    show(&a)?;
    state::with(|s| s.analysis = Some(a));
    set_text("loo-status", "Leave-one-out: waiting for the complete fit…")?;
    set_timeout(0, move || report(pass2(gen, staged, overall)))?;
    Ok(())
}

fn pass2(gen: u64, staged: Staged, mut overall: Block) -> Result<(), JsValue> {
    if !current(gen) {
        return Ok(());
    }
    staged.complete_overall(&mut overall);
    let groups = match staged.groups() {
        Ok(g) => g,
        Err(e) => {
            let fr: Element = by_id("fit-report")?;
            let p = super::dom::add(&fr, "p", &format!("Subgroup analysis not possible: {e}."))?;
            p.set_class_name("bad");
            Groups::default()
        }
    };
    start_bayes(gen, &staged)?;
    let comparison = match staged.comparison() {
        Ok(c) => c,
        Err(e) => {
            let fr: Element = by_id("fit-report")?;
            let p = super::dom::add(&fr, "p", &format!("Comparison of tests not possible: {e}."))?;
            p.set_class_name("bad");
            None
        }
    };
    let full = overall.fit.clone();
    let low_risk = staged.low_risk();
    let models = staged.models();
    let mut a = staged.clone().finish(overall, groups, None);
    a.low_risk = low_risk;
    a.models = models;
    a.comparison = comparison;
    show(&a)?;
    let level = a.settings.ci_level;
    state::with(|s| s.analysis = Some(a));
    let Some(full) = full else {
        set_text("loo-status", "Leave-one-out: not available (no pooled fit).")?;
        render::loo(&[], level)?;
        return set_status("ready");
    };
    let key = serde_json::to_string(&(&staged.data().studies, &staged.config().fit())).unwrap_or_default();
    let cached = state::with(|s| {
        if s.loo.key == key && s.loo.complete {
            true
        } else {
            s.loo.key = key;
            s.loo.rows.clear();
            s.loo.complete = false;
            false
        }
    });
    if cached {
        let rows = state::with(|s| s.loo.rows.clone());
        render::loo(&rows, level)?;
        set_text("loo-status", &format!("{} refits, each leaving one study out.", rows.len()))?;
        return set_status("ready");
    }
    render::loo(&[], level)?;
    let job = LooJob { gen, staged, full, next: 0, level };
    progress(0, job.staged.n_loo())?;
    set_timeout(0, move || report(loo_step(job)))?;
    Ok(())
}

struct LooJob {
    gen: u64,
    staged: Staged,
    full: BivariateResult,
    next: usize,
    level: f64,
}

fn progress(done: usize, total: usize) -> Result<(), JsValue> {
    let p: HtmlProgressElement = by_id("progress")?;
    let finished = done >= total;
    set_hidden(&p, finished)?;
    p.set_max(total.max(1) as f64);
    p.set_value(done as f64);
    set_text(
        "progress-text",
        &if finished { String::new() } else { format!("leave-one-out {done} / {total}") },
    )?;
    set_text(
        "loo-status",
        &if finished {
            format!("{total} refits, each leaving one study out.")
        } else {
            format!("Computing: {done} of {total} refits…")
        },
    )
}

/// Refit a few leave-one-out rows (about 40 ms of work), then yield to the event loop.
fn loo_step(mut job: LooJob) -> Result<(), JsValue> {
    if !current(job.gen) {
        return Ok(());
    }
    let t0 = now();
    let n = job.staged.n_loo();
    let mut rows = Vec::new();
    while job.next < n {
        rows.extend(job.staged.loo_rows(&job.full, job.next..job.next + 1));
        job.next += 1;
        if now() - t0 > 40.0 {
            break;
        }
    }
    state::with(|s| s.loo.rows.extend(rows));
    progress(job.next, n)?;
    if job.next < n {
        set_timeout(0, move || report(loo_step(job)))?;
        return Ok(());
    }
    let rows = state::with(|s| {
        s.loo.complete = true;
        s.loo.rows.clone()
    });
    render::loo(&rows, job.level)?;
    set_status("ready")
}

/// The Bayesian fit the settings ask for, sampled in slices of about 40 ms (every chain advances
/// together; a newer edit stops it at the next slice). Sampling stays on the main thread: a Web
/// Worker would need a second wasm entry point and message passing that trunk builds only as a
/// separate worker crate; the slices keep typing responsive instead.
fn start_bayes(gen: u64, staged: &Staged) -> Result<(), JsValue> {
    let bx: web_sys::HtmlElement = by_id("bayes-box")?;
    let Some(run) = staged.bayes_run() else {
        set_hidden(&bx, true)?;
        return super::bayes::clear_result();
    };
    set_hidden(&bx, false)?;
    super::bayes::clear_result()?;
    let labels: Vec<String> = staged.data().studies.iter().map(|s| s.label.clone()).collect();
    let counts = staged.data().studies.iter().map(|s| (s.tp + s.fn_, s.fp + s.tn)).collect();
    let job = BayesJob { gen, run, labels, counts };
    set_timeout(0, move || report(bayes_step(job)))?;
    Ok(())
}

struct BayesJob {
    gen: u64,
    run: crate::analysis::bayes::BayesRun,
    labels: Vec<String>,
    counts: Vec<(u64, u64)>,
}

fn bayes_step(mut job: BayesJob) -> Result<(), JsValue> {
    if !current(job.gen) {
        return Ok(());
    }
    let t0 = now();
    let mut done = false;
    while !done && now() - t0 < 40.0 {
        done = job.run.advance(5);
    }
    let (it, total) = job.run.progress();
    if !done {
        set_text("bayes-status", &format!("Sampling: iteration {it} of {total} in each of the chains…"))?;
        set_timeout(0, move || report(bayes_step(job)))?;
        return Ok(());
    }
    let block = job.run.finish();
    super::bayes::render(&block, &job.labels, &job.counts)?;
    // The SROC plot draws the Bayesian regions from the analysis.
    let a = state::with(|s| {
        s.analysis.as_mut().map(|a| {
            a.bayes = Some(block);
            a.clone()
        })
    });
    if let Some(a) = a {
        let opts = state::with(|s| s.plot_options.clone());
        render::plot_controls(&a, &opts)?;
        render::plots(&a)?;
    }
    Ok(())
}
