//! Small drawing and formatting helpers shared by the plots (pixel geometry, clipping, number
//! formatting, legends). Nothing here is statistical.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::style::{PlotError, PlotStyle};

/// A pixel position relative to the drawing area's top-left corner.
pub(crate) type Px = (i32, i32);

/// Rough width of `s` in pixels at plotters font size `size` (rendered by SVG at size/1.24 px;
/// sans-serif average advance ≈ 0.55 em). Used only for layout decisions (column widths,
/// legend boxes); the backend renders the text.
pub(crate) fn text_width(s: &str, size: f64) -> i32 {
    (s.chars().count() as f64 * size / 1.24 * 0.55).ceil() as i32
}

/// Rendered height in pixels of a line of text at plotters font size `size`.
pub(crate) fn text_height(size: f64) -> i32 {
    (size / 1.24).ceil() as i32
}

/// Split a header in two lines at the space nearest its middle when it is wider than `max_w`; a
/// name without spaces (`applicability_patients`) breaks after a `_`, `-` or `/`, which stays on
/// the first line.
pub(crate) fn wrap(name: &str, size: f64, max_w: i32) -> Vec<String> {
    if text_width(name, size) <= max_w {
        return vec![name.to_string()];
    }
    let mid = name.chars().count() as i64 / 2;
    let nearest = |pred: fn(char) -> bool, after: usize| {
        name.char_indices()
            .filter(|(_, c)| pred(*c))
            .map(|(i, _)| i + after)
            .min_by_key(|i| (name[..*i].chars().count() as i64 - mid).abs())
    };
    if let Some(i) = nearest(|c| c == ' ', 0) {
        return vec![name[..i].to_string(), name[i + 1..].to_string()];
    }
    match nearest(|c| matches!(c, '_' | '-' | '/'), 1) {
        Some(i) if i < name.len() => vec![name[..i].to_string(), name[i..].to_string()],
        _ => vec![name.to_string()],
    }
}

/// Minimum and maximum of the finite values, if any.
pub(crate) fn finite_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values.into_iter().filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Pad a data range by `frac` of its width on both sides; a missing range becomes `default`,
/// a degenerate one (zero width) is widened to ±0.5 (or ±10 % of the value).
pub(crate) fn pad_range(range: Option<(f64, f64)>, frac: f64, default: (f64, f64)) -> (f64, f64) {
    match range {
        None => default,
        Some((lo, hi)) => {
            let w = hi - lo;
            if w.is_nan() || w <= 1e-12 * lo.abs().max(hi.abs()).max(1.0) {
                let half = (0.1 * lo.abs()).max(0.5);
                (lo - half, hi + half)
            } else {
                (lo - frac * w, hi + frac * w)
            }
        }
    }
}

/// Fixed decimals; "NA" for a non-finite value; never "-0.00".
pub(crate) fn fmt_dec(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "NA".to_string();
    }
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// "0.84 [0.72, 0.92]".
pub(crate) fn fmt_ci((est, lo, hi): (f64, f64, f64), decimals: usize) -> String {
    if !est.is_finite() {
        return "NA".to_string();
    }
    if !lo.is_finite() || !hi.is_finite() {
        return fmt_dec(est, decimals);
    }
    format!("{} [{}, {}]", fmt_dec(est, decimals), fmt_dec(lo, decimals), fmt_dec(hi, decimals))
}

/// `sig` significant digits, but never scientific notation and at least the integer part
/// (4.6, 0.24, 38, 516).
pub(crate) fn fmt_sig(x: f64, sig: usize) -> String {
    if !x.is_finite() {
        return "NA".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let mag = x.abs().log10().floor() as i32;
    let decimals = (sig as i32 - 1 - mag).max(0) as usize;
    fmt_dec(x, decimals)
}

/// "p = 0.031", "p < 0.001", "p = NA".
pub(crate) fn fmt_p(p: f64) -> String {
    if !p.is_finite() {
        "p = NA".to_string()
    } else if p < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {}", fmt_dec(p, 3))
    }
}

/// A probability as a percentage: "40%", "0.5%", "99.5%".
pub(crate) fn fmt_pct(p: f64) -> String {
    if !p.is_finite() {
        return "NA".to_string();
    }
    let v = 100.0 * p;
    if v.round() >= 1.0 && v.round() <= 99.0 {
        format!("{}%", fmt_dec(v, 0))
    } else {
        format!("{}%", trim_num(&fmt_dec(v, 1)))
    }
}

/// Drop trailing zeros of a decimal string ("10.0" → "10", "0.50" → "0.5").
pub(crate) fn trim_num(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// A tick label for a value on a log axis (0.001 … 1000), without trailing zeros.
pub(crate) fn fmt_tick(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let a = v.abs();
    let decimals = if a >= 1.0 || a == 0.0 { 0 } else { (-a.log10().floor()) as usize + 1 };
    trim_num(&fmt_dec(v, decimals.min(6)))
}

/// Tick positions (as log10 values) for a log axis spanning log10 values `lo..=hi`: the powers
/// of ten, plus 2× and 5× multiples when fewer than two powers fall in the range.
pub(crate) fn log10_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || hi - lo > 40.0 {
        return Vec::new();
    }
    let decades: Vec<f64> = ((lo.ceil() as i64)..=(hi.floor() as i64)).map(|k| k as f64).collect();
    if decades.len() >= 2 {
        return decades;
    }
    let mut t = Vec::new();
    for k in (lo.floor() as i64)..=(hi.ceil() as i64) {
        for m in [1.0_f64, 2.0, 5.0] {
            let v = k as f64 + m.log10();
            if v >= lo - 1e-12 && v <= hi + 1e-12 {
                t.push(v);
            }
        }
    }
    t
}

/// Clip segment `a`–`b` to the rectangle `x ∈ xr`, `y ∈ yr` (Liang–Barsky).
pub(crate) fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    xr: (f64, f64),
    yr: (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    if ![a.0, a.1, b.0, b.1].iter().all(|v| v.is_finite()) {
        return None;
    }
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0: f64 = 0.0;
    let mut t1: f64 = 1.0;
    for (p, q) in [(-dx, a.0 - xr.0), (dx, xr.1 - a.0), (-dy, a.1 - yr.0), (dy, yr.1 - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    Some(((a.0 + t0 * dx, a.1 + t0 * dy), (a.0 + t1 * dx, a.1 + t1 * dy)))
}

/// Clip a polyline to a rectangle: the visible runs (non-finite vertices break the line).
pub(crate) fn clip_polyline(points: &[(f64, f64)], xr: (f64, f64), yr: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for w in points.windows(2) {
        match clip_segment(w[0], w[1], xr, yr) {
            Some((s, e)) => {
                let continues = current.last().is_some_and(|&l| l == s);
                if !continues {
                    if current.len() >= 2 {
                        runs.push(std::mem::take(&mut current));
                    }
                    current.clear();
                    current.push(s);
                }
                current.push(e);
            }
            None => {
                if current.len() >= 2 {
                    runs.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() >= 2 {
        runs.push(current);
    }
    runs
}

/// A closed copy of a polygon outline (first vertex repeated at the end), non-finite
/// vertices removed.
pub(crate) fn closed(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> =
        points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
    if v.len() >= 3 && v.first() != v.last() {
        if let Some(&f) = v.first() {
            v.push(f);
        }
    }
    v
}

/// Vertices of a diamond centred at `c` with half-width `rx` and half-height `ry`.
pub(crate) fn diamond_px(c: Px, rx: i32, ry: i32) -> Vec<Px> {
    vec![(c.0, c.1 - ry), (c.0 + rx, c.1), (c.0, c.1 + ry), (c.0 - rx, c.1)]
}

/// Draw a dashed pixel path.
pub(crate) fn dashed_px<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: Vec<Px>,
    dash: i32,
    gap: i32,
    style: ShapeStyle,
) -> Result<(), PlotError> {
    area.draw(&DashedPathElement::new(points, dash, gap, style))?;
    Ok(())
}

/// Fill the background and draw the title centred at the top; returns the y pixel just below it.
pub(crate) fn draw_frame<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    style: &PlotStyle,
) -> Result<i32, PlotError> {
    area.fill(&style.background)?;
    let (w, _) = area.dim_in_pixel();
    let top = 10;
    if title.is_empty() {
        return Ok(top);
    }
    // A title wider than the figure (a narrow canvas) wraps onto more lines (bold: 10 % wider).
    let lines = wrap(title, style.title_size * 1.1, (w as i32 - 20).max(50));
    let line_h = text_height(style.title_size) + 2;
    for (k, line) in lines.iter().enumerate() {
        area.draw(&Text::new(
            line.clone(),
            ((w / 2) as i32, top + k as i32 * line_h),
            style.bold(style.title_size, HPos::Center, VPos::Top),
        ))?;
    }
    Ok(top + lines.len().max(1) as i32 * line_h + 16)
}

/// Check that an area is large enough to draw in.
pub(crate) fn check_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    min_w: u32,
    min_h: u32,
) -> Result<(u32, u32), PlotError> {
    let (w, h) = area.dim_in_pixel();
    if w < min_w || h < min_h {
        return Err(PlotError::new(format!(
            "drawing area {w}×{h} px is too small (need at least {min_w}×{min_h})"
        )));
    }
    Ok((w, h))
}

/// Line pattern of a data line and of its legend sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dash {
    Solid,
    /// Long dashes (7 on, 5 off).
    Dashed,
    /// Dots (2 on, 4 off; with a line width of 2 they read as dots).
    Dotted,
}

impl Dash {
    /// `(on, off)` pixels, `None` for a solid line.
    pub(crate) fn pattern(self) -> Option<(i32, i32)> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some((7, 5)),
            Dash::Dotted => Some((2, 4)),
        }
    }
}

/// A point marker shape; subgroups get one shape each (greyscale-safe: shape, not only colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
    TriangleDown,
    Cross,
}

/// The marker shape of subgroup `i`.
pub(crate) fn series_shape(i: usize) -> Shape {
    const SHAPES: [Shape; 6] =
        [Shape::Circle, Shape::Square, Shape::Triangle, Shape::Diamond, Shape::TriangleDown, Shape::Cross];
    SHAPES[i % SHAPES.len()]
}

/// Draw marker `shape` centred at pixel `c` with "radius" `r`, outlined (width 2) or filled.
pub(crate) fn draw_shape<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    shape: Shape,
    c: Px,
    r: i32,
    colour: RGBColor,
    filled: bool,
) -> Result<(), PlotError> {
    let r = r.max(2);
    let st = if filled { colour.filled() } else { colour.stroke_width(2) };
    let poly = |pts: Vec<Px>| -> Result<(), PlotError> {
        if filled {
            area.draw(&Polygon::new(pts, st))?;
        } else {
            let mut p = pts;
            if let Some(&f) = p.first() {
                p.push(f);
            }
            area.draw(&PathElement::new(p, st))?;
        }
        Ok(())
    };
    match shape {
        Shape::Circle => area.draw(&Circle::new(c, r, st))?,
        Shape::Square => {
            let a = (r as f64 * 0.85).round() as i32;
            poly(vec![(c.0 - a, c.1 - a), (c.0 + a, c.1 - a), (c.0 + a, c.1 + a), (c.0 - a, c.1 + a)])?
        }
        Shape::Triangle => {
            let (dx, dy) = ((r as f64 * 1.0).round() as i32, (r as f64 * 0.6).round() as i32);
            poly(vec![(c.0, c.1 - r - 1), (c.0 + dx + 1, c.1 + dy + 1), (c.0 - dx - 1, c.1 + dy + 1)])?
        }
        Shape::TriangleDown => {
            let (dx, dy) = ((r as f64 * 1.0).round() as i32, (r as f64 * 0.6).round() as i32);
            poly(vec![(c.0, c.1 + r + 1), (c.0 + dx + 1, c.1 - dy - 1), (c.0 - dx - 1, c.1 - dy - 1)])?
        }
        Shape::Diamond => poly(diamond_px(c, r + 1, r + 1))?,
        Shape::Cross => {
            let st = colour.stroke_width(if filled { 3 } else { 2 });
            area.draw(&PathElement::new(vec![(c.0 - r, c.1 - r), (c.0 + r, c.1 + r)], st))?;
            area.draw(&PathElement::new(vec![(c.0 - r, c.1 + r), (c.0 + r, c.1 - r)], st))?;
        }
    }
    Ok(())
}

/// Subgroup membership of a scatter plot's points (Deeks, Doi, LR scattergram): each group is
/// drawn in its own colour **and** marker shape, with one legend entry per group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PointGroups {
    /// Legend text per group, in order, e.g. "CT (k = 17)".
    pub names: Vec<String>,
    /// Group index of each point, in the order of the plot's points; empty = no subgroups.
    pub of_point: Vec<usize>,
}

impl PointGroups {
    /// Whether there are groups to show.
    pub fn is_grouped(&self) -> bool {
        !self.names.is_empty() && !self.of_point.is_empty()
    }

    /// Marker shape and colour of point `i`: its group's, or `default` without groups.
    pub(crate) fn marker(
        &self,
        i: usize,
        default: (Shape, RGBColor),
        style: &PlotStyle,
    ) -> (Shape, RGBColor) {
        match self.of_point.get(i).filter(|g| self.is_grouped() && **g < self.names.len()) {
            Some(&g) => (series_shape(g), style.series_colour(g)),
            None => default,
        }
    }

    /// One legend entry per group (hollow marker in the group's shape and colour).
    pub(crate) fn legend(&self, style: &PlotStyle) -> Vec<LegendEntry> {
        if !self.is_grouped() {
            return Vec::new();
        }
        self.names
            .iter()
            .enumerate()
            .map(|(g, n)| {
                LegendEntry::new(
                    Marker::Point { shape: series_shape(g), colour: style.series_colour(g), filled: false },
                    n.clone(),
                )
            })
            .collect()
    }
}

/// The marker shown in front of a legend entry.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Marker {
    /// A line sample.
    Line { colour: RGBColor, width: u32, dash: Dash },
    /// A point marker (outlined or filled).
    Point { shape: Shape, colour: RGBColor, filled: bool },
    /// A translucent filled patch with a thin outline (a confidence region).
    Patch(RGBColor),
    /// An outlined rectangle, taller than wide (RevMan's study marker in ROC space).
    Rect(RGBColor),
}

impl Marker {
    /// An unfilled circle (study point).
    pub(crate) fn hollow_circle(colour: RGBColor) -> Marker {
        Marker::Point { shape: Shape::Circle, colour, filled: false }
    }
    /// A filled circle.
    pub(crate) fn filled_circle(colour: RGBColor) -> Marker {
        Marker::Point { shape: Shape::Circle, colour, filled: true }
    }
    /// A filled diamond (summary point).
    pub(crate) fn diamond(colour: RGBColor) -> Marker {
        Marker::Point { shape: Shape::Diamond, colour, filled: true }
    }
    /// A solid or dashed line sample.
    pub(crate) fn line(colour: RGBColor, width: u32, dash: Dash) -> Marker {
        Marker::Line { colour, width, dash }
    }
}

/// One legend line.
#[derive(Debug, Clone)]
pub(crate) struct LegendEntry {
    pub marker: Marker,
    pub text: String,
}

impl LegendEntry {
    pub(crate) fn new(marker: Marker, text: impl Into<String>) -> Self {
        LegendEntry { marker, text: text.into() }
    }
}

const LEGEND_PAD: i32 = 8;
const LEGEND_SAMPLE: i32 = 28;

fn legend_line_height(style: &PlotStyle) -> i32 {
    (text_height(style.text_size) as f64 * 1.7).ceil() as i32
}

fn legend_column_width(entries: &[LegendEntry], style: &PlotStyle) -> i32 {
    let tw = entries.iter().map(|e| text_width(&e.text, style.text_size)).max().unwrap_or(0);
    tw + LEGEND_SAMPLE + 3 * LEGEND_PAD
}

/// Width and height in pixels of the legend box for `entries` (one column).
pub(crate) fn legend_size(entries: &[LegendEntry], style: &PlotStyle) -> (i32, i32) {
    legend_grid_size(entries, 1, style)
}

/// Width and height of a legend box of `entries` in `cols` columns (filled column by column,
/// each column as wide as its own widest entry).
pub(crate) fn legend_grid_size(entries: &[LegendEntry], cols: usize, style: &PlotStyle) -> (i32, i32) {
    let cols = cols.clamp(1, entries.len().max(1));
    let rows = entries.len().div_ceil(cols).max(1);
    let w: i32 = entries.chunks(rows).map(|c| legend_column_width(c, style)).sum();
    let w = if entries.is_empty() { legend_column_width(entries, style) } else { w };
    (w, rows as i32 * legend_line_height(style) + LEGEND_PAD)
}

/// The most columns (at most `max_cols`) in which `entries` fit into `max_w` pixels (at least 1).
pub(crate) fn legend_columns_for(
    entries: &[LegendEntry],
    max_w: i32,
    max_cols: usize,
    style: &PlotStyle,
) -> usize {
    (1..=max_cols.max(1)).rev().find(|&c| legend_grid_size(entries, c, style).0 <= max_w).unwrap_or(1)
}

/// Draw a legend box with its top-left corner at `at`.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: Px,
    entries: &[LegendEntry],
    style: &PlotStyle,
) -> Result<(), PlotError> {
    draw_legend_grid(area, at, entries, 1, style)
}

/// Draw a legend box of `entries` in `cols` columns with its top-left corner at `at`.
pub(crate) fn draw_legend_grid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: Px,
    entries: &[LegendEntry],
    cols: usize,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    if entries.is_empty() {
        return Ok(());
    }
    let cols = cols.clamp(1, entries.len());
    let (w, h) = legend_grid_size(entries, cols, style);
    area.draw(&Rectangle::new([at, (at.0 + w, at.1 + h)], style.background.mix(0.9).filled()))?;
    area.draw(&Rectangle::new([at, (at.0 + w, at.1 + h)], style.grid.mix(1.0).stroke_width(1)))?;
    let rows = entries.len().div_ceil(cols);
    let mut x = at.0;
    for chunk in entries.chunks(rows) {
        draw_legend_entries_unboxed(area, (x, at.1), chunk, style)?;
        x += legend_column_width(chunk, style);
    }
    Ok(())
}

/// Draw legend entries one per line, without a box, starting at `at`.
pub(crate) fn draw_legend_entries_unboxed<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: Px,
    entries: &[LegendEntry],
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let lh = legend_line_height(style);
    for (i, e) in entries.iter().enumerate() {
        let cy = at.1 + LEGEND_PAD / 2 + lh * i as i32 + lh / 2;
        let x0 = at.0 + LEGEND_PAD;
        let cx = x0 + LEGEND_SAMPLE / 2;
        match e.marker {
            Marker::Line { colour, width, dash } => {
                let pts = vec![(x0, cy), (x0 + LEGEND_SAMPLE, cy)];
                match dash.pattern() {
                    Some((on, off)) => dashed_px(area, pts, on, off, colour.stroke_width(width))?,
                    None => area.draw(&PathElement::new(pts, colour.stroke_width(width)))?,
                }
            }
            Marker::Point { shape, colour, filled } => {
                draw_shape(area, shape, (cx, cy), if filled { 6 } else { 5 }, colour, filled)?;
            }
            Marker::Patch(c) => {
                let r = [(x0 + 2, cy - 6), (x0 + LEGEND_SAMPLE - 2, cy + 6)];
                area.draw(&Rectangle::new(r, c.mix(REGION_ALPHA).filled()))?;
                area.draw(&Rectangle::new(r, c.stroke_width(1)))?;
            }
            Marker::Rect(c) => {
                let r = [(cx - 4, cy - 6), (cx + 4, cy + 6)];
                area.draw(&Rectangle::new(r, c.stroke_width(2)))?;
            }
        }
        area.draw(&Text::new(
            e.text.clone(),
            (x0 + LEGEND_SAMPLE + LEGEND_PAD, cy),
            style.text(style.text_size, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(())
}

/// Opacity of a filled confidence region (and of its legend patch).
pub(crate) const REGION_ALPHA: f64 = 0.14;

/// Width of a one-line (horizontal) legend.
pub(crate) fn legend_row_width(entries: &[LegendEntry], style: &PlotStyle) -> i32 {
    entries
        .iter()
        .map(|e| LEGEND_SAMPLE + LEGEND_PAD + text_width(&e.text, style.text_size) + 3 * LEGEND_PAD)
        .sum()
}

/// Draw a one-line legend (entries side by side) centred on `centre`.
pub(crate) fn draw_legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    centre: Px,
    entries: &[LegendEntry],
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let mut x = centre.0 - legend_row_width(entries, style) / 2;
    let (_, h) = legend_size(&entries[..entries.len().min(1)], style);
    for e in entries {
        draw_legend_entries_unboxed(area, (x, centre.1 - h / 2), std::slice::from_ref(e), style)?;
        x += LEGEND_SAMPLE + LEGEND_PAD + text_width(&e.text, style.text_size) + 3 * LEGEND_PAD;
    }
    Ok(())
}

/// Clip a polygon to the rectangle `xr` × `yr` (Sutherland–Hodgman); non-finite vertices are
/// dropped first. Returns the clipped outline (possibly empty).
pub(crate) fn clip_polygon(points: &[(f64, f64)], xr: (f64, f64), yr: (f64, f64)) -> Vec<(f64, f64)> {
    let mut poly: Vec<(f64, f64)> =
        points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
    if poly.len() >= 2 && poly.first() == poly.last() {
        poly.pop();
    }
    // Each edge: inside test and intersection with the boundary.
    type Inside = fn((f64, f64), f64) -> bool;
    let edges: [(Inside, f64, bool); 4] = [
        (|p, v| p.0 >= v, xr.0, true),
        (|p, v| p.0 <= v, xr.1, true),
        (|p, v| p.1 >= v, yr.0, false),
        (|p, v| p.1 <= v, yr.1, false),
    ];
    for (inside, v, vertical) in edges {
        if poly.len() < 3 {
            return Vec::new();
        }
        let cut = |a: (f64, f64), b: (f64, f64)| -> (f64, f64) {
            if vertical {
                let t = (v - a.0) / (b.0 - a.0);
                (v, a.1 + t * (b.1 - a.1))
            } else {
                let t = (v - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), v)
            }
        };
        let mut out = Vec::with_capacity(poly.len() + 4);
        for i in 0..poly.len() {
            let cur = poly[i];
            let prev = poly[(i + poly.len() - 1) % poly.len()];
            match (inside(cur, v), inside(prev, v)) {
                (true, true) => out.push(cur),
                (true, false) => {
                    out.push(cut(prev, cur));
                    out.push(cur);
                }
                (false, true) => out.push(cut(prev, cur)),
                (false, false) => {}
            }
        }
        poly = out;
    }
    if poly.len() < 3 {
        Vec::new()
    } else {
        poly
    }
}

/// Draw a polyline in data coordinates, clipped to the plotting range `xr` × `yr`;
/// non-finite vertices break the line.
pub(crate) fn chart_polyline<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    points: &[(f64, f64)],
    style: ShapeStyle,
    dash: Dash,
) -> Result<(), PlotError>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let xr = chart.x_range();
    let yr = chart.y_range();
    for run in clip_polyline(points, (xr.start, xr.end), (yr.start, yr.end)) {
        match dash.pattern() {
            Some((on, off)) => {
                chart.draw_series(DashedLineSeries::new(run, on as u32, off as u32, style))?;
            }
            None => {
                chart.draw_series(LineSeries::new(run, style))?;
            }
        }
    }
    Ok(())
}

/// Pixel position (relative to `area`) of a chart's data point.
pub(crate) fn chart_px<'a, DB, X, Y>(
    chart: &ChartContext<'a, DB, Cartesian2d<X, Y>>,
    area: &DrawingArea<DB, Shift>,
    p: (f64, f64),
) -> Px
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let (x, y) = chart.backend_coord(&p);
    let base = area.get_base_pixel();
    (x - base.0, y - base.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(fmt_ci((0.8393, 0.7167, 0.9238), 2), "0.84 [0.72, 0.92]");
        assert_eq!(fmt_p(0.0312), "p = 0.031");
        assert_eq!(fmt_p(0.0001), "p < 0.001");
        assert_eq!(fmt_sig(4.6, 2), "4.6");
        assert_eq!(fmt_sig(0.2401, 2), "0.24");
        assert_eq!(fmt_sig(38.2, 2), "38");
        assert_eq!(fmt_pct(0.4), "40%");
        assert_eq!(fmt_pct(0.995), "99.5%");
        assert_eq!(fmt_tick(0.001), "0.001");
        assert_eq!(fmt_tick(1000.0), "1000");
        assert_eq!(fmt_dec(-0.0001, 2), "0.00");
    }

    #[test]
    fn clipping() {
        let r = clip_segment((-1.0, 0.5), (2.0, 0.5), (0.0, 1.0), (0.0, 1.0));
        assert_eq!(r, Some(((0.0, 0.5), (1.0, 0.5))));
        assert!(clip_segment((2.0, 2.0), (3.0, 3.0), (0.0, 1.0), (0.0, 1.0)).is_none());
        let runs = clip_polyline(
            &[(0.1, 0.1), (0.5, 0.5), (f64::NAN, 0.0), (0.2, 0.2), (0.3, 0.3)],
            (0.0, 1.0),
            (0.0, 1.0),
        );
        assert_eq!(runs.len(), 2);
        let sq = [(-1.0, -1.0), (2.0, -1.0), (2.0, 2.0), (-1.0, 2.0)];
        let c = clip_polygon(&sq, (0.0, 1.0), (0.0, 1.0));
        assert_eq!(c.len(), 4);
        assert!(c.iter().all(|p| (0.0..=1.0).contains(&p.0) && (0.0..=1.0).contains(&p.1)));
        assert!(clip_polygon(&sq, (5.0, 6.0), (0.0, 1.0)).is_empty());
    }

    #[test]
    fn ranges() {
        assert_eq!(pad_range(None, 0.1, (0.0, 1.0)), (0.0, 1.0));
        let (lo, hi) = pad_range(Some((2.0, 2.0)), 0.1, (0.0, 1.0));
        assert!(lo < 2.0 && hi > 2.0);
        assert_eq!(log10_ticks(-2.0, 2.0), vec![-2.0, -1.0, 0.0, 1.0, 2.0]);
        assert_eq!(log10_ticks(0.1, 0.9).len(), 2);
    }
}
