//! The Bayesian bivariate model against NumPyro (tests/refs-src/bayes_numpyro.py, the same model
//! and priors; output committed in tests/refs-src/out/bayes_numpyro.json), the diagnostics
//! against ArviZ on the same draws, and the vague-prior posterior against exact ML.
//!
//! Monte Carlo error: both sides are MCMC estimates. For a posterior mean the MCSE is
//! sd/√ESS_mean, for a quantile ArviZ's `mcse_quantile` (a Beta-rank interval mapped through the
//! draws) — NumPyro's side computed by ArviZ, ours by `stats::bayes::diagnostics` (the same
//! formulas). Two estimates agree when `|a − b| ≤ MC_SIGMAS·√(mcse_a² + mcse_b²)`.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use fourfold::stats::bayes::diagnostics::{diagnose, mcse_quantile};
use fourfold::stats::bayes::model::Priors;
use fourfold::stats::bayes::{fit_bivariate, RunConfig};
use serde_json::Value;
use support::read_studies;

/// R-hat and ESS of every quantity within the verdict's thresholds.
fn assert_mixed(name: &str, p: &fourfold::stats::bayes::Posterior) {
    let (ess, rhat) = p.worst();
    assert!(
        rhat <= fourfold::stats::bayes::RHAT_MAX && ess >= fourfold::stats::bayes::ESS_MIN,
        "{name}: {:?}",
        p.verdict
    );
}

/// Standard deviations of the combined Monte Carlo error allowed between two samplers: ~120
/// comparisons, so a 4σ bound fails by chance with probability ~1 % in all (a fixed seed makes
/// the outcome reproducible).
const MC_SIGMAS: f64 = 4.0;
/// rel, our R-hat / ESS / MCSE against ArviZ's on identical draws: the same estimators; only the
/// autocovariance differs (direct sums here, FFT in ArviZ), i.e. rounding.
const DIAG_REL: f64 = 1e-6;

fn numpyro() -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/refs-src/out/bayes_numpyro.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("bayes_numpyro.json")).expect("json")
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"))
}

#[test]
fn diagnostics_match_arviz_on_the_same_draws() {
    let r = numpyro();
    let fx = r["diagnostics_fixture"].as_object().expect("fixture");
    assert_eq!(fx.len(), 3);
    for (name, v) in fx {
        let chains: Vec<Vec<f64>> = v["draws"]
            .as_array()
            .expect("draws")
            .iter()
            .map(|c| c.as_array().expect("chain").iter().map(|x| x.as_f64().expect("x")).collect())
            .collect();
        let refs: Vec<&[f64]> = chains.iter().map(|c| c.as_slice()).collect();
        let d = diagnose(&refs);
        for (got, key) in
            [(d.rhat, "rhat"), (d.ess_bulk, "ess_bulk"), (d.ess_tail, "ess_tail"), (d.mcse_mean, "mcse_mean")]
        {
            let want = f(v, key);
            assert!(((got - want) / want).abs() < DIAG_REL, "{name} {key}: {got} vs ArviZ {want}");
        }
        let q = mcse_quantile(&refs, 0.975);
        let want = f(v, "mcse_q975");
        assert!(((q - want) / want).abs() < DIAG_REL, "{name} mcse_q975: {q} vs ArviZ {want}");
    }
}

/// Our posterior against NumPyro's summary `theirs`: each quantity's mean and both 95 % limits
/// within [`MC_SIGMAS`] combined Monte Carlo SEs (panics otherwise); one line per comparison.
fn agree(
    name: &str,
    p: &fourfold::stats::bayes::Posterior,
    theirs: &Value,
    quantities: &[&str],
) -> Vec<String> {
    let mut report = Vec::new();
    for &q in quantities {
        let ours = p.get(q).expect(q);
        let t = &theirs[q];
        let refs: Vec<&[f64]> = ours.chains.iter().map(|c| c.as_slice()).collect();
        for (stat, got, mcse_ours, want, mcse_theirs) in [
            ("mean", ours.mean, ours.diagnostics.mcse_mean, f(t, "mean"), f(t, "mcse_mean")),
            ("q025", ours.ci[0], mcse_quantile(&refs, 0.025), f(t, "q025"), f(t, "mcse_q025")),
            ("q975", ours.ci[1], mcse_quantile(&refs, 0.975), f(t, "q975"), f(t, "mcse_q975")),
        ] {
            let bound = MC_SIGMAS * (mcse_ours.powi(2) + mcse_theirs.powi(2)).sqrt();
            let z = (got - want) / (bound / MC_SIGMAS);
            report.push(format!("{name} {q} {stat}: {got:.4} vs {want:.4} (z = {z:+.2})"));
            assert!(
                (got - want).abs() <= bound,
                "{name} {q} {stat}: ours {got} vs NumPyro {want}, bound {bound}"
            );
        }
    }
    report
}

/// One fit of ours against NumPyro's, every summary quantity, mean and both 95 % limits.
fn compare(name: &str, priors: &Priors, seed: u64) -> Vec<String> {
    let r = numpyro();
    let prior_key = if *priors == Priors::default() { "default" } else { "vague" };
    let theirs = &r["fits"][format!("{name}/{prior_key}")]["summary"];
    assert!(theirs.is_object(), "{name}/{prior_key} missing from the NumPyro reference");
    let cfg = RunConfig { warmup: 1000, draws: 2500, seed, ..RunConfig::default() };
    let fit = fit_bivariate(&read_studies(name), priors, &cfg);
    let p = &fit.posterior;
    // R-hat and ESS must pass; a few divergences out of 10 000 draws are reported, not failed
    // (NumPyro itself has 1 on audit_c; ours has 8 there, which the verdict flags).
    assert_mixed(name, p);
    assert!(p.sampler.divergences <= 10, "{name}: {} divergences", p.sampler.divergences);
    let mut report = vec![format!(
        "{name}: {} divergences (NumPyro {})",
        p.sampler.divergences,
        r["fits"][format!("{name}/{prior_key}")]["divergences"]
    )];
    report.extend(agree(
        name,
        p,
        theirs,
        &["mu_se", "mu_sp", "tau_se", "tau_sp", "rho", "se", "sp", "lr_pos", "lr_neg", "dor"],
    ));
    report
}

#[test]
fn agrees_with_numpyro_small_and_boundary() {
    for (name, seed) in [("audit4", 1), ("telomerase", 2)] {
        for l in compare(name, &Priors::default(), seed) {
            println!("{l}");
        }
    }
}

#[test]
fn agrees_with_numpyro_audit_c_skin_tests_dementia() {
    for (name, seed) in [("audit_c", 3), ("skin_tests", 4), ("dementia", 5)] {
        for l in compare(name, &Priors::default(), seed) {
            println!("{l}");
        }
    }
}

/// With vague priors and many studies the posterior medians of the logit means lie close to the
/// exact ML estimates. The issue asked for "within 2 MCSE"; that bound shrinks with the number
/// of draws while the gap between a posterior median and the MLE does not (it is a property of
/// the posterior, O(SE/√k)): NumPyro's own medians for smoking are 2.3 and 2.2 MCSE from
/// `own_aghq` (0.0098 and 0.0065 on the logit scale, 4 % of an SE). The test therefore allows
/// 2 MCSE plus [`ML_GAP_SE`] standard errors of the MLE, and also checks that our medians agree
/// with NumPyro's within Monte Carlo error (the same posterior).
const ML_GAP_SE: f64 = 0.1;

#[test]
fn vague_priors_large_k_match_exact_ml() {
    let r = numpyro();
    for (name, seed) in [("smoking", 6u64), ("schuetz", 7)] {
        let studies = read_studies(name);
        // The exact ML reference: refs own_aghq for smoking; schuetz has no refs JSON, so the
        // project's AGHQ engine (a separate code path: quadrature + optimiser, no sampling).
        let (ml, se_ml) = if name == "smoking" {
            let a = &support::expected(name)["own_aghq"];
            ([f(a, "mu_logit_sens"), f(a, "mu_logit_spec")], [f(a, "se_logit_sens"), f(a, "se_logit_spec")])
        } else {
            let fit = fourfold::stats::bivariate::analyze(&studies, &Default::default()).expect("ML fit");
            let m = &fit.model;
            ([m.mu_logit_sens, m.mu_logit_spec], [m.se_logit_sens, m.se_logit_spec])
        };
        let cfg = RunConfig { warmup: 1000, draws: 2500, seed, ..RunConfig::default() };
        let fit = fit_bivariate(&studies, &Priors::vague(), &cfg);
        assert!(fit.posterior.verdict.converged(), "{name}: {:?}", fit.posterior.verdict);
        let theirs = &r["fits"][format!("{name}/vague")]["summary"];
        for (j, q) in ["mu_se", "mu_sp"].into_iter().enumerate() {
            let ours = fit.posterior.get(q).expect(q);
            let refs: Vec<&[f64]> = ours.chains.iter().map(|c| c.as_slice()).collect();
            let mcse = mcse_quantile(&refs, 0.5);
            let gap = ours.median - ml[j];
            println!(
                "{name} {q}: median {:.4}, ML {:.4}, gap {gap:+.4} = {:.2} MCSE = {:.3} SE_ML; NumPyro {:.4}",
                ours.median,
                ml[j],
                gap / mcse,
                gap / se_ml[j],
                f(&theirs[q], "q50")
            );
            assert!(gap.abs() <= 2.0 * mcse + ML_GAP_SE * se_ml[j], "{name} {q}: gap {gap}");
            let bound = MC_SIGMAS * (mcse.powi(2) + f(&theirs[q], "mcse_q50").powi(2)).sqrt();
            assert!((ours.median - f(&theirs[q], "q50")).abs() <= bound, "{name} {q} vs NumPyro");
        }
    }
}

/// The latent-class model (imperfect reference standard; the index test with study-level
/// bivariate random effects) against NumPyro (tests/refs-src/bayes_lcm_numpyro.py, the same
/// model, priors and starting region; output in tests/refs-src/out/bayes_lcm_numpyro.json).
#[test]
fn latent_class_agrees_with_numpyro() {
    use fourfold::stats::bayes::latent::{fit_latent_class, ReferencePriors};
    let p =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/refs-src/out/bayes_lcm_numpyro.json");
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(p).expect("bayes_lcm_numpyro.json")).expect("json");
    for (name, seed) in [("audit4", 11u64), ("audit_c", 12)] {
        let theirs = &r["fits"][name]["summary"];
        assert!(theirs.is_object(), "{name} missing from the NumPyro reference");
        let cfg = RunConfig { warmup: 1000, draws: 2500, seed, ..RunConfig::default() };
        let fit =
            fit_latent_class(&read_studies(name), &Priors::default(), &ReferencePriors::default(), &cfg);
        let post = &fit.posterior;
        assert_mixed(name, post);
        println!(
            "{name}: {} divergences (NumPyro {})",
            post.sampler.divergences, r["fits"][name]["divergences"]
        );
        let qs = ["mu_se", "mu_sp", "tau_se", "tau_sp", "rho", "se", "sp", "se_ref", "sp_ref"];
        for l in agree(name, post, theirs, &qs) {
            println!("{l}");
        }
    }
}

#[test]
fn prior_sensitivity_sentence_draws_no_conclusion_from_unconverged_fits() {
    // 2 chains × 50 draws: no fit can reach ESS ≥ 400, so none has converged; the sentence must
    // say so instead of reading the medians ("the data dominate the priors").
    use fourfold::analysis::bayes::{prior_sensitivity, BayesRun};
    use fourfold::settings::{BayesModel, BayesSettings};
    let studies = support::read_dataset("audit_c").studies;
    let b = BayesSettings {
        model: Some(BayesModel::Bivariate),
        chains: 2,
        warmup: 50,
        draws: 50,
        prior_sensitivity: true,
        ..BayesSettings::default()
    };
    let mut run = BayesRun::new(&studies, &b).expect("a run");
    while !run.advance(50) {}
    let block = run.finish();
    let alt = prior_sensitivity(&studies, &b);
    assert_eq!(alt.len(), 2);
    let l = fourfold::report::bayes::sensitivity_line(block.posterior(), &alt);
    assert_eq!(l.tone, fourfold::report::doc::Tone::Bad);
    let text = l.plain();
    assert!(text.starts_with("Not every fit of the comparison converged (the chosen prior's, "), "{text}");
    assert!(text.contains("fits), so it cannot say yet whether the priors matter"), "{text}");
    assert!(!text.contains("dominate"), "{text}");
}
