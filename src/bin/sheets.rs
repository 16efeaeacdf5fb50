//! The page's spreadsheet reader, a second wasm module run in a Web Worker
//! (`www/sheets-worker.js`) and fetched only when a spreadsheet is opened: calamine and its zip
//! and XML readers stay out of the first load (README "Performance"). Natively the CLI reads
//! spreadsheets itself; this binary only exists for the page.

/// `.xlsx` / `.xls` / `.ods` bytes → the tab-separated text the page's data box shows, or the
/// message the page shows when the file cannot be read.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn sheet_to_text(bytes: &[u8]) -> Result<String, String> {
    fourfold::data::parse::parse_spreadsheet(bytes).map_err(|e| e.to_string())
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("sheets: this binary is the web page's spreadsheet worker; use `fourfold` natively");
    std::process::exit(2);
}
