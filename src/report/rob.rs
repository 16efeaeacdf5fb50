//! Risk of bias in the analysis, in words (issue #15): the low-risk sensitivity analysis beside
//! the main result (a table for the page and the CLI, and the sentences under it), and the names
//! of the domains a user can choose. Computes nothing.

use super::doc::{Line, Row, Table, Tone};
use super::results::{summary_cells, summary_headers, SUMMARY_KEYS};
use super::summary_row;
use crate::analysis::Analysis;
use crate::data::rob::{rob_columns, RobJudgement, RobTool};
use crate::data::Dataset;

/// The domains offered for the low-risk analysis: `(value, label)`, "overall" first, then each
/// risk-of-bias domain (`D1 — patient_selection`). Empty without judgement columns.
pub fn low_risk_choices(d: &Dataset) -> Vec<(String, String)> {
    let Some(c) = rob_columns(d) else { return Vec::new() };
    let mut out = vec![("overall".to_string(), format!("overall ({})", c.tool.name()))];
    for (n, &i) in c.domains.iter().enumerate() {
        let name = &d.covariates[i].name;
        let tag = format!("D{}", n + 1);
        let label = if name.eq_ignore_ascii_case(&tag) { tag.clone() } else { format!("{tag} — {name}") };
        out.push((tag, label));
    }
    out
}

/// The table beside the main result: the main analysis, then the analysis of the studies at low
/// risk of bias (`None` when it was not asked for). Same columns as the summary table.
pub fn low_risk_table(a: &Analysis) -> Option<Table> {
    let lr = a.low_risk.as_ref()?;
    let mut rows = vec![Row::new(summary_cells(&summary_row("All studies", &a.overall)))];
    if let Some(b) = &lr.result {
        let label = if lr.domain == "overall" {
            "Low risk of bias overall".to_string()
        } else {
            format!("Low risk of bias in {}", lr.domain)
        };
        rows.push(Row::new(summary_cells(&summary_row(&label, b))));
    }
    Some(Table { headers: summary_headers(a.settings.ci_level), keys: SUMMARY_KEYS.to_vec(), rows })
}

/// The sentences under the table: the rule, how many studies were left out and why, or why
/// there is no restricted analysis.
pub fn low_risk_lines(a: &Analysis) -> Vec<Line> {
    let Some(lr) = a.low_risk.as_ref() else { return Vec::new() };
    let mut out = Vec::new();
    let tool = lr.tool.unwrap_or(RobTool::Quadas2);
    if !lr.rule.is_empty() {
        out.push(Line::text(
            Tone::Normal,
            format!(
                "Sensitivity analysis by risk of bias ({}): {} of {} studies {}.",
                tool.name(),
                lr.k,
                lr.k_all,
                lr.rule
            ),
        ));
    }
    if !lr.left_out.is_empty() {
        let count = |j: Option<RobJudgement>| lr.left_out.iter().filter(|l| l.judgement == j).count();
        let mut parts = Vec::new();
        for (j, w) in [
            (Some(RobJudgement::High), tool.word(RobJudgement::High)),
            (Some(RobJudgement::Unclear), tool.word(RobJudgement::Unclear)),
            (None, "no judgement"),
        ] {
            let n = count(j);
            if n > 0 {
                parts.push(if j.is_some() { format!("{n} {w}") } else { format!("{n} with {w}") });
            }
        }
        let labels: Vec<&str> = lr.left_out.iter().map(|l| l.label.as_str()).collect();
        out.push(Line::text(
            Tone::Normal,
            format!("Left out: {} ({}).", parts.join(", "), labels.join(", ")),
        ));
    }
    if let Some(e) = &lr.error {
        out.push(Line::text(Tone::Warn, format!("No low-risk analysis: {e}.")));
    } else if let Some(b) = &lr.result {
        if b.fit.is_none() {
            let why = b.fit_error.as_ref().map_or_else(String::new, |e| format!(": {e}"));
            out.push(Line::text(Tone::Warn, format!("The studies at low risk could not be pooled{why}.")));
        }
    }
    out
}

/// The low-risk analysis as plain text for the CLI report (empty when not asked for).
pub fn low_risk_text(a: &Analysis) -> String {
    let Some(t) = low_risk_table(a) else { return String::new() };
    let mut out = String::from("\nRisk of bias: analysis restricted to the studies at low risk\n");
    out.push_str(&t.to_text());
    for l in low_risk_lines(a) {
        let mark = if l.tone == Tone::Warn { "! " } else { "" };
        out.push_str(&format!("{mark}{}\n", l.plain()));
    }
    out
}
