//! The latent-class model for an imperfect reference standard (conditional independence of index
//! test and reference given the true status), after MetaBayesDTA's `models/BLCM_ma.stan` with
//! `ci = 1` (Dendukuri et al. 2012, Biometrics 68:1285).
//!
//! Per study i, true prevalence p_i; reference sensitivity/specificity (s_R, c_R); index test
//! (s_i, c_i) from the bivariate random-effects model of [`super::model`]. The four observed cells
//! (index +/−, reference +/−) are multinomial with
//! ```text
//! π(+,+) = p s_R s_i + (1−p)(1−c_R)(1−c_i)     π(−,+) = p s_R (1−s_i) + (1−p)(1−c_R) c_i
//! π(+,−) = p (1−s_R) s_i + (1−p) c_R (1−c_i)   π(−,−) = p (1−s_R)(1−s_i) + (1−p) c_R c_i
//! ```
//! (the data's TP, FN, FP, TN in that order). Priors: the bivariate model's on the index test;
//! Normal(m, s) on logit s_R and logit c_R (from the user); Beta(a, b) on each p_i (default 1, 1).
//!
//! Deviation from MetaBayesDTA: the reference's accuracy is common to all studies (no random
//! effects on the reference). With one reference test and a 2×2 table per study, study-level
//! random reference accuracy is identified by the priors alone; a common value keeps the model
//! estimable with the informative priors the user must give anyway.
//!
//! Unconstrained coordinates: the bivariate model's `(μ, ln τ, atanh ρ, z)`, then logit s_R,
//! logit c_R, then logit p_1 … logit p_k.

use super::bivariate::{cells_of, SUMMARY_NAMES};
use super::model::{expit, Bivariate, Hyper, Priors, N_HYPER};
use super::nuts::{std_normal, LogDensity};
use super::{Model, Posterior, RunConfig, Sampler};
use crate::data::Study;
use crate::stats::rng::SplitMix64;
use serde::{Deserialize, Serialize};

/// Priors on the reference standard's accuracy and on the prevalences.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferencePriors {
    /// Normal (mean, SD) on logit of the reference's sensitivity.
    pub se_ref: (f64, f64),
    /// Normal (mean, SD) on logit of the reference's specificity.
    pub sp_ref: (f64, f64),
    /// Beta(a, b) on each study's prevalence.
    pub prevalence: (f64, f64),
}

impl Default for ReferencePriors {
    /// A reference that is good but not perfect: logit N(2.2, 0.5²) ≈ Se 0.90 (0.77–0.96) and
    /// logit N(2.9, 0.5²) ≈ Sp 0.95 (0.87–0.98); uniform prevalences.
    fn default() -> Self {
        ReferencePriors { se_ref: (2.2, 0.5), sp_ref: (2.9, 0.5), prevalence: (1.0, 1.0) }
    }
}

/// A reference prior whose 95 % interval on the probability scale is wider than this is "vague":
/// the model is then barely identified (the data's four cells cannot separate the two tests).
pub const VAGUE_WIDTH: f64 = 0.3;

impl ReferencePriors {
    /// The 95 % prior interval of the reference's sensitivity and specificity.
    pub fn intervals(&self) -> [[f64; 2]; 2] {
        [self.se_ref, self.sp_ref].map(|(m, s)| [expit(m - 1.959964 * s), expit(m + 1.959964 * s)])
    }
    /// True when either reference prior is vague ([`VAGUE_WIDTH`]).
    pub fn vague(&self) -> bool {
        self.intervals().iter().any(|[a, b]| b - a > VAGUE_WIDTH)
    }
    pub fn problem(&self) -> Option<String> {
        for (name, (m, s)) in [("sensitivity", self.se_ref), ("specificity", self.sp_ref)] {
            if !(m.is_finite() && s.is_finite() && s > 0.0) {
                return Some(format!(
                    "the prior on the reference standard's logit {name} needs a finite mean and an SD > 0 (got {m}, {s})"
                ));
            }
        }
        let (a, b) = self.prevalence;
        if !(a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0) {
            return Some(format!("the Beta prior on the prevalences needs a, b > 0 (got {a}, {b})"));
        }
        None
    }
}

/// The four cells of one study as counts: (+,+), (−,+), (+,−), (−,−) = TP, FN, FP, TN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FourCells(pub [f64; 4]);

/// The latent-class model's log posterior.
pub struct LatentClass {
    pub cells: Vec<FourCells>,
    pub priors: Priors,
    pub reference: ReferencePriors,
}

impl LatentClass {
    pub fn new(studies: &[Study], priors: &Priors, reference: &ReferencePriors) -> LatentClass {
        LatentClass {
            cells: studies
                .iter()
                .map(|s| FourCells([s.tp as f64, s.fn_ as f64, s.fp as f64, s.tn as f64]))
                .collect(),
            priors: priors.clone(),
            reference: reference.clone(),
        }
    }
    fn k(&self) -> usize {
        self.cells.len()
    }
    fn ref_index(&self) -> usize {
        N_HYPER + 2 * self.k()
    }
}

/// Cell probabilities and their derivatives in (p, s_R, c_R, s_i, c_i).
fn cell_probs(p: f64, sr: f64, cr: f64, si: f64, ci: f64) -> ([f64; 4], [[f64; 5]; 4]) {
    let pi = [
        p * sr * si + (1.0 - p) * (1.0 - cr) * (1.0 - ci),
        p * sr * (1.0 - si) + (1.0 - p) * (1.0 - cr) * ci,
        p * (1.0 - sr) * si + (1.0 - p) * cr * (1.0 - ci),
        p * (1.0 - sr) * (1.0 - si) + (1.0 - p) * cr * ci,
    ];
    let d = [
        [sr * si - (1.0 - cr) * (1.0 - ci), p * si, -(1.0 - p) * (1.0 - ci), p * sr, -(1.0 - p) * (1.0 - cr)],
        [sr * (1.0 - si) - (1.0 - cr) * ci, p * (1.0 - si), -(1.0 - p) * ci, -p * sr, (1.0 - p) * (1.0 - cr)],
        [(1.0 - sr) * si - cr * (1.0 - ci), -p * si, (1.0 - p) * (1.0 - ci), p * (1.0 - sr), -(1.0 - p) * cr],
        [(1.0 - sr) * (1.0 - si) - cr * ci, -p * (1.0 - si), (1.0 - p) * ci, -p * (1.0 - sr), (1.0 - p) * cr],
    ];
    (pi, d)
}

impl LogDensity for LatentClass {
    fn dim(&self) -> usize {
        N_HYPER + 3 * self.k() + 2
    }
    fn logp_grad(&self, q: &[f64], g: &mut [f64]) -> f64 {
        g.iter_mut().for_each(|x| *x = 0.0);
        if q.iter().any(|x| !x.is_finite()) {
            return f64::NEG_INFINITY;
        }
        let h = Hyper::from_q(q);
        if !(h.tau[0].is_finite() && h.tau[1].is_finite()) {
            return f64::NEG_INFINITY;
        }
        let mut lp = Bivariate::hyper_prior(&self.priors, q, g);
        let r0 = self.ref_index();
        // Reference priors on the logits.
        let (lsr, lcr) = (q[r0], q[r0 + 1]);
        for (j, ((m, s), x)) in
            [(self.reference.se_ref, lsr), (self.reference.sp_ref, lcr)].into_iter().enumerate()
        {
            let d = (x - m) / s;
            lp -= 0.5 * d * d;
            g[r0 + j] -= d / s;
        }
        let (sr, cr) = (expit(lsr), expit(lcr));
        let (a, b) = self.reference.prevalence;
        for (i, cell) in self.cells.iter().enumerate() {
            let (z1, z2) = (q[N_HYPER + 2 * i], q[N_HYPER + 2 * i + 1]);
            let lg = q[r0 + 2 + i];
            let p = expit(lg);
            // Beta(a, b) on p with the logit Jacobian p(1 − p): a·ln p + b·ln(1 − p).
            lp += a * libm::log(p) + b * libm::log(1.0 - p);
            g[r0 + 2 + i] += a * (1.0 - p) - b * p;
            let (e1, e2) = h.eta(z1, z2);
            let (si, ci) = (expit(e1), expit(e2));
            let (pi, d) = cell_probs(p, sr, cr, si, ci);
            // dℓ/d(p, s_R, c_R, s_i, c_i)
            let mut dl = [0.0; 5];
            for (cnt, (pc, dc)) in cell.0.iter().zip(pi.iter().zip(&d)) {
                if *cnt > 0.0 {
                    if pc.is_nan() || *pc <= 0.0 {
                        return f64::NEG_INFINITY;
                    }
                    lp += cnt * libm::log(*pc);
                    for (acc, dd) in dl.iter_mut().zip(dc) {
                        *acc += cnt / pc * dd;
                    }
                }
            }
            g[r0 + 2 + i] += dl[0] * p * (1.0 - p);
            g[r0] += dl[1] * sr * (1.0 - sr);
            g[r0 + 1] += dl[2] * cr * (1.0 - cr);
            let r1 = dl[3] * si * (1.0 - si);
            let r2 = dl[4] * ci * (1.0 - ci);
            lp -= 0.5 * (z1 * z1 + z2 * z2);
            h.add_study_gradient(g, i, (z1, z2), (r1, r2));
        }
        lp
    }
}

impl Model for LatentClass {
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = SUMMARY_NAMES.iter().map(|s| s.to_string()).collect();
        v.push("se_ref".into());
        v.push("sp_ref".into());
        for i in 0..self.k() {
            v.push(format!("se[{}]", i + 1));
        }
        for i in 0..self.k() {
            v.push(format!("sp[{}]", i + 1));
        }
        v
    }
    fn generate(&self, q: &[f64], rng: &mut SplitMix64, out: &mut Vec<f64>) {
        // The index test's summaries exactly as the bivariate model records them.
        let bv = Bivariate { cells: cells_of(&[]), priors: self.priors.clone() };
        let mut head = Vec::new();
        let hyper_q = &q[..N_HYPER];
        bv.generate(hyper_q, rng, &mut head);
        out.extend_from_slice(&head);
        let r0 = self.ref_index();
        out.push(expit(q[r0]));
        out.push(expit(q[r0 + 1]));
        let h = Hyper::from_q(q);
        let etas: Vec<(f64, f64)> =
            (0..self.k()).map(|i| h.eta(q[N_HYPER + 2 * i], q[N_HYPER + 2 * i + 1])).collect();
        out.extend(etas.iter().map(|e| expit(e.0)));
        out.extend(etas.iter().map(|e| expit(e.1)));
    }
    /// Starts at the reference prior means and accurate index tests (μ = 1.5): the model has a
    /// mirror mode (both tests' Se ↔ 1 − Sp) that a random start may fall into.
    fn init(&self, rng: &mut SplitMix64) -> Vec<f64> {
        let mut q: Vec<f64> = (0..self.dim()).map(|_| rng.uniform() - 0.5).collect();
        q[0] += 1.5;
        q[1] += 1.5;
        let r0 = self.ref_index();
        q[r0] += self.reference.se_ref.0;
        q[r0 + 1] += self.reference.sp_ref.0;
        q
    }
}

/// The latent-class fit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BayesLatentClass {
    pub priors: Priors,
    pub reference: ReferencePriors,
    pub posterior: Posterior,
    pub k: usize,
    /// The reference priors are vague ([`ReferencePriors::vague`]): identifiability warning.
    pub vague_reference: bool,
    /// The index test's credible and predictive regions on the SROC plot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sroc: Option<super::outputs::SrocRegions>,
    /// The index test's natural frequencies per 1,000 tested (corrected for the reference).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frequencies: Vec<crate::stats::sof::Frequencies>,
}

impl BayesLatentClass {
    /// The fit from a finished run, with its SROC regions and the frequencies at `prevalences`.
    pub fn new(
        priors: Priors,
        reference: ReferencePriors,
        posterior: Posterior,
        k: usize,
        prevalences: &[f64],
    ) -> BayesLatentClass {
        BayesLatentClass {
            sroc: super::outputs::SrocRegions::of(&posterior),
            frequencies: super::outputs::bayes_frequencies(&posterior, prevalences),
            vague_reference: reference.vague(),
            priors,
            reference,
            posterior,
            k,
        }
    }
}

pub fn sampler(
    studies: &[Study],
    priors: &Priors,
    reference: &ReferencePriors,
    cfg: &RunConfig,
) -> Sampler<LatentClass> {
    Sampler::new(LatentClass::new(studies, priors, reference), cfg.clone())
}

pub fn fit_latent_class(
    studies: &[Study],
    priors: &Priors,
    reference: &ReferencePriors,
    cfg: &RunConfig,
) -> BayesLatentClass {
    BayesLatentClass::new(
        priors.clone(),
        reference.clone(),
        sampler(studies, priors, reference, cfg).run(),
        studies.len(),
        &[],
    )
}

/// Simulated studies with an imperfect reference (for the recovery test and the README example).
#[allow(clippy::too_many_arguments)]
pub fn simulate(
    k: usize,
    n: u64,
    se_idx: f64,
    sp_idx: f64,
    tau: f64,
    se_ref: f64,
    sp_ref: f64,
    seed: u64,
) -> Vec<Study> {
    let mut rng = SplitMix64::new(seed);
    let logit = |p: f64| (p / (1.0 - p)).ln();
    (0..k)
        .map(|i| {
            let prev = 0.2 + 0.3 * rng.uniform();
            let si = expit(logit(se_idx) + tau * std_normal(&mut rng));
            let ci = expit(logit(sp_idx) + tau * std_normal(&mut rng));
            let mut c = [0u64; 4];
            for _ in 0..n {
                let d = rng.uniform() < prev;
                let (pi, pr) = if d { (si, se_ref) } else { (1.0 - ci, 1.0 - sp_ref) };
                let idx = rng.uniform() < pi;
                let rf = rng.uniform() < pr;
                let cell = match (idx, rf) {
                    (true, true) => 0,
                    (false, true) => 1,
                    (true, false) => 2,
                    (false, false) => 3,
                };
                c[cell] += 1;
            }
            Study::new(format!("sim{}", i + 1), c[0], c[2], c[1], c[3])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::bayes::model::check_gradient;

    #[test]
    fn gradient_matches_finite_differences() {
        let studies =
            vec![Study::new("a", 40, 7, 5, 120), Study::new("b", 0, 3, 2, 30), Study::new("c", 12, 0, 0, 9)];
        let m = LatentClass::new(
            &studies,
            &Priors::default(),
            &ReferencePriors { prevalence: (2.0, 3.0), ..Default::default() },
        );
        let mut r = SplitMix64::new(5);
        let q: Vec<f64> = (0..m.dim()).map(|_| r.uniform() * 2.0 - 1.0).collect();
        check_gradient(&m, &q);
    }

    #[test]
    fn recovers_known_parameters_with_an_imperfect_reference() {
        let (se, sp, se_r, sp_r) = (0.85, 0.90, 0.90, 0.95);
        let studies = simulate(30, 400, se, sp, 0.4, se_r, sp_r, 11);
        let logit = |p: f64| (p / (1.0 - p)).ln();
        let reference = ReferencePriors {
            se_ref: (logit(se_r), 0.3),
            sp_ref: (logit(sp_r), 0.3),
            prevalence: (1.0, 1.0),
        };
        let cfg = RunConfig { warmup: 500, draws: 500, ..RunConfig::default() };
        let fit = fit_latent_class(&studies, &Priors::default(), &reference, &cfg);
        assert!(!fit.vague_reference);
        let post = &fit.posterior;
        for (name, truth) in [("se", se), ("sp", sp), ("se_ref", se_r), ("sp_ref", sp_r)] {
            let q = post.get(name).expect(name);
            assert!(q.ci[0] < truth && truth < q.ci[1], "{name}: {q:?}");
            assert!((q.median - truth).abs() < 0.04, "{name}: {} vs {truth}", q.median);
        }
        // Ignoring the reference's errors biases the index test's accuracy downwards.
        let naive = crate::stats::bayes::fit_bivariate(&studies, &Priors::default(), &cfg);
        let naive_sp = naive.q("sp").expect("sp").median;
        assert!(naive_sp < sp - 0.02, "naive Sp {naive_sp}");
        assert!(ReferencePriors { se_ref: (0.0, 1.5), ..Default::default() }.vague());
    }
}
