//! Small DOM helpers. Every helper returns `Result<_, JsValue>`; user text only ever goes through
//! `textContent` or attributes, never `innerHTML`.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlAnchorElement, Window};

pub fn window() -> Result<Window, JsValue> {
    web_sys::window().ok_or_else(|| JsValue::from_str("no window"))
}

pub fn document() -> Result<Document, JsValue> {
    window()?.document().ok_or_else(|| JsValue::from_str("no window.document"))
}

/// The element `#id`, cast to `T`.
pub fn by_id<T: JsCast>(id: &str) -> Result<T, JsValue> {
    document()?
        .get_element_by_id(id)
        .ok_or_else(|| JsValue::from_str(&format!("index.html has no element #{id}")))?
        .dyn_into::<T>()
        .map_err(|_| JsValue::from_str(&format!("#{id} has an unexpected element type")))
}

/// A new element `<tag>`.
pub fn el(tag: &str) -> Result<Element, JsValue> {
    document()?.create_element(tag)
}

/// A new element with text content, appended to `parent`.
pub fn add(parent: &Element, tag: &str, text: &str) -> Result<Element, JsValue> {
    let e = el(tag)?;
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    parent.append_child(&e)?;
    Ok(e)
}

/// Set the text of `#id`.
pub fn set_text(id: &str, text: &str) -> Result<(), JsValue> {
    let e: Element = by_id(id)?;
    e.set_text_content(Some(text));
    Ok(())
}

/// Remove every child of `e`.
pub fn clear(e: &Element) {
    e.set_text_content(None);
}

/// Show or hide `e` (the `hidden` attribute).
pub fn set_hidden(e: &Element, hidden: bool) -> Result<(), JsValue> {
    if hidden {
        e.set_attribute("hidden", "")
    } else {
        e.remove_attribute("hidden")
    }
}

/// Run `f` after `ms` milliseconds; returns the timer handle.
pub fn set_timeout(ms: i32, f: impl FnOnce() + 'static) -> Result<i32, JsValue> {
    let cb = Closure::once_into_js(f);
    window()?.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), ms)
}

pub fn clear_timeout(handle: i32) {
    if let Ok(w) = window() {
        w.clear_timeout_with_handle(handle);
    }
}

/// Milliseconds since the epoch (for time-slicing the leave-one-out refits).
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// Offer `blob` as a download named `name` (an `<a download>` on an object URL).
pub fn download_blob(name: &str, blob: &web_sys::Blob) -> Result<(), JsValue> {
    let url = web_sys::Url::create_object_url_with_blob(blob)?;
    let a: HtmlAnchorElement = el("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    // A detached anchor: its synthetic click starts the download without bubbling to the
    // document, whose delegated click listener (the export buttons) is the one running now —
    // re-entering it threw "closure invoked recursively or after being dropped".
    a.click();
    // Revoke later: the download has to start first.
    set_timeout(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })?;
    Ok(())
}

/// Offer `text` as a download named `name` with MIME type `mime`.
pub fn download_text(name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    download_blob(name, &blob)
}

/// The page's local storage, when available (private modes may refuse it).
pub fn storage() -> Option<web_sys::Storage> {
    window().ok()?.local_storage().ok()?
}
