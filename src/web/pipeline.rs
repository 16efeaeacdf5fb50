//! The computation schedule. Every change bumps the generation counter and (after a debounce)
//! runs pass 1 on the page (parse, grid, the overall stage of [`crate::analysis::Staged`] →
//! summary and plots), then hands the rest to the engine's Web Workers ([`super::engine`],
//! [`crate::worker`]): the complete analysis (AUC interval, subgroups, meta-regression,
//! comparison, further models, compatibility view), the leave-one-out refits spread over the
//! pool, and the Bayesian fit in a worker of its own. Their answers are shown as they come; the
//! status reads `ready` only when everything but the Bayesian fit belongs to the current input.
//! A newer generation makes the workers drop older jobs and the page drop older answers.

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlProgressElement};

use super::dom::{by_id, clear_timeout, set_hidden, set_text, set_timeout, storage};
use super::{engine, render, show_fatal, state};
use crate::analysis::{Analysis, AnalysisConfig, Block, Groups, Staged};
use crate::data::{parse_table, CovariateKind, Dataset};
use crate::report::grid;
use crate::settings::AnalysisSettings;
use crate::stats::comparative::ComparisonBlock;
use crate::worker::{self, Message};

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

/// With `?fourfold-timing` in the page URL (`make bench-page`), each stage's duration on the main
/// thread goes to the console as `fourfold-timing STAGE MS`.
fn timed<R>(stage: &str, f: impl FnOnce() -> R) -> R {
    thread_local! {
        static ON: bool = super::dom::window()
            .and_then(|w| w.location().search())
            .is_ok_and(|q| q.contains("fourfold-timing"));
    }
    if !ON.with(|on| *on) {
        return f();
    }
    let t0 = super::dom::now();
    let r = f();
    let ms = super::dom::now() - t0;
    web_sys::console::debug_1(&JsValue::from_str(&format!("fourfold-timing {stage} {ms:.0}")));
    r
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
    let h = set_timeout(delay, move || report(timed("pass1", || pass1(gen))))?;
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
    timed("show", || show_all(a))
}

fn show_all(a: &Analysis) -> Result<(), JsValue> {
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
    let gen = state::with(|a| {
        a.analysis = None;
        a.compat = None;
        a.run = state::EngineRun::default();
        a.generation
    });
    engine::cancel(gen)?;
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
    state::with(|s| {
        s.analysis = Some(a.clone());
        s.compat = None;
    });
    show(&a)?;
    set_text("loo-status", "Leave-one-out: waiting for the complete fit…")?;
    start_engine(gen, &text, &settings, staged, overall)
}

/// Hand the slow parts of generation `gen` to the engine's workers (the AUC bootstrap, the
/// compatibility view, the leave-one-out refits unless the rows of these data are cached, the
/// Bayesian fit) and compute the rest of the analysis here in short tasks ([`pass2`]).
fn start_engine(
    gen: u64,
    text: &str,
    settings: &AnalysisSettings,
    staged: Staged,
    overall: Block,
) -> Result<(), JsValue> {
    let json = serde_json::to_string(settings).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let key = serde_json::to_string(&(&staged.data().studies, &staged.config().fit())).unwrap_or_default();
    let has_fit = overall.fit.is_some();
    let n = staged.n_loo();
    let cached = state::with(|s| {
        if s.loo.key == key && s.loo.complete {
            true
        } else {
            s.loo = state::LooCache { key, ..Default::default() };
            false
        }
    });
    let loo = has_fit && !cached;
    engine::analyse(gen, text, &json, loo)?;
    state::with(|s| {
        s.run = state::EngineRun {
            has_fit,
            slots: if loo { vec![None; n] } else { Vec::new() },
            ..Default::default()
        }
    });
    let bx: web_sys::HtmlElement = by_id("bayes-box")?;
    super::bayes::clear_result()?;
    if settings.bayes.model.is_some() {
        set_hidden(&bx, false)?;
        set_text("bayes-status", "Sampling: starting…")?;
        engine::sample(gen, Some((text, &json)))?;
    } else {
        set_hidden(&bx, true)?;
        engine::sample(gen, None)?;
    }
    let job = Pass2 { gen, staged, overall, groups: None, covariates: None, comparison: None, stage: 0 };
    set_timeout(0, move || report(timed("pass2", || pass2(job))))?;
    Ok(())
}

/// The rest of the analysis on the page, one stage per event-loop task (each a few fits).
struct Pass2 {
    gen: u64,
    staged: Staged,
    overall: Block,
    groups: Option<Groups>,
    /// The meta-regression's covariates, from the subgroup stage.
    covariates: Option<Vec<crate::data::Covariate>>,
    comparison: Option<ComparisonBlock>,
    stage: u8,
}

fn bad_note(text: &str) -> Result<(), JsValue> {
    let fr: Element = by_id("fit-report")?;
    super::dom::add(&fr, "p", text)?.set_class_name("bad");
    Ok(())
}

fn pass2(mut job: Pass2) -> Result<(), JsValue> {
    if !current(job.gen) {
        return Ok(());
    }
    let mut notes = Vec::new();
    match job.stage {
        0 => {
            let (groups, covs) = job.staged.subgroups().unwrap_or_else(|e| {
                notes.push(format!("Subgroup analysis not possible: {e}."));
                (Groups::default(), None)
            });
            job.groups = Some(groups);
            job.covariates = covs;
        }
        1 => {
            let m = job.staged.meta_regression(job.covariates.take());
            if let Some(g) = job.groups.as_mut() {
                g.meta_regression = m;
            }
        }
        2 => {
            job.comparison = job.staged.comparison().unwrap_or_else(|e| {
                notes.push(format!("Comparison of tests not possible: {e}."));
                None
            });
        }
        _ => {
            let (low_risk, models) = (job.staged.low_risk(), job.staged.models());
            let mut a = job.staged.finish(job.overall, job.groups.unwrap_or_default(), None);
            a.low_risk = low_risk;
            a.models = models;
            a.comparison = job.comparison;
            state::with(|s| {
                s.run.complete = true;
                s.run.page = Some(a);
            });
            let notes = state::with(|s| std::mem::take(&mut s.run.notes));
            refresh()?;
            for n in notes {
                bad_note(&n)?;
            }
            return loo_shown();
        }
    }
    state::with(|s| s.run.notes.extend(notes));
    job.stage += 1;
    set_timeout(0, move || report(timed("pass2", || pass2(job))))?;
    Ok(())
}

/// The analysis on screen from the page's stages and what the workers have sent so far.
fn refresh() -> Result<(), JsValue> {
    let Some(a) = state::with(|s| {
        let mut a = s.run.page.clone()?;
        if let Some((auc, simplified)) = s.run.auc.clone() {
            worker::apply_auc(&mut a.overall, auc, simplified);
        }
        if let Some((b, alt)) = s.run.bayes.clone() {
            a.bayes = Some(b);
            a.bayes_prior_sensitivity = alt;
        }
        s.analysis = Some(a.clone());
        Some(a)
    }) else {
        return Ok(());
    };
    show(&a)
}

/// An answer of an engine worker: `{gen, part, kind, message}` (one `worker::Message`),
/// `{…, done}` or `{…, error}`. Answers to an older generation are dropped.
pub fn on_engine_message(data: &JsValue) -> Result<(), JsValue> {
    timed("message", || engine_message(data))
}

fn engine_message(data: &JsValue) -> Result<(), JsValue> {
    let get = |k: &str| js_sys::Reflect::get(data, &k.into());
    let gen = get("gen")?.as_f64().unwrap_or(-1.0);
    let kind = get("kind")?.as_string().unwrap_or_default();
    if let Some(err) = get("error")?.as_string() {
        engine::discard(&kind, get("part")?.as_f64().unwrap_or(0.0) as usize);
        if gen < 0.0 || !current(gen as u64) {
            return Ok(());
        }
        if kind == "bayes" {
            return set_text("bayes-status", &format!("The Bayesian fit stopped with an error: {err}"));
        }
        return engine_failed(&err);
    }
    if gen < 0.0 || !current(gen as u64) {
        return Ok(());
    }
    let value = get("message")?;
    if value.is_undefined() {
        return Ok(()); // `done`: the messages before it said everything
    }
    let msg: Message = worker::from_js(value).map_err(|e| JsValue::from_str(&e))?;
    match msg {
        Message::Auc { auc, simplified } => {
            state::with(|s| s.run.auc = Some((auc, simplified)));
            refresh()?;
            loo_shown()
        }
        Message::Compat(c) => {
            state::with(|s| s.compat = Some(*c));
            match state::with(|s| s.analysis.clone()) {
                Some(a) => super::findings::render(&a),
                None => Ok(()),
            }
        }
        Message::Loo { start, rows, total } => {
            let done = state::with(|s| {
                for (i, r) in rows.into_iter().enumerate() {
                    if let Some(slot) = s.run.slots.get_mut(start + i) {
                        *slot = Some(r);
                    }
                }
                s.run.slots.iter().filter(|r| r.is_some()).count()
            });
            if done < total {
                return progress(done, total);
            }
            state::with(|s| {
                s.loo.rows = std::mem::take(&mut s.run.slots).into_iter().flatten().collect();
                s.loo.complete = true;
            });
            loo_shown()
        }
        Message::BayesProgress { done, total } => {
            set_text("bayes-status", &format!("Sampling: iteration {done} of {total} in each of the chains…"))
        }
        Message::Bayes { block, sensitivity } => {
            // The analysed studies' labels and (diseased, non-diseased) counts.
            let (labels, counts): (Vec<String>, Vec<(u64, u64)>) = state::with(|s| {
                s.run.bayes = Some((*block.clone(), sensitivity.clone()));
                let Some(a) = s.analysis.as_mut() else { return Default::default() };
                a.bayes = Some(*block.clone());
                a.bayes_prior_sensitivity = sensitivity.clone();
                a.overall.studies.iter().map(|x| (x.label.clone(), (x.tp + x.fn_, x.fp + x.tn))).unzip()
            });
            super::bayes::render(&block, sensitivity.as_deref(), &labels, &counts)?;
            // The SROC plot draws the Bayesian regions from the analysis.
            refresh()
        }
        Message::Nothing => Ok(()),
    }
}

/// The leave-one-out part of the page: the rows (cached or just refitted), the progress while
/// refits are under way, or why there are none. The status reads `ready` when nothing but the
/// Bayesian fit is pending.
fn loo_shown() -> Result<(), JsValue> {
    let (complete, auc, has_fit, slots, level) = state::with(|s| {
        let done = s.run.slots.iter().filter(|r| r.is_some()).count();
        (s.run.complete, s.run.auc.is_some(), s.run.has_fit, (done, s.run.slots.len()), s.settings.ci_level)
    });
    if !complete {
        return Ok(());
    }
    if !has_fit {
        set_text("loo-status", "Leave-one-out: not available (no pooled fit).")?;
        render::loo(&[], level)?;
        return set_status("ready");
    }
    if slots.1 > 0 {
        render::loo(&[], level)?;
        return progress(slots.0, slots.1);
    }
    let rows = state::with(|s| s.loo.rows.clone());
    render::loo(&rows, level)?;
    progress(rows.len(), rows.len())?;
    if auc {
        set_status("ready")?;
    }
    Ok(())
}

/// An analysis worker stopped with an error: say so where the results are (what is on screen
/// stays: it belongs to the current input but is incomplete).
pub fn engine_failed(err: &str) -> Result<(), JsValue> {
    bad_note(&format!("The analysis could not be completed: {err}."))?;
    set_hidden(&by_id::<Element>("progress")?, true)?;
    set_status("error")
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
