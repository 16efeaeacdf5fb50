//! What the page does when the wasm module panics (issue #10).
//!
//! A panic in wasm32 aborts: the module traps and must not be called again. The hook installed by
//! [`install`] runs first, while Rust code can still run, and:
//!
//! 1. logs the panic to the console ([`console_error_panic_hook::hook`], as before);
//! 2. saves the text of the data box (read from the DOM, never from the page state, which may be
//!    borrowed at this point) to the autosave key, so a reload brings it back;
//! 3. shows the `#crash` alert of `index.html` (`role="alert"`) in words, with the panic message
//!    for a bug report, and marks the page: `<body data-crashed="true">`, status `stopped`;
//! 4. disables every control; the data box becomes read-only (not disabled) so its text can still
//!    be selected and copied.
//!
//! The alert's buttons ("Reload the page", "Start over with the example") are wired in plain
//! JavaScript by `www/boot.js`, because the module cannot run any more.
//!
//! Every step is best effort: the hook never panics (no `unwrap`, errors are ignored), and a second
//! panic (e.g. a timer that fires after the first) is only logged, as a warning.
//!
//! **Test trigger.** `?fourfold-test-panic=1` in the page URL makes the page panic on purpose once
//! the first analysis is `ready` ([`maybe_test_panic`]); the e2e test uses it. Nothing else sets
//! that parameter, it changes nothing but this, and the crash alert's reload drops it.

use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, HtmlTextAreaElement};

use super::{dom, pipeline, state};

/// The query parameter of the deliberate test panic (also named in `www/boot.js`).
pub const TEST_PANIC_PARAM: &str = "fourfold-test-panic";

static CRASHED: AtomicBool = AtomicBool::new(false);

/// Install the page's panic hook (replaces `console_error_panic_hook::set_once`).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        if CRASHED.swap(true, Ordering::SeqCst) {
            // The module is already dead; whatever still calls into it is noise after the first report.
            web_sys::console::warn_1(&JsValue::from_str(&format!(
                "fourfold: a further internal error: {info}"
            )));
            return;
        }
        console_error_panic_hook::hook(info);
        let msg = match info.payload().downcast_ref::<&str>() {
            Some(s) => (*s).to_string(),
            None => info.payload().downcast_ref::<String>().cloned().unwrap_or_default(),
        };
        let place = info.location().map(|l| format!(" ({}:{})", l.file(), l.line())).unwrap_or_default();
        show(&format!("{msg}{place}"));
    }));
}

/// Whether the page has crashed (for callers that want to stop early).
pub fn crashed() -> bool {
    CRASHED.load(Ordering::SeqCst)
}

/// The crash display (steps 2–4 of the module documentation). Best effort, never panics.
fn show(detail: &str) {
    let Ok(doc) = dom::document() else { return };
    save_text(&doc);
    if let Some(body) = doc.body() {
        let _ = body.set_attribute("data-crashed", "true");
    }
    if let Some(el) = doc.get_element_by_id("crash-detail") {
        el.set_text_content(Some(&format!("Technical detail for a bug report: {detail}")));
    }
    if let Some(el) = doc.get_element_by_id("crash") {
        let _ = el.remove_attribute("hidden");
    }
    if let Some(el) = doc.get_element_by_id("status") {
        el.set_text_content(Some("stopped"));
    }
    if let Ok(list) = doc.query_selector_all("main input, main select, main button, main textarea") {
        for i in 0..list.length() {
            let Some(el) = list.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else { continue };
            let attr = if el.tag_name().eq_ignore_ascii_case("textarea") { "readonly" } else { "disabled" };
            let _ = el.set_attribute(attr, "");
        }
    }
    if let Some(el) =
        doc.get_element_by_id("crash-reload").and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// Write the data box's text to the autosave entry, with the settings of the page state when it
/// is not borrowed, else those already saved, else the defaults.
fn save_text(doc: &Document) {
    let Some(text) = doc
        .get_element_by_id("data-input")
        .and_then(|e| e.dyn_into::<HtmlTextAreaElement>().ok())
        .map(|t| t.value())
    else {
        return;
    };
    let Some(storage) = dom::storage() else { return };
    let saved = storage
        .get_item(pipeline::AUTOSAVE_KEY)
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v.get("settings").cloned());
    let settings = match state::try_settings() {
        Some(s) => serde_json::to_value(s).ok(),
        None => saved,
    }
    .or_else(|| serde_json::to_value(state::default_settings()).ok());
    let v = serde_json::json!({ "text": text, "settings": settings });
    let _ = storage.set_item(pipeline::AUTOSAVE_KEY, &v.to_string());
}

/// The deliberate test panic: with `?fourfold-test-panic=1`, panic once the status reads `ready`.
pub fn maybe_test_panic() {
    let wanted = dom::window()
        .and_then(|w| w.location().search())
        .is_ok_and(|q| q.trim_start_matches('?').split('&').any(|p| p == format!("{TEST_PANIC_PARAM}=1")));
    if wanted {
        let _ = poll_ready();
    }
}

fn poll_ready() -> Result<i32, JsValue> {
    dom::set_timeout(50, || {
        let ready = dom::document()
            .ok()
            .and_then(|d| d.get_element_by_id("status"))
            .and_then(|e| e.text_content())
            .is_some_and(|t| t == "ready");
        if ready {
            panic!("deliberate test panic (?{TEST_PANIC_PARAM}=1)");
        }
        let _ = poll_ready();
    })
}
