//! Drawing, generic over plotters' [`DrawingBackend`]: every `draw_*` function takes a
//! drawing area, a plain data struct of **precomputed** numbers and labels, and a
//! [`PlotStyle`]. Nothing here computes statistics; the same code renders to an SVG string
//! (tests, CLI export, [`to_svg`]) and to a browser canvas (`plotters-canvas`).
//!
//! | function | figure | METHODS |
//! |---|---|---|
//! | [`draw_forest`] | paired forest plots of sensitivity and specificity | §1.5, §4.1 |
//! | [`draw_sroc`] | SROC plot: studies, curve, summary point, confidence/prediction regions | §4.3, §4.5 |
//! | [`draw_fagan`] | Fagan nomogram | §8.1 |
//! | [`draw_deeks`] | Deeks' funnel plot | §7.1 |
//! | [`draw_doi`] | Doi plot with the LFK index | §7.2 |
//! | [`draw_lr_scatter`] | likelihood-ratio scattergram | §8.2 |
//! | [`draw_mcmc`] | trace, rank histograms and density per chain of one posterior quantity | issue #16 |
//! | [`draw_quadas_traffic_light`], [`draw_quadas_summary`] | QUADAS-2 displays | — |
//! | [`draw_icons`] | natural-frequency icon array (TP, FN, FP, TN of 100 or 1,000 people) | §17 |
//! | [`draw_decision`] | decision curve (net benefit, treat all, treat none) | — |
//!
//! Invariants: no panics (non-finite values are skipped, degenerate ranges padded, empty data
//! draws an empty frame); errors are [`PlotError`].

mod common;
mod decision;
mod deeks;
mod doi;
mod fagan;
mod forest;
mod icons;
mod labels;
mod lr_scatter;
mod mcmc;
mod quadas;
mod sroc;
mod style;

pub use common::PointGroups;
pub use decision::{draw_decision, DecisionData};
pub use deeks::{draw_deeks, DeeksData};
pub use doi::{draw_doi, DoiData};
pub use fagan::{draw_fagan, FaganData, NomogramAxisData};
pub use forest::{
    draw_forest, forest_data_height, forest_height, forest_width, ForestData, ForestGroup, ForestRow,
};
pub use icons::{draw_icons, icon_size, IconData};
pub use labels::{place_labels, select_labels, LabelBox, LabelMode, PlacedLabel};
pub use lr_scatter::{draw_lr_scatter, LrPoint, LrScatterData, LrSummary};
pub use mcmc::{draw_mcmc, McmcData};
pub use quadas::{draw_quadas_summary, draw_quadas_traffic_light, quadas_height, Judgement, QuadasData};
pub use sroc::{draw_sroc, RegionLines, SrocConventions, SrocData, SrocSeries, SrocXAxis, StudyMarkers};
pub use style::{CiLabel, PlotError, PlotStyle};

use plotters::coord::Shift;
use plotters::prelude::*;

/// Render a plot into an SVG document string of `width` × `height` pixels.
///
/// ```
/// use fourfold::plot::{draw_forest, forest_height, to_svg, ForestData, PlotStyle};
/// let data = ForestData { title: "Empty".into(), ..Default::default() };
/// let svg = to_svg(900, forest_height(0), |a| draw_forest(a, &data, &PlotStyle::default()))
///     .expect("drawn");
/// assert!(svg.starts_with("<svg"));
/// ```
pub fn to_svg<F>(width: u32, height: u32, draw: F) -> Result<String, PlotError>
where
    F: for<'a> FnOnce(&DrawingArea<SVGBackend<'a>, Shift>) -> Result<(), PlotError>,
{
    if width == 0 || height == 0 {
        return Err(PlotError::new("SVG size must be positive"));
    }
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    Ok(out)
}
