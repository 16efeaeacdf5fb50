//! The comparative / multi-test model (METHODS §15.1–§15.2, issue #13): the grouped likelihood
//! kernel against an independent dense-grid integral and finite differences, the fits against
//! tight glmer (Laplace) and an R dense-grid exact ML (`tests/refs-src/comparative.R` →
//! `tests/refs-src/out/comparative.json`), node convergence, identities, and the coverage of the
//! relative-sensitivity interval.

mod support;
use fourfold::data::parse::parse_table;
use fourfold::data::structure::{detect, Pairing, Shape, StudyId};
use fourfold::data::{Dataset, Study};
use fourfold::stats::bivariate::{FitConfig, Method};
use fourfold::stats::comparative::{comparative, comparison, ComparativeInput, ComparisonOutcome};
use fourfold::stats::glmm::likelihood::{CovStructure, GlmmProblem, GlmmRow};
use fourfold::stats::transform::ln_choose;
use serde_json::Value;
use support::tol;

/// abs, ℓ of the adaptive rule (m = 25) against the dense 2-D grid of this file (1201² points):
/// both converge to the integral; observed differences are ~1e-10.
const DENSE_LL: f64 = 1e-7;
/// rel, exact gradient against central differences of ℓ (step 1e-5): truncation O(h²) plus
/// rounding of ℓ / h.
const FD_GRAD_REL: f64 = 1e-5;
/// abs, the Laplace fit's fixed effects against tight glmer (the bound).
const GLMER_COEF: f64 = 1e-4;
/// abs, the exact fit (m = 25) against R's dense-grid ML (361² grid, nlminb): both are the exact
/// ML to the grids' and optimisers' accuracy.
const DENSE_COEF: f64 = 1e-4;

fn out_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/refs-src/out")
}

fn refs() -> Value {
    let text = std::fs::read_to_string(out_dir().join("comparative.json")).expect("comparative.json");
    serde_json::from_str(&text).expect("json")
}

fn dataset(file: &str) -> Dataset {
    let text = std::fs::read_to_string(out_dir().join(file)).expect(file);
    let out = parse_table(&text);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    out.dataset
}

fn schuetz() -> Dataset {
    support::read_dataset("schuetz")
}

fn row(s: &Study, x1: Vec<f64>, x2: Vec<f64>) -> GlmmRow {
    GlmmRow {
        y1: s.tp as f64,
        n1: s.n_diseased() as f64,
        y2: s.tn as f64,
        n2: s.n_healthy() as f64,
        lc: ln_choose(s.n_diseased(), s.tp) + ln_choose(s.n_healthy(), s.tn),
        x1,
        x2,
    }
}

/// A study of three tables (tests 0, 1, 0) and a study of two, design `sens:t, spec:t` (T = 2).
fn grouped_rows() -> (Vec<GlmmRow>, Vec<(usize, usize)>) {
    let t = |k: usize| {
        let mut a = vec![0.0; 4];
        let mut b = vec![0.0; 4];
        a[k] = 1.0;
        b[2 + k] = 1.0;
        (a, b)
    };
    let tables = [
        (Study::new("A", 40, 6, 5, 70), 0),
        (Study::new("A", 31, 3, 12, 74), 1),
        (Study::new("A", 8, 0, 0, 21), 0),
        (Study::new("B", 90, 25, 3, 160), 1),
        (Study::new("B", 12, 9, 1, 44), 0),
    ];
    let rows = tables
        .iter()
        .map(|(s, k)| {
            let (a, b) = t(*k);
            row(s, a, b)
        })
        .collect();
    (rows, vec![(0, 3), (3, 5)])
}

/// ℓ_i of one unit by a dense non-adaptive grid in b = C u (trapezoid on u ∈ [−10, 10]², 1201²):
/// written here from METHODS §15.1 and independent of the engine's code.
fn dense_unit(rows: &[GlmmRow], beta: &[f64], c: [[f64; 2]; 2]) -> f64 {
    let n = 1201;
    let h = 20.0 / (n - 1) as f64;
    let ll = |y: f64, m: f64, eta: f64| y * eta - m * (eta.max(0.0) + (-eta.abs()).exp().ln_1p());
    let mut vals = Vec::with_capacity(n * n);
    for a in 0..n {
        let u1 = -10.0 + a as f64 * h;
        for b in 0..n {
            let u2 = -10.0 + b as f64 * h;
            let b1 = c[0][0] * u1;
            let b2 = c[1][0] * u1 + c[1][1] * u2;
            let mut v = -0.5 * (u1 * u1 + u2 * u2);
            for r in rows {
                let e1: f64 = r.x1.iter().zip(beta).map(|(x, b)| x * b).sum::<f64>() + b1;
                let e2: f64 = r.x2.iter().zip(beta).map(|(x, b)| x * b).sum::<f64>() + b2;
                v += r.lc + ll(r.y1, r.n1, e1) + ll(r.y2, r.n2, e2);
            }
            vals.push(v);
        }
    }
    let m = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    m + vals.iter().map(|v| (v - m).exp()).sum::<f64>().ln() + 2.0 * h.ln()
        - (2.0 * std::f64::consts::PI).ln()
}

fn theta() -> Vec<f64> {
    vec![1.4, 0.9, 2.1, 2.6, 0.2, -0.3, 0.4]
}

#[test]
fn grouped_kernel_matches_a_dense_grid_and_converges_in_nodes() {
    let (rows, groups) = grouped_rows();
    let th = theta();
    let (c, _) = CovStructure::Full.factor(&th[4..]);
    let cm = [[c.a, c.b], [c.c, c.d]];
    let dense: Vec<f64> = groups.iter().map(|&(lo, hi)| dense_unit(&rows[lo..hi], &th[..4], cm)).collect();
    let mut prev = None;
    for m in [1, 5, 13, 25, 51] {
        let p = GlmmProblem::grouped(rows.clone(), Some(groups.clone()), 4, CovStructure::Full, m)
            .expect("present");
        let mut ws = p.workspace();
        let mut per = vec![0.0; 2];
        let total = p.eval_rows(&th, &mut ws, None, None, Some(&mut per)).expect("present");
        assert!((total - per.iter().sum::<f64>()).abs() < tol::SUM_IDENTITY);
        if m >= 25 {
            for (a, b) in per.iter().zip(&dense) {
                assert!((a - b).abs() < DENSE_LL, "m = {m}: {a} vs dense {b}");
            }
        }
        if m == 51 {
            let at25: f64 = prev.expect("present");
            assert!((total - at25).abs() < tol::NODE_DOUBLING, "m 25 → 51 moved ℓ by {}", total - at25);
        }
        prev = Some(total);
    }
}

#[test]
fn grouped_gradient_is_exact() {
    let (rows, groups) = grouped_rows();
    let th = theta();
    for cov in [CovStructure::Full, CovStructure::Independent, CovStructure::RhoFixed(-1.0)] {
        let np = 4 + cov.n_par();
        let th = th[..np].to_vec();
        for m in [1, 5, 13] {
            let p = GlmmProblem::grouped(rows.clone(), Some(groups.clone()), 4, cov, m).expect("present");
            let mut ws = p.workspace();
            let mut g = vec![0.0; np];
            p.eval(&th, &mut ws, Some(&mut g)).expect("present");
            for q in 0..np {
                let h = 1e-5;
                let mut a = th.clone();
                let mut b = th.clone();
                a[q] += h;
                b[q] -= h;
                let mut w = p.workspace();
                let fd = (p.eval(&a, &mut w, None).expect("present")
                    - p.eval(&b, &mut w, None).expect("present"))
                    / (2.0 * h);
                assert!(
                    (g[q] - fd).abs() <= FD_GRAD_REL * fd.abs().max(1.0),
                    "{cov:?} m = {m} q = {q}: exact {} vs fd {fd}",
                    g[q]
                );
            }
        }
    }
}

#[test]
fn one_row_groups_are_the_ungrouped_model() {
    let (rows, _) = grouped_rows();
    let th = theta();
    for m in [1, 7, 25] {
        let a = GlmmProblem::grouped(rows.clone(), None, 4, CovStructure::Full, m).expect("present");
        let singles: Vec<(usize, usize)> = (0..rows.len()).map(|i| (i, i + 1)).collect();
        let b = GlmmProblem::grouped(rows.clone(), Some(singles), 4, CovStructure::Full, m).expect("present");
        let (mut ga, mut gb) = (vec![0.0; 7], vec![0.0; 7]);
        let la = a.eval(&th, &mut a.workspace(), Some(&mut ga)).expect("present");
        let lb = b.eval(&th, &mut b.workspace(), Some(&mut gb)).expect("present");
        assert_eq!(la.to_bits(), lb.to_bits());
        assert_eq!(ga, gb);
    }
    assert!(
        GlmmProblem::grouped(rows.clone(), Some(vec![(0, 2), (3, 5)]), 4, CovStructure::Full, 5).is_none()
    );
}

fn get(v: &Value, path: &str) -> f64 {
    let mut x = v;
    for p in path.split('.') {
        x = if let Ok(i) = p.parse::<usize>() { &x[i] } else { &x[p] };
    }
    x.as_f64().unwrap_or_else(|| panic!("{path}: {x}"))
}

fn cfg(method: Method) -> FitConfig {
    FitConfig { method, ..FitConfig::default() }
}

fn fit(d: &Dataset, method: Method, paired: bool) -> fourfold::stats::comparative::ComparisonBlock {
    let st = detect(d, Some("test")).expect("present");
    comparison(&d.studies, &st, paired, &cfg(method))
}

fn check_block(name: &str, got: &ComparisonOutcome, want: &Value, method: Method) {
    let c = got.fit().unwrap_or_else(|| panic!("{name}: {got:?}"));
    assert!(c.converged, "{name}");
    let nt = c.tests.len();
    let g = &want["glmer_laplace_tight"];
    if method == Method::Laplace {
        for (i, coef) in c.coefficients.iter().enumerate() {
            // glmer names: testCT:sens … then testCT:spec …
            let (margin, test) = coef.name.split_once(':').expect("present");
            let key = format!("test{test}:{margin}");
            let w = g["coef"][&key].as_f64().unwrap_or_else(|| panic!("{key}"));
            assert!((coef.estimate - w).abs() < GLMER_COEF, "{name} {key}: {} vs {w}", coef.estimate);
            let wse = g["se"][&key].as_f64().expect("present");
            assert!((coef.se - wse).abs() / wse < tol::SE_REL, "{name} se {key}: {} vs {wse}", coef.se);
            let _ = i;
        }
        assert!(
            (c.loglik - get(g, "loglik")).abs() < tol::LOGLIK,
            "{name} ℓ {} vs {}",
            c.loglik,
            get(g, "loglik")
        );
        assert!(
            (c.tau2_logit_sens - get(g, "tau2_logit_sens")).abs() / get(g, "tau2_logit_sens") < tol::SE_REL
        );
        assert!(
            (c.tau2_logit_spec - get(g, "tau2_logit_spec")).abs() / get(g, "tau2_logit_spec") < tol::SE_REL
        );
        assert!((c.rho.expect("present") - get(g, "rho")).abs() < tol::RHO);
        for (got, key) in [
            (c.loglik_equal_sens, "loglik_equal_sens"),
            (c.loglik_equal_spec, "loglik_equal_spec"),
            (c.loglik_equal_both, "loglik_equal_both"),
        ] {
            assert!((got - get(want, key)).abs() < tol::LOGLIK, "{name} {key}: {got} vs {}", get(want, key));
        }
        let lr = 2.0 * (get(g, "loglik") - get(want, "loglik_equal_sens"));
        assert!((c.lrt.equal_sensitivity.statistic - lr).abs() < tol::LRT);
        assert_eq!(c.lrt.equal_sensitivity.df, nt - 1);
        assert_eq!(c.lrt.equal_both.df, 2 * (nt - 1));
    } else {
        let d = &want["own_dense"];
        for t in 0..nt {
            let a = get(d, &format!("mu_logit_sens.{t}"));
            let b = get(d, &format!("mu_logit_spec.{t}"));
            assert!(
                (c.per_test[t].mu_logit_sens - a).abs() < DENSE_COEF,
                "{name} exact μA[{t}]: {} vs {a}",
                c.per_test[t].mu_logit_sens
            );
            assert!((c.per_test[t].mu_logit_spec - b).abs() < DENSE_COEF, "{name} exact μB[{t}]");
        }
        assert!(
            (c.loglik - get(d, "loglik")).abs() < tol::LOGLIK,
            "{name} exact ℓ {} vs dense {}",
            c.loglik,
            get(d, "loglik")
        );
        let (m2, l2) = c.loglik_check_nodes.expect("present");
        assert_eq!(m2, 2 * c.nodes + 1);
        assert!(
            (l2 - c.loglik).abs() < tol::NODE_DOUBLING,
            "{name}: node doubling moved ℓ by {}",
            l2 - c.loglik
        );
    }
}

#[test]
fn schuetz_structure_is_partially_paired() {
    let d = schuetz();
    let st = detect(&d, Some("test")).expect("present");
    assert_eq!(st.shape, Shape::Comparative(Pairing::PartiallyPaired));
    assert_eq!(st.study_id, StudyId::LabelWithoutTestSuffix);
    assert_eq!(st.studies_with_several_tests, 5);
    assert_eq!(st.tables_per_test, vec![89, 19]);
    assert_eq!(st.studies.len(), 103);
    let r = refs();
    let want: Vec<&str> = r["schuetz"]["studies_reporting_both"]
        .as_array()
        .expect("present")
        .iter()
        .map(|v| v.as_str().expect("present"))
        .collect();
    let mut got: Vec<&str> = st.paired_rows().iter().map(|&i| st.studies[st.study_of[i]].as_str()).collect();
    got.dedup();
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn laplace_matches_tight_glmer() {
    let r = refs();
    let sz = fit(&schuetz(), Method::Laplace, true);
    check_block("schuetz", &sz.all_studies, &r["schuetz"], Method::Laplace);
    check_block(
        "schuetz paired",
        sz.paired_only.as_ref().expect("present"),
        &r["schuetz_paired_only"],
        Method::Laplace,
    );
    for (file, key) in
        [("comparative_synthetic2.csv", "synthetic2"), ("comparative_synthetic3.csv", "synthetic3")]
    {
        let b = fit(&dataset(file), Method::Laplace, false);
        check_block(key, &b.all_studies, &r[key], Method::Laplace);
    }
}

#[test]
fn exact_fit_matches_the_dense_grid_ml_and_converges_in_nodes() {
    let r = refs();
    let sz = fit(&schuetz(), Method::Aghq, true);
    check_block("schuetz", &sz.all_studies, &r["schuetz"], Method::Aghq);
    check_block(
        "schuetz paired",
        sz.paired_only.as_ref().expect("present"),
        &r["schuetz_paired_only"],
        Method::Aghq,
    );
    for (file, key) in
        [("comparative_synthetic2.csv", "synthetic2"), ("comparative_synthetic3.csv", "synthetic3")]
    {
        let b = fit(&dataset(file), Method::Aghq, false);
        check_block(key, &b.all_studies, &r[key], Method::Aghq);
    }
}

#[test]
fn study_order_and_test_labels_change_nothing() {
    let d = dataset("comparative_synthetic3.csv");
    let a = fit(&d, Method::Laplace, false);
    let rev: Vec<usize> = (0..d.studies.len()).rev().collect();
    let b = fit(&d.subset(&rev), Method::Laplace, false);
    let (a, b) = (a.all_studies.fit().expect("present"), b.all_studies.fit().expect("present"));
    assert!((a.loglik - b.loglik).abs() < tol::OPTIMUM);
    for (x, y) in a.per_test.iter().zip(&b.per_test) {
        assert!((x.mu_logit_sens - y.mu_logit_sens).abs() < 1e-5);
        assert!((x.summary.specificity.estimate - y.summary.specificity.estimate).abs() < 1e-6);
    }
}

#[test]
fn relative_sensitivity_is_the_ratio_of_the_pooled_sensitivities() {
    let b = fit(&dataset("comparative_synthetic2.csv"), Method::Laplace, false);
    let c = b.all_studies.fit().expect("present");
    let (r0, r1) = (&c.per_test[0], &c.per_test[1]);
    assert!(r0.relative_sensitivity.is_none());
    let rs = r1.relative_sensitivity.expect("present");
    let want = r1.summary.sensitivity.estimate / r0.summary.sensitivity.estimate;
    assert!((rs.estimate - want).abs() < tol::ALGEBRA);
    assert!(rs.ci[0] < rs.estimate && rs.estimate < rs.ci[1]);
    let ds = r1.difference_sensitivity.expect("present");
    assert!(
        (ds.estimate - (r1.summary.sensitivity.estimate - r0.summary.sensitivity.estimate)).abs()
            < tol::ALGEBRA
    );
    // Unpaired tests: separate variances are identifiable; paired: not.
    assert!(c.separate_variances.lrt.is_none() && c.separate_variances.note.is_some());
}

#[test]
fn small_k_and_one_test_follow_the_ladder() {
    let text = "study,TP,FP,FN,TN,test\nA,20,5,4,60,CT\nA,18,3,6,62,MRI\nB,30,8,2,50,CT\nB,25,4,7,54,MRI\nC,12,2,3,40,CT\nC,10,1,5,41,MRI\n";
    let d = parse_table(text).dataset;
    let b = fit(&d, Method::Aghq, false);
    let c = b.all_studies.fit().expect("present");
    assert_eq!(c.k_studies, 3);
    assert_ne!(c.rung.name(), "B2");
    assert!(c.fallback.is_some());
    let one = "study,TP,FP,FN,TN,test\nA,20,5,4,60,CT\nB,30,8,2,50,CT\n";
    let b = fit(&parse_table(one).dataset, Method::Aghq, false);
    assert!(matches!(b.all_studies, ComparisonOutcome::Error { .. }));
    let reitsma = comparative(
        &ComparativeInput {
            tables: &d.studies,
            study: &[0, 0, 1, 1, 2, 2],
            test: &[0, 1, 0, 1, 0, 1],
            tests: &["a".into(), "b".into()],
        },
        &cfg(Method::Reitsma),
    );
    assert!(reitsma.is_err());
}

/// The R script export reproduces the comparative fit: it contains the glmer model, and where R
/// with lme4 is installed (not in CI) running it prints Fourfold's Laplace LR statistic.
#[test]
fn r_script_reproduces_the_comparison() {
    use fourfold::analysis::run_settings;
    use fourfold::settings::{AnalysisSettings, ComparisonSettings};
    let d = schuetz();
    let s = AnalysisSettings {
        model: Method::Laplace,
        comparison: ComparisonSettings { test: Some("test".into()), paired_only: true },
        ..AnalysisSettings::default()
    };
    let a = run_settings(&d, &s).expect("analysis");
    let script = fourfold::report::export::r_script(&d, &a);
    assert!(script.contains("0 + test:sens + test:spec + (0 + sens + spec | study)"));
    assert!(script.contains("\"Dewey 2006\""));
    let c = a.comparison.as_ref().expect("present").all_studies.fit().expect("present");
    let has_r = std::process::Command::new("Rscript")
        .args(["-e", "suppressMessages(library(lme4))"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_r {
        return;
    }
    let path = std::env::temp_dir().join(format!("fourfold-cmp-{}.R", std::process::id()));
    std::fs::write(
        &path,
        script
            .replace("library(mada)", "")
            .replace("rf <- reitsma(d)\nprint(summary(rf, level = LEVEL))\nprint(AUC(rf))", ""),
    )
    .expect("present");
    let out = std::process::Command::new("Rscript").arg(&path).output().expect("present");
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("equal_sensitivity"))
        .unwrap_or_else(|| panic!("{text}\n{}", String::from_utf8_lossy(&out.stderr)));
    let chi2: f64 = line.split_whitespace().nth(1).expect("present").parse().expect("present");
    assert!(
        (chi2 - c.lrt.equal_sensitivity.statistic).abs() < tol::LRT,
        "R {chi2} vs {}",
        c.lrt.equal_sensitivity.statistic
    );
}

#[test]
fn permalinks_carry_the_comparison_settings() {
    use fourfold::permalink::{decode, encode};
    use fourfold::settings::{AnalysisSettings, ComparisonSettings};
    let d = schuetz();
    let s = AnalysisSettings {
        comparison: ComparisonSettings { test: Some("test".into()), paired_only: true },
        ..AnalysisSettings::default()
    };
    let (d2, s2) = decode(&encode(&d, &s)).expect("round trip");
    assert_eq!((d2, s2.comparison), (d, s.comparison));
    // Off: the link is the same as before the feature.
    let plain = AnalysisSettings::default();
    assert_eq!(
        encode(&schuetz(), &plain),
        encode(&schuetz(), &AnalysisSettings { comparison: ComparisonSettings::default(), ..plain.clone() })
    );
    assert!(!serde_json::to_string(&plain).expect("present").contains("comparison"));
}

/// Coverage of the 95% CI of the relative sensitivity over simulated paired meta-analyses with
/// known truth (Laplace fits; 20 studies, two tests in each, τ = (0.8, 0.6), ρ = −0.3).
/// Run: `cargo test --release --test comparative coverage -- --ignored --nocapture`.
#[test]
#[ignore = "simulation (≈ 1 min release); the measured coverage is recorded in the README"]
fn relative_sensitivity_ci_covers_the_truth() {
    use fourfold::stats::rng::SplitMix64 as Rng;
    let reps: usize =
        std::env::var("FOURFOLD_COVERAGE_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let (se, sp) = ([0.85f64, 0.75], [0.80f64, 0.90]);
    let logit = |p: f64| (p / (1.0 - p)).ln();
    let expit = |x: f64| 1.0 / (1.0 + (-x).exp());
    let truth = se[1] / se[0];
    let mut rng = Rng::new(20261201);
    let (mut covered, mut fitted) = (0usize, 0usize);
    let tests = ["A".to_string(), "B".to_string()];
    for _ in 0..reps {
        let mut tables = Vec::new();
        let (mut study, mut test) = (Vec::new(), Vec::new());
        for i in 0..20 {
            let (z1, z2) = (rng.normal(), rng.normal());
            let u = [0.8 * z1, 0.6 * (-0.3 * z1 + (1.0f64 - 0.09).sqrt() * z2)];
            let n1 = 15 + (rng.uniform() * 65.0) as u64;
            let n0 = 40 + (rng.uniform() * 160.0) as u64;
            for t in 0..2 {
                let (p1, p0) = (expit(logit(se[t]) + u[0]), expit(logit(sp[t]) + u[1]));
                let tp = (0..n1).filter(|_| rng.uniform() < p1).count() as u64;
                let tn = (0..n0).filter(|_| rng.uniform() < p0).count() as u64;
                tables.push(Study::new(format!("S{i}"), tp, n0 - tn, n1 - tp, tn));
                study.push(i);
                test.push(t);
            }
        }
        let input = ComparativeInput { tables: &tables, study: &study, test: &test, tests: &tests };
        let Ok(c) = comparative(&input, &cfg(Method::Laplace)) else { continue };
        let Some(r) = c.per_test[1].relative_sensitivity else { continue };
        fitted += 1;
        if r.ci[0] <= truth && truth <= r.ci[1] {
            covered += 1;
        }
    }
    let cov = covered as f64 / fitted as f64;
    println!("relative sensitivity: {covered}/{fitted} intervals cover the truth ({:.1}%)", 100.0 * cov);
    assert!(fitted >= 500 && fitted * 100 >= reps * 95);
    assert!((0.93..=0.97).contains(&cov), "coverage {cov}");
}
