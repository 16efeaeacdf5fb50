//! From a finished [`Analysis`] to what a review hands over: the GRADE summary of findings in
//! natural frequencies (METHODS §17), the decision curve at the chosen prevalence, and the
//! compatibility view — the numbers midas, metandi, mada and lme4 / MetaDTA / Meta-DiSc 2.0 print
//! for the same data (METHODS §13), computed by the statistics with each tool's conventions.
//! Pure: no I/O; [`crate::report`] turns these into words, tables and figures.

use crate::analysis::{median_prevalence, Analysis, Block};
use crate::data::correction::{Correction, CorrectionRule};
use crate::data::Study;
use crate::settings::{AnalysisSettings, FindingsSettings};
use crate::stats::bivariate::{analyze, AucCi, BivariateResult, FitConfig, Method};
use crate::stats::estimate::Estimate;
use crate::stats::heterogeneity::{midas_q, zhou_dendukuri};
use crate::stats::sof::{
    curve_thresholds, decision_curve, default_prevalences, frequencies, Frequencies, LogitMeans, NetBenefit,
};
use crate::stats::summary::RegionKind;
use crate::stats::transform::{logit_from_prob, prob_from_logit, z_for_level};
use serde::{Deserialize, Serialize};

/// Where the prevalences of a summary of findings came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrevalenceSource {
    /// Minimum, median and maximum of the studies' `n1/(n1+n0)`.
    Studies,
    /// Typed by the user.
    User,
}

/// The summary of findings of one set of studies (the whole data set or one subgroup).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FindingsBlock {
    pub label: String,
    pub k: usize,
    /// Participants with the target condition (Σ n1) and without (Σ n0).
    pub diseased: u64,
    pub non_diseased: u64,
    pub prevalence_source: PrevalenceSource,
    /// One column per prevalence (empty when there is no pooled fit).
    pub columns: Vec<Frequencies>,
    /// Why there are no columns.
    pub error: Option<String>,
    /// The pooled sensitivity and specificity the columns come from.
    pub sensitivity: Option<Estimate>,
    pub specificity: Option<Estimate>,
}

/// The summary of findings: overall, then one block per subgroup.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Findings {
    pub level: f64,
    pub per: f64,
    pub blocks: Vec<FindingsBlock>,
    /// The user's certainty ratings and footnotes, per outcome row.
    pub certainty: Vec<String>,
    pub footnotes: Vec<String>,
}

fn logit_means(f: &BivariateResult) -> LogitMeans {
    LogitMeans { mu: [f.model.mu_logit_sens, f.model.mu_logit_spec], vcov: f.model.vcov_mu }
}

fn counts(b: &Block) -> Vec<(u64, u64)> {
    b.studies.iter().map(|s| (s.tp + s.fn_, s.fp + s.tn)).collect()
}

fn findings_block(label: &str, b: &Block, fs: &FindingsSettings, z: f64) -> FindingsBlock {
    let n = counts(b);
    let (prev, source) = if fs.prevalences.is_empty() {
        (default_prevalences(&n), PrevalenceSource::Studies)
    } else {
        (fs.prevalences.clone(), PrevalenceSource::User)
    };
    let mut out = FindingsBlock {
        label: label.to_string(),
        k: b.k,
        diseased: n.iter().map(|x| x.0).sum(),
        non_diseased: n.iter().map(|x| x.1).sum(),
        prevalence_source: source,
        columns: Vec::new(),
        error: None,
        sensitivity: b.fit.as_ref().map(|f| f.summary.sensitivity),
        specificity: b.fit.as_ref().map(|f| f.summary.specificity),
    };
    let Some(f) = b.fit.as_ref() else {
        out.error = Some(b.fit_error.as_ref().map_or("no pooled estimate".into(), |e| e.to_string()));
        return out;
    };
    if !f.model.converged {
        out.error = Some("the model did not converge".into());
        return out;
    }
    if prev.is_empty() {
        out.error = Some("no study has both diseased and non-diseased participants".into());
        return out;
    }
    let m = logit_means(f);
    for p in prev {
        match frequencies(&m, p, z) {
            Ok(c) => out.columns.push(c),
            Err(e) => {
                out.error = Some(e.to_string());
                out.columns.clear();
                break;
            }
        }
    }
    out
}

/// The summary of findings of `a` at the prevalences of its settings (METHODS §17).
pub fn summary_of_findings(a: &Analysis) -> Findings {
    let fs = &a.settings.findings;
    let z = z_for_level(a.settings.ci_level);
    let mut blocks = vec![findings_block("Overall", &a.overall, fs, z)];
    if let Some(sg) = &a.subgroups {
        blocks.extend(sg.levels.iter().map(|l| findings_block(&l.level, &l.block, fs, z)));
    }
    Findings {
        level: a.settings.ci_level,
        per: crate::stats::sof::PER,
        blocks,
        certainty: fs.certainty.clone(),
        footnotes: fs.footnotes.clone(),
    }
}

/// The prevalence of the icon array and the decision curve: the user's, else the median of the
/// studies' prevalences.
pub fn chosen_prevalence(a: &Analysis) -> Option<f64> {
    a.settings.findings.chosen.or_else(|| {
        let studies: Vec<Study> = studies_of(&a.overall);
        median_prevalence(&studies).filter(|p| *p > 0.0 && *p < 1.0)
    })
}

/// The natural frequencies at the chosen prevalence (for the icon array), overall.
pub fn icon_frequencies(a: &Analysis) -> Option<Frequencies> {
    let f = a.overall.fit.as_ref().filter(|f| f.model.converged)?;
    frequencies(&logit_means(f), chosen_prevalence(a)?, z_for_level(a.settings.ci_level)).ok()
}

/// The decision curve (net benefit over threshold probabilities) at the chosen prevalence.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Decision {
    pub prevalence: f64,
    pub level: f64,
    pub points: Vec<NetBenefit>,
}

/// The decision curve of the overall fit at [`chosen_prevalence`] over 1 %–99 %.
pub fn decision(a: &Analysis) -> Option<Decision> {
    let f = a.overall.fit.as_ref().filter(|f| f.model.converged)?;
    let p = chosen_prevalence(a)?;
    let points =
        decision_curve(&logit_means(f), p, &curve_thresholds(), z_for_level(a.settings.ci_level)).ok()?;
    Some(Decision { prevalence: p, level: a.settings.ci_level, points })
}

// ------------------------------------------------------------------ compatibility view

/// A tool whose printout the compatibility view reproduces (`--compat NAME`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    /// Stata midas 2.x (2008): `xtmelogit`, 7 adaptive quadrature points.
    Midas,
    /// Stata metandi 2.0: `xtmelogit`/`gllamm`, 5 adaptive quadrature points.
    Metandi,
    /// R mada 0.5.12 `reitsma()`: bivariate normal model by REML on 0.5-corrected logits.
    Mada,
    /// MetaDTA / Meta-DiSc 2.0: `glmer(nAGQ = 1)` with lme4's default controls.
    Metadta,
    /// The same Laplace model at its actual optimum (lme4 with tight controls, glmmTMB).
    MetadtaLaplace,
}

crate::impl_choice!(Tool, "tool", [Midas => "midas", Metandi => "metandi", Mada => "mada", Metadta => "metadta" | "meta-disc" | "metadisc", MetadtaLaplace => "metadta-laplace" | "lme4" | "laplace"]);

impl Tool {
    /// The analysis settings that reproduce the tool's conventions: its model and quadrature,
    /// its per-study interval, its region radius and its continuity correction.
    pub fn settings(self, base: &AnalysisSettings) -> AnalysisSettings {
        use crate::settings::CiMethod;
        let mut s = base.clone();
        let (model, nodes, ci, region, rule) = match self {
            Tool::Midas => (Method::Aghq, 7, CiMethod::ClopperPearson, RegionKind::F, CorrectionRule::Single),
            Tool::Metandi => {
                (Method::Aghq, 5, CiMethod::ClopperPearson, RegionKind::F, CorrectionRule::Single)
            }
            Tool::Mada => {
                (Method::Reitsma, base.nodes, CiMethod::Wilson, RegionKind::ChiSquare, CorrectionRule::All)
            }
            Tool::Metadta | Tool::MetadtaLaplace => {
                (Method::Laplace, base.nodes, CiMethod::ClopperPearson, RegionKind::F, CorrectionRule::Single)
            }
        };
        s.model = model;
        s.nodes = nodes;
        s.ci_method = ci;
        s.region = region;
        s.correction = Correction::new(rule, 0.5);
        s
    }
}

/// The numbers one tool prints for the data (None: the tool does not print it).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ToolNumbers {
    pub sensitivity: Option<Estimate>,
    pub specificity: Option<Estimate>,
    pub lr_positive: Option<Estimate>,
    pub lr_negative: Option<Estimate>,
    pub dor: Option<Estimate>,
    pub mu: Option<[f64; 2]>,
    pub se: Option<[f64; 2]>,
    pub tau2: Option<[f64; 2]>,
    pub rho: Option<f64>,
    pub loglik: Option<f64>,
    pub aic: Option<f64>,
    /// Parameters the AIC counts.
    pub aic_parameters: Option<usize>,
    pub auc: Option<f64>,
    pub auc_ci: Option<[f64; 2]>,
    /// mada's partial AUC over the observed FPR range.
    pub pauc: Option<f64>,
    /// The I² the tool prints for sensitivity and specificity (its own formula).
    pub i2_sens: Option<f64>,
    pub i2_spec: Option<f64>,
    pub i2_ci_sens: Option<[f64; 2]>,
    pub i2_ci_spec: Option<[f64; 2]>,
    /// Boundary of the fit in words from the statistics (`rho = -1`, …).
    pub boundary: Option<String>,
    pub converged: Option<bool>,
}

/// One column of the compatibility view.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ToolColumn {
    pub tool: Tool,
    pub numbers: ToolNumbers,
    /// Why the tool's model could not be fitted here.
    pub error: Option<String>,
}

/// Fourfold's numbers beside every tool's.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompatView {
    pub fourfold: ToolNumbers,
    /// Fourfold's correct Zhou–Dendukuri I² on the REML fit (what mada's "Zhou" I² should be).
    pub zhou_on_reml: Option<[f64; 2]>,
    pub columns: Vec<ToolColumn>,
}

fn studies_of(b: &Block) -> Vec<Study> {
    b.studies.iter().map(|s| Study::new(s.label.clone(), s.tp, s.fp, s.fn_, s.tn)).collect()
}

/// midas 2.x's AUC (METHODS §4.6): trapezoid on 500 equally spaced specificities, curve set to 1
/// at specificity 0 and to 0 at 1, both τ² floored at 0.001.
pub fn auc_midas(mu: [f64; 2], tau2: [f64; 2]) -> Option<f64> {
    let (t1, t2) = (tau2[0].max(0.001), tau2[1].max(0.001));
    if !(mu[0].is_finite() && mu[1].is_finite() && t1.is_finite() && t2.is_finite()) {
        return None;
    }
    let slope = (t1 / t2).sqrt();
    let n = 500;
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let x = i as f64 / (n - 1) as f64;
            if i == 0 {
                1.0
            } else if i == n - 1 {
                0.0
            } else {
                prob_from_logit(mu[0] + slope * (logit_from_prob(1.0 - x) + mu[1]))
            }
        })
        .collect();
    let h = 1.0 / (n - 1) as f64;
    Some(y.windows(2).map(|w| 0.5 * (w[0] + w[1]) * h).sum())
}

/// midas 2.x's printed "95% CI" of the AUC: a Wilson interval with n = 500, the number of grid
/// points (METHODS §4.6; statistically meaningless, reproduced only to match the printout).
pub fn auc_midas_interval(auc: f64, z: f64) -> [f64; 2] {
    let n = 500.0;
    let c = auc + z * z / (2.0 * n);
    let r = z * ((auc * (1.0 - auc) + z * z / (4.0 * n)) / n).sqrt();
    let d = 1.0 + z * z / n;
    [(c - r) / d, (c + r) / d]
}

/// mada's partial AUC (`mada::AUC`, METHODS §4.6): its rule on 99 points spanning the observed
/// (uncorrected) FPRs clipped to [0.01, 0.99].
pub fn pauc_mada(mu: [f64; 2], tau2: [f64; 2], studies: &[Study]) -> Option<f64> {
    if !(tau2[0] > 0.0 && tau2[1] > 0.0) {
        return None;
    }
    let fpr: Vec<f64> =
        studies.iter().filter(|s| s.n_healthy() > 0).map(|s| s.fp as f64 / s.n_healthy() as f64).collect();
    let lo = fpr.iter().copied().fold(f64::INFINITY, f64::min).max(0.01);
    let hi = fpr.iter().copied().fold(f64::NEG_INFINITY, f64::max).min(0.99);
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return None;
    }
    let slope = (tau2[0] / tau2[1]).sqrt();
    let s = |x: f64| prob_from_logit(mu[0] + slope * (logit_from_prob(x) + mu[1]));
    let xs: Vec<f64> = (0..99).map(|i| lo + (hi - lo) * i as f64 / 98.0).collect();
    let inner: f64 = xs[1..98].iter().map(|&x| s(x)).sum();
    Some((0.5 * s(xs[0]) + inner + 0.5 * s(xs[98])) / 99.0)
}

fn numbers_of(f: &BivariateResult) -> ToolNumbers {
    let m = &f.model;
    ToolNumbers {
        sensitivity: Some(f.summary.sensitivity),
        specificity: Some(f.summary.specificity),
        lr_positive: Some(f.summary.lr_positive),
        lr_negative: Some(f.summary.lr_negative),
        dor: Some(f.summary.dor),
        mu: Some([m.mu_logit_sens, m.mu_logit_spec]),
        se: Some([m.se_logit_sens, m.se_logit_spec]),
        tau2: Some([m.tau2_logit_sens, m.tau2_logit_spec]),
        rho: m.rho,
        loglik: Some(m.loglik),
        aic: Some(m.aic),
        aic_parameters: Some(((m.aic + 2.0 * m.loglik) / 2.0).round().max(0.0) as usize),
        auc: f.auc.as_ref().map(|a| a.estimate),
        auc_ci: f.auc.as_ref().and_then(|a| a.ci),
        boundary: m.boundary.map(|b| b.to_string()),
        converged: Some(m.converged),
        ..ToolNumbers::default()
    }
}

/// The numbers `tool` prints for these studies at `level` (its model fitted by Fourfold's engine
/// with the tool's conventions).
///
/// # Errors
/// The fit's message when the tool's model cannot be fitted.
pub fn tool_numbers(tool: Tool, studies: &[Study], level: f64) -> Result<ToolNumbers, String> {
    let s = tool.settings(&AnalysisSettings { ci_level: level, ..AnalysisSettings::default() });
    let cfg = FitConfig {
        method: s.model,
        nodes: s.nodes as usize,
        level,
        region: s.region,
        auc_ci: AucCi::None,
        ..FitConfig::default()
    };
    let f = analyze(studies, &cfg).map_err(|e| e.to_string())?;
    let mut n = numbers_of(&f);
    let m = &f.model;
    let (mu, tau2) = ([m.mu_logit_sens, m.mu_logit_spec], [m.tau2_logit_sens, m.tau2_logit_spec]);
    match tool {
        Tool::Midas => {
            n.auc = auc_midas(mu, tau2);
            n.auc_ci = n.auc.map(|a| auc_midas_interval(a, z_for_level(level)));
            if let Ok(h) = midas_q(studies, level) {
                n.i2_sens = Some(h.sensitivity.i2.i2);
                n.i2_spec = Some(h.specificity.i2.i2);
                n.i2_ci_sens = h.sensitivity.i2.ci;
                n.i2_ci_spec = h.specificity.i2.ci;
            }
            // xtmelogit counts the five parameters of the unstructured model.
            n.aic = Some(-2.0 * m.loglik + 10.0);
            n.aic_parameters = Some(5);
        }
        Tool::Metandi => {
            // metandi prints no AUC and no I².
            n.auc = None;
            n.auc_ci = None;
            n.aic = None;
            n.aic_parameters = None;
        }
        Tool::Mada => {
            n.auc = f.auc.as_ref().map(|a| a.mada_rule).filter(|x| x.is_finite());
            n.auc_ci = None;
            n.pauc = pauc_mada(mu, tau2, studies);
            n.aic_parameters = Some(5);
            // mada's orientation is (logit Se, logit FPR): the correlation changes sign.
            n.rho = n.rho.map(|r| -r);
        }
        Tool::Metadta | Tool::MetadtaLaplace => {
            // lme4 counts every parameter of the model, also when ρ sits at ±1.
            n.auc = None;
            n.auc_ci = None;
            n.aic = Some(-2.0 * m.loglik + 10.0);
            n.aic_parameters = Some(5);
        }
    }
    Ok(n)
}

/// The compatibility view of `a` (every tool of [`Tool::ALL`]).
pub fn compat_view(a: &Analysis) -> CompatView {
    compat_view_of(a, Tool::ALL)
}

/// The compatibility view of `a` for the given tools.
pub fn compat_view_of(a: &Analysis, tools: &[Tool]) -> CompatView {
    let studies = studies_of(&a.overall);
    let level = a.settings.ci_level;
    let mut fourfold = a.overall.fit.as_ref().map(numbers_of).unwrap_or_default();
    if let Some(z) = &a.overall.heterogeneity.zhou_dendukuri {
        fourfold.i2_sens = Some(z.i2_sens);
        fourfold.i2_spec = Some(z.i2_spec);
    }
    // MetaDTA and the lme4 optimum are the same fit with the same printout: fitted once.
    let mut columns: Vec<ToolColumn> = Vec::with_capacity(tools.len());
    for &tool in tools {
        let same = columns.iter().find(|c| {
            matches!(
                (c.tool, tool),
                (Tool::Metadta, Tool::MetadtaLaplace) | (Tool::MetadtaLaplace, Tool::Metadta)
            )
        });
        let col = match same {
            Some(c) => ToolColumn { tool, numbers: c.numbers.clone(), error: c.error.clone() },
            None => match tool_numbers(tool, &studies, level) {
                Ok(numbers) => ToolColumn { tool, numbers, error: None },
                Err(e) => ToolColumn { tool, numbers: ToolNumbers::default(), error: Some(e) },
            },
        };
        columns.push(col);
    }
    let zhou_on_reml = columns.iter().find(|c| c.tool == Tool::Mada).and_then(|c| {
        let (mu, tau2) = (c.numbers.mu?, c.numbers.tau2?);
        let z =
            zhou_dendukuri(&studies, mu[0], mu[1], tau2[0], tau2[1], c.numbers.rho.unwrap_or(0.0)).ok()?;
        Some([z.i2_sens, z.i2_spec])
    });
    CompatView { fourfold, zhou_on_reml, columns }
}
