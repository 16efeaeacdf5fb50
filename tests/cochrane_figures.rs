//! Cochrane (RevMan 5) figure conventions (issue #15): the SROC plot's rectangles (height ∝
//! √diseased, width ∝ √non-diseased), the specificity axis running from 1 to 0, the curve over the
//! studies' range only, the regions as dashed / dotted lines; the coupled forest plot with the
//! 2×2 counts. Geometry is read back from the SVG the page's export writes, on real data
//! (AuditC, refs).

mod support;

use fourfold::analysis::{run_settings, Analysis};
use fourfold::plot::{RegionLines, SrocConventions, SrocXAxis, StudyMarkers};
use fourfold::report::plots::{plot_svg_with, sroc_with, PlotKind, PlotOptions};
use fourfold::settings::{AnalysisSettings, AucCi};

fn audit_c() -> Analysis {
    let s = AnalysisSettings { auc_ci: AucCi::None, ..Default::default() };
    run_settings(&support::read_dataset("audit_c"), &s).expect("analysis")
}

fn attr(el: &str, name: &str) -> Option<f64> {
    let key = format!(" {name}=\"");
    let start = el.find(&key)? + key.len();
    el[start..].split('"').next()?.parse().ok()
}

/// Every `<rect …>` stroked in `colour`: `(x, y, width, height)`.
fn rects(svg: &str, colour: &str) -> Vec<(f64, f64, f64, f64)> {
    svg.split("<rect")
        .skip(1)
        .map(|r| r.split('>').next().unwrap_or(""))
        .filter(|r| r.contains(&format!("stroke=\"{colour}\"")) && !r.contains(&format!("fill=\"{colour}\"")))
        .filter_map(|r| Some((attr(r, "x")?, attr(r, "y")?, attr(r, "width")?, attr(r, "height")?)))
        .collect()
}

fn revman() -> PlotOptions {
    PlotOptions { sroc: SrocConventions::revman(), ..PlotOptions::default() }
}

#[test]
fn sroc_rectangles_have_sides_proportional_to_the_square_roots_of_the_groups() {
    let a = audit_c();
    let svg = plot_svg_with(PlotKind::Sroc, &a, &revman()).expect("svg");
    let studies = &a.overall.studies;
    let mut r = rects(&svg, "#0072B2");
    // The last one is the legend's sample (8 × 12 px).
    let legend = r.pop().expect("legend sample");
    assert_eq!((legend.2, legend.3), (8.0, 12.0));
    assert_eq!(r.len(), studies.len());
    let n: Vec<(f64, f64)> = studies.iter().map(|s| ((s.tp + s.fn_) as f64, (s.fp + s.tn) as f64)).collect();
    // Half-sides are round(R √n / √n_max) px, at least 2: with R read off the largest study the
    // drawn half-sides are within 1 px of the exact proportion.
    let n_max = n.iter().map(|p| p.0.max(p.1)).fold(0.0, f64::max);
    let (big, _) =
        n.iter()
            .enumerate()
            .fold((0, 0.0), |b, (i, p)| if p.0.max(p.1) > b.1 { (i, p.0.max(p.1)) } else { b });
    let r_px = r[big].2.max(r[big].3) / 2.0;
    assert!(r_px >= 6.0, "largest half-side {r_px}");
    for (i, ((_, _, w, h), (n1, n0))) in r.iter().zip(&n).enumerate() {
        for (drawn, count, what) in [(w / 2.0, n0, "width"), (h / 2.0, n1, "height")] {
            let exact = (r_px * (count / n_max).sqrt()).max(2.0);
            assert!(
                (drawn - exact).abs() <= 1.0,
                "{}: half-{what} {drawn} px, √n proportion {exact:.2}",
                studies[i].label
            );
        }
    }
    // The widest is AuditC_08 (6203 non-diseased), the tallest too (752 diseased).
    let widest = r.iter().enumerate().max_by(|a, b| a.1 .2.total_cmp(&b.1 .2)).map(|x| x.0);
    assert_eq!(widest.map(|i| studies[i].label.as_str()), Some("AuditC_08"));
    // Centres: x grows with 1 − specificity (the axis is reversed in labels, not in geometry).
    let fpr = |i: usize| studies[i].fp as f64 / n[i].1;
    for i in 0..r.len() {
        for j in 0..r.len() {
            if fpr(i) + 0.02 < fpr(j) {
                assert!(r[i].0 + r[i].2 / 2.0 < r[j].0 + r[j].2 / 2.0, "{i} left of {j}");
            }
        }
    }
    assert!(svg.contains("Studies (√diseased × √non-diseased)"));
    // Circles by total stay the default.
    let svg = plot_svg_with(PlotKind::Sroc, &a, &PlotOptions::default()).expect("svg");
    assert!(rects(&svg, "#0072B2").is_empty());
    assert!(svg.contains("Studies (area ∝ N)"));
}

/// Text elements' contents.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1)?.split('<').next())
        .map(|t| t.trim().to_string())
        .collect()
}

#[test]
fn specificity_axis_runs_from_one_to_zero() {
    let a = audit_c();
    let opts = PlotOptions {
        sroc: SrocConventions { x_axis: SrocXAxis::SpecificityReversed, ..Default::default() },
        ..PlotOptions::default()
    };
    let svg = plot_svg_with(PlotKind::Sroc, &a, &opts).expect("svg");
    let t = texts(&svg);
    assert!(t.iter().any(|s| s == "Specificity"), "{t:?}");
    assert!(!svg.contains("1 − Specificity"));
    // The x tick labels, left to right: 1.0 … 0.0 (the y ticks 0.0 … 1.0 come first).
    let ticks: Vec<&String> = t.iter().filter(|s| s.len() == 3 && s.starts_with(['0', '1'])).collect();
    let x_ticks: Vec<&str> = ticks[ticks.len() - 6..].iter().map(|s| s.as_str()).collect();
    assert_eq!(x_ticks, ["1.0", "0.8", "0.6", "0.4", "0.2", "0.0"]);
    // Same geometry as the default figure: only the words differ.
    let plain = plot_svg_with(PlotKind::Sroc, &a, &PlotOptions::default()).expect("svg");
    assert_eq!(svg.matches("<circle").count(), plain.matches("<circle").count());
}

/// The `points` of every polyline stroked in `colour` with width `w`.
fn polylines(svg: &str, colour: &str, w: u32) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline")
        .skip(1)
        .map(|p| p.split('>').next().unwrap_or(""))
        .filter(|p| {
            p.contains(&format!("stroke=\"{colour}\"")) && p.contains(&format!("stroke-width=\"{w}\""))
        })
        .filter_map(|p| {
            let pts = p.split("points=\"").nth(1)?.split('"').next()?;
            // (A legend sample is a two-point line; data lines have more points.)
            Some(
                pts.split_whitespace()
                    .filter_map(|xy| {
                        let (x, y) = xy.split_once(',')?;
                        Some((x.parse().ok()?, y.parse().ok()?))
                    })
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn the_curve_spans_the_studies_only_and_regions_are_dashed_and_dotted() {
    let a = audit_c();
    let opts = revman();
    let svg = plot_svg_with(PlotKind::Sroc, &a, &opts).expect("svg");
    let r = rects(&svg, "#0072B2");
    let centres: Vec<f64> = r[..r.len() - 1].iter().map(|r| r.0 + r.2 / 2.0).collect();
    let (lo, hi) = centres.iter().fold((f64::MAX, f64::MIN), |m, &x| (m.0.min(x), m.1.max(x)));
    let curve: Vec<(f64, f64)> =
        polylines(&svg, "#0072B2", 3).into_iter().filter(|p| p.len() > 2).flatten().collect();
    let (clo, chi) = curve.iter().fold((f64::MAX, f64::MIN), |m, p| (m.0.min(p.0), m.1.max(p.0)));
    // The curve's pixel extent is the studies' (±1 px of rounding).
    assert!((clo - lo).abs() <= 1.0 && (chi - hi).abs() <= 1.0, "curve {clo}–{chi}, studies {lo}–{hi}");
    // Without the option (same legend width, so the same plot area) the default curve, truncated
    // by the metandi rule (sensitivity ≥ the lowest observed too), starts further right.
    let mut other = revman();
    other.sroc.curve_observed_range = false;
    let full = plot_svg_with(PlotKind::Sroc, &a, &other).expect("svg");
    let all: Vec<(f64, f64)> =
        polylines(&full, "#0072B2", 3).into_iter().filter(|p| p.len() > 2).flatten().collect();
    let (flo, fhi) = all.iter().fold((f64::MAX, f64::MIN), |m, p| (m.0.min(p.0), m.1.max(p.0)));
    assert!(flo > clo + 10.0 && (fhi - chi).abs() <= 1.0, "metandi curve {flo}–{fhi}");
    let full = plot_svg_with(PlotKind::Sroc, &a, &PlotOptions::default()).expect("svg");
    // No shaded confidence patch; the regions are made of short dashes (confidence, 7 px) and
    // dots (prediction, 2 px) in the summary colour.
    assert!(!svg.contains("opacity=\"0.14\""));
    assert!(full.contains("opacity=\"0.14\""));
    let seg_len = |p: &Vec<(f64, f64)>| {
        p.windows(2).map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt()).sum::<f64>()
    };
    let pieces = polylines(&svg, "#D55E00", 2);
    let dots = pieces.iter().filter(|p| seg_len(p) <= 2.5).count();
    let dashes = pieces.iter().filter(|p| seg_len(p) > 5.0 && seg_len(p) <= 7.5).count();
    assert!(dots > 50 && dashes > 5, "dots {dots}, dashes {dashes}");
    let d = sroc_with(&a, &opts);
    assert_eq!(d.conventions.regions, RegionLines::DashedAndDotted);
    assert_eq!(d.conventions.markers, StudyMarkers::Rectangles);
    assert!(svg.contains("SROC curve (range of the studies)"));
}

#[test]
fn forest_counts_is_revmans_coupled_forest_plot() {
    let a = audit_c();
    let svg = plot_svg_with(PlotKind::ForestCounts, &a, &PlotOptions::default()).expect("svg");
    let t = texts(&svg);
    // Headers in RevMan's order; each panel headed like its column (the header twice).
    let pos = |s: &str| t.iter().position(|x| x == s).unwrap_or_else(|| panic!("{s} in {t:?}"));
    assert!(
        pos("Study") < pos("TP") && pos("TP") < pos("FP") && pos("FP") < pos("FN") && pos("FN") < pos("TN")
    );
    assert_eq!(t.iter().filter(|s| *s == "Sensitivity (95% CI)").count(), 2);
    assert_eq!(t.iter().filter(|s| *s == "Specificity (95% CI)").count(), 2);
    // The counts and intervals of the first study, as RevMan prints them.
    assert!(t.iter().any(|s| s == "738") && t.iter().any(|s| s == "0.84 [0.72, 0.92]"), "{t:?}");
    // One square of one size per study and panel, filled in the study colour; no zebra bands.
    let squares: Vec<(f64, f64)> = svg
        .split("<rect")
        .skip(1)
        .map(|r| r.split('>').next().unwrap_or(""))
        .filter(|r| r.contains("fill=\"#0072B2\""))
        .filter_map(|r| Some((attr(r, "width")?, attr(r, "height")?)))
        .collect();
    assert_eq!(squares.len(), 2 * a.overall.studies.len());
    assert!(squares.iter().all(|s| s == &squares[0] && s.0 == s.1), "{squares:?}");
    assert!(!svg.contains("#F4F4F4"));
    assert_eq!(fourfold::report::plots::plot_size(PlotKind::ForestCounts, &a).0, 1200);
}

/// The comparison's SROC by test takes the same Cochrane options: one rectangle per drawn study
/// of each test in RevMan style (schuetz by `test`: CT in blue, MRI in vermillion), none by default.
#[test]
fn the_comparison_sroc_takes_the_cochrane_options() {
    let s = AnalysisSettings {
        auc_ci: AucCi::None,
        comparison: fourfold::settings::ComparisonSettings { test: Some("test".into()), paired_only: false },
        ..Default::default()
    };
    let a = run_settings(&support::read_dataset("schuetz"), &s).expect("analysis");
    let plain = plot_svg_with(PlotKind::ComparisonSroc, &a, &PlotOptions::default()).expect("svg");
    let cochrane = plot_svg_with(PlotKind::ComparisonSroc, &a, &revman()).expect("svg");
    let (ct, mri) = (rects(&cochrane, "#0072B2").len(), rects(&cochrane, "#D55E00").len());
    assert!(ct >= 80 && mri >= 15, "rectangles per test: CT {ct}, MRI {mri}");
    assert!(rects(&plain, "#0072B2").len() <= 1, "circles by default");
    assert!(cochrane.contains("Specificity"), "x axis as specificity");
}
