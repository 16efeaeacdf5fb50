//! The words and figures of the summary of findings, the decision curve, the compatibility view and
//! the HTML report: layout, rounding that adds up, escaping, sections that later features add.

use fourfold::analysis::{run, AnalysisConfig};
use fourfold::findings::{decision, icon_frequencies, summary_of_findings};
use fourfold::plot::{draw_decision, draw_icons, icon_size, to_svg, PlotStyle};
use fourfold::report::html_report::{methods_text, report_html, ReportPage, Section};
use fourfold::report::sof::{
    decision_data, decision_table, icon_data, sof_csv, sof_html, sof_tables, whole_people,
};
use fourfold::settings::{AnalysisSettings, FindingsSettings};
mod support;
use support::read_dataset;

fn audit(settings: AnalysisSettings) -> fourfold::analysis::Analysis {
    run(&read_dataset("audit_c"), &AnalysisConfig::try_from(&settings).expect("present")).expect("present")
}

#[test]
fn sof_table_layout_and_exports() {
    let a = audit(AnalysisSettings {
        findings: FindingsSettings {
            certainty: vec!["Moderate, \"imprecise\"".into()],
            ..FindingsSettings::default()
        },
        ..AnalysisSettings::default()
    });
    let f = summary_of_findings(&a);
    let tables = sof_tables(&f);
    assert_eq!(tables.len(), 1);
    let t = &tables[0].1;
    assert_eq!(t.rows.len(), 7);
    assert_eq!(t.headers.len(), 2 + 3 + 2);
    assert_eq!(t.headers[2], "Prevalence 5.4% — per 1,000 tested");
    // TP at 5.4%: 1000·p·Se from the fit, shown whole with its interval.
    let c = &f.blocks[0].columns[0];
    assert_eq!(
        t.rows[0].cells[2].text,
        format!(
            "{:.0} ({:.0} to {:.0})",
            c.true_positives.estimate, c.true_positives.ci[0], c.true_positives.ci[1]
        )
    );
    assert_eq!(t.rows[0].cells[1].text, "14 (2071)");
    assert_eq!(t.rows[2].cells[1].text, "14 (16261)");
    assert_eq!(t.rows[0].cells[5].text, "Moderate, \"imprecise\"");
    let csv = sof_csv(&f);
    assert_eq!(csv.lines().count(), 1 + 3 * 7);
    assert!(csv.contains("\"Moderate, \"\"imprecise\"\"\""), "{csv}");
    let html = sof_html(&f);
    assert!(html.contains("border:1px solid") && html.contains("Moderate, &quot;imprecise&quot;"));
}

#[test]
fn icon_counts_add_up_and_draw() {
    let a = audit(AnalysisSettings::default());
    let fr = icon_frequencies(&a).expect("frequencies at the median prevalence");
    for people in [100, 1000] {
        let c = whole_people(&fr, people);
        assert_eq!(c.iter().sum::<u32>(), people);
        // Each group within one person of its exact share.
        let exact = [fr.true_positives, fr.false_negatives, fr.false_positives, fr.true_negatives]
            .map(|e| e.estimate * people as f64 / 1000.0);
        for (x, e) in c.iter().zip(exact) {
            assert!((*x as f64 - e).abs() < 1.0, "{x} vs {e}");
        }
        let d = icon_data(&fr, people);
        let (w, h) = icon_size(people);
        let svg = to_svg(w, h, |ar| draw_icons(ar, &d, &PlotStyle::default())).expect("svg");
        assert!(svg.contains(&format!("{} true positives", c[0])), "legend with the counts");
    }
}

#[test]
fn decision_curve_table_and_figure() {
    let a = audit(AnalysisSettings {
        findings: FindingsSettings { chosen: Some(0.2), ..FindingsSettings::default() },
        ..AnalysisSettings::default()
    });
    let d = decision(&a).expect("curve");
    assert_eq!(d.prevalence, 0.2);
    assert_eq!(d.points.len(), 99);
    let t = decision_table(&d);
    assert_eq!(t.rows.len(), 9);
    // At the threshold equal to the prevalence treat-all has zero net benefit.
    let at = d.points.iter().find(|p| (p.threshold - 0.2).abs() < 1e-12).expect("present");
    assert!(at.treat_all.abs() < 1e-12);
    let s = &a.overall.fit.as_ref().expect("present").summary;
    let nb = 0.2 * s.sensitivity.estimate - 0.8 * (1.0 - s.specificity.estimate) * 0.25;
    assert!((at.test.estimate - nb).abs() < 1e-12);
    let svg =
        to_svg(900, 520, |ar| draw_decision(ar, &decision_data(&d), &PlotStyle::default())).expect("present");
    assert!(svg.contains("Treat all") && svg.contains("Net benefit"));
}

#[test]
fn report_sections_escape_and_extend() {
    let mut data = read_dataset("audit_c");
    data.studies[0].label = "<script>alert(1)</script>&".into();
    let a = run(&data, &AnalysisConfig::try_from(&AnalysisSettings::default()).expect("present"))
        .expect("present");
    let html = report_html(&a, Some("#v1.abc\"><x>"));
    assert!(!html.contains("<script>alert(1)"), "hostile label escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;"));
    assert!(html.contains("href=\"#v1.abc&quot;&gt;&lt;x&gt;\""));
    // No external reference (the SVG namespace URI is a name, not a request).
    for bad in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(bad), "external reference {bad}");
    }
    // A later feature adds a section with one call.
    let mut page = ReportPage::standard(&a, None);
    let n = page.sections.len();
    page.insert_before("studies", Section::new("bayes", "Bayesian fit", "<p>…</p>"));
    page.push(Section::new("revman", "RevMan parameters", "<p>…</p>"));
    assert_eq!(page.sections.len(), n + 2);
    let ids: Vec<&str> = page.sections.iter().map(|s| s.id.as_str()).collect();
    let i = ids.iter().position(|x| *x == "bayes").expect("present");
    assert_eq!(ids[i + 1], "studies");
    assert_eq!(ids.last(), Some(&"revman"));
    let out = page.to_html();
    assert!(out.contains("<section id=\"bayes\"><h2>Bayesian fit</h2>"));
    // The methods paragraph names the model, the nodes, the software and its version.
    let m = methods_text(&a);
    assert!(m.contains("adaptive Gauss–Hermite quadrature with 25 points per dimension"), "{m}");
    assert!(m.contains(&format!("Fourfold {}", env!("CARGO_PKG_VERSION"))));
    assert!(m.contains("Clopper–Pearson"));
}
