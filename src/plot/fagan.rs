//! Fagan's nomogram (METHODS §8.1, after midas `fagani`): three vertical axes — pre-test
//! probability, likelihood ratio, post-test probability — sharing one vertical coordinate u:
//! `u = −logit(p)` (pre-test), `u = ½ ln LR`, `u = logit(q)` (post-test), so that the straight
//! line from p through LR lands on `q = expit(logit p + ln LR)`.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    check_size, clip_segment, dashed_px, draw_frame, draw_legend, draw_shape, fmt_pct, fmt_sig, legend_size,
    text_height, text_width, wrap, Dash, LegendEntry, Marker, Shape,
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
    /// Position `u` of the pre-test probability on the pre-test axis (marked, and shown in the
    /// legend with the same marker); `None` when the probability is invalid.
    pub prior_u: Option<f64>,
}

/// Which tick labels of an axis to write (indices into `ticks`, `(pixel y, label)`): greedy from
/// the middle of the axis outwards — with `decades_first` the decade labels (1, 10, 0.01, …)
/// before the others — each kept only when it is at least `min_gap` pixels from every label
/// kept so far. A pure layout rule; every tick keeps its mark.
fn thin_labels(ticks: &[(i32, &str)], min_gap: i32, decades_first: bool) -> Vec<usize> {
    let decade = |s: &str| {
        decades_first
            && s.parse::<f64>().is_ok_and(|v| v > 0.0 && (v.log10() - v.log10().round()).abs() < 1e-9)
    };
    let (lo, hi) = ticks.iter().fold((i32::MAX, i32::MIN), |(lo, hi), t| (lo.min(t.0), hi.max(t.0)));
    let mid = (lo as i64 + hi as i64) / 2;
    let mut order: Vec<usize> = (0..ticks.len()).collect();
    order.sort_by_key(|&i| (!decade(ticks[i].1), (ticks[i].0 as i64 - mid).abs(), i));
    let mut kept: Vec<usize> = Vec::new();
    for i in order {
        if kept.iter().all(|&k| (ticks[k].0 - ticks[i].0).abs() >= min_gap) {
            kept.push(i);
        }
    }
    kept.sort_unstable();
    kept
}

/// The marker of the prior (pre-test probability) on its axis and in the legend.
const PRIOR_SHAPE: Shape = Shape::Square;
/// The post-test marks at the lines' ends.
const POST_SHAPE: Shape = Shape::Circle;

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
    let prior_marker = Marker::Point { shape: PRIOR_SHAPE, colour: style.foreground, filled: true };
    let entries = vec![
        LegendEntry::new(prior_marker, format!("Prior {}", fmt_pct(data.pretest))),
        LegendEntry::new(
            Marker::line(style.positive, lw, Dash::Solid),
            format!("LR+ {}, post-test {}", fmt_sig(data.lr_positive, 2), fmt_pct(q_pos)),
        ),
        LegendEntry::new(
            Marker::line(style.negative, lw, Dash::Dashed),
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

    // Axes and tick marks; then the lines; then the tick labels (thinned so that they never
    // overlap; the LR labels, which the lines cross, on a background box) and the prior marker.
    let axis = style.foreground.stroke_width(2);
    let thin = style.foreground.stroke_width(1);
    let min_gap = text_height(style.tick_size) + 3;
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
        for (u, _) in ticks {
            let y = y_of(*u);
            area.draw(&PathElement::new(vec![(*x, y), (*x + side * 7, y)], thin))?;
        }
    }

    // Lines from (−1, −logit p) to (+1, logit p + ln LR) (stats::fagan), clipped to |u| ≤ u_range.
    for (line, colour, dash) in
        [(data.lines[0], style.positive, Dash::Solid), (data.lines[1], style.negative, Dash::Dashed)]
    {
        let Some((start, end)) = line else {
            continue;
        };
        let (p0, p1) = ((start[0], start[1]), (end[0], end[1]));
        if let Some((a, b)) = clip_segment(p0, p1, (-1.0, 1.0), (-u_range, u_range)) {
            let pts = vec![(x_of(a.0), y_of(a.1)), (x_of(b.0), y_of(b.1))];
            let st = colour.stroke_width(lw);
            match dash.pattern() {
                Some(_) => dashed_px(area, pts, 10, 6, st)?,
                None => area.draw(&PathElement::new(pts, st))?,
            }
        }
    }

    for (x, ticks, side) in axes.iter() {
        let placed: Vec<(i32, &str)> = ticks.iter().map(|(u, s)| (y_of(*u), s.as_str())).collect();
        let anchor = if *side < 0 { HPos::Right } else { HPos::Left };
        let ts = style.text(style.tick_size, anchor, VPos::Center);
        let boxed = *x == xs[1];
        for i in thin_labels(&placed, min_gap, boxed) {
            let (y, label) = placed[i];
            if boxed {
                let tw = text_width(label, style.tick_size);
                let th = text_height(style.tick_size);
                area.draw(&Rectangle::new(
                    [(*x + 8, y - th / 2 - 2), (*x + 13 + tw, y + th / 2 + 2)],
                    style.background.filled(),
                ))?;
            }
            area.draw(&Text::new(label.to_string(), (*x + side * 10, y), ts.clone()))?;
        }
    }
    if let Some(u) = data.prior_u.filter(|u| u.is_finite() && u.abs() <= u_range) {
        draw_shape(area, PRIOR_SHAPE, (xs[0], y_of(u)), 7, style.foreground, true)?;
    }
    // Where each line meets the post-test axis: the post-test probability it reads off, marked in
    // the line's colour (a reader finds the value without following the line to its end).
    for (line, colour) in [(data.lines[0], style.positive), (data.lines[1], style.negative)] {
        if let Some((_, end)) = line.filter(|(_, e)| e[1].is_finite() && e[1].abs() <= u_range) {
            draw_shape(area, POST_SHAPE, (x_of(end[0]), y_of(end[1])), 6, colour, true)?;
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

#[cfg(test)]
mod tests {
    use super::thin_labels;

    #[test]
    fn lr_labels_keep_decades_and_a_gap() {
        // 1000, 500, 200, 100 … crowded at 8 px spacing, gap 15: decades win.
        let labels = ["1000", "500", "200", "100", "50", "20", "10"];
        let ticks: Vec<(i32, &str)> = labels.iter().enumerate().map(|(i, s)| (i as i32 * 8, *s)).collect();
        let kept: Vec<&str> = thin_labels(&ticks, 15, true).into_iter().map(|i| ticks[i].1).collect();
        assert!(kept.contains(&"1000") && kept.contains(&"100") && kept.contains(&"10"), "{kept:?}");
        assert!(!kept.contains(&"500"));
        for w in kept.windows(2) {
            let y = |s: &str| ticks.iter().find(|t| t.1 == s).map_or(0, |t| t.0);
            assert!((y(w[1]) - y(w[0])).abs() >= 15);
        }
    }
}
