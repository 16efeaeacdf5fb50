//! Identities the engine must satisfy (issue #3): study order, relabelling, node convergence, and
//! every public data set fits in every mode.

mod support;
use fourfold::stats::bivariate::{analyze, AucCi, FitConfig, Method, DEFAULT_NODES};
use fourfold::stats::glmm::fit::{loglik_at, Design};
use fourfold::stats::glmm::likelihood::CovStructure;
use support::{all_data_sets, read_studies, tol};

// Tolerances: `support::tol` (`OPTIMUM`, `OPTIMUM_VARIANCE`, `NODE_DOUBLING`, `NODE_CONVERGED`).

fn cfg(method: Method) -> FitConfig {
    FitConfig { method, auc_ci: AucCi::None, ..FitConfig::default() }
}

/// A deterministic shuffle of `0..k` (Fisher–Yates driven by a fixed xorshift stream) that is
/// neither the identity nor the reversal for k ≥ 3: a fixed arithmetic rule such as
/// `(7·i + 3) mod k` is not a permutation when gcd(7, k) > 1 (audit_c, k = 14, used to be skipped
/// silently for that reason).
fn shuffled_order(k: usize) -> Vec<usize> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let identity: Vec<usize> = (0..k).collect();
    let reversed: Vec<usize> = (0..k).rev().collect();
    let mut idx = identity.clone();
    while k >= 3 && (idx == identity || idx == reversed) {
        for i in (1..k).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            idx.swap(i, j);
        }
    }
    idx
}

#[test]
fn shuffled_order_is_a_real_permutation() {
    for k in 3..200 {
        let p = shuffled_order(k);
        let mut sorted = p.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..k).collect::<Vec<_>>(), "k = {k}: not a permutation");
        assert!(p.iter().enumerate().any(|(i, &j)| i != j), "k = {k}: identity");
    }
}

#[test]
fn study_order_changes_nothing() {
    let mut covered = Vec::new();
    for name in all_data_sets() {
        let s = read_studies(&name);
        let k = s.len();
        assert!(k >= 3, "{name}: k = {k} is too small to reorder");
        let rev: Vec<_> = s.iter().rev().cloned().collect();
        let order = shuffled_order(k);
        assert!(order.iter().enumerate().any(|(i, &j)| i != j), "{name}: the shuffle is the identity");
        let perm: Vec<_> = order.iter().map(|&i| s[i].clone()).collect();
        // The reordered inputs really differ from the original (not only the index vectors).
        assert_ne!(rev, s, "{name}: reversal leaves the studies in place");
        assert_ne!(perm, s, "{name}: the shuffle leaves the studies in place");
        for method in [Method::Aghq, Method::Laplace, Method::Reitsma] {
            let a = analyze(&s, &cfg(method)).expect("fit");
            for (what, other) in [("reversed", &rev), ("shuffled", &perm)] {
                let b = analyze(other, &cfg(method)).expect("fit");
                let at = format!("{name} {method:?} {what}");
                assert!((a.model.mu_logit_sens - b.model.mu_logit_sens).abs() < tol::OPTIMUM, "{at}");
                assert!((a.model.mu_logit_spec - b.model.mu_logit_spec).abs() < tol::OPTIMUM, "{at}");
                assert!((a.model.loglik - b.model.loglik).abs() < tol::OPTIMUM, "{at}");
                assert!(
                    (a.model.tau2_logit_sens - b.model.tau2_logit_sens).abs() < tol::OPTIMUM_VARIANCE,
                    "{at}"
                );
            }
        }
        covered.push(name);
    }
    // Every data set of shared/refs/data went through both reorderings.
    assert_eq!(covered, all_data_sets());
}

#[test]
fn swapping_diseased_and_healthy_swaps_sens_and_spec() {
    for name in ["audit_c", "dementia", "mmse4"] {
        let s = read_studies(name);
        let sw: Vec<_> = s.iter().map(|x| x.swapped_roles()).collect();
        for method in [Method::Aghq, Method::Laplace] {
            let a = analyze(&s, &cfg(method)).expect("fit");
            let b = analyze(&sw, &cfg(method)).expect("fit");
            assert!((a.model.mu_logit_sens - b.model.mu_logit_spec).abs() < tol::OPTIMUM, "{name}");
            assert!((a.model.mu_logit_spec - b.model.mu_logit_sens).abs() < tol::OPTIMUM, "{name}");
            assert!(
                (a.model.tau2_logit_sens - b.model.tau2_logit_spec).abs() < tol::OPTIMUM_VARIANCE,
                "{name}"
            );
            assert!((a.model.se_logit_sens - b.model.se_logit_spec).abs() < tol::OPTIMUM_VARIANCE, "{name}");
            assert!((a.model.loglik - b.model.loglik).abs() < tol::OPTIMUM, "{name}");
            assert!((a.summary.sensitivity.estimate - b.summary.specificity.estimate).abs() < tol::OPTIMUM);
            // LR+ of one is 1/LR− of the other; the DOR is unchanged.
            assert!((a.summary.dor.estimate / b.summary.dor.estimate - 1.0).abs() < tol::OPTIMUM_VARIANCE);
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
    assert!(diffs.last().copied().unwrap_or(1.0) < tol::NODE_CONVERGED, "{diffs:?}");
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
        assert!(d < tol::NODE_DOUBLING, "{name}: doubling nodes changes loglik by {d:e}");
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
    assert!((dci[0] - 0.85316).abs() < tol::PROB && (dci[1] - 0.91407).abs() < tol::PROB, "{dci:?}");
}
