use super::fit::*;
use super::likelihood::CovStructure;
use crate::data::Study;

pub(crate) fn audit_c() -> Vec<Study> {
    // METHODS §12 (rows TP, FN, FP, TN).
    let raw = [
        (47, 9, 101, 738),
        (126, 51, 272, 1543),
        (19, 10, 12, 192),
        (36, 3, 78, 276),
        (130, 19, 211, 959),
        (84, 2, 68, 89),
        (68, 0, 112, 423),
        (752, 0, 3226, 2977),
        (59, 5, 55, 136),
        (142, 50, 571, 2788),
        (137, 24, 107, 358),
        (57, 3, 103, 437),
        (34, 1, 21, 56),
        (152, 51, 88, 264),
    ];
    raw.iter()
        .enumerate()
        .map(|(i, &(tp, fn_, fp, tn))| Study::new(format!("{}", i + 1), tp, fp, fn_, tn))
        .collect()
}

#[test]
fn gradient_matches_finite_differences() {
    let s = audit_c();
    let d = Design::intercepts(s.len());
    for (cov, theta) in [
        (CovStructure::Full, vec![2.4, 1.2, 0.4, -0.4, -1.0]),
        (CovStructure::RhoFixed(-1.0), vec![2.4, 1.2, 0.4, -0.4]),
        (CovStructure::Independent, vec![2.4, 1.2, 0.4, -0.4]),
        (CovStructure::SensOnly, vec![2.4, 1.2, 0.4]),
    ] {
        for m in [1usize, 3, 7] {
            let p = problem(&s, &d, cov, m);
            let mut ws = p.workspace();
            let mut g = vec![0.0; theta.len()];
            let l0 = p.eval(&theta, &mut ws, Some(&mut g)).unwrap();
            for j in 0..theta.len() {
                let h = 1e-6;
                let mut tp = theta.clone();
                tp[j] += h;
                let mut tm = theta.clone();
                tm[j] -= h;
                let fp = p.eval(&tp, &mut ws, None).unwrap();
                let fm = p.eval(&tm, &mut ws, None).unwrap();
                let fd = (fp - fm) / (2.0 * h);
                assert!(
                    (fd - g[j]).abs() < 1e-5 * (1.0 + fd.abs()),
                    "{cov:?} m={m} j={j}: fd {fd} analytic {} (l={l0})",
                    g[j]
                );
            }
        }
    }
}

#[test]
fn audit_c_laplace_and_agq_match_methods_12_2() {
    let s = audit_c();
    let d = Design::intercepts(s.len());
    let start = start_values(&s);
    let f1 = fit_structure(&s, &d, CovStructure::Full, 1, &start);
    assert!(f1.converged, "{:?}", f1.termination);
    assert!((f1.loglik - -122.79198).abs() < 1e-4, "{}", f1.loglik);
    assert!((f1.theta[0] - 2.511161).abs() < 1e-5);
    let v = f1.vcov.clone().unwrap();
    assert!((v[(0, 0)].sqrt() - 0.461782).abs() < 1e-4, "{}", v[(0, 0)].sqrt());
    let f20 = fit_structure(&s, &d, CovStructure::Full, 20, &start);
    assert!(f20.converged);
    assert!((f20.loglik - -122.746711).abs() < 1e-5, "{}", f20.loglik);
    assert!((f20.theta[0] - 2.511322).abs() < 2e-6, "{}", f20.theta[0]);
}

#[test]
fn rule_spans_hold_exactly_the_pruned_pairs() {
    use super::likelihood::{QuadRule, NODE_PRUNE};
    for m in 1..=83 {
        let r = QuadRule::new(m);
        let lw = &r.gh.log_weights;
        let lmax = 2.0 * lw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for (j, &(lo, hi)) in r.spans.iter().enumerate() {
            for l in 0..m {
                let keep = lw[j] + lw[l] >= lmax + NODE_PRUNE.ln();
                assert_eq!(keep, (lo..hi).contains(&l), "m={m} j={j} l={l}");
            }
        }
    }
}

#[test]
fn ln_1p_forms_match_std() {
    use super::likelihood::{ln_1p_nodiv, ln_1p_of};
    let mut worst = (0.0f64, 0.0f64);
    for i in 0..=200_000 {
        // t = e^{η} for η in [−745, 40]: the kernel's range.
        let t = (-745.0 + 785.0 * i as f64 / 200_000.0).exp();
        let want = t.ln_1p();
        let (a, inv) = ln_1p_of(t);
        worst.0 = worst.0.max((a - want).abs() / want.max(f64::MIN_POSITIVE));
        // Absolute error beyond the rounding of the result itself.
        worst.1 = worst.1.max((ln_1p_nodiv(t) - want).abs() - 2.0 * f64::EPSILON * want);
        assert!((inv - 1.0 / (1.0 + t)).abs() <= f64::EPSILON * inv);
    }
    assert!(worst.0 < 4.0 * f64::EPSILON, "ln_1p_of relative error {:e}", worst.0);
    assert!(worst.1 < 1.2e-16, "ln_1p_nodiv absolute error {:e}", worst.1);
}

#[test]
fn per_node_form_matches_factorised_kernel() {
    // The kernel's fallback (per-node e^{−|η2|}, taken when e^{η2} could overflow) against the
    // factorised form, on every row of audit_c: ℓ_i to 1e-11 and the gradient to 1e-9.
    let s = audit_c();
    let d = Design::intercepts(s.len());
    let theta = [2.4, 1.2, 0.4, -0.4, -1.0];
    for m in [5usize, 13, 25, 51] {
        let fast = problem(&s, &d, CovStructure::Full, m);
        let mut slow = fast.clone();
        slow.factor_limit = -1.0;
        let (mut ra, mut rb) = (vec![0.0; s.len()], vec![0.0; s.len()]);
        let (mut ga, mut gb) = (vec![0.0; 5], vec![0.0; 5]);
        fast.eval_rows(&theta, &mut fast.workspace(), Some(&mut ga), None, Some(&mut ra)).unwrap();
        slow.eval_rows(&theta, &mut slow.workspace(), Some(&mut gb), None, Some(&mut rb)).unwrap();
        for (a, b) in ra.iter().zip(&rb) {
            assert!((a - b).abs() < 1e-11, "m={m}: ℓ_i {a} vs {b}");
        }
        for (a, b) in ga.iter().zip(&gb) {
            assert!((a - b).abs() < 1e-9 * b.abs().max(1.0), "m={m}: gradient {a} vs {b}");
        }
    }
}
