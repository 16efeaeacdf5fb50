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
    /// Comparing index tests (METHODS §15; `--test COLUMN --paired-only`). Left out of the JSON
    /// while off, so the settings block of analyses without a comparison is as before.
    #[serde(skip_serializing_if = "ComparisonSettings::is_off")]
    pub comparison: ComparisonSettings,
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
            comparison: ComparisonSettings::default(),
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
}

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
setting_groups!(comparison);

#[cfg(test)]
mod tests {
    use super::*;

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
