//! The figures' display options ([`PlotOptions`]) ⇄ the settings group a permalink carries
//! ([`FigureSettings`], key `figures`). The page keeps its options in `PlotOptions`; it writes
//! them into the settings only to make a link and reads them back when one is opened.

use super::plots::PlotOptions;
use crate::plot::{LabelMode, RegionLines, SrocConventions, SrocXAxis, StudyMarkers};
use crate::settings::{FigureLabels, FigureSettings};

impl PlotOptions {
    /// The options as the permalink's `figures` group (default options → the default group).
    pub fn to_settings(&self) -> FigureSettings {
        let c = &self.sroc;
        FigureSettings {
            sroc_zoom: self.sroc_zoom,
            sroc_hidden_regions: self.sroc_hidden_regions.clone(),
            labels: match self.labels {
                LabelMode::Off => Some(FigureLabels::Off),
                LabelMode::All => Some(FigureLabels::All),
                m if m == LabelMode::default() => None,
                LabelMode::Outliers(n) => Some(FigureLabels::Outliers(n)),
            },
            sroc_rectangles: c.markers == StudyMarkers::Rectangles,
            sroc_specificity_axis: c.x_axis == SrocXAxis::SpecificityReversed,
            sroc_curve_observed: c.curve_observed_range,
            sroc_region_lines: c.regions == RegionLines::DashedAndDotted,
        }
    }

    /// The options a permalink's `figures` group describes.
    pub fn from_settings(f: &FigureSettings) -> PlotOptions {
        PlotOptions {
            sroc_zoom: f.sroc_zoom,
            sroc_hidden_regions: f.sroc_hidden_regions.clone(),
            labels: match f.labels {
                None => LabelMode::default(),
                Some(FigureLabels::Off) => LabelMode::Off,
                Some(FigureLabels::All) => LabelMode::All,
                Some(FigureLabels::Outliers(n)) => LabelMode::Outliers(n),
            },
            sroc: SrocConventions {
                markers: if f.sroc_rectangles { StudyMarkers::Rectangles } else { StudyMarkers::Circles },
                x_axis: if f.sroc_specificity_axis {
                    SrocXAxis::SpecificityReversed
                } else {
                    SrocXAxis::FalsePositiveRate
                },
                curve_observed_range: f.sroc_curve_observed,
                regions: if f.sroc_region_lines {
                    RegionLines::DashedAndDotted
                } else {
                    RegionLines::ShadedAndDashed
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_defaults_map_to_defaults() {
        assert!(PlotOptions::default().to_settings().is_default());
        assert_eq!(PlotOptions::from_settings(&FigureSettings::default()), PlotOptions::default());
        let o = PlotOptions {
            sroc_zoom: true,
            sroc_hidden_regions: vec![1, 3],
            labels: LabelMode::All,
            sroc: SrocConventions::revman(),
        };
        assert_eq!(PlotOptions::from_settings(&o.to_settings()), o);
        let o = PlotOptions { labels: LabelMode::Outliers(2), ..Default::default() };
        assert_eq!(PlotOptions::from_settings(&o.to_settings()), o);
    }
}
