//! Analysis settings: everything the user can choose, with documented defaults, as one plain
//! data struct (serialisable; stored in permalinks by [`crate::data::permalink`]).

use crate::data::correction::Correction;
use serde::{Deserialize, Serialize};

/// Which likelihood the bivariate model is fitted with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    /// Exact binomial GLMM by adaptive Gauss–Hermite quadrature (METHODS §2.6). Default.
    #[default]
    Aghq,
    /// Binomial GLMM by the Laplace approximation (METHODS §2.5; = lme4 `nAGQ = 1`).
    Laplace,
    /// Reitsma bivariate normal model by REML (METHODS §3; = mada `reitsma`).
    Reitsma,
}

/// Per-study confidence intervals for proportions (METHODS §1.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CiMethod {
    /// Exact interval (midas, MetaDTA). Default.
    #[default]
    ClopperPearson,
    /// Wilson score interval (mada `madad`).
    Wilson,
}

impl CiMethod {
    pub fn name(self) -> &'static str {
        match self {
            CiMethod::ClopperPearson => "clopper-pearson",
            CiMethod::Wilson => "wilson",
        }
    }
    pub fn from_name(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "clopper-pearson" | "clopperpearson" | "exact" | "cp" => Some(CiMethod::ClopperPearson),
            "wilson" => Some(CiMethod::Wilson),
            _ => None,
        }
    }
}

/// Quantile used for the confidence/prediction regions (METHODS §4.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegionKind {
    /// `2·F(2, k−2)` quantile (metandi, midas). Default.
    #[default]
    F,
    /// χ²₂ quantile (mada).
    ChiSquare,
}

/// Confidence interval for the area under the SROC curve (METHODS §4.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AucCi {
    /// Parametric bootstrap from the fitted parameters. Default.
    #[default]
    Bootstrap,
    /// Delta method.
    Delta,
}

/// Every user choice of one analysis. `Default` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisSettings {
    /// Default [`Model::Aghq`].
    pub model: Model,
    /// Quadrature nodes per dimension for AGHQ (default [`crate::stats::bivariate::DEFAULT_NODES`]).
    pub nodes: u32,
    /// Confidence level, default 0.95.
    pub ci_level: f64,
    /// Continuity correction for two-step quantities (default `single`, 0.5; METHODS §1.3).
    pub correction: Correction,
    /// Per-study CI method (default Clopper–Pearson).
    pub ci_method: CiMethod,
    /// Region quantile (default F).
    pub region: RegionKind,
    /// Covariate for subgroup analysis / meta-regression (METHODS §9), by column name.
    pub covariate: Option<String>,
    /// Split a numeric covariate at this value (≤ threshold vs > threshold).
    pub split_threshold: Option<f64>,
    /// Two covariates crossed into one grouping.
    pub cross: Option<(String, String)>,
    /// Pre-test probability for Fagan / post-test displays (METHODS §8).
    pub pretest: Option<f64>,
    /// Study labels excluded from the analysis.
    pub excluded: Vec<String>,
    /// AUC interval method (default bootstrap).
    pub auc_ci: AucCi,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            model: Model::Aghq,
            nodes: crate::stats::bivariate::DEFAULT_NODES as u32,
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::correction::CorrectionRule;

    #[test]
    fn defaults_and_json() {
        let s = AnalysisSettings::default();
        assert_eq!((s.model, s.nodes, s.ci_level), (Model::Aghq, 25, 0.95));
        assert_eq!(s.nodes as usize, crate::stats::bivariate::DEFAULT_NODES);
        assert_eq!(s.correction.rule, CorrectionRule::Single);
        assert_eq!(
            (s.ci_method, s.region, s.auc_ci),
            (CiMethod::ClopperPearson, RegionKind::F, AucCi::Bootstrap)
        );
        let json = serde_json::to_string(&s).expect("serialise");
        assert!(json.contains("\"ci_method\":\"clopper-pearson\""), "{json}");
        assert!(json.contains("\"region\":\"f\""), "{json}");
        let back: AnalysisSettings = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, s);
        // Missing fields take their defaults.
        let partial: AnalysisSettings = serde_json::from_str("{\"model\":\"reitsma\"}").expect("parse");
        assert_eq!(partial, AnalysisSettings { model: Model::Reitsma, ..AnalysisSettings::default() });
        assert_eq!(CiMethod::from_name("Wilson"), Some(CiMethod::Wilson));
    }
}
