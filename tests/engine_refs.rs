//! The estimation engine against the R reference outputs in shared/refs/expected (issue #3).
//!
//! Tolerances: `support::tol` (the values):
//! logit means 1e-4 absolute; SEs, τ², covariance 1e-3 relative; ρ 1e-3; ℓ 1e-4; pooled sens/spec and
//! CIs 2e-4; LR±, DOR and CIs 2e-3 relative; HSROC 1e-3; REML coefficients 1e-5; REML AUC 1e-4.

use fourfold::stats::bivariate::{analyze, AucCi, BivariateResult, FitConfig, Method};
use serde_json::Value;
mod support;
use support::{expected, read_studies, tol};

const SETS: [&str; 9] = [
    "anti_ccp",
    "audit_c",
    "dementia",
    "mmse4",
    "scheidler",
    "skin_tests",
    "smoking",
    "telomerase",
    "xpert_tbm",
];
const BOUNDARY_SETS: [&str; 2] = ["mmse4", "telomerase"];

fn f(v: &Value, path: &str) -> f64 {
    let mut cur = v;
    for p in path.split('.') {
        cur = match p.parse::<usize>() {
            Ok(i) => &cur[i],
            Err(_) => &cur[p],
        };
    }
    cur.as_f64().unwrap_or_else(|| panic!("missing number at {path}"))
}

struct Checker {
    name: String,
    failures: Vec<String>,
}

impl Checker {
    fn abs(&mut self, what: &str, got: f64, want: f64, tol: f64) {
        if (got - want).abs().is_nan() || (got - want).abs() > tol {
            self.failures.push(format!(
                "{}: {what} = {got}, reference {want} (|diff| {:.3e} > {tol:e})",
                self.name,
                (got - want).abs()
            ));
        }
    }
    fn rel(&mut self, what: &str, got: f64, want: f64, tol: f64) {
        let d = (got - want).abs() / want.abs().max(1e-12);
        if d.is_nan() || d > tol {
            self.failures.push(format!(
                "{}: {what} = {got}, reference {want} (rel diff {d:.3e} > {tol:e})",
                self.name
            ));
        }
    }
}

fn fast_cfg(method: Method) -> FitConfig {
    FitConfig { method, auc_ci: AucCi::None, ..FitConfig::default() }
}

fn compare_glmm(c: &mut Checker, r: &BivariateResult, e: &Value, boundary: bool) {
    let m = &r.model;
    c.abs("mu_logit_sens", m.mu_logit_sens, f(e, "mu_logit_sens"), tol::LOGIT_MEAN);
    c.abs("mu_logit_spec", m.mu_logit_spec, f(e, "mu_logit_spec"), tol::LOGIT_MEAN);
    c.rel("se_logit_sens", m.se_logit_sens, f(e, "se_logit_sens"), tol::SE_REL);
    c.rel("se_logit_spec", m.se_logit_spec, f(e, "se_logit_spec"), tol::SE_REL);
    c.rel("tau2_logit_sens", m.tau2_logit_sens, f(e, "tau2_logit_sens"), tol::SE_REL);
    c.rel("tau2_logit_spec", m.tau2_logit_spec, f(e, "tau2_logit_spec"), tol::SE_REL);
    c.rel("cov_logit_sens_spec", m.cov_logit_sens_spec, f(e, "cov_logit_sens_spec"), tol::SE_REL);
    c.abs("rho", m.rho.unwrap_or(f64::NAN), f(e, "rho"), tol::RHO);
    if boundary {
        if m.loglik < f(e, "loglik") - tol::LOGLIK {
            c.failures.push(format!(
                "{}: boundary loglik {} below reference {}",
                c.name,
                m.loglik,
                f(e, "loglik")
            ));
        }
    } else {
        c.abs("loglik", m.loglik, f(e, "loglik"), tol::LOGLIK);
    }
    let s = &r.summary;
    for (what, got, key) in
        [("sensitivity", &s.sensitivity, "sensitivity"), ("specificity", &s.specificity, "specificity")]
    {
        c.abs(what, got.estimate, f(e, &format!("{key}.estimate")), tol::PROB);
        c.abs(&format!("{what} lo"), got.ci[0], f(e, &format!("{key}.ci.0")), tol::PROB);
        c.abs(&format!("{what} hi"), got.ci[1], f(e, &format!("{key}.ci.1")), tol::PROB);
    }
    for (what, got) in [("LR_positive", &s.lr_positive), ("LR_negative", &s.lr_negative), ("DOR", &s.dor)] {
        c.rel(what, got.estimate, f(e, &format!("{what}.estimate")), tol::RATIO_REL);
        c.rel(&format!("{what} lo"), got.ci[0], f(e, &format!("{what}.ci.0")), tol::RATIO_REL);
        c.rel(&format!("{what} hi"), got.ci[1], f(e, &format!("{what}.ci.1")), tol::RATIO_REL);
    }
    if let Some(h) = &r.hsroc {
        c.abs("Lambda", h.lambda, f(e, "hsroc_harbord2007.Lambda"), tol::HSROC);
        c.abs("Theta", h.theta, f(e, "hsroc_harbord2007.Theta"), tol::HSROC);
        c.abs("beta", h.beta, f(e, "hsroc_harbord2007.beta"), tol::HSROC);
        c.abs("sigma2_alpha", h.sigma2_alpha, f(e, "hsroc_harbord2007.sigma2_alpha"), tol::HSROC);
        c.abs("sigma2_theta", h.sigma2_theta, f(e, "hsroc_harbord2007.sigma2_theta"), tol::HSROC);
    } else {
        c.failures.push(format!("{}: no HSROC parameters", c.name));
    }
}

fn run_all(method: Method, block: &str) {
    let mut all = Vec::new();
    for name in SETS {
        let studies = read_studies(name);
        let e = expected(name);
        let r = analyze(&studies, &fast_cfg(method)).unwrap_or_else(|err| panic!("{name}: {err}"));
        let boundary = BOUNDARY_SETS.contains(&name);
        let mut c = Checker { name: format!("{name} [{block}]"), failures: Vec::new() };
        assert!(r.model.converged, "{name}: not converged: {:?}", r.model);
        assert_eq!(r.model.boundary.is_some(), boundary, "{name}: boundary flag {:?}", r.model.boundary);
        compare_glmm(&mut c, &r, &e[block], boundary);
        all.extend(c.failures);
    }
    assert!(all.is_empty(), "{} deviations:\n{}", all.len(), all.join("\n"));
}

#[test]
fn aghq_matches_own_aghq() {
    run_all(Method::Aghq, "own_aghq");
}

#[test]
fn laplace_matches_glmer_tight() {
    run_all(Method::Laplace, "glmer_laplace_tight");
}

#[test]
fn laplace_matches_own_laplace() {
    run_all(Method::Laplace, "own_laplace");
}

#[test]
fn boundary_fits_reach_rho_plus_minus_one() {
    for (name, sign) in [("telomerase", -1.0), ("mmse4", 1.0)] {
        let r = analyze(&read_studies(name), &fast_cfg(Method::Aghq)).expect("fit");
        assert_eq!(r.model.rho, Some(sign), "{name}");
        assert!(
            r.model
                .boundary
                .is_some_and(|b| matches!(b, fourfold::stats::bivariate::Boundary::RhoFixed { .. })),
            "{name}: {:?}",
            r.model.boundary
        );
        assert!(r.simplified.is_some(), "{name}: B0 beside the boundary fit");
        assert!(r.model.rho_ci.is_none());
    }
}

#[test]
fn reitsma_matches_mada() {
    let mut fails = Vec::new();
    for name in SETS {
        let e = &expected(name)["mada_reitsma"];
        let r = analyze(&read_studies(name), &fast_cfg(Method::Reitsma)).expect("reml");
        let mut c = Checker { name: format!("{name} [mada_reitsma]"), failures: Vec::new() };
        c.abs("tsens", r.model.mu_logit_sens, f(e, "coefficients.tsens"), tol::REML_COEF);
        c.abs("tfpr", -r.model.mu_logit_spec, f(e, "coefficients.tfpr"), tol::REML_COEF);
        c.abs("se tsens", r.model.se_logit_sens, f(e, "se.0"), tol::REML_COEF);
        c.abs("se tfpr", r.model.se_logit_spec, f(e, "se.1"), tol::REML_COEF);
        c.abs("mada logLik", r.model.loglik, f(e, "logLik"), tol::LOGLIK);
        c.abs(
            "AUC (mada rule)",
            r.auc.as_ref().map_or(f64::NAN, |a| a.mada_rule),
            f(e, "AUC.AUC"),
            tol::REML_AUC,
        );
        c.abs("sens", r.summary.sensitivity.estimate, f(e, "sensitivity.estimate"), tol::REML_COEF);
        c.abs("sens lo", r.summary.sensitivity.ci[0], f(e, "sensitivity.ci.0"), tol::REML_COEF);
        fails.extend(c.failures);
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}
