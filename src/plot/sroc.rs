//! SROC plot in ROC space (x = 1 − specificity, y = sensitivity): study points as circles with
//! area proportional to the study size, the SROC curve, the summary point, and the 95 %
//! confidence (solid) and prediction (dashed) regions (METHODS §4.3, §4.5); several series
//! overlay subgroups, each in its own colour.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    chart_polyline, check_size, closed, diamond_px, draw_frame, draw_legend, legend_size, text_height,
    LegendEntry, Marker,
};
use super::style::{PlotError, PlotStyle};

/// One group of studies with its fitted summary (the whole meta-analysis, or one subgroup).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SrocSeries {
    /// Series name (legend; used when there is more than one series).
    pub name: String,
    /// Study points `(fpr, sens, n)` with `fpr = 1 − specificity` and `n` the study size.
    pub points: Vec<(f64, f64, f64)>,
    /// SROC curve as a polyline of `(fpr, sens)`.
    pub curve: Vec<(f64, f64)>,
    /// Summary point `(fpr, sens)`.
    pub summary: Option<(f64, f64)>,
    /// Closed outline of the 95 % confidence region, `(fpr, sens)`.
    pub confidence_region: Vec<(f64, f64)>,
    /// Closed outline of the 95 % prediction region, `(fpr, sens)` (drawn dashed).
    pub prediction_region: Vec<(f64, f64)>,
}

/// Everything the SROC plot shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SrocData {
    /// One or more series (subgroups).
    pub series: Vec<SrocSeries>,
    /// Printed under the legend, e.g. "AUC 0.89 [0.85, 0.91]".
    pub auc_label: Option<String>,
    /// Plot title.
    pub title: String,
    /// The level of the intervals, for the labels ("95%").
    pub level: super::style::CiLabel,
}

fn ok_point(x: f64, y: f64) -> bool {
    x.is_finite() && y.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&x) && (-1e-9..=1.0 + 1e-9).contains(&y)
}

/// Draw the SROC plot. Non-finite or out-of-range points are skipped; empty series draw the
/// axes only.
pub fn draw_sroc<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &SrocData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (w, h) = check_size(area, 300, 250)?;
    let top = draw_frame(area, &data.title, style)?;
    let single = data.series.len() <= 1;

    // Colours per role: a single series uses blue for studies/curve and vermillion for the
    // summary and regions; several series each use their own colour throughout.
    let colours = |i: usize| -> (RGBColor, RGBColor) {
        if single {
            (style.series_colour(0), style.series_colour(1))
        } else {
            (style.series_colour(i), style.series_colour(i))
        }
    };

    // Legend.
    let any_points = data.series.iter().any(|s| !s.points.is_empty());
    let any_curve = data.series.iter().any(|s| s.curve.len() >= 2);
    let any_summary = data.series.iter().any(|s| s.summary.is_some());
    let any_conf = data.series.iter().any(|s| s.confidence_region.len() >= 3);
    let any_pred = data.series.iter().any(|s| s.prediction_region.len() >= 3);
    let mut entries = Vec::new();
    if !single {
        for (i, s) in data.series.iter().enumerate() {
            entries.push(LegendEntry::new(
                Marker::Line { colour: style.series_colour(i), width: 3, dashed: false },
                s.name.clone(),
            ));
        }
    }
    let (c_study, c_summary) = if single { colours(0) } else { (style.foreground, style.foreground) };
    if any_points {
        entries.push(LegendEntry::new(Marker::HollowCircle(c_study), "Studies (area ∝ N)"));
    }
    if any_summary {
        entries.push(LegendEntry::new(Marker::Diamond(c_summary), "Summary point"));
    }
    if any_curve {
        let width = style.line_width;
        entries.push(LegendEntry::new(Marker::Line { colour: c_study, width, dashed: false }, "SROC curve"));
    }
    if any_conf {
        entries.push(LegendEntry::new(
            Marker::Line { colour: c_summary, width: 2, dashed: false },
            format!("{} confidence region", data.level),
        ));
    }
    if any_pred {
        entries.push(LegendEntry::new(
            Marker::Line { colour: c_summary, width: 2, dashed: true },
            format!("{} prediction region", data.level),
        ));
    }
    let (lw, lh) = legend_size(&entries, style);

    // Square plot on the left, legend on the right.
    let x_lab = text_height(style.tick_size) + text_height(style.label_size) + 26;
    let y_lab = text_height(style.tick_size) * 2 + text_height(style.label_size) + 16;
    let avail_h = h as i32 - top - 22;
    let side = (avail_h - x_lab).min(w as i32 - lw - 40 - y_lab).max(100);
    let plot_w = (side + y_lab + 20).min(w as i32);
    let (plot_area, _) = area.split_horizontally(plot_w);
    let plot_area = plot_area.margin(top as u32 + 12, 10, 10, 10);

    let mut chart = ChartBuilder::on(&plot_area)
        .x_label_area_size(x_lab)
        .y_label_area_size(y_lab)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .max_light_lines(0)
        .bold_line_style(style.grid)
        .axis_style(style.foreground)
        .label_style(style.font(style.tick_size).color(&style.foreground))
        .axis_desc_style(style.font(style.label_size).color(&style.foreground))
        .x_desc("1 − Specificity (false positive rate)")
        .y_desc("Sensitivity")
        .draw()?;

    // Chance line.
    chart_polyline(&mut chart, &[(0.0, 0.0), (1.0, 1.0)], RGBColor(0xBB, 0xBB, 0xBB).stroke_width(1), true)?;

    // Radius ∝ √N over all series; largest circle ≈ 3.5 % of the plot side.
    let n_max = data
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.2))
        .filter(|n| n.is_finite() && *n > 0.0)
        .fold(0.0_f64, f64::max);
    let r_max = (side as f64 * 0.035).max(6.0);

    for (i, s) in data.series.iter().enumerate() {
        let (c_points, c_sum) = colours(i);
        let pred = closed(&s.prediction_region);
        if pred.len() >= 3 {
            chart_polyline(&mut chart, &pred, c_sum.stroke_width(2), true)?;
        }
        let conf = closed(&s.confidence_region);
        if conf.len() >= 3 {
            chart_polyline(&mut chart, &conf, c_sum.stroke_width(2), false)?;
        }
        if s.curve.len() >= 2 {
            chart_polyline(&mut chart, &s.curve, c_points.stroke_width(style.line_width), false)?;
        }
        let pts: Vec<_> = s
            .points
            .iter()
            .filter(|p| ok_point(p.0, p.1))
            .map(|&(x, y, n)| {
                let r = if n.is_finite() && n > 0.0 && n_max > 0.0 {
                    (r_max * (n / n_max).sqrt()).max(2.5)
                } else {
                    3.0
                };
                Circle::new((x, y), r.round() as i32, c_points.mix(0.9).stroke_width(2))
            })
            .collect();
        chart.draw_series(pts)?;
        if let Some((x, y)) = s.summary.filter(|p| ok_point(p.0, p.1)) {
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, y)) + Polygon::new(diamond_px((0, 0), 8, 8), c_sum.filled()),
            ))?;
        }
    }

    // Legend and AUC to the right of the plot.
    let lx = (plot_w + 10).min(w as i32 - lw - 5).max(0);
    let ly = top + 20;
    draw_legend(area, (lx, ly), &entries, style)?;
    if let Some(auc) = &data.auc_label {
        area.draw(&Text::new(
            auc.clone(),
            (lx + 4, ly + lh + 14),
            style.text(style.text_size, HPos::Left, VPos::Top),
        ))?;
    }
    Ok(())
}
