//! Paired forest plots of sensitivity and specificity (one row per study, summary diamond at
//! the bottom), in the layout of Meta-DiSc / RevMan: study label | sensitivity plot | estimate
//! [95 % CI] | specificity plot | estimate [95 % CI].

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{dashed_px, diamond_px, draw_frame, fmt_ci, text_height, text_width, wrap, Px};
use super::style::{PlotError, PlotStyle};

/// One study row: `(estimate, lower, upper)` for sensitivity and specificity, all in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct ForestRow {
    /// Study label shown in the first column.
    pub label: String,
    /// Sensitivity `(estimate, lower, upper)`.
    pub sens: (f64, f64, f64),
    /// Specificity `(estimate, lower, upper)`.
    pub spec: (f64, f64, f64),
    /// Optional study weight (any positive scale); marker area grows with it.
    pub weight: Option<f64>,
}

/// Everything the forest plot shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForestData {
    /// Study rows, top to bottom.
    pub rows: Vec<ForestRow>,
    /// Pooled sensitivity `(estimate, lower, upper)`, drawn as a diamond.
    pub summary_sens: Option<(f64, f64, f64)>,
    /// Pooled specificity `(estimate, lower, upper)`.
    pub summary_spec: Option<(f64, f64, f64)>,
    /// Plot title.
    pub title: String,
    /// The level of the intervals, for the labels ("95%").
    pub level: super::style::CiLabel,
}

/// Height of one row in pixels at the default style.
const ROW_H: u32 = 24;
/// Title + column headers.
const HEADER_H: u32 = 78;
/// Axis, tick labels and axis title.
const FOOTER_H: u32 = 66;

/// A good figure height in pixels for `n_rows` studies (plus the summary row) at the default
/// style; use it with a width of about 900.
pub fn forest_height(n_rows: usize) -> u32 {
    let slots = n_rows as u32 + 2;
    (HEADER_H + slots * ROW_H + FOOTER_H).max(300)
}

/// One plot panel: pixel x of proportion 0 and 1, and the left of its text column.
struct Panel {
    x0: i32,
    x1: i32,
    text_x: i32,
}

impl Panel {
    fn x(&self, p: f64) -> i32 {
        let p = p.clamp(0.0, 1.0);
        self.x0 + ((self.x1 - self.x0) as f64 * p).round() as i32
    }
}

fn finite3(t: (f64, f64, f64)) -> bool {
    t.0.is_finite() && t.1.is_finite() && t.2.is_finite()
}

/// Draw the paired forest plot. Rows with non-finite estimates are listed with "NA" and no
/// marker; intervals are clipped to [0, 1]. Zero rows draw the frame and axes only.
pub fn draw_forest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &ForestData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (w, h) = super::common::check_size(area, 300, 150)?;
    let (w, h) = (w as i32, h as i32);
    let y_title_end = draw_frame(area, &data.title, style)?;

    // Columns.
    let widest_label = data
        .rows
        .iter()
        .map(|r| text_width(&r.label, style.text_size))
        .chain(std::iter::once(text_width("Summary", style.text_size)))
        .max()
        .unwrap_or(0);
    let margin = 12;
    let label_w = (widest_label + 16).clamp(80, w / 4);
    let panel_w = (w - margin * 2 - label_w) / 2;
    let ci_w = text_width("0.00 [0.00, 0.00]", style.text_size) + 24;
    let plot_w = (panel_w - ci_w).max(panel_w / 2);
    let panels = [0, 1].map(|i| {
        let left = margin + label_w + i * panel_w;
        Panel { x0: left + 10, x1: left + plot_w - 12, text_x: left + plot_w + 6 }
    });

    // Rows.
    let header_y = y_title_end + 10;
    // Headers wrap onto two lines when the CI column is narrow.
    let room = [panels[1].x0 - panels[0].text_x + 16, w - panels[1].text_x + 4];
    let headers: Vec<Vec<String>> =
        [format!("Sensitivity ({} CI)", data.level), format!("Specificity ({} CI)", data.level)]
            .iter()
            .zip(room)
            .map(|(t, r)| wrap(t, style.label_size, r))
            .collect();
    let header_lines = headers.iter().map(Vec::len).max().unwrap_or(1) as i32;
    let line_h = text_height(style.label_size) + 3;
    let rows_top =
        header_y + (header_lines - 1) * line_h + (text_height(style.label_size) as f64 * 1.9).ceil() as i32;
    let has_summary = data.summary_sens.is_some() || data.summary_spec.is_some();
    let n_slots = data.rows.len() as i32 + if has_summary { 2 } else { 0 };
    let avail = h - rows_top - FOOTER_H as i32;
    let rh = if n_slots > 0 { (avail / n_slots.max(1)).clamp(4, 36) } else { 0 };
    let rows_bottom = rows_top + rh * n_slots.max(1);
    let axis_y = rows_bottom + 4;

    // Column headers.
    let hdr = style.bold(style.label_size, HPos::Left, VPos::Bottom);
    let header_base = rows_top - 6;
    area.draw(&Text::new("Study", (margin, header_base), hdr.clone()))?;
    for (p, lines) in panels.iter().zip(&headers) {
        let n = lines.len() as i32;
        for (k, line) in lines.iter().enumerate() {
            area.draw(&Text::new(
                line.clone(),
                (p.text_x, header_base - (n - 1 - k as i32) * line_h),
                hdr.clone(),
            ))?;
        }
    }
    area.draw(&PathElement::new(
        vec![(margin, rows_top - 2), (w - margin, rows_top - 2)],
        style.foreground.stroke_width(1),
    ))?;

    // Zebra bands for readability.
    for i in (0..data.rows.len() as i32).step_by(2) {
        let y = rows_top + i * rh;
        area.draw(&Rectangle::new([(margin, y), (w - margin, y + rh)], RGBColor(0xF4, 0xF4, 0xF4).filled()))?;
    }

    // Vertical dashed lines at the summary estimates.
    for (p, s) in panels.iter().zip([data.summary_sens, data.summary_spec]) {
        if let Some(s) = s.filter(|s| s.0.is_finite()) {
            dashed_px(
                area,
                vec![(p.x(s.0), rows_top), (p.x(s.0), rows_bottom)],
                5,
                4,
                style.series_colour(1).stroke_width(1),
            )?;
        }
    }

    let max_weight = data
        .rows
        .iter()
        .filter_map(|r| r.weight)
        .filter(|w| w.is_finite() && *w > 0.0)
        .fold(0.0_f64, f64::max);
    let colour = style.series_colour(0);
    let txt = style.text(style.text_size, HPos::Left, VPos::Center);
    let marker_max = ((rh as f64) * 0.4).clamp(2.0, 8.0);
    for (i, row) in data.rows.iter().enumerate() {
        let cy = rows_top + i as i32 * rh + rh / 2;
        area.draw(&Text::new(row.label.clone(), (margin + 4, cy), txt.clone()))?;
        let radius = match row.weight {
            Some(wt) if wt.is_finite() && wt > 0.0 && max_weight > 0.0 => {
                (marker_max * 0.45 + marker_max * 0.55 * (wt / max_weight).sqrt()).round() as i32
            }
            _ => (marker_max * 0.6).round() as i32,
        }
        .max(2);
        for (p, t) in panels.iter().zip([row.sens, row.spec]) {
            area.draw(&Text::new(fmt_ci(t, 2), (p.text_x, cy), txt.clone()))?;
            if t.1.is_finite() && t.2.is_finite() {
                area.draw(&PathElement::new(
                    vec![(p.x(t.1), cy), (p.x(t.2), cy)],
                    style.foreground.stroke_width(1),
                ))?;
            }
            if t.0.is_finite() {
                area.draw(&Circle::new((p.x(t.0), cy), radius, colour.filled()))?;
            }
        }
    }

    // Summary row.
    if has_summary {
        let sy = rows_top + (data.rows.len() as i32 + 1) * rh + rh / 2;
        area.draw(&PathElement::new(
            vec![
                (margin, rows_top + data.rows.len() as i32 * rh + rh / 2),
                (w - margin, rows_top + data.rows.len() as i32 * rh + rh / 2),
            ],
            style.grid.stroke_width(1),
        ))?;
        let bold = style.bold(style.text_size, HPos::Left, VPos::Center);
        area.draw(&Text::new("Summary", (margin + 4, sy), bold.clone()))?;
        let ry = ((rh as f64) * 0.38).round().max(3.0) as i32;
        for (p, s) in panels.iter().zip([data.summary_sens, data.summary_spec]) {
            let Some(s) = s else { continue };
            area.draw(&Text::new(fmt_ci(s, 2), (p.text_x, sy), bold.clone()))?;
            if finite3(s) {
                let pts: Vec<Px> =
                    vec![(p.x(s.1), sy), (p.x(s.0), sy - ry), (p.x(s.2), sy), (p.x(s.0), sy + ry)];
                area.draw(&Polygon::new(pts, style.series_colour(1).filled()))?;
            } else if s.0.is_finite() {
                area.draw(&Polygon::new(
                    diamond_px((p.x(s.0), sy), ry, ry),
                    style.series_colour(1).filled(),
                ))?;
            }
        }
    }

    // Axes.
    let tick = style.text(style.tick_size, HPos::Center, VPos::Top);
    for (p, name) in panels.iter().zip(["Sensitivity", "Specificity"]) {
        area.draw(&PathElement::new(vec![(p.x0, axis_y), (p.x1, axis_y)], style.foreground.stroke_width(1)))?;
        // Ticks every 0.2, or every 0.5 on a narrow panel.
        let n_ticks = if p.x1 - p.x0 >= 6 * text_width("0.8", style.tick_size) + 30 { 5 } else { 2 };
        for k in 0..=n_ticks {
            let v = k as f64 / n_ticks as f64;
            let x = p.x(v);
            area.draw(&PathElement::new(
                vec![(x, axis_y), (x, axis_y + 5)],
                style.foreground.stroke_width(1),
            ))?;
            let label = if k == 0 || k == n_ticks { format!("{}", k / n_ticks) } else { format!("{v:.1}") };
            area.draw(&Text::new(label, (x, axis_y + 8), tick.clone()))?;
        }
        area.draw(&Text::new(
            name,
            ((p.x0 + p.x1) / 2, axis_y + 14 + text_height(style.tick_size)),
            style.text(style.label_size, HPos::Center, VPos::Top),
        ))?;
    }
    let _ = h;
    Ok(())
}
