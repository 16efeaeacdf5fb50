//! RevMan's externally calculated parameters (METHODS §18), the HSROC parameters' delta-method SEs
//! (§4.4) and the Meta-DiSc 2.0 dispersion summaries (§5.5), against references Fourfold did not
//! write:
//! * the 15 parameters against `../shared/refs/expected/*.json` (`own_aghq`: means, variances,
//!   covariance, SEs, vcov, `hsroc_harbord2007`);
//! * the HSROC SEs against `tests/refs-src/out/hsroc_delta.json` (R: glmmTMB Laplace fit, numDeriv
//!   Jacobian, and a parametric bootstrap with 20 000 draws; script `tests/refs-src/hsroc_delta.R`);
//! * MOR and ICC against hand formulas on the fitted τ², the ellipse area against the polygon.

mod support;
use fourfold::analysis::revman::AnalysisRef;
use fourfold::analysis::run_settings;
use fourfold::settings::AnalysisSettings;
use fourfold::stats::bivariate::{analyze, FitConfig, Method};
use fourfold::stats::revman::{hsroc_bootstrap_sd, hsroc_inference, RevmanParameters};
use serde_json::Value;
use support::{expected, read_dataset, read_studies, tol};

const INTERIOR: [&str; 6] = ["audit_c", "scheidler", "dementia", "smoking", "anti_ccp", "xpert_tbm"];

/// rel, delta-method SEs against R's: both are inverse-Hessian quantities from two Laplace
/// implementations (glmmTMB's automatic-differentiation Hessian, ours by differences of the exact
/// gradient) propagated through a numerical Jacobian. Observed ≤ 6.2e-6; 1e-4 catches any change
/// of the Jacobian or of the covariance (a dropped covariance term moves SEs by > 1e-2).
const DELTA_SE_REL: f64 = 1e-4;
/// rel, delta SE against the parametric-bootstrap SD (R's 20 000 draws, ours 4 000): the delta
/// method is first order, and the transforms are curved (ln σ², ratios of SDs); the observed
/// largest gap on these six sets is 7% (xpert_tbm, ln σ²θ), so 12% still catches a wrong Jacobian
/// or a missing covariance term (those move SEs by 30% or more).
const BOOT_REL: f64 = 0.12;

fn refs_delta() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/refs-src/out/hsroc_delta.json"))
            .expect("tests/refs-src/out/hsroc_delta.json");
    serde_json::from_str(&text).expect("JSON")
}

fn num(v: &Value, path: &[&str]) -> f64 {
    let mut x = v;
    for p in path {
        x = &x[*p];
    }
    x.as_f64().unwrap_or_else(|| panic!("{path:?} is not a number"))
}

fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1e-12)
}

#[test]
fn parameters_match_the_exact_ml_reference_in_revmans_order() {
    for name in INTERIOR {
        let fit = analyze(&read_studies(name), &FitConfig::default()).expect("fit");
        let p = RevmanParameters::from_fit(&fit);
        let e = expected(name);
        let r = &e["own_aghq"];
        let h = &r["hsroc_harbord2007"];
        let want = [
            num(h, &["Lambda"]),
            num(h, &["Theta"]),
            num(h, &["beta"]),
            num(h, &["sigma2_alpha"]),
            num(h, &["sigma2_theta"]),
            num(r, &["mu_logit_sens"]),
            num(r, &["mu_logit_spec"]),
            num(r, &["tau2_logit_sens"]),
            num(r, &["tau2_logit_spec"]),
            num(r, &["cov_logit_sens_spec"]),
            num(r, &["rho"]),
            num(r, &["se_logit_sens"]),
            num(r, &["se_logit_spec"]),
            r["vcov_mu"][0][1].as_f64().expect("vcov_mu"),
            read_studies(name).len() as f64,
        ];
        let got = p.values();
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let g = g.unwrap_or_else(|| panic!("{name}: parameter {i} missing"));
            let bound = match i {
                0..=4 => tol::HSROC,
                5 | 6 => tol::LOGIT_MEAN,
                10 => tol::RHO,
                _ => tol::SE_REL * w.abs().max(1e-3),
            };
            assert!((g - w).abs() <= bound, "{name}: parameter {i}: {g} vs {w} (bound {bound})");
        }
        assert_eq!(p.studies, read_studies(name).len());
    }
}

#[test]
fn hsroc_ses_match_a_delta_method_computation_in_r() {
    let refs = refs_delta();
    let cfg = FitConfig { method: Method::Laplace, ..FitConfig::default() };
    let mut worst = 0.0f64;
    for name in INTERIOR {
        let fit = analyze(&read_studies(name), &cfg).expect("fit");
        let r = &refs[name];
        let inf = hsroc_inference(&fit, 0.95).expect("inference");
        let a = inf.sigma2_alpha.expect("σ²α");
        let t = inf.sigma2_theta.expect("σ²θ");
        let pairs = [
            (inf.lambda.se, num(r, &["delta_se", "Lambda"])),
            (inf.theta.se, num(r, &["delta_se", "Theta"])),
            (inf.beta.se, num(r, &["delta_se", "beta"])),
            (a.se_log.expect("log se"), num(r, &["delta_se", "log_sigma2_alpha"])),
            (t.se_log.expect("log se"), num(r, &["delta_se", "log_sigma2_theta"])),
        ];
        for (i, (g, w)) in pairs.iter().enumerate() {
            let d = rel(*g, *w);
            worst = worst.max(d);
            assert!(d <= DELTA_SE_REL, "{name}: SE {i}: {g} vs R {w} (rel {d:.2e})");
        }
        // The estimates themselves (same Laplace optimum).
        assert!((inf.lambda.estimate - num(r, &["hsroc", "Lambda"])).abs() <= tol::HSROC, "{name} Λ");
        assert!((a.estimate - num(r, &["hsroc", "sigma2_alpha"])).abs() <= tol::HSROC, "{name} σ²α");
        // CIs: Wald for Λ, log scale for the variances.
        let z = 1.959963984540054;
        assert!((inf.lambda.ci[1] - inf.lambda.ci[0] - 2.0 * z * inf.lambda.se).abs() < 1e-12);
        let lo = (a.estimate.ln() - z * a.se_log.unwrap()).exp();
        assert!((a.ci[0] - lo).abs() <= 1e-12 * a.estimate.max(1.0), "{name} σ²α CI");
        assert!((a.se - a.estimate * a.se_log.unwrap()).abs() < 1e-12);
    }
    eprintln!("largest relative SE difference against R: {worst:.2e}");
}

#[test]
fn hsroc_ses_agree_with_parametric_bootstraps() {
    let refs = refs_delta();
    let cfg = FitConfig { method: Method::Laplace, ..FitConfig::default() };
    for name in INTERIOR {
        let fit = analyze(&read_studies(name), &cfg).expect("fit");
        let inf = hsroc_inference(&fit, 0.95).expect("inference");
        let se = [
            inf.lambda.se,
            inf.theta.se,
            inf.beta.se,
            inf.sigma2_alpha.unwrap().se_log.unwrap(),
            inf.sigma2_theta.unwrap().se_log.unwrap(),
        ];
        let ours = hsroc_bootstrap_sd(&fit, 4000, 20261201).expect("bootstrap");
        let keys = ["Lambda", "Theta", "beta", "log_sigma2_alpha", "log_sigma2_theta"];
        for i in 0..5 {
            let r_boot = num(&refs[name], &["bootstrap_sd", keys[i]]);
            assert!(
                rel(se[i], r_boot) <= BOOT_REL,
                "{name} {}: delta {} vs R bootstrap {r_boot}",
                keys[i],
                se[i]
            );
            assert!(
                rel(ours[i], r_boot) <= BOOT_REL,
                "{name} {}: bootstrap {} vs R {r_boot}",
                keys[i],
                ours[i]
            );
        }
    }
}

#[test]
fn boundary_and_reml_fits_say_what_is_missing() {
    // telomerase: ρ = −1, so σ²α = 0 without SE or CI; Λ, Θ, β keep theirs.
    let fit = analyze(&read_studies("telomerase"), &FitConfig::default()).expect("fit");
    if let Some(inf) = hsroc_inference(&fit, 0.95) {
        assert!(inf.sigma2_alpha.is_none(), "σ²α at ρ = −1 has no interval");
        assert!(inf.sigma2_theta.is_some());
        assert!(inf.lambda.se.is_finite() && inf.lambda.se > 0.0);
    }
    let p = RevmanParameters::from_fit(&fit);
    assert!(p.var_accuracy.is_some_and(|v| v.abs() < 1e-8));
    // REML: the parameters, but no SEs of the HSROC set (no covariance of the variances).
    let reml =
        analyze(&read_studies("audit_c"), &FitConfig { method: Method::Reitsma, ..FitConfig::default() })
            .expect("REML fit");
    assert!(hsroc_inference(&reml, 0.95).is_none());
    assert!(RevmanParameters::from_fit(&reml).lambda.is_some());
}

#[test]
fn every_subgroup_gets_an_entry_in_table_order() {
    let s = AnalysisSettings { covariate: Some("modality".into()), ..AnalysisSettings::default() };
    let a = run_settings(&read_dataset("scheidler"), &s).expect("analysis");
    let levels: Vec<String> = a.subgroups.as_ref().unwrap().levels.iter().map(|l| l.level.clone()).collect();
    assert_eq!(a.revman[0].analysis, AnalysisRef::Overall);
    let got: Vec<String> = a.revman[1..]
        .iter()
        .map(|e| match &e.analysis {
            AnalysisRef::Subgroup { level } => level.clone(),
            AnalysisRef::Overall => panic!("overall twice"),
        })
        .collect();
    assert_eq!(got, levels);
    for (e, l) in a.revman[1..].iter().zip(&a.subgroups.as_ref().unwrap().levels) {
        let f = l.block.fit.as_ref().unwrap();
        assert_eq!(e.parameters.e_logit_se, f.model.mu_logit_sens);
        assert_eq!(e.parameters.studies, l.block.k);
    }
    assert_eq!(a.dispersion.len(), a.revman.len());
}

#[test]
fn mor_icc_and_ellipse_area_by_hand() {
    let a = run_settings(&read_dataset("audit_c"), &AnalysisSettings::default()).expect("analysis");
    let m = &a.overall.fit.as_ref().unwrap().model;
    let d = &a.dispersion[0].dispersion;
    // MOR = exp(sqrt(2 τ²) Φ⁻¹(0.75)), Φ⁻¹(0.75) = 0.6744897501960817.
    let q = 0.6744897501960817;
    let s = d.sensitivity.unwrap();
    let mor = ((2.0 * m.tau2_logit_sens).sqrt() * q).exp();
    assert!((s.median_odds_ratio.mor.estimate - mor).abs() < tol::ALGEBRA * mor);
    let [lo, hi] = m.tau2_logit_sens_ci.unwrap();
    assert!((s.median_odds_ratio.mor.ci[0] - ((2.0 * lo).sqrt() * q).exp()).abs() < 1e-9);
    assert!((s.median_odds_ratio.mor.ci[1] - ((2.0 * hi).sqrt() * q).exp()).abs() < 1e-9);
    // ICC = τ²/(τ² + π²/3).
    let c = std::f64::consts::PI.powi(2) / 3.0;
    let sp = d.specificity.unwrap();
    assert!((sp.icc.estimate - m.tau2_logit_spec / (m.tau2_logit_spec + c)).abs() < tol::ALGEBRA);
    assert!(sp.icc.ci[0] < sp.icc.estimate && sp.icc.estimate < sp.icc.ci[1]);
    // Logit-plane ellipse: π c² sqrt(det(Σ + V)); k = 14, F radius c² = 2 F(0.95; 2, 12).
    let c2 = 2.0 * 3.885293834652391; // qf(0.95, 2, 12)
    let (v, t1, t2, cv) = (m.vcov_mu, m.tau2_logit_sens, m.tau2_logit_spec, m.cov_logit_sens_spec);
    let det = (t1 + v[0][0]) * (t2 + v[1][1]) - (cv + v[0][1]).powi(2);
    let want = std::f64::consts::PI * c2 * det.sqrt();
    let got = d.prediction_ellipse_area_logit.unwrap();
    assert!(rel(got, want) < 1e-9, "{got} vs {want}");
    // ROC-space area lies in (0, 1) and matches the plotted region's polygon to its resolution.
    let roc = d.prediction_region_area_roc.unwrap();
    let plotted = &a.overall.fit.as_ref().unwrap().sroc.prediction_region;
    let n = plotted.len();
    let coarse: f64 = 0.5
        * (0..n)
            .map(|i| {
                let (x1, y1) = plotted[i];
                let (x2, y2) = plotted[(i + 1) % n];
                x1 * y2 - x2 * y1
            })
            .sum::<f64>()
            .abs();
    assert!(roc > 0.0 && roc < 1.0);
    assert!(rel(coarse, roc) < 1e-3, "{coarse} vs {roc}");
}
