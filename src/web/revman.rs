//! The RevMan hand-off and the Meta-DiSc 2.0 dispersion table on the page: places what
//! `report::revman` produced, the Copy button (tab-separated, full precision) and the Excel
//! workbook download (`report::xlsx`).

use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::dom::{by_id, clear, set_hidden, set_text, window};
use super::render::table_into;
use super::state;
use crate::analysis::Analysis;
use crate::report::revman::{
    dispersion_table, hsroc_inference_note, hsroc_inference_table, revman_clipboard, revman_table,
    DISPERSION_NOTE,
};

/// Fill (or hide) the RevMan box and the dispersion box.
pub fn render(a: &Analysis) -> Result<(), JsValue> {
    let boxe: Element = by_id("revman-box")?;
    set_text("revman-copy-msg", "")?;
    match revman_table(a) {
        Some(t) => {
            set_hidden(&boxe, false)?;
            table_into("revman", &t)?;
            match hsroc_inference_table(a) {
                Some(t) => table_into("hsroc-se", &t).map(|_| ())?,
                None => clear(&by_id::<Element>("hsroc-se")?),
            }
            set_text("hsroc-se-note", &hsroc_inference_note(a).unwrap_or_default())?;
        }
        None => {
            for id in ["revman", "hsroc-se"] {
                clear(&by_id::<Element>(id)?);
            }
            set_hidden(&boxe, true)?;
        }
    }
    let dbox: Element = by_id("dispersion-box")?;
    match dispersion_table(a) {
        Some(t) => {
            set_hidden(&dbox, false)?;
            table_into("dispersion", &t)?;
            set_text("dispersion-note", DISPERSION_NOTE)
        }
        None => {
            clear(&by_id::<Element>("dispersion")?);
            set_hidden(&dbox, true)
        }
    }
}

/// Copy the parameters (every analysis) to the clipboard as tab-separated text.
pub fn copy() -> Result<(), JsValue> {
    let Some(a) = state::with(|s| s.analysis.clone()) else { return Ok(()) };
    let text = revman_clipboard(&a);
    // The clipboard may be refused (no permission); the table stays selectable.
    let _ = window()?.navigator().clipboard().write_text(&text);
    let n = a.revman.len();
    set_text(
        "revman-copy-msg",
        &format!(
            "Copied: 15 parameters × {n} {}, tab-separated.",
            if n == 1 { "analysis" } else { "analyses" }
        ),
    )
}

/// Build the sheets here (small) and ask the worker module, which holds the writer, for the
/// workbook; [`xlsx_ready`] offers it as a download.
pub fn download_xlsx(a: &Analysis, loo: &[crate::stats::influence::LooRow]) -> Result<(), JsValue> {
    let sheets = crate::report::xlsx::sheets(a, loo);
    let json = serde_json::to_string(&sheets).map_err(|e| JsValue::from_str(&e.to_string()))?;
    super::sheets::request_xlsx(&json)
}

/// The worker's workbook as a download.
pub fn xlsx_ready(bytes: &js_sys::Uint8Array) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(bytes);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts)?;
    super::dom::download_blob("fourfold-tables.xlsx", &blob)
}
