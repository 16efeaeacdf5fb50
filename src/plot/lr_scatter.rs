//! Likelihood-ratio scattergram (METHODS §8.2, midas `lrmatrix`): log–log scatter of the
//! studies (x = LR−, y = LR+), reference lines at LR+ = 10 and LR− = 0.1 dividing the plane
//! into four quadrants, and the summary point with its 95 % CI cross-hairs.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    chart_polyline, chart_px, check_size, diamond_px, draw_frame, draw_legend, draw_point_labels,
    finite_range, fmt_tick, legend_size, log10_ticks, text_height, text_width, LegendEntry, Marker,
};
use super::style::{PlotError, PlotStyle};

/// One study.
#[derive(Debug, Clone, PartialEq)]
pub struct LrPoint {
    /// Study label (written next to the point when there are few points).
    pub label: String,
    /// Positive likelihood ratio.
    pub lr_positive: f64,
    /// Negative likelihood ratio.
    pub lr_negative: f64,
}

/// Summary likelihood ratios `(estimate, lower, upper)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrSummary {
    /// LR+ with its 95 % CI.
    pub lr_positive: (f64, f64, f64),
    /// LR− with its 95 % CI.
    pub lr_negative: (f64, f64, f64),
}

/// Everything the scattergram shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LrScatterData {
    /// Study points.
    pub points: Vec<LrPoint>,
    /// Summary point with CI.
    pub summary: Option<LrSummary>,
    /// Plot title.
    pub title: String,
    /// The level of the intervals, for the labels ("95%").
    pub level: super::style::CiLabel,
}

fn lg(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 {
        v.log10()
    } else {
        f64::NAN
    }
}

/// Draw the LR scattergram. Non-positive or non-finite ratios are skipped; the axes always
/// include the reference lines (LR− 0.01–1, LR+ 1–100 at least).
pub fn draw_lr_scatter<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &LrScatterData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (w, _) = check_size(area, 300, 250)?;
    let top = draw_frame(area, &data.title, style)?;
    let pts: Vec<(f64, f64, &str)> = data
        .points
        .iter()
        .map(|p| (lg(p.lr_negative), lg(p.lr_positive), p.label.as_str()))
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    let summ = data.summary.map(|s| {
        (
            (lg(s.lr_negative.0), lg(s.lr_negative.1), lg(s.lr_negative.2)),
            (lg(s.lr_positive.0), lg(s.lr_positive.1), lg(s.lr_positive.2)),
        )
    });
    let sx = summ.iter().flat_map(|s| [s.0 .0, s.0 .1, s.0 .2]);
    let sy = summ.iter().flat_map(|s| [s.1 .0, s.1 .1, s.1 .2]);
    let xr = finite_range(pts.iter().map(|p| p.0).chain(sx)).unwrap_or((-1.0, -1.0));
    let yr = finite_range(pts.iter().map(|p| p.1).chain(sy)).unwrap_or((1.0, 1.0));
    // Whole decades, always containing the reference lines with a decade either side.
    let xr = (xr.0.floor().clamp(-12.0, -2.0), xr.1.ceil().clamp(0.0, 12.0));
    let yr = (yr.0.floor().clamp(-12.0, 0.0), yr.1.ceil().clamp(2.0, 12.0));

    let colour = style.series_colour(0);
    let c_sum = style.series_colour(1);
    let mut entries = vec![LegendEntry::new(Marker::HollowCircle(colour), "Studies")];
    if summ.is_some() {
        entries.push(LegendEntry::new(Marker::Diamond(c_sum), format!("Summary ({} CI)", data.level)));
    }
    let (lw, _) = legend_size(&entries, style);
    let plot_w = (w as i32 - lw - 30).max(200);
    let (plot_area, _) = area.split_horizontally(plot_w);
    let plot_area = plot_area.margin(top as u32, 10, 10, 10);

    let x_lab = text_height(style.tick_size) + text_height(style.label_size) + 26;
    let y_lab = text_height(style.label_size) + text_width("1000", style.tick_size) + 22;
    let mut chart = ChartBuilder::on(&plot_area)
        .x_label_area_size(x_lab)
        .y_label_area_size(y_lab)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)?;
    chart
        .configure_mesh()
        .x_labels(0)
        .y_labels(0)
        .max_light_lines(0)
        .axis_style(style.foreground)
        .axis_desc_style(style.font(style.label_size).color(&style.foreground))
        .x_desc("Negative likelihood ratio (LR−)")
        .y_desc("Positive likelihood ratio (LR+)")
        .draw()?;

    // Log grid and tick labels by hand at the powers of ten.
    let grid = style.grid.stroke_width(1);
    let tick_x = style.text(style.tick_size, HPos::Center, VPos::Top);
    let tick_y = style.text(style.tick_size, HPos::Right, VPos::Center);
    let origin = chart_px(&chart, area, (xr.0, yr.0));
    for k in log10_ticks(xr.0, xr.1) {
        chart_polyline(&mut chart, &[(k, yr.0), (k, yr.1)], grid, false)?;
        let (x, _) = chart_px(&chart, area, (k, yr.0));
        area.draw(&PathElement::new(
            vec![(x, origin.1), (x, origin.1 + 5)],
            style.foreground.stroke_width(1),
        ))?;
        area.draw(&Text::new(fmt_tick(10f64.powf(k)), (x, origin.1 + 7), tick_x.clone()))?;
    }
    for k in log10_ticks(yr.0, yr.1) {
        chart_polyline(&mut chart, &[(xr.0, k), (xr.1, k)], grid, false)?;
        let (_, y) = chart_px(&chart, area, (xr.0, k));
        area.draw(&PathElement::new(
            vec![(origin.0 - 5, y), (origin.0, y)],
            style.foreground.stroke_width(1),
        ))?;
        area.draw(&Text::new(fmt_tick(10f64.powf(k)), (origin.0 - 7, y), tick_y.clone()))?;
    }

    // Reference lines LR− = 0.1 and LR+ = 10.
    let refl = style.foreground.stroke_width(2);
    chart_polyline(&mut chart, &[(-1.0, yr.0), (-1.0, yr.1)], refl, false)?;
    chart_polyline(&mut chart, &[(xr.0, 1.0), (xr.1, 1.0)], refl, false)?;

    // Quadrant labels in the four corners.
    let corner = |x: f64, y: f64| chart_px(&chart, area, (x, y));
    let small = style.small_size;
    let lh = text_height(small) + 3;
    let quads = [
        (corner(xr.0, yr.1), HPos::Left, 1, "LUQ: Exclusion & Confirmation", "LR+ > 10, LR− < 0.1"),
        (corner(xr.1, yr.1), HPos::Right, 1, "RUQ: Confirmation Only", "LR+ > 10, LR− > 0.1"),
        (corner(xr.0, yr.0), HPos::Left, -1, "LLQ: Exclusion Only", "LR+ < 10, LR− < 0.1"),
        (corner(xr.1, yr.0), HPos::Right, -1, "RLQ: No Exclusion or Confirmation", "LR+ < 10, LR− > 0.1"),
    ];
    for ((cx, cy), hpos, down, l1, l2) in quads {
        let x = if matches!(hpos, HPos::Left) { cx + 8 } else { cx - 8 };
        let (y1, y2) = if down > 0 { (cy + 6, cy + 6 + lh) } else { (cy - 6 - 2 * lh, cy - 6 - lh) };
        let bold = style.bold(small, hpos, VPos::Top);
        let plain = style.text(small, hpos, VPos::Top);
        area.draw(&Text::new(l1, (x, y1), bold))?;
        area.draw(&Text::new(l2, (x, y2), plain))?;
    }

    chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 5, colour.stroke_width(2))))?;
    if let Some((nx, py)) = summ {
        let st = c_sum.stroke_width(style.line_width);
        if nx.0.is_finite() {
            chart_polyline(&mut chart, &[(nx.0, py.1), (nx.0, py.2)], st, false)?;
        }
        if py.0.is_finite() {
            chart_polyline(&mut chart, &[(nx.1, py.0), (nx.2, py.0)], st, false)?;
        }
        if nx.0.is_finite() && py.0.is_finite() {
            chart.draw_series(std::iter::once(
                EmptyElement::at((nx.0, py.0)) + Polygon::new(diamond_px((0, 0), 8, 8), c_sum.filled()),
            ))?;
        }
    }

    if style.label_points && pts.len() <= style.max_point_labels {
        let mut labelled: Vec<_> = pts.iter().map(|p| (chart_px(&chart, area, (p.0, p.1)), p.2)).collect();
        // The summary diamond is an obstacle, not a label.
        if let Some((nx, py)) = summ.filter(|s| s.0 .0.is_finite() && s.1 .0.is_finite()) {
            labelled.push((chart_px(&chart, area, (nx.0, py.0)), ""));
        }
        draw_point_labels(area, &labelled, style)?;
    }
    draw_legend(area, (plot_w + 10, top + 20), &entries, style)?;
    Ok(())
}
