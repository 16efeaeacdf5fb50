//! The analysis engine's Web Workers (`src/bin/engine.rs`, `www/engine-worker.js`): a pool for
//! the analysis (part 0 computes everything but the Bayesian fit, every part refits its share of
//! the leave-one-out rows) and one worker for the Bayesian sampler, so that the sampler never
//! delays the rest. Workers are created on first use — after the first results are on screen, so
//! the engine is not part of the first load. Requests carry the generation of the input; a newer
//! request stops a worker's older job at its next step, and answers to older generations are
//! dropped by [`super::pipeline`].

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::dom::window;
use super::{pipeline, show_fatal};

/// At most this many analysis workers, whatever the machine reports.
const MAX_WORKERS: usize = 4;

thread_local! {
    static POOL: RefCell<Vec<Option<web_sys::Worker>>> = const { RefCell::new(Vec::new()) };
    static BAYES: RefCell<Option<web_sys::Worker>> = const { RefCell::new(None) };
}

/// How many refitting workers: one per logical core (`navigator.hardwareConcurrency`; the main
/// thread is idle while they compute), between 1 and [`MAX_WORKERS`]. One more computes the
/// later stages beside them (`worker::loo_share`).
pub fn pool_size() -> usize {
    let n = window().map(|w| w.navigator().hardware_concurrency()).unwrap_or(1.0);
    (n as usize).clamp(1, MAX_WORKERS)
}

fn spawn() -> Result<web_sys::Worker, JsValue> {
    let w = web_sys::Worker::new("./engine-worker.js")?;
    let onmessage = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|e: web_sys::MessageEvent| {
        if let Err(err) = pipeline::on_engine_message(&e.data()) {
            show_fatal(&err);
        }
    });
    w.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget(); // lives as long as the worker
    let onerror = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(|e: web_sys::ErrorEvent| {
        e.prevent_default();
        if let Err(err) =
            pipeline::engine_failed(&format!("the analysis engine could not start ({})", e.message()))
        {
            show_fatal(&err);
        }
    });
    w.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    onerror.forget();
    Ok(w)
}

fn analysis_worker(i: usize) -> Result<web_sys::Worker, JsValue> {
    if let Some(w) = POOL.with(|p| p.borrow().get(i).cloned().flatten()) {
        return Ok(w);
    }
    let w = spawn()?;
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() <= i {
            p.resize(i + 1, None);
        }
        p[i] = Some(w.clone());
    });
    Ok(w)
}

fn bayes_worker() -> Result<web_sys::Worker, JsValue> {
    if let Some(w) = BAYES.with(|b| b.borrow().clone()) {
        return Ok(w);
    }
    let w = spawn()?;
    BAYES.with(|b| *b.borrow_mut() = Some(w.clone()));
    Ok(w)
}

fn request(
    gen: u64,
    kind: &str,
    text: &str,
    settings: &str,
    part: usize,
    parts: usize,
    loo: bool,
) -> Result<JsValue, JsValue> {
    let m = js_sys::Object::new();
    js_sys::Reflect::set(&m, &"gen".into(), &(gen as f64).into())?;
    js_sys::Reflect::set(&m, &"kind".into(), &kind.into())?;
    js_sys::Reflect::set(&m, &"text".into(), &text.into())?;
    js_sys::Reflect::set(&m, &"settings".into(), &settings.into())?;
    js_sys::Reflect::set(&m, &"part".into(), &(part as f64).into())?;
    js_sys::Reflect::set(&m, &"parts".into(), &(parts as f64).into())?;
    js_sys::Reflect::set(&m, &"loo".into(), &loo.into())?;
    Ok(m.into())
}

/// Start the analysis of generation `gen`: part 0 (the later stages) and, when refits are needed,
/// one refitting part per [`pool_size`]; the other workers of the pool are told to stop what they
/// are doing.
pub fn analyse(gen: u64, text: &str, settings: &str, loo: bool) -> Result<(), JsValue> {
    // Part 0 computes the later stages; with refits to do, one more worker per core refits.
    let parts = if loo { pool_size() + 1 } else { 1 };
    for part in 0..parts {
        analysis_worker(part)?.post_message(&request(gen, "analysis", text, settings, part, parts, loo)?)?;
    }
    let idle: Vec<web_sys::Worker> =
        POOL.with(|p| p.borrow().iter().skip(parts).flatten().cloned().collect());
    for w in idle {
        w.post_message(&request(gen, "cancel", "", "", 0, 0, false)?)?;
    }
    Ok(())
}

/// Start the Bayesian fit of generation `gen` (`None`: stop the sampler's older work, if any).
pub fn sample(gen: u64, job: Option<(&str, &str)>) -> Result<(), JsValue> {
    match job {
        Some((text, settings)) => {
            bayes_worker()?.post_message(&request(gen, "bayes", text, settings, 0, 1, false)?)
        }
        None => match BAYES.with(|b| b.borrow().clone()) {
            Some(w) => w.post_message(&request(gen, "cancel", "", "", 0, 0, false)?),
            None => Ok(()),
        },
    }
}

/// Stop every worker's older work (nothing to analyse in generation `gen`).
pub fn cancel(gen: u64) -> Result<(), JsValue> {
    let all: Vec<web_sys::Worker> = POOL.with(|p| p.borrow().iter().flatten().cloned().collect());
    for w in all.iter().chain(BAYES.with(|b| b.borrow().clone()).as_ref()) {
        w.post_message(&request(gen, "cancel", "", "", 0, 0, false)?)?;
    }
    Ok(())
}

/// Replace the worker that reported an error (a Rust panic leaves its module unusable): it is
/// terminated and a fresh one is created by the next request.
pub fn discard(kind: &str, part: usize) {
    let w = if kind == "bayes" {
        BAYES.with(|b| b.borrow_mut().take())
    } else {
        POOL.with(|p| p.borrow_mut().get_mut(part).and_then(Option::take))
    };
    if let Some(w) = w {
        w.terminate();
    }
}
