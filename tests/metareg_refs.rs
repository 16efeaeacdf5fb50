//! Bivariate meta-regression and separate subgroup fits against shared/refs (issue #5).

mod support;
use fourfold::stats::bivariate::{analyze, AucCi, FitConfig, Method};
use fourfold::stats::metareg::meta_regression;
use serde_json::Value;
use support::{expected, read_categorical, read_studies, tol};

// Tolerances: `support::tol` (coefficients `LOGIT_MEAN`, SEs `SE_REL`, LR statistics `LRT`).

const CASES: [(&str, &str); 4] =
    [("scheidler", "modality"), ("anti_ccp", "generation"), ("smoking", "type"), ("smoking", "population")];

fn cfg(method: Method) -> FitConfig {
    FitConfig { method, auc_ci: AucCi::None, ..FitConfig::default() }
}

fn num(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn check(method: Method, block: &str) {
    let mut fails = Vec::new();
    for (name, col) in CASES {
        let s = read_studies(name);
        let cov = read_categorical(name, col);
        let e = &expected(name)["meta_regression"][col][block];
        let mr = meta_regression(&s, &cov, &cfg(method)).unwrap_or_else(|err| panic!("{name}/{col}: {err}"));
        assert!(mr.converged, "{name}/{col}");
        let coefs = e["coefficients"].as_object().expect("coefficients");
        assert_eq!(coefs.len(), mr.coefficients.len(), "{name}/{col}: number of coefficients");
        for c in &mr.coefficients {
            let want = num(&coefs[c.name.as_str()]);
            if (c.estimate - want).abs() > tol::LOGIT_MEAN {
                fails.push(format!("{name}/{col} {block} {}: {} vs {want}", c.name, c.estimate));
            }
            let se = num(&e["se"][c.name.as_str()]);
            if ((c.se - se) / se).abs() > tol::SE_REL {
                fails.push(format!("{name}/{col} {block} se {}: {} vs {se}", c.name, c.se));
            }
        }
        let lrt = &e["LRT"];
        if (mr.lrt.both.statistic - num(&lrt["chisq"])).abs() > tol::LRT {
            fails.push(format!(
                "{name}/{col} {block} LRT {} vs {}",
                mr.lrt.both.statistic,
                num(&lrt["chisq"])
            ));
        }
        assert_eq!(mr.lrt.both.df as f64, num(&lrt["df"]));
        if (mr.loglik - num(&e["loglik"])).abs() > tol::LOGLIK {
            fails.push(format!("{name}/{col} {block} loglik {} vs {}", mr.loglik, num(&e["loglik"])));
        }
        // Per-level pooled sensitivity from the regression model.
        for (pl, want) in mr.per_level.iter().zip(e["per_level"].as_array().expect("per_level")) {
            assert_eq!(pl.level, want["level"].as_str().unwrap_or_default());
            let ws = num(&want["sensitivity"]["estimate"]);
            if (pl.summary.sensitivity.estimate - ws).abs() > tol::PROB {
                fails.push(format!(
                    "{name}/{col} level {} sens {} vs {ws}",
                    pl.level, pl.summary.sensitivity.estimate
                ));
            }
            let wl = num(&want["sensitivity"]["ci"][0]);
            if (pl.summary.sensitivity.ci[0] - wl).abs() > tol::PROB {
                fails.push(format!(
                    "{name}/{col} level {} sens lo {} vs {wl}",
                    pl.level, pl.summary.sensitivity.ci[0]
                ));
            }
        }
        // The single-margin tests have the right df and are consistent with the joint test.
        assert_eq!(mr.lrt.sens.df, mr.levels.len() - 1);
        assert!(mr.lrt.sens.statistic <= mr.lrt.both.statistic + tol::OPTIMUM);
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}

#[test]
fn meta_regression_aghq_matches_own_aghq() {
    check(Method::Aghq, "own_aghq");
}

#[test]
fn meta_regression_laplace_matches_glmer_tight() {
    check(Method::Laplace, "glmer_laplace_tight");
}

#[test]
fn separate_subgroup_fits_match_own_aghq() {
    let mut fails = Vec::new();
    for (name, col) in CASES {
        let s = read_studies(name);
        let cov = read_categorical(name, col);
        let e = &expected(name)["meta_regression"][col]["separate_subgroup_fits_own_aghq"];
        for level in cov.sorted_levels() {
            let rows: Vec<_> = (0..s.len())
                .filter(|&i| cov.label_of(i).as_deref() == Some(level.as_str()))
                .map(|i| s[i].clone())
                .collect();
            let r = analyze(&rows, &cfg(Method::Aghq)).expect("fit");
            let w = &e[level.as_str()];
            for (what, got, key) in [
                ("mu sens", r.model.mu_logit_sens, "mu_logit_sens"),
                ("mu spec", r.model.mu_logit_spec, "mu_logit_spec"),
            ] {
                if (got - num(&w[key])).abs() > tol::LOGIT_MEAN {
                    fails.push(format!("{name}/{col}/{level} {what}: {got} vs {}", num(&w[key])));
                }
            }
            if r.model.boundary.is_none() && (r.model.loglik - num(&w["loglik"])).abs() > tol::LOGLIK {
                fails.push(format!(
                    "{name}/{col}/{level} loglik {} vs {}",
                    r.model.loglik,
                    num(&w["loglik"])
                ));
            }
        }
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}
