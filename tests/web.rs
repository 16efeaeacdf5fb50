//! Browser tests (wasm-bindgen-test in headless Chromium):
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test web`
//! (or `make test`). Only `#[wasm_bindgen_test]` functions run on wasm32.
#![cfg(target_arch = "wasm32")]

use fourfold::analysis::run_settings;
use fourfold::data::correction::Correction;
use fourfold::data::parse_table;
use fourfold::data::Study;
use fourfold::report::plots::PlotKind;
use fourfold::settings::AnalysisSettings;
use fourfold::stats::bivariate::AucCi;
use fourfold::web::render::draw_canvas;
use fourfold::web::EXAMPLE_CSV;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

wasm_bindgen_test_configure!(run_in_browser);

fn new_canvas(w: u32, h: u32) -> Result<HtmlCanvasElement, JsValue> {
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let canvas: HtmlCanvasElement = doc.create_element("canvas")?.dyn_into()?;
    canvas.set_width(w);
    canvas.set_height(h);
    doc.body().ok_or("no body")?.append_child(&canvas)?;
    Ok(canvas)
}

/// Pixels that are not (near-)white.
fn count_ink(canvas: &HtmlCanvasElement) -> Result<usize, JsValue> {
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d")?.ok_or("no 2d context")?.dyn_into()?;
    let data = ctx.get_image_data(0.0, 0.0, canvas.width() as f64, canvas.height() as f64)?.data();
    Ok(data.chunks_exact(4).filter(|p| p[3] > 0 && (p[0] < 240 || p[1] < 240 || p[2] < 240)).count())
}

#[wasm_bindgen_test]
fn plotters_canvas_draws_on_a_real_canvas() -> Result<(), JsValue> {
    let canvas = new_canvas(200, 150)?;
    let root = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no backend")?.into_drawing_area();
    let e = |e: DrawingAreaErrorKind<_>| JsValue::from_str(&e.to_string());
    root.fill(&WHITE).map_err(e)?;
    assert_eq!(count_ink(&canvas)?, 0, "a white fill leaves no ink");
    root.draw(&Rectangle::new([(10, 10), (60, 40)], BLUE.filled())).map_err(e)?;
    root.present().map_err(e)?;
    // 50 × 30 filled pixels, give or take anti-aliasing at the edges.
    let ink = count_ink(&canvas)?;
    assert!((1400..=1700).contains(&ink), "ink = {ink}");
    Ok(())
}

#[wasm_bindgen_test]
fn every_figure_of_the_example_is_drawn_on_a_canvas() -> Result<(), JsValue> {
    let parsed = parse_table(EXAMPLE_CSV);
    assert_eq!(parsed.dataset.studies.len(), 44);
    let settings = AnalysisSettings { auc_ci: AucCi::None, ..AnalysisSettings::default() };
    let a = run_settings(&parsed.dataset, &settings).map_err(|e| JsValue::from_str(&e.to_string()))?;
    for kind in PlotKind::ALL {
        let canvas = new_canvas(10, 10)?;
        draw_canvas(&canvas, kind, &a, 1.0)?;
        let ink = count_ink(&canvas)?;
        assert!(ink > 2_000, "{kind:?}: ink = {ink}");
    }
    // At 3.125x (the PNG export) the canvas is larger and the layout the same.
    let canvas = new_canvas(10, 10)?;
    draw_canvas(&canvas, PlotKind::Sroc, &a, 3.125)?;
    assert_eq!(canvas.width(), (760.0f64 * 3.125).round() as u32, "the SROC figure is 760 px wide");
    assert!(count_ink(&canvas)? > 20_000);
    Ok(())
}

#[wasm_bindgen_test]
fn continuity_correction_runs_in_wasm() {
    let studies = [Study::new("zero", 0, 1, 6, 17), Study::new("full", 12, 3, 3, 7)];
    let c = Correction::default().apply(&studies);
    assert_eq!(c.len(), 2);
    // Tolerance: exact (sums of small integers and 0.5 are exact in binary floating point).
    assert!(c[0].corrected);
    assert_eq!((c[0].tp, c[0].fp, c[0].fn_, c[0].tn), (0.5, 1.5, 6.5, 17.5));
    assert!(!c[1].corrected);
    assert_eq!((c[1].tp, c[1].fp, c[1].fn_, c[1].tn), (12.0, 3.0, 3.0, 7.0));
    // logit Se' = ln(0.5/6.5); tolerance 1e-12 (identity).
    assert!((c[0].logit_sens() - (0.5f64 / 6.5).ln()).abs() < 1e-12);
}

/// The engine worker's messages cross to the page as JavaScript values (`worker::to_js`, then
/// `from_js`): every message of an analysis job and a Bayesian job reads back as the same values,
/// NaN included, and the MCMC plots' summaries come along.
#[wasm_bindgen_test]
fn engine_messages_read_back_in_wasm() {
    use fourfold::settings::{BayesModel, BayesSettings};
    use fourfold::worker::{from_js, to_js, AnalysisJob, BayesJob, Message};
    let text = "study,TP,FP,FN,TN\nA,20,5,3,70\nB,0,2,12,40\nC,15,9,1,55\nD,30,12,6,80\nE,8,0,2,33\n";
    let settings = AnalysisSettings {
        bayes: BayesSettings {
            model: Some(BayesModel::Bivariate),
            chains: 2,
            warmup: 100,
            draws: 100,
            seed: u64::MAX,
            ..BayesSettings::default()
        },
        ..AnalysisSettings::default()
    };
    let json = serde_json::to_string(&settings).expect("ok");
    let clock = || js_sys::Date::now();
    let mut seen = 0;
    let mut check = |m: Message| {
        let back = from_js(to_js(&m).expect("encode")).expect("decode");
        assert_eq!(serde_json::to_string(&back).expect("ok"), serde_json::to_string(&m).expect("ok"));
        if let (Message::Bayes { block: a, .. }, Message::Bayes { block: b, .. }) = (&m, &back) {
            // The MCMC plots' summaries come along (people's JSON leaves them out); the raw
            // draws do not.
            let (pa, pb) = (a.posterior(), b.posterior());
            assert!(!pa.mcmc.is_empty());
            assert_eq!(format!("{:?}", pa.mcmc), format!("{:?}", pb.mcmc));
            assert!(pb.quantities.iter().all(|q| q.chains.is_empty()));
        }
        seen += 1;
    };
    let mut job = AnalysisJob::new(text, &json, 0, 1, true).expect("ok");
    while let Some(m) = job.step(&clock) {
        check(m);
    }
    let mut job = BayesJob::new(text, &json).expect("ok");
    while let Some(m) = job.step(&clock) {
        check(m);
    }
    assert!(seen >= 4, "{seen} messages");
}
