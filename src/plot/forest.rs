//! Paired forest plots of sensitivity and specificity (one row per study, summary diamond at
//! the bottom), in the layout of Meta-DiSc: study label | sensitivity plot | estimate
//! [95 % CI] | specificity plot | estimate [95 % CI].
//!
//! With [`ForestData::show_counts`], RevMan 5's layout of a coupled forest plot: Study | TP FP FN
//! TN | Sensitivity (95% CI) | Specificity (95% CI) | the two panels, each headed like its column,
//! studies as squares of one size (RevMan does not scale them), no shading of alternate rows.
//! Unlike RevMan, which fits no model and so draws no pooled estimate, the subgroup and overall
//! summaries are drawn as diamonds below the studies.

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
    /// The 2×2 counts `[TP, FP, FN, TN]`, shown with [`ForestData::show_counts`].
    pub counts: Option<[u64; 4]>,
}

/// One subgroup of a grouped forest plot: a heading, its studies, its summary diamonds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForestGroup {
    /// Heading row, e.g. "CT (k = 17)".
    pub heading: String,
    /// The subgroup's studies, top to bottom.
    pub rows: Vec<ForestRow>,
    /// The subgroup's pooled sensitivity `(estimate, lower, upper)` (`None`: not pooled).
    pub summary_sens: Option<(f64, f64, f64)>,
    /// The subgroup's pooled specificity.
    pub summary_spec: Option<(f64, f64, f64)>,
}

/// Everything the forest plot shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForestData {
    /// Study rows, top to bottom (ignored when `groups` is not empty).
    pub rows: Vec<ForestRow>,
    /// Subgroups: when not empty, the rows are drawn under one heading per group, each group
    /// ending in its summary diamonds, and the overall summary comes last.
    pub groups: Vec<ForestGroup>,
    /// Pooled sensitivity `(estimate, lower, upper)`, drawn as a diamond.
    pub summary_sens: Option<(f64, f64, f64)>,
    /// Pooled specificity `(estimate, lower, upper)`.
    pub summary_spec: Option<(f64, f64, f64)>,
    /// Plot title.
    pub title: String,
    /// The level of the intervals, for the labels ("95%").
    pub level: super::style::CiLabel,
    /// Cochrane / RevMan layout: Study | TP FP FN TN | sensitivity (CI) | specificity (CI) |
    /// the two panels. Default `false` (Meta-DiSc layout: each panel followed by its CI column).
    pub show_counts: bool,
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
    height_for_slots(n_rows as u32 + 2)
}

fn height_for_slots(slots: u32) -> u32 {
    (HEADER_H + slots * ROW_H + FOOTER_H).max(300)
}

/// A good figure height for `data` (rows, subgroup headings and summaries); a width of about
/// 900 (1200 with [`ForestData::show_counts`]).
pub fn forest_data_height(data: &ForestData) -> u32 {
    height_for_slots(lines(data).len() as u32)
}

/// The recommended width for `data`: 900, or 1200 with the count columns.
pub fn forest_width(data: &ForestData) -> u32 {
    if data.show_counts {
        1200
    } else {
        900
    }
}

/// One line of the table.
enum Line<'a> {
    Heading(&'a str),
    Study(&'a ForestRow),
    Summary { label: &'a str, sens: Option<(f64, f64, f64)>, spec: Option<(f64, f64, f64)>, overall: bool },
    Gap,
}

fn lines(data: &ForestData) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let overall = data.summary_sens.is_some() || data.summary_spec.is_some();
    if data.groups.is_empty() {
        out.extend(data.rows.iter().map(Line::Study));
        if overall {
            out.push(Line::Gap);
            out.push(Line::Summary {
                label: "Summary",
                sens: data.summary_sens,
                spec: data.summary_spec,
                overall: true,
            });
        }
        return out;
    }
    for g in &data.groups {
        out.push(Line::Heading(&g.heading));
        out.extend(g.rows.iter().map(Line::Study));
        if g.summary_sens.is_some() || g.summary_spec.is_some() {
            out.push(Line::Summary {
                label: "Subgroup summary",
                sens: g.summary_sens,
                spec: g.summary_spec,
                overall: false,
            });
        }
        out.push(Line::Gap);
    }
    if overall {
        out.push(Line::Summary {
            label: "Overall",
            sens: data.summary_sens,
            spec: data.summary_spec,
            overall: true,
        });
    }
    out
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
    let lines = lines(data);
    let studies = || lines.iter().filter_map(|l| if let Line::Study(r) = l { Some(*r) } else { None });

    // Columns.
    let widest_label = studies()
        .map(|r| text_width(&r.label, style.text_size))
        .chain(std::iter::once(text_width(
            if data.groups.is_empty() { "Summary" } else { "Subgroup summary" },
            style.text_size,
        )))
        .max()
        .unwrap_or(0);
    let margin = 12;
    let label_w = (widest_label + 16).clamp(80, w / 4);
    // The CI column fits its values and, on one line, its (bold) header.
    let header_w = text_width(&format!("Specificity ({} CI)", data.level), style.label_size * 1.1);
    let ci_w = (text_width("0.00 [0.00, 0.00]", style.text_size) + 24).max(header_w + 12);
    let max_count = studies().filter_map(|r| r.counts).flatten().max().unwrap_or(0);
    let count_w =
        text_width(&max_count.to_string(), style.text_size).max(text_width("TN", style.label_size)) + 14;
    let counts_x0 = margin + label_w;
    let panels = if data.show_counts {
        let ci0 = counts_x0 + 4 * count_w + 10;
        let plots0 = ci0 + 2 * ci_w;
        let plot_w = ((w - margin - plots0) / 2).max(40);
        [0, 1].map(|i| {
            let left = plots0 + i * plot_w;
            Panel { x0: left + 10, x1: left + plot_w - 12, text_x: ci0 + i * ci_w }
        })
    } else {
        let panel_w = (w - margin * 2 - label_w) / 2;
        let plot_w = (panel_w - ci_w).max(panel_w / 2);
        [0, 1].map(|i| {
            let left = margin + label_w + i * panel_w;
            Panel { x0: left + 10, x1: left + plot_w - 12, text_x: left + plot_w + 6 }
        })
    };

    // Rows.
    let header_y = y_title_end + 10;
    // Headers wrap onto two lines when the CI column is narrow.
    let room = if data.show_counts {
        [ci_w - 4, ci_w - 4]
    } else {
        [panels[1].x0 - panels[0].text_x + 16, w - margin - panels[1].text_x]
    };
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
    let revman = data.show_counts;
    let n_slots = lines.len() as i32;
    let avail = h - rows_top - FOOTER_H as i32;
    let rh = if n_slots > 0 { (avail / n_slots.max(1)).clamp(4, 36) } else { 0 };
    let rows_bottom = rows_top + rh * n_slots.max(1);
    let axis_y = rows_bottom + 4;

    // Column headers.
    let hdr = style.bold(style.label_size, HPos::Left, VPos::Bottom);
    let header_base = rows_top - 6;
    area.draw(&Text::new("Study", (margin, header_base), hdr.clone()))?;
    if data.show_counts {
        let hdr_c = style.bold(style.label_size, HPos::Center, VPos::Bottom);
        for (k, name) in ["TP", "FP", "FN", "TN"].iter().enumerate() {
            let cx = counts_x0 + k as i32 * count_w + count_w / 2;
            area.draw(&Text::new(*name, (cx, header_base), hdr_c.clone()))?;
        }
    }
    if revman {
        // RevMan heads each panel like its text column.
        let hdr_c = style.bold(style.label_size, HPos::Center, VPos::Bottom);
        for (p, lines) in panels.iter().zip(&headers) {
            let n = lines.len() as i32;
            for (k, line) in lines.iter().enumerate() {
                area.draw(&Text::new(
                    line.clone(),
                    ((p.x0 + p.x1) / 2, header_base - (n - 1 - k as i32) * line_h),
                    hdr_c.clone(),
                ))?;
            }
        }
    }
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

    // Zebra bands for readability (every other study row).
    let mut zebra = 0;
    for (i, l) in lines.iter().enumerate() {
        if let Line::Study(_) = l {
            if zebra % 2 == 0 && !revman {
                let y = rows_top + i as i32 * rh;
                area.draw(&Rectangle::new(
                    [(margin, y), (w - margin, y + rh)],
                    RGBColor(0xF4, 0xF4, 0xF4).filled(),
                ))?;
            }
            zebra += 1;
        }
    }

    // Vertical dashed lines at the overall summary estimates.
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

    let max_weight =
        studies().filter_map(|r| r.weight).filter(|w| w.is_finite() && *w > 0.0).fold(0.0_f64, f64::max);
    let colour = style.series_colour(0);
    let txt = style.text(style.text_size, HPos::Left, VPos::Center);
    let txt_c = style.text(style.text_size, HPos::Center, VPos::Center);
    let bold = style.bold(style.text_size, HPos::Left, VPos::Center);
    let marker_max = ((rh as f64) * 0.4).clamp(2.0, 8.0);
    let ry = ((rh as f64) * 0.38).round().max(3.0) as i32;
    for (i, line) in lines.iter().enumerate() {
        let cy = rows_top + i as i32 * rh + rh / 2;
        match line {
            Line::Gap => {}
            Line::Heading(t) => {
                area.draw(&Text::new(t.to_string(), (margin + 4, cy), bold.clone()))?;
            }
            Line::Study(row) => {
                area.draw(&Text::new(row.label.clone(), (margin + 4, cy), txt.clone()))?;
                if let (true, Some(c)) = (data.show_counts, row.counts) {
                    for (k, v) in c.iter().enumerate() {
                        let cx = counts_x0 + k as i32 * count_w + count_w / 2;
                        area.draw(&Text::new(v.to_string(), (cx, cy), txt_c.clone()))?;
                    }
                }
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
                    if t.0.is_finite() && revman {
                        let a = ((rh as f64) * 0.22).round().clamp(2.0, 5.0) as i32;
                        let x = p.x(t.0);
                        area.draw(&Rectangle::new([(x - a, cy - a), (x + a, cy + a)], colour.filled()))?;
                    } else if t.0.is_finite() {
                        area.draw(&Circle::new((p.x(t.0), cy), radius, colour.filled()))?;
                    }
                }
            }
            Line::Summary { label, sens, spec, overall } => {
                if *overall {
                    let y = cy - rh / 2 - if data.groups.is_empty() { rh / 2 } else { 0 };
                    area.draw(&PathElement::new(
                        vec![(margin, y), (w - margin, y)],
                        style.grid.stroke_width(1),
                    ))?;
                }
                area.draw(&Text::new(label.to_string(), (margin + 4, cy), bold.clone()))?;
                let c = style.series_colour(1);
                for (p, s) in panels.iter().zip([*sens, *spec]) {
                    let Some(s) = s else { continue };
                    area.draw(&Text::new(fmt_ci(s, 2), (p.text_x, cy), bold.clone()))?;
                    let pts: Vec<Px> = if finite3(s) {
                        vec![(p.x(s.1), cy), (p.x(s.0), cy - ry), (p.x(s.2), cy), (p.x(s.0), cy + ry)]
                    } else if s.0.is_finite() {
                        diamond_px((p.x(s.0), cy), ry, ry)
                    } else {
                        continue;
                    };
                    if *overall {
                        area.draw(&Polygon::new(pts, c.filled()))?;
                    } else {
                        // A subgroup's diamond: outlined (white inside), the overall one filled.
                        let mut outline = pts.clone();
                        outline.push(pts[0]);
                        area.draw(&Polygon::new(pts, style.background.filled()))?;
                        area.draw(&PathElement::new(outline, c.stroke_width(2)))?;
                    }
                }
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
    Ok(())
}
