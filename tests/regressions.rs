//! Regression tests for issue #10: panics, hangs and wrong numbers found in review.

mod support;

use fourfold::analysis::{run_settings as run, AnalysisError, Grouping, MetaRegOutcome};
use fourfold::data::parse::parse_table;
use fourfold::data::Dataset;
use fourfold::settings::AnalysisSettings;
use fourfold::stats::bivariate::{analyze, AucCi, FitConfig, Method};
use fourfold::stats::influence::empirical_bayes;
use fourfold::stats::metareg::{meta_regression, MetaRegError};
use fourfold::stats::transform::prob_from_logit;
use std::time::{Duration, Instant};

fn parse(text: &str) -> Dataset {
    let p = parse_table(text);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    p.dataset
}

/// Fast settings: no AUC bootstrap.
fn quick() -> AnalysisSettings {
    AnalysisSettings { auc_ci: AucCi::None, ..AnalysisSettings::default() }
}

/// The settings that ask for grouping `g`.
fn grouped(g: &Grouping) -> AnalysisSettings {
    let mut s = quick();
    match g {
        Grouping::By(c) => s.covariate = Some(c.clone()),
        Grouping::Split(c, t) => {
            s.covariate = Some(c.clone());
            s.split_threshold = Some(*t);
        }
        Grouping::Cross(a, b) => s.cross = Some((a.clone(), b.clone())),
    }
    s
}

const BLANK: &str = "study,TP,FP,FN,TN,notes,site,grp\n\
A,47,101,9,738,,x,a\n\
B,126,272,51,1543,,x,b\n\
C,19,12,10,192,,x,a\n\
D,36,78,3,276,,x,b\n\
E,130,211,19,959,,x,a\n\
F,84,68,8,544,,x,b\n";

// ------------------------------------------------------------------ 1. blank covariates

#[test]
fn blank_or_constant_covariate_gives_a_typed_error_not_a_panic() {
    let ds = parse(BLANK);
    let notes = ds.covariate("notes").expect("notes column kept").clone();
    let cfg = FitConfig { auc_ci: AucCi::None, ..FitConfig::default() };
    assert_eq!(
        meta_regression(&ds.studies, &notes, &cfg).err(),
        Some(MetaRegError::TooFewLevels { covariate: "notes".into(), levels: 0 })
    );
    let site = ds.covariate("site").expect("site").clone();
    assert_eq!(
        meta_regression(&ds.studies, &site, &cfg).err(),
        Some(MetaRegError::TooFewLevels { covariate: "site".into(), levels: 1 })
    );
    for g in [
        Grouping::By("notes".into()),
        Grouping::By("site".into()),
        Grouping::Cross("notes".into(), "grp".into()),
        Grouping::Cross("site".into(), "notes".into()),
        Grouping::Cross("site".into(), "grp".into()),
    ] {
        let a = run(&ds, &grouped(&g)).expect("analysis");
        let t = a.subgroups.as_ref().expect("table");
        let mr = a.meta_regression.as_ref().expect("meta-regression block");
        if let Grouping::By(c) = &g {
            match mr.get(c) {
                Some(MetaRegOutcome::Error { error }) => {
                    assert!(
                        error.to_string().contains("no values") || error.to_string().contains("1 level"),
                        "{g:?}: {error}"
                    )
                }
                other => panic!("{g:?}: {other:?}"),
            }
        }
        if matches!(&g, Grouping::By(c) if c == "notes")
            || matches!(&g, Grouping::Cross(a, b) if a == "notes" || b == "notes")
        {
            assert_eq!(t.levels.len(), 0, "{g:?}");
            assert_eq!(t.missing, 6, "{g:?}");
        }
    }
    // A blank column cannot be split at a threshold: typed error.
    let e = run(&ds, &grouped(&Grouping::Split("notes".into(), 1.0)));
    assert_eq!(e.err(), Some(AnalysisError::NotNumeric("notes".into())));
}

#[test]
fn cli_by_a_blank_column_exits_cleanly() {
    let dir = std::env::temp_dir().join(format!("fourfold-regr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let f = dir.join("blank.csv");
    std::fs::write(&f, BLANK).expect("write");
    let bin = env!("CARGO_BIN_EXE_fourfold");
    for (args, want) in [
        (vec!["--by", "notes"], "no values"),
        (vec!["--split", "notes:1"], "not numeric"),
        (vec!["--cross", "notes,grp"], ""),
        // A misspelt column: exit 2, and the message lists the columns there are.
        (vec!["--by", "note"], "no covariate column named 'note' (the columns are: notes, site, grp)"),
    ] {
        let out = std::process::Command::new(bin)
            .arg("analyze")
            .arg(&f)
            .args(&args)
            .args(["--auc-ci", "none"])
            .output()
            .expect("run the CLI");
        let code = out.status.code();
        let text =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(matches!(code, Some(0) | Some(2)), "{args:?}: exit {code:?}\n{text}");
        assert!(!text.contains("panicked"), "{args:?}: {text}");
        assert!(text.contains(want), "{args:?}: {text}");
    }
}

// ------------------------------------------------------------------ 2. huge counts

#[test]
fn huge_counts_finish() {
    let text = "study,TP,FP,FN,TN,grp\n\
A,4000000000,300000000,200000000,3500000000,a\n\
B,3800000000,250000000,350000000,3900000000,b\n\
C,4000000000,41,12,3000000000,a\n\
D,100000000,20,3,370,b\n\
E,10000000,35,25,360,a\n";
    let ds = parse(text);
    let cfg = AnalysisSettings { leave_one_out: true, ..grouped(&Grouping::By("grp".into())) };
    let (tx, rx) = std::sync::mpsc::channel();
    let t0 = Instant::now();
    std::thread::spawn(move || {
        let r = run(&ds, &cfg);
        let _ = tx.send(r.map(|a| serde_json::to_string(&a).map(|s| s.len())));
    });
    // A generous bound that only a hang (the old inversion: minutes to forever) exceeds.
    let out = rx.recv_timeout(Duration::from_secs(600)).expect("the analysis finished");
    let elapsed = t0.elapsed();
    println!("huge counts: whole analysis (with influence and subgroups) in {elapsed:?}");
    let len = out.expect("analysis").expect("serialisable");
    assert!(len > 1000);
    // The per-study intervals are proper at these counts.
    let a = run(&parse(text), &AnalysisSettings { leave_one_out: false, ..quick() }).expect("analysis");
    for r in &a.overall.studies {
        let s = r.sensitivity.expect("sens");
        assert!(s.ci[0] < s.estimate && s.estimate < s.ci[1], "{}: {s:?}", r.label);
    }
    let e = a.overall.studies[2].sensitivity.expect("C");
    // 4e9/(4e9+12): the exact lower limit is 1 − 23.3/4e9 (Poisson limit of 12 failures).
    assert!((1.0 - e.ci[0]) * 4e9 > 20.0 && (1.0 - e.ci[0]) * 4e9 < 26.0, "{e:?}");
}

// ------------------------------------------------------------------ 3. EB level

#[test]
fn empirical_bayes_intervals_use_the_level() {
    let s = support::read_studies("audit_c");
    let cfg = FitConfig { auc_ci: AucCi::None, ..FitConfig::default() };
    let full = analyze(&s, &cfg).expect("fit");
    let e95 = empirical_bayes(&s, &full, 0.95);
    let e90 = empirical_bayes(&s, &full, 0.90);
    assert_eq!(e90.len(), 14);
    let z90 = 1.644_853_626_951_472_2;
    let mu = [full.model.mu_logit_sens, full.model.mu_logit_spec];
    for (a, b) in e90.iter().zip(&e95) {
        for (j, (ea, eb)) in
            [(a.sensitivity, b.sensitivity), (a.specificity, b.specificity)].into_iter().enumerate()
        {
            let sd = a.posterior_cov[j][j].sqrt();
            assert!((ea.ci[0] - prob_from_logit(mu[j] + a.b[j] - z90 * sd)).abs() < 1e-12);
            assert!((ea.ci[1] - prob_from_logit(mu[j] + a.b[j] + z90 * sd)).abs() < 1e-12);
            assert_eq!(ea.estimate, eb.estimate);
            assert!(ea.ci[0] > eb.ci[0] && ea.ci[1] < eb.ci[1]);
        }
    }
    // Through the whole analysis at level 0.90.
    let mut c = quick();
    c.ci_level = 0.90;
    c.leave_one_out = true;
    let a = run(&Dataset::from_studies(s.clone()), &c).expect("analysis");
    let eb = &a.influence.as_ref().expect("influence").empirical_bayes;
    let r = &eb[0];
    let sd = r.posterior_cov[0][0].sqrt();
    let m = a.overall.fit.as_ref().expect("fit").model.mu_logit_sens;
    assert!((r.sensitivity.ci[0] - prob_from_logit(m + r.b[0] - z90 * sd)).abs() < 1e-12);
}

// ------------------------------------------------------------------ 4. cluster column

#[test]
fn a_study_id_cluster_column_reaches_the_cluster_analysis() {
    for head in ["Study ID", "cluster", "study_id"] {
        let text = format!(
            "study,{head},TP,FP,FN,TN\n\
A1,P1,47,101,9,738\nA2,P1,40,90,12,700\nB,P2,126,272,51,1543\nC,P3,19,12,10,192\nD1,P4,36,78,3,276\n\
D2,P4,30,70,5,250\nE,P5,130,211,19,959\nF,P6,84,68,8,544\n"
        );
        let p = parse_table(&text);
        assert!(p.notes.iter().any(|n| n.contains("read as the cluster")), "{head}: {:?}", p.notes);
        let a = run(&p.dataset, &AnalysisSettings { leave_one_out: true, ..quick() }).expect("analysis");
        let c = a
            .influence
            .as_ref()
            .expect("influence")
            .cluster
            .as_ref()
            .unwrap_or_else(|| panic!("{head}: no cluster block"));
        assert_eq!(c.n_clusters, 6, "{head}");
        assert_eq!(c.one_row_per_cluster.k, 6, "{head}");
        assert_eq!(c.leave_cluster_out.as_ref().map(Vec::len), Some(6), "{head}");
    }
}

// ------------------------------------------------------------------ 5. boundary at ±∞

const ALL_FN_ZERO: &str = "study,TP,FP,FN,TN\nA,10,3,0,40\nB,25,5,0,60\nC,7,2,0,33\nD,15,8,0,70\n";

#[test]
fn every_fn_zero_reports_the_pooled_proportion_with_an_exact_interval() {
    let ds = parse(ALL_FN_ZERO);
    for (method, level) in [(Method::Aghq, 0.95), (Method::Laplace, 0.95), (Method::Aghq, 0.90)] {
        let cfg = FitConfig { method, level, auc_ci: AucCi::None, ..FitConfig::default() };
        let f = analyze(&ds.studies, &cfg).expect("fit");
        let m = &f.model;
        let se = f.summary.sensitivity;
        assert_eq!(se.estimate, 1.0);
        assert_eq!(se.ci[1], 1.0);
        let cp = ((1.0 - level) / 2.0f64).powf(1.0 / 57.0);
        assert!((se.ci[0] - cp).abs() < 1e-14, "{method:?} {level}: {se:?} vs {cp}");
        // The specificity margin is homogeneous here (τ̂ = 0), so it is a fixed effect too (§9.4 item 3).
        assert_eq!(m.rung, "FE", "{method:?}");
        assert!(m.fallback.map(|f| f.to_string()).is_some_and(|r| r.contains("FN = 0")), "{:?}", m.fallback);
        assert_eq!(m.boundary.map(|b| b.to_string()).as_deref(), Some("logit sensitivity = +inf"));
        assert!(!m.warnings.is_empty());
        assert!(m.mu_logit_sens.is_infinite());
        // Specificity: its own margin's model; with τ̂ = 0 the FE pooled 203/221.
        let sp = f.summary.specificity;
        assert!((sp.estimate - 203.0 / 221.0).abs() < 1e-6, "{sp:?}");
        assert!(sp.ci[0] < sp.estimate && sp.estimate < sp.ci[1]);
        assert!(m.se_logit_spec.is_finite() && m.se_logit_spec < 1.0);
        // No SROC / AUC / HSROC / regions; ratios finite where defined, no NaN.
        assert!(f.hsroc.is_none() && f.auc.is_none());
        assert!(f.sroc.confidence_region.is_empty() && f.sroc.curve.is_empty());
        assert!(!f.omitted.is_empty());
        let lrp = f.summary.lr_positive;
        assert!((lrp.estimate - 1.0 / (1.0 - sp.estimate)).abs() < 1e-12);
        assert_eq!(f.summary.lr_negative.estimate, 0.0);
        for e in [f.summary.lr_positive, f.summary.lr_negative, f.summary.dor, f.summary.inverse_lr_negative]
        {
            assert!(!e.estimate.is_nan() && !e.ci[0].is_nan() && !e.ci[1].is_nan(), "{e:?}");
        }
    }
    // Reitsma: the 0.5 correction keeps the logit finite; an ordinary fit (documented).
    let r =
        analyze(&ds.studies, &FitConfig { method: Method::Reitsma, ..FitConfig::default() }).expect("reml");
    assert!(r.model.mu_logit_sens.is_finite());
    // The whole analysis, with influence, serialises.
    let a = run(&ds, &AnalysisSettings { leave_one_out: true, ..quick() }).expect("analysis");
    assert!(serde_json::to_string(&a).is_ok());
}

#[test]
fn every_fn_zero_with_heterogeneous_specificity_keeps_its_random_effect() {
    let ds = parse("study,TP,FP,FN,TN\nA,10,3,0,40\nB,25,20,0,45\nC,7,2,0,33\nD,15,30,0,48\nE,12,1,0,60\n");
    for method in [Method::Aghq, Method::Laplace] {
        let f = analyze(&ds.studies, &FitConfig { method, auc_ci: AucCi::None, ..FitConfig::default() })
            .expect("fit");
        assert_eq!(f.model.rung, "FE-Se", "{method:?}");
        assert!(f.model.converged);
        assert!(f.model.tau2_logit_spec > 0.1, "{:?}", f.model.tau2_logit_spec);
        assert!(f.model.tau2_logit_spec_ci.is_some());
        assert_eq!(f.model.tau2_logit_sens, 0.0);
        assert!((f.summary.sensitivity.ci[0] - 0.025f64.powf(1.0 / 69.0)).abs() < 1e-14);
        let sp = f.summary.specificity;
        assert!(sp.estimate > 0.7 && sp.estimate < 0.95, "{sp:?}");
        assert!(f.prediction_interval_spec.is_some() && f.prediction_interval_sens.is_none());
    }
}

#[test]
fn every_tn_zero_and_both_margins_at_an_edge() {
    // All TN = 0: specificity 0, CI upper = 1 − 0.025^(1/n0) with n0 = ΣFP = 18.
    let ds = parse("study,TP,FP,FN,TN\nA,10,3,2,0\nB,25,5,4,0\nC,7,2,3,0\nD,15,8,1,0\n");
    let f = analyze(&ds.studies, &FitConfig { auc_ci: AucCi::None, ..FitConfig::default() }).expect("fit");
    assert_eq!(f.model.rung, "FE", "sensitivity is homogeneous too");
    assert_eq!(f.model.boundary.map(|b| b.to_string()).as_deref(), Some("logit specificity = -inf"));
    assert!(f.model.fallback.map(|f| f.to_string()).is_some_and(|r| r.contains("TN = 0")));
    assert_eq!(f.summary.specificity.estimate, 0.0);
    assert!((f.summary.specificity.ci[1] - (1.0 - 0.025f64.powf(1.0 / 18.0))).abs() < 1e-14);
    assert!((f.summary.sensitivity.estimate - 57.0 / 67.0).abs() < 1e-6);
    // All FP = 0 and all FN = 0: both margins 1, rung FE, closed form.
    let ds = parse("study,TP,FP,FN,TN\nA,10,0,0,40\nB,25,0,0,60\nC,7,0,0,33\nD,15,0,0,70\n");
    let f = analyze(&ds.studies, &FitConfig { auc_ci: AucCi::None, ..FitConfig::default() }).expect("fit");
    assert_eq!(f.model.rung, "FE");
    assert_eq!(f.model.loglik, 0.0);
    assert!((f.summary.specificity.ci[0] - 0.025f64.powf(1.0 / 203.0)).abs() < 1e-14);
    assert!((f.summary.sensitivity.ci[0] - 0.025f64.powf(1.0 / 57.0)).abs() < 1e-14);
    let a = run(&ds, &AnalysisSettings { leave_one_out: true, ..quick() }).expect("analysis");
    assert!(serde_json::to_string(&a).is_ok());
}

/// Issue #10 (found by the pipeline fuzzer, seed 0xa8fbb05442843194): 50 studies with counts up to
/// 4·10⁹ ran for minutes in the exact GLMM (each study's conditional-mode Newton iteration never
/// reached |Δu| < 1e-10 under the rounding of g ≈ −1e9, so every evaluation failed and the ladder
/// ended on a fixed-effect fit with CI 0.53–0.53). Now: bounded time, and a fit comparable with
/// REML (whose 0.5 correction and normal approximation are harmless at these counts).
#[test]
fn counts_in_the_billions_fit_in_bounded_time() {
    let text = include_str!("fixtures/huge_counts.tsv");
    let d = parse(text);
    assert_eq!(d.studies.len(), 50);
    let s = |model| AnalysisSettings { model, nodes: 25, auc_ci: AucCi::None, ..quick() };
    let t = std::time::Instant::now();
    let exact = run(&d, &s(fourfold::settings::Method::Aghq)).expect("exact");
    let secs = t.elapsed().as_secs_f64();
    let reml = run(&d, &s(fourfold::settings::Method::Reitsma)).expect("REML");
    let (e, r) = (exact.overall.fit.as_ref().expect("fit"), reml.overall.fit.as_ref().expect("fit"));
    println!(
        "exact {secs:.2} s: rung {}, Se {:?}; REML Se {:?}",
        e.model.rung, e.summary.sensitivity, r.summary.sensitivity
    );
    assert!(secs < 30.0, "{secs} s");
    // Not a degenerate fixed-effect interval: a real between-study spread, close to REML.
    assert!(e.summary.sensitivity.ci[1] - e.summary.sensitivity.ci[0] > 0.3, "{:?}", e.summary.sensitivity);
    assert!((e.summary.sensitivity.estimate - r.summary.sensitivity.estimate).abs() < 0.1);
    assert!((e.summary.specificity.estimate - r.summary.specificity.estimate).abs() < 0.1);
    assert!(e.model.tau2_logit_sens > 1.0 && e.model.tau2_logit_spec > 1.0);
}
