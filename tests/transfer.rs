//! Every result type reads back as the same values through a format that is not JSON (the page's
//! worker hands results over as JavaScript values; here MessagePack, natively, encoded as the
//! worker encodes): the sentences of JSON (termination, fallback, boundary, errors) go
//! structurally, NaN is kept. Checked through the CLI's JSON of the original and of the decoded
//! copy, on every refs data set and with each optional analysis switched on.

mod support;
use fourfold::analysis::{run_settings, Analysis};
use fourfold::data::parse::parse_table;
use fourfold::settings::{
    AnalysisSettings, AucCi, BayesModel, BayesSettings, ComparisonSettings, Method, ModelSettings,
    RiskOfBiasSettings,
};

/// Through a self-describing, not human-readable format that keeps NaN (MessagePack), encoded as
/// the page's worker encodes (`worker::encoding`): what crosses to the page reads back the same.
fn to_bytes<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, String> {
    fourfold::worker::encoding(|| rmp_serde::to_vec_named(v)).map_err(|e| e.to_string())
}

fn from_bytes<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, String> {
    rmp_serde::from_slice(b).map_err(|e| e.to_string())
}

/// The decoded copy's JSON equals the original's (NaN and ∞ are `null` in both, so the bytes are
/// also compared for exactly equal floats by a second round trip).
fn round_trip(a: &Analysis, what: &str) {
    let bytes = to_bytes(a).expect("encode");
    let back: Analysis = from_bytes(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    let j1 = serde_json::to_string(a).expect("json");
    let j2 = serde_json::to_string(&back).expect("json");
    assert_eq!(j1, j2, "{what}: the decoded analysis differs");
    assert_eq!(to_bytes(&back).expect("encode"), bytes, "{what}: second round trip differs");
    // What the page derives from the blocks it receives (these read the fits' internals, which
    // people's JSON leaves out) equals what the worker derived.
    assert_eq!(
        json(&fourfold::analysis::revman::dispersion_entries(&back)),
        json(&a.dispersion),
        "{what}: dispersion from the decoded blocks"
    );
    assert_eq!(
        json(&fourfold::analysis::revman::revman_entries(&back)),
        json(&a.revman),
        "{what}: RevMan parameters from the decoded blocks"
    );
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("json")
}

#[test]
fn every_refs_data_set_round_trips() {
    for name in support::all_data_sets() {
        let d = support::read_dataset(&name);
        for method in [Method::Aghq, Method::Laplace, Method::Reitsma] {
            let s = AnalysisSettings { model: method, ..AnalysisSettings::default() };
            let a = run_settings(&d, &s).expect("analysis");
            round_trip(&a, &format!("{name} {method:?}"));
        }
    }
}

#[test]
fn subgroups_regression_comparison_and_models_round_trip() {
    let d = support::read_dataset("schuetz");
    let s = AnalysisSettings {
        covariate: Some("test".into()),
        comparison: ComparisonSettings { test: Some("test".into()), paired_only: true },
        models: ModelSettings { hsroc_regression: true, ..ModelSettings::default() },
        ..AnalysisSettings::default()
    };
    let a = run_settings(&d, &s).expect("analysis");
    assert!(a.subgroups.is_some() && a.comparison.is_some() && a.models.is_some());
    round_trip(&a, "schuetz by test");
    let d = support::read_dataset("smoking");
    let s = AnalysisSettings {
        model: Method::Laplace,
        covariate: Some("type".into()),
        auc_ci: AucCi::None,
        models: ModelSettings { three_level: true, cohort: Some("type".into()), ..ModelSettings::default() },
        ..AnalysisSettings::default()
    };
    round_trip(&run_settings(&d, &s).expect("analysis"), "smoking three-level");
}

#[test]
fn risk_of_bias_and_bayes_round_trip() {
    let text = std::fs::read_to_string("tests/fixtures/audit_c_quadas.csv").expect("fixture");
    let d = parse_table(&text).dataset;
    let s = AnalysisSettings {
        risk_of_bias: RiskOfBiasSettings { low_risk: Some("overall".into()) },
        ..AnalysisSettings::default()
    };
    let a = run_settings(&d, &s).expect("analysis");
    assert!(a.low_risk.is_some());
    round_trip(&a, "audit_c low risk");
    for model in [BayesModel::Bivariate, BayesModel::LatentClass] {
        let s = AnalysisSettings {
            bayes: BayesSettings {
                model: Some(model),
                chains: 2,
                warmup: 150,
                draws: 150,
                prior_sensitivity: model == BayesModel::Bivariate,
                ..BayesSettings::default()
            },
            ..AnalysisSettings::default()
        };
        let a = run_settings(&support::read_dataset("audit4"), &s).expect("analysis");
        assert!(a.bayes.is_some());
        round_trip(&a, &format!("audit4 {model:?}"));
    }
}
