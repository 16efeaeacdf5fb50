//! Spreadsheets are read by a second wasm module in a Web Worker (`src/bin/sheets.rs`,
//! `www/sheets-worker.js`), created the first time a spreadsheet is opened: calamine stays out of
//! the page's first load. A newer file supersedes an older one still being read (request `id`).

use std::cell::{Cell, RefCell};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::events::{set_input_text, show_link_error};
use super::{dom::set_text, show_fatal};

thread_local! {
    static WORKER: RefCell<Option<web_sys::Worker>> = const { RefCell::new(None) };
    static LATEST: Cell<u32> = const { Cell::new(0) };
}

/// The worker, created (and its answer handler installed) on first use.
fn worker() -> Result<web_sys::Worker, JsValue> {
    if let Some(w) = WORKER.with(|w| w.borrow().clone()) {
        return Ok(w);
    }
    let w = web_sys::Worker::new("./sheets-worker.js")?;
    let onmessage = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|e: web_sys::MessageEvent| {
        if let Err(err) = answer(&e.data()) {
            show_fatal(&err);
        }
    });
    w.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget(); // lives as long as the worker, i.e. the page
    let onerror = Closure::<dyn FnMut(web_sys::Event)>::new(|_e: web_sys::Event| {
        let shown = set_text(
            "link-error",
            "Could not start the spreadsheet reader; save the sheet as CSV and open that",
        )
        .and_then(|_| show_link_error(true));
        if let Err(err) = shown {
            show_fatal(&err);
        }
    });
    w.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    onerror.forget();
    WORKER.with(|slot| *slot.borrow_mut() = Some(w.clone()));
    Ok(w)
}

/// Send a spreadsheet's bytes to the worker; its text replaces the data box when it comes back.
pub fn read(bytes: &js_sys::Uint8Array) -> Result<(), JsValue> {
    let id = LATEST.with(|l| {
        l.set(l.get().wrapping_add(1));
        l.get()
    });
    let msg = js_sys::Object::new();
    js_sys::Reflect::set(&msg, &"id".into(), &id.into())?;
    js_sys::Reflect::set(&msg, &"bytes".into(), bytes)?;
    worker()?.post_message(&msg)
}

/// Ask the worker for the Excel workbook of `sheets_json` (`report::xlsx::sheets` as JSON); the
/// bytes come back to [`super::revman::xlsx_ready`].
pub fn request_xlsx(sheets_json: &str) -> Result<(), JsValue> {
    let id = LATEST.with(|l| {
        l.set(l.get().wrapping_add(1));
        l.get()
    });
    let msg = js_sys::Object::new();
    js_sys::Reflect::set(&msg, &"id".into(), &id.into())?;
    js_sys::Reflect::set(&msg, &"xlsx".into(), &sheets_json.into())?;
    worker()?.post_message(&msg)
}

/// `{id, text}`, `{id, xlsx}` or `{id, error}` from the worker; answers to superseded requests are dropped.
fn answer(data: &JsValue) -> Result<(), JsValue> {
    let id = js_sys::Reflect::get(data, &"id".into())?.as_f64().unwrap_or(-1.0);
    if id != f64::from(LATEST.with(Cell::get)) {
        return Ok(());
    }
    let xlsx = js_sys::Reflect::get(data, &"xlsx".into())?;
    if let Some(bytes) = xlsx.dyn_ref::<js_sys::Uint8Array>() {
        return super::revman::xlsx_ready(bytes);
    }
    if let Some(text) = js_sys::Reflect::get(data, &"text".into())?.as_string() {
        show_link_error(false)?;
        return set_input_text(&text, 0);
    }
    let error = js_sys::Reflect::get(data, &"error".into())?.as_string().unwrap_or_default();
    set_text("link-error", &format!("Could not read the file: {error}"))?;
    show_link_error(true)
}
