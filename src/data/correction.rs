//! Continuity correction (METHODS §1.3) — the one place where an increment is added to cells.

use super::Study;
use serde::{Deserialize, Serialize};

/// Which rows receive the increment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionRule {
    /// Rows with at least one zero cell get `c` added to all four cells (midas 2.x, Deeks 2005). Default.
    #[default]
    Single,
    /// Every row gets `c` added to all four cells if any cell of any row is zero (mada default).
    All,
    /// No correction (GLMM; midas 3.x `pubbias`).
    None,
}

crate::impl_choice!(CorrectionRule, "continuity correction", [Single => "single", All => "all", None => "none"]);

/// A continuity-correction policy: rule and increment (default `single`, 0.5).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub rule: CorrectionRule,
    pub increment: f64,
}

impl Default for Correction {
    fn default() -> Self {
        Correction { rule: CorrectionRule::Single, increment: 0.5 }
    }
}

/// Counts after the correction, as reals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CorrectedCounts {
    pub tp: f64,
    pub fp: f64,
    pub fn_: f64,
    pub tn: f64,
    /// Whether the increment was added to this row.
    pub corrected: bool,
}

impl CorrectedCounts {
    pub fn n_diseased(&self) -> f64 {
        self.tp + self.fn_
    }
    pub fn n_healthy(&self) -> f64 {
        self.fp + self.tn
    }
    /// `logit Se' = ln(TP'/FN')` (METHODS §1.4).
    pub fn logit_sens(&self) -> f64 {
        (self.tp / self.fn_).ln()
    }
    /// `1/TP' + 1/FN'`.
    pub fn var_logit_sens(&self) -> f64 {
        1.0 / self.tp + 1.0 / self.fn_
    }
    /// `logit Sp' = ln(TN'/FP')`.
    pub fn logit_spec(&self) -> f64 {
        (self.tn / self.fp).ln()
    }
    /// `1/TN' + 1/FP'`.
    pub fn var_logit_spec(&self) -> f64 {
        1.0 / self.tn + 1.0 / self.fp
    }
    /// `ln DOR' = ln(TP'·TN'/(FP'·FN'))`.
    pub fn log_dor(&self) -> f64 {
        (self.tp * self.tn / (self.fp * self.fn_)).ln()
    }
    /// `√(1/TP'+1/FP'+1/FN'+1/TN')`.
    pub fn se_log_dor(&self) -> f64 {
        (1.0 / self.tp + 1.0 / self.fp + 1.0 / self.fn_ + 1.0 / self.tn).sqrt()
    }
}

impl Correction {
    pub fn new(rule: CorrectionRule, increment: f64) -> Self {
        Correction { rule, increment }
    }
    /// Apply the policy to every row of `studies`.
    ///
    /// # Formula
    /// METHODS §1.3: `single` adds `c` to all cells of rows with a zero; `all` adds `c` to every row
    /// when any row has a zero; `none` adds nothing.
    pub fn apply(&self, studies: &[Study]) -> Vec<CorrectedCounts> {
        let any_zero = studies.iter().any(Study::has_zero_cell);
        studies
            .iter()
            .map(|s| {
                let add = match self.rule {
                    CorrectionRule::Single => s.has_zero_cell(),
                    CorrectionRule::All => any_zero,
                    CorrectionRule::None => false,
                };
                let c = if add { self.increment } else { 0.0 };
                CorrectedCounts {
                    tp: s.tp as f64 + c,
                    fp: s.fp as f64 + c,
                    fn_: s.fn_ as f64 + c,
                    tn: s.tn as f64 + c,
                    corrected: add,
                }
            })
            .collect()
    }
}
