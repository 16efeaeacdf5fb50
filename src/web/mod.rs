//! The wasm page: DOM events → data → numbers → DOM text and canvas. It owns the DOM and nothing else.
//!
//! Entry point: [`run`], called from `fn main` of the `fourfold` bin on wasm32 (`src/main.rs`). The
//! bin, not a cdylib, is the page's wasm module; see the `[lib]` comment in `Cargo.toml`.
//!
//! | module | role |
//! |---|---|
//! | [`dom`] | small DOM helpers (all return `Result`) |
//! | [`state`] | the page state (text, settings, results, generation counter), examples, defaults |
//! | [`pipeline`] | debounced, generation-checked passes: the first fit, the page's short stages, the engine workers' answers |
//! | [`engine`] | the analysis engine's Web Workers (pool for the analysis and leave-one-out, one for the sampler) |
//! | [`render`] | state → DOM (grid, messages, tables, fit report, plots) |
//! | [`events`] | DOM events → state → pipeline |
//! | [`revman`] | the RevMan parameters box (copy button), the dispersion table, the xlsx download |
//! | [`gridnav`] | the table editor's keyboard navigation: one Tab stop, arrow keys between cells |
//! | [`bayes`] | the Bayesian fit's prior controls and result box (verdict, tables, MCMC plots) |
//! | [`findings`] | summary of findings, icon array, decision curve, compatibility view and the report export |
//! | [`sheets`] | spreadsheets → text in a Web Worker (the second wasm module, loaded on first use) |
//! | [`crash`] | the panic hook: console, a calm alert, text kept in the autosave, controls disabled |
//! | [`paint`] | the first paint: the initial analysis's main results, from a small module of its own loaded before this one |
//!
//! Rules: every fallible step returns `Result<_, JsValue>`; no `unwrap`/`expect`; user data
//! reaches the page only through `textContent` and attributes (never `innerHTML`); tests find
//! elements by `data-testid`.

pub mod bayes;
pub mod cochrane;
pub mod crash;
pub mod dom;
pub mod engine;
pub mod events;
pub mod figlink;
pub mod findings;
pub mod gridnav;
pub mod models;
pub mod paint;
pub mod pipeline;
pub mod render;
pub mod revman;
pub mod sheets;
pub mod state;

use wasm_bindgen::prelude::*;
use web_sys::HtmlTextAreaElement;

pub use state::EXAMPLE_CSV;

use crate::permalink;
use crate::report::grid::dataset_to_text;
use crate::settings::AnalysisSettings;

/// Called once from `main` on wasm32. Errors are shown in the page and the console.
pub fn run() {
    crash::install();
    if let Err(e) = start() {
        show_fatal(&e);
    }
    crash::maybe_test_panic();
}

/// What the page starts with: a `#…` permalink, else the autosaved text, else the example.
fn initial_input() -> Result<(String, AnalysisSettings), JsValue> {
    let hash = dom::window()?.location().hash()?;
    if hash.len() > 1 {
        match permalink::decode(&hash) {
            Ok((d, s)) => return Ok((dataset_to_text(&d), s)),
            Err(e) => {
                dom::set_text(
                    "link-error",
                    &format!("This link could not be opened: {e}. Showing your last data instead."),
                )?;
                events::show_link_error(true)?;
            }
        }
    }
    if let Some(saved) = dom::storage().and_then(|s| s.get_item(pipeline::AUTOSAVE_KEY).ok().flatten()) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&saved) {
            let text = v.get("text").and_then(|t| t.as_str()).map(str::to_string);
            let settings =
                v.get("settings").and_then(|s| serde_json::from_value::<AnalysisSettings>(s.clone()).ok());
            if let (Some(t), Some(s)) = (text, settings) {
                return Ok((t, s));
            }
        }
    }
    Ok((EXAMPLE_CSV.to_string(), state::default_settings()))
}

/// Wire up the page and analyse the initial input.
///
/// # Errors
/// When an element described in `index.html` is missing or has the wrong type.
pub fn start() -> Result<(), JsValue> {
    let (mut text, mut settings) = initial_input()?;
    figlink::take(&mut settings)?;
    let ta: HtmlTextAreaElement = dom::by_id("data-input")?;
    // The first paint ([`paint`]) showed the same input; what was typed into the box since is kept.
    if ta.has_attribute("data-painted") && ta.value() != text {
        text = ta.value();
    }
    ta.set_value(&text);
    render::controls(&settings)?;
    state::with(|a| {
        a.text = text;
        a.settings = settings;
    });
    events::wire()?;
    models::wire()?;
    gridnav::wire()?;
    bayes::wire()?;
    pipeline::schedule(0)
}

/// Last-resort error display: the console, plus the page's error box and status when present.
pub fn show_fatal(e: &JsValue) {
    let msg = e.as_string().unwrap_or_else(|| format!("{e:?}"));
    web_sys::console::error_1(&JsValue::from_str(&format!("fourfold: {msg}")));
    if let Ok(doc) = dom::document() {
        if let Some(el) = doc.get_element_by_id("error") {
            el.set_text_content(Some(&msg));
            let _ = el.remove_attribute("hidden");
        }
        if let Some(el) = doc.get_element_by_id("status") {
            el.set_text_content(Some("error"));
        }
    }
}
