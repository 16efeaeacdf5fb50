//! The compatibility view (`--compat`): each tool's column against that tool's reference numbers in
//! shared/refs/expected (mada `reitsma`, lme4 `glmer` with default and tight controls) and against
//! METHODS §12 (midas's AUC, its "CI" and its Pearson I² on AuditC), within the refs tolerances.

use fourfold::analysis::{run, AnalysisConfig};
use fourfold::findings::{compat_view, tool_numbers, Tool};
use fourfold::settings::AnalysisSettings;
use serde_json::Value;
mod support;
use support::{expected, read_dataset, read_studies, tol};

const SETS: [&str; 7] =
    ["anti_ccp", "audit_c", "dementia", "scheidler", "skin_tests", "smoking", "xpert_tbm"];

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn mada_column_is_mada() {
    for name in SETS {
        let e = &expected(name)["mada_reitsma"];
        let n = tool_numbers(Tool::Mada, &read_studies(name), 0.95).expect(name);
        let mu = n.mu.expect("present");
        assert!((mu[0] - num(&e["coefficients"]["tsens"])).abs() < tol::REML_COEF, "{name}");
        assert!((-mu[1] - num(&e["coefficients"]["tfpr"])).abs() < tol::REML_COEF, "{name}");
        let se = n.sensitivity.expect("present");
        assert!((se.estimate - num(&e["sensitivity"]["estimate"])).abs() < tol::PROB, "{name}");
        assert!((se.ci[0] - num(&e["sensitivity"]["ci"][0])).abs() < tol::PROB, "{name}");
        let sp = n.specificity.expect("present");
        assert!((sp.ci[1] - num(&e["specificity"]["ci"][1])).abs() < tol::PROB, "{name}");
        let t2 = n.tau2.expect("present");
        assert!((t2[0] - num(&e["tau2"][0])).abs() / num(&e["tau2"][0]) < tol::SE_REL, "{name}");
        assert!((t2[1] - num(&e["tau2"][1])).abs() / num(&e["tau2"][1]) < tol::SE_REL, "{name}");
        assert!((n.rho.expect("present") - num(&e["rho"])).abs() < tol::RHO, "{name}: mada's orientation");
        assert!((n.loglik.expect("present") - num(&e["logLik"])).abs() < tol::LOGLIK, "{name}");
        assert!((n.aic.expect("present") - num(&e["AIC"])).abs() < 2.0 * tol::LOGLIK, "{name}");
        assert!((n.auc.expect("present") - num(&e["AUC"]["AUC"])).abs() < tol::REML_AUC, "{name}");
        assert!((n.pauc.expect("present") - num(&e["AUC"]["pAUC"])).abs() < tol::REML_AUC, "{name} pAUC");
    }
}

#[test]
fn laplace_columns_are_lme4() {
    for name in SETS {
        let studies = read_studies(name);
        let tight = &expected(name)["glmer_laplace_tight"];
        let n = tool_numbers(Tool::MetadtaLaplace, &studies, 0.95).expect(name);
        let mu = n.mu.expect("present");
        assert!((mu[0] - num(&tight["mu_logit_sens"])).abs() < tol::LOGIT_MEAN, "{name}");
        assert!((mu[1] - num(&tight["mu_logit_spec"])).abs() < tol::LOGIT_MEAN, "{name}");
        assert!((n.loglik.expect("present") - num(&tight["loglik"])).abs() < tol::LOGLIK, "{name}");
        assert!(
            (n.sensitivity.expect("present").ci[0] - num(&tight["sensitivity"]["ci"][0])).abs() < tol::PROB,
            "{name}"
        );
        // lme4 counts five parameters: AIC = deviance + 10 (glmer's printed AIC).
        let aic = num(&tight["fit_info"]["AIC"]);
        assert!(
            (n.aic.expect("present") - aic).abs() < 2.0 * tol::LOGLIK,
            "{name}: AIC {} vs {aic}",
            n.aic.expect("present")
        );
        // What MetaDTA / Meta-DiSc 2.0 print (lme4 defaults) is this optimum to within glmer's own error.
        let dflt = &expected(name)["glmer_laplace"];
        let m = tool_numbers(Tool::Metadta, &studies, 0.95).expect(name);
        assert!(
            (m.mu.expect("present")[0] - num(&dflt["mu_logit_sens"])).abs() < tol::GLMER_DEFAULT_MU,
            "{name}"
        );
        assert!(
            (m.mu.expect("present")[1] - num(&dflt["mu_logit_spec"])).abs() < tol::GLMER_DEFAULT_MU,
            "{name}"
        );
        assert!(
            (m.sensitivity.expect("present").estimate - num(&dflt["sensitivity"]["estimate"])).abs()
                < tol::GLMER_DEFAULT_PROB,
            "{name}"
        );
    }
}

#[test]
fn midas_column_on_audit_c() {
    // METHODS §12.4: midas 2.x trapezoid AUC 0.8871534 and its "CI" 0.8564–0.9120 (from the Laplace
    // optimum; midas's 7-point fit moves the AUC in the 4th digit); §12.1: Pearson Q I².
    let n = tool_numbers(Tool::Midas, &read_studies("audit_c"), 0.95).expect("present");
    let auc = n.auc.expect("present");
    assert!((auc - 0.8871534).abs() < 2e-3, "{auc}");
    let [lo, hi] = n.auc_ci.expect("present");
    let want = fourfold::findings::auc_midas_interval(0.8871534, 1.959963984540054);
    assert!(
        (want[0] - 0.8564).abs() < tol::PRINTED_4DP && (want[1] - 0.9120).abs() < tol::PRINTED_4DP,
        "{want:?}"
    );
    assert!((hi - lo - (want[1] - want[0])).abs() < 1e-3, "always about ±0.03: {lo} {hi}");
    assert!((n.i2_sens.expect("present") - 0.9531).abs() < tol::PRINTED_4DP, "{:?}", n.i2_sens);
    assert!((n.i2_spec.expect("present") - 0.9941).abs() < tol::PRINTED_4DP, "{:?}", n.i2_spec);
    let ci = n.i2_ci_sens.expect("present");
    assert!((ci[0] - 0.9380).abs() < tol::PRINTED_4DP && (ci[1] - 0.9683).abs() < tol::PRINTED_4DP, "{ci:?}");
    // midas's trapezoid equals the exact integral on the same parameters (METHODS §4.6).
    let exact =
        fourfold::stats::summary::auc_exact([2.511161, 1.276197], [2.601147, 0.381193]).expect("present");
    let trap = fourfold::findings::auc_midas([2.511161, 1.276197], [2.601147, 0.381193]).expect("present");
    assert!((trap - exact).abs() < tol::PRINTED_5DP, "{trap} vs {exact}");
}

#[test]
fn the_view_has_every_tool_and_a_reason_each() {
    let a = run(
        &read_dataset("telomerase"),
        &AnalysisConfig::try_from(&AnalysisSettings::default()).expect("present"),
    )
    .expect("present");
    let v = compat_view(&a);
    assert_eq!(v.columns.len(), 5);
    for c in &v.columns {
        let why = fourfold::report::compat::differences(c, &v);
        assert!(why.len() >= 2, "{:?}", c.tool);
        // telomerase is a boundary fit: the AIC-counting sentence is there.
        assert!(why.iter().any(|l| l.contains("AIC")), "{:?}: {why:?}", c.tool);
    }
    let t = fourfold::report::compat::compat_table(&v, "exact");
    assert_eq!(t.headers.len(), 7);
}
