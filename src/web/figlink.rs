//! The figures' display options in permalinks (the `figures` settings group): written into the
//! settings only when a link is made ([`put`]), taken out of a link's settings into the page's
//! [`state::App::plot_options`] — and its controls — when one is opened ([`take`]). Figure
//! options never trigger an analysis, so they are not kept in the analysis settings.

use wasm_bindgen::prelude::*;
use web_sys::{HtmlInputElement, HtmlSelectElement};

use super::dom::by_id;
use super::state;
use crate::report::plots::{PlotOptions, FIGURE_OPTIONS};
use crate::settings::{AnalysisSettings, FigureSettings};

/// The settings with the page's current figure options, for a permalink.
pub fn put(s: &mut AnalysisSettings) {
    s.figures = state::with(|a| a.plot_options.to_settings());
}

/// Move a link's figure options out of `s` into the page (state and controls). Out-of-range
/// options are reported in the link's message box and Fourfold's figures are shown instead.
pub fn take(s: &mut AnalysisSettings) -> Result<(), JsValue> {
    let f = std::mem::take(&mut s.figures);
    let opts = match f.validate() {
        Ok(()) => PlotOptions::from_settings(&f),
        Err(e) => {
            super::dom::set_text(
                "link-error",
                &format!("This link's figure options could not be used: {e}."),
            )?;
            super::events::show_link_error(true)?;
            PlotOptions::from_settings(&FigureSettings::default())
        }
    };
    controls(&opts)?;
    state::with(|a| a.plot_options = opts);
    Ok(())
}

/// Set the figure controls to `o`.
fn controls(o: &PlotOptions) -> Result<(), JsValue> {
    for (key, _) in FIGURE_OPTIONS {
        let sel: HtmlSelectElement = by_id(key)?;
        sel.set_value(o.get(key));
    }
    let zoom: HtmlInputElement = by_id("sroc-zoom")?;
    zoom.set_checked(o.sroc_zoom);
    let labels: HtmlSelectElement = by_id("plot-labels")?;
    labels.set_value(match o.labels {
        crate::plot::LabelMode::All => "all",
        crate::plot::LabelMode::Off => "off",
        crate::plot::LabelMode::Outliers(_) => "outliers",
    });
    Ok(())
}
