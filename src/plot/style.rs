//! Shared look of every plot ([`PlotStyle`]) and the plot error type ([`PlotError`]).
//!
//! Colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), which stays
//! distinguishable under the common forms of colour-vision deficiency; every plot also encodes
//! meaning by line style, marker shape or a printed symbol, never by colour alone.

use std::fmt;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Okabe–Ito: black.
pub const OI_BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// Okabe–Ito: orange.
pub const OI_ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Okabe–Ito: sky blue.
pub const OI_SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
/// Okabe–Ito: bluish green.
pub const OI_BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Okabe–Ito: yellow.
pub const OI_YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
/// Okabe–Ito: blue.
pub const OI_BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Okabe–Ito: vermillion.
pub const OI_VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Okabe–Ito: reddish purple.
pub const OI_REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);

/// Sizes, colours and font of all plots. `PlotStyle::default()` is tuned for a 900 × 600
/// figure rendered with plotters' SVG backend; scale the sizes for other resolutions.
///
/// Font sizes are plotters font sizes: the SVG backend writes `font-size = size / 1.24`, while
/// the canvas backend (`plotters-canvas`) uses `size` pixels as is. Use
/// [`PlotStyle::for_canvas`] in the browser so both render text at the same pixel size.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotStyle {
    /// CSS / SVG font family; the backend renders the text (SVG `<text>`, canvas `fillText`).
    pub font_family: String,
    /// Plot title.
    pub title_size: f64,
    /// Axis titles and column headers.
    pub label_size: f64,
    /// Tick labels.
    pub tick_size: f64,
    /// Annotations, legend entries, table text.
    pub text_size: f64,
    /// Small labels next to points.
    pub small_size: f64,
    /// Colours of series (subgroups) in order; the first is used for single-series plots.
    pub palette: Vec<RGBColor>,
    /// Text, axes and summary markers.
    pub foreground: RGBColor,
    /// Grid lines.
    pub grid: RGBColor,
    /// Background fill.
    pub background: RGBColor,
    /// Colour of a "positive" / "high risk" element (Fagan LR+ line, QUADAS high).
    pub positive: RGBColor,
    /// Colour of a "negative" element (Fagan LR− line).
    pub negative: RGBColor,
    /// QUADAS-2 "low" / "high" / "unclear".
    pub low_risk: RGBColor,
    /// QUADAS-2 "high".
    pub high_risk: RGBColor,
    /// QUADAS-2 "unclear".
    pub unclear_risk: RGBColor,
    /// Width of data lines (curves, whiskers, regression lines).
    pub line_width: u32,
    /// Factor between the layout font sizes above and the size handed to the backend: 1 for
    /// plotters' SVG backend, `1/1.24` for `plotters-canvas` (see [`PlotStyle::for_canvas`]).
    /// Every layout decision (text widths, label placement) uses the sizes above, never the
    /// backend's font metrics, so SVG and canvas lay a figure out identically.
    pub font_scale: f64,
}

impl Default for PlotStyle {
    fn default() -> Self {
        PlotStyle {
            font_family: "sans-serif".to_string(),
            title_size: 24.0,
            label_size: 18.0,
            tick_size: 16.0,
            text_size: 17.0,
            small_size: 14.0,
            palette: vec![
                OI_BLUE,
                OI_VERMILLION,
                OI_BLUISH_GREEN,
                OI_ORANGE,
                OI_REDDISH_PURPLE,
                OI_SKY_BLUE,
                OI_BLACK,
            ],
            foreground: RGBColor(0x22, 0x22, 0x22),
            grid: RGBColor(0xE3, 0xE3, 0xE3),
            background: RGBColor(0xFF, 0xFF, 0xFF),
            positive: OI_VERMILLION,
            negative: OI_BLUE,
            low_risk: OI_BLUISH_GREEN,
            high_risk: OI_VERMILLION,
            unclear_risk: OI_YELLOW,
            line_width: 2,
            font_scale: 1.0,
        }
    }
}

impl PlotStyle {
    /// The default style for `plotters-canvas`'s `CanvasBackend` (which, unlike the SVG backend,
    /// does not shrink font sizes by 1.24): the backend gets the sizes divided by 1.24, so the text
    /// renders at the same pixel size; the layout sizes are unchanged, so the layout is identical.
    pub fn for_canvas() -> Self {
        PlotStyle { font_scale: 1.0 / 1.24, ..PlotStyle::default() }
    }

    /// The size handed to the backend for layout size `size`.
    pub(crate) fn backend_size(&self, size: f64) -> f64 {
        let k = if self.font_scale.is_finite() && self.font_scale > 0.0 { self.font_scale } else { 1.0 };
        size * k
    }

    /// Colour of series `i` (cycles through the palette).
    pub fn series_colour(&self, i: usize) -> RGBColor {
        if self.palette.is_empty() {
            OI_BLUE
        } else {
            self.palette[i % self.palette.len()]
        }
    }

    /// A font of this style's family at layout size `size` (scaled by [`PlotStyle::font_scale`]).
    pub fn font(&self, size: f64) -> FontDesc<'_> {
        FontDesc::new(FontFamily::Name(&self.font_family), self.backend_size(size), FontStyle::Normal)
    }

    /// Text style: this family, `size`, the foreground colour, anchored at `(h, v)`.
    pub fn text(&self, size: f64, h: HPos, v: VPos) -> TextStyle<'_> {
        self.font(size).color(&self.foreground).pos(Pos::new(h, v))
    }

    /// Bold text style (titles, headers).
    pub fn bold(&self, size: f64, h: HPos, v: VPos) -> TextStyle<'_> {
        FontDesc::new(FontFamily::Name(&self.font_family), self.backend_size(size), FontStyle::Bold)
            .color(&self.foreground)
            .pos(Pos::new(h, v))
    }
}

/// The confidence level of a figure's intervals as its labels print it ("95%"); handed over by
/// `report::plots` from the analysis's own settings. Default "95%".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiLabel(pub String);

impl Default for CiLabel {
    fn default() -> Self {
        CiLabel("95%".to_string())
    }
}

impl std::fmt::Display for CiLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A drawing failed (backend error, or an area too small to draw in). Carries the message of
/// plotters' `DrawingAreaErrorKind` so that it does not depend on the backend type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotError {
    /// Human-readable cause.
    pub message: String,
}

impl PlotError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        PlotError { message: message.into() }
    }
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plot error: {}", self.message)
    }
}

impl std::error::Error for PlotError {}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        PlotError::new(e.to_string())
    }
}
