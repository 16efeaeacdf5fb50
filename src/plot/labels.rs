//! Deterministic placement of study labels next to points (Deeks, LR scattergram).
//!
//! [`place_labels`] is a pure function of pixel positions, texts and the layout font size: it
//! measures text with [`text_width`] (a fixed per-character estimate, never the backend's font
//! metrics), so the SVG export and the page's canvas place every label identically. Greedy, in
//! priority order: for each label, candidate boxes around its point (8 directions, then rings
//! farther out joined by a leader line) are tried in a fixed order, and the first box that stays
//! inside the frame and clears the labels already placed, every point, the given rectangles
//! (legend, annotations) and line segments (regression, reference lines) wins.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{clip_segment, text_height, text_width, Px};
use super::style::{PlotError, PlotStyle};

/// Which points of a scatter plot get a study label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelMode {
    /// No labels.
    Off,
    /// Only the (at most) `n` most outlying points — for Deeks the largest distance from the
    /// regression line, for the LR scattergram the farthest from the summary point. A label
    /// that finds no free place is dropped. Default, with `n = 5`.
    Outliers(usize),
    /// Every point. A label that finds no free place is put where it overlaps least (never dropped).
    All,
}

impl Default for LabelMode {
    fn default() -> Self {
        LabelMode::Outliers(5)
    }
}

/// An axis-aligned pixel box `(x0, y0, x1, y1)`, `x0 < x1`, `y0 < y1`.
pub type LabelBox = (i32, i32, i32, i32);

/// One placed label: the text's box (the text is drawn left-aligned, vertically centred in it)
/// and, when it sits away from its point, a leader line `(from the point's edge, to the box)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedLabel {
    /// Index of the point (into the `points` given to [`place_labels`]).
    pub point: usize,
    /// The label's box.
    pub rect: LabelBox,
    /// Leader line for a displaced label.
    pub leader: Option<(Px, Px)>,
}

/// The indices of the points to label, in placement priority (most outlying first).
/// `score` is the point's outlyingness (larger = more outlying; non-finite = least).
pub fn select_labels(mode: LabelMode, score: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..score.len()).collect();
    let key = |i: usize| if score[i].is_finite() { score[i] } else { f64::NEG_INFINITY };
    idx.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
    match mode {
        LabelMode::Off => Vec::new(),
        LabelMode::All => idx,
        LabelMode::Outliers(n) => idx.into_iter().take(n).collect(),
    }
}

fn overlaps(a: &LabelBox, b: &LabelBox) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

fn overlap_area(a: &LabelBox, b: &LabelBox) -> i64 {
    let w = (a.2.min(b.2) - a.0.max(b.0)).max(0) as i64;
    let h = (a.3.min(b.3) - a.1.max(b.1)).max(0) as i64;
    w * h
}

fn inside(a: &LabelBox, frame: &LabelBox) -> bool {
    a.0 >= frame.0 && a.1 >= frame.1 && a.2 <= frame.2 && a.3 <= frame.3
}

fn crosses(a: &LabelBox, s: &(Px, Px)) -> bool {
    let f = |p: Px| (p.0 as f64, p.1 as f64);
    clip_segment(f(s.0), f(s.1), (a.0 as f64, a.2 as f64), (a.1 as f64, a.3 as f64)).is_some()
}

/// Number of rings of candidate positions (ring 0 touches the point).
const RINGS: i32 = 5;
/// Rings tried for a label that must appear ([`LabelMode::All`]) before it may overlap: farther
/// out, joined by a leader line (issue #11: with every study labelled, crowded clouds overlapped).
const RINGS_ALL: i32 = 12;
/// Padding around a label's text inside its box.
const PAD: i32 = 2;
/// Free space kept between two labels' boxes.
const GAP: i32 = 2;

/// Candidate boxes for a label of `w × h` around a point at `p` with radius `r`, in trial order,
/// each with its ring.
fn candidates(p: Px, r: i32, w: i32, h: i32, rings: i32) -> Vec<(LabelBox, i32)> {
    // E, W, NE, SE, NW, SW, N, S.
    const DIRS: [(i32, i32); 8] = [(1, 0), (-1, 0), (1, -1), (1, 1), (-1, -1), (-1, 1), (0, -1), (0, 1)];
    let mut out = Vec::with_capacity(8 * rings as usize);
    for ring in 0..rings {
        let d = r + 2 + ring * (h * 3 / 4).max(6);
        for (dx, dy) in DIRS {
            let diag = dx != 0 && dy != 0;
            let dd = if diag { (d as f64 * 0.75).round() as i32 } else { d };
            let x0 = match dx {
                1 => p.0 + dd,
                -1 => p.0 - dd - w,
                _ => p.0 - w / 2,
            };
            let y0 = match dy {
                1 => p.1 + dd,
                -1 => p.1 - dd - h,
                _ => p.1 - h / 2,
            };
            out.push(((x0, y0, x0 + w, y0 + h), ring));
        }
    }
    out
}

/// The point of box `b` nearest to `p`.
fn nearest_on(b: &LabelBox, p: Px) -> Px {
    (p.0.clamp(b.0, b.2), p.1.clamp(b.1, b.3))
}

/// Place labels. `points` are every point's pixel centre and radius (all are obstacles);
/// `labels` are `(point index, text)` in priority order; `size` is the layout font size;
/// `frame` the box labels must stay in; `rects` and `segments` further obstacles. With `drop`
/// a label without a free place is left out; otherwise it takes the candidate inside the frame
/// that overlaps least (labels first, then points), so every label appears.
pub fn place_labels(
    points: &[(Px, i32)],
    labels: &[(usize, &str)],
    size: f64,
    frame: LabelBox,
    rects: &[LabelBox],
    segments: &[(Px, Px)],
    drop: bool,
) -> Vec<PlacedLabel> {
    let h = text_height(size) + 2 * PAD;
    let point_boxes: Vec<LabelBox> = points.iter().map(|((x, y), r)| (x - r, y - r, x + r, y + r)).collect();
    let mut placed: Vec<PlacedLabel> = Vec::new();
    for &(i, text) in labels {
        let Some(&(p, r)) = points.get(i) else { continue };
        if text.is_empty() {
            continue;
        }
        let w = text_width(text, size) + 2 * PAD;
        let rings = if drop { RINGS } else { RINGS_ALL };
        let cands: Vec<(LabelBox, i32)> =
            candidates(p, r, w, h, rings).into_iter().filter(|(b, _)| inside(b, &frame)).collect();
        // Labels keep GAP px apart: the width is an estimate, and real glyphs run a little wider.
        let grown = |q: &LabelBox| (q.0 - GAP, q.1 - GAP, q.2 + GAP, q.3 + GAP);
        let free_of_labels = |b: &LabelBox| placed.iter().all(|q| !overlaps(b, &grown(&q.rect)));
        let free_of_points = |b: &LabelBox| point_boxes.iter().all(|q| !overlaps(b, q));
        let free_of_rects = |b: &LabelBox| rects.iter().all(|q| !overlaps(b, q));
        let free_of_lines = |b: &LabelBox| segments.iter().all(|s| !crosses(b, s));
        let clean = cands
            .iter()
            .find(|(b, _)| free_of_labels(b) && free_of_points(b) && free_of_rects(b) && free_of_lines(b));
        let chosen = match clean {
            Some(c) => Some(*c),
            None if drop => None,
            None => cands
                .iter()
                .find(|(b, _)| free_of_labels(b) && free_of_points(b) && free_of_rects(b))
                .or_else(|| {
                    cands.iter().min_by_key(|(b, ring)| {
                        let l: i64 = placed.iter().map(|q| overlap_area(b, &grown(&q.rect))).sum();
                        let pt: i64 = point_boxes.iter().map(|q| overlap_area(b, q)).sum();
                        let rc: i64 = rects.iter().map(|q| overlap_area(b, q)).sum();
                        (l * 100 + rc * 10 + pt, *ring)
                    })
                })
                .copied(),
        };
        if let Some((b, ring)) = chosen {
            let leader = (ring > 0).then(|| {
                let to = nearest_on(&b, p);
                let (dx, dy) = ((to.0 - p.0) as f64, (to.1 - p.1) as f64);
                let len = (dx * dx + dy * dy).sqrt().max(1.0);
                let from =
                    (p.0 + (dx / len * r as f64).round() as i32, p.1 + (dy / len * r as f64).round() as i32);
                (from, to)
            });
            placed.push(PlacedLabel { point: i, rect: b, leader });
        }
    }
    placed
}

/// Draw placed labels: leader lines (thin grey) first, then the texts.
pub(crate) fn draw_placed<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    placed: &[PlacedLabel],
    texts: &[&str],
    size: f64,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    for p in placed {
        if let Some((a, b)) = p.leader {
            area.draw(&PathElement::new(vec![a, b], RGBColor(0x88, 0x88, 0x88).stroke_width(1)))?;
        }
    }
    let ts = style.text(size, HPos::Left, VPos::Center);
    for p in placed {
        let Some(t) = texts.get(p.point) else { continue };
        area.draw(&Text::new(t.to_string(), (p.rect.0 + PAD, (p.rect.1 + p.rect.3) / 2), ts.clone()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crowded cloud: 40 points on a small grid-like spiral.
    fn cloud() -> (Vec<(Px, i32)>, Vec<String>) {
        let pts: Vec<(Px, i32)> = (0..40)
            .map(|i| {
                let a = i as f64 * 0.7;
                let rad = 6.0 + 4.0 * i as f64;
                ((200 + (rad * a.cos()) as i32, 150 + (rad * 0.6 * a.sin()) as i32), 5)
            })
            .collect();
        let names = (0..40).map(|i| format!("Study_{i:02}")).collect();
        (pts, names)
    }

    fn run(drop: bool, mode: LabelMode) -> Vec<PlacedLabel> {
        let (pts, names) = cloud();
        let score: Vec<f64> =
            pts.iter().map(|((x, y), _)| ((x - 200).pow(2) + (y - 150).pow(2)) as f64).collect();
        let order = select_labels(mode, &score);
        let labels: Vec<(usize, &str)> = order.iter().map(|&i| (i, names[i].as_str())).collect();
        let segs = [((0, 0), (400, 300))];
        place_labels(&pts, &labels, 14.0, (0, 0, 400, 300), &[(330, 0, 400, 60)], &segs, drop)
    }

    #[test]
    fn no_two_labels_overlap_and_none_leaves_the_frame() {
        let placed = run(true, LabelMode::Outliers(40));
        assert!(placed.len() >= 10, "placed {}", placed.len());
        let (pts, _) = cloud();
        for (k, a) in placed.iter().enumerate() {
            assert!(inside(&a.rect, &(0, 0, 400, 300)), "{a:?} leaves the frame");
            assert!(!overlaps(&a.rect, &(330, 0, 400, 60)), "{a:?} covers the legend");
            assert!(!crosses(&a.rect, &((0, 0), (400, 300))), "{a:?} crosses the line");
            for b in &placed[k + 1..] {
                assert!(!overlaps(&a.rect, &b.rect), "{a:?} overlaps {b:?}");
            }
            for ((x, y), r) in &pts {
                assert!(!overlaps(&a.rect, &(x - r, y - r, x + r, y + r)), "{a:?} covers a point");
            }
        }
    }

    #[test]
    fn outliers_first_and_all_mode_never_drops() {
        let out = run(true, LabelMode::Outliers(3));
        assert!(out.len() <= 3);
        let all = run(false, LabelMode::All);
        assert_eq!(all.len(), 40, "all mode keeps every label");
        for a in &all {
            assert!(inside(&a.rect, &(0, 0, 400, 300)));
        }
        assert!(run(true, LabelMode::Off).is_empty());
    }

    #[test]
    fn placement_is_a_pure_function() {
        assert_eq!(run(true, LabelMode::Outliers(40)), run(true, LabelMode::Outliers(40)));
        assert_eq!(run(false, LabelMode::All), run(false, LabelMode::All));
        // Ties in the score keep the input order.
        assert_eq!(select_labels(LabelMode::All, &[1.0, f64::NAN, 1.0, 2.0]), vec![3, 0, 2, 1]);
    }
}
