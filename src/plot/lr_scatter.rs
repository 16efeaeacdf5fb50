//! Likelihood-ratio scattergram (METHODS §8.2, midas `lrmatrix`): log–log scatter of the
//! studies (x = LR−, y = LR+), reference lines at LR+ = 10 and LR− = 0.1 dividing the plane
//! into four quadrants, and the summary point with its 95 % CI cross-hairs.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    chart_polyline, chart_px, check_size, diamond_px, draw_frame, draw_legend, draw_shape, finite_range,
    fmt_tick, legend_size, log10_ticks, text_height, text_width, wrap, Dash, LegendEntry, Marker,
    PointGroups, Shape,
};
use super::labels::{draw_placed, place_labels, select_labels, LabelMode};
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
    /// Subgroup of each point (colour and marker per subgroup); default none.
    pub groups: PointGroups,
    /// Which points are labelled; default the 5 farthest (on the log–log plane) from the
    /// summary point.
    pub labels: LabelMode,
}

/// Width of bold text (about 10 % wider than regular).
fn bold_width(s: &str, size: f64) -> i32 {
    text_width(s, size * 1.1)
}

fn lg(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 {
        v.log10()
    } else {
        f64::NAN
    }
}

/// Narrowest plot area (pixels) beside the legend and key; below it they go under the plot.
const MIN_PLOT_W: i32 = 300;

/// Draw the LR scattergram. Non-positive or non-finite ratios are skipped; the axes always
/// include the reference lines (LR− 0.01–1, LR+ 1–100 at least).
pub fn draw_lr_scatter<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &LrScatterData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (w, h) = check_size(area, 300, 250)?;
    let top = draw_frame(area, &data.title, style)?;
    // (log LR−, log LR+, label, index into data.points).
    let pts: Vec<(f64, f64, &str, usize)> = data
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| (lg(p.lr_negative), lg(p.lr_positive), p.label.as_str(), i))
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
    let grouped = data.groups.is_grouped();
    let c_sum = if grouped { style.foreground } else { c_sum };
    let mut entries = data.groups.legend(style);
    if !grouped {
        entries.push(LegendEntry::new(Marker::hollow_circle(colour), "Studies"));
    }
    if summ.is_some() {
        entries.push(LegendEntry::new(Marker::diamond(c_sum), format!("Summary ({} CI)", data.level)));
    }
    let (lw, lh_legend) = legend_size(&entries, style);
    // The quadrant key shares the legend's column; its lines wrap only on a narrow figure.
    let key_full = ["LUQ: Exclusion & Confirmation", "RLQ: No Exclusion or Confirmation"]
        .iter()
        .map(|t| text_width(t, style.small_size * 1.1))
        .max()
        .unwrap_or(0);
    let key_w = if (w as i32 - key_full - 30) * 10 >= 6 * w as i32 { lw.max(key_full) } else { lw.max(170) };
    // Legend and key to the right of the plot, or — when that would leave the plot narrower than
    // MIN_PLOT_W — below it: the legend, then the key in two columns.
    let legend_right = w as i32 - key_w - 30 >= MIN_PLOT_W;
    let small_lh = text_height(style.small_size) + 3;
    let (key_w, plot_w, plot_h) = if legend_right {
        (key_w, w as i32 - key_w - 30, h as i32)
    } else {
        let col_w = ((w as i32 - 30) / 2).max(100);
        let entry_h = |t: &str| (wrap(t, style.small_size * 1.1, col_w).len() as i32 + 1) * small_lh + 6;
        let column_h = (entry_h("LUQ: Exclusion & Confirmation") + entry_h("RUQ: Confirmation Only"))
            .max(entry_h("LLQ: Exclusion Only") + entry_h("RLQ: No Exclusion or Confirmation"));
        (col_w, w as i32, h as i32 - lh_legend - column_h - 20)
    };
    let (plot_area, _) = area.split_horizontally(plot_w);
    let (plot_area, _) = plot_area.split_vertically(plot_h);
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
        chart_polyline(&mut chart, &[(k, yr.0), (k, yr.1)], grid, Dash::Solid)?;
        let (x, _) = chart_px(&chart, area, (k, yr.0));
        area.draw(&PathElement::new(
            vec![(x, origin.1), (x, origin.1 + 5)],
            style.foreground.stroke_width(1),
        ))?;
        area.draw(&Text::new(fmt_tick(10f64.powf(k)), (x, origin.1 + 7), tick_x.clone()))?;
    }
    for k in log10_ticks(yr.0, yr.1) {
        chart_polyline(&mut chart, &[(xr.0, k), (xr.1, k)], grid, Dash::Solid)?;
        let (_, y) = chart_px(&chart, area, (xr.0, k));
        area.draw(&PathElement::new(
            vec![(origin.0 - 5, y), (origin.0, y)],
            style.foreground.stroke_width(1),
        ))?;
        area.draw(&Text::new(fmt_tick(10f64.powf(k)), (origin.0 - 7, y), tick_y.clone()))?;
    }

    // Reference lines LR− = 0.1 and LR+ = 10.
    let refl = style.foreground.stroke_width(2);
    chart_polyline(&mut chart, &[(-1.0, yr.0), (-1.0, yr.1)], refl, Dash::Solid)?;
    chart_polyline(&mut chart, &[(xr.0, 1.0), (xr.1, 1.0)], refl, Dash::Solid)?;
    let mut segments = vec![
        (chart_px(&chart, area, (-1.0, yr.0)), chart_px(&chart, area, (-1.0, yr.1))),
        (chart_px(&chart, area, (xr.0, 1.0)), chart_px(&chart, area, (xr.1, 1.0))),
    ];

    // Quadrant codes in the four corners; their meaning in a key under the legend.
    let corner = |x: f64, y: f64| chart_px(&chart, area, (x, y));
    let small = style.small_size;
    let lh = small_lh;
    let quads = [
        (corner(xr.0, yr.1), HPos::Left, 1, "LUQ", "Exclusion & Confirmation", "LR+ > 10, LR− < 0.1"),
        (corner(xr.1, yr.1), HPos::Right, 1, "RUQ", "Confirmation Only", "LR+ > 10, LR− > 0.1"),
        (corner(xr.0, yr.0), HPos::Left, -1, "LLQ", "Exclusion Only", "LR+ < 10, LR− < 0.1"),
        (corner(xr.1, yr.0), HPos::Right, -1, "RLQ", "No Exclusion or Confirmation", "LR+ < 10, LR− > 0.1"),
    ];
    let mut quad_boxes = Vec::new();
    let (mut kx, mut ky) =
        if legend_right { (plot_w + 14, top + 20 + lh_legend + 16) } else { (14, plot_h + lh_legend + 14) };
    for (q, ((cx, cy), hpos, down, code, name, cond)) in quads.into_iter().enumerate() {
        if !legend_right && q == 2 {
            (kx, ky) = (kx + key_w + 10, plot_h + lh_legend + 14);
        }
        let x = if matches!(hpos, HPos::Left) { cx + 6 } else { cx - 6 };
        let y = if down > 0 { cy + 5 } else { cy - 5 - lh };
        let tw = bold_width(code, small);
        let (bx0, bx1) = if matches!(hpos, HPos::Left) { (x - 2, x + tw + 2) } else { (x - tw - 2, x + 2) };
        quad_boxes.push((bx0, y - 2, bx1, y + lh));
        area.draw(&Text::new(code, (x, y), style.bold(small, hpos, VPos::Top)))?;
        // Key: "LUQ: Exclusion & Confirmation" (wrapped to the legend column), then the rule.
        for line in wrap(&format!("{code}: {name}"), small * 1.1, key_w) {
            area.draw(&Text::new(line, (kx, ky), style.bold(small, HPos::Left, VPos::Top)))?;
            ky += lh;
        }
        area.draw(&Text::new(cond, (kx, ky), style.text(small, HPos::Left, VPos::Top)))?;
        ky += lh + 6;
    }

    for p in &pts {
        let (shape, c) = data.groups.marker(p.3, (Shape::Circle, colour), style);
        draw_shape(area, shape, chart_px(&chart, area, (p.0, p.1)), 5, c, false)?;
    }
    if let Some((nx, py)) = summ {
        let st = c_sum.stroke_width(style.line_width);
        if nx.0.is_finite() {
            chart_polyline(&mut chart, &[(nx.0, py.1), (nx.0, py.2)], st, Dash::Solid)?;
            segments.push((chart_px(&chart, area, (nx.0, py.1)), chart_px(&chart, area, (nx.0, py.2))));
        }
        if py.0.is_finite() {
            chart_polyline(&mut chart, &[(nx.1, py.0), (nx.2, py.0)], st, Dash::Solid)?;
            segments.push((chart_px(&chart, area, (nx.1, py.0)), chart_px(&chart, area, (nx.2, py.0))));
        }
        if nx.0.is_finite() && py.0.is_finite() {
            chart.draw_series(std::iter::once(
                EmptyElement::at((nx.0, py.0)) + Polygon::new(diamond_px((0, 0), 8, 8), c_sum.filled()),
            ))?;
        }
    }

    // Labels: the points farthest (log–log) from the summary point, or from the points' centre
    // without a summary (a layout rule choosing which labels to write).
    let centre =
        summ.map(|s| (s.0 .0, s.1 .0)).filter(|c| c.0.is_finite() && c.1.is_finite()).unwrap_or_else(|| {
            let n = pts.len().max(1) as f64;
            (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n)
        });
    let score: Vec<f64> = pts.iter().map(|p| (p.0 - centre.0).hypot(p.1 - centre.1)).collect();
    let mut obstacles: Vec<((i32, i32), i32)> =
        pts.iter().map(|p| (chart_px(&chart, area, (p.0, p.1)), 6)).collect();
    if let Some((nx, py)) = summ.filter(|s| s.0 .0.is_finite() && s.1 .0.is_finite()) {
        obstacles.push((chart_px(&chart, area, (nx.0, py.0)), 9));
    }
    let texts: Vec<&str> = pts.iter().map(|p| p.2).collect();
    let order: Vec<(usize, &str)> =
        select_labels(data.labels, &score).into_iter().map(|k| (k, texts[k])).collect();
    let tl = chart_px(&chart, area, (xr.0, yr.1));
    let br = chart_px(&chart, area, (xr.1, yr.0));
    let placed = place_labels(
        &obstacles,
        &order,
        style.small_size,
        (tl.0 + 1, tl.1 + 1, br.0 - 1, br.1 - 1),
        &quad_boxes,
        &segments,
        !matches!(data.labels, LabelMode::All),
    );
    draw_placed(area, &placed, &texts, style.small_size, style)?;
    let at = if legend_right { (plot_w + 10, top + 20) } else { (10, plot_h + 4) };
    draw_legend(area, at, &entries, style)?;
    Ok(())
}
