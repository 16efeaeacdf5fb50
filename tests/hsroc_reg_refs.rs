//! HSROC meta-regression (METHODS §16) against the independent R implementation in
//! `tests/refs-src/hsroc_reg.R` (output committed in `tests/refs-src/out/hsroc_reg.json`), the
//! bivariate references of shared/refs, and the algebraic identity between the HSROC and
//! bivariate parametrisations (§16.2).

mod support;
use fourfold::stats::bivariate::{AucCi, FitConfig, Method};
use fourfold::stats::hsroc_reg::{
    bivariate_loglik, hsroc_from_bivariate, hsroc_loglik, hsroc_regression, HsrocRegError, Terms,
};
use fourfold::stats::metareg::meta_regression;
use serde_json::Value;
use support::{expected, read_categorical, read_studies, tol};

fn own_ref() -> Value {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/refs-src/out/hsroc_reg.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("hsroc_reg.json")).expect("JSON")
}

fn cfg(method: Method) -> FitConfig {
    FitConfig { method, auc_ci: AucCi::None, ..FitConfig::default() }
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The R model names of each set of terms.
fn r_name(t: Terms) -> &'static str {
    match (t.accuracy, t.threshold, t.shape) {
        (true, true, true) => "full",
        (false, true, true) => "threshold_shape",
        (true, false, true) => "accuracy_shape",
        (true, true, false) => "accuracy_threshold",
        (false, true, false) => "threshold",
        (true, false, false) => "accuracy",
        (false, false, false) => "none",
        _ => unreachable!("not fitted"),
    }
}

#[test]
fn anti_ccp_by_generation_matches_the_independent_r_fit() {
    let s = read_studies("anti_ccp");
    let cov = read_categorical("anti_ccp", "generation");
    let r = hsroc_regression(&s, &cov, &cfg(Method::Aghq)).expect("fit");
    let e = own_ref();
    assert!(r.converged, "{:?}", r.warnings);
    assert_eq!(r.models.len(), 7);
    let mut worst: f64 = 0.0;
    for m in &r.models {
        let want = num(&e["hsroc_own_aghq"][r_name(m.terms)]["loglik"]);
        // R's nlminb ends at "singular convergence" with rel.tol 1e-14: its ℓ is a lower bound
        // of the maximum, so Fourfold's may exceed it by the optimiser's slack only.
        let d = m.loglik - want;
        worst = worst.max(d.abs());
        assert!(d.abs() < tol::LOGLIK, "{}: {} vs R {want}", m.terms.describe(), m.loglik);
    }
    eprintln!("largest |Δℓ| vs R over the 7 HSROC models: {worst:.2e}");
    // The full model's parameters vs R's (order Θ1 Θ2 Λ1 Λ2 β1 β2 σθ σα there).
    let par: Vec<f64> = e["hsroc_own_aghq"]["full"]["par"].as_array().expect("par").iter().map(num).collect();
    let lv = &r.full.per_level;
    for g in 0..2 {
        assert!(
            (lv[g].theta.estimate - par[g]).abs() < 1e-3,
            "Theta {g}: {} vs {}",
            lv[g].theta.estimate,
            par[g]
        );
        assert!((lv[g].lambda.estimate - par[2 + g]).abs() < 1e-3, "Lambda {g}");
        assert!((lv[g].beta.estimate - par[4 + g]).abs() < 1e-3, "beta {g}");
    }
    assert!((r.full.sigma2_theta - par[6] * par[6]).abs() < 1e-3);
    assert!((r.full.sigma2_alpha - par[7] * par[7]).abs() < 1e-3);
    // LR tests from the R log-likelihoods.
    let ll = |n: &str| num(&e["hsroc_own_aghq"][n]["loglik"]);
    let shape = 2.0 * (ll("full") - ll("accuracy_threshold"));
    assert!((r.lrt.shape.statistic - shape).abs() < tol::LRT, "{} vs {shape}", r.lrt.shape.statistic);
    let acc = 2.0 * (ll("full") - ll("threshold_shape"));
    assert!((r.lrt.accuracy.statistic - acc).abs() < tol::LRT);
    assert_eq!((r.lrt.shape.df, r.lrt.any.df), (1, 3));
    // §16.2: the common-shape HSROC model is the bivariate meta-regression with common Σ.
    let b = r.bivariate.as_ref().expect("bivariate");
    assert!(b.loglik_difference.abs() < tol::OPTIMUM, "{}", b.loglik_difference);
    let refs = &expected("anti_ccp")["meta_regression"]["generation"]["own_aghq"];
    assert!((r.models[1].loglik - num(&refs["loglik"])).abs() < tol::LOGLIK);
    assert!((r.models[6].loglik - num(&refs["loglik_null"])).abs() < tol::LOGLIK);
}

#[test]
fn variances_differ_test_uses_separate_fits_that_match_r() {
    let s = read_studies("anti_ccp");
    let cov = read_categorical("anti_ccp", "generation");
    let e = own_ref();
    let r = hsroc_regression(&s, &cov, &cfg(Method::Aghq)).expect("fit");
    let v = r.variances_differ.as_ref().unwrap_or_else(|| panic!("{:?}", r.variances_note));
    let sep: Vec<f64> = e["separate_own_aghq_loglik"].as_array().expect("array").iter().map(num).collect();
    for (lv, want) in v.per_level.iter().zip(&sep) {
        assert!((lv.loglik - want).abs() < tol::LOGLIK, "{}: {} vs {want}", lv.level, lv.loglik);
    }
    assert_eq!(v.lrt.df, 3);
    let stat = 2.0
        * (sep.iter().sum::<f64>()
            - num(&expected("anti_ccp")["meta_regression"]["generation"]["own_aghq"]["loglik"]));
    assert!((v.lrt.statistic - stat).abs() < tol::LRT, "{} vs {stat}", v.lrt.statistic);
    // Laplace: the separate fits against glmer (tight).
    let rl = hsroc_regression(&s, &cov, &cfg(Method::Laplace)).expect("laplace fit");
    let vl = rl.variances_differ.as_ref().expect("laplace separate fits");
    let gl: Vec<f64> =
        e["glmer_laplace_tight"]["separate_loglik"].as_array().expect("array").iter().map(num).collect();
    for (lv, want) in vl.per_level.iter().zip(&gl) {
        assert!(
            (lv.loglik - want).abs() < tol::LOGLIK,
            "Laplace {}: {} vs glmer {want}",
            lv.level,
            lv.loglik
        );
    }
    assert!((vl.loglik_common - num(&e["glmer_laplace_tight"]["loglik"])).abs() < tol::LOGLIK);
}

/// §16.2 as algebra: at the bivariate estimates, the HSROC parametrisation (the maps of §4.4 per
/// level, common σ²α, σ²θ) gives the same likelihood to 1e-8 with the same quadrature.
#[test]
fn hsroc_and_bivariate_parametrisations_are_the_same_model() {
    let s = read_studies("anti_ccp");
    let cov = read_categorical("anti_ccp", "generation");
    let mr = meta_regression(&s, &cov, &cfg(Method::Aghq)).expect("metareg");
    let c = |n: &str| mr.coefficients.iter().find(|c| c.name == n).expect("coef").estimate;
    let mu = [[c("sens"), c("spec")], [c("sens") + c("sens_covCCP2"), c("spec") + c("spec_covCCP2")]];
    let (t1, t2) = (mr.tau2_logit_sens, mr.tau2_logit_spec);
    let c12 = mr.rho.expect("rho") * (t1 * t2).sqrt();
    let group: Vec<usize> =
        (0..s.len()).map(|i| usize::from(cov.label_of(i).as_deref() == Some("CCP2"))).collect();
    let lb = bivariate_loglik(&s, &group, &mu, &[[t1, t2, c12]; 2], 25).expect("bivariate ℓ");
    let h: Vec<[f64; 5]> =
        mu.iter().map(|m| hsroc_from_bivariate(m[0], m[1], t1, t2, c12).expect("finite")).collect();
    // β and the variances are common to both levels, as §16.2 says.
    assert!((h[0][2] - h[1][2]).abs() < 1e-14 && (h[0][3] - h[1][3]).abs() < 1e-14);
    let lab: Vec<[f64; 3]> = h.iter().map(|x| [x[0], x[1], x[2]]).collect();
    let lh = hsroc_loglik(&s, &group, &lab, h[0][3], h[0][4], 25).expect("HSROC ℓ");
    assert!((lb - lh).abs() < 1e-8, "{lb} vs {lh}");
    // And the engine's bivariate ℓ at the metareg estimate is metareg's own ℓ.
    assert!((lb - mr.loglik).abs() < 1e-6, "{lb} vs {}", mr.loglik);
}

#[test]
fn numeric_and_sparse_covariates_are_refused_with_reasons() {
    let ds = support::read_dataset("catheter");
    let prev = ds.covariate("prevalence").expect("numeric");
    let e = hsroc_regression(&ds.studies, prev, &cfg(Method::Aghq)).map(|_| ()).expect_err("numeric");
    assert!(matches!(e, HsrocRegError::NotCategorical { .. }), "{e}");
    let e = hsroc_regression(&ds.studies, prev, &cfg(Method::Reitsma)).map(|_| ()).expect_err("reml");
    assert!(e.to_string().contains("numeric"), "{e}");
    let s = read_studies("anti_ccp");
    let cov = read_categorical("anti_ccp", "generation");
    let e = hsroc_regression(&s, &cov, &cfg(Method::Reitsma)).map(|_| ()).expect_err("REML");
    assert!(e.to_string().contains("maximum-likelihood"), "{e}");
}
