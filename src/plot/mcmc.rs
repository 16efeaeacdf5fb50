//! MCMC diagnostic plots of one quantity (issue #16): trace per chain, rank histograms per chain
//! (Vehtari et al. 2021: uniform when the chains mix) and posterior density per chain, side by
//! side. The ranks and densities arrive precomputed.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::common::{check_size, draw_frame, finite_range, pad_range, text_height};
use super::style::{PlotError, PlotStyle};

/// Everything one row of MCMC plots shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct McmcData {
    /// The quantity's name, e.g. "τ (SD of logit Se)".
    pub title: String,
    /// Kept draws per chain, in order.
    pub traces: Vec<Vec<f64>>,
    /// Per chain, counts of its draws' pooled ranks in equal bins.
    pub rank_bins: Vec<Vec<usize>>,
    /// Per chain, a density curve (x, density).
    pub densities: Vec<Vec<(f64, f64)>>,
}

/// Draw trace | rank histograms | densities in three panels.
pub fn draw_mcmc<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &McmcData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    check_size(area, 600, 200)?;
    let top = draw_frame(area, &data.title, style)?;
    let body = area.margin(top as u32, 8, 10, 10);
    let panels = body.split_evenly((1, 3));
    let x_lab = (text_height(style.tick_size) + text_height(style.label_size) + 20) as u32;
    let y_lab = (text_height(style.tick_size) * 3 + 10) as u32;
    let colour = |c: usize| style.series_colour(c);

    // Trace.
    let n = data.traces.iter().map(|t| t.len()).max().unwrap_or(0).max(2);
    let yr = pad_range(finite_range(data.traces.iter().flatten().copied()), 0.05, (-1.0, 1.0));
    let mut chart = ChartBuilder::on(&panels[0])
        .x_label_area_size(x_lab)
        .y_label_area_size(y_lab)
        .caption("Trace", style.font(style.label_size))
        .build_cartesian_2d(0.0..n as f64, yr.0..yr.1)?;
    chart
        .configure_mesh()
        // The house fonts (plotters' defaults are smaller than the ticks of every other figure).
        .label_style(style.font(style.tick_size).color(&style.foreground))
        .axis_desc_style(style.font(style.label_size).color(&style.foreground))
        .x_labels(4)
        .y_labels(5)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc("iteration")
        .light_line_style(style.grid)
        .draw()?;
    for (c, t) in data.traces.iter().enumerate() {
        let col = colour(c).mix(0.7);
        chart.draw_series(LineSeries::new(
            t.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(i, &v)| (i as f64, v)),
            col,
        ))?;
    }

    // Rank histograms (one step line per chain; uniform = flat at the dashed line).
    let bins = data.rank_bins.first().map_or(0, |b| b.len()).max(1);
    let maxc = data.rank_bins.iter().flatten().copied().max().unwrap_or(1).max(1) as f64 * 1.15;
    let mut chart = ChartBuilder::on(&panels[1])
        .x_label_area_size(x_lab)
        .y_label_area_size(y_lab)
        .caption("Rank histograms", style.font(style.label_size))
        .build_cartesian_2d(0.0..bins as f64, 0.0..maxc)?;
    chart
        .configure_mesh()
        // The house fonts (plotters' defaults are smaller than the ticks of every other figure).
        .label_style(style.font(style.tick_size).color(&style.foreground))
        .axis_desc_style(style.font(style.label_size).color(&style.foreground))
        .x_labels(4)
        .y_labels(5)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_desc("rank bin")
        .light_line_style(style.grid)
        .draw()?;
    let total: usize = data.rank_bins.first().map_or(0, |b| b.iter().sum());
    let expected = total as f64 / bins as f64;
    chart.draw_series(DashedLineSeries::new(
        vec![(0.0, expected), (bins as f64, expected)],
        6,
        4,
        style.foreground.into(),
    ))?;
    for (c, b) in data.rank_bins.iter().enumerate() {
        let mut pts = Vec::with_capacity(2 * b.len());
        for (i, &v) in b.iter().enumerate() {
            pts.push((i as f64, v as f64));
            pts.push((i as f64 + 1.0, v as f64));
        }
        chart.draw_series(LineSeries::new(pts, colour(c).stroke_width(2)))?;
    }

    // Densities.
    let xr = pad_range(finite_range(data.densities.iter().flatten().map(|p| p.0)), 0.0, (-1.0, 1.0));
    let dmax =
        data.densities.iter().flatten().map(|p| p.1).filter(|v| v.is_finite()).fold(0.0, f64::max).max(1e-12)
            * 1.1;
    let mut chart = ChartBuilder::on(&panels[2])
        .x_label_area_size(x_lab)
        .y_label_area_size(y_lab)
        .caption("Posterior density", style.font(style.label_size))
        .build_cartesian_2d(xr.0..xr.1, 0.0..dmax)?;
    chart
        .configure_mesh()
        .label_style(style.font(style.tick_size).color(&style.foreground))
        .x_labels(4)
        .y_labels(4)
        .light_line_style(style.grid)
        .draw()?;
    for (c, d) in data.densities.iter().enumerate() {
        chart.draw_series(LineSeries::new(
            d.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()),
            colour(c).stroke_width(2),
        ))?;
    }
    Ok(())
}
