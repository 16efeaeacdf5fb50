//! The GRADE summary of findings (METHODS §17) against an independent R computation
//! (tests/refs-src/sof.R → tests/refs-src/out/sof.json, from the refs' `own_aghq` mu and vcov) on
//! three data sets, the joint intervals against R's simulation from N(mu, V), and Fourfold's own
//! analysis end to end against the same numbers.

use fourfold::analysis::{run, AnalysisConfig};
use fourfold::findings::{summary_of_findings, PrevalenceSource};
use fourfold::settings::{AnalysisSettings, FindingsSettings};
use fourfold::stats::sof::{frequencies, Frequencies, LogitMeans};
use fourfold::stats::transform::z_for_level;
use serde_json::Value;
mod support;
use support::{read_dataset, tol};

const SETS: [&str; 3] = ["audit_c", "dementia", "scheidler"];

fn reference() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/refs-src/out/sof.json"))
        .expect("tests/refs-src/out/sof.json");
    serde_json::from_str(&text).expect("JSON")
}

fn triple(v: &Value) -> [f64; 3] {
    let a: Vec<f64> = v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect();
    [a[0], a[1], a[2]]
}

fn cells(f: &Frequencies) -> [(&'static str, [f64; 3]); 7] {
    let t = |e: &fourfold::stats::Estimate| [e.estimate, e.ci[0], e.ci[1]];
    [
        ("tp", t(&f.true_positives)),
        ("fn", t(&f.false_negatives)),
        ("tn", t(&f.true_negatives)),
        ("fp", t(&f.false_positives)),
        ("test_positives", t(&f.test_positives)),
        ("ppv", t(&f.ppv)),
        ("npv", t(&f.npv)),
    ]
}

#[test]
fn same_mu_and_vcov_as_r() {
    let r = reference();
    let z = z_for_level(0.95);
    let mut worst = 0.0f64;
    for name in SETS {
        let set = &r[name];
        let mu = [set["mu"][0].as_f64().expect("present"), set["mu"][1].as_f64().expect("present")];
        let v = |i: usize, j: usize| set["vcov"][i][j].as_f64().expect("present");
        let m = LogitMeans { mu, vcov: [[v(0, 0), v(0, 1)], [v(1, 0), v(1, 1)]] };
        let cols = set["columns"].as_array().expect("present");
        assert_eq!(cols.len(), 3, "{name}: three distinct prevalences");
        for c in cols {
            let p = c["prevalence"].as_f64().expect("present");
            let f = frequencies(&m, p, z).expect("frequencies");
            for (key, got) in cells(&f) {
                let want = triple(&c[key]);
                for i in 0..3 {
                    let rel = (got[i] - want[i]).abs() / want[i].abs();
                    worst = worst.max(rel);
                    assert!(rel < tol::SOF_R, "{name} p={p} {key}[{i}]: {} vs R {}", got[i], want[i]);
                }
            }
            // The joint intervals against the simulation.
            for (key, got) in [("test_positives", f.test_positives), ("ppv", f.ppv), ("npv", f.npv)] {
                let sim = &c[format!("sim_{key}")];
                let (lo, hi) = (sim[0].as_f64().expect("present"), sim[1].as_f64().expect("present"));
                let w = got.ci[1] - got.ci[0];
                assert!(
                    (got.ci[0] - lo).abs() < tol::SOF_SIMULATION * w
                        && (got.ci[1] - hi).abs() < tol::SOF_SIMULATION * w,
                    "{name} p={p} {key}: delta {:?} vs simulation [{lo}, {hi}]",
                    got.ci
                );
            }
        }
    }
    eprintln!("largest relative difference from R: {worst:.2e}");
}

#[test]
fn the_analysis_gives_r_numbers() {
    let r = reference();
    for name in SETS {
        let a = run(
            &read_dataset(name),
            &AnalysisConfig::try_from(&AnalysisSettings::default()).expect("present"),
        )
        .expect("analysis");
        let sof = summary_of_findings(&a);
        let b = &sof.blocks[0];
        let set = &r[name];
        assert_eq!(b.prevalence_source, PrevalenceSource::Studies);
        assert_eq!(b.k as u64, set["k"].as_u64().expect("present"));
        assert_eq!(b.diseased, set["diseased"].as_u64().expect("present"), "{name}");
        assert_eq!(b.non_diseased, set["non_diseased"].as_u64().expect("present"), "{name}");
        let cols = set["columns"].as_array().expect("present");
        assert_eq!(b.columns.len(), cols.len());
        for (f, c) in b.columns.iter().zip(cols) {
            assert!((f.prevalence - c["prevalence"].as_f64().expect("present")).abs() < tol::ALGEBRA);
            for (key, got) in cells(f) {
                let want = triple(&c[key]);
                let scale = if key == "ppv" || key == "npv" { 1000.0 } else { 1.0 };
                for i in 0..3 {
                    assert!(
                        (got[i] - want[i]).abs() * scale < tol::SOF_PER_1000,
                        "{name} {key}[{i}]: {} vs R {}",
                        got[i],
                        want[i]
                    );
                }
            }
        }
    }
}

#[test]
fn user_prevalences_and_relabelling() {
    let d = read_dataset("audit_c");
    let settings = AnalysisSettings {
        findings: FindingsSettings { prevalences: vec![0.01, 0.2, 0.5], ..FindingsSettings::default() },
        ..AnalysisSettings::default()
    };
    let a = run(&d, &AnalysisConfig::try_from(&settings).expect("present")).expect("present");
    let sof = summary_of_findings(&a);
    let b = &sof.blocks[0];
    assert_eq!(b.prevalence_source, PrevalenceSource::User);
    assert_eq!(b.columns.iter().map(|c| c.prevalence).collect::<Vec<_>>(), vec![0.01, 0.2, 0.5]);
    // Every column adds up to 1,000 and its test positives are TP + FP.
    for c in &b.columns {
        let s = c.true_positives.estimate
            + c.false_negatives.estimate
            + c.true_negatives.estimate
            + c.false_positives.estimate;
        assert!((s - 1000.0).abs() < tol::SUM_IDENTITY);
        assert!(
            (c.test_positives.estimate - c.true_positives.estimate - c.false_positives.estimate).abs()
                < tol::SUM_IDENTITY
        );
    }
    // Study order does not matter.
    let mut rev = d.clone();
    rev.studies.reverse();
    let a2 = run(&rev, &AnalysisConfig::try_from(&settings).expect("present")).expect("present");
    let b2 = &summary_of_findings(&a2).blocks[0];
    for (x, y) in b.columns.iter().zip(&b2.columns) {
        assert!((x.ppv.estimate - y.ppv.estimate).abs() < 1e-6);
    }
    // Out of range: refused by the settings, with the value in the message.
    let bad = AnalysisSettings {
        findings: FindingsSettings { prevalences: vec![1.5], ..FindingsSettings::default() },
        ..AnalysisSettings::default()
    };
    let e = AnalysisConfig::try_from(&bad).expect_err("refused");
    assert!(e.to_string().contains("1.5"), "{e}");
}

#[test]
fn subgroups_get_their_own_block() {
    let settings = AnalysisSettings { covariate: Some("modality".into()), ..AnalysisSettings::default() };
    let a = run(&read_dataset("scheidler"), &AnalysisConfig::try_from(&settings).expect("present"))
        .expect("present");
    let sof = summary_of_findings(&a);
    assert_eq!(sof.blocks.len(), 4, "overall + CT, LAG, MRI");
    let labels: Vec<&str> = sof.blocks.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["Overall", "CT", "LAG", "MRI"]);
    let k: usize = sof.blocks[1..].iter().map(|b| b.k).sum();
    assert_eq!(k, sof.blocks[0].k);
}

#[test]
fn findings_settings_ride_in_the_permalink() {
    let d = read_dataset("audit_c");
    let s = AnalysisSettings {
        findings: FindingsSettings {
            prevalences: vec![0.05, 0.25],
            chosen: Some(0.3),
            icon_people: Some(1000),
            certainty: vec!["⊕⊕◯◯ Low".into(), String::new(), "High".into()],
            footnotes: vec!["Risk of bias: <b>&\"".into()],
        },
        ..AnalysisSettings::default()
    };
    let frag = fourfold::permalink::encode(&d, &s);
    let (_, back) = fourfold::permalink::decode(&frag).expect("decode");
    assert_eq!(back.findings, s.findings);
    // Defaults write nothing: links of analyses without these settings stay as they were.
    assert!(AnalysisSettings::default().extensions().is_empty());
    assert_eq!(s.extensions().len(), 1);
}
