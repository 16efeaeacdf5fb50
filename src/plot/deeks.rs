//! Deeks' funnel plot (METHODS §7.1): ln DOR (log-scale labels 1, 10, 100, …) against
//! 1/√ESS with the axis reversed (largest studies at the top), the fitted weighted regression
//! line, an optional vertical line at the summary ln DOR, and the asymmetry p-value.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    chart_polyline, chart_px, check_size, draw_frame, draw_legend, draw_point_labels, finite_range, fmt_dec,
    fmt_p, fmt_tick, legend_size, log10_ticks, pad_range, text_height, LegendEntry, Marker,
};
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
}

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
    let mut entries = vec![
        LegendEntry::new(Marker::HollowCircle(colour), "Study"),
        LegendEntry::new(
            Marker::Line { colour: style.series_colour(1), width: style.line_width, dashed: false },
            "Regression line",
        ),
    ];
    if summary.is_some() {
        entries.push(LegendEntry::new(
            Marker::Line { colour: style.foreground, width: 1, dashed: true },
            "Summary DOR",
        ));
    }
    let (lw, lh) = legend_size(&entries, style);
    let plot_w = (w as i32 - lw - 30).max(200);
    let (plot_area, _) = area.split_horizontally(plot_w);
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
        chart_polyline(&mut chart, &[(k, 0.0), (k, -ymax)], style.grid.stroke_width(1), false)?;
    }
    let base = chart_px(&chart, area, (xr.0, -ymax));
    let tick = style.text(style.tick_size, HPos::Center, VPos::Top);
    for &k in &keys {
        let (x, _) = chart_px(&chart, area, (k, -ymax));
        area.draw(&PathElement::new(vec![(x, base.1), (x, base.1 + 5)], style.foreground.stroke_width(1)))?;
        area.draw(&Text::new(fmt_tick(k.exp()), (x, base.1 + 7), tick.clone()))?;
    }

    if let Some(s) = summary {
        chart_polyline(&mut chart, &[(s, 0.0), (s, -ymax)], style.foreground.stroke_width(1), true)?;
    }
    if data.intercept.is_finite() && data.slope.is_finite() {
        let line: Vec<(f64, f64)> = (0..=50)
            .map(|i| {
                let y = ymax * i as f64 / 50.0;
                (data.intercept + data.slope * y, -y)
            })
            .collect();
        chart_polyline(&mut chart, &line, style.series_colour(1).stroke_width(style.line_width), false)?;
    }
    chart.draw_series(pts.iter().map(|p| Circle::new((p.0, -p.1), 5, colour.stroke_width(2))))?;
    if style.label_points && pts.len() <= style.max_point_labels {
        let labelled: Vec<_> =
            pts.iter().map(|p| (chart_px(&chart, area, (p.0, -p.1)), p.2.as_str())).collect();
        draw_point_labels(area, &labelled, style)?;
    }

    let lx = plot_w + 10;
    let ly = top + 20;
    draw_legend(area, (lx, ly), &entries, style)?;
    area.draw(&Text::new(
        format!("Asymmetry test: {}", fmt_p(data.p_value)),
        (lx + 4, ly + lh + 14),
        style.text(style.text_size, HPos::Left, VPos::Top),
    ))?;
    let _ = h;
    Ok(())
}
