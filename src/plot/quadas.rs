//! QUADAS-2 displays (Whiting et al. 2011): the per-study "traffic-light" table (studies ×
//! domains, one coloured circle with a printed symbol per judgement) and the summary stacked
//! bar plot (percentage of studies per judgement in each domain), as in robvis.
//!
//! With exactly seven domains the first four are taken as risk-of-bias domains and the last
//! three as applicability concerns, and are grouped under those headings.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    check_size, draw_frame, draw_legend_row, legend_size, text_height, text_width, wrap, LegendEntry, Marker,
};
use super::style::{PlotError, PlotStyle};

/// One QUADAS-2 / QUADAS-3 judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Judgement {
    /// Low risk of bias / low concern.
    Low,
    /// High risk of bias / high concern.
    High,
    /// Unclear.
    Unclear,
}

impl Judgement {
    /// The symbol printed in the traffic light (so that colour is never the only cue).
    pub fn symbol(self) -> &'static str {
        match self {
            Judgement::Low => "+",
            Judgement::High => "−",
            Judgement::Unclear => "?",
        }
    }

    fn colour(self, style: &PlotStyle) -> RGBColor {
        match self {
            Judgement::Low => style.low_risk,
            Judgement::High => style.high_risk,
            Judgement::Unclear => style.unclear_risk,
        }
    }

    fn text_colour(self, style: &PlotStyle) -> RGBColor {
        match self {
            Judgement::Unclear => style.foreground,
            _ => RGBColor(0xFF, 0xFF, 0xFF),
        }
    }
}

/// QUADAS-2 judgements: `judgements[study][domain]`; a short row leaves its last cells blank.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuadasData {
    /// Study labels (rows).
    pub studies: Vec<String>,
    /// Domain names (columns), usually the four risk-of-bias domains followed by the three
    /// applicability domains.
    pub domains: Vec<String>,
    /// One row per study.
    pub judgements: Vec<Vec<Judgement>>,
    /// The tool's name for titles ("QUADAS-2", "QUADAS-3"); empty: "QUADAS-2".
    pub tool: String,
    /// The legend's word for [`Judgement::Unclear`] ("Unclear"; QUADAS-3: "Insufficient
    /// information"); empty: "Unclear".
    pub unclear: String,
}

impl QuadasData {
    fn tool(&self) -> &str {
        if self.tool.is_empty() {
            "QUADAS-2"
        } else {
            &self.tool
        }
    }
}

const ORDER: [Judgement; 3] = [Judgement::Low, Judgement::Unclear, Judgement::High];

fn legend(data: &QuadasData, style: &PlotStyle) -> Vec<LegendEntry> {
    let unclear = if data.unclear.is_empty() { "Unclear" } else { &data.unclear };
    vec![
        LegendEntry::new(Marker::filled_circle(style.low_risk), "Low (+)"),
        LegendEntry::new(Marker::filled_circle(style.unclear_risk), format!("{unclear} (?)")),
        LegendEntry::new(Marker::filled_circle(style.high_risk), "High (−)"),
    ]
}

/// `(name, first column, number of columns)` of the domain groups.
fn groups(n_domains: usize) -> Vec<(&'static str, usize, usize)> {
    if n_domains == 7 {
        vec![("Risk of bias", 0, 4), ("Applicability concerns", 4, 3)]
    } else {
        Vec::new()
    }
}

/// A good figure height in pixels for the traffic-light plot of `n_studies` studies.
pub fn quadas_height(n_studies: usize) -> u32 {
    (200 + 30 * n_studies as u32).max(300)
}

/// Draw the traffic-light table: one row per study, one column per domain.
pub fn draw_quadas_traffic_light<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &QuadasData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (w, h) = check_size(area, 300, 200)?;
    let (w, h) = (w as i32, h as i32);
    let mut y =
        draw_frame(area, &format!("{}: risk of bias and applicability concerns", data.tool()), style)?;
    let nd = data.domains.len().max(1) as i32;
    let margin = 12;
    let widest = data.studies.iter().map(|s| text_width(s, style.text_size)).max().unwrap_or(0);
    let label_w = (widest + 20).clamp(80, w * 3 / 10);
    let col_w = (w - 2 * margin - label_w) / nd;
    let col_x = |j: usize| margin + label_w + j as i32 * col_w + col_w / 2;

    // Group headings.
    let gs = groups(data.domains.len());
    if !gs.is_empty() {
        let bold = style.bold(style.text_size, HPos::Center, VPos::Top);
        for (name, first, n) in &gs {
            let x0 = margin + label_w + *first as i32 * col_w + 6;
            let x1 = x0 + *n as i32 * col_w - 12;
            area.draw(&Text::new(*name, ((x0 + x1) / 2, y), bold.clone()))?;
            let ly = y + text_height(style.text_size) + 4;
            area.draw(&PathElement::new(vec![(x0, ly), (x1, ly)], style.foreground.stroke_width(1)))?;
        }
        y += text_height(style.text_size) + 12;
    }

    // Domain headers (up to two lines each).
    let th = text_height(style.text_size) + 2;
    let hs = style.text(style.text_size, HPos::Center, VPos::Top);
    for (j, d) in data.domains.iter().enumerate() {
        for (k, line) in wrap(d, style.text_size, col_w - 6).iter().enumerate() {
            area.draw(&Text::new(line.clone(), (col_x(j), y + k as i32 * th), hs.clone()))?;
        }
    }
    y += 2 * th + 8;
    area.draw(&PathElement::new(vec![(margin, y - 4), (w - margin, y - 4)], style.grid.stroke_width(1)))?;

    // Rows.
    let (_, leg_h) = legend_size(&legend(data, style)[..1], style);
    let n = data.studies.len().max(1) as i32;
    let rh = ((h - y - leg_h - 20) / n).clamp(6, 34);
    let r = ((rh.min(col_w) as f64) * 0.4).round().clamp(2.0, 13.0) as i32;
    let label = style.text(style.text_size, HPos::Left, VPos::Center);
    for (i, s) in data.studies.iter().enumerate() {
        let cy = y + i as i32 * rh + rh / 2;
        area.draw(&Text::new(s.clone(), (margin, cy), label.clone()))?;
        let Some(row) = data.judgements.get(i) else {
            continue;
        };
        for (j, jd) in row.iter().take(data.domains.len()).enumerate() {
            let c = (col_x(j), cy);
            area.draw(&Circle::new(c, r, jd.colour(style).filled()))?;
            if r >= 6 {
                let ts = FontDesc::new(
                    FontFamily::Name(&style.font_family),
                    style.backend_size((r as f64 * 1.9).min(style.label_size * 1.2)),
                    FontStyle::Bold,
                )
                .color(&jd.text_colour(style))
                .pos(plotters::style::text_anchor::Pos::new(HPos::Center, VPos::Center));
                area.draw(&Text::new(jd.symbol(), c, ts))?;
            }
        }
    }
    let bottom = y + n * rh;
    draw_legend_row(area, (w / 2, bottom + 10 + leg_h / 2), &legend(data, style), style)?;
    Ok(())
}

/// Draw the summary bar plot: for each domain the percentage of studies judged low, unclear
/// and high, as one stacked horizontal bar.
pub fn draw_quadas_summary<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &QuadasData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (w, h) = check_size(area, 300, 200)?;
    let (w, h) = (w as i32, h as i32);
    let top = draw_frame(area, &format!("{} summary", data.tool()), style)?;
    let gs = groups(data.domains.len());

    // Row list: group headings (None) and domains (Some(index)).
    let mut rows: Vec<(Option<usize>, String)> = Vec::new();
    if gs.is_empty() {
        rows.extend(data.domains.iter().enumerate().map(|(j, d)| (Some(j), d.clone())));
    } else {
        for (name, first, n) in &gs {
            rows.push((None, name.to_string()));
            for j in *first..first + n {
                rows.push((Some(j), data.domains[j].clone()));
            }
        }
    }

    let margin = 12;
    let widest = rows.iter().map(|r| text_width(&r.1, style.text_size)).max().unwrap_or(0);
    let label_w = (widest + 24).clamp(80, w * 35 / 100);
    let x0 = margin + label_w;
    let x1 = w - margin - 20;
    let (_, leg_h) = legend_size(&legend(data, style)[..1], style);
    let axis_h = text_height(style.tick_size) + text_height(style.label_size) + 24;
    let n = rows.len().max(1) as i32;
    let rh = ((h - top - axis_h - leg_h - 20) / n).clamp(8, 44);
    let bar_h = (rh * 7 / 10).max(4);
    let xpx = |pct: f64| x0 + ((x1 - x0) as f64 * pct / 100.0).round() as i32;

    let plain = style.text(style.text_size, HPos::Right, VPos::Center);
    let bold = style.bold(style.text_size, HPos::Left, VPos::Center);
    for (i, (dom, name)) in rows.iter().enumerate() {
        let cy = top + i as i32 * rh + rh / 2;
        let Some(j) = dom else {
            area.draw(&Text::new(name.clone(), (margin, cy), bold.clone()))?;
            continue;
        };
        area.draw(&Text::new(name.clone(), (x0 - 8, cy), plain.clone()))?;
        let cells: Vec<Judgement> = data.judgements.iter().filter_map(|r| r.get(*j).copied()).collect();
        if cells.is_empty() {
            continue;
        }
        let mut acc = 0.0;
        for jd in ORDER {
            let pct = 100.0 * cells.iter().filter(|c| **c == jd).count() as f64 / cells.len() as f64;
            if pct <= 0.0 {
                continue;
            }
            let (a, b) = (xpx(acc), xpx(acc + pct));
            area.draw(&Rectangle::new(
                [(a, cy - bar_h / 2), (b, cy + bar_h / 2)],
                jd.colour(style).filled(),
            ))?;
            // The judgement's symbol with the share: green and vermillion are alike in greyscale.
            let label = format!("{} {:.0}%", jd.symbol(), pct);
            if b - a > text_width(&label, style.tick_size) + 6 {
                let ts = style
                    .font(style.tick_size)
                    .color(&jd.text_colour(style))
                    .pos(plotters::style::text_anchor::Pos::new(HPos::Center, VPos::Center));
                area.draw(&Text::new(label, ((a + b) / 2, cy), ts))?;
            }
            acc += pct;
        }
    }

    // Axis.
    let ay = top + n * rh + 4;
    area.draw(&PathElement::new(vec![(x0, ay), (x1, ay)], style.foreground.stroke_width(1)))?;
    let tick = style.text(style.tick_size, HPos::Center, VPos::Top);
    for k in 0..=4 {
        let x = xpx(25.0 * k as f64);
        area.draw(&PathElement::new(vec![(x, ay), (x, ay + 5)], style.foreground.stroke_width(1)))?;
        area.draw(&Text::new(format!("{}%", 25 * k), (x, ay + 7), tick.clone()))?;
    }
    area.draw(&Text::new(
        "Percentage of studies",
        ((x0 + x1) / 2, ay + 12 + text_height(style.tick_size)),
        style.text(style.label_size, HPos::Center, VPos::Top),
    ))?;
    draw_legend_row(area, ((x0 + x1) / 2, ay + axis_h + leg_h / 2), &legend(data, style), style)?;
    Ok(())
}
