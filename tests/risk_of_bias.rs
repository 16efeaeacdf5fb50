//! Risk of bias in the analysis (issue #15): the low-risk sensitivity analysis equals the whole
//! analysis of the hand-filtered table, bit for bit; the robvis QUADAS-2 layout merges by study
//! label with located errors; QUADAS-3 columns are recognised; a QUADAS column is a
//! meta-regression covariate; the option travels in permalinks and through the CLI.

mod support;

use fourfold::analysis::{run, AnalysisConfig};
use fourfold::data::parse::parse_table;
use fourfold::data::rob::{merge_robvis, rob_columns, RobTool};
use fourfold::data::{Dataset, Study};
use fourfold::settings::{AnalysisSettings, Method};
use std::process::Command;

fn fixture(name: &str) -> String {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn parsed(text: &str) -> Dataset {
    let p = parse_table(text);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    p.dataset
}

fn settings(low_risk: &str) -> AnalysisSettings {
    let mut s = AnalysisSettings {
        model: Method::Laplace,
        auc_ci: fourfold::settings::AucCi::Delta,
        ..Default::default()
    };
    s.risk_of_bias.low_risk = Some(low_risk.to_string());
    s
}

fn json<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_string(x).expect("json")
}

/// The rows of `d` whose label is in `labels`, kept as in the table (the hand filter).
fn hand_filtered(d: &Dataset, labels: &[&str]) -> Dataset {
    let keep: Vec<usize> =
        (0..d.studies.len()).filter(|&i| labels.contains(&d.studies[i].label.as_str())).collect();
    d.subset(&keep)
}

/// The restricted block equals `run` on the hand-filtered studies with the grouping off, in every
/// number the JSON carries.
fn assert_bit_identical(d: &Dataset, s: &AnalysisSettings, labels: &[&str]) {
    let a = run(d, &AnalysisConfig::try_from(s).expect("settings")).expect("analysis");
    let lr = a.low_risk.as_ref().expect("low-risk block");
    assert_eq!(lr.error, None);
    assert_eq!(lr.studies, labels.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let plain = AnalysisSettings { risk_of_bias: Default::default(), covariate: None, ..s.clone() };
    let by_hand =
        run(&hand_filtered(d, labels), &AnalysisConfig::try_from(&plain).expect("plain")).expect("run");
    let restricted = lr.result.as_ref().expect("restricted fit");
    assert_eq!(json(restricted.as_ref()), json(&by_hand.overall));
    // Real numbers, not two empty blocks.
    let f = restricted.fit.as_ref().expect("pooled");
    assert!(f.summary.sensitivity.estimate > 0.5 && f.summary.sensitivity.estimate < 1.0);
    assert_eq!(restricted.k, labels.len());
    // The main analysis is untouched by the option.
    let main = run(d, &AnalysisConfig::try_from(&plain).expect("plain")).expect("main");
    assert_eq!(json(&a.overall), json(&main.overall));
}

#[test]
fn low_risk_in_one_domain_and_overall_equals_the_hand_filtered_analysis() {
    // AuditC (refs) with constructed QUADAS-2 judgements: 4 risk-of-bias + 3 applicability columns.
    let d = parsed(&fixture("audit_c_quadas.csv"));
    let cols = rob_columns(&d).expect("judgement columns");
    assert_eq!((cols.domains.len(), cols.applicability.len(), cols.tool), (4, 3, RobTool::Quadas2));
    let d1 = [
        "AuditC_01",
        "AuditC_03",
        "AuditC_04",
        "AuditC_06",
        "AuditC_08",
        "AuditC_09",
        "AuditC_10",
        "AuditC_11",
        "AuditC_13",
        "AuditC_14",
    ];
    assert_bit_identical(&d, &settings("D1"), &d1);
    // The same domain by its column name, case-insensitive.
    assert_bit_identical(&d, &settings("Patient_Selection"), &d1);
    // Overall: low in all four risk-of-bias domains (applicability does not count).
    let overall = ["AuditC_01", "AuditC_04", "AuditC_06", "AuditC_08", "AuditC_11", "AuditC_14"];
    assert_bit_identical(&d, &settings("overall"), &overall);
    // With a grouping in the main analysis the restricted one is still the plain hand-filtered run.
    let mut s = settings("overall");
    s.covariate = Some("index_test".into());
    assert_bit_identical(&d, &s, &overall);
}

#[test]
fn low_risk_words_and_unknown_domains() {
    let d = parsed(&fixture("audit_c_quadas.csv"));
    let a = run(&d, &AnalysisConfig::try_from(&settings("D1")).expect("s")).expect("a");
    let text = fourfold::report::text_report(&a);
    assert!(text.contains("Risk of bias: analysis restricted to the studies at low risk"), "{text}");
    assert!(text.contains("Low risk of bias in patient_selection"), "{text}");
    assert!(
        text.contains("Sensitivity analysis by risk of bias (QUADAS-2): 10 of 14 studies judged low in patient_selection."),
        "{text}"
    );
    assert!(
        text.contains("Left out: 2 high, 2 unclear (AuditC_02, AuditC_05, AuditC_07, AuditC_12)."),
        "{text}"
    );
    let table = fourfold::report::rob::low_risk_table(&a).expect("table");
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[1].cells[1].value, Some(10.0));
    let a = run(&d, &AnalysisConfig::try_from(&settings("D7")).expect("s")).expect("a");
    let lr = a.low_risk.as_ref().expect("block");
    assert!(lr.result.is_none());
    assert_eq!(
        lr.error.as_deref(),
        Some(
            "no risk-of-bias domain 'D7' (choose overall, D1 (patient_selection), D2 (index_test), D3 \
             (reference_standard), D4 (flow_timing))"
        )
    );
    assert!(fourfold::report::text_report(&a).contains("! No low-risk analysis: no risk-of-bias domain 'D7'"));
    let choices = fourfold::report::rob::low_risk_choices(&d);
    assert_eq!(choices[0], ("overall".to_string(), "overall (QUADAS-2)".to_string()));
    assert_eq!(choices[1], ("D1".to_string(), "D1 — patient_selection".to_string()));
    assert_eq!(choices.len(), 5);
}

/// The first 12 AuditC tables, labelled as robvis's example studies ("Study 1" … "Study 12").
fn robvis_studies() -> Dataset {
    let audit = support::read_studies("audit_c");
    Dataset::from_studies(
        audit
            .iter()
            .take(12)
            .enumerate()
            .map(|(i, s)| Study::new(format!("Study {}", i + 1), s.tp, s.fp, s.fn_, s.tn))
            .collect(),
    )
}

#[test]
fn robvis_quadas_table_merges_by_label() {
    // tests/fixtures/robvis_data_quadas.csv is robvis's own QUADAS-2 example as distributed
    // (github.com/mcguinlu/robvis, data_raw/data_quadas.csv: Study,D1,D2,D3,D4,Overall,Weight;
    // the words Low / Some concerns / High / No information).
    let d = merge_robvis(&robvis_studies(), &fixture("robvis_data_quadas.csv")).expect("merged");
    let names: Vec<&str> = d.covariates.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["D1", "D2", "D3", "D4", "Overall"]);
    assert_eq!(d.covariate("D4").and_then(|c| c.label_of(9)).as_deref(), Some("No information"));
    assert_eq!(d.covariate("D1").and_then(|c| c.label_of(1)).as_deref(), Some("Some concerns"));
    let cols = rob_columns(&d).expect("columns");
    assert_eq!((cols.domains, cols.overall), (vec![0, 1, 2, 3], Some(4)));
    // Overall = robvis's Overall column (not recomputed from the domains): studies 1, 6, 7, 8, 11, 12.
    let low = ["Study 1", "Study 6", "Study 7", "Study 8", "Study 11", "Study 12"];
    assert_bit_identical(&d, &settings("overall"), &low);
    assert_bit_identical(
        &d,
        &settings("D2"),
        &["Study 1", "Study 2", "Study 3", "Study 4", "Study 9", "Study 10", "Study 12"],
    );
    // A second import (a corrected table) replaces the five columns.
    let again = merge_robvis(
        &d,
        &fixture("robvis_data_quadas.csv")
            .replace("Study 12,Low,Low,Low,Low,Low", "Study 12,High,Low,Low,Low,High"),
    )
    .expect("re-import");
    assert_eq!(again.covariates.len(), 5);
    assert_eq!(again.covariate("Overall").and_then(|c| c.label_of(11)).as_deref(), Some("High"));
    // The merged table round-trips through the page's text form.
    let text = fourfold::report::grid::dataset_to_text(&d);
    assert_eq!(parsed(&text).covariates.len(), 5);
}

#[test]
fn robvis_errors_are_located() {
    let bad = "Study,D1,D2,D3,D4,Overall\nStudy 1,Low,Low,Low,Low,Low\nStudy 99,Low,Low,Low,Low,Low\n\
               Study 2,Moderate,Low,Low,Low,Low\nStudy 1,Low,Low,Low,Low,Low\n";
    let e = merge_robvis(&robvis_studies(), bad).expect_err("errors");
    let msgs: Vec<String> = e.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "line 3, column \"Study\": study 'Study 99' is not in the data",
            "line 4, column \"D1\": 'Moderate' is not a judgement (Low, High, Unclear, Some concerns, No information)",
            "line 5, column \"Study\": study 'Study 1' is judged twice (first on line 2)",
        ]
    );
    let e = merge_robvis(&robvis_studies(), "Study,D1,D2,D3\nStudy 1,Low,Low,Low\n").expect_err("columns");
    assert_eq!(
        e[0].to_string(),
        "line 1: the risk-of-bias table has no 'D4' column (robvis's layout: Study, D1, D2, D3, D4, Overall)"
    );
    assert_eq!(e.len(), 2);
}

#[test]
fn quadas3_judgements_per_set_of_estimates() {
    // QUADAS-3 (Whiting et al. 2026): domains participants, index test, target condition, analysis;
    // "insufficient information" for the third level; judged per set of accuracy estimates, so one
    // study at two thresholds has two rows with their own judgements.
    let text = "study,TP,FP,FN,TN,Participants,Index test,Target condition,Analysis\n\
                A cut-off 5,47,101,9,738,Low,Low,Low,Low\n\
                A cut-off 7,40,60,16,779,Low,High,Low,Low\n\
                B,126,272,51,1543,Low,Low,Insufficient information,Low\n\
                C,19,12,10,192,Low,Low,Low,Low\n\
                D,36,78,3,276,High,Low,Low,Low\n\
                E,130,211,19,959,Low,Low,Low,Low\n";
    let d = parsed(text);
    assert_eq!(rob_columns(&d).expect("cols").tool, RobTool::Quadas3);
    let a = run(&d, &AnalysisConfig::try_from(&settings("overall")).expect("s")).expect("a");
    let lr = a.low_risk.as_ref().expect("block");
    assert_eq!(lr.studies, ["A cut-off 5", "C", "E"]);
    let t = fourfold::report::text_report(&a);
    assert!(t.contains("(QUADAS-3): 3 of 6 studies judged low in every risk-of-bias domain"), "{t}");
    assert!(t.contains("Left out: 2 high, 1 insufficient information (A cut-off 7, B, D)."), "{t}");
    assert_bit_identical(&d, &settings("overall"), &["A cut-off 5", "C", "E"]);
}

#[test]
fn a_quadas_column_is_a_meta_regression_covariate() {
    let d = parsed(&fixture("audit_c_quadas.csv"));
    let s = AnalysisSettings {
        covariate: Some("patient_selection".into()),
        model: Method::Laplace,
        ..Default::default()
    };
    let a = run(&d, &AnalysisConfig::try_from(&s).expect("s")).expect("a");
    let sg = a.subgroups.as_ref().expect("subgroups");
    let levels: Vec<(&str, usize)> = sg.levels.iter().map(|l| (l.level.as_str(), l.block.k)).collect();
    assert_eq!(levels, [("high", 2), ("low", 10), ("unclear", 2)]);
    let m = a.meta_regression.as_ref().expect("meta-regression");
    let Some(fourfold::analysis::MetaRegOutcome::Fit(r)) = m.get("patient_selection") else {
        panic!("no meta-regression fit")
    };
    // Risk of bias is compared with low risk: the reference level is "low", not the first in
    // alphabetical order ("high").
    assert_eq!(r.reference_level.as_deref(), Some("low"));
    let text = fourfold::report::text_report(&a);
    assert!(text.contains("sensitivity: patient_selection = high vs low (logit difference)"), "{text}");
    assert!(text.contains("specificity: patient_selection = unclear vs low (logit difference)"), "{text}");
    assert!(text.contains("logit sensitivity at patient_selection = low"), "{text}");
    // The fit does not depend on the reference: same log-likelihood as with "high" first (the
    // column relabelled so that it sorts first).
    let mut relabelled = d.clone();
    for c in relabelled.covariates.iter_mut().filter(|c| c.name == "patient_selection") {
        for v in c.values.iter_mut() {
            if let fourfold::data::CovariateValue::Category(s) = v {
                *s = match s.as_str() {
                    "low" => "b-low".into(),
                    "high" => "a-high".into(),
                    _ => "c-unclear".into(),
                };
            }
        }
    }
    let b = run(&relabelled, &AnalysisConfig::try_from(&s).expect("s")).expect("b");
    let Some(fourfold::analysis::MetaRegOutcome::Fit(rb)) =
        b.meta_regression.as_ref().and_then(|m| m.get("patient_selection"))
    else {
        panic!("no fit")
    };
    assert_eq!(rb.reference_level.as_deref(), Some("a-high"));
    let ll = |x: &fourfold::stats::metareg::MetaRegression| Some(x.loglik);
    let (la, lb) = (ll(r).expect("loglik"), ll(rb).expect("loglik"));
    assert!((la - lb).abs() < 1e-6, "{la} vs {lb}");
}

#[test]
fn the_option_travels_in_permalinks() {
    let d = parsed(&fixture("audit_c_quadas.csv"));
    let s = settings("D3");
    let link = fourfold::permalink::encode(&d, &s);
    let (d2, s2) = fourfold::permalink::decode(&link).expect("decoded");
    assert_eq!(s2.risk_of_bias.low_risk.as_deref(), Some("D3"));
    assert_eq!(s2, s);
    assert_eq!(d2.studies, d.studies);
    let empty = AnalysisSettings {
        risk_of_bias: fourfold::settings::RiskOfBiasSettings { low_risk: Some(" ".into()) },
        ..Default::default()
    };
    assert!(empty
        .validate()
        .expect_err("empty")
        .to_string()
        .starts_with("the low-risk sensitivity analysis needs a domain"));
}

#[test]
fn cli_low_risk_and_robvis_import() {
    let dir = std::env::temp_dir().join(format!("fourfold-rob-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let data = dir.join("studies.csv");
    std::fs::write(&data, fourfold::report::grid::dataset_to_text(&robvis_studies())).expect("write");
    let rob = format!("{}/tests/fixtures/robvis_data_quadas.csv", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_fourfold"))
        .args(["analyze", data.to_str().expect("path"), "--rob", &rob, "--low-risk", "overall", "--json"])
        .args(["--model", "laplace", "--auc-ci", "delta"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["low_risk"]["k"], 6);
    assert_eq!(v["low_risk"]["domain"], "overall");
    assert_eq!(v["low_risk"]["tool"], "QUADAS-2");
    let direct = run(
        &merge_robvis(&robvis_studies(), &fixture("robvis_data_quadas.csv")).expect("merge"),
        &AnalysisConfig::try_from(&settings("overall")).expect("s"),
    )
    .expect("run");
    let sens =
        direct.low_risk.as_ref().and_then(|l| l.result.as_ref()).and_then(|b| b.fit.as_ref()).expect("fit");
    // The binary is built at another optimisation level than the tests: equal to rounding.
    let cli = v["low_risk"]["result"]["summary"]["sensitivity"]["estimate"].as_f64().expect("number");
    assert!((cli - sens.summary.sensitivity.estimate).abs() < 1e-12, "{cli}");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "Study,D1,D2,D3,D4,Overall\nStudy 1,Low,Low,Low,Low,Maybe\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_fourfold"))
        .args(["analyze", data.to_str().expect("path"), "--rob", bad.to_str().expect("p")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2, column \"Overall\": 'Maybe' is not a judgement"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn low_risk_fits_match_glmer_on_the_subset_filtered_in_r() {
    // tests/refs-src/low_risk_audit_c.R filters the fixture in R and fits lme4::glmer (Laplace,
    // the tight control of ../shared/refs); its output is committed in tests/refs-src/out.
    use support::tol;
    let r: serde_json::Value =
        serde_json::from_str(&fixture("../refs-src/out/low_risk_audit_c.json")).expect("json");
    let d = parsed(&fixture("audit_c_quadas.csv"));
    for domain in ["D1", "overall"] {
        let want = &r[domain];
        let a = run(&d, &AnalysisConfig::try_from(&settings(domain)).expect("s")).expect("a");
        let lr = a.low_risk.as_ref().expect("block");
        let names: Vec<&str> =
            want["studies"].as_array().expect("studies").iter().filter_map(|v| v.as_str()).collect();
        assert_eq!(lr.studies, names, "{domain}: the same studies as R's filter");
        let m = &lr.result.as_ref().and_then(|b| b.fit.as_ref()).expect("fit").model;
        let get = |k: &str| want[k].as_f64().unwrap_or_else(|| panic!("{domain}.{k}"));
        for (got, k) in [(m.mu_logit_sens, "mu_logit_sens"), (m.mu_logit_spec, "mu_logit_spec")] {
            assert!((got - get(k)).abs() <= tol::LOGIT_MEAN, "{domain} {k}: {got} vs {}", get(k));
        }
        for (got, k) in [
            (m.tau2_logit_sens, "tau2_logit_sens"),
            (m.tau2_logit_spec, "tau2_logit_spec"),
            (m.se_logit_sens, "se_logit_sens"),
            (m.se_logit_spec, "se_logit_spec"),
        ] {
            assert!((got / get(k) - 1.0).abs() <= tol::SE_REL, "{domain} {k}: {got} vs {}", get(k));
        }
        assert!(
            (m.loglik - get("loglik")).abs() <= tol::LOGLIK,
            "{domain} loglik: {} vs {}",
            m.loglik,
            get("loglik")
        );
    }
}
