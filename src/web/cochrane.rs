//! The page's Cochrane controls (issue #15): the low-risk sensitivity analysis beside the summary
//! (its domain menu from the table's QUADAS columns, its table and sentences from
//! [`crate::report::rob`]), the import of a robvis QUADAS-2 table, and the SROC figure's RevMan
//! conventions ([`crate::report::plots::FIGURE_OPTIONS`]: one `<select>` per option).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

use super::dom::{add, by_id, clear, set_hidden, set_text};
use super::events::{on_id, set_input_text};
use super::pipeline::schedule;
use super::{render, show_fatal, state};
use crate::analysis::Analysis;
use crate::data::Dataset;
use crate::report::plots::FIGURE_OPTIONS;
use crate::report::rob::{low_risk_choices, low_risk_lines, low_risk_table};
use crate::settings::AnalysisSettings;

/// The domain menu: shown when the table has judgement columns, set from the settings.
pub fn choices(d: &Dataset, s: &AnalysisSettings) -> Result<(), JsValue> {
    let boxed: Element = by_id("low-risk-box")?;
    let opts = low_risk_choices(d);
    set_hidden(&boxed, opts.is_empty())?;
    let sel: HtmlSelectElement = by_id("low-risk")?;
    clear(&sel);
    add(&sel, "option", "off")?.set_attribute("value", "")?;
    for (value, label) in &opts {
        add(&sel, "option", label)?.set_attribute("value", value)?;
    }
    sel.set_value(s.risk_of_bias.low_risk.as_deref().unwrap_or(""));
    Ok(())
}

/// The low-risk table and its sentences (empty when the analysis has none).
pub fn low_risk(a: &Analysis) -> Result<(), JsValue> {
    let t: Element = by_id("low-risk-table")?;
    let notes: Element = by_id("low-risk-notes")?;
    clear(&t);
    clear(&notes);
    if let Some(table) = low_risk_table(a) {
        render::table_into("low-risk-table", &table)?;
    }
    for l in low_risk_lines(a) {
        let p = add(&notes, "p", &l.plain())?;
        if l.tone == crate::report::doc::Tone::Warn {
            p.set_class_name("warn");
        }
    }
    Ok(())
}

/// Merge the robvis table `text` into the current data; errors are listed under the button.
fn merge_robvis(text: &str) -> Result<(), JsValue> {
    let data = state::with(|a| a.parsed.as_ref().map(|p| p.dataset.clone())).unwrap_or_default();
    let list: Element = by_id("robvis-errors")?;
    clear(&list);
    match crate::data::rob::merge_robvis(&data, text) {
        Ok(d) => set_input_text(&crate::report::grid::dataset_to_text(&d), 0),
        Err(es) => {
            for e in es {
                add(&list, "li", &format!("Risk-of-bias table, {e}"))?.set_class_name("bad");
            }
            Ok(())
        }
    }
}

/// Wire the controls of this module.
pub fn wire() -> Result<(), JsValue> {
    on_id("low-risk", "change", |_| {
        let sel: HtmlSelectElement = by_id("low-risk")?;
        let v = Some(sel.value()).filter(|v| !v.is_empty());
        state::with(|a| a.settings.risk_of_bias.low_risk = v);
        schedule(0)
    })?;
    for (key, _) in FIGURE_OPTIONS {
        on_id(key, "change", move |_| {
            let sel: HtmlSelectElement = by_id(key)?;
            let v = sel.value();
            state::with(|a| a.plot_options.set(key, &v)).map_err(|e| JsValue::from_str(&e))?;
            match state::with(|a| a.analysis.clone()) {
                Some(a) => render::plots(&a),
                None => Ok(()),
            }
        })?;
    }
    on_id("sroc-revman", "click", |_| {
        let revman = crate::report::plots::PlotOptions {
            sroc: crate::plot::SrocConventions::revman(),
            ..Default::default()
        };
        for (key, _) in FIGURE_OPTIONS {
            let sel: HtmlSelectElement = by_id(key)?;
            sel.set_value(revman.get(key));
        }
        state::with(|a| a.plot_options.sroc = revman.sroc);
        match state::with(|a| a.analysis.clone()) {
            Some(a) => render::plots(&a),
            None => Ok(()),
        }
    })?;
    on_id("robvis-input", "change", |_| {
        let input: HtmlInputElement = by_id("robvis-input")?;
        let Some(f) = input.files().and_then(|l| l.get(0)) else { return Ok(()) };
        input.set_value("");
        let reader = web_sys::FileReader::new()?;
        let r2 = reader.clone();
        let onload = Closure::once_into_js(move || {
            let done = (|| -> Result<(), JsValue> {
                let text = r2.result()?.as_string().unwrap_or_default();
                merge_robvis(&text)
            })();
            if let Err(e) = done {
                show_fatal(&e);
            }
        });
        reader.set_onload(Some(onload.unchecked_ref()));
        reader.read_as_text(&f)?;
        set_text("robvis-status", "")
    })?;
    Ok(())
}
