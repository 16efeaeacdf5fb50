//! Fagan's nomogram (METHODS §8.1, after midas `fagani`): three vertical axes — pre-test
//! probability, likelihood ratio, post-test probability — sharing one vertical coordinate u:
//! `u = −logit(p)` (pre-test), `u = ½ ln LR`, `u = logit(q)` (post-test), so that the straight
//! line from p through LR lands on `q = expit(logit p + ln LR)`.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    check_size, clip_segment, dashed_px, draw_frame, draw_legend, fmt_pct, fmt_sig, legend_size, text_height,
    wrap, LegendEntry, Marker,
};
use super::style::{PlotError, PlotStyle};

/// One nomogram axis as drawn: its position (−1 pre-test, 0 likelihood ratio, +1 post-test) and
/// its ticks `(u, label)` on the shared vertical coordinate.
#[derive(Debug, Clone, PartialEq)]
pub struct NomogramAxisData {
    pub x: f64,
    pub ticks: Vec<(f64, String)>,
}

/// Numbers shown on the nomogram, and its geometry (computed once, by `stats::fagan`, and handed
/// over by `report::plots::fagan_figure`); probabilities in (0, 1).
#[derive(Debug, Clone, PartialEq)]
pub struct FaganData {
    /// Pre-test probability.
    pub pretest: f64,
    /// Positive likelihood ratio.
    pub lr_positive: f64,
    /// Negative likelihood ratio.
    pub lr_negative: f64,
    /// Post-test probability after a positive test (printed; if not finite it is computed).
    pub post_positive: f64,
    /// Post-test probability after a negative test.
    pub post_negative: f64,
    /// The drawn range of the vertical coordinate: `|u| ≤ u_range`.
    pub u_range: f64,
    /// The three axes.
    pub axes: Vec<NomogramAxisData>,
    /// The LR+ and LR− lines from the pre-test to the post-test axis, `([x, u], [x, u])`; `None`
    /// when not drawable (invalid probability or LR).
    pub lines: [Option<([f64; 2], [f64; 2])>; 2],
}

/// One nomogram axis: pixel x, ticks `(u, label)`, side of the labels (−1 left, +1 right).
type Axis = (i32, Vec<(f64, String)>, i32);

/// Draw Fagan's nomogram. Invalid inputs (probability outside (0, 1), LR ≤ 0 or not finite)
/// leave out the corresponding line and print "NA".
pub fn draw_fagan<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &FaganData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (w, h) = check_size(area, 300, 300)?;
    let (w, h) = (w as i32, h as i32);
    let top = draw_frame(area, "Fagan's nomogram", style)?;

    // Legend.
    let (q_pos, q_neg) = (data.post_positive, data.post_negative);
    let u_range = data.u_range;
    let lw = style.line_width.max(2);
    let entries = vec![
        LegendEntry::new(Marker::None, format!("Prior {}", fmt_pct(data.pretest))),
        LegendEntry::new(
            Marker::Line { colour: style.positive, width: lw, dashed: false },
            format!("LR+ {}, post-test {}", fmt_sig(data.lr_positive, 2), fmt_pct(q_pos)),
        ),
        LegendEntry::new(
            Marker::Line { colour: style.negative, width: lw, dashed: true },
            format!("LR− {}, post-test {}", fmt_sig(data.lr_negative, 2), fmt_pct(q_neg)),
        ),
    ];
    let (legw, legh) = legend_size(&entries, style);

    // Geometry: legend to the right when there is room, else below.
    let legend_right = w >= 3 * legw + 60;
    let xs = if legend_right {
        let right = w - legw - 20;
        [right * 22 / 100, right * 52 / 100, right * 82 / 100]
    } else {
        [w / 4, w / 2, 3 * w / 4]
    };
    let title_y = top;
    const HEADERS: [&str; 3] = ["Pre-test probability (%)", "Likelihood ratio", "Post-test probability (%)"];
    let spacing = xs[1] - xs[0] + 12;
    let header_lines =
        HEADERS.iter().map(|t| wrap(t, style.label_size, spacing).len() as i32).max().unwrap_or(1);
    let y_top = title_y + header_lines * (text_height(style.label_size) + 2) + 18;
    let y_bot = if legend_right { h - 20 } else { h - legh - 24 }.max(y_top + 50);
    let y_mid = (y_top + y_bot) as f64 / 2.0;
    let scale = (y_bot - y_top) as f64 / (2.0 * u_range);
    let y_of = |u: f64| -> i32 { (y_mid - u * scale).round() as i32 };
    let x_of = |x: f64| -> i32 { (xs[1] as f64 + x * (xs[2] - xs[1]) as f64).round() as i32 };

    // Axis titles.
    let hdr = style.bold(style.label_size, HPos::Center, VPos::Top);
    for (x, t) in xs.iter().zip(HEADERS) {
        let lines = wrap(t, style.label_size, spacing);
        for (k, line) in lines.into_iter().enumerate() {
            let y = title_y + k as i32 * (text_height(style.label_size) + 2);
            area.draw(&Text::new(line, (*x, y), hdr.clone()))?;
        }
    }

    // Axes and ticks; labels thinned so that they never overlap.
    let axis = style.foreground.stroke_width(2);
    let thin = style.foreground.stroke_width(1);
    let min_gap = (text_height(style.tick_size) as f64 * 0.85).round() as i32;
    // The geometry (tick positions u and labels) is stats::fagan's; this only places it.
    let axes: Vec<Axis> = data
        .axes
        .iter()
        .zip(xs)
        .map(|(a, x)| {
            let side = if a.x < 0.0 { -1 } else { 1 };
            (x, a.ticks.clone(), side)
        })
        .collect();
    for (x, ticks, side) in axes.iter() {
        area.draw(&PathElement::new(vec![(*x, y_of(u_range)), (*x, y_of(-u_range))], axis))?;
        let mut sorted: Vec<(i32, &String)> = ticks.iter().map(|(u, s)| (y_of(*u), s)).collect();
        sorted.sort_by_key(|t| t.0);
        let mut last: Option<i32> = None;
        let anchor = if *side < 0 { HPos::Right } else { HPos::Left };
        let ts = style.text(style.tick_size, anchor, VPos::Center);
        for (y, label) in sorted {
            area.draw(&PathElement::new(vec![(*x, y), (*x + side * 7, y)], thin))?;
            if last.is_none_or(|l| y - l >= min_gap) {
                if *x == xs[1] {
                    // The LR labels sit where the lines cross: give them a background.
                    let tw = super::common::text_width(label, style.tick_size);
                    let th = text_height(style.tick_size);
                    area.draw(&Rectangle::new(
                        [(*x + 8, y - th / 2), (*x + 12 + tw, y + th / 2)],
                        style.background.mix(0.85).filled(),
                    ))?;
                }
                area.draw(&Text::new(label.clone(), (*x + side * 10, y), ts.clone()))?;
                last = Some(y);
            }
        }
    }

    // Lines from (−1, −logit p) to (+1, logit p + ln LR) (stats::fagan), clipped to |u| ≤ u_range.
    {
        for (line, colour, dashed) in
            [(data.lines[0], style.positive, false), (data.lines[1], style.negative, true)]
        {
            let Some((start, end)) = line else {
                continue;
            };
            let (p0, p1) = ((start[0], start[1]), (end[0], end[1]));
            if let Some((a, b)) = clip_segment(p0, p1, (-1.0, 1.0), (-u_range, u_range)) {
                let pts = vec![(x_of(a.0), y_of(a.1)), (x_of(b.0), y_of(b.1))];
                let st = colour.stroke_width(lw);
                if dashed {
                    dashed_px(area, pts, 10, 6, st)?;
                } else {
                    area.draw(&PathElement::new(pts, st))?;
                }
            }
        }
    }

    let at = if legend_right {
        (w - legw - 10, (y_top + y_bot) / 2 - legh / 2)
    } else {
        ((w - legw) / 2, h - legh - 10)
    };
    draw_legend(area, at, &entries, style)?;
    Ok(())
}
