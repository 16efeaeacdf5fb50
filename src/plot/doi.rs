//! Doi plot (METHODS §7.2, as metasens `doiplot`): the points `(TE_i, |z_i|)` joined in order of
//! TE, with the |z| axis reversed (0 at the top), annotated with the LFK index.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    chart_polyline, chart_px, check_size, draw_frame, draw_legend, draw_shape, finite_range, fmt_dec,
    legend_size, pad_range, text_height, Dash, PointGroups, Shape,
};
use super::style::{PlotError, PlotStyle};

/// Everything the Doi plot shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DoiData {
    /// Effect per study (e.g. ln DOR), any order.
    pub te: Vec<f64>,
    /// z-score per study (same order as `te`); the plot uses |z|.
    pub z: Vec<f64>,
    /// LFK index.
    pub lfk: f64,
    /// Interpretation printed after the index, e.g. "major asymmetry".
    pub interpretation: String,
    /// Label of the x axis, e.g. "ln DOR".
    pub x_label: String,
    /// Subgroup of each point (same order as `te`): markers per subgroup, the joining line stays
    /// the overall one; default none.
    pub groups: PointGroups,
}

/// Draw the Doi plot. Pairs with a non-finite value are skipped; `te` and `z` of different
/// lengths use the common prefix.
pub fn draw_doi<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &DoiData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    check_size(area, 300, 250)?;
    let mut top = draw_frame(area, "Doi plot", style)?;
    let (w, _) = area.dim_in_pixel();
    let annotation = if data.interpretation.is_empty() {
        format!("LFK index {}", fmt_dec(data.lfk, 2))
    } else {
        format!("LFK index {} ({})", fmt_dec(data.lfk, 2), data.interpretation)
    };
    area.draw(&Text::new(
        annotation,
        ((w / 2) as i32, top - 6),
        style.text(style.label_size, HPos::Center, VPos::Top),
    ))?;
    top += text_height(style.label_size) + 6;

    let mut pts: Vec<(f64, f64, usize)> = data
        .te
        .iter()
        .zip(&data.z)
        .enumerate()
        .filter(|(_, (t, z))| t.is_finite() && z.is_finite())
        .map(|(i, (&t, &z))| (t, z.abs(), i))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));

    let xr = pad_range(finite_range(pts.iter().map(|p| p.0)), 0.08, (-1.0, 1.0));
    let ymax = finite_range(pts.iter().map(|p| p.1)).map(|r| r.1).filter(|v| *v > 0.0).unwrap_or(2.0) * 1.1;

    let entries = data.groups.legend(style);
    let (lw, _) = legend_size(&entries, style);
    let right = if entries.is_empty() { 30 } else { lw + 30 };
    let plot_area = area.margin(top as u32, 10, 20, right as u32);
    let x_lab = text_height(style.tick_size) + text_height(style.label_size) + 26;
    let y_lab = text_height(style.tick_size) * 2 + text_height(style.label_size) + 16;
    let mut chart = ChartBuilder::on(&plot_area)
        .x_label_area_size(x_lab)
        .y_label_area_size(y_lab)
        .build_cartesian_2d(xr.0..xr.1, -ymax..0.0)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&|v| fmt_dec(*v, 1))
        .y_label_formatter(&|v| fmt_dec(-v, 1))
        .max_light_lines(0)
        .bold_line_style(style.grid)
        .axis_style(style.foreground)
        .label_style(style.font(style.tick_size).color(&style.foreground))
        .axis_desc_style(style.font(style.label_size).color(&style.foreground))
        .x_desc(data.x_label.clone())
        .y_desc("|Z-score|")
        .draw()?;

    let colour = style.series_colour(0);
    let c_line = if data.groups.is_grouped() { RGBColor(0x77, 0x77, 0x77) } else { colour };
    let line: Vec<(f64, f64)> = pts.iter().map(|&(x, y, _)| (x, -y)).collect();
    chart_polyline(&mut chart, &line, c_line.stroke_width(style.line_width), Dash::Solid)?;
    for &(x, y, i) in &pts {
        let (shape, c) = data.groups.marker(i, (Shape::Circle, colour), style);
        draw_shape(area, shape, chart_px(&chart, area, (x, -y)), 5, c, true)?;
    }
    if !entries.is_empty() {
        let (w, _) = area.dim_in_pixel();
        let filled: Vec<_> = entries
            .into_iter()
            .map(|mut e| {
                if let super::common::Marker::Point { filled, .. } = &mut e.marker {
                    *filled = true;
                }
                e
            })
            .collect();
        draw_legend(area, (w as i32 - lw - 10, top + 10), &filled, style)?;
    }
    Ok(())
}
