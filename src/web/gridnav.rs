//! Keyboard navigation of the table editor (issue #11: ~250 tab stops stood between the data box and
//! the settings): the WAI-ARIA grid pattern with a roving tabindex. The grid is one Tab stop (the
//! cell focused last, else the first header cell); arrow keys move between cells:
//!
//! - Up / Down: the same column of the row above / below;
//! - Left / Right: the neighbouring cell — in a text cell only when the caret is at the start / end
//!   of its text or the whole text is selected (arriving by an arrow key selects it, so typing
//!   replaces the value as in a spreadsheet, and arrows inside a text being edited move the caret);
//! - Ctrl+Home / Ctrl+End: the first / last cell.
//!
//! The cells are the `input`s and `button`s of `#grid` (checkbox, text cells, remove button); a
//! cell's position is (row of the table, column of the row's `td`/`th`). Only wiring: no words.

use std::cell::Cell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement, KeyboardEvent};

use super::dom::{by_id, document};

const FOCUSABLE: &str = "input, button";

thread_local! {
    /// The (row, column) of the cell that holds the grid's Tab stop.
    static ACTIVE: Cell<(usize, usize)> = const { Cell::new((0, 1)) };
}

fn elements(list: &web_sys::NodeList) -> Vec<Element> {
    (0..list.length()).filter_map(|i| list.item(i)).filter_map(|n| n.dyn_into::<Element>().ok()).collect()
}

/// The grid's rows, each as its cells (`td`/`th`).
fn rows() -> Result<Vec<Vec<Element>>, JsValue> {
    let trs = elements(&document()?.query_selector_all("#grid tr")?);
    trs.iter().map(|tr| Ok(elements(&tr.query_selector_all(":scope > td, :scope > th")?))).collect()
}

/// The focusable control of cell `(r, c)`, if that cell has one.
fn control(rows: &[Vec<Element>], r: usize, c: usize) -> Option<Element> {
    rows.get(r)?.get(c)?.query_selector(FOCUSABLE).ok().flatten()
}

/// The (row, column) of the cell holding `el`.
fn position(rows: &[Vec<Element>], el: &Element) -> Option<(usize, usize)> {
    let cell = el.closest("td, th").ok().flatten()?;
    rows.iter().enumerate().find_map(|(r, cells)| cells.iter().position(|c| *c == cell).map(|c| (r, c)))
}

/// Make `(r, c)` (or the nearest cell with a control) the grid's only Tab stop; returns its control.
fn set_stop(rows: &[Vec<Element>], r: usize, c: usize) -> Result<Option<Element>, JsValue> {
    let chosen = control(rows, r, c)
        .map(|e| (e, r, c))
        .or_else(|| {
            // The nearest control in the row, else the first of the grid.
            let row = rows.get(r)?;
            (0..row.len())
                .min_by_key(|&k| (k as i64 - c as i64).abs())
                .into_iter()
                .chain(0..row.len())
                .find_map(|k| control(rows, r, k).map(|e| (e, r, k)))
        })
        .or_else(|| {
            rows.iter()
                .enumerate()
                .find_map(|(rr, row)| (0..row.len()).find_map(|k| control(rows, rr, k).map(|e| (e, rr, k))))
        });
    for e in elements(&document()?.query_selector_all("#grid input, #grid button")?) {
        e.set_attribute("tabindex", "-1")?;
    }
    let Some((e, r, c)) = chosen else { return Ok(None) };
    e.set_attribute("tabindex", "0")?;
    ACTIVE.with(|a| a.set((r, c)));
    Ok(Some(e))
}

/// After the grid is (re)built: one Tab stop, at the cell that had it (or the nearest).
pub fn rove() -> Result<(), JsValue> {
    let (r, c) = ACTIVE.with(Cell::get);
    set_stop(&rows()?, r, c).map(|_| ())
}

/// Whether a Left / Right key in `el` leaves the cell (see the module docs).
fn leaves(el: &Element, right: bool) -> bool {
    let Some(input) = el.dyn_ref::<HtmlInputElement>() else { return true };
    if input.type_() != "text" {
        return true;
    }
    let len = input.value().encode_utf16().count() as u32;
    let (Ok(Some(s)), Ok(Some(e))) = (input.selection_start(), input.selection_end()) else { return true };
    (s == 0 && e == len) || (s == e && if right { s == len } else { s == 0 })
}

fn on_key(e: &KeyboardEvent) -> Result<(), JsValue> {
    let Some(t) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return Ok(()) };
    let rows = rows()?;
    let Some((r, c)) = position(&rows, &t) else { return Ok(()) };
    let last_row = rows.len().saturating_sub(1);
    let width = |r: usize| rows.get(r).map_or(0, Vec::len);
    // The next cell with a control along the row (the header's "Use" and "Remove" cells have none).
    let along = |step: i64| {
        let mut k = c as i64 + step;
        while k >= 0 && (k as usize) < width(r) {
            if control(&rows, r, k as usize).is_some() {
                return Some((r, k as usize));
            }
            k += step;
        }
        None
    };
    let to = match e.key().as_str() {
        "ArrowUp" if r > 0 => Some((r - 1, c)),
        "ArrowDown" if r < last_row => Some((r + 1, c)),
        "ArrowLeft" if leaves(&t, false) => along(-1),
        "ArrowRight" if leaves(&t, true) => along(1),
        "Home" if e.ctrl_key() => Some((0, 0)),
        "End" if e.ctrl_key() => Some((last_row, width(last_row).saturating_sub(1))),
        _ => None,
    };
    let Some((r2, c2)) = to else { return Ok(()) };
    e.prevent_default();
    if let Some(el) = set_stop(&rows, r2, c2)? {
        if let Some(h) = el.dyn_ref::<HtmlElement>() {
            h.focus()?;
        }
        if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
            if i.type_() == "text" {
                i.select();
            }
        }
    }
    Ok(())
}

/// Listen on `#grid`: arrow keys move, focusing a cell (click, Tab) makes it the Tab stop.
pub fn wire() -> Result<(), JsValue> {
    let grid: Element = by_id("grid")?;
    let key = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| {
        if let Err(err) = on_key(&e) {
            super::show_fatal(&err);
        }
    });
    grid.add_event_listener_with_callback("keydown", key.as_ref().unchecked_ref())?;
    key.forget();
    let focus = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        let Some(t) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
        let res = rows().and_then(|rows| match position(&rows, &t) {
            Some((r, c)) if control(&rows, r, c).is_some_and(|x| x == t) => set_stop(&rows, r, c).map(|_| ()),
            _ => Ok(()),
        });
        if let Err(err) = res {
            super::show_fatal(&err);
        }
    });
    grid.add_event_listener_with_callback("focusin", focus.as_ref().unchecked_ref())?;
    focus.forget();
    Ok(())
}
