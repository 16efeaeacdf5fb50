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
use crate::stats::fagan::{nomogram_axes, nomogram_line, post_test_probability, U_RANGE};

/// Numbers shown on the nomogram; probabilities in (0, 1).
#[derive(Debug, Clone, Copy, PartialEq)]
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
}

/// One nomogram axis: pixel x, ticks `(u, label)`, side of the labels (−1 left, +1 right).
type Axis = (i32, Vec<(f64, String)>, i32);

fn valid_prob(p: f64) -> bool {
    p.is_finite() && p > 0.0 && p < 1.0
}

fn valid_lr(lr: f64) -> bool {
    lr.is_finite() && lr > 0.0
}

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
    let post = |q: f64, lr: f64| -> f64 {
        if q.is_finite() {
            q
        } else {
            post_test_probability(data.pretest, lr).unwrap_or(f64::NAN)
        }
    };
    let q_pos = post(data.post_positive, data.lr_positive);
    let q_neg = post(data.post_negative, data.lr_negative);
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
    let scale = (y_bot - y_top) as f64 / (2.0 * U_RANGE);
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
    let axes: Vec<Axis> = nomogram_axes()
        .iter()
        .zip(xs)
        .map(|(a, x)| {
            let side = if a.x < 0.0 { -1 } else { 1 };
            (x, a.ticks.iter().map(|t| (t.u, t.label.clone())).collect(), side)
        })
        .collect();
    for (x, ticks, side) in axes.iter() {
        area.draw(&PathElement::new(vec![(*x, y_of(U_RANGE)), (*x, y_of(-U_RANGE))], axis))?;
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

    // Lines from (−1, −logit p) to (+1, logit p + ln LR) (stats::fagan), clipped to |u| ≤ U_RANGE.
    if valid_prob(data.pretest) {
        for (lr, colour, dashed) in
            [(data.lr_positive, style.positive, false), (data.lr_negative, style.negative, true)]
        {
            if !valid_lr(lr) {
                continue;
            }
            let l = nomogram_line(data.pretest, lr);
            let (p0, p1) = ((l.start[0], l.start[1]), (l.end[0], l.end[1]));
            if let Some((a, b)) = clip_segment(p0, p1, (-1.0, 1.0), (-U_RANGE, U_RANGE)) {
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
