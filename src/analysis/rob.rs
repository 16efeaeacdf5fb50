//! Risk of bias in the analysis (issue #15): the sensitivity analysis restricted to the studies
//! at low risk of bias in one QUADAS-2 / QUADAS-3 domain, or overall. It is [`super::run`] on the
//! subset of rows (`crate::data::rob::low_risk_rows` chooses them), with the same settings except
//! the grouping, the leave-one-out analyses and this option itself, so its overall block is
//! exactly what the analysis of the hand-filtered table reports. Pure.

use super::{run, AnalysisConfig, Block};
use crate::data::rob::{low_risk_rows, RobJudgement, RobTool};
use crate::data::Dataset;
use crate::settings::RiskOfBiasSettings;
use serde::{Deserialize, Serialize};

/// A row left out of the low-risk analysis, with its judgement (`None`: no judgement given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LowRiskLeftOut {
    pub label: String,
    pub judgement: Option<RobJudgement>,
}

/// The analysis of the studies at low risk of bias in one domain, beside the main result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LowRiskAnalysis {
    /// The domain as asked for ("D1", "overall", a column name).
    pub requested: String,
    /// The domain as found in the table ("overall" or the column's name); empty when not found.
    pub domain: String,
    pub tool: Option<RobTool>,
    /// How the studies were chosen, in words.
    pub rule: String,
    /// Rows analysed / rows of the main analysis.
    pub k: usize,
    pub k_all: usize,
    /// Labels of the rows analysed.
    pub studies: Vec<String>,
    pub left_out: Vec<LowRiskLeftOut>,
    /// The analysis of those rows (`None` with [`LowRiskAnalysis::error`]).
    pub result: Option<Box<Block>>,
    /// Why there is no analysis: the domain is not in the table, or no study is at low risk.
    pub error: Option<String>,
}

/// The configuration of the restricted run: `cfg` without grouping, leave-one-out and this option.
pub(super) fn restricted(cfg: &AnalysisConfig) -> AnalysisConfig {
    let mut settings = cfg.settings.clone();
    settings.covariate = None;
    settings.split_threshold = None;
    settings.cross = None;
    settings.leave_one_out = false;
    settings.excluded.clear();
    settings.risk_of_bias = RiskOfBiasSettings::default();
    AnalysisConfig { settings, ..cfg.clone() }
}

/// The low-risk analysis of `data` (the rows the main analysis uses) in `domain`. Never fails:
/// a domain the table does not have, or a domain in which no study is at low risk, is reported in
/// [`LowRiskAnalysis::error`].
pub fn low_risk_analysis(data: &Dataset, cfg: &AnalysisConfig, domain: &str) -> LowRiskAnalysis {
    let k_all = data.studies.len();
    let mut out = LowRiskAnalysis {
        requested: domain.to_string(),
        domain: String::new(),
        tool: None,
        rule: String::new(),
        k: 0,
        k_all,
        studies: Vec::new(),
        left_out: Vec::new(),
        result: None,
        error: None,
    };
    let sel = match low_risk_rows(data, domain) {
        Ok(s) => s,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    out.domain = sel.domain.clone();
    out.tool = Some(sel.tool);
    out.rule = sel.rule.clone();
    out.k = sel.keep.len();
    out.studies = sel.keep.iter().map(|&i| data.studies[i].label.clone()).collect();
    out.left_out = sel
        .left_out
        .iter()
        .map(|&(i, j)| LowRiskLeftOut { label: data.studies[i].label.clone(), judgement: j })
        .collect();
    if sel.keep.is_empty() {
        out.error = Some(format!("no study is {}", sel.rule));
        return out;
    }
    match run(&data.subset(&sel.keep), &restricted(cfg)) {
        Ok(a) => out.result = Some(Box::new(a.overall)),
        Err(e) => out.error = Some(e.to_string()),
    }
    out
}
