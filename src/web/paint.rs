//! The first paint (issue #12): a small module of its own (`src/bin/paint.rs`, built for size)
//! that puts the initial analysis on screen before the page's full module has arrived. It reads
//! the same input the page starts with ([`super::initial_input`]: a `#…` permalink, the autosaved
//! text, or the example), fits the overall model and fills the main results — summary, the
//! two-sentence glance, the fit report, the cards, the per-study table, the figures — with the
//! page's own renderers, so what it shows is what the full module shows a moment later.
//!
//! It wires no events and starts no workers; the status stays `loading`. The full module then
//! starts as usual ([`super::run`]) and draws everything again, the sections this module leaves
//! out included. What the user types into the data box meanwhile is kept: the full module
//! analyses the box's text when it differs from the initial input (see [`super::start`]).
//! Nothing here can stop the page: any error only means no early paint.

use wasm_bindgen::prelude::*;
use web_sys::HtmlTextAreaElement;

use super::{dom, render};
use crate::analysis::{AnalysisConfig, Groups, Staged};
use crate::data::parse_table;
use crate::report::grid;

/// Paint the initial analysis. Errors (a missing element) are left to the full module to report.
pub fn paint() -> Result<(), JsValue> {
    let (text, mut settings) = super::initial_input()?;
    super::figlink::take(&mut settings)?;
    let ta: HtmlTextAreaElement = dom::by_id("data-input")?;
    ta.set_value(&text);
    ta.set_attribute("data-painted", "")?;
    render::controls(&settings)?;
    let parsed = parse_table(&text);
    render::grid(&grid::split(&text), &parsed, &settings)?;
    render::messages(&parsed)?;
    let Ok(cfg) = AnalysisConfig::try_from(&settings) else { return Ok(()) };
    let Ok(staged) = Staged::new(&parsed.dataset, &cfg) else { return Ok(()) };
    let a = staged.clone().finish(staged.overall(), Groups::default(), None);
    render::summary(&a)?;
    render::glance(&a)?;
    render::fit_report(&a)?;
    render::heterogeneity(&a.overall, a.settings.ci_level)?;
    render::studies(&a)?;
    render::plots(&a)
}
