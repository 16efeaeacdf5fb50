//! Analysis settings: everything the user can choose, with documented defaults, as one plain data
//! struct. The page's controls, the permalink ([`crate::permalink`]) and the CLI's flags all
//! produce an [`AnalysisSettings`]; [`crate::analysis::AnalysisConfig::try_from`] is the one
//! (fallible) conversion into what the statistics run on, and the result
//! ([`crate::analysis::Analysis::settings`]) records the settings it was computed from, so every
//! label (e.g. "90% CI") is derived from the numbers' own settings.
//!
//! The option types are the statistics' own enums (re-exported here); their one text form
//! (`FromStr` with aliases, `Display`, serde) comes from [`crate::impl_choice!`].

use crate::data::correction::Correction;
use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::data::correction::CorrectionRule;
pub use crate::stats::accuracy::CiMethod;
pub use crate::stats::bivariate::{AucCi, Method, DEFAULT_NODES, MAX_NODES};
pub use crate::stats::summary::RegionKind;

/// The confidence levels a user may choose lie strictly between these bounds.
pub const LEVEL_RANGE: (f64, f64) = (0.5, 1.0);

/// Every user choice of one analysis. `Default` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisSettings {
    /// Default [`Method::Aghq`] (exact likelihood).
    pub model: Method,
    /// Quadrature nodes per dimension for AGHQ, 1 ..= [`MAX_NODES`] (default [`DEFAULT_NODES`]).
    pub nodes: u32,
    /// Confidence level in (0.5, 1), default 0.95.
    pub ci_level: f64,
    /// Continuity correction for the two-step quantities (default `single`, 0.5; METHODS §1.3).
    pub correction: Correction,
    /// Per-study CI method (default Clopper–Pearson).
    pub ci_method: CiMethod,
    /// Region quantile (default F).
    pub region: RegionKind,
    /// Covariate for subgroup analysis / meta-regression (METHODS §9), by column name.
    pub covariate: Option<String>,
    /// Split a numeric covariate at this value (`< t` vs `≥ t`).
    pub split_threshold: Option<f64>,
    /// Two covariates crossed into one grouping (takes precedence over `covariate`).
    pub cross: Option<(String, String)>,
    /// Pre-test probability for Fagan / post-test displays (METHODS §8); `None` = median prevalence.
    pub pretest: Option<f64>,
    /// Study labels excluded from the analysis.
    pub excluded: Vec<String>,
    /// AUC interval method (default bootstrap).
    pub auc_ci: AucCi,
    /// Leave-one-out, Cook's distance, empirical Bayes, weights and the cluster analysis (§10).
    /// The CLI's `--loo`; the page always computes them (in a later stage). Not in permalinks.
    pub leave_one_out: bool,
    /// Risk of bias in the analysis: the sensitivity analysis restricted to studies at low risk.
    pub risk_of_bias: RiskOfBiasSettings,
    /// The Bayesian fits (off by default; [`BayesSettings`]). Left out of the JSON when it is
    /// the default, so results and autosaves of analyses without it read as before.
    #[serde(skip_serializing_if = "BayesSettings::is_default")]
    pub bayes: BayesSettings,
    /// HSROC meta-regression and the three-level model (METHODS §15.3, §16); off by default.
    pub models: ModelSettings,
    /// The summary of findings, the icon array and the decision curve (METHODS §17); carried in
    /// permalinks as the `findings` group.
    pub findings: FindingsSettings,
    /// Comparing index tests (METHODS §15; `--test COLUMN --paired-only`). Left out of the JSON
    /// while off, so the settings block of analyses without a comparison is as before.
    #[serde(skip_serializing_if = "ComparisonSettings::is_off")]
    pub comparison: ComparisonSettings,
    /// The figures' display options (SROC conventions, zoom, hidden regions, scatter labels):
    /// not analysis settings — the page keeps them beside the settings and puts them here only
    /// to write a permalink (the `figures` group), taking them out again when one is opened.
    /// Left out of the JSON while default, so results and autosaves are as before.
    #[serde(skip_serializing_if = "FigureSettings::is_default")]
    pub figures: FigureSettings,
}

/// The figures' display options as a permalink carries them (`report::plots::PlotOptions`
/// converts both ways). Every field's default is Fourfold's own figure.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FigureSettings {
    /// SROC: zoom to the data range.
    pub sroc_zoom: bool,
    /// SROC: the series (subgroups, in figure order) whose regions are hidden.
    pub sroc_hidden_regions: Vec<usize>,
    /// Deeks and LR scattergram labels: `None` = the five most outlying studies.
    pub labels: Option<FigureLabels>,
    /// SROC study markers as RevMan's rectangles (√diseased × √non-diseased) instead of circles.
    pub sroc_rectangles: bool,
    /// SROC x axis as specificity from 1 to 0 (RevMan) instead of 1 − specificity.
    pub sroc_specificity_axis: bool,
    /// SROC curve over the studies' specificities (RevMan) instead of metandi's range.
    pub sroc_curve_observed: bool,
    /// SROC confidence region dashed and prediction region dotted (RevMan) instead of shaded.
    pub sroc_region_lines: bool,
}

/// Which studies of the Deeks plot and the LR scattergram are labelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FigureLabels {
    Off,
    /// The `n` most outlying.
    Outliers(usize),
    All,
}

/// The most SROC series a link may hide, and the most outlying labels it may ask for.
pub const MAX_FIGURE_ITEMS: usize = 1000;

impl FigureSettings {
    pub fn is_default(&self) -> bool {
        *self == FigureSettings::default()
    }

    /// Bounds of the lists and counts.
    ///
    /// # Errors
    /// [`SettingsError::Figures`] when more than [`MAX_FIGURE_ITEMS`] series are hidden or labelled.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.sroc_hidden_regions.len() > MAX_FIGURE_ITEMS
            || self.sroc_hidden_regions.iter().any(|&i| i >= MAX_FIGURE_ITEMS)
        {
            return Err(SettingsError::Figures(format!(
                "at most {MAX_FIGURE_ITEMS} SROC series' regions can be hidden ({} given)",
                self.sroc_hidden_regions.len()
            )));
        }
        if let Some(FigureLabels::Outliers(n)) = self.labels {
            if n > MAX_FIGURE_ITEMS {
                return Err(SettingsError::Figures(format!(
                    "at most {MAX_FIGURE_ITEMS} labelled studies ({n} given)"
                )));
            }
        }
        Ok(())
    }
}

/// Risk of bias in the analysis (issue #15): off by default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RiskOfBiasSettings {
    /// Also analyse only the studies at low risk of bias in this domain: `overall`, `D1` … `D4`
    /// (the n-th risk-of-bias column) or a judgement column's name (`crate::data::rob::low_risk_rows`).
    /// `None`: no such analysis.
    pub low_risk: Option<String>,
}

/// Options of the further models (issue #13): HSROC meta-regression on the grouping covariate,
/// and the three-level model for several cohorts (2×2 tables) per study.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelSettings {
    /// Fit the HSROC meta-regression (covariate on accuracy, threshold and shape, §16) and the
    /// separate-Σ "variances differ" test on the categorical grouping covariate (`--hsroc-reg`).
    pub hsroc_regression: bool,
    /// Fit the three-level model (§15.3) with studies given by the cluster column (`--three-level`).
    pub three_level: bool,
    /// The column that labels cohorts within a study (`--cohort COLUMN`; implies `three_level`):
    /// rows sharing the study and this label share a cohort effect. `None`: each row is a cohort.
    pub cohort: Option<String>,
    /// The column that names the study of each row, when it is not the detected cluster column
    /// (`--study-column COLUMN`). `None`: the detected cluster column, else repeated study labels.
    pub study_column: Option<String>,
}

impl ModelSettings {
    /// Whether the three-level model is asked for.
    pub fn wants_three_level(&self) -> bool {
        self.three_level || self.cohort.is_some() || self.study_column.is_some()
    }
}

/// Options of the GRADE summary of findings (METHODS §17), the natural-frequency icon array and
/// the decision curve. `Default` = the documented defaults (prevalences from the studies).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FindingsSettings {
    /// Prevalences of the table's columns, each in (0, 1); empty = the minimum, median and
    /// maximum of the studies' `n1/(n1 + n0)`.
    pub prevalences: Vec<f64>,
    /// Prevalence of the icon array and the decision curve; `None` = the median of the studies.
    pub chosen: Option<f64>,
    /// People in the icon array: 100 or 1000 (`None` = 100).
    pub icon_people: Option<u32>,
    /// The user's GRADE certainty rating per outcome row (TP/FN, TN/FP order of the table), as typed.
    pub certainty: Vec<String>,
    /// The user's footnote per outcome row.
    pub footnotes: Vec<String>,
}

/// The comparative / multi-test analysis (METHODS §15.1–§15.2): which column names each row's
/// index test, and whether the studies reporting every test are also analysed on their own
/// (direct comparison, beside all studies). Default: off.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComparisonSettings {
    /// The index-test column; `None`: no comparison.
    pub test: Option<String>,
    /// Also fit the studies that report every test (paired-only), side by side with all studies.
    pub paired_only: bool,
}

impl ComparisonSettings {
    /// No comparison asked for (the default).
    pub fn is_off(&self) -> bool {
        *self == ComparisonSettings::default()
    }
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            model: Method::Aghq,
            nodes: DEFAULT_NODES as u32,
            ci_level: 0.95,
            correction: Correction::default(),
            ci_method: CiMethod::ClopperPearson,
            region: RegionKind::F,
            covariate: None,
            split_threshold: None,
            cross: None,
            pretest: None,
            excluded: Vec::new(),
            auc_ci: AucCi::Bootstrap,
            leave_one_out: false,
            risk_of_bias: RiskOfBiasSettings::default(),
            bayes: BayesSettings::default(),
            models: ModelSettings::default(),
            findings: FindingsSettings::default(),
            comparison: ComparisonSettings::default(),
            figures: FigureSettings::default(),
        }
    }
}

impl AnalysisSettings {
    /// The confidence level as a whole percentage for labels: `95`, `90`, `99.5` → "99.5".
    pub fn level_percent(&self) -> String {
        level_percent(self.ci_level)
    }
}

/// `0.95` → "95", `0.995` → "99.5" (for labels such as "95% CI").
pub fn level_percent(level: f64) -> String {
    let p = (level * 1000.0).round() / 10.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}", p.round())
    } else {
        format!("{p}")
    }
}

/// A setting that is outside its allowed range. The page and the CLI show the message as it is.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SettingsError {
    /// The confidence level is not strictly between 0.5 and 1.
    Level(f64),
    /// The node count is not in 1 ..= [`MAX_NODES`].
    Nodes(u32),
    /// The pre-test probability is not strictly between 0 and 1.
    Pretest(f64),
    /// The continuity-correction increment is negative or not finite.
    CorrectionIncrement(f64),
    /// The split threshold is not a finite number.
    SplitThreshold(f64),
    /// The low-risk domain is empty.
    LowRiskDomain(String),
    /// A Bayesian setting (prior or sampler) is out of range; the message names it.
    Bayes(String),
    /// A summary-of-findings prevalence is not strictly between 0 and 1.
    Prevalence(f64),
    /// The icon array shows 100 or 1000 people.
    IconPeople(u32),
    /// A certainty rating or footnote longer than [`MAX_NOTE_CHARS`] characters.
    NoteTooLong(usize),
    /// A figure display option is out of range ([`FigureSettings::validate`]); the message names it.
    Figures(String),
}

/// The longest certainty rating or footnote a user may type (characters).
pub const MAX_NOTE_CHARS: usize = 2000;
/// The most prevalence columns of a summary of findings.
pub const MAX_PREVALENCES: usize = 12;

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Level(l) => {
                write!(f, "the confidence level must lie between 0.5 and 1 (exclusive); {l} was given")
            }
            SettingsError::Nodes(n) => {
                write!(f, "the number of quadrature points must be between 1 and {MAX_NODES}; {n} was given")
            }
            SettingsError::Pretest(p) => {
                write!(f, "the pre-test probability must lie between 0 and 1 (exclusive); {p} was given")
            }
            SettingsError::CorrectionIncrement(c) => {
                write!(f, "the continuity correction must be a number ≥ 0; {c} was given")
            }
            SettingsError::SplitThreshold(t) => {
                write!(f, "the split threshold must be a number; {t} was given")
            }
            SettingsError::LowRiskDomain(d) => {
                write!(f, "the low-risk sensitivity analysis needs a domain (overall, D1 … D4 or a column name); '{d}' was given")
            }
            SettingsError::Bayes(m) => write!(f, "Bayesian model: {m}"),
            SettingsError::Prevalence(p) => write!(
                f,
                "a prevalence of the summary of findings must lie between 0 and 1 (exclusive), at most {MAX_PREVALENCES} of them; {p} was given"
            ),
            SettingsError::IconPeople(n) => {
                write!(f, "the icon array shows 100 or 1000 people; {n} was given")
            }
            SettingsError::NoteTooLong(n) => write!(
                f,
                "a certainty rating or footnote may have at most {MAX_NOTE_CHARS} characters; {n} were given"
            ),
            SettingsError::Figures(m) => write!(f, "figure options: {m}"),
        }
    }
}

impl std::error::Error for SettingsError {}

impl AnalysisSettings {
    /// Check every range; the first problem is returned.
    ///
    /// # Errors
    /// A [`SettingsError`] naming the setting and the value given.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let (lo, hi) = LEVEL_RANGE;
        if !(self.ci_level > lo && self.ci_level < hi) {
            return Err(SettingsError::Level(self.ci_level));
        }
        if !(1..=MAX_NODES as u32).contains(&self.nodes) {
            return Err(SettingsError::Nodes(self.nodes));
        }
        if let Some(p) = self.pretest {
            if !(p > 0.0 && p < 1.0) {
                return Err(SettingsError::Pretest(p));
            }
        }
        let c = self.correction.increment;
        if !(c.is_finite() && c >= 0.0) {
            return Err(SettingsError::CorrectionIncrement(c));
        }
        if let Some(t) = self.split_threshold.filter(|t| !t.is_finite()) {
            return Err(SettingsError::SplitThreshold(t));
        }
        if let Some(d) = self.risk_of_bias.low_risk.as_ref().filter(|d| d.trim().is_empty()) {
            return Err(SettingsError::LowRiskDomain(d.clone()));
        }
        self.bayes.validate()?;
        self.figures.validate()?;
        self.findings.validate()
    }
}

impl FindingsSettings {
    /// Ranges of the summary-of-findings options.
    ///
    /// # Errors
    /// The first prevalence outside (0, 1) (or beyond [`MAX_PREVALENCES`]), an icon count other
    /// than 100 or 1000, a note longer than [`MAX_NOTE_CHARS`].
    pub fn validate(&self) -> Result<(), SettingsError> {
        let inside = |p: f64| p > 0.0 && p < 1.0;
        if let Some(p) = self.prevalences.iter().copied().find(|p| !inside(*p)) {
            return Err(SettingsError::Prevalence(p));
        }
        if self.prevalences.len() > MAX_PREVALENCES {
            return Err(SettingsError::Prevalence(self.prevalences[MAX_PREVALENCES]));
        }
        if let Some(p) = self.chosen.filter(|p| !inside(*p)) {
            return Err(SettingsError::Prevalence(p));
        }
        if let Some(n) = self.icon_people.filter(|n| *n != 100 && *n != 1000) {
            return Err(SettingsError::IconPeople(n));
        }
        if let Some(n) = self
            .certainty
            .iter()
            .chain(&self.footnotes)
            .map(|s| s.chars().count())
            .find(|n| *n > MAX_NOTE_CHARS)
        {
            return Err(SettingsError::NoteTooLong(n));
        }
        Ok(())
    }
}

/// Setting groups added after permalink v1's fixed layout. Each feature keeps its options in one
/// sub-struct of [`AnalysisSettings`] (`#[serde(default)]`, `PartialEq`, `Default` = off); listing
/// the field here carries it in permalinks (their trailing extension section: key = the field's
/// name, value = its JSON) and nowhere else needs to change. Only groups that differ from their
/// default are written, so links of analyses that do not use a feature stay as they were.
macro_rules! setting_groups {
    ($($field:ident),* $(,)?) => {
        impl AnalysisSettings {
            /// `(key, JSON)` of every setting group that differs from its default.
            pub fn extensions(&self) -> Vec<(&'static str, String)> {
                #[allow(unused_variables, unused_mut)]
                let (defaults, mut out) = (AnalysisSettings::default(), Vec::new());
                $(
                    if self.$field != defaults.$field {
                        if let Ok(json) = serde_json::to_string(&self.$field) {
                            out.push((stringify!($field), json));
                        }
                    }
                )*
                out
            }

            /// Set one group from its permalink `(key, JSON)`.
            ///
            /// # Errors
            /// The key is not a group of this version, or the JSON does not describe it.
            #[allow(unused_variables)]
            pub fn apply_extension(&mut self, key: &str, json: &str) -> Result<(), String> {
                #[allow(clippy::match_single_binding)]
                match key {
                    $(
                        stringify!($field) => {
                            self.$field = serde_json::from_str(json)
                                .map_err(|e| format!("the {} settings: {e}", stringify!($field)))?;
                            Ok(())
                        }
                    )*
                    _ => Err(format!(
                        "unknown settings '{key}' (the link may come from a newer version of Fourfold)"
                    )),
                }
            }
        }
    };
}

// Append a field of `AnalysisSettings` here to carry it in permalinks.
setting_groups!(risk_of_bias, bayes, models, findings, comparison, figures);

pub use crate::stats::bayes::latent::ReferencePriors;
pub use crate::stats::bayes::model::{Priors, SdPrior};

/// Which Bayesian model to fit besides the likelihood-based one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BayesModel {
    /// The bivariate model (METHODS §2.1 likelihood) with [`Priors`].
    Bivariate,
    /// The latent-class model for an imperfect reference standard (also [`ReferencePriors`]).
    LatentClass,
}

/// The Bayesian fit: model, priors, sampler and seed (all carried by permalinks, so the same
/// link reproduces the same draws). `Default` = off, MetaBayesDTA's priors, 4 chains × (1000
/// warm-up + 1000 draws), seed 20240601.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BayesSettings {
    /// `None` = no Bayesian fit.
    pub model: Option<BayesModel>,
    pub priors: Priors,
    pub reference: ReferencePriors,
    pub chains: u32,
    pub warmup: u32,
    pub draws: u32,
    pub seed: u64,
    /// Also fit the bivariate model under two alternative priors, side by side.
    pub prior_sensitivity: bool,
}

impl Default for BayesSettings {
    fn default() -> Self {
        let r = crate::stats::bayes::RunConfig::default();
        BayesSettings {
            model: None,
            priors: Priors::default(),
            reference: ReferencePriors::default(),
            chains: r.chains as u32,
            warmup: r.warmup as u32,
            draws: r.draws as u32,
            seed: r.seed,
            prior_sensitivity: false,
        }
    }
}

impl BayesSettings {
    pub fn is_default(&self) -> bool {
        *self == BayesSettings::default()
    }

    /// The sampler's configuration (tree depth 10 and target acceptance 0.9 of
    /// [`crate::stats::bayes::RunConfig::default`]).
    pub fn run_config(&self) -> crate::stats::bayes::RunConfig {
        crate::stats::bayes::RunConfig {
            chains: self.chains as usize,
            warmup: self.warmup as usize,
            draws: self.draws as usize,
            seed: self.seed,
            ..crate::stats::bayes::RunConfig::default()
        }
    }

    /// Sets one prior from its text form (the CLI's `--prior`, repeatable):
    /// `vague` | `default` | `mu_se=M,S` | `mu_sp=M,S` | `tau_se=half-normal:S` | `tau_sp=half-cauchy:S`
    /// | `tau=…` (both SDs) | `lkj=ETA` | `se_ref=M,S` | `sp_ref=M,S` | `prevalence=A,B` (means and SDs on
    /// the logit scale).
    ///
    /// # Errors
    /// A message naming the part that does not parse.
    pub fn set_prior(&mut self, spec: &str) -> Result<(), String> {
        let spec = spec.trim();
        match spec {
            "vague" => {
                self.priors = Priors::vague();
                return Ok(());
            }
            "default" | "metabayesdta" => {
                self.priors = Priors::default();
                return Ok(());
            }
            _ => {}
        }
        let (key, val) =
            spec.split_once('=').ok_or_else(|| format!("--prior '{spec}': expected NAME=VALUE"))?;
        let num = |v: &str| -> Result<f64, String> {
            v.trim().parse::<f64>().map_err(|_| format!("--prior {key}: '{v}' is not a number"))
        };
        let pair = |v: &str| -> Result<(f64, f64), String> {
            let (a, b) =
                v.split_once(',').ok_or_else(|| format!("--prior {key}: expected two numbers A,B"))?;
            Ok((num(a)?, num(b)?))
        };
        let sd = |v: &str| -> Result<SdPrior, String> {
            let (kind, s) = v.split_once(':').unwrap_or(("half-normal", v));
            let scale = num(s)?;
            match kind.trim().to_ascii_lowercase().as_str() {
                "half-normal" | "halfnormal" | "hn" => Ok(SdPrior::HalfNormal { scale }),
                "half-cauchy" | "halfcauchy" | "hc" => Ok(SdPrior::HalfCauchy { scale }),
                k => Err(format!("--prior {key}: unknown SD prior '{k}' (half-normal or half-cauchy)")),
            }
        };
        match key.trim() {
            "mu_se" => self.priors.mu_se = pair(val)?,
            "mu_sp" => self.priors.mu_sp = pair(val)?,
            "tau_se" => self.priors.tau_se = sd(val)?,
            "tau_sp" => self.priors.tau_sp = sd(val)?,
            "tau" => {
                self.priors.tau_se = sd(val)?;
                self.priors.tau_sp = self.priors.tau_se;
            }
            "lkj" => self.priors.lkj_eta = num(val)?,
            "se_ref" => self.reference.se_ref = pair(val)?,
            "sp_ref" => self.reference.sp_ref = pair(val)?,
            "prevalence" => self.reference.prevalence = pair(val)?,
            k => {
                return Err(format!(
                    "--prior: unknown prior '{k}' (mu_se, mu_sp, tau_se, tau_sp, tau, lkj, se_ref, sp_ref, prevalence, vague, default)"
                ))
            }
        }
        Ok(())
    }

    /// # Errors
    /// [`SettingsError::Bayes`] naming the prior or sampler setting (checked only when a model is on).
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.model.is_none() {
            return Ok(());
        }
        let problem = crate::stats::bayes::run_config_problem(&self.run_config())
            .or_else(|| self.priors.problem())
            .or_else(|| {
                if self.model == Some(BayesModel::LatentClass) {
                    self.reference.problem()
                } else {
                    None
                }
            });
        problem.map_or(Ok(()), |m| Err(SettingsError::Bayes(m)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bayes_settings_round_trip_and_ranges() {
        let mut s = AnalysisSettings::default();
        assert!(s.extensions().is_empty());
        s.bayes.model = Some(BayesModel::LatentClass);
        s.bayes.seed = 7;
        s.bayes.priors.tau_se = SdPrior::HalfCauchy { scale: 0.5 };
        s.bayes.reference.se_ref = (1.5, 0.4);
        let ext = s.extensions();
        assert_eq!(ext.len(), 1);
        let mut back = AnalysisSettings::default();
        back.apply_extension(ext[0].0, &ext[0].1).expect("apply");
        assert_eq!(back, s);
        assert_eq!(s.validate(), Ok(()));
        s.bayes.chains = 0;
        assert!(matches!(s.validate(), Err(SettingsError::Bayes(m)) if m.contains("chains")));
        s.bayes.chains = 4;
        s.bayes.priors.mu_se.1 = -1.0;
        assert!(s.validate().expect_err("sd").to_string().contains("logit sensitivity"));
    }

    #[test]
    fn defaults_and_json() {
        let s = AnalysisSettings::default();
        assert_eq!((s.model, s.nodes, s.ci_level), (Method::Aghq, 25, 0.95));
        assert_eq!(s.nodes as usize, DEFAULT_NODES);
        assert_eq!(s.correction.rule, CorrectionRule::Single);
        assert_eq!(
            (s.ci_method, s.region, s.auc_ci),
            (CiMethod::ClopperPearson, RegionKind::F, AucCi::Bootstrap)
        );
        let json = serde_json::to_string(&s).expect("serialise");
        assert!(json.contains("\"ci_method\":\"clopper-pearson\""), "{json}");
        assert!(json.contains("\"region\":\"f\""), "{json}");
        assert!(json.contains("\"model\":\"aghq\""), "{json}");
        let back: AnalysisSettings = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, s);
        // Missing fields take their defaults (autosaves written by earlier versions).
        let partial: AnalysisSettings = serde_json::from_str("{\"model\":\"reitsma\"}").expect("parse");
        assert_eq!(partial, AnalysisSettings { model: Method::Reitsma, ..AnalysisSettings::default() });
        // An autosave of the previous version (mirror enums) reads back the same.
        let old = r#"{"model":"laplace","nodes":9,"ci_level":0.9,"correction":{"rule":"all","increment":0.5},"ci_method":"wilson","region":"chi-square","covariate":null,"split_threshold":null,"cross":null,"pretest":0.3,"excluded":["a"],"auc_ci":"delta"}"#;
        let s: AnalysisSettings = serde_json::from_str(old).expect("old autosave");
        assert_eq!(
            (s.model, s.nodes, s.ci_method, s.region, s.auc_ci),
            (Method::Laplace, 9, CiMethod::Wilson, RegionKind::ChiSquare, AucCi::Delta)
        );
    }

    #[test]
    fn one_text_form_per_choice() {
        assert_eq!("Wilson".parse::<CiMethod>(), Ok(CiMethod::Wilson));
        assert_eq!("cp".parse::<CiMethod>(), Ok(CiMethod::ClopperPearson));
        assert_eq!("REML".parse::<Method>(), Ok(Method::Reitsma));
        assert_eq!("chi2".parse::<RegionKind>(), Ok(RegionKind::ChiSquare));
        assert_eq!("none".parse::<AucCi>(), Ok(AucCi::None));
        for m in Method::ALL {
            assert_eq!(m.to_string().parse::<Method>(), Ok(*m));
            assert_eq!(serde_json::to_string(m).expect("json"), format!("\"{m}\""));
        }
        // serde keeps the names earlier autosaves used ("chi-square"), the CLI's is "chi2".
        assert_eq!(serde_json::to_string(&RegionKind::ChiSquare).expect("json"), "\"chi-square\"");
        let e = "bayes".parse::<Method>().expect_err("unknown");
        assert_eq!(e.to_string(), "unknown model 'bayes' (choose aghq, laplace, reitsma)");
    }

    #[test]
    fn ranges_are_errors_not_clamps() {
        let ok = AnalysisSettings::default();
        assert_eq!(ok.validate(), Ok(()));
        let bad = |f: &dyn Fn(&mut AnalysisSettings)| {
            let mut s = AnalysisSettings::default();
            f(&mut s);
            s.validate().expect_err("out of range")
        };
        assert_eq!(bad(&|s| s.nodes = 0), SettingsError::Nodes(0));
        assert_eq!(bad(&|s| s.nodes = 100), SettingsError::Nodes(100));
        assert_eq!(bad(&|s| s.ci_level = 1.0), SettingsError::Level(1.0));
        assert_eq!(bad(&|s| s.ci_level = 0.3), SettingsError::Level(0.3));
        assert_eq!(bad(&|s| s.pretest = Some(1.2)), SettingsError::Pretest(1.2));
        assert_eq!(
            bad(&|s| s.nodes = 100).to_string(),
            "the number of quadrature points must be between 1 and 41; 100 was given"
        );
        assert_eq!(level_percent(0.95), "95");
        assert_eq!(level_percent(0.9), "90");
        assert_eq!(level_percent(0.995), "99.5");
    }
}
