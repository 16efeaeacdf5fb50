//! The further models of issue #13 end to end: settings (permalink round trip), the analysis's
//! `models` JSON block, the text report, the R script export; the numbers themselves are checked
//! in `tests/hsroc_reg_refs.rs` and `tests/threelevel_refs.rs`.

mod support;
use fourfold::analysis::run_settings;
use fourfold::permalink::{decode, encode};
use fourfold::report::export::r_script;
use fourfold::report::text_report;
use fourfold::settings::{AnalysisSettings, AucCi, Method, ModelSettings};
use serde_json::Value;

fn settings(model: Method, by: Option<&str>, m: ModelSettings) -> AnalysisSettings {
    AnalysisSettings {
        model,
        covariate: by.map(str::to_string),
        auc_ci: AucCi::None,
        models: m,
        ..AnalysisSettings::default()
    }
}

#[test]
fn model_settings_travel_in_permalinks() {
    let d = support::read_dataset("smoking");
    for m in [
        ModelSettings { hsroc_regression: true, ..ModelSettings::default() },
        ModelSettings { three_level: true, cohort: Some("type".into()), ..ModelSettings::default() },
        ModelSettings { study_column: Some("study_id".into()), ..ModelSettings::default() },
    ] {
        let s = settings(Method::Laplace, Some("type"), m.clone());
        let (d2, s2) = decode(&encode(&d, &s)).expect("decode");
        assert_eq!(s2.models, m);
        assert_eq!(s2, s);
        assert_eq!(d2.studies, d.studies);
    }
    // Without the group the link is the one of earlier versions (no extension section).
    let plain = settings(Method::Laplace, Some("type"), ModelSettings::default());
    assert!(plain.extensions().is_empty());
    let on = settings(Method::Laplace, None, ModelSettings { three_level: true, ..ModelSettings::default() });
    assert_eq!(
        on.extensions(),
        vec![(
            "models",
            r#"{"hsroc_regression":false,"three_level":true,"cohort":null,"study_column":null}"#.to_string()
        )]
    );
}

#[test]
fn hsroc_regression_block_report_and_script() {
    let d = support::read_dataset("anti_ccp");
    let s = settings(
        Method::Laplace,
        Some("generation"),
        ModelSettings { hsroc_regression: true, ..ModelSettings::default() },
    );
    let a = run_settings(&d, &s).expect("analysis");
    let j: Value = serde_json::to_value(&a).expect("json");
    let h = &j["models"]["hsroc_regression"];
    assert_eq!(h["covariate"], "generation");
    assert_eq!(h["nodes"], 1);
    assert_eq!(h["models"].as_array().map(Vec::len), Some(7));
    for k in ["accuracy", "threshold", "shape", "any"] {
        assert!(h["lrt"][k]["statistic"].as_f64().is_some_and(|x| x >= 0.0), "{k}");
    }
    assert_eq!(h["variances_differ"]["lrt"]["df"], 3);
    assert!(j["models"].get("three_level").is_none());
    // The common-shape HSROC model and the metareg block are the same fit.
    let mr = j["meta_regression"]["generation"]["loglik"].as_f64().expect("metareg ℓ");
    let hs = h["models"][1]["loglik"].as_f64().expect("ℓ");
    assert!((mr - hs).abs() < 1e-6, "{mr} vs {hs}");
    let text = text_report(&a);
    assert!(text.contains("HSROC meta-regression on generation (37 studies"), "{text}");
    assert!(text.contains("Does the shape (β) differ?"));
    let r = r_script(&d, &a);
    assert!(r.contains("sep <- sapply(split(longc, longc$cov)"), "{r}");
    // Off by default: no block, the JSON of earlier versions.
    let plain = run_settings(&d, &settings(Method::Laplace, Some("generation"), ModelSettings::default()))
        .expect("analysis");
    assert!(serde_json::to_value(&plain).expect("json").get("models").is_none());
}

#[test]
fn three_level_block_beside_the_cluster_analysis() {
    let d = support::read_dataset("smoking");
    let s = settings(Method::Laplace, None, ModelSettings { three_level: true, ..ModelSettings::default() });
    let a = run_settings(&d, &s).expect("analysis");
    let j: Value = serde_json::to_value(&a).expect("json");
    let t = &j["models"]["three_level"];
    assert_eq!(
        (t["n_studies"].as_u64(), t["n_rows"].as_u64(), t["n_multi_cohort_studies"].as_u64()),
        (Some(26), Some(51), Some(14))
    );
    assert_eq!(t["study_column"], "study_id");
    assert!(t["exact"].is_null(), "Laplace asked for");
    let share = t["laplace"]["share_between_studies"][0].as_f64().expect("share");
    assert!(share > 0.0 && share < 1.0);
    let text = text_report(&a);
    assert!(text.contains("Three-level, Laplace"), "{text}");
    assert!(text.contains("One row per cluster (k = 26)"), "{text}");
    assert_eq!(j["models"]["one_row_per_cluster"]["n_clusters"], 26);
    let r = r_script(&d, &a);
    if let Ok(p) = std::env::var("FOURFOLD_WRITE_R") {
        let _ = std::fs::write(p, &r);
    }
    assert!(r.contains("(0 + sens + spec | study:cohort)") && r.contains("d[[\"study_id\"]]"), "{r}");
    // A data set without repeated studies: the reason, not a fit.
    let a = run_settings(&support::read_dataset("audit_c"), &s).expect("analysis");
    let j: Value = serde_json::to_value(&a).expect("json");
    let e = j["models"]["three_level"]["error"].as_str().expect("error");
    assert!(e.contains("no study has more than one cohort"), "{e}");
    // HSROC regression without a covariate says so.
    let s =
        settings(Method::Laplace, None, ModelSettings { hsroc_regression: true, ..ModelSettings::default() });
    let a = run_settings(&d, &s).expect("analysis");
    let j: Value = serde_json::to_value(&a).expect("json");
    assert!(j["models"]["hsroc_regression"]["error"]
        .as_str()
        .is_some_and(|e| e.contains("needs a covariate")));
}
