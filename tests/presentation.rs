//! The presentation layer (`report::results`): every number the page and the CLI show is the
//! analysis's own, with the analysis's level in the labels; the results that used to exist only in
//! the JSON (prediction intervals, HSROC parameters, meta-regression coefficients and relative
//! accuracy, subgroup fit reports, study weights) are in the shared tables and cards.

mod support;

use fourfold::analysis::{run_settings, Analysis, MetaRegOutcome};
use fourfold::report::doc::Seg;
use fourfold::report::results;
use fourfold::settings::{AnalysisSettings, AucCi};
use fourfold::stats::metareg::relative_proportion;
use fourfold::stats::transform::prob_from_logit;
use support::tol;

fn scheidler(s: AnalysisSettings) -> Analysis {
    let d = support::read_dataset("scheidler");
    run_settings(&d, &AnalysisSettings { auc_ci: AucCi::None, ..s }).expect("analysis")
}

fn by_modality() -> Analysis {
    scheidler(AnalysisSettings { covariate: Some("modality".into()), ..AnalysisSettings::default() })
}

#[test]
fn model_card_shows_prediction_intervals_and_hsroc() {
    let a = scheidler(AnalysisSettings { ci_level: 0.9, ..AnalysisSettings::default() });
    let f = a.overall.fit.as_ref().expect("fit");
    let c = results::model_card(&a.overall, a.settings.ci_level);
    let get =
        |t: &str| c.pairs.iter().find(|p| p.term == t).unwrap_or_else(|| panic!("no {t}: {:?}", c.pairs));
    let pi = f.prediction_interval_sens.expect("PI");
    assert_eq!(get("90% prediction interval, sensitivity").value, Some(pi[0]));
    let h = f.hsroc.as_ref().expect("hsroc");
    assert_eq!(get("HSROC Λ (accuracy)").value, Some(h.lambda));
    assert_eq!(get("HSROC β (shape)").value, Some(h.beta));
    assert_eq!(get("Log-likelihood").value, Some(f.model.loglik));
}

#[test]
fn relative_accuracy_per_level_is_the_ratio_with_a_delta_interval() {
    let a = by_modality();
    let Some(MetaRegOutcome::Fit(r)) = a.meta_regression.as_ref().and_then(|m| m.get("modality")) else {
        panic!("meta-regression")
    };
    let reference = &r.per_level[0];
    assert!(reference.relative_sensitivity.is_none());
    for l in &r.per_level[1..] {
        let rs = l.relative_sensitivity.expect("relative sensitivity");
        let ratio = l.summary.sensitivity.estimate / reference.summary.sensitivity.estimate;
        assert!((rs.estimate - ratio).abs() < tol::ALGEBRA, "{} {ratio}", rs.estimate);
        assert!(rs.ci[0] < rs.estimate && rs.estimate < rs.ci[1]);
        let rp = l.relative_specificity.expect("relative specificity");
        let ratio = l.summary.specificity.estimate / reference.summary.specificity.estimate;
        assert!((rp.estimate - ratio).abs() < tol::ALGEBRA);
    }
    // The table shows them, with the level in the headers.
    let t = results::metareg_levels(&a).expect("table");
    assert_eq!(t.rows.len(), 3);
    assert!(t.headers.iter().any(|h| h == "Relative sensitivity (95% CI)"));
    assert_eq!(t.rows[1].cells[5].value, r.per_level[1].relative_sensitivity.map(|e| e.estimate));
    let c = results::metareg_coefficients(&a).expect("coefficients");
    assert_eq!(c.rows.len(), r.coefficients.len());
    assert_eq!(c.rows[0].cells[2].value, Some(r.coefficients[0].estimate));
}

#[test]
fn delta_method_gradient_matches_finite_differences() {
    // ln r(a, b) = ln expit(a + b) − ln expit(a); the interval's SE from the analytic gradient
    // equals the one from a central-difference gradient (independent check of the formula).
    let (a, b) = (-0.3, 0.8);
    let v = [[0.04, -0.01], [-0.01, 0.09]];
    let z = 1.959963984540054;
    let e = relative_proportion(a, b, v, z);
    let lr = |a: f64, b: f64| (prob_from_logit(a + b) / prob_from_logit(a)).ln();
    let h = 1e-6;
    let g = [(lr(a + h, b) - lr(a - h, b)) / (2.0 * h), (lr(a, b + h) - lr(a, b - h)) / (2.0 * h)];
    let se = (g[0] * g[0] * v[0][0] + 2.0 * g[0] * g[1] * v[0][1] + g[1] * g[1] * v[1][1]).sqrt();
    assert!((e.estimate.ln() - lr(a, b)).abs() < tol::FORMULA);
    assert!((e.ci[1].ln() - (lr(a, b) + z * se)).abs() < 1e-8, "{:?}", e);
}

#[test]
fn subgroup_fits_and_missing_rows_are_reported() {
    let a = by_modality();
    let subs = results::subgroup_fit_reports(&a);
    assert_eq!(
        subs.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["CT (k = 17)", "LAG (k = 17)", "MRI (k = 10)"]
    );
    // CT is a ρ = −1 boundary fit: its report says so, with the simplified fit beside it.
    assert!(subs[0].1.iter().any(|l| l.plain().contains("boundary of the parameter space (ρ = −1)")));
    assert!(subs[0].1.iter().any(|l| l.plain().contains("simplified fit (rung B0")));
    // A covariate with two blank cells: the subgroup rows say which two studies they lack.
    let mut d = support::read_dataset("scheidler");
    if let Some(c) = d.covariates.iter_mut().find(|c| c.name == "modality") {
        c.values[0] = fourfold::data::CovariateValue::Missing;
        c.values[5] = fourfold::data::CovariateValue::Missing;
    }
    let s = AnalysisSettings {
        covariate: Some("modality".into()),
        auc_ci: AucCi::None,
        ..AnalysisSettings::default()
    };
    let a = run_settings(&d, &s).expect("analysis");
    let line = results::subgroup_missing(&a).expect("missing line").plain();
    assert_eq!(
        line,
        "2 of 44 studies have no value of 'modality' and are in no subgroup row: Grumbine_1981; Bandy_1985."
    );
    assert!(results::text_report(&a).contains(&line));
}

#[test]
fn study_weights_are_in_the_per_study_table() {
    let a = scheidler(AnalysisSettings::default());
    let t = results::studies_table(&a.overall, 0.95);
    let col = t.keys.iter().position(|k| *k == "weight-sens").expect("weight column");
    let total: f64 = t.rows.iter().filter_map(|r| r.cells[col].value).sum();
    assert!((total - 100.0).abs() < tol::SUM_IDENTITY, "{total}");
    assert_eq!(t.rows.len(), a.overall.weights.len());
}

#[test]
fn every_number_in_the_fit_report_carries_its_value() {
    let a = by_modality();
    let f = a.overall.fit.as_ref().expect("fit");
    let nums: Vec<f64> = results::fit_report(&a)
        .iter()
        .flat_map(|l| l.segs.iter())
        .filter_map(|s| match s {
            Seg::Num { value, .. } => Some(*value),
            Seg::Text(_) => None,
        })
        .collect();
    assert!(nums.contains(&f.model.tau2_logit_sens) && nums.contains(&f.model.tau2_logit_spec));
    // The summary table's cells carry the full-precision estimates.
    let t = results::summary_table(&a);
    assert_eq!(t.rows[0].cells[2].value, Some(f.summary.sensitivity.estimate));
    assert_eq!(t.rows.len(), 4);
}
