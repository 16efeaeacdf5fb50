//! Every plot rendered to an SVG string from realistic data (AuditC, METHODS §12), checked for
//! content, and compared byte-for-byte with `tests/snapshots/*.svg`.
//! Regenerate the snapshots with `UPDATE_SNAPSHOTS=1 cargo test --test plots`.

use fourfold::plot::*;
#[allow(unused_imports)]
use fourfold::plot::{ForestGroup, LabelMode, PointGroups};
use fourfold::report::plots::fagan_figure;

/// AuditC (mada; METHODS §12): label, TP, FP, FN, TN.
const AUDIT_C: [(&str, f64, f64, f64, f64); 14] = [
    ("AuditC_01", 47., 101., 9., 738.),
    ("AuditC_02", 126., 272., 51., 1543.),
    ("AuditC_03", 19., 12., 10., 192.),
    ("AuditC_04", 36., 78., 3., 276.),
    ("AuditC_05", 130., 211., 19., 959.),
    ("AuditC_06", 84., 68., 2., 89.),
    ("AuditC_07", 68., 112., 0., 423.),
    ("AuditC_08", 752., 3226., 0., 2977.),
    ("AuditC_09", 59., 55., 5., 136.),
    ("AuditC_10", 142., 571., 50., 2788.),
    ("AuditC_11", 137., 107., 24., 358.),
    ("AuditC_12", 57., 103., 3., 437.),
    ("AuditC_13", 34., 21., 1., 56.),
    ("AuditC_14", 152., 88., 51., 264.),
];

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Wilson score interval (z = 1.96).
fn wilson(x: f64, n: f64) -> (f64, f64, f64) {
    let z = 1.959964_f64;
    let p = x / n;
    let den = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / den;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / den;
    (p, (centre - half).max(0.0), (centre + half).min(1.0))
}

/// `single` continuity correction: +0.5 to every cell of a row with a zero cell.
fn corrected(tp: f64, fp: f64, fn_: f64, tn: f64) -> (f64, f64, f64, f64) {
    if tp == 0.0 || fp == 0.0 || fn_ == 0.0 || tn == 0.0 {
        (tp + 0.5, fp + 0.5, fn_ + 0.5, tn + 0.5)
    } else {
        (tp, fp, fn_, tn)
    }
}

fn count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

/// Compare with (or, with UPDATE_SNAPSHOTS=1, write) `tests/snapshots/<name>.svg`.
fn snapshot(name: &str, svg: &str) {
    let path = format!("{}/tests/snapshots/{name}.svg", env!("CARGO_MANIFEST_DIR"));
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, svg).expect("write snapshot");
        return;
    }
    let stored = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {path}; run with UPDATE_SNAPSHOTS=1"));
    assert!(
        stored == svg,
        "{name}.svg differs from the stored snapshot; inspect and rerun with UPDATE_SNAPSHOTS=1"
    );
}

fn style() -> PlotStyle {
    PlotStyle::default()
}

// ---------------------------------------------------------------- forest

fn forest_data() -> ForestData {
    let rows = AUDIT_C
        .iter()
        .map(|&(label, tp, fp, fn_, tn)| ForestRow {
            label: label.to_string(),
            sens: wilson(tp, tp + fn_),
            spec: wilson(tn, tn + fp),
            weight: Some(tp + fp + fn_ + tn),
            counts: Some([tp as u64, fp as u64, fn_ as u64, tn as u64]),
        })
        .collect();
    ForestData {
        level: CiLabel::default(),
        rows,
        // METHODS §12.4.
        summary_sens: Some((0.9249206, 0.8328671, 0.9682081)),
        summary_spec: Some((0.7818017, 0.7201532, 0.8330184)),
        title: "AUDIT-C: sensitivity and specificity".to_string(),
        ..Default::default()
    }
}

#[test]
fn forest_plot() {
    let data = forest_data();
    let h = forest_height(data.rows.len());
    assert!(h > forest_height(3), "height grows with rows");
    let svg = to_svg(900, h, |a| draw_forest(a, &data, &style())).expect("forest drawn");
    snapshot("forest", &svg);
    assert!(svg.contains("AUDIT-C: sensitivity and specificity"));
    assert!(svg.contains("Sensitivity (95% CI)"));
    assert!(svg.contains("Specificity (95% CI)"));
    for (label, ..) in AUDIT_C {
        assert!(svg.contains(label), "{label}");
    }
    // Row 1: Se = 47/56 = 0.84, Wilson [0.72, 0.91] (METHODS §12.1).
    assert!(svg.contains("0.84 [0.72, 0.91]"));
    assert!(svg.contains("Summary"));
    assert!(svg.contains("0.92 [0.83, 0.97]"));
    // One marker per study and panel; one diamond per panel.
    assert_eq!(count(&svg, "<circle"), 2 * AUDIT_C.len());
    assert_eq!(count(&svg, "<polygon"), 2);
    assert!(count(&svg, "<polyline") >= 2 * AUDIT_C.len());
}

// ---------------------------------------------------------------- SROC

/// Laplace optimum for AuditC (METHODS §12.2): μ1, μ2, se1, se2, cov, τ1², τ2², ρ.
const GLMM: [f64; 8] = [2.511161, 1.276197, 0.461782, 0.168868, -0.058295, 2.601147, 0.381193, -0.817852];

/// Region outline per METHODS §4.3 as `(fpr, sens)`, radius c_F = 2.787577 (k = 14).
fn region(mu1: f64, mu2: f64, s1: f64, s2: f64, r: f64) -> Vec<(f64, f64)> {
    let c = 2.787577;
    (0..120)
        .map(|i| {
            let phi = i as f64 / 120.0 * std::f64::consts::TAU;
            let x = mu2 + s2 * c * phi.cos();
            let y = mu1 + s1 * c * (phi + r.acos()).cos();
            (1.0 - expit(x), expit(y))
        })
        .collect()
}

fn sroc_series(name: &str, rows: &[(&str, f64, f64, f64, f64)], shift: f64) -> SrocSeries {
    let [mu1, mu2, s1, s2, cov, t1sq, t2sq, rho] = GLMM;
    let mu1 = mu1 + shift;
    let (t1, t2) = (t1sq.sqrt(), t2sq.sqrt());
    let points = rows
        .iter()
        .map(|&(_, tp, fp, fn_, tn)| (fp / (fp + tn), tp / (tp + fn_), tp + fp + fn_ + tn))
        .collect();
    // METHODS §4.5 (a): logit Se = μ1 + (τ1/τ2)(logit FPR + μ2).
    let curve = (1..200)
        .map(|i| {
            let fpr = i as f64 / 200.0;
            let lf = (fpr / (1.0 - fpr)).ln();
            (fpr, expit(mu1 + t1 / t2 * (lf + mu2)))
        })
        .collect();
    let (sp1, sp2) = ((t1sq + s1 * s1).sqrt(), (t2sq + s2 * s2).sqrt());
    let rp = (rho * t1 * t2 + cov) / (sp1 * sp2);
    SrocSeries {
        name: name.to_string(),
        points,
        curve,
        summary: Some((1.0 - expit(mu2), expit(mu1))),
        confidence_region: region(mu1, mu2, s1, s2, cov / (s1 * s2)),
        prediction_region: region(mu1, mu2, sp1, sp2, rp),
        show_regions: true,
        ..Default::default()
    }
}

#[test]
fn sroc_plot() {
    let data = SrocData {
        level: CiLabel::default(),
        series: vec![sroc_series("AUDIT-C", &AUDIT_C, 0.0)],
        auc_label: Some("AUC 0.89 [0.85, 0.91]".to_string()),
        title: "AUDIT-C: SROC curve".to_string(),
        zoom: false,
        ..Default::default()
    };
    let svg = to_svg(900, 600, |a| draw_sroc(a, &data, &style())).expect("SROC drawn");
    snapshot("sroc", &svg);
    assert!(svg.contains("AUDIT-C: SROC curve"));
    assert!(svg.contains("1 − Specificity (false positive rate)"));
    assert!(svg.contains("Sensitivity"));
    assert!(svg.contains("AUC 0.89 [0.85, 0.91]"));
    assert!(svg.contains("95% prediction region"));
    // 14 studies + the legend's study marker.
    assert_eq!(count(&svg, "<circle"), AUDIT_C.len() + 1);
    // Confidence-region patch + summary diamond + legend diamond.
    assert_eq!(count(&svg, "<polygon"), 3);
    // The confidence region's legend symbol is a filled patch, not a line like the curve's.
    assert!(svg.contains("fill-opacity=\"0.14\"") || svg.contains("opacity=\"0.14\""));
    assert!(count(&svg, "<polyline") > 10, "curve, regions, dashes");
}

#[test]
fn sroc_subgroups() {
    let data = SrocData {
        level: CiLabel::default(),
        series: vec![
            sroc_series("Primary care", &AUDIT_C[..7], 0.3),
            sroc_series("Hospital", &AUDIT_C[7..], -0.4),
        ],
        auc_label: None,
        title: "SROC by setting".to_string(),
        zoom: false,
        ..Default::default()
    };
    let svg = to_svg(900, 600, |a| draw_sroc(a, &data, &style())).expect("drawn");
    snapshot("sroc_subgroups", &svg);
    assert!(svg.contains("Primary care") && svg.contains("Hospital"));
    // Series 1 draws circles (7 studies + its legend marker), series 2 squares (polylines).
    assert_eq!(count(&svg, "<circle"), 7 + 1);
    // Two region patches, two summary diamonds, the legend diamond.
    assert_eq!(count(&svg, "<polygon"), 5);
    // Distinct series colours (Okabe–Ito blue and vermillion).
    assert!(svg.contains("#0072B2") && svg.contains("#D55E00"));
}

// ---------------------------------------------------------------- Fagan

#[test]
fn fagan_nomogram() {
    // The published example (seed review): prior 40 %, LR+ 4.6 → 75 %, LR− 0.24 → 14 %.
    let post = |p: f64, lr: f64| expit((p / (1.0 - p)).ln() + lr.ln());
    let data = fagan_figure(0.40, 4.6, 0.24, post(0.40, 4.6), post(0.40, 0.24));
    let svg = to_svg(900, 600, |a| draw_fagan(a, &data, &style())).expect("Fagan drawn");
    snapshot("fagan", &svg);
    assert!(svg.contains("Fagan"));
    assert!(svg.contains("Pre-test probability (%)"));
    assert!(svg.contains("Likelihood ratio"));
    assert!(svg.contains("Post-test probability (%)"));
    assert!(svg.contains("Prior 40%"));
    assert!(svg.contains("LR+ 4.6, post-test 75%"));
    assert!(svg.contains("LR− 0.24, post-test 14%"));
    for tick in ["\n0.1\n", "\n99.9\n", "\n1000\n", "\n0.001\n", "\n50\n"] {
        assert!(svg.contains(tick), "tick {tick}");
    }
    assert!(svg.contains("#D55E00") && svg.contains("#0072B2"), "red and blue lines");
    // Each line ends in a mark on the post-test axis, in its colour: both at one x, LR+ above LR−.
    let mark = |colour: &str| -> (f64, f64) {
        let at = svg
            .match_indices("<circle")
            .map(|(i, _)| &svg[i..i + svg[i..].find("/>").unwrap_or(0)])
            .find(|c| c.contains(&format!("fill=\"{colour}\"")))
            .unwrap_or_else(|| panic!("no post-test mark in {colour}"));
        let num = |key: &str| -> f64 {
            let from = at.find(&format!("{key}=\"")).expect(key) + key.len() + 2;
            at[from..from + at[from..].find('"').expect("quote")].parse().expect("number")
        };
        (num("cx"), num("cy"))
    };
    let (pos, neg) = (mark("#D55E00"), mark("#0072B2"));
    assert_eq!(pos.0, neg.0, "both marks on the post-test axis");
    assert!(pos.0 > 450.0 && pos.1 < neg.1, "{pos:?} {neg:?}");
}

// ---------------------------------------------------------------- Deeks, Doi

/// Per study with the `single` CC: (ln DOR', 1/√ESS, se(ln DOR'), label).
fn deeks_inputs() -> Vec<(f64, f64, f64, String)> {
    AUDIT_C
        .iter()
        .map(|&(label, tp, fp, fn_, tn)| {
            let (tp, fp, fn_, tn) = corrected(tp, fp, fn_, tn);
            let (n1, n0) = (tp + fn_, fp + tn);
            let ess = 4.0 * n1 * n0 / (n1 + n0);
            let ln_dor = (tp * tn / (fp * fn_)).ln();
            let se = (1.0 / tp + 1.0 / fp + 1.0 / fn_ + 1.0 / tn).sqrt();
            (ln_dor, 1.0 / ess.sqrt(), se, label.to_string())
        })
        .collect()
}

fn deeks_data() -> DeeksData {
    let rows = deeks_inputs();
    // WLS of ln DOR on 1/√ESS with weights ESS (METHODS §7.1).
    let (mut sw, mut swx, mut swy, mut swxx, mut swxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (y, x, ..) in &rows {
        let w = 1.0 / (x * x);
        sw += w;
        swx += w * x;
        swy += w * y;
        swxx += w * x * x;
        swxy += w * x * y;
    }
    let slope = (sw * swxy - swx * swy) / (sw * swxx - swx * swx);
    let intercept = (swy - slope * swx) / sw;
    DeeksData {
        points: rows.into_iter().map(|(y, x, _, l)| (y, x, l)).collect(),
        intercept,
        slope,
        p_value: 0.0312,
        summary_ln_dor: Some(44.1396_f64.ln()),
        ..Default::default()
    }
}

#[test]
fn deeks_funnel() {
    let data = DeeksData { labels: LabelMode::All, ..deeks_data() };
    assert!((data.slope - -57.42).abs() < 0.01, "slope {}", data.slope);
    let svg = to_svg(900, 600, |a| draw_deeks(a, &data, &style())).expect("Deeks drawn");
    snapshot("deeks", &svg);
    assert!(svg.contains("Deeks&apos; funnel plot asymmetry test"));
    assert!(svg.contains("Diagnostic odds ratio (log scale)"));
    assert!(svg.contains("1/√ESS"));
    assert!(svg.contains("p = 0.031"));
    for (label, ..) in AUDIT_C {
        assert!(svg.contains(&format!("\n{label}\n")), "all-labels mode writes {label}");
    }
    for tick in ["\n10\n", "\n100\n", "\n1000\n"] {
        assert!(svg.contains(tick), "tick {tick}");
    }
    // 14 studies + legend marker.
    assert_eq!(count(&svg, "<circle"), AUDIT_C.len() + 1);
    assert!(svg.contains("stroke=\"#D55E00\""), "regression line");
}

#[test]
fn doi_plot() {
    use statrs::distribution::{ContinuousCDF, Normal};
    // METHODS §7.2.
    let mut rows: Vec<(f64, f64)> = deeks_inputs().iter().map(|r| (r.0, r.2 * r.2)).collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let vmax = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let n: Vec<f64> = rows.iter().map(|r| 100.0 * vmax / r.1).collect();
    let total: f64 = n.iter().sum();
    let mut m = Vec::new();
    for i in 0..n.len() {
        m.push(if i == 0 { n[0] / 2.0 } else { m[i - 1] + (n[i - 1] + n[i]) / 2.0 });
    }
    let normal = Normal::standard();
    let z: Vec<f64> = m.iter().map(|mi| normal.inverse_cdf((mi - 0.5) / total)).collect();
    let data = DoiData {
        te: rows.iter().map(|r| r.0).collect(),
        z,
        lfk: 5.42,
        interpretation: "major asymmetry".to_string(),
        x_label: "ln DOR".to_string(),
        ..Default::default()
    };
    let svg = to_svg(900, 600, |a| draw_doi(a, &data, &style())).expect("Doi drawn");
    snapshot("doi", &svg);
    assert!(svg.contains("Doi plot"));
    assert!(svg.contains("LFK index 5.42 (major asymmetry)"));
    assert!(svg.contains("ln DOR") && svg.contains("|Z-score|"));
    assert_eq!(count(&svg, "<circle"), AUDIT_C.len());
    assert!(svg.contains("stroke=\"#0072B2\""), "joining line");
}

// ---------------------------------------------------------------- LR scattergram

#[test]
fn lr_scattergram() {
    let points = AUDIT_C
        .iter()
        .map(|&(label, tp, fp, fn_, tn)| {
            let (tp, fp, fn_, tn) = corrected(tp, fp, fn_, tn);
            let (se, sp) = (tp / (tp + fn_), tn / (tn + fp));
            LrPoint { label: label.to_string(), lr_positive: se / (1.0 - sp), lr_negative: (1.0 - se) / sp }
        })
        .collect();
    let data = LrScatterData {
        level: CiLabel::default(),
        points,
        // METHODS §12.4.
        summary: Some(LrSummary {
            lr_positive: (4.2389, 3.4264, 5.2441),
            lr_negative: (0.096034, 0.043820, 0.210462),
        }),
        title: "AUDIT-C: likelihood ratio scattergram".to_string(),
        ..Default::default()
    };
    let svg = to_svg(900, 600, |a| draw_lr_scatter(a, &data, &style())).expect("drawn");
    snapshot("lr_scatter", &svg);
    assert!(svg.contains("AUDIT-C: likelihood ratio scattergram"));
    assert!(svg.contains("Negative likelihood ratio (LR−)"));
    assert!(svg.contains("Positive likelihood ratio (LR+)"));
    for q in [
        "LUQ: Exclusion &amp; Confirmation",
        "RUQ: Confirmation Only",
        "LLQ: Exclusion Only",
        "RLQ: No Exclusion or Confirmation",
    ] {
        assert!(svg.contains(q), "{q}");
    }
    assert!(svg.contains("AuditC_07"));
    assert_eq!(count(&svg, "<circle"), AUDIT_C.len() + 1);
    assert_eq!(count(&svg, "<polygon"), 2, "summary + legend diamonds");
}

// ---------------------------------------------------------------- QUADAS-2

fn quadas_data() -> QuadasData {
    use Judgement::*;
    let pattern = [Low, Low, Unclear, High, Low, Unclear, Low];
    let studies: Vec<String> = AUDIT_C.iter().take(8).map(|r| r.0.to_string()).collect();
    let judgements =
        (0..studies.len()).map(|i| (0..7).map(|j| pattern[(i * 3 + j * 2) % 7]).collect()).collect();
    QuadasData {
        studies,
        domains: [
            "Patient selection",
            "Index test",
            "Reference standard",
            "Flow and timing",
            "Patient selection",
            "Index test",
            "Reference standard",
        ]
        .map(String::from)
        .to_vec(),
        judgements,
        ..Default::default()
    }
}

#[test]
fn quadas_traffic_light() {
    let data = quadas_data();
    let svg =
        to_svg(900, quadas_height(data.studies.len()), |a| draw_quadas_traffic_light(a, &data, &style()))
            .expect("drawn");
    snapshot("quadas_traffic_light", &svg);
    assert!(svg.contains("QUADAS-2: risk of bias and applicability concerns"));
    assert!(svg.contains("Risk of bias") && svg.contains("Applicability concerns"));
    assert!(svg.contains("Flow and") && svg.contains("timing"), "wrapped header");
    assert!(svg.contains("AuditC_08"));
    // 8 studies × 7 domains + 3 legend markers.
    assert_eq!(count(&svg, "<circle"), 8 * 7 + 3);
    assert!(svg.contains("\n?\n") && svg.contains("\n+\n") && svg.contains("\n−\n"));
}

#[test]
fn quadas_summary_bars() {
    let data = quadas_data();
    let svg = to_svg(900, 450, |a| draw_quadas_summary(a, &data, &style())).expect("drawn");
    snapshot("quadas_summary", &svg);
    assert!(svg.contains("QUADAS-2 summary"));
    assert!(svg.contains("Percentage of studies"));
    assert!(svg.contains("Flow and timing"));
    assert!(svg.contains("Low (+)") && svg.contains("High (−)") && svg.contains("Unclear (?)"));
    assert!(svg.contains("\n100%\n"));
    assert_eq!(count(&svg, "<circle"), 3, "legend only");
}

// ---------------------------------------------------------------- edge cases

/// Render every plot with `forest`, `sroc`, … built by the closures; all must return Ok.
fn render_all(
    forest: ForestData,
    sroc: SrocData,
    fagan: FaganData,
    deeks: DeeksData,
    doi: DoiData,
    lr: LrScatterData,
    quadas: QuadasData,
) -> Vec<String> {
    let st = style();
    let h = forest_height(forest.rows.len());
    vec![
        to_svg(900, h, |a| draw_forest(a, &forest, &st)).expect("forest"),
        to_svg(900, 600, |a| draw_sroc(a, &sroc, &st)).expect("sroc"),
        to_svg(900, 600, |a| draw_fagan(a, &fagan, &st)).expect("fagan"),
        to_svg(900, 600, |a| draw_deeks(a, &deeks, &st)).expect("deeks"),
        to_svg(900, 600, |a| draw_doi(a, &doi, &st)).expect("doi"),
        to_svg(900, 600, |a| draw_lr_scatter(a, &lr, &st)).expect("lr"),
        to_svg(900, 400, |a| draw_quadas_traffic_light(a, &quadas, &st)).expect("quadas"),
        to_svg(900, 400, |a| draw_quadas_summary(a, &quadas, &st)).expect("quadas summary"),
    ]
}

#[test]
fn empty_data_draws_empty_frames() {
    let svgs = render_all(
        ForestData::default(),
        SrocData::default(),
        fagan_figure(f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN),
        DeeksData { p_value: f64::NAN, intercept: f64::NAN, slope: f64::NAN, ..Default::default() },
        DoiData { lfk: f64::NAN, ..Default::default() },
        LrScatterData::default(),
        QuadasData::default(),
    );
    for svg in &svgs {
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }
    assert!(svgs[2].contains("Prior NA"));
    assert!(svgs[3].contains("p = NA"));
}

#[test]
fn one_study_and_degenerate_ranges() {
    let one = &AUDIT_C[..1];
    let mut forest = forest_data();
    forest.rows.truncate(1);
    let sroc = SrocData {
        level: CiLabel::default(),
        series: vec![sroc_series("one", one, 0.0)],
        auc_label: None,
        title: "One".into(),
        zoom: false,
        ..Default::default()
    };
    let mut deeks = deeks_data();
    deeks.points.truncate(1);
    let doi = DoiData {
        te: vec![1.0, 1.0],
        z: vec![0.5, 0.5],
        lfk: 0.0,
        interpretation: "no asymmetry".into(),
        x_label: "ln DOR".into(),
        ..Default::default()
    };
    let lr = LrScatterData {
        level: CiLabel::default(),
        points: vec![LrPoint { label: "only".into(), lr_positive: 5.0, lr_negative: 0.2 }],
        summary: None,
        title: "One".into(),
        ..Default::default()
    };
    let mut quadas = quadas_data();
    quadas.studies.truncate(1);
    quadas.judgements.truncate(1);
    let fagan = fagan_figure(0.5, 1.0, 1.0, 0.5, 0.5);
    let svgs = render_all(forest, sroc, fagan, deeks, doi, lr, quadas);
    assert_eq!(count(&svgs[0], "<circle"), 2);
    assert_eq!(count(&svgs[1], "<circle"), 2);
    assert_eq!(count(&svgs[3], "<circle"), 2);
    assert_eq!(count(&svgs[4], "<circle"), 2);
}

#[test]
fn non_finite_values_are_skipped() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let mut forest = forest_data();
    forest.rows[0].sens = (nan, nan, nan);
    forest.rows[1].spec = (0.5, nan, inf);
    forest.rows[2].weight = Some(nan);
    forest.summary_spec = Some((nan, 0.1, 0.2));
    let mut sroc = SrocData {
        level: CiLabel::default(),
        series: vec![sroc_series("s", &AUDIT_C, 0.0)],
        auc_label: Some("AUC NA".into()),
        title: "NaN".into(),
        zoom: false,
        ..Default::default()
    };
    sroc.series[0].points[0] = (nan, 0.5, 100.0);
    sroc.series[0].points[1] = (0.5, inf, 100.0);
    sroc.series[0].points[2] = (0.2, 0.5, nan);
    sroc.series[0].curve[3] = (nan, nan);
    sroc.series[0].confidence_region[0] = (inf, 0.3);
    let mut deeks = deeks_data();
    deeks.points[0].0 = nan;
    deeks.points[1].1 = inf;
    deeks.summary_ln_dor = Some(nan);
    let doi = DoiData {
        te: vec![1.0, nan, 2.0, 3.0],
        z: vec![-1.0, 0.0, inf, 1.5],
        lfk: 1.5,
        interpretation: "minor asymmetry".into(),
        x_label: "ln DOR".into(),
        ..Default::default()
    };
    let lr = LrScatterData {
        level: CiLabel::default(),
        points: vec![
            LrPoint { label: "a".into(), lr_positive: 5.0, lr_negative: 0.2 },
            LrPoint { label: "b".into(), lr_positive: 0.0, lr_negative: 0.2 },
            LrPoint { label: "c".into(), lr_positive: inf, lr_negative: nan },
        ],
        summary: Some(LrSummary { lr_positive: (4.0, nan, 6.0), lr_negative: (nan, 0.1, 0.3) }),
        title: "NaN".into(),
        ..Default::default()
    };
    let fagan = fagan_figure(0.3, inf, 0.0, nan, nan);
    let mut quadas = quadas_data();
    quadas.judgements[0].truncate(2);
    quadas.judgements.truncate(5);
    let svgs = render_all(forest, sroc, fagan, deeks, doi, lr, quadas);
    // Forest: one sensitivity marker missing.
    assert_eq!(count(&svgs[0], "<circle"), 2 * AUDIT_C.len() - 1);
    assert!(svgs[0].contains("\nNA\n"));
    // SROC: two points skipped, the one without N still drawn; plus legend.
    assert_eq!(count(&svgs[1], "<circle"), AUDIT_C.len() - 2 + 1);
    assert_eq!(count(&svgs[3], "<circle"), AUDIT_C.len() - 2 + 1);
    assert_eq!(count(&svgs[4], "<circle"), 2);
    assert_eq!(count(&svgs[5], "<circle"), 1 + 1);
}

#[test]
fn too_small_or_empty_area_is_an_error() {
    let data = forest_data();
    let err = to_svg(120, 80, |a| draw_forest(a, &data, &style())).expect_err("too small");
    assert!(err.message.contains("too small"), "{err}");
    assert!(to_svg(0, 100, |a| draw_forest(a, &data, &style())).is_err());
}

/// All plots at a small size (600 × 400) must still draw; with `PLOT_DIR=dir` the SVGs are
/// written there for a visual check (not compared).
#[test]
fn small_figures_draw() {
    let st = style();
    let fagan = fagan_figure(0.4, 4.6, 0.24, 0.754, 0.138);
    let forest = forest_data();
    let sroc = SrocData {
        level: CiLabel::default(),
        series: vec![sroc_series("AUDIT-C", &AUDIT_C, 0.0)],
        auc_label: Some("AUC 0.89".into()),
        title: "SROC".into(),
        zoom: false,
        ..Default::default()
    };
    let deeks = deeks_data();
    let quadas = quadas_data();
    let svgs = [
        ("small_forest", to_svg(600, forest_height(14), |a| draw_forest(a, &forest, &st))),
        ("small_sroc", to_svg(600, 400, |a| draw_sroc(a, &sroc, &st))),
        ("small_fagan", to_svg(600, 400, |a| draw_fagan(a, &fagan, &st))),
        ("small_deeks", to_svg(600, 400, |a| draw_deeks(a, &deeks, &st))),
        ("small_quadas", to_svg(600, 400, |a| draw_quadas_traffic_light(a, &quadas, &st))),
    ];
    for (name, svg) in svgs {
        let svg = svg.expect(name);
        if let Ok(dir) = std::env::var("PLOT_DIR") {
            std::fs::write(format!("{dir}/{name}.svg"), &svg).expect("write");
        }
    }
}

// ---------------------------------------------------------------- subgroups, layout (issue #11)

/// `(x, y, anchor, font-size, content)` of every `<text>` of an SVG written by plotters.
fn texts(svg: &str) -> Vec<(f64, f64, String, f64, String)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!(" {name}=\"");
        let i = tag.find(&key)? + key.len();
        Some(tag[i..].split('"').next()?.to_string())
    };
    svg.split("<text")
        .skip(1)
        .filter_map(|chunk| {
            let (tag, rest) = chunk.split_once('>')?;
            if tag.contains("rotate(") {
                return None; // axis titles turned by 90°: their extent is vertical
            }
            let content = rest.split("</text>").next()?.trim();
            let content = content.replace("&apos;", "'").replace("&quot;", "\"").replace("&lt;", "<");
            let content = content.replace("&gt;", ">").replace("&amp;", "&");
            Some((
                attr(tag, "x")?.parse().ok()?,
                attr(tag, "y")?.parse().ok()?,
                attr(tag, "text-anchor").unwrap_or_default(),
                attr(tag, "font-size")?.parse().ok()?,
                content,
            ))
        })
        .collect()
}

/// Horizontal extent of a text by the layout's own estimate (0.55 em per character, +10 %).
fn extent(t: &(f64, f64, String, f64, String)) -> (f64, f64) {
    let w = t.4.chars().count() as f64 * t.3 * 0.55 * 1.1;
    match t.2.as_str() {
        "middle" => (t.0 - w / 2.0, t.0 + w / 2.0),
        "end" => (t.0 - w, t.0),
        _ => (t.0, t.0 + w),
    }
}

fn three_groups() -> Vec<(&'static str, std::ops::Range<usize>)> {
    vec![("Primary care", 0..5), ("Hospital", 5..10), ("Community", 10..14)]
}

fn groups_of(n: usize) -> PointGroups {
    let g = three_groups();
    PointGroups {
        names: g.iter().map(|(name, r)| format!("{name} (k = {})", r.len())).collect(),
        of_point: (0..n).map(|i| g.iter().position(|(_, r)| r.contains(&i)).unwrap_or(0)).collect(),
    }
}

#[test]
fn forest_with_three_subgroups_has_headings_and_four_diamonds_per_panel() {
    let all = forest_data();
    let groups: Vec<ForestGroup> = three_groups()
        .into_iter()
        .map(|(name, r)| ForestGroup {
            heading: format!("{name} (k = {})", r.len()),
            rows: all.rows[r].to_vec(),
            summary_sens: Some((0.8, 0.7, 0.9)),
            summary_spec: Some((0.75, 0.6, 0.85)),
        })
        .collect();
    let data = ForestData { groups, rows: Vec::new(), ..forest_data() };
    let h = forest_data_height(&data);
    assert!(h > forest_height(AUDIT_C.len()), "headings and subtotals take rows");
    let svg = to_svg(900, h, |a| draw_forest(a, &data, &style())).expect("drawn");
    snapshot("forest_subgroups", &svg);
    for heading in ["Primary care (k = 5)", "Hospital (k = 5)", "Community (k = 4)"] {
        assert_eq!(count(&svg, &format!("\n{heading}\n")), 1, "{heading}");
    }
    assert_eq!(count(&svg, "\nSubgroup summary\n"), 3);
    assert_eq!(count(&svg, "\nOverall\n"), 1);
    // 3 subgroup diamonds + the overall one, in each of the two panels.
    assert_eq!(count(&svg, "<polygon"), 2 * 4);
    assert_eq!(count(&svg, "<circle"), 2 * AUDIT_C.len());
    // Every text stays inside the figure.
    for t in texts(&svg) {
        let (x0, x1) = extent(&t);
        assert!(x0 >= 0.0 && x1 <= 900.0 && t.1 <= h as f64, "{t:?}");
    }
}

#[test]
fn forest_counts_layout_shows_the_two_by_two_table() {
    let data = ForestData { show_counts: true, ..forest_data() };
    let w = forest_width(&data);
    let svg = to_svg(w, forest_data_height(&data), |a| draw_forest(a, &data, &style())).expect("drawn");
    snapshot("forest_counts", &svg);
    for head in ["\nTP\n", "\nFP\n", "\nFN\n", "\nTN\n", "\n3226\n", "\n2977\n"] {
        assert!(svg.contains(head), "{head}");
    }
    // Study | counts | CIs | panels: the CI column comes before the sensitivity panel.
    let ts = texts(&svg);
    let x_of = |s: &str| ts.iter().rev().find(|t| t.4 == s).map(|t| t.0).expect(s);
    assert!(x_of("TP") < x_of("0.84 [0.72, 0.91]"));
    assert!(x_of("0.84 [0.72, 0.91]") < x_of("Sensitivity"));
    for t in &ts {
        let (x0, x1) = extent(t);
        assert!(x0 >= 0.0 && x1 <= w as f64, "{t:?}");
    }
}

#[test]
fn scatter_plots_have_one_legend_entry_per_subgroup() {
    let deeks = DeeksData { groups: groups_of(AUDIT_C.len()), ..deeks_data() };
    let doi = DoiData {
        te: deeks_inputs().iter().map(|r| r.0).collect(),
        z: (0..AUDIT_C.len()).map(|i| i as f64 / 4.0 - 1.5).collect(),
        lfk: 1.2,
        x_label: "ln DOR".into(),
        groups: groups_of(AUDIT_C.len()),
        ..Default::default()
    };
    let lr = LrScatterData {
        points: lr_points(),
        groups: groups_of(AUDIT_C.len()),
        title: "LR".into(),
        ..Default::default()
    };
    let svgs = [
        ("deeks_subgroups", to_svg(640, 480, |a| draw_deeks(a, &deeks, &style())).expect("deeks")),
        ("doi_subgroups", to_svg(640, 480, |a| draw_doi(a, &doi, &style())).expect("doi")),
        ("lr_scatter_subgroups", to_svg(640, 480, |a| draw_lr_scatter(a, &lr, &style())).expect("lr")),
    ];
    for (name, svg) in &svgs {
        snapshot(name, svg);
        for entry in ["Primary care (k = 5)", "Hospital (k = 5)", "Community (k = 4)"] {
            assert_eq!(count(svg, &format!("\n{entry}\n")), 1, "{name}: {entry}");
        }
        // Three colours (Okabe–Ito blue, vermillion, bluish green) for the three groups.
        for c in ["#0072B2", "#D55E00", "#009E73"] {
            assert!(svg.contains(c), "{name}: {c}");
        }
        for t in texts(svg) {
            let (x0, x1) = extent(&t);
            assert!(x0 >= 0.0 && x1 <= 640.0, "{name}: {t:?}");
        }
    }
    // Deeks keeps the overall regression line; outlier mode labels at most five studies.
    let labelled = AUDIT_C.iter().filter(|r| svgs[0].1.contains(&format!("\n{}\n", r.0))).count();
    assert!((1..=5).contains(&labelled), "{labelled} labels");
    assert!(svgs[0].1.contains("Regression line"));
}

fn three_series() -> SrocData {
    SrocData {
        series: vec![
            sroc_series("Primary care (k = 5)", &AUDIT_C[..5], 0.3),
            sroc_series("Hospital (k = 5)", &AUDIT_C[5..10], -0.4),
            sroc_series("Community (k = 4)", &AUDIT_C[10..], 0.0),
        ],
        title: "SROC by setting".into(),
        ..Default::default()
    }
}

#[test]
fn sroc_legend_stays_inside_the_canvas_and_the_plot_is_square() {
    let legend = [
        "Primary care (k = 5)",
        "Summary point",
        "SROC curve",
        "95% confidence region",
        "95% prediction region",
    ];
    for (w, h) in [(640u32, 600u32), (400, 500), (900, 600)] {
        let data = three_series();
        let svg = to_svg(w, h, |a| draw_sroc(a, &data, &style())).expect("drawn");
        if (w, h) == (400, 500) {
            snapshot("sroc_narrow", &svg);
        }
        let ts = texts(&svg);
        for name in legend {
            let t = ts.iter().find(|t| t.4 == name).unwrap_or_else(|| panic!("{w}×{h}: no {name}"));
            let (x0, x1) = extent(t);
            assert!(x0 >= 0.0 && x1 <= w as f64 && t.1 > 0.0 && t.1 + t.3 <= h as f64, "{w}×{h}: {t:?}");
        }
        // Square plot area: the 0 and 1 ticks of both axes are as far apart.
        let tick = |s: &str, anchor: &str| {
            ts.iter().filter(|t| t.4 == s && t.2 == anchor).map(|t| (t.0, t.1)).collect::<Vec<_>>()
        };
        let x_ticks = tick("1.0", "middle");
        let y_ticks = tick("1.0", "end");
        let (x0, y0) = (tick("0.0", "middle")[0], tick("0.0", "end")[0]);
        let x_len = x_ticks[0].0 - x0.0;
        let y_len = y0.1 - y_ticks[0].1;
        assert!((x_len - y_len).abs() <= 2.0, "{w}×{h}: {x_len} vs {y_len}");
    }
}

#[test]
fn sroc_zoom_and_hidden_regions() {
    let mut data = three_series();
    let full = to_svg(640, 600, |a| draw_sroc(a, &data, &style())).expect("full");
    data.zoom = true;
    let zoom = to_svg(640, 600, |a| draw_sroc(a, &data, &style())).expect("zoom");
    snapshot("sroc_zoom", &zoom);
    assert_ne!(full, zoom);
    assert!(!texts(&zoom).iter().any(|t| t.4 == "1.0" && t.2 == "middle"), "zoomed x axis stops before 1");
    for s in &mut data.series {
        s.show_regions = false;
    }
    let bare = to_svg(640, 600, |a| draw_sroc(a, &data, &style())).expect("bare");
    assert!(!bare.contains("confidence region") && !bare.contains("prediction region"));
}

/// The layout is a pure function of the data and the layout sizes: the canvas style (which
/// only changes the font size handed to the backend) lays every element out identically.
#[test]
fn canvas_and_svg_styles_lay_out_identically() {
    let strip = |svg: &str| -> String {
        svg.split("font-size=\"")
            .enumerate()
            .map(|(i, p)| if i == 0 { p } else { p.split_once('"').map_or(p, |x| x.1) })
            .collect()
    };
    let canvas = PlotStyle::for_canvas();
    let deeks = DeeksData { groups: groups_of(AUDIT_C.len()), labels: LabelMode::All, ..deeks_data() };
    let lr = LrScatterData { points: lr_points(), ..Default::default() };
    let sroc = three_series();
    let forest = forest_data();
    for st in [style(), canvas.clone()] {
        assert!(st.font(st.text_size).get_size() > 0.0);
    }
    let pair = |f: &dyn Fn(&PlotStyle) -> String| (strip(&f(&style())), strip(&f(&canvas)));
    let cases: Vec<(&str, (String, String))> = vec![
        ("deeks", pair(&|st| to_svg(640, 480, |a| draw_deeks(a, &deeks, st)).expect("deeks"))),
        ("lr", pair(&|st| to_svg(640, 480, |a| draw_lr_scatter(a, &lr, st)).expect("lr"))),
        ("sroc", pair(&|st| to_svg(640, 600, |a| draw_sroc(a, &sroc, st)).expect("sroc"))),
        ("forest", pair(&|st| to_svg(900, 600, |a| draw_forest(a, &forest, st)).expect("forest"))),
    ];
    for (name, (svg, cv)) in cases {
        assert!(svg == cv, "{name}: layout differs between the SVG and the canvas style");
    }
}

/// LR scattergram points from the Deeks inputs (LR+ = √DOR, LR− = 1/√DOR).
fn lr_points() -> Vec<LrPoint> {
    deeks_inputs()
        .iter()
        .map(|r| LrPoint {
            label: r.3.clone(),
            lr_positive: r.0.exp().sqrt(),
            lr_negative: (-r.0).exp().sqrt(),
        })
        .collect()
}

/// On a narrow figure (a phone, half a column) the legend, the p-value and the quadrant key go
/// under the plot instead of squeezing it: every text inside the figure, the legend below every
/// point, and the plot as wide as the figure allows.
#[test]
fn narrow_scatter_plots_put_the_legend_below() {
    let (w, h) = (380u32, 560u32);
    let lr = LrScatterData { points: lr_points(), title: "LR".into(), ..Default::default() };
    let svgs = [
        (
            "deeks",
            to_svg(w, h, |a| draw_deeks(a, &deeks_data(), &style())).expect("deeks"),
            "Regression line",
        ),
        ("lr", to_svg(w, h, |a| draw_lr_scatter(a, &lr, &style())).expect("lr"), "Studies"),
    ];
    for (name, svg, entry) in &svgs {
        if let Ok(dir) = std::env::var("PLOT_DIR") {
            std::fs::write(format!("{dir}/narrow_{name}.svg"), svg).expect("write");
        }
        let ts = texts(svg);
        for t in &ts {
            let (x0, x1) = extent(t);
            assert!(x0 >= 0.0 && x1 <= f64::from(w) && t.1 <= f64::from(h), "{name}: {t:?}");
        }
        let legend_y = ts.iter().find(|t| t.4 == *entry).map(|t| t.1).expect("legend entry");
        let cy: Vec<f64> = svg
            .match_indices("<circle")
            .filter_map(|(i, _)| {
                let tag = &svg[i..i + svg[i..].find("/>")?];
                let from = tag.find("cy=\"")? + 4;
                tag[from..from + tag[from..].find('"')?].parse().ok()
            })
            .collect();
        let cx_max = svg
            .match_indices("<circle")
            .filter_map(|(i, _)| {
                let tag = &svg[i..i + svg[i..].find("/>")?];
                let from = tag.find("cx=\"")? + 4;
                tag[from..from + tag[from..].find('"')?].parse::<f64>().ok()
            })
            .fold(0.0, f64::max);
        // The legend's own marker is a circle at the legend's height: all others lie above it.
        let above = cy.iter().filter(|y| **y < legend_y - 10.0).count();
        assert!(above + 2 >= cy.len(), "{name}: points below the legend ({legend_y}): {cy:?}");
        assert!(cx_max > 0.7 * f64::from(w), "{name}: the plot uses the width ({cx_max})");
    }
}
