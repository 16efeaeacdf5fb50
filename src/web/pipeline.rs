//! The computation schedule. Every change bumps the generation counter and (after a debounce)
//! runs pass 1 on the page in short tasks (parse; the overall stage of
//! [`crate::analysis::Staged`] → summary and tables; the figures; the grid editor), then hands
//! the rest to the engine's Web Workers ([`super::engine`], [`crate::worker`]): the later stages
//! (subgroups, meta-regression, comparison, further models), the AUC interval and the
//! compatibility view, the leave-one-out refits spread over the pool, and the Bayesian fit in a
//! worker of its own. Their answers are shown as they come; the status reads `ready` only when
//! everything but the Bayesian fit belongs to the current input. A newer generation makes the
//! workers drop older jobs and the page drop older answers. No task of the page fits more than
//! the overall model.

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlProgressElement};

use super::dom::{by_id, clear_timeout, set_hidden, set_text, set_timeout, storage};
use super::{engine, render, show_fatal, state};
use crate::analysis::{Analysis, AnalysisConfig, Block, Groups, Staged};
use crate::data::{parse_table, CovariateKind, Dataset};
use crate::report::grid;
use crate::settings::AnalysisSettings;
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
pub(super) fn timed<R>(stage: &str, f: impl FnOnce() -> R) -> R {
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
        a.ready_pending = false;
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

/// Show the analysis on screen, one section per task and then one figure per task, so that no
/// task is long (a newer call restarts from the first section, on the analysis then on screen).
fn show() -> Result<(), JsValue> {
    let running = state::with(|s| {
        s.show_next = 0;
        std::mem::replace(&mut s.showing, true)
    });
    if !running {
        set_timeout(0, || report(show_next()))?;
    }
    Ok(())
}

/// The sections before the figures ([`show_section`]).
const SECTIONS: usize = 4;

/// Section `i` of `a`: the main results first.
fn show_section(a: &Analysis, i: usize) -> Result<(), JsValue> {
    match i {
        0 => {
            render::summary(a)?;
            render::glance(a)?;
            render::fit_report(a)?;
            for n in state::with(|s| s.run.notes.clone()) {
                bad_note(&n)?;
            }
            render::heterogeneity(&a.overall, a.settings.ci_level)
        }
        1 => {
            render::metareg(a)?;
            super::revman::render(a)?;
            super::models::render(a)?;
            render::comparison(a)?;
            let opts = state::with(|s| s.plot_options.clone());
            render::plot_controls(a, &opts)
        }
        2 => {
            render::studies(a)?;
            super::cochrane::low_risk(a)
        }
        _ => super::findings::render(a),
    }
}

/// The next section or figure; after the last, `ready` if it was waiting for them.
fn show_next() -> Result<(), JsValue> {
    let (a, i) = state::with(|s| {
        let i = s.show_next;
        s.show_next += 1;
        (s.analysis.clone(), i)
    });
    let kinds = a.as_ref().map(render::plot_kinds).unwrap_or_default();
    if let Some(a) = a.as_ref() {
        if i < SECTIONS {
            timed(&format!("section{i}"), || show_section(a, i))?;
        } else if let Some(&k) = kinds.get(i - SECTIONS) {
            timed(&format!("plot_{}", k.id().replace('-', "_")), || render::plot(k, a))?;
        }
    }
    if a.is_some() && i + 1 < SECTIONS + kinds.len() {
        set_timeout(0, || report(show_next()))?;
        return Ok(());
    }
    if state::with(|s| s.pending_grid.is_some()) {
        // A task of its own, then back here (past the last figure) for `ready`.
        set_timeout(0, || report(pending_grid().and_then(|()| show_next())))?;
        return Ok(());
    }
    let ready = state::with(|s| {
        s.showing = false;
        std::mem::take(&mut s.ready_pending)
    });
    if ready {
        set_status("ready")?;
    }
    Ok(())
}

/// `ready` once the figures pending are drawn (a test, or a user, then sees the final page).
fn mark_ready() -> Result<(), JsValue> {
    if state::with(|s| {
        s.ready_pending = s.showing;
        s.showing
    }) {
        return Ok(());
    }
    set_status("ready")
}

/// The grid editor of the current text, if it waits to be drawn.
fn pending_grid() -> Result<(), JsValue> {
    match state::with(|s| s.pending_grid.take()) {
        Some(g) => timed("grid", g),
        None => Ok(()),
    }
}

/// No results: clear them and say why in the fit-report box.
fn nothing(why: &str) -> Result<(), JsValue> {
    pending_grid()?;
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

/// Pass 1, task 1: read the text, set the controls that depend on the data, save; then the fit
/// in a task of its own.
fn pass1(gen: u64) -> Result<(), JsValue> {
    if !current(gen) {
        return Ok(());
    }
    let (text, mut settings, from_grid) =
        state::with(|a| (a.text.clone(), a.settings.clone(), std::mem::take(&mut a.from_grid)));
    let parsed = timed("parse", || parse_table(&text));
    fit_settings(&mut settings, &parsed.dataset);
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
    // The grid editor last (a task of its own): it is not part of the results.
    let grid_task = move || -> Result<(), JsValue> {
        if !current(gen) {
            return Ok(());
        }
        let g = grid::split(&text);
        if !from_grid {
            render::grid(&g, &parsed, &settings)?;
        }
        render::mark_errors(&g, &parsed)
    };
    // The grid editor after the results and their figures (`show_next`), or now if there are none.
    let empty = state::with(|s| {
        s.pending_grid = Some(Box::new(grid_task));
        s.parsed.as_ref().is_none_or(|p| p.dataset.studies.is_empty())
    });
    if empty {
        return nothing("");
    }
    set_timeout(0, move || report(timed("fit", || fit_task(gen))))?;
    Ok(())
}

/// Pass 1, task 2: the overall fit and the tables; the figures follow ([`show`]), then the
/// workers take over.
fn fit_task(gen: u64) -> Result<(), JsValue> {
    if !current(gen) {
        return Ok(());
    }
    let (text, settings, data) = state::with(|s| {
        (s.text.clone(), s.settings.clone(), s.parsed.as_ref().map(|p| p.dataset.clone()).unwrap_or_default())
    });
    let cfg = match AnalysisConfig::try_from(&settings) {
        Ok(c) => c,
        Err(e) => return nothing(&format!("Settings: {e}.")),
    };
    let staged = match Staged::new(&data, &cfg) {
        Ok(s) => s,
        Err(e) => return nothing(&format!("Nothing to analyse: {e}.")),
    };
    let overall = timed("overall", || staged.overall());
    let a = staged.clone().finish(overall.clone(), Groups::default(), None);
    state::with(|s| {
        s.compat = None;
        s.run = state::EngineRun { page: Some(a), ..Default::default() };
    });
    refresh()?;
    set_text("loo-status", "Leave-one-out: waiting for the complete fit…")?;
    start_engine(&text, &settings, staged, overall)
}

/// Hand the rest of the current generation to the engine's workers: the later stages, the AUC
/// interval, the compatibility view, the leave-one-out refits unless the rows of these data are
/// cached, and the Bayesian fit.
fn start_engine(
    text: &str,
    settings: &AnalysisSettings,
    staged: Staged,
    overall: Block,
) -> Result<(), JsValue> {
    let gen = state::with(|s| s.generation);
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
        s.run.has_fit = has_fit;
        s.run.base = Some((staged, overall));
        s.run.slots = if loo { vec![None; n] } else { Vec::new() };
    });
    let bx: web_sys::HtmlElement = by_id("bayes-box")?;
    super::bayes::clear_result()?;
    if settings.bayes.model.is_some() {
        set_hidden(&bx, false)?;
        set_text("bayes-status", "Sampling: starting…")?;
        engine::sample(gen, Some((text, &json)))
    } else {
        set_hidden(&bx, true)?;
        engine::sample(gen, None)
    }
}

fn bad_note(text: &str) -> Result<(), JsValue> {
    let fr: Element = by_id("fit-report")?;
    super::dom::add(&fr, "p", text)?.set_class_name("bad");
    Ok(())
}

/// The analysis on screen from the page's stages and what the workers have sent so far.
fn refresh() -> Result<(), JsValue> {
    let shown = state::with(|s| {
        let mut a = s.run.page.clone()?;
        if let Some((auc, simplified)) = s.run.auc.clone() {
            worker::apply_auc(&mut a.overall, auc, simplified);
        }
        if let Some((b, alt)) = s.run.bayes.clone() {
            a.bayes = Some(b);
            a.bayes_prior_sensitivity = alt;
        }
        s.analysis = Some(a);
        Some(())
    });
    match shown {
        Some(()) => show(),
        None => Ok(()),
    }
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
    let msg: Message = timed("decode", || worker::from_js(value)).map_err(|e| JsValue::from_str(&e))?;
    match msg {
        Message::Auc { auc, simplified } => {
            state::with(|s| s.run.auc = Some((auc, simplified)));
            refresh()?;
            loo_shown()
        }
        Message::Subgroup(row) => {
            state::with(|s| s.run.levels.push(*row));
            Ok(())
        }
        Message::Later(l) => {
            let assembled = state::with(|s| {
                let (staged, overall) = s.run.base.take()?;
                let levels = std::mem::take(&mut s.run.levels);
                s.run.notes = l.notes.clone();
                s.run.page = Some(timed("assemble", || worker::assemble(staged, overall, levels, *l)));
                s.run.complete = true;
                Some(())
            });
            if assembled.is_none() {
                return Ok(());
            }
            refresh()?;
            loo_shown()
        }
        Message::Pending => Ok(()),
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
        return mark_ready();
    }
    if slots.1 > 0 {
        render::loo(&[], level)?;
        return progress(slots.0, slots.1);
    }
    let rows = state::with(|s| s.loo.rows.clone());
    render::loo(&rows, level)?;
    progress(rows.len(), rows.len())?;
    if auc {
        mark_ready()?;
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
