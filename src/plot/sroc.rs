//! SROC plot in ROC space (x = 1 − specificity, y = sensitivity): study points as circles with
//! area proportional to the study size, the SROC curve, the summary point, and the 95 %
//! confidence (solid) and prediction (dashed) regions (METHODS §4.3, §4.5); several series
//! overlay subgroups, each in its own colour.
//!
//! [`SrocConventions`] switch to Cochrane's (RevMan 5's) conventions, each on its own: study
//! markers as rectangles of height ∝ √(diseased) and width ∝ √(non-diseased), the x axis as
//! specificity running from 1 to 0, the curve over the range of the studies' specificities only,
//! and the regions as lines (confidence dashed, prediction dotted) instead of a shaded patch.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    chart_polyline, chart_px, check_size, clip_polygon, closed, draw_frame, draw_legend_grid, draw_shape,
    legend_columns_for, legend_grid_size, series_shape, text_height, Dash, LegendEntry, Marker, Shape,
    REGION_ALPHA,
};
use super::style::{PlotError, PlotStyle};

/// One group of studies with its fitted summary (the whole meta-analysis, or one subgroup).
#[derive(Debug, Clone, PartialEq)]
pub struct SrocSeries {
    /// Series name (legend; used when there is more than one series).
    pub name: String,
    /// Study points `(fpr, sens, n)` with `fpr = 1 − specificity` and `n` the study size.
    pub points: Vec<(f64, f64, f64)>,
    /// SROC curve as a polyline of `(fpr, sens)`.
    pub curve: Vec<(f64, f64)>,
    /// Summary point `(fpr, sens)`.
    pub summary: Option<(f64, f64)>,
    /// Closed outline of the confidence region, `(fpr, sens)` (drawn as a translucent patch).
    pub confidence_region: Vec<(f64, f64)>,
    /// Closed outline of the prediction region, `(fpr, sens)` (drawn dashed).
    pub prediction_region: Vec<(f64, f64)>,
    /// Draw this series' confidence and prediction regions (default `true`; the page lets the
    /// user hide them per subgroup to reduce clutter).
    pub show_regions: bool,
    /// `(diseased, non-diseased)` of each study, parallel to `points`: the sizes of
    /// [`StudyMarkers::Rectangles`] (circles are drawn when it does not match `points`).
    pub counts: Vec<(f64, f64)>,
}

/// How the studies are marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StudyMarkers {
    /// Circles with area ∝ the study's total (default).
    #[default]
    Circles,
    /// RevMan's rectangles: height ∝ √(diseased), width ∝ √(non-diseased), so each side grows
    /// with the precision of the estimate along it.
    Rectangles,
}

/// What the x axis shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrocXAxis {
    /// 1 − specificity from 0 to 1 (default).
    #[default]
    FalsePositiveRate,
    /// Specificity from 1 (left) to 0 (right): the same plot, RevMan's labels.
    SpecificityReversed,
}

/// How the confidence and prediction regions are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegionLines {
    /// Confidence region shaded with a solid outline, prediction region dashed (default).
    #[default]
    ShadedAndDashed,
    /// Cochrane's: confidence region dashed, prediction region dotted, nothing shaded.
    DashedAndDotted,
}

/// Display conventions of the SROC plot; `Default` is Fourfold's figure, [`SrocConventions::revman`]
/// Cochrane's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SrocConventions {
    pub markers: StudyMarkers,
    pub x_axis: SrocXAxis,
    /// Draw each series' curve only over the range of its studies' specificities.
    pub curve_observed_range: bool,
    pub regions: RegionLines,
}

impl SrocConventions {
    /// All four RevMan conventions.
    pub fn revman() -> Self {
        SrocConventions {
            markers: StudyMarkers::Rectangles,
            x_axis: SrocXAxis::SpecificityReversed,
            curve_observed_range: true,
            regions: RegionLines::DashedAndDotted,
        }
    }
}

/// The part of `curve` whose false-positive rate lies within the range of `points`' (all of it
/// when there are no finite points).
fn observed_part(curve: &[(f64, f64)], points: &[(f64, f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    match super::common::finite_range(points.iter().map(|p| p.0).filter(|x| (0.0..=1.0).contains(x))) {
        Some((lo, hi)) if hi > lo => super::common::clip_polyline(curve, (lo, hi), (-1.0, 2.0)),
        _ => vec![curve.to_vec()],
    }
}

impl Default for SrocSeries {
    fn default() -> Self {
        SrocSeries {
            name: String::new(),
            points: Vec::new(),
            curve: Vec::new(),
            summary: None,
            confidence_region: Vec::new(),
            prediction_region: Vec::new(),
            show_regions: true,
            counts: Vec::new(),
        }
    }
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
    /// Zoom both axes to the range of the data (study points, summary points, shown confidence
    /// regions) with a margin, keeping equal scales; default `false` (the full unit square).
    pub zoom: bool,
    /// Fourfold's or Cochrane's conventions (markers, x axis, curve range, region lines).
    pub conventions: SrocConventions,
}

fn ok_point(x: f64, y: f64) -> bool {
    x.is_finite() && y.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&x) && (-1e-9..=1.0 + 1e-9).contains(&y)
}

/// The axis window `(x range, y range)`: the unit square, or with `zoom` the data's range padded
/// by 8 %, the same length on both axes, shifted to stay inside [0, 1].
fn window(data: &SrocData) -> ((f64, f64), (f64, f64)) {
    let full = ((0.0, 1.0), (0.0, 1.0));
    if !data.zoom {
        return full;
    }
    let pts = data.series.iter().flat_map(|s| {
        let regions = if s.show_regions { s.confidence_region.as_slice() } else { &[] };
        s.points.iter().map(|p| (p.0, p.1)).chain(s.summary).chain(regions.iter().copied())
    });
    let pts: Vec<(f64, f64)> = pts.filter(|p| ok_point(p.0, p.1)).collect();
    let Some(xr) = super::common::finite_range(pts.iter().map(|p| p.0)) else { return full };
    let Some(yr) = super::common::finite_range(pts.iter().map(|p| p.1)) else { return full };
    let span = ((xr.1 - xr.0).max(yr.1 - yr.0) * 1.16).max(0.1);
    if span >= 1.0 {
        return full;
    }
    let fit = |(lo, hi): (f64, f64)| {
        let c = (lo + hi) / 2.0;
        let lo = (c - span / 2.0).clamp(0.0, 1.0 - span);
        (lo, lo + span)
    };
    (fit(xr), fit(yr))
}

/// Draw the SROC plot: a square plot area (equal lengths for both axes), the legend to its right
/// when there is room and below it otherwise. Non-finite or out-of-range points are skipped;
/// empty series draw the axes only.
pub fn draw_sroc<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &SrocData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (w, h) = check_size(area, 300, 250)?;
    let (w, h) = (w as i32, h as i32);
    let top = draw_frame(area, &data.title, style)?;
    let single = data.series.len() <= 1;

    // Colours per role: a single series uses blue for studies/curve and vermillion for the
    // summary and regions; several series each use their own colour throughout (and their own
    // marker shape for the studies).
    let colours = |i: usize| -> (RGBColor, RGBColor) {
        if single {
            (style.series_colour(0), style.series_colour(1))
        } else {
            (style.series_colour(i), style.series_colour(i))
        }
    };

    // Legend.
    let shown = |s: &SrocSeries, r: &[(f64, f64)]| s.show_regions && r.len() >= 3;
    let any_points = data.series.iter().any(|s| !s.points.is_empty());
    let any_curve = data.series.iter().any(|s| s.curve.len() >= 2);
    let any_summary = data.series.iter().any(|s| s.summary.is_some());
    let any_conf = data.series.iter().any(|s| shown(s, &s.confidence_region));
    let any_pred = data.series.iter().any(|s| shown(s, &s.prediction_region));
    let mut entries = Vec::new();
    let (c_study, c_summary) = if single { colours(0) } else { (style.foreground, style.foreground) };
    let conv = data.conventions;
    let rects = |s: &SrocSeries| conv.markers == StudyMarkers::Rectangles && s.counts.len() == s.points.len();
    if single {
        if any_points {
            entries.push(if data.series.first().is_some_and(rects) {
                LegendEntry::new(Marker::Rect(c_study), "Studies (√diseased × √non-diseased)")
            } else {
                LegendEntry::new(Marker::hollow_circle(c_study), "Studies (area ∝ N)")
            });
        }
    } else {
        for (i, s) in data.series.iter().enumerate() {
            // RevMan rectangles carry the series' shape filled at their centre: the legend shows that.
            let marker =
                Marker::Point { shape: series_shape(i), colour: style.series_colour(i), filled: rects(s) };
            entries.push(LegendEntry::new(marker, s.name.clone()));
        }
    }
    if any_summary {
        entries.push(LegendEntry::new(Marker::diamond(c_summary), "Summary point"));
    }
    let curve_name =
        if conv.curve_observed_range { "SROC curve (range of the studies)" } else { "SROC curve" };
    if any_curve {
        entries.push(LegendEntry::new(Marker::line(c_study, CURVE_W, Dash::Solid), curve_name));
    }
    let lines = conv.regions == RegionLines::DashedAndDotted;
    let (conf_dash, pred_dash) =
        if lines { (Dash::Dashed, Dash::Dotted) } else { (Dash::Solid, Dash::Dashed) };
    if any_conf {
        let marker = if lines { Marker::line(c_summary, 2, conf_dash) } else { Marker::Patch(c_summary) };
        entries.push(LegendEntry::new(marker, format!("{} confidence region", data.level)));
    }
    if any_pred {
        entries.push(LegendEntry::new(
            Marker::line(c_summary, 2, pred_dash),
            format!("{} prediction region", data.level),
        ));
    }

    // Geometry: a square plot of side `side`; legend right (one column) or below (up to two).
    let x_lab = text_height(style.tick_size) + text_height(style.label_size) + 26;
    let y_lab = text_height(style.tick_size) * 2 + text_height(style.label_size) + 20;
    let auc_h = if data.auc_label.is_some() { text_height(style.text_size) + 16 } else { 0 };
    let (m, right_pad) = (10, 18);
    let y0 = top + 8;
    let (lw1, lh1) = legend_grid_size(&entries, 1, style);
    let side_right = (h - y0 - x_lab - m).min(w - m - y_lab - right_pad - lw1 - m);
    let cols_below = legend_columns_for(&entries, w - 2 * m, 2, style);
    let (lwb, lhb) = legend_grid_size(&entries, cols_below, style);
    let side_below = (h - y0 - x_lab - 12 - lhb - auc_h - m).min(w - 2 * m - y_lab - right_pad);
    let legend_right =
        entries.is_empty() || (side_right as f64 >= 0.85 * side_below as f64 && lh1 + auc_h + y0 + 20 <= h);
    let side = if legend_right { side_right } else { side_below }.max(60);
    let block_w = y_lab + side;
    let x0 = if legend_right { m } else { ((w - block_w - right_pad) / 2).max(m) };
    let plot_area = area.clone().shrink((x0, y0), (block_w as u32, (side + x_lab) as u32));

    let (xr, yr) = window(data);
    let span = xr.1 - xr.0;
    let dec = if span <= 0.5 { 2 } else { 1 };
    let mut chart = ChartBuilder::on(&plot_area)
        .x_label_area_size(x_lab)
        .y_label_area_size(y_lab)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)?;
    // The specificity axis is the same plot labelled 1 − x (1 on the left).
    let spec_axis = conv.x_axis == SrocXAxis::SpecificityReversed;
    let x_desc = if spec_axis { "Specificity" } else { "1 − Specificity (false positive rate)" };
    let x_fmt = move |v: &f64| {
        let v = if spec_axis { 1.0 - *v } else { *v };
        format!("{:.dec$}", v + 0.0)
    };
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&|v| format!("{v:.dec$}"))
        .max_light_lines(0)
        .bold_line_style(style.grid)
        .axis_style(style.foreground)
        .label_style(style.font(style.tick_size).color(&style.foreground))
        .axis_desc_style(style.font(style.label_size).color(&style.foreground))
        .x_desc(x_desc)
        .y_desc("Sensitivity")
        .draw()?;

    // Chance line.
    chart_polyline(
        &mut chart,
        &[(0.0, 0.0), (1.0, 1.0)],
        RGBColor(0xBB, 0xBB, 0xBB).stroke_width(1),
        Dash::Dashed,
    )?;

    // Radius ∝ √N over all series; largest circle ≈ 3.5 % of the plot side.
    let n_max = data
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.2))
        .filter(|n| n.is_finite() && *n > 0.0)
        .fold(0.0_f64, f64::max);
    let r_max = (side as f64 * 0.035).max(6.0);
    let in_window = |x: f64, y: f64| ok_point(x, y) && x >= xr.0 && x <= xr.1 && y >= yr.0 && y <= yr.1;

    // Regions first (under everything), then curves, points and summaries.
    for (i, s) in data.series.iter().enumerate() {
        if !s.show_regions {
            continue;
        }
        let (_, c_sum) = colours(i);
        let conf = closed(&s.confidence_region);
        if conf.len() >= 3 {
            if !lines {
                let patch = clip_polygon(&conf, xr, yr);
                if patch.len() >= 3 {
                    chart.draw_series(std::iter::once(Polygon::new(
                        patch,
                        c_sum.mix(REGION_ALPHA).filled(),
                    )))?;
                }
            }
            chart_polyline(&mut chart, &conf, c_sum.stroke_width(if lines { 2 } else { 1 }), conf_dash)?;
        }
        let pred = closed(&s.prediction_region);
        if pred.len() >= 3 {
            chart_polyline(&mut chart, &pred, c_sum.stroke_width(2), pred_dash)?;
        }
    }
    for (i, s) in data.series.iter().enumerate() {
        let (c_points, _) = colours(i);
        if s.curve.len() >= 2 {
            let runs = if conv.curve_observed_range {
                observed_part(&s.curve, &s.points)
            } else {
                vec![s.curve.clone()]
            };
            for run in runs {
                chart_polyline(&mut chart, &run, c_points.stroke_width(CURVE_W), Dash::Solid)?;
            }
        }
    }
    // Rectangles: the longest side over all series is as long as the largest circle's diameter.
    let side_max = data
        .series
        .iter()
        .filter(|s| rects(s))
        .flat_map(|s| s.counts.iter().map(|c| c.0.max(c.1)))
        .filter(|n| n.is_finite() && *n > 0.0)
        .fold(0.0_f64, f64::max)
        .sqrt();
    for (i, s) in data.series.iter().enumerate().filter(|(_, s)| rects(s)) {
        let (c_points, _) = colours(i);
        for (&(x, y, _), &(n1, n0)) in s.points.iter().zip(&s.counts).filter(|(p, _)| in_window(p.0, p.1)) {
            let half = |n: f64| {
                if n.is_finite() && n > 0.0 && side_max > 0.0 {
                    (r_max * n.sqrt() / side_max).max(2.0).round() as i32
                } else {
                    2
                }
            };
            let (hw, hh) = (half(n0), half(n1));
            let c = chart_px(&chart, area, (x, y));
            area.draw(&Rectangle::new(
                [(c.0 - hw, c.1 - hh), (c.0 + hw, c.1 + hh)],
                c_points.stroke_width(2),
            ))?;
            if !single {
                // The series' own shape at the centre: subgroups stay apart in greyscale.
                draw_shape(area, series_shape(i), c, 3, c_points, true)?;
            }
        }
    }
    for (i, s) in data.series.iter().enumerate().filter(|(_, s)| !rects(s)) {
        let (c_points, _) = colours(i);
        let shape = if single { Shape::Circle } else { series_shape(i) };
        for &(x, y, n) in s.points.iter().filter(|p| in_window(p.0, p.1)) {
            let r = if n.is_finite() && n > 0.0 && n_max > 0.0 {
                (r_max * (n / n_max).sqrt()).max(2.5)
            } else {
                3.0
            };
            draw_shape(area, shape, chart_px(&chart, area, (x, y)), r.round() as i32, c_points, false)?;
        }
    }
    for (i, s) in data.series.iter().enumerate() {
        let (_, c_sum) = colours(i);
        if let Some((x, y)) = s.summary.filter(|p| in_window(p.0, p.1)) {
            let c = chart_px(&chart, area, (x, y));
            draw_shape(area, Shape::Diamond, c, 7, c_sum, true)?;
            if !single {
                draw_shape(area, Shape::Diamond, c, 7, style.foreground, false)?;
            }
        }
    }

    // Legend (and AUC): right of the plot, or centred below it.
    let (lx, ly, cols, lh) = if legend_right {
        ((x0 + block_w + right_pad).min(w - lw1 - 4).max(0), y0 + 12, 1, lh1)
    } else {
        (((w - lwb) / 2).max(0), y0 + side + x_lab + 12, cols_below, lhb)
    };
    draw_legend_grid(area, (lx, ly), &entries, cols, style)?;
    if let Some(auc) = &data.auc_label {
        area.draw(&Text::new(
            auc.clone(),
            (lx + 4, ly + lh + 10),
            style.text(style.text_size, HPos::Left, VPos::Top),
        ))?;
    }
    Ok(())
}

/// Width of the SROC curve (thicker than the region outlines).
const CURVE_W: u32 = 3;
