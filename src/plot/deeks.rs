//! Deeks' funnel plot (METHODS §7.1): ln DOR (log-scale labels 1, 10, 100, …) against
//! 1/√ESS with the axis reversed (largest studies at the top), the fitted weighted regression
//! line, an optional vertical line at the summary ln DOR, and the asymmetry p-value.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    chart_polyline, chart_px, check_size, draw_frame, draw_legend, draw_shape, finite_range, fmt_dec, fmt_p,
    fmt_tick, legend_size, log10_ticks, pad_range, text_height, Dash, LegendEntry, Marker, PointGroups,
    Shape,
};
use super::labels::{draw_placed, place_labels, select_labels, LabelMode};
use super::style::{PlotError, PlotStyle};

/// Everything Deeks' funnel plot shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeeksData {
    /// Per study `(ln DOR, 1/√ESS, label)`.
    pub points: Vec<(f64, f64, String)>,
    /// Intercept of the regression `ln DOR = intercept + slope · 1/√ESS`.
    pub intercept: f64,
    /// Slope of that regression (the asymmetry coefficient).
    pub slope: f64,
    /// p-value of the slope.
    pub p_value: f64,
    /// Summary ln DOR for the optional vertical reference line.
    pub summary_ln_dor: Option<f64>,
    /// Subgroup of each point (colour and marker per subgroup); default none.
    pub groups: PointGroups,
    /// Which points are labelled; default the 5 farthest from the regression line.
    pub labels: LabelMode,
}

/// Narrowest plot area (pixels) beside a legend; below it the legend goes under the plot.
const MIN_PLOT_W: i32 = 300;

/// Draw Deeks' funnel plot. Points with non-finite coordinates are skipped; without points the
/// axes span DOR 1–100.
pub fn draw_deeks<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &DeeksData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (w, h) = check_size(area, 300, 250)?;
    let top = draw_frame(area, "Deeks' funnel plot asymmetry test", style)?;
    let pts: Vec<&(f64, f64, String)> =
        data.points.iter().filter(|p| p.0.is_finite() && p.1.is_finite() && p.1 >= 0.0).collect();

    let summary = data.summary_ln_dor.filter(|v| v.is_finite());
    let xr = pad_range(finite_range(pts.iter().map(|p| p.0).chain(summary)), 0.08, (0.0, 10f64.ln() * 2.0));
    let ymax = finite_range(pts.iter().map(|p| p.1)).map(|r| r.1).filter(|v| *v > 0.0).unwrap_or(0.2) * 1.1;
    let ln10 = 10f64.ln();
    let keys: Vec<f64> = log10_ticks(xr.0 / ln10, xr.1 / ln10).into_iter().map(|v| v * ln10).collect();

    let colour = style.series_colour(0);
    let grouped = data.groups.is_grouped();
    // With subgroups the overall lines are drawn in the foreground colour (the palette is theirs).
    let c_line = if grouped { style.foreground } else { style.series_colour(1) };
    let mut entries = data.groups.legend(style);
    if !grouped {
        entries.push(LegendEntry::new(Marker::hollow_circle(colour), "Study"));
    }
    entries.push(LegendEntry::new(Marker::line(c_line, style.line_width, Dash::Solid), "Regression line"));
    if summary.is_some() {
        entries.push(LegendEntry::new(Marker::line(style.foreground, 1, Dash::Dashed), "Summary DOR"));
    }
    let (lw, lh) = legend_size(&entries, style);
    let p_text = format!("Asymmetry test: {}", fmt_p(data.p_value));
    let side_w = lw.max(super::common::text_width(&p_text, style.text_size) + 8);
    // The legend and the test's p-value go to the right of the plot, or below it when that would
    // leave the plot narrower than [`MIN_PLOT_W`] (a narrow canvas on a phone or a half column).
    let below_h = lh + text_height(style.text_size) + 24;
    let legend_right = w as i32 - side_w - 30 >= MIN_PLOT_W;
    let (plot_w, plot_h) =
        if legend_right { (w as i32 - side_w - 30, h as i32) } else { (w as i32, h as i32 - below_h) };
    let (plot_area, _) = area.split_horizontally(plot_w);
    let (plot_area, _) = plot_area.split_vertically(plot_h);
    let plot_area = plot_area.margin(top as u32, 10, 10, 10);

    let x_lab = text_height(style.tick_size) + text_height(style.label_size) + 26;
    let y_lab = text_height(style.tick_size) * 5 / 2 + text_height(style.label_size) + 14;
    let mut chart = ChartBuilder::on(&plot_area)
        .x_label_area_size(x_lab)
        .y_label_area_size(y_lab)
        .build_cartesian_2d(xr.0..xr.1, -ymax..0.0)?;
    let y_dec = if ymax < 0.1 { 3 } else { 2 };
    chart
        .configure_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&|v| fmt_dec(-v, y_dec))
        .max_light_lines(0)
        .bold_line_style(style.grid)
        .axis_style(style.foreground)
        .label_style(style.font(style.tick_size).color(&style.foreground))
        .axis_desc_style(style.font(style.label_size).color(&style.foreground))
        .x_desc("Diagnostic odds ratio (log scale)")
        .y_desc("1/√ESS")
        .draw()?;

    // Log-scale x ticks (DOR 1, 10, 100, …) drawn by hand at their logarithms.
    for &k in &keys {
        chart_polyline(&mut chart, &[(k, 0.0), (k, -ymax)], style.grid.stroke_width(1), Dash::Solid)?;
    }
    let base = chart_px(&chart, area, (xr.0, -ymax));
    let tick = style.text(style.tick_size, HPos::Center, VPos::Top);
    for &k in &keys {
        let (x, _) = chart_px(&chart, area, (k, -ymax));
        area.draw(&PathElement::new(vec![(x, base.1), (x, base.1 + 5)], style.foreground.stroke_width(1)))?;
        area.draw(&Text::new(fmt_tick(k.exp()), (x, base.1 + 7), tick.clone()))?;
    }

    // Lines, kept as pixel segments: label obstacles.
    let mut segments = Vec::new();
    if let Some(s) = summary {
        chart_polyline(&mut chart, &[(s, 0.0), (s, -ymax)], style.foreground.stroke_width(1), Dash::Dashed)?;
        segments.push((chart_px(&chart, area, (s, 0.0)), chart_px(&chart, area, (s, -ymax))));
    }
    let line_ok = data.intercept.is_finite() && data.slope.is_finite();
    if line_ok {
        let line: Vec<(f64, f64)> = (0..=50)
            .map(|i| {
                let y = ymax * i as f64 / 50.0;
                (data.intercept + data.slope * y, -y)
            })
            .collect();
        chart_polyline(&mut chart, &line, c_line.stroke_width(style.line_width), Dash::Solid)?;
        let px: Vec<_> = line.iter().map(|&p| chart_px(&chart, area, p)).collect();
        segments.extend(px.windows(2).map(|w| (w[0], w[1])));
    }

    // Points: (original index, pixel); the label score is the horizontal distance from the
    // drawn regression line (a layout rule: it picks which labels to write).
    let shown: Vec<(usize, (i32, i32))> = data
        .points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.0.is_finite() && p.1.is_finite() && p.1 >= 0.0)
        .map(|(i, p)| (i, chart_px(&chart, area, (p.0, -p.1))))
        .collect();
    for &(i, px) in &shown {
        let (shape, c) = data.groups.marker(i, (Shape::Circle, colour), style);
        draw_shape(area, shape, px, 5, c, false)?;
    }
    let score: Vec<f64> = shown
        .iter()
        .map(|&(i, _)| {
            let (x, y, _) = &data.points[i];
            let centre = if line_ok { data.intercept + data.slope * y } else { summary.unwrap_or(0.0) };
            (x - centre).abs()
        })
        .collect();
    let (lx, ly) = if legend_right { (plot_w + 10, top + 20) } else { (10, plot_h + 4) };
    let tl = chart_px(&chart, area, (xr.0, 0.0));
    let br = chart_px(&chart, area, (xr.1, -ymax));
    let obstacles: Vec<((i32, i32), i32)> = shown.iter().map(|&(_, px)| (px, 6)).collect();
    let texts: Vec<&str> = shown.iter().map(|&(i, _)| data.points[i].2.as_str()).collect();
    let order: Vec<(usize, &str)> =
        select_labels(data.labels, &score).into_iter().map(|k| (k, texts[k])).collect();
    let placed = place_labels(
        &obstacles,
        &order,
        style.small_size,
        (tl.0 + 1, tl.1 + 1, br.0 - 1, br.1 - 1),
        &[],
        &segments,
        !matches!(data.labels, LabelMode::All),
    );
    draw_placed(area, &placed, &texts, style.small_size, style)?;

    draw_legend(area, (lx, ly), &entries, style)?;
    area.draw(&Text::new(
        p_text,
        (lx + 4, ly + lh + 14),
        style.text(style.text_size, HPos::Left, VPos::Top),
    ))?;
    let _ = h;
    Ok(())
}
