//! Sensitivity and influence analyses (METHODS §10) on the reference data sets.
//!
//! Tolerances: `support::tol` (`SAME_PATH`, `COLD_MU`, `COLD_PROB`, `COLD_LOGLIK`, `SUM_IDENTITY`,
//! `MODE_IDENTITY`, `EB_SUM`, `FORMULA`), each documented there.

use fourfold::data::{Dataset, Study};
use fourfold::stats::bivariate::{analyze, analyze_with_start, AucCi, FitConfig, WarmStart};
use fourfold::stats::influence::*;
use fourfold::stats::transform::prob_from_logit;
use std::time::Instant;
mod support;
use support::{read_dataset as dataset, read_studies as studies, tol};

fn rest(s: &[Study], i: usize) -> Vec<Study> {
    s.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, x)| x.clone()).collect()
}

#[test]
fn loo_audit_c_equals_independent_fits() {
    let s = studies("audit_c");
    let cfg = FitConfig::default();
    let full = analyze(&s, &cfg).expect("full fit");
    let loo = leave_one_out(&s, &cfg, &full);
    assert_eq!(loo.len(), s.len());
    // The same rule, written out independently of the module.
    let cfg_loo = FitConfig { auc_ci: AucCi::None, ..cfg.clone() };
    let start = if full.internal.theta.len() == 5 {
        Some(WarmStart { theta: &full.internal.theta, inv_hessian: full.internal.vcov_theta.as_ref() })
    } else {
        None
    };
    assert!(start.is_some(), "audit_c is an interior B2 fit");
    let (mut max_same, mut max_cold_mu, mut max_cold_p, mut max_cold_ll) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (i, row) in loo.iter().enumerate() {
        assert_eq!(row.omitted, s[i].label);
        assert_eq!(row.omitted_rows, vec![i]);
        let f = row.fit.as_ref().expect("refit succeeded");
        assert_eq!(f.k, s.len() - 1);
        let r = rest(&s, i);
        let warm = analyze_with_start(&r, &cfg_loo, start).expect("warm fit");
        let m = &warm.model;
        let pairs = [
            (f.mu_logit_sens, m.mu_logit_sens),
            (f.mu_logit_spec, m.mu_logit_spec),
            (f.sensitivity.estimate, warm.summary.sensitivity.estimate),
            (f.sensitivity.ci[0], warm.summary.sensitivity.ci[0]),
            (f.sensitivity.ci[1], warm.summary.sensitivity.ci[1]),
            (f.specificity.estimate, warm.summary.specificity.estimate),
            (f.specificity.ci[0], warm.summary.specificity.ci[0]),
            (f.lr_positive.estimate, warm.summary.lr_positive.estimate),
            (f.lr_negative.estimate, warm.summary.lr_negative.estimate),
            (f.dor.estimate, warm.summary.dor.estimate),
            (f.tau2_logit_sens, m.tau2_logit_sens),
            (f.tau2_logit_spec, m.tau2_logit_spec),
            (f.rho.unwrap_or(0.0), m.rho.unwrap_or(0.0)),
            (f.loglik, m.loglik),
            (f.auc.unwrap_or(0.0), warm.auc.as_ref().map_or(0.0, |a| a.estimate)),
        ];
        for (a, b) in pairs {
            max_same = max_same.max((a - b).abs());
        }
        assert_eq!(f.rung, m.rung);
        assert_eq!(f.boundary, m.boundary);
        assert!(f.auc_ci.is_none(), "AUC CI off by default in LOO");
        // Cold start: the answer must not depend on the start.
        let cold = analyze(&r, &cfg_loo).expect("cold fit");
        let c = &cold.model;
        max_cold_mu = max_cold_mu
            .max((f.mu_logit_sens - c.mu_logit_sens).abs())
            .max((f.mu_logit_spec - c.mu_logit_spec).abs());
        max_cold_p = max_cold_p
            .max((f.sensitivity.estimate - cold.summary.sensitivity.estimate).abs())
            .max((f.specificity.estimate - cold.summary.specificity.estimate).abs());
        max_cold_ll = max_cold_ll.max((f.loglik - c.loglik).abs());
        assert_eq!(f.rung, c.rung);
    }
    println!("audit_c LOO: max |row − independent warm fit| = {max_same:e}; vs cold: mu {max_cold_mu:e}, prob {max_cold_p:e}, loglik {max_cold_ll:e}");
    assert!(max_same <= tol::SAME_PATH, "{max_same}");
    assert!(max_cold_mu <= tol::COLD_MU, "{max_cold_mu}");
    assert!(max_cold_p <= tol::COLD_PROB, "{max_cold_p}");
    assert!(max_cold_ll <= tol::COLD_LOGLIK, "{max_cold_ll}");

    // LooConfig can switch the AUC interval on.
    let with_ci = leave_one_out_with(&s, &cfg, &full, &LooConfig { auc_ci: AucCi::Delta });
    assert!(with_ci[0].fit.as_ref().and_then(|f| f.auc_ci).is_some());
}

#[test]
fn loo_boundary_set_completes_every_row() {
    let s = studies("telomerase");
    let cfg = FitConfig::default();
    let full = analyze(&s, &cfg).expect("full fit");
    println!("telomerase full: rung {} boundary {:?}", full.model.rung, full.model.boundary);
    assert!(full.model.boundary.is_some(), "telomerase is a boundary fit");
    let loo = leave_one_out(&s, &cfg, &full);
    assert_eq!(loo.len(), 10);
    for row in &loo {
        let f = row.fit.as_ref().unwrap_or_else(|| panic!("{}: {:?}", row.omitted, row.error));
        assert!(f.converged, "{}", row.omitted);
        assert!(f.sensitivity.is_finite() && f.specificity.is_finite());
        println!(
            "  without {:<10} rung {:<5} boundary {:?} Se {:.4} Sp {:.4} rho {:?}",
            row.omitted, f.rung, f.boundary, f.sensitivity.estimate, f.specificity.estimate, f.rho
        );
    }
}

#[test]
fn loo_of_four_studies_gives_marked_fallback_rows() {
    let s = studies("mmse4");
    assert_eq!(s.len(), 4);
    let cfg = FitConfig::default();
    let full = analyze(&s, &cfg).expect("full fit");
    let loo = leave_one_out(&s, &cfg, &full);
    for row in &loo {
        assert!(row.error.is_none(), "{}: {:?}", row.omitted, row.error);
        let f = row.fit.as_ref().expect("fit");
        assert_eq!(f.k, 3);
        assert_ne!(f.rung, "B2", "k = 3 cannot be B2");
        let why = f.fallback.map(|w| w.to_string()).unwrap_or_default();
        assert!(why.contains("fewer than 4"), "{why}");
        println!(
            "mmse4 without {}: rung {} ({why}); Se {:.4} Sp {:.4}",
            row.omitted, f.rung, f.sensitivity.estimate, f.specificity.estimate
        );
    }
    // A 2-study subset (leave-cluster-out style) also falls back rather than failing.
    let two = analyze(&s[..2], &cfg).expect("k = 2 falls back");
    assert_ne!(two.model.rung, "B2");
}

#[test]
fn weights_sum_to_100() {
    for name in ["audit_c", "telomerase", "mmse4", "scheidler", "smoking", "gould_pet"] {
        let s = studies(name);
        let full = analyze(&s, &FitConfig { auc_ci: AucCi::None, ..FitConfig::default() }).expect("fit");
        let w = study_weights(&s, &full);
        assert_eq!(w.len(), s.len(), "{name}");
        let sum = |f: &dyn Fn(&WeightRow) -> f64| w.iter().map(f).sum::<f64>();
        for (col, v) in [
            ("sens", sum(&|r| r.sensitivity)),
            ("spec", sum(&|r| r.specificity)),
            ("overall", sum(&|r| r.overall)),
        ] {
            assert!((v - 100.0).abs() < tol::SUM_IDENTITY, "{name} {col}: {v}");
        }
        assert!(w.iter().all(|r| r.sensitivity >= 0.0 && r.specificity >= 0.0));
    }
}

#[test]
fn weights_audit_c_values() {
    let s = studies("audit_c");
    let full = analyze(&s, &FitConfig::default()).expect("fit");
    let w = study_weights(&s, &full);
    for r in &w {
        println!(
            "{:<10} Se {:6.3}%  Sp {:6.3}%  overall {:6.3}%",
            r.label, r.sensitivity, r.specificity, r.overall
        );
    }
    // With τ̂² > 0 the weights are flatter than the sample sizes but still ordered by information:
    // the study with the most non-diseased participants has the largest specificity weight, and
    // no study exceeds 1/k by more than a factor 2.
    let k = s.len() as f64;
    let arg = |f: &dyn Fn(&WeightRow) -> f64| {
        (0..w.len()).max_by(|&a, &b| f(&w[a]).total_cmp(&f(&w[b]))).expect("nonempty")
    };
    let big_n0 = (0..s.len()).max_by_key(|&i| s[i].n_healthy()).expect("nonempty");
    assert_eq!(arg(&|r| r.specificity), big_n0);
    for r in &w {
        assert!(r.sensitivity < 200.0 / k && r.specificity < 200.0 / k, "{r:?}");
    }
}

#[test]
fn empirical_bayes_audit_c() {
    let s = studies("audit_c");
    let full = analyze(&s, &FitConfig::default()).expect("fit");
    let eb = empirical_bayes(&s, &full, 0.95);
    assert_eq!(eb.len(), s.len());
    let m = &full.model;
    let mu = [m.mu_logit_sens, m.mu_logit_spec];
    let sig = [[m.tau2_logit_sens, m.cov_logit_sens_spec], [m.cov_logit_sens_spec, m.tau2_logit_spec]];
    let mut max_id = 0.0f64;
    let mut sum_pm = [0.0f64; 2];
    for (r, st) in eb.iter().zip(&s) {
        assert!(r.residual_sens.is_some_and(f64::is_finite), "{}", r.label);
        assert!(r.residual_spec.is_some_and(f64::is_finite), "{}", r.label);
        // P_i is a proper covariance, smaller than Σ̂ on the diagonal.
        assert!(r.posterior_cov[0][0] > 0.0 && r.posterior_cov[0][0] < sig[0][0]);
        assert!(r.posterior_cov[1][1] > 0.0 && r.posterior_cov[1][1] < sig[1][1]);
        // Exact identity at the conditional mode: b̂ = Σ̂ s(b̂), s = y − n expit(μ̂ + b̂).
        let sc = [
            st.tp as f64 - st.n_diseased() as f64 * prob_from_logit(mu[0] + r.b[0]),
            st.tn as f64 - st.n_healthy() as f64 * prob_from_logit(mu[1] + r.b[1]),
        ];
        for (row, bj) in sig.iter().zip(r.b) {
            let rhs = row[0] * sc[0] + row[1] * sc[1];
            max_id = max_id.max((bj - rhs).abs());
        }
        sum_pm[0] += r.posterior_mean_b[0];
        sum_pm[1] += r.posterior_mean_b[1];
    }
    // Σ_i E[b_i|y] = Σ̂ ∂ℓ/∂μ (posterior-mean score identity), which is 0 at the ML optimum up to the
    // optimiser's gradient tolerance and the quadrature error.
    let tau = [sig[0][0].sqrt(), sig[1][1].sqrt()];
    let k = s.len() as f64;
    println!(
        "audit_c EB: mode identity max err {max_id:e}; Σ E[b|y] = {:?} (k·τ = {:?})",
        sum_pm,
        [k * tau[0], k * tau[1]]
    );
    assert!(max_id < tol::MODE_IDENTITY, "{max_id}");
    assert!(sum_pm[0].abs() < tol::EB_SUM * k * tau[0] && sum_pm[1].abs() < tol::EB_SUM * k * tau[1]);
    // Shrinkage is small for the largest study.
    let big = (0..s.len()).max_by_key(|&i| s[i].n_total()).expect("k > 0");
    let r = &eb[big];
    let raw_se = r.raw_sensitivity.expect("n1 > 0");
    let raw_sp = r.raw_specificity.expect("n0 > 0");
    println!(
        "largest study {}: EB Se {:.4} raw {:.4}; EB Sp {:.4} raw {:.4}",
        r.label, r.sensitivity.estimate, raw_se, r.specificity.estimate, raw_sp
    );
    assert!((r.sensitivity.estimate - raw_se).abs() < 0.02);
    assert!((r.specificity.estimate - raw_sp).abs() < 0.005);
}

#[test]
fn cooks_distance_audit_c() {
    let s = studies("audit_c");
    let cfg = FitConfig::default();
    let full = analyze(&s, &cfg).expect("fit");
    let loo = leave_one_out(&s, &cfg, &full);
    let d = cooks_distance(&full, &loo);
    let d: Vec<f64> = d.into_iter().map(|x| x.expect("D")).collect();
    let mu = [full.model.mu_logit_sens, full.model.mu_logit_spec];
    let shift: Vec<f64> = loo
        .iter()
        .map(|r| {
            let f = r.fit.as_ref().expect("fit");
            (mu[0] - f.mu_logit_sens).hypot(mu[1] - f.mu_logit_spec)
        })
        .collect();
    let argmax = |v: &[f64]| (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).expect("nonempty");
    let thr = cooks_threshold(s.len());
    for (i, r) in loo.iter().enumerate() {
        println!(
            "{:<10} D = {:.4} |Δμ| = {:.4}{}",
            r.omitted,
            d[i],
            shift[i],
            if d[i] > thr { "  > 4/k" } else { "" }
        );
    }
    assert_eq!(argmax(&d), argmax(&shift));
    assert!(d.iter().all(|&x| x >= 0.0));
}

#[test]
fn goodness_of_fit_audit_c() {
    let s = studies("audit_c");
    let full = analyze(&s, &FitConfig::default()).expect("fit");
    let g = goodness_of_fit(&s, &full);
    assert_eq!(g.rows.len(), s.len());
    assert_eq!(g.qq_mahalanobis.len(), s.len());
    // Squared Mahalanobis distances with the sample covariance sum to 2(k − 1) exactly.
    let sum: f64 = g.rows.iter().map(|r| r.mahalanobis2.expect("d2")).sum();
    assert!((sum - 2.0 * (s.len() as f64 - 1.0)).abs() < tol::SUM_IDENTITY, "{sum}");
    for r in &g.rows {
        assert!(r.deviance_sens.is_some_and(f64::is_finite));
        assert!(r.deviance_spec.is_some_and(f64::is_finite));
    }
    // QQ data sorted, theoretical χ²_2 quantiles increasing.
    assert!(g
        .qq_mahalanobis
        .windows(2)
        .all(|w| w[0].observed <= w[1].observed && w[0].theoretical < w[1].theoretical));
    assert!((g.qq_mahalanobis[0].theoretical - (-2.0 * (1.0 - 0.5 / 14.0f64).ln())).abs() < tol::FORMULA);
    // Deviance residual formula against hand values.
    assert_eq!(deviance_residual(5.0, 10.0, 0.5), Some(0.0));
    let d = deviance_residual(0.0, 10.0, 0.2).expect("n > 0");
    assert!((d + (2.0 * 10.0 * (1.0f64 / 0.8).ln()).sqrt()).abs() < tol::FORMULA);
}

#[test]
fn one_row_per_cluster_smoking() {
    let ds = dataset("smoking");
    let red = one_row_per_cluster_with_note(&ds);
    let col = ds.cluster_covariate().expect("study_id column");
    let distinct = col.levels().len();
    assert_eq!(distinct, 26, "26 distinct study_id values in smoking.csv");
    assert_eq!(red.n_clusters, 26);
    assert_eq!(red.studies.len(), 26);
    assert_eq!(one_row_per_cluster(&ds).len(), 26);
    println!("{}", red.note);
    // The kept row has the largest N of its cluster.
    for &i in &red.kept_rows {
        let c = col.label_of(i);
        for j in 0..ds.studies.len() {
            if col.label_of(j) == c {
                assert!(ds.studies[j].n_total() <= ds.studies[i].n_total());
            }
        }
    }
    // Leave-one-cluster-out has one row per cluster and every refit succeeds.
    let cfg = FitConfig::default();
    let full = analyze(&ds.studies, &cfg).expect("fit");
    let lco = leave_cluster_out(&ds, &cfg, &full, &LooConfig::default()).expect("has clusters");
    assert_eq!(lco.len(), 26);
    let rows: usize = lco.iter().map(|r| r.omitted_rows.len()).sum();
    assert_eq!(rows, ds.studies.len());
    assert!(lco.iter().all(|r| r.fit.is_some()));
    // No cluster column: every row kept.
    let plain = Dataset::from_studies(studies("audit_c"));
    assert_eq!(one_row_per_cluster(&plain).len(), 14);
    assert!(leave_cluster_out(&plain, &cfg, &full, &LooConfig::default()).is_none());
}

#[test]
fn loo_schuetz_timing() {
    let s = studies("schuetz");
    let cfg = FitConfig::default();
    let t0 = Instant::now();
    let full = analyze(&s, &cfg).expect("fit");
    let t_full = t0.elapsed();
    let t1 = Instant::now();
    let loo = leave_one_out(&s, &cfg, &full);
    let t_loo = t1.elapsed();
    println!(
        "schuetz k = {}: full fit {:.3} s, LOO ({} refits) {:.3} s",
        s.len(),
        t_full.as_secs_f64(),
        loo.len(),
        t_loo.as_secs_f64()
    );
    assert_eq!(loo.len(), s.len());
    assert!(loo.iter().all(|r| r.fit.is_some()));
}

#[test]
fn loo_rows_report_errors_instead_of_aborting() {
    // Two studies: each refit has k = 1, which no model accepts; the table still has both rows.
    let s: Vec<Study> = studies("mmse4").into_iter().take(2).collect();
    let cfg = FitConfig::default();
    let full = analyze(&s, &cfg).expect("k = 2 falls back to B0/FE");
    let loo = leave_one_out(&s, &cfg, &full);
    assert_eq!(loo.len(), 2);
    for row in &loo {
        assert!(row.fit.is_none());
        let msg = row.error.as_deref().expect("error message");
        assert!(msg.contains("at least 2 studies"), "{msg}");
    }
    assert!(cooks_distance(&full, &loo).iter().all(Option::is_none));
}

#[test]
fn boundary_and_reml_fits_have_eb_weights_and_gof() {
    // telomerase: B2 with ρ = −1, so the b̂_i lie on a line (C has rank 1).
    let s = studies("telomerase");
    let full = analyze(&s, &FitConfig::default()).expect("fit");
    let eb = empirical_bayes(&s, &full, 0.95);
    assert_eq!(eb.len(), s.len());
    for r in &eb {
        assert!(r.sensitivity.is_finite() && r.specificity.is_finite());
        assert!(r.residual_sens.is_none_or(f64::is_finite));
    }
    let g = goodness_of_fit(&s, &full);
    assert!(g.qq_mahalanobis.is_empty(), "singular sample covariance of b̂ on a ρ = −1 fit");
    assert_eq!(g.qq_deviance_sens.len(), s.len());
    // Reitsma REML has no GLMM internals: C is built from the reported τ̂², σ̂12.
    let cfg = FitConfig { method: fourfold::stats::bivariate::Method::Reitsma, ..FitConfig::default() };
    let s = studies("audit_c");
    let full = analyze(&s, &cfg).expect("REML fit");
    let w = study_weights(&s, &full);
    let total: f64 = w.iter().map(|r| r.sensitivity).sum();
    assert!((total - 100.0).abs() < tol::SUM_IDENTITY);
    assert_eq!(empirical_bayes(&s, &full, 0.95).len(), s.len());
    // LOO without a warm start (REML has no θ) still works.
    assert!(warm_start(&full).is_none());
    let loo = leave_one_out(&s, &cfg, &full);
    assert!(loo.iter().all(|r| r.fit.is_some()));
}

#[test]
fn loo_laplace_same_path() {
    let s = studies("audit_c");
    let cfg = FitConfig { method: fourfold::stats::bivariate::Method::Laplace, ..FitConfig::default() };
    let full = analyze(&s, &cfg).expect("fit");
    let loo = leave_one_out(&s, &cfg, &full);
    let c = loo_fit_config(&cfg, &LooConfig::default());
    for (i, row) in loo.iter().enumerate() {
        let f = row.fit.as_ref().expect("fit");
        let r = analyze_with_start(&rest(&s, i), &c, warm_start(&full)).expect("fit");
        assert!((f.mu_logit_sens - r.model.mu_logit_sens).abs() <= tol::SAME_PATH);
        assert!((f.mu_logit_spec - r.model.mu_logit_spec).abs() <= tol::SAME_PATH);
        assert!((f.loglik - r.model.loglik).abs() <= tol::SAME_PATH);
    }
}
