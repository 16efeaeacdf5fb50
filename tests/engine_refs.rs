//! The estimation engine against the R reference outputs in shared/refs/expected (issue #3).
//!
//! Tolerances (named, from the issue):
//! logit means 1e-4 absolute; SEs, τ², covariance 1e-3 relative; ρ 1e-3; ℓ 1e-4; pooled sens/spec and
//! CIs 2e-4; LR±, DOR and CIs 2e-3 relative; HSROC 1e-3; REML coefficients 1e-5; REML AUC 1e-4.

use fourfold::stats::bivariate::{analyze, AucCi, BivariateResult, FitConfig, Method};
use serde_json::Value;
mod support;
use support::{expected, read_studies};

const TOL_MU: f64 = 1e-4;
const TOL_REL_VAR: f64 = 1e-3;
const TOL_RHO: f64 = 1e-3;
const TOL_LOGLIK: f64 = 1e-4;
const TOL_PROB: f64 = 2e-4;
const TOL_REL_RATIO: f64 = 2e-3;
const TOL_HSROC: f64 = 1e-3;
const TOL_REML_COEF: f64 = 1e-5;
const TOL_REML_AUC: f64 = 1e-4;

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
    c.abs("mu_logit_sens", m.mu_logit_sens, f(e, "mu_logit_sens"), TOL_MU);
    c.abs("mu_logit_spec", m.mu_logit_spec, f(e, "mu_logit_spec"), TOL_MU);
    c.rel("se_logit_sens", m.se_logit_sens, f(e, "se_logit_sens"), TOL_REL_VAR);
    c.rel("se_logit_spec", m.se_logit_spec, f(e, "se_logit_spec"), TOL_REL_VAR);
    c.rel("tau2_logit_sens", m.tau2_logit_sens, f(e, "tau2_logit_sens"), TOL_REL_VAR);
    c.rel("tau2_logit_spec", m.tau2_logit_spec, f(e, "tau2_logit_spec"), TOL_REL_VAR);
    c.rel("cov_logit_sens_spec", m.cov_logit_sens_spec, f(e, "cov_logit_sens_spec"), TOL_REL_VAR);
    c.abs("rho", m.rho.unwrap_or(f64::NAN), f(e, "rho"), TOL_RHO);
    if boundary {
        if m.loglik < f(e, "loglik") - TOL_LOGLIK {
            c.failures.push(format!(
                "{}: boundary loglik {} below reference {}",
                c.name,
                m.loglik,
                f(e, "loglik")
            ));
        }
    } else {
        c.abs("loglik", m.loglik, f(e, "loglik"), TOL_LOGLIK);
    }
    let s = &r.summary;
    for (what, got, key) in
        [("sensitivity", &s.sensitivity, "sensitivity"), ("specificity", &s.specificity, "specificity")]
    {
        c.abs(what, got.estimate, f(e, &format!("{key}.estimate")), TOL_PROB);
        c.abs(&format!("{what} lo"), got.ci[0], f(e, &format!("{key}.ci.0")), TOL_PROB);
        c.abs(&format!("{what} hi"), got.ci[1], f(e, &format!("{key}.ci.1")), TOL_PROB);
    }
    for (what, got) in [("LR_positive", &s.lr_positive), ("LR_negative", &s.lr_negative), ("DOR", &s.dor)] {
        c.rel(what, got.estimate, f(e, &format!("{what}.estimate")), TOL_REL_RATIO);
        c.rel(&format!("{what} lo"), got.ci[0], f(e, &format!("{what}.ci.0")), TOL_REL_RATIO);
        c.rel(&format!("{what} hi"), got.ci[1], f(e, &format!("{what}.ci.1")), TOL_REL_RATIO);
    }
    if let Some(h) = &r.hsroc {
        c.abs("Lambda", h.lambda, f(e, "hsroc_harbord2007.Lambda"), TOL_HSROC);
        c.abs("Theta", h.theta, f(e, "hsroc_harbord2007.Theta"), TOL_HSROC);
        c.abs("beta", h.beta, f(e, "hsroc_harbord2007.beta"), TOL_HSROC);
        c.abs("sigma2_alpha", h.sigma2_alpha, f(e, "hsroc_harbord2007.sigma2_alpha"), TOL_HSROC);
        c.abs("sigma2_theta", h.sigma2_theta, f(e, "hsroc_harbord2007.sigma2_theta"), TOL_HSROC);
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
            r.model.boundary.is_some_and(|b| matches!(b, fourfold::stats::bivariate::Boundary::RhoFixed { .. })),
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
        c.abs("tsens", r.model.mu_logit_sens, f(e, "coefficients.tsens"), TOL_REML_COEF);
        c.abs("tfpr", -r.model.mu_logit_spec, f(e, "coefficients.tfpr"), TOL_REML_COEF);
        c.abs("se tsens", r.model.se_logit_sens, f(e, "se.0"), TOL_REML_COEF);
        c.abs("se tfpr", r.model.se_logit_spec, f(e, "se.1"), TOL_REML_COEF);
        c.abs("mada logLik", r.model.loglik, f(e, "logLik"), 1e-4);
        c.abs(
            "AUC (mada rule)",
            r.auc.as_ref().map_or(f64::NAN, |a| a.mada_rule),
            f(e, "AUC.AUC"),
            TOL_REML_AUC,
        );
        c.abs("sens", r.summary.sensitivity.estimate, f(e, "sensitivity.estimate"), TOL_REML_COEF);
        c.abs("sens lo", r.summary.sensitivity.ci[0], f(e, "sensitivity.ci.0"), TOL_REML_COEF);
        fails.extend(c.failures);
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}
