//! The page's summary of findings, icon array, decision curve and compatibility view, and their
//! exports (the report, the SoF CSV, the SoF table for Word). Places what `report` produced;
//! user text goes through `textContent` and attributes only.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlCanvasElement, HtmlInputElement, HtmlSelectElement};

use super::dom::{add, by_id, clear, document, download_text, window};
use super::{pipeline::schedule, render, state};
use crate::analysis::Analysis;
use crate::findings::{decision, icon_frequencies, summary_of_findings};
use crate::plot::{draw_decision, draw_icons, icon_size, PlotStyle};
use crate::report::compat::{compat_table, difference_paragraphs, short_model};
use crate::report::doc::Table;
use crate::report::html_report::report_html;
use crate::report::sof::{
    decision_data, decision_table, icon_data, sof_csv, sof_html, sof_method_note, sof_tables,
};

/// A report table into `parent` (a new `<table>`); the certainty and footnote cells of a summary
/// of findings become inputs (`data-sof-note="certainty|footnote"`, `data-row`).
fn table_el(
    parent: &Element,
    t: &Table,
    caption: &str,
    label: &str,
    editable: bool,
) -> Result<Element, JsValue> {
    let wrap = add(parent, "div", "")?;
    wrap.set_class_name("scroll");
    // A scrollable region must be reachable by keyboard (and named).
    wrap.set_attribute("tabindex", "0")?;
    wrap.set_attribute("role", "region")?;
    wrap.set_attribute("aria-label", label)?;
    let table = add(&wrap, "table", "")?;
    table.set_class_name("numbers");
    if !caption.is_empty() {
        add(&table, "caption", caption)?;
    }
    let tr = add(&add(&table, "thead", "")?, "tr", "")?;
    for h in &t.headers {
        add(&tr, "th", h)?.set_attribute("scope", "col")?;
    }
    let body = add(&table, "tbody", "")?;
    for (i, r) in t.rows.iter().enumerate() {
        let tr = add(&body, "tr", "")?;
        for (j, c) in r.cells.iter().enumerate() {
            let key = t.keys.get(j).copied().unwrap_or("");
            let cell = add(&tr, if j == 0 { "th" } else { "td" }, "")?;
            if let Some(v) = c.value {
                cell.set_attribute("data-value", &format!("{v}"))?;
            }
            cell.set_attribute("data-stat", key)?;
            if editable && (key == "certainty" || key == "footnote") {
                let input: HtmlInputElement = document()?.create_element("input")?.dyn_into()?;
                input.set_type("text");
                input.set_value(&c.text);
                input.set_attribute("data-sof-note", key)?;
                input.set_attribute("data-row", &i.to_string())?;
                input.set_attribute("aria-label", &format!("{} — {}", t.headers[j], r.cells[0].text))?;
                cell.append_child(&input)?;
            } else {
                cell.set_text_content(Some(&c.text));
            }
        }
    }
    Ok(table)
}

/// Draw the icon array and the decision curve, and fill the SoF, decision and compatibility boxes.
pub fn render(a: &Analysis) -> Result<(), JsValue> {
    let f = summary_of_findings(a);
    let boxe: Element = by_id("sof-tables")?;
    clear(&boxe);
    for (i, (cap, t)) in sof_tables(&f).iter().enumerate() {
        let label = if i == 0 { "Summary of findings" } else { "Summary of findings of a subgroup" };
        let table = table_el(&boxe, t, cap, label, i == 0)?;
        table.set_attribute("data-testid", if i == 0 { "sof-table" } else { "sof-table-subgroup" })?;
    }
    add(&boxe, "p", &sof_method_note(f.level))?.set_class_name("hint");
    let prev: HtmlInputElement = by_id("sof-prevalences")?;
    if document()?.active_element().is_none_or(|e| e.id() != "sof-prevalences") {
        let shown: Vec<String> = f
            .blocks
            .first()
            .map(|b| {
                b.columns.iter().map(|c| format!("{}", (1000.0 * c.prevalence).round() / 10.0)).collect()
            })
            .unwrap_or_default();
        prev.set_value(&shown.join(", "));
    }
    let people = a.settings.findings.icon_people.unwrap_or(100);
    let c: HtmlCanvasElement = by_id("plot-icons")?;
    match icon_frequencies(a) {
        Some(fr) => {
            let d = icon_data(&fr, people);
            render::draw_scaled(&c, icon_size(people), 1.0, |r| draw_icons(r, &d, &PlotStyle::for_canvas()))?;
        }
        None => c.set_width(c.width()),
    }
    let dbox: Element = by_id("decision-table")?;
    clear(&dbox);
    let c: HtmlCanvasElement = by_id("plot-decision")?;
    if let Some(d) = decision(a) {
        let data = decision_data(&d);
        render::draw_scaled(&c, (900, 520), 1.0, |r| draw_decision(r, &data, &PlotStyle::for_canvas()))?;
        table_el(&dbox, &decision_table(&d), "", "Decision curve table", false)?
            .set_attribute("data-testid", "decision-table")?;
    }
    let cbox: Element = by_id("compat-box")?;
    clear(&cbox);
    // Fitted by the engine's worker (four more fits): absent until the complete analysis arrives.
    let Some(v) = super::state::with(|s| s.compat.clone()) else {
        add(&cbox, "p", crate::report::compat::COMPUTING)?.set_class_name("hint");
        return Ok(());
    };
    let model = short_model(a.settings.model, a.settings.nodes);
    table_el(&cbox, &compat_table(&v, &model), "", "Compatibility with other software", false)?
        .set_attribute("data-testid", "compat-table")?;
    let ul = add(&cbox, "ul", "")?;
    for (tool, why) in difference_paragraphs(&v) {
        let li = add(&ul, "li", "")?;
        add(&li, "strong", &tool)?;
        li.append_with_str_1(&format!(": {why}"))?;
    }
    Ok(())
}

fn parse_list(s: &str) -> Option<Vec<f64>> {
    let v: Option<Vec<f64>> = s
        .split([',', ';', ' '])
        .filter(|x| !x.trim().is_empty())
        .map(|x| {
            x.trim().trim_end_matches('%').parse::<f64>().ok().map(|p| if p >= 1.0 { p / 100.0 } else { p })
        })
        .collect();
    v
}

/// Listeners of the summary-of-findings controls (each changes the settings and re-analyses).
pub fn wire() -> Result<(), JsValue> {
    let on = |id: &str, ev: &str, f: fn(Event) -> Result<(), JsValue>| -> Result<(), JsValue> {
        let e: Element = by_id(id)?;
        let c = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            if let Err(err) = f(e) {
                super::show_fatal(&err);
            }
        });
        e.add_event_listener_with_callback(ev, c.as_ref().unchecked_ref())?;
        c.forget();
        Ok(())
    };
    on("sof-prevalences", "change", |_| {
        let i: HtmlInputElement = by_id("sof-prevalences")?;
        let v = parse_list(&i.value());
        let msg: Element = by_id("sof-msg")?;
        match v {
            Some(v) => {
                msg.set_text_content(None);
                state::with(|a| a.settings.findings.prevalences = v);
                schedule(0)
            }
            None => {
                msg.set_text_content(Some(
                    "Type prevalences in percent separated by commas, e.g. 5, 20, 40.",
                ));
                Ok(())
            }
        }
    })?;
    on("sof-chosen", "change", |_| {
        let i: HtmlInputElement = by_id("sof-chosen")?;
        let v = parse_list(&i.value()).and_then(|v| v.first().copied());
        state::with(|a| a.settings.findings.chosen = v);
        schedule(0)
    })?;
    on("sof-people", "change", |_| {
        let s: HtmlSelectElement = by_id("sof-people")?;
        state::with(|a| {
            a.settings.findings.icon_people = if s.value() == "1000" { Some(1000) } else { None }
        });
        schedule(0)
    })?;
    on("sof-tables", "change", |e| {
        let Some(t) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return Ok(()) };
        let (Some(kind), Some(row)) = (
            t.get_attribute("data-sof-note"),
            t.get_attribute("data-row").and_then(|r| r.parse::<usize>().ok()),
        ) else {
            return Ok(());
        };
        let text = t.value();
        state::with(|a| {
            let f = &mut a.settings.findings;
            let v = if kind == "certainty" { &mut f.certainty } else { &mut f.footnotes };
            if v.len() <= row {
                v.resize(row + 1, String::new());
            }
            v[row] = text;
            while v.last().is_some_and(|s| s.is_empty()) {
                v.pop();
            }
            if let Some(an) = a.analysis.as_mut() {
                an.settings.findings = f.clone();
            }
        });
        Ok(())
    })?;
    Ok(())
}

/// The exports of this part of the page; `false` when `kind` is not one of them.
pub fn export(kind: &str, a: &Analysis, data: Option<&crate::data::Dataset>) -> Result<bool, JsValue> {
    // The notes typed since the last analysis are in the settings, not yet in the result.
    let mut a = a.clone();
    a.settings.findings = state::with(|s| s.settings.findings.clone());
    match kind {
        "report" => {
            let link = match data {
                Some(d) => {
                    let loc = window()?.location();
                    let mut settings = state::with(|s| s.settings.clone());
                    super::figlink::put(&mut settings);
                    let frag = crate::permalink::encode(d, &settings);
                    Some(format!("{}{}#{frag}", loc.origin()?, loc.pathname()?))
                }
                None => None,
            };
            download_text("fourfold-report.html", "text/html", &report_html(&a, link.as_deref()))?;
        }
        "sof-csv" => {
            download_text("fourfold-summary-of-findings.csv", "text/csv", &sof_csv(&summary_of_findings(&a)))?
        }
        "sof-html" => {
            let body = format!(
                "<!doctype html><html><head><meta charset=\"utf-8\"><title>Summary of findings</title></head><body>{}</body></html>",
                sof_html(&summary_of_findings(&a))
            );
            download_text("fourfold-summary-of-findings.html", "text/html", &body)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}
