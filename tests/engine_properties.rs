//! Identities the engine must satisfy (issue #3): study order, relabelling, node convergence, and
//! every public data set fits in every mode.

mod support;
use fourfold::stats::bivariate::{analyze, AucCi, FitConfig, Method, DEFAULT_NODES};
use fourfold::stats::glmm::fit::{loglik_at, Design};
use fourfold::stats::glmm::likelihood::CovStructure;
use support::{all_data_sets, read_studies};

/// Identities that hold exactly up to the optimiser's convergence.
const TOL_IDENTITY: f64 = 1e-6;
/// METHODS §2.6: doubling the node count must change ℓ by less than this.
const TOL_NODE_DOUBLING: f64 = 1e-6;

fn cfg(method: Method) -> FitConfig {
    FitConfig { method, auc_ci: AucCi::None, ..FitConfig::default() }
}

#[test]
fn study_order_changes_nothing() {
    for name in ["audit_c", "scheidler", "telomerase"] {
        let s = read_studies(name);
        let mut rev = s.clone();
        rev.reverse();
        // A fixed interleaving permutation as a second order.
        let perm: Vec<_> = (0..s.len()).map(|i| s[(i * 7 + 3) % s.len()].clone()).collect();
        let perm_ok = {
            let mut idx: Vec<usize> = (0..s.len()).map(|i| (i * 7 + 3) % s.len()).collect();
            idx.sort();
            idx.dedup();
            idx.len() == s.len()
        };
        for method in [Method::Aghq, Method::Laplace, Method::Reitsma] {
            let a = analyze(&s, &cfg(method)).expect("fit");
            let mut others = vec![analyze(&rev, &cfg(method)).expect("fit")];
            if perm_ok {
                others.push(analyze(&perm, &cfg(method)).expect("fit"));
            }
            for b in others {
                assert!(
                    (a.model.mu_logit_sens - b.model.mu_logit_sens).abs() < TOL_IDENTITY,
                    "{name} {method:?}"
                );
                assert!(
                    (a.model.mu_logit_spec - b.model.mu_logit_spec).abs() < TOL_IDENTITY,
                    "{name} {method:?}"
                );
                assert!((a.model.loglik - b.model.loglik).abs() < TOL_IDENTITY, "{name} {method:?}");
                assert!(
                    (a.model.tau2_logit_sens - b.model.tau2_logit_sens).abs() < 1e-5,
                    "{name} {method:?}"
                );
            }
        }
    }
}

#[test]
fn swapping_diseased_and_healthy_swaps_sens_and_spec() {
    for name in ["audit_c", "dementia", "mmse4"] {
        let s = read_studies(name);
        let sw: Vec<_> = s.iter().map(|x| x.swapped_roles()).collect();
        for method in [Method::Aghq, Method::Laplace] {
            let a = analyze(&s, &cfg(method)).expect("fit");
            let b = analyze(&sw, &cfg(method)).expect("fit");
            assert!((a.model.mu_logit_sens - b.model.mu_logit_spec).abs() < TOL_IDENTITY, "{name}");
            assert!((a.model.mu_logit_spec - b.model.mu_logit_sens).abs() < TOL_IDENTITY, "{name}");
            assert!((a.model.tau2_logit_sens - b.model.tau2_logit_spec).abs() < 1e-5, "{name}");
            assert!((a.model.se_logit_sens - b.model.se_logit_spec).abs() < 1e-5, "{name}");
            assert!((a.model.loglik - b.model.loglik).abs() < TOL_IDENTITY, "{name}");
            assert!((a.summary.sensitivity.estimate - b.summary.specificity.estimate).abs() < TOL_IDENTITY);
            // LR+ of one is 1/LR− of the other; the DOR is unchanged.
            assert!((a.summary.dor.estimate / b.summary.dor.estimate - 1.0).abs() < 1e-5);
        }
    }
}

#[test]
fn more_nodes_converge() {
    let s = read_studies("audit_c");
    let mut prev = f64::NAN;
    let mut diffs = Vec::new();
    for m in [3usize, 5, 9, 15, 21, 31] {
        let r = analyze(&s, &FitConfig { nodes: m, ..cfg(Method::Aghq) }).expect("fit");
        if prev.is_finite() {
            diffs.push((r.model.loglik - prev).abs());
        }
        prev = r.model.loglik;
    }
    // Successive changes shrink and end below 1e-7.
    assert!(diffs.last().copied().unwrap_or(1.0) < 1e-7, "{diffs:?}");
    assert!(diffs[0] > diffs[diffs.len() - 1]);
}

#[test]
fn node_count_is_enough_on_every_data_set() {
    let mut report = Vec::new();
    for name in all_data_sets() {
        let s = read_studies(&name);
        let r = analyze(&s, &cfg(Method::Aghq)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let internal = &r.internal;
        let cov = internal.cov.unwrap_or(CovStructure::Full);
        let l2 = loglik_at(&s, &Design::intercepts(s.len()), cov, 2 * DEFAULT_NODES, &internal.theta)
            .expect("eval");
        let d = (l2 - r.model.loglik).abs();
        report.push(format!("{name}: {d:.2e}"));
        assert!(d < TOL_NODE_DOUBLING, "{name}: doubling nodes changes loglik by {d:e}");
    }
    eprintln!("node doubling: {}", report.join(", "));
}

#[test]
fn every_data_set_fits_in_every_mode() {
    for name in all_data_sets() {
        let s = read_studies(&name);
        for method in [Method::Aghq, Method::Laplace, Method::Reitsma] {
            let r = analyze(&s, &cfg(method)).unwrap_or_else(|e| panic!("{name} {method:?}: {e}"));
            assert!(r.model.converged, "{name} {method:?} did not converge");
            assert!(
                r.summary.sensitivity.estimate.is_finite() && r.summary.specificity.ci[0].is_finite(),
                "{name} {method:?}"
            );
            assert!(r.model.loglik.is_finite());
        }
    }
}

#[test]
fn tiny_inputs_fall_back_with_a_marked_rung() {
    let s = read_studies("audit_c");
    for k in [2usize, 3] {
        let r = analyze(&s[..k], &cfg(Method::Aghq)).expect("k small still pools");
        assert_ne!(r.model.rung, "B2", "k = {k}");
        assert!(r.model.fallback.is_some());
    }
    assert!(analyze(&s[..1], &cfg(Method::Aghq)).is_err());
}

#[test]
fn auc_bootstrap_is_reproducible_and_brackets_estimate() {
    let s = read_studies("audit_c");
    let c = FitConfig::default();
    let a = analyze(&s, &c).expect("fit");
    let b = analyze(&s, &c).expect("fit");
    let (aa, bb) = (a.auc.expect("auc"), b.auc.expect("auc"));
    assert_eq!(aa.ci, bb.ci);
    let ci = aa.ci.expect("ci");
    assert!(ci[0] < aa.estimate && aa.estimate < ci[1], "{ci:?} {}", aa.estimate);
    // METHODS §12.4: the delta-method CI on logit for the Laplace fit is [0.85316, 0.91407].
    let d = analyze(&s, &FitConfig { method: Method::Laplace, auc_ci: AucCi::Delta, ..FitConfig::default() })
        .expect("fit");
    let dci = d.auc.expect("auc").ci.expect("ci");
    assert!((dci[0] - 0.85316).abs() < 2e-4 && (dci[1] - 0.91407).abs() < 2e-4, "{dci:?}");
}
