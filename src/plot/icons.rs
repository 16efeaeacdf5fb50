//! Natural-frequency icon array (GRADE DTA, METHODS §17): 100 or 1,000 people at one prevalence,
//! each drawn as an icon whose colour says whether the person has the condition and whose fill
//! says what the test said (filled = test positive, hollow = test negative), grouped TP, FN, FP, TN.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    check_size, draw_frame, draw_legend, draw_shape, text_height, LegendEntry, Marker, Shape,
};
use super::style::{PlotError, PlotStyle};

/// What the icon array shows: whole-person counts (they add up to `people`) and their legend text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IconData {
    pub title: String,
    /// 100 or 1000 (any positive number is drawn).
    pub people: u32,
    /// TP, FN, FP, TN, in whole people.
    pub counts: [u32; 4],
    /// Legend text of the four groups, in the same order.
    pub labels: [String; 4],
    /// Lines under the array (e.g. how to read it, the predictive values).
    pub note: Vec<String>,
}

/// Width × height of the figure for `people` (100: 10 × 10; otherwise 40 columns).
pub fn icon_size(people: u32) -> (u32, u32) {
    if people <= 100 {
        (860, 480)
    } else {
        (1000, 600)
    }
}

/// Draw the icon array. Counts beyond `people` are cut off; an empty array draws the frame only.
pub fn draw_icons<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &IconData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (w, h) = check_size(area, 320, 240)?;
    let top = draw_frame(area, &data.title, style)?;
    let people = data.people.clamp(1, 10_000) as i32;
    let cols = if people <= 100 { 10 } else { 40 };
    let rows = (people + cols - 1) / cols;
    let legend_w = super::common::legend_size(
        &data
            .labels
            .iter()
            .map(|l| LegendEntry::new(Marker::filled_circle(style.positive), format!("000 {l}")))
            .collect::<Vec<_>>(),
        style,
    )
    .0;
    let grid_w = (w as i32 - legend_w - 40).max(100);
    let line_h = text_height(style.text_size) + 6;
    let note_h = line_h * data.note.len() as i32 + 12;
    let grid_h = (h as i32 - top - note_h - 10).max(60);
    let cell = (grid_w / cols).min(grid_h / rows).max(3);
    let r = (cell as f64 * 0.38).round() as i32;
    let x0 = 20;
    let y0 = top;
    let colours = [style.positive, style.positive, style.negative, style.negative];
    let filled = [true, false, true, false];
    let shapes = [Shape::Circle, Shape::Circle, Shape::Square, Shape::Square];
    let mut i = 0i32;
    for g in 0..4 {
        for _ in 0..data.counts[g] {
            if i >= people {
                break;
            }
            let c = (x0 + (i % cols) * cell + cell / 2, y0 + (i / cols) * cell + cell / 2);
            draw_shape(area, shapes[g], c, r, colours[g], filled[g])?;
            i += 1;
        }
    }
    let entries: Vec<LegendEntry> = (0..4)
        .map(|g| {
            LegendEntry::new(
                Marker::Point { shape: shapes[g], colour: colours[g], filled: filled[g] },
                format!("{} {}", data.counts[g], data.labels[g]),
            )
        })
        .collect();
    draw_legend(area, (x0 + cols * cell + 20, y0), &entries, style)?;
    for (j, line) in data.note.iter().enumerate() {
        area.draw(&Text::new(
            line.clone(),
            (x0, y0 + rows * cell + 12 + j as i32 * line_h),
            style.text(style.text_size, HPos::Left, VPos::Top),
        ))?;
    }
    Ok(())
}
