//! One entry per fitted analysis for the RevMan hand-off (METHODS §18, with the HSROC SEs of §4.4)
//! and for the Meta-DiSc 2.0 dispersion summaries (§5.5): the overall fit first, then each
//! subgroup in table order. [`AnalysisRef`] names the analysis; a per-test variant joins it when
//! the comparative model lands, without changing the entries' shape.

use super::{Analysis, Block};
use crate::stats::bivariate::{Method, Rung};
use crate::stats::dispersion::{dispersion, Dispersion};
use crate::stats::revman::{hsroc_inference, HsrocInference, RevmanParameters};
use serde::{Deserialize, Serialize};

/// Which analysis an entry belongs to (JSON `"analysis": "overall"` or `"subgroup"` + `"level"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "analysis", rename_all = "snake_case")]
pub enum AnalysisRef {
    Overall,
    Subgroup { level: String },
}

/// RevMan's 15 parameters of one fitted analysis, with the HSROC parameters' SEs and CIs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RevmanEntry {
    #[serde(flatten)]
    pub analysis: AnalysisRef,
    pub method: Method,
    pub rung: Rung,
    pub parameters: RevmanParameters,
    /// `None` for REML fits and fallback rungs (no covariance of the variance parameters).
    pub hsroc_inference: Option<HsrocInference>,
}

/// ICC, MOR and prediction-ellipse area of one fitted analysis.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DispersionEntry {
    #[serde(flatten)]
    pub analysis: AnalysisRef,
    #[serde(flatten)]
    pub dispersion: Dispersion,
}

fn blocks(a: &Analysis) -> Vec<(AnalysisRef, &Block)> {
    let mut out = vec![(AnalysisRef::Overall, &a.overall)];
    if let Some(t) = &a.subgroups {
        out.extend(t.levels.iter().map(|s| (AnalysisRef::Subgroup { level: s.level.clone() }, &s.block)));
    }
    out
}

/// The RevMan entries of every analysis with a pooled fit.
pub fn revman_entries(a: &Analysis) -> Vec<RevmanEntry> {
    let level = a.settings.ci_level;
    blocks(a)
        .into_iter()
        .filter_map(|(r, b)| {
            let f = b.fit.as_ref()?;
            Some(RevmanEntry {
                analysis: r,
                method: f.model.method,
                rung: f.model.rung,
                parameters: RevmanParameters::from_fit(f),
                hsroc_inference: hsroc_inference(f, level),
            })
        })
        .collect()
}

/// The dispersion entries of every analysis with a pooled fit.
pub fn dispersion_entries(a: &Analysis) -> Vec<DispersionEntry> {
    let level = a.settings.ci_level;
    blocks(a)
        .into_iter()
        .filter_map(|(r, b)| {
            Some(DispersionEntry { analysis: r, dispersion: dispersion(b.fit.as_ref()?, level) })
        })
        .collect()
}
