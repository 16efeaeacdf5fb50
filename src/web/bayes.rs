//! The page's Bayesian fit (issue #16): the prior controls with their prior-predictive table, and
//! the result box — verdict, posterior table, sampler diagnostics, summary of findings from the
//! posterior, shrunken study estimates, trace / rank / density plots with their exports. Places
//! what `report::bayes` produced; reads only the [`BayesBlock`] it is given (which may have come
//! through JSON from a worker), never the draws.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement, HtmlInputElement, HtmlSelectElement};

use super::dom::{by_id, clear, download_text, el, set_hidden};
use super::render::{card_into, draw_scaled, lines_into, table_into};
use super::{pipeline, state};
use crate::analysis::bayes::BayesBlock;
use crate::plot::{draw_mcmc, to_svg, PlotStyle};
use crate::report::bayes as rb;
use crate::settings::{AnalysisSettings, BayesModel, BayesSettings, SdPrior};

/// Logical size of one row of MCMC plots.
const MCMC_SIZE: (u32, u32) = (1200, 320);

/// The numeric prior inputs: id, and how to read / write the field in [`BayesSettings`].
type Field = (&'static str, fn(&BayesSettings) -> f64, fn(&mut BayesSettings, f64));
const FIELDS: [Field; 13] = [
    ("bayes-mu-se-m", |b| b.priors.mu_se.0, |b, v| b.priors.mu_se.0 = v),
    ("bayes-mu-se-s", |b| b.priors.mu_se.1, |b, v| b.priors.mu_se.1 = v),
    ("bayes-mu-sp-m", |b| b.priors.mu_sp.0, |b, v| b.priors.mu_sp.0 = v),
    ("bayes-mu-sp-s", |b| b.priors.mu_sp.1, |b, v| b.priors.mu_sp.1 = v),
    (
        "bayes-tau-se-scale",
        |b| b.priors.tau_se.scale(),
        |b, v| b.priors.tau_se = with_scale(b.priors.tau_se, v),
    ),
    (
        "bayes-tau-sp-scale",
        |b| b.priors.tau_sp.scale(),
        |b, v| b.priors.tau_sp = with_scale(b.priors.tau_sp, v),
    ),
    ("bayes-lkj", |b| b.priors.lkj_eta, |b, v| b.priors.lkj_eta = v),
    ("bayes-se-ref-m", |b| b.reference.se_ref.0, |b, v| b.reference.se_ref.0 = v),
    ("bayes-se-ref-s", |b| b.reference.se_ref.1, |b, v| b.reference.se_ref.1 = v),
    ("bayes-sp-ref-m", |b| b.reference.sp_ref.0, |b, v| b.reference.sp_ref.0 = v),
    ("bayes-sp-ref-s", |b| b.reference.sp_ref.1, |b, v| b.reference.sp_ref.1 = v),
    ("bayes-prev-a", |b| b.reference.prevalence.0, |b, v| b.reference.prevalence.0 = v),
    ("bayes-prev-b", |b| b.reference.prevalence.1, |b, v| b.reference.prevalence.1 = v),
];
const KINDS: [&str; 2] = ["bayes-tau-se-kind", "bayes-tau-sp-kind"];
/// The sampler's iteration counts per chain.
const COUNTS: [&str; 2] = ["bayes-warmup", "bayes-draws"];

fn with_scale(p: SdPrior, scale: f64) -> SdPrior {
    match p {
        SdPrior::HalfNormal { .. } => SdPrior::HalfNormal { scale },
        SdPrior::HalfCauchy { .. } => SdPrior::HalfCauchy { scale },
    }
}

fn kind_of(p: SdPrior) -> &'static str {
    match p {
        SdPrior::HalfNormal { .. } => "half-normal",
        SdPrior::HalfCauchy { .. } => "half-cauchy",
    }
}

fn label_of(id: &str) -> String {
    super::dom::document()
        .ok()
        .and_then(|d| d.query_selector(&format!("label[for='{id}']")).ok().flatten())
        .and_then(|l| l.text_content())
        .unwrap_or_else(|| id.to_string())
}

/// The prior and seed inputs into a copy of the settings; the first problem in words.
fn read(s: &BayesSettings) -> Result<BayesSettings, String> {
    let mut b = s.clone();
    for (id, _, set) in FIELDS {
        let i: HtmlInputElement = by_id(id).map_err(|_| id.to_string())?;
        let text = i.value();
        match text.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => set(&mut b, v),
            _ => return Err(rb::prior_input_error(&label_of(id), &text)),
        }
    }
    for (j, id) in KINDS.iter().enumerate() {
        let sel: HtmlSelectElement = by_id(id).map_err(|_| id.to_string())?;
        let p = if j == 0 { &mut b.priors.tau_se } else { &mut b.priors.tau_sp };
        *p = match sel.value().as_str() {
            "half-cauchy" => SdPrior::HalfCauchy { scale: p.scale() },
            _ => SdPrior::HalfNormal { scale: p.scale() },
        };
    }
    let seed: HtmlInputElement = by_id("bayes-seed").map_err(|_| "bayes-seed".to_string())?;
    match seed.value().trim().parse::<u64>() {
        Ok(v) => b.seed = v,
        Err(_) => return Err(rb::prior_input_error(&label_of("bayes-seed"), &seed.value())),
    }
    for id in COUNTS {
        let i: HtmlInputElement = by_id(id).map_err(|_| id.to_string())?;
        let v =
            i.value().trim().parse::<u32>().map_err(|_| rb::prior_input_error(&label_of(id), &i.value()))?;
        if id == "bayes-warmup" {
            b.warmup = v;
        } else {
            b.draws = v;
        }
    }
    let cmp: HtmlInputElement =
        by_id("bayes-prior-sensitivity").map_err(|_| "bayes-prior-sensitivity".to_string())?;
    b.prior_sensitivity = cmp.checked();
    let lcm = b.model == Some(BayesModel::LatentClass);
    let problem = crate::stats::bayes::run_config_problem(&b.run_config())
        .or_else(|| b.priors.problem())
        .or_else(|| if lcm { b.reference.problem() } else { None });
    if let Some(m) = problem {
        return Err(m);
    }
    Ok(b)
}

/// Set the prior controls from the settings and show what the priors imply.
pub fn controls(s: &AnalysisSettings) -> Result<(), JsValue> {
    let b = &s.bayes;
    let boxe: Element = by_id("bayes-priors")?;
    set_hidden(&boxe, b.model.is_none())?;
    let active = super::dom::document()?.active_element().map(|e| e.id()).unwrap_or_default();
    for (id, get, _) in FIELDS {
        let i: HtmlInputElement = by_id(id)?;
        if id != active {
            i.set_value(&format!("{}", get(b)));
        }
    }
    for (j, id) in KINDS.iter().enumerate() {
        let sel: HtmlSelectElement = by_id(id)?;
        sel.set_value(kind_of(if j == 0 { b.priors.tau_se } else { b.priors.tau_sp }));
    }
    let seed: HtmlInputElement = by_id("bayes-seed")?;
    if active != "bayes-seed" {
        seed.set_value(&b.seed.to_string());
    }
    for (id, v) in COUNTS.iter().zip([b.warmup, b.draws]) {
        let i: HtmlInputElement = by_id(id)?;
        if *id != active {
            i.set_value(&v.to_string());
        }
    }
    by_id::<HtmlInputElement>("bayes-prior-sensitivity")?.set_checked(b.prior_sensitivity);
    let lcm = b.model == Some(BayesModel::LatentClass);
    let r: Element = by_id("bayes-reference")?;
    set_hidden(&r, !lcm)?;
    implied(b)
}

/// The priors in words and the prior-predictive table.
fn implied(b: &BayesSettings) -> Result<(), JsValue> {
    let lcm = b.model == Some(BayesModel::LatentClass);
    let reference = lcm.then_some(&b.reference);
    let words: Element = by_id("bayes-prior-words")?;
    clear(&words);
    lines_into(&words, &rb::prior_lines(&b.priors, reference))?;
    let pp = crate::stats::bayes::prior_predictive(&b.priors, rb::PRIOR_DRAWS, rb::PRIOR_SEED);
    table_into("bayes-prior-predictive", &rb::prior_predictive_table(&pp, reference))?;
    Ok(())
}

fn on_change() -> Result<(), JsValue> {
    let current = state::with(|a| a.settings.bayes.clone());
    let msg: Element = by_id("bayes-prior-msg")?;
    match read(&current) {
        Ok(b) => {
            msg.set_text_content(None);
            implied(&b)?;
            if b != current {
                state::with(|a| a.settings.bayes = b);
                pipeline::schedule(0)?;
            }
            Ok(())
        }
        Err(m) => {
            msg.set_text_content(Some(&rb::prior_error_line(&m)));
            Ok(())
        }
    }
}

/// Listen to the prior controls (every change is checked, then re-analyses) and the reset.
pub fn wire() -> Result<(), JsValue> {
    let ids = FIELDS
        .iter()
        .map(|f| f.0)
        .chain(KINDS)
        .chain(COUNTS)
        .chain(["bayes-seed", "bayes-prior-sensitivity"]);
    for id in ids {
        let e: Element = by_id(id)?;
        let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
            if let Err(e) = on_change() {
                super::show_fatal(&e);
            }
        });
        e.add_event_listener_with_callback("change", cb.as_ref().unchecked_ref())?;
        cb.forget();
    }
    let reset: Element = by_id("bayes-prior-reset")?;
    let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
        let r = (|| {
            let s = state::with(|a| {
                let d = BayesSettings::default();
                a.settings.bayes.priors = d.priors;
                a.settings.bayes.reference = d.reference;
                a.settings.clone()
            });
            by_id::<Element>("bayes-prior-msg")?.set_text_content(None);
            controls(&s)?;
            pipeline::schedule(0)
        })();
        if let Err(e) = r {
            super::show_fatal(&e);
        }
    });
    reset.add_event_listener_with_callback("click", cb.as_ref().unchecked_ref())?;
    cb.forget();
    Ok(())
}

/// A run has started: hide the previous result.
pub fn clear_result() -> Result<(), JsValue> {
    let r: Element = by_id("bayes-result")?;
    set_hidden(&r, true)
}

/// Place a finished Bayesian fit and, when asked for, its prior-sensitivity comparison.
/// `labels` and `counts` (diseased, non-diseased) are the analysed studies'.
pub fn render(
    block: &BayesBlock,
    sensitivity: Option<&[crate::analysis::bayes::Alternative]>,
    labels: &[String],
    counts: &[(u64, u64)],
) -> Result<(), JsValue> {
    let p = block.posterior();
    let boxe: Element = by_id("bayes-box")?;
    let (class, badge) = rb::verdict_badge(p);
    boxe.set_class_name(class);
    super::dom::set_text("bayes-status", rb::title(block))?;
    super::dom::set_text("bayes-badge", badge)?;
    let verdict: Element = by_id("bayes-verdict")?;
    clear(&verdict);
    lines_into(&verdict, &rb::verdict_lines(p))?;
    lines_into(&verdict, &rb::identifiability_lines(block))?;
    let rows = table_into("bayes-summary", &rb::posterior_table(p))?;
    for (tr, key) in rows.iter().zip(rb::posterior_keys(p)) {
        tr.set_attribute("data-quantity", key)?;
    }
    card_into("bayes-sampler", &rb::sampler_card(p))?;
    let sof_box: Element = by_id("bayes-sof-box")?;
    match rb::bayes_sof_table(block, counts) {
        Some(t) => {
            set_hidden(&sof_box, false)?;
            let note: Element = by_id("bayes-sof-note")?;
            clear(&note);
            lines_into(&note, &[rb::bayes_sof_note(block)])?;
            table_into("bayes-sof", &t)?;
        }
        None => set_hidden(&sof_box, true)?,
    }
    table_into("bayes-studies", &rb::study_table(p, labels))?;
    let sbox: Element = by_id("bayes-sensitivity-box")?;
    match sensitivity.filter(|a| !a.is_empty()) {
        Some(alt) => {
            set_hidden(&sbox, false)?;
            let note: Element = by_id("bayes-sensitivity-note")?;
            clear(&note);
            lines_into(&note, &[rb::sensitivity_line(p, alt)])?;
            table_into("bayes-sensitivity", &rb::sensitivity_table(p, alt))?;
        }
        None => set_hidden(&sbox, true)?,
    }
    let dpr = super::dom::window()?.device_pixel_ratio().clamp(1.0, 2.0);
    for key in rb::PLOTTED {
        let c: HtmlCanvasElement = by_id(&format!("plot-mcmc-{key}"))?;
        match rb::mcmc_plot_data(p, key) {
            Some(d) => draw_scaled(&c, MCMC_SIZE, dpr, |r| draw_mcmc(r, &d, &PlotStyle::for_canvas()))?,
            None => c.set_width(c.width()),
        }
    }
    let r: Element = by_id("bayes-result")?;
    set_hidden(&r, false)
}

/// The MCMC figures' exports (`plot` = `mcmc-KEY`); `false` when `plot` is not one of them.
pub fn export(kind: &str, plot: Option<&str>, block: Option<&BayesBlock>) -> Result<bool, JsValue> {
    let Some(key) = plot.and_then(|p| p.strip_prefix("mcmc-")) else { return Ok(false) };
    let Some(d) = block.and_then(|b| rb::mcmc_plot_data(b.posterior(), key)) else { return Ok(true) };
    let name = format!("fourfold-mcmc-{key}.{kind}");
    if kind == "svg" {
        let svg = to_svg(MCMC_SIZE.0, MCMC_SIZE.1, |a| draw_mcmc(a, &d, &PlotStyle::default()))
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        download_text(&name, "image/svg+xml", &svg)?;
    } else {
        let c: HtmlCanvasElement = el("canvas")?.dyn_into()?;
        draw_scaled(&c, MCMC_SIZE, 3.125, |r| draw_mcmc(r, &d, &PlotStyle::for_canvas()))?;
        super::events::download_png(&name, &c)?;
    }
    Ok(true)
}
