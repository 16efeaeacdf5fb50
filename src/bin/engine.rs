//! The page's analysis engine, a wasm module run in Web Workers (`www/engine-worker.js`): the
//! jobs of [`fourfold::worker`] exported to JavaScript. Each step's message comes back as
//! MessagePack bytes (transferred, not copied) for the page to decode. Natively the CLI analyses
//! in-process; this binary only exists for the page.

#[cfg(target_arch = "wasm32")]
mod wasm {
    use fourfold::worker::{to_bytes, AnalysisJob, BayesJob};
    use wasm_bindgen::prelude::*;

    fn now() -> f64 {
        js_sys::Date::now()
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

        /// The next message's bytes; `undefined` when the job is done.
        pub fn step(&mut self) -> Result<Option<Vec<u8>>, String> {
            self.0.step(&now).map(|m| to_bytes(&m)).transpose()
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

        /// The next message's bytes; `undefined` when the job is done.
        pub fn step(&mut self) -> Result<Option<Vec<u8>>, String> {
            self.0.step(&now).map(|m| to_bytes(&m)).transpose()
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
