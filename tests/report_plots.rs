//! The page's pure helpers, natively: Analysis → plot data adapters (`report::plots`), SVG export
//! of every figure, CSV / R exports and the one-row-at-a-time leave-one-out (`report::export`).

use fourfold::analysis::{run_settings, AnalysisConfig, Staged};
use fourfold::data::parse_table;
use fourfold::report::export::{loo_csv, r_script, studies_csv, summary_csv};
use fourfold::report::plots::{
    deeks_data, doi_data, fagan_data, forest_data, lr_scatter_data, plot_svg, sroc_data, PlotKind,
};
use fourfold::settings::{AnalysisSettings, AucCi};
use fourfold::stats::influence::leave_one_out;

const SCHEIDLER: &str = include_str!("../www/examples/scheidler.csv");

fn analysis(covariate: Option<&str>) -> fourfold::analysis::Analysis {
    analysis_with(AnalysisSettings { covariate: covariate.map(String::from), ..AnalysisSettings::default() })
}

fn analysis_with(s: AnalysisSettings) -> fourfold::analysis::Analysis {
    let data = parse_table(SCHEIDLER).dataset;
    match run_settings(&data, &AnalysisSettings { auc_ci: AucCi::None, ..s }) {
        Ok(a) => a,
        Err(e) => panic!("analysis failed: {e}"),
    }
}

#[test]
fn adapters_carry_the_analysis_numbers() {
    let a = analysis(None);
    let b = &a.overall;
    let Some(fit) = b.fit.as_ref() else { panic!("no fit") };
    let forest = forest_data(b, 0.95);
    assert_eq!(forest.rows.len(), 44);
    assert_eq!(forest.rows[0].label, "Grumbine_1981");
    // Exact copies: tolerance 0.
    assert_eq!(forest.summary_sens.map(|s| s.0), Some(fit.summary.sensitivity.estimate));
    let sroc = sroc_data(&a);
    assert_eq!(sroc.series.len(), 1);
    let s = &sroc.series[0];
    assert_eq!(s.points.len(), 44);
    assert_eq!(s.summary, Some((1.0 - fit.summary.specificity.estimate, fit.summary.sensitivity.estimate)));
    assert_eq!(s.curve, fit.sroc.curve);
    assert!(sroc.auc_label.as_deref().is_some_and(|l| l.starts_with("AUC 0.85")));
    let fagan = fagan_data(b);
    assert_eq!(fagan.lr_positive, fit.summary.lr_positive.estimate);
    let deeks = deeks_data(b);
    assert_eq!(deeks.points.len(), b.deeks.as_ref().map_or(0, |d| d.points.len()));
    let doi = doi_data(b);
    assert_eq!(doi.lfk, b.lfk.as_ref().map_or(f64::NAN, |l| l.lfk_index));
    let lr = lr_scatter_data(b, 0.95);
    assert_eq!(lr.points.len(), 44);
}

#[test]
fn subgroups_become_sroc_series_and_summary_rows() {
    let a = analysis(Some("modality"));
    let sroc = sroc_data(&a);
    let names: Vec<&str> = sroc.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["CT (k = 17)", "LAG (k = 17)", "MRI (k = 10)"]);
    let csv = summary_csv(&a);
    assert_eq!(csv.lines().count(), 1 + 1 + 3);
    assert!(csv.lines().nth(2).is_some_and(|l| l.starts_with("CT,17,")));
}

#[test]
fn every_figure_renders_as_svg() {
    let a = analysis(Some("modality"));
    for kind in PlotKind::ALL {
        let svg = match plot_svg(kind, &a) {
            Ok(s) => s,
            Err(e) => panic!("{kind:?}: {e}"),
        };
        assert!(svg.starts_with("<svg"), "{kind:?}");
        assert!(svg.len() > 5_000, "{kind:?}: {} bytes", svg.len());
        assert_eq!(PlotKind::from_id(kind.id()), Some(kind));
    }
}

#[test]
fn loo_rows_one_at_a_time_equal_the_influence_table() {
    let a = analysis(None);
    let data = parse_table(SCHEIDLER).dataset;
    let Some(full) = a.overall.fit.as_ref() else { panic!("no fit") };
    let cfg = AnalysisConfig::default().fit();
    let table = leave_one_out(&data.studies, &cfg, full);
    let staged = Staged::new(&data, &AnalysisConfig::default()).expect("staged");
    for i in [0, 17, 43] {
        let row = staged.loo_rows(full, i..i + 1).remove(0);
        assert_eq!(row.omitted, table[i].omitted);
        let (Some(x), Some(y)) = (&row.fit, &table[i].fit) else { panic!("refit {i} failed") };
        // The same function on the same rows with the same start: identical (tolerance 0).
        assert_eq!(x.sensitivity, y.sensitivity);
        assert_eq!(x.dor, y.dor);
        assert_eq!(x.rung, y.rung);
    }
    let rows = staged.loo_rows(full, 0..1);
    let csv = loo_csv(&rows);
    // The CSV carries the intervals the page's table shows.
    assert!(
        csv.starts_with("omitted,sens,sens_lo,sens_hi,spec,spec_lo,spec_hi,lr_pos,lr_pos_lo,lr_pos_hi,"),
        "{csv}"
    );
    let f = rows[0].fit.as_ref().expect("refit");
    assert!(csv
        .contains(&format!(",{},{},{},", f.sensitivity.estimate, f.sensitivity.ci[0], f.sensitivity.ci[1])));
    assert!(csv.lines().nth(1).is_some_and(|l| l.starts_with("Grumbine_1981,0.")));
}

#[test]
fn exports_inline_the_data() {
    let a = analysis(None);
    let data = parse_table(SCHEIDLER).dataset;
    let csv = studies_csv(&a.overall);
    assert_eq!(csv.lines().count(), 45);
    let a = analysis_with(AnalysisSettings {
        excluded: vec!["Walsh_1981".to_string()],
        ci_level: 0.9,
        ..AnalysisSettings::default()
    });
    let r = r_script(&data, &a);
    assert!(
        r.contains("LEVEL <- 0.9 ")
            && r.contains("qnorm(1 - (1 - LEVEL) / 2)")
            && !r.contains("qnorm(0.975)"),
        "{r}"
    );
    assert!(r.contains("\"Grumbine_1981\""));
    assert!(!r.contains("\"Walsh_1981\""), "excluded studies are not inlined");
    assert!(r.contains("glmer(") && r.contains("reitsma(d)"));
    assert!(r.contains("modality"));
}

#[test]
fn hostile_labels_are_escaped_in_svg_exports() {
    let text = "study,TP,FP,FN,TN\n\"<img src=x onerror=alert(1)>\",10,2,3,40\nB,20,5,3,60\nC,15,4,6,50\nD,30,8,4,90\n";
    let data = parse_table(text).dataset;
    let a =
        match run_settings(&data, &AnalysisSettings { auc_ci: AucCi::None, ..AnalysisSettings::default() }) {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        };
    let svg = match plot_svg(PlotKind::Forest, &a) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert!(svg.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!svg.contains("<img"));
}

#[test]
fn quadas_columns_are_detected_and_drawn() {
    use fourfold::data::parse::parse_table;
    use fourfold::plot::Judgement;
    let text = "study,TP,FP,FN,TN,modality,Patient selection,Index test,Reference standard,Flow and timing,PS applicability,IT applicability,RS applicability\n\
                A,10,2,3,40,CT,low,high,low,unclear,low,low,high\n\
                B,12,5,1,30,MRI,Low,?,low risk,low,high,low,low\n\
                C,5,1,2,20,CT,high,low,low,low,low,unclear,low\n";
    let parsed = parse_table(text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let q = fourfold::report::plots::quadas_from_dataset(&parsed.dataset).expect("QUADAS columns");
    assert_eq!(q.domains.len(), 7, "modality is not a QUADAS column: {:?}", q.domains);
    assert_eq!(q.domains[0], "Patient selection");
    assert_eq!(q.judgements[1][1], Judgement::Unclear);
    assert_eq!(q.judgements[0][1], Judgement::High);
    assert_eq!(q.judgements[1][2], Judgement::Low);
    let svg = fourfold::plot::to_svg(900, fourfold::plot::quadas_height(3), |area| {
        fourfold::plot::draw_quadas_traffic_light(area, &q, &fourfold::plot::PlotStyle::default())
    })
    .expect("svg");
    assert!(
        svg.contains("Patient") && svg.matches("<circle").count() >= 21,
        "{}",
        svg.matches("<circle").count()
    );
    // The exports (SVG of both figures) are the same drawing.
    use fourfold::report::plots::{quadas_svg, QuadasKind};
    for k in [QuadasKind::TrafficLight, QuadasKind::Summary] {
        let svg = quadas_svg(k, &parsed.dataset).expect("drawn").expect("QUADAS columns");
        assert!(svg.starts_with("<svg") && svg.contains("Patient"), "{k:?}");
        assert_eq!(QuadasKind::from_id(k.id()), Some(k));
    }
    // A table without judgement columns has no QUADAS figure.
    let plain = parse_table("study,TP,FP,FN,TN,modality\nA,10,2,3,40,CT\nB,1,2,3,4,MRI\n");
    assert!(fourfold::report::plots::quadas_from_dataset(&plain.dataset).is_none());
}

/// The QUADAS figures name the tool the judgements follow (issue #11): QUADAS-3 words or domain
/// names give "QUADAS-3" titles and "Insufficient information" in the legend; QUADAS-2 stays as it was.
#[test]
fn quadas_figures_follow_the_tool_version() {
    use fourfold::data::parse::parse_table;
    use fourfold::report::plots::{quadas_svg, QuadasKind};
    let q3 = parse_table(
        "study,TP,FP,FN,TN,Participants,Index test,Target condition,Analysis\n\
         A,47,101,9,738,Low,Low,Low,Low\n\
         B,126,272,51,1543,Low,Low,Insufficient information,Low\n\
         C,36,78,3,276,High,Low,Low,Low\n",
    );
    assert!(q3.errors.is_empty(), "{:?}", q3.errors);
    let q2 = parse_table(
        "study,TP,FP,FN,TN,D1,D2,D3,D4\nA,47,101,9,738,low,low,unclear,low\nB,12,5,1,30,high,low,low,low\n",
    );
    let svg = |d: &fourfold::data::Dataset, k| quadas_svg(k, d).expect("drawn").expect("QUADAS columns");
    let tl3 = svg(&q3.dataset, QuadasKind::TrafficLight);
    assert!(tl3.contains("QUADAS-3: risk of bias and applicability concerns"), "{tl3}");
    assert!(tl3.contains("Insufficient information (?)"));
    let sum3 = svg(&q3.dataset, QuadasKind::Summary);
    assert!(sum3.contains("QUADAS-3 summary") && sum3.contains("Insufficient information (?)"));
    for s in [&tl3, &sum3] {
        assert!(!s.contains("QUADAS-2") && !s.contains("Unclear"), "no QUADAS-2 word in a QUADAS-3 figure");
    }
    let tl2 = svg(&q2.dataset, QuadasKind::TrafficLight);
    assert!(tl2.contains("QUADAS-2: risk of bias") && tl2.contains("Unclear (?)"));
    assert!(svg(&q2.dataset, QuadasKind::Summary).contains("QUADAS-2 summary"));
    assert!(!tl2.contains("QUADAS-3") && !tl2.contains("Insufficient"));
}

/// Every label comes from the analysis's own level (issue #10/#11: at 0.90 no figure says 95%).
#[test]
fn figures_and_tables_label_the_analysis_level() {
    let a = analysis_with(AnalysisSettings { ci_level: 0.9, ..AnalysisSettings::default() });
    let svg = |k| plot_svg(k, &a).unwrap_or_else(|e| panic!("{k:?}: {e}"));
    let forest = svg(PlotKind::Forest);
    assert!(forest.contains("Sensitivity (90% CI)") && forest.contains("Specificity (90% CI)"));
    let sroc = svg(PlotKind::Sroc);
    assert!(sroc.contains("90% confidence region") && sroc.contains("90% prediction region"));
    assert!(svg(PlotKind::LrScatter).contains("Summary (90% CI)"));
    for k in PlotKind::ALL {
        assert!(!svg(k).contains("95%"), "{k:?} mentions 95%");
    }
    let text = fourfold::report::text_report(&a);
    assert!(text.contains("Sensitivity (90% CI)") && !text.contains("95% CI"), "{text}");
    let studies = fourfold::report::results::studies_table(&a.overall, a.settings.ci_level);
    assert!(studies.headers.iter().any(|h| h == "Sensitivity (90% CI)"));
}
