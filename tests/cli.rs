//! The `fourfold` command line end to end: JSON keys as in shared/refs/expected, the text table,
//! exit code 2 with a located message on bad input (issues #3–#5).
#![cfg(not(target_arch = "wasm32"))]

mod support;
use serde_json::Value;
use std::process::{Command, Stdio};
use support::{expected, refs_dir};

fn fourfold() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fourfold"))
}

fn analyze_json(name: &str, extra: &[&str]) -> Value {
    let path = refs_dir().join("data").join(format!("{name}.csv"));
    let out = fourfold().arg("analyze").arg(&path).arg("--json").args(extra).output().expect("run fourfold");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn json_has_the_documented_keys_and_matches_the_reference() {
    let v = analyze_json("audit_c", &["--auc-ci", "none"]);
    assert_eq!(v["k"], 14);
    let m = &v["model"];
    for key in [
        "method",
        "nodes",
        "converged",
        "iterations",
        "boundary",
        "fallback",
        "warnings",
        "mu_logit_sens",
        "mu_logit_spec",
        "se_logit_sens",
        "se_logit_spec",
        "vcov_mu",
        "tau2_logit_sens",
        "tau2_logit_spec",
        "cov_logit_sens_spec",
        "rho",
        "loglik",
    ] {
        assert!(m.get(key).is_some(), "model.{key} missing");
    }
    assert_eq!(m["method"], "aghq");
    assert_eq!(m["converged"], true);
    let e = expected("audit_c");
    let want = e["own_aghq"]["mu_logit_sens"].as_f64().expect("ref");
    assert!((m["mu_logit_sens"].as_f64().expect("mu") - want).abs() < 1e-4);
    for key in ["sensitivity", "specificity", "LR_positive", "LR_negative", "DOR"] {
        assert!(v["summary"][key]["estimate"].is_number(), "summary.{key}");
        assert_eq!(v["summary"][key]["ci"].as_array().map(Vec::len), Some(2));
    }
    for key in ["Lambda", "Theta", "beta", "sigma2_alpha", "sigma2_theta"] {
        assert!(v["hsroc"][key].is_number(), "hsroc.{key}");
    }
    assert!(v["auc"]["estimate"].is_number());
    // Issue #4 blocks.
    assert_eq!(v["studies"].as_array().map(Vec::len), Some(14));
    let q = v["heterogeneity"]["logit_sens"]["Q"].as_f64().expect("Q");
    assert!((q - e["univariate_logit_sens"]["Q"].as_f64().expect("ref Q")).abs() < 1e-6);
    let rho = v["threshold"]["spearman_rho"].as_f64().expect("rho");
    assert!((rho - e["spearman_threshold"]["rho"].as_f64().expect("ref rho")).abs() < 1e-9);
    let slope = v["deeks"]["slope"].as_f64().expect("slope");
    assert!((slope - e["deeks"]["slope"].as_f64().expect("ref slope")).abs() < 1e-6);
    assert!((v["lfk"]["lfk_index"].as_f64().expect("lfk") - 5.420315018977775).abs() < 1e-6);
    assert!(v["fagan"]["post_positive"]["estimate"].is_number());
}

#[test]
fn laplace_and_reitsma_modes_match_their_references() {
    let e = expected("scheidler");
    let v = analyze_json("scheidler", &["--model", "laplace", "--auc-ci", "none"]);
    let d = v["model"]["mu_logit_spec"].as_f64().expect("mu")
        - e["glmer_laplace_tight"]["mu_logit_spec"].as_f64().expect("ref");
    assert!(d.abs() < 1e-4, "{d}");
    let v = analyze_json("scheidler", &["--model", "reitsma"]);
    let d = v["model"]["mu_logit_sens"].as_f64().expect("mu")
        - e["mada_reitsma"]["coefficients"]["tsens"].as_f64().expect("ref");
    assert!(d.abs() < 1e-5, "{d}");
}

#[test]
fn subgroups_and_meta_regression_in_json() {
    let v = analyze_json("scheidler", &["--by", "modality", "--auc-ci", "none"]);
    let levels = v["subgroups"]["levels"].as_array().expect("levels");
    assert_eq!(levels.len(), 3);
    assert_eq!(levels[0]["level"], "CT");
    assert_eq!(levels[0]["k"], 17);
    let mr = &v["meta_regression"]["modality"];
    let e = expected("scheidler");
    let want = e["meta_regression"]["modality"]["own_aghq"]["LRT"]["chisq"].as_f64().expect("ref");
    assert!((mr["lrt"]["both"]["statistic"].as_f64().expect("lrt") - want).abs() < 2e-4);
    assert_eq!(mr["lrt"]["both"]["df"], 4);
    assert_eq!(mr["lrt"]["sens"]["df"], 2);
    assert!(mr["vcov"].as_array().is_some_and(|m| m.len() == 6));
}

#[test]
fn text_output_is_a_table_row() {
    let path = refs_dir().join("data").join("audit_c.csv");
    let out = fourfold().arg("analyze").arg(&path).args(["--auc-ci", "none"]).output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Sensitivity (95% CI)"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("Overall") && l.contains("0.92 (0.83–0.97)")), "{text}");
}

#[test]
fn bad_input_exits_2_and_names_line_and_column() {
    let mut child = fourfold()
        .args(["analyze", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().expect("stdin");
        stdin.write_all(b"study,TP,FP,FN,TN\nA,10,2,3,40\nB,12,x,1,30\nC,5,1,2,20\n").expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("FP"), "{err}");
}

#[test]
fn reconstruct_rebuilds_a_table() {
    let out = fourfold().args(["reconstruct", "sens=0.80 spec=0.90 npos=50 nneg=100"]).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().nth(1).is_some_and(|l| l.starts_with("40\t10\t10\t90")), "{text}");
}

#[test]
fn loo_adds_the_influence_block() {
    let v = analyze_json("audit_c", &["--loo", "--auc-ci", "none"]);
    let inf = &v["influence"];
    let loo = inf["loo"].as_array().expect("loo rows");
    assert_eq!(loo.len(), 14);
    assert_eq!(inf["cooks_distance"].as_array().map(Vec::len), Some(14));
    assert!((inf["cooks_threshold"].as_f64().expect("threshold") - 4.0 / 14.0).abs() < 1e-12);
    let w: f64 = inf["weights"]
        .as_array()
        .expect("weights")
        .iter()
        .map(|r| r["sensitivity"].as_f64().unwrap_or(f64::NAN))
        .sum();
    assert!((w - 100.0).abs() < 1e-9, "{w}");
}
