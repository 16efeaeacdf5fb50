//! The page's analysis engine, a wasm module run in Web Workers (`www/engine-worker.js`): the
//! jobs of [`fourfold::worker`] exported to JavaScript. Each step's message comes back as a
//! JavaScript value (`fourfold::worker::to_js`, serde-wasm-bindgen: NaN kept, u64 as BigInt) that
//! `postMessage` clones to the page, which decodes it. Natively the CLI analyses
//! in-process; this binary only exists for the page.

#[cfg(target_arch = "wasm32")]
mod wasm {
    use fourfold::worker::{to_js as encode, AnalysisJob, BayesJob, Message};
    use wasm_bindgen::prelude::*;

    fn now() -> f64 {
        js_sys::Date::now()
    }

    fn to_js(m: Option<Message>) -> Result<JsValue, String> {
        m.map_or(Ok(JsValue::UNDEFINED), |m| encode(&m))
    }

    /// A part of an analysis request (see `fourfold::worker::AnalysisJob`).
    #[wasm_bindgen]
    pub struct Analysis(AnalysisJob);

    #[wasm_bindgen]
    impl Analysis {
        #[wasm_bindgen(constructor)]
        pub fn new(text: &str, settings: &str, part: u32, parts: u32, loo: bool) -> Result<Analysis, String> {
            AnalysisJob::new(text, settings, part as usize, parts as usize, loo).map(Analysis)
        }

        /// The next message; `undefined` when the job is done.
        pub fn step(&mut self) -> Result<JsValue, String> {
            to_js(self.0.step(&now))
        }
    }

    /// The Bayesian fit of a request (see `fourfold::worker::BayesJob`).
    #[wasm_bindgen]
    pub struct Bayes(BayesJob);

    #[wasm_bindgen]
    impl Bayes {
        #[wasm_bindgen(constructor)]
        pub fn new(text: &str, settings: &str) -> Result<Bayes, String> {
            BayesJob::new(text, settings).map(Bayes)
        }

        /// The next message; `undefined` when the job is done.
        pub fn step(&mut self) -> Result<JsValue, String> {
            to_js(self.0.step(&now))
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("engine: this binary is the web page's analysis worker; use `fourfold` natively");
    std::process::exit(2);
}
