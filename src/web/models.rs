//! The page's part of the further models (issue #13): the HSROC meta-regression and three-level
//! controls, and the box that places what `report::models` produced.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

use super::dom::{add, by_id, clear, set_hidden};
use super::render::{lines_into, table_into};
use super::{pipeline, state};
use crate::analysis::Analysis;
use crate::data::Dataset;
use crate::report::models;
use crate::settings::AnalysisSettings;

fn read() -> Result<(), JsValue> {
    let h: HtmlInputElement = by_id("hsroc-reg")?;
    let t: HtmlInputElement = by_id("three-level")?;
    let c: HtmlSelectElement = by_id("cohort-column")?;
    state::with(|a| {
        let m = &mut a.settings.models;
        m.hsroc_regression = h.checked();
        m.three_level = t.checked();
        m.cohort = Some(c.value()).filter(|v| !v.is_empty() && t.checked());
    });
    c.set_disabled(!t.checked());
    Ok(())
}

/// Listen to the controls.
pub fn wire() -> Result<(), JsValue> {
    for id in ["hsroc-reg", "three-level", "cohort-column"] {
        let e: Element = by_id(id)?;
        let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
            let r = read().and_then(|_| pipeline::schedule(0));
            if let Err(e) = r {
                super::show_fatal(&e);
            }
        });
        e.add_event_listener_with_callback("change", cb.as_ref().unchecked_ref())?;
        cb.forget();
    }
    Ok(())
}

/// Set the controls from the settings.
pub fn controls(s: &AnalysisSettings) -> Result<(), JsValue> {
    let h: HtmlInputElement = by_id("hsroc-reg")?;
    h.set_checked(s.models.hsroc_regression);
    let t: HtmlInputElement = by_id("three-level")?;
    t.set_checked(s.models.wants_three_level());
    let c: HtmlSelectElement = by_id("cohort-column")?;
    c.set_value(s.models.cohort.as_deref().unwrap_or(""));
    c.set_disabled(!s.models.wants_three_level());
    Ok(())
}

/// The cohort-column choices: every covariate of the data.
pub fn columns(data: &Dataset, s: &AnalysisSettings) -> Result<(), JsValue> {
    let sel: HtmlSelectElement = by_id("cohort-column")?;
    clear(&sel);
    let none = add(&sel, "option", "each row is a cohort")?;
    none.set_attribute("value", "")?;
    for c in &data.covariates {
        let o = add(&sel, "option", &c.name)?;
        o.set_attribute("value", &c.name)?;
    }
    sel.set_value(s.models.cohort.as_deref().unwrap_or(""));
    Ok(())
}

/// Place the models' report and tables (the box is hidden when neither model is asked for).
pub fn render(a: &Analysis) -> Result<(), JsValue> {
    let boxe: Element = by_id("models-box")?;
    let rep: Element = by_id("models-report")?;
    clear(&rep);
    let mut lines = models::hsroc_lines(a);
    lines.extend(models::three_level_lines(a));
    let tables = [
        ("hsroc-tests", models::hsroc_tests_table(a)),
        ("hsroc-levels", models::hsroc_levels_table(a)),
        ("hsroc-bivariate", models::hsroc_bivariate_table(a)),
        ("three-level-table", models::three_level_table(a)),
    ];
    for (id, t) in &tables {
        let el: Element = by_id(id)?;
        clear(&el);
        set_hidden(&el, t.is_none())?;
        if let Some(t) = t {
            table_into(id, t)?;
        }
    }
    if lines.is_empty() {
        return set_hidden(&boxe, true);
    }
    lines_into(&rep, &lines)?;
    set_hidden(&boxe, false)
}
