//! Decision curve: net benefit of test-guided treatment over threshold probabilities, with the
//! "treat all" and "treat none" strategies (Vickers & Elkin 2006).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::common::{
    chart_polyline, check_size, draw_frame, draw_legend, legend_size, pad_range, Dash, LegendEntry, Marker,
};
use super::style::{PlotError, PlotStyle};

/// Everything the decision curve shows (net benefit per person).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DecisionData {
    pub title: String,
    /// `(threshold, net benefit, lower, upper)` of the test.
    pub test: Vec<(f64, f64, f64, f64)>,
    /// `(threshold, net benefit)` of treating everyone.
    pub treat_all: Vec<(f64, f64)>,
    /// Legend text of the test's band (e.g. "95% CI").
    pub band_label: String,
    pub x_label: String,
    pub y_label: String,
}

/// Draw the decision curve. Non-finite points are skipped; the y axis spans the test's curve
/// and band, zero, and treat-all down to a little below zero.
pub fn draw_decision<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &DecisionData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (w, _) = check_size(area, 320, 240)?;
    let top = draw_frame(area, &data.title, style)?;
    let pts: Vec<_> = data.test.iter().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
    let ymax = super::common::finite_range(
        pts.iter().flat_map(|p| [p.1, p.3]).chain(data.treat_all.iter().map(|p| p.1)).chain([0.0]),
    )
    .map_or(0.1, |r| r.1)
    .max(1e-3);
    let yr = (-0.25 * ymax, ymax * 1.08);
    // Thresholds up to where the test's upper limit leaves the plot (beyond, every strategy is
    // below "treat none" and the curve says nothing more).
    let x_hi = pts.iter().filter(|p| p.3.is_finite() && p.3 >= yr.0).map(|p| p.0).fold(f64::NAN, f64::max);
    let xr = pad_range(
        super::common::finite_range(
            pts.iter().map(|p| p.0).filter(|x| !(x_hi.is_finite() && *x > x_hi + 0.05)),
        ),
        0.0,
        (0.0, 1.0),
    );
    let xr = (0.0f64.min(xr.0), xr.1);
    let colour = style.series_colour(0);
    let entries = vec![
        LegendEntry::new(Marker::line(colour, style.line_width + 1, Dash::Solid), "Test-guided"),
        LegendEntry::new(Marker::line(colour, 1, Dash::Dashed), data.band_label.clone()),
        // Dotted, not dashed like the band: the two must differ in greyscale too.
        LegendEntry::new(Marker::line(style.series_colour(1), style.line_width, Dash::Dotted), "Treat all"),
        LegendEntry::new(Marker::line(style.foreground, 1, Dash::Solid), "Treat none"),
    ];
    let (lw, _) = legend_size(&entries, style);
    let plot_w = (w as i32 - lw - 40).max(200);
    let (plot_area, _) = area.split_horizontally(plot_w);
    let plot_area = plot_area.margin(top as u32, 10, 10, 10);
    let mut chart = ChartBuilder::on(&plot_area)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)?;
    chart
        .configure_mesh()
        .x_labels(10)
        .y_labels(8)
        .x_label_formatter(&|v| format!("{:.0}%", 100.0 * v))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .max_light_lines(0)
        .bold_line_style(style.grid)
        .axis_style(style.foreground)
        .label_style(style.font(style.tick_size).color(&style.foreground))
        .axis_desc_style(style.font(style.label_size).color(&style.foreground))
        .x_desc(data.x_label.as_str())
        .y_desc(data.y_label.as_str())
        .draw()?;
    // Lines are cut where they leave the plot (never drawn along its edge).
    let runs = |v: Vec<(f64, f64)>| -> Vec<Vec<(f64, f64)>> {
        let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for p in v {
            if p.1.is_finite() && p.1 >= yr.0 && p.1 <= yr.1 && p.0 <= xr.1 {
                if let Some(last) = out.last_mut() {
                    last.push(p);
                }
            } else if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(Vec::new());
            }
        }
        out.retain(|r| r.len() > 1);
        out
    };
    chart_polyline(&mut chart, &[(xr.0, 0.0), (xr.1, 0.0)], style.foreground.stroke_width(1), Dash::Solid)?;
    for r in runs(data.treat_all.clone()) {
        chart_polyline(&mut chart, &r, style.series_colour(1).stroke_width(style.line_width), Dash::Dotted)?;
    }
    for k in [2usize, 3] {
        for r in runs(pts.iter().map(|p| (p.0, if k == 2 { p.2 } else { p.3 })).collect()) {
            chart_polyline(&mut chart, &r, colour.stroke_width(1), Dash::Dashed)?;
        }
    }
    for r in runs(pts.iter().map(|p| (p.0, p.1)).collect()) {
        chart_polyline(&mut chart, &r, colour.stroke_width(style.line_width + 1), Dash::Solid)?;
    }
    draw_legend(area, (plot_w + 10, top + 20), &entries, style)?;
    Ok(())
}
