//! The page's spreadsheet reader, a second wasm module run in a Web Worker
//! (`www/sheets-worker.js`) and fetched only when a spreadsheet is opened: calamine and its zip
//! and XML readers stay out of the first load (README "Performance"). Natively the CLI reads
//! spreadsheets itself; this binary only exists for the page. It also writes the Excel export
//! (`sheets_to_xlsx`), for the same reason: the writer is large.

/// `.xlsx` / `.xls` / `.ods` / `.rm5` bytes → the tab-separated text the page's data box shows, or the
/// message the page shows when the file cannot be read.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn sheet_to_text(bytes: &[u8]) -> Result<String, String> {
    // RevMan 5 reviews (.rm5, XML) are read here too, so their XML reader stays out of the first load.
    if fourfold::data::import::rm5::looks_like_rm5(bytes) {
        return fourfold::data::import::rm5::rm5_to_text(bytes).map_err(|e| e.to_string());
    }
    fourfold::data::parse::parse_spreadsheet(bytes).map_err(|e| e.to_string())
}

/// The Excel export: the sheets the page built (`report::xlsx::sheets`, as JSON) → `.xlsx`
/// bytes. The writer (rust_xlsxwriter) lives here so that it, too, stays out of the first load.
#[cfg(all(target_arch = "wasm32", feature = "xlsx"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn sheets_to_xlsx(json: &str) -> Result<Vec<u8>, String> {
    let sheets: Vec<fourfold::report::xlsx::Sheet> =
        serde_json::from_str(json).map_err(|e| format!("the workbook request could not be read: {e}"))?;
    fourfold::report::xlsx::write(&sheets)
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("sheets: this binary is the web page's spreadsheet worker; use `fourfold` natively");
    std::process::exit(2);
}
