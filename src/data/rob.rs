//! Risk-of-bias judgements in the table: QUADAS-2 (Whiting et al. 2011) and QUADAS-3 (Whiting et
//! al., *Ann Intern Med* 2026;179(4):548–555) columns, the choice of the studies at low risk in one
//! domain (or overall) for the sensitivity analysis, and the import of a robvis-style table
//! (`Study, D1, D2, D3, D4, Overall[, Weight]`, the layout of robvis's `data_quadas` example,
//! github.com/mcguinlu/robvis `data_raw/data_quadas.csv`) merged into the 2×2 data by study label.
//!
//! Judgement words accepted (case-insensitive): low — `low`, `l`, `+`, `low risk`, `low concern(s)`;
//! high — `high`, `h`, `-`, `−`, `high risk`, `high concern(s)`; the third level — `unclear`, `u`,
//! `?`, `unclear risk`, robvis's `some concerns` and `no information`, and QUADAS-3's
//! `insufficient information` / `II`. QUADAS-3 replaces "unclear" by "insufficient information",
//! renames the domains (participants, index test, target condition, analysis) and is judged per set
//! of accuracy estimates rather than per study: here one row is one set of estimates, so a study
//! reported at two thresholds may carry two different judgements. Pure: no I/O.

use super::error::{DataError, DataErrorKind};
use super::parse::{read_table, RecordRole};
use super::{Covariate, CovariateKind, CovariateValue, Dataset};
use serde::{Deserialize, Serialize};

/// One domain-level (or overall) judgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RobJudgement {
    Low,
    High,
    /// QUADAS-2 "unclear" (robvis "some concerns", "no information"); QUADAS-3 "insufficient
    /// information".
    Unclear,
}

/// The judgement written in a cell, if it is one (see the module docs for the words).
pub fn judgement(s: &str) -> Option<RobJudgement> {
    match s.trim().to_lowercase().as_str() {
        "low" | "l" | "+" | "low risk" | "low concern" | "low concerns" => Some(RobJudgement::Low),
        "high" | "h" | "-" | "−" | "high risk" | "high concern" | "high concerns" => {
            Some(RobJudgement::High)
        }
        "unclear"
        | "u"
        | "?"
        | "unclear risk"
        | "some concerns"
        | "no information"
        | "insufficient information"
        | "ii" => Some(RobJudgement::Unclear),
        _ => None,
    }
}

fn quadas3_word(s: &str) -> bool {
    matches!(s.trim().to_lowercase().as_str(), "insufficient information" | "ii")
}

/// Which tool the judgements follow (it changes the words, not the analysis).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RobTool {
    #[serde(rename = "QUADAS-2")]
    Quadas2,
    #[serde(rename = "QUADAS-3")]
    Quadas3,
}

impl RobTool {
    /// "QUADAS-2" / "QUADAS-3".
    pub fn name(self) -> &'static str {
        match self {
            RobTool::Quadas2 => "QUADAS-2",
            RobTool::Quadas3 => "QUADAS-3",
        }
    }
    /// The word of a judgement in this tool ("unclear" vs "insufficient information").
    pub fn word(self, j: RobJudgement) -> &'static str {
        match (j, self) {
            (RobJudgement::Low, _) => "low",
            (RobJudgement::High, _) => "high",
            (RobJudgement::Unclear, RobTool::Quadas2) => "unclear",
            (RobJudgement::Unclear, RobTool::Quadas3) => "insufficient information",
        }
    }
}

/// The judgement columns of a table, by index into [`Dataset::covariates`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobColumns {
    pub tool: RobTool,
    /// The risk-of-bias domains, in column order (D1 … D4).
    pub domains: Vec<usize>,
    /// Applicability-concern columns (not used for the low-risk selection).
    pub applicability: Vec<usize>,
    /// A column named `Overall` (robvis), when there is one.
    pub overall: Option<usize>,
}

fn is_judgement_column(c: &Covariate) -> bool {
    c.kind == CovariateKind::Categorical
        && c.values.iter().any(|v| matches!(v, CovariateValue::Category(_)))
        && c.values.iter().all(|v| match v {
            CovariateValue::Missing => true,
            CovariateValue::Category(s) => judgement(s).is_some(),
            CovariateValue::Number(_) => false,
        })
}

fn is_overall_name(n: &str) -> bool {
    let n = n.trim().to_lowercase().replace(['_', '-', '.'], " ");
    matches!(n.as_str(), "overall" | "overall rob" | "rob overall" | "overall risk of bias" | "overall risk")
}

fn is_applicability_name(n: &str) -> bool {
    let n = n.to_lowercase();
    n.contains("applic") || n.contains("concern")
}

/// The risk-of-bias columns of `d`: every categorical column whose cells are all judgements. A
/// column named `Overall` is the overall judgement; columns whose name mentions applicability or
/// concerns are applicability; of the rest, with exactly seven columns the last three are taken as
/// applicability (QUADAS-2's usual 4 + 3 layout, as in the traffic-light figure). The tool is
/// QUADAS-3 when a cell says "insufficient information" / "II" or the domains carry QUADAS-3's
/// names (participants, target condition, analysis). `None` without any judgement column.
pub fn rob_columns(d: &Dataset) -> Option<RobColumns> {
    let cols: Vec<usize> =
        (0..d.covariates.len()).filter(|&i| is_judgement_column(&d.covariates[i])).collect();
    if cols.is_empty() {
        return None;
    }
    let name = |i: usize| d.covariates[i].name.as_str();
    let overall = cols.iter().copied().find(|&i| is_overall_name(name(i)));
    let mut applicability: Vec<usize> =
        cols.iter().copied().filter(|&i| Some(i) != overall && is_applicability_name(name(i))).collect();
    let mut domains: Vec<usize> =
        cols.iter().copied().filter(|&i| Some(i) != overall && !applicability.contains(&i)).collect();
    if applicability.is_empty() && domains.len() == 7 {
        applicability = domains.split_off(4);
    }
    let words3 = cols.iter().any(|&i| {
        d.covariates[i].values.iter().any(|v| matches!(v, CovariateValue::Category(s) if quadas3_word(s)))
    });
    let names3 = domains.iter().any(|&i| {
        let n = name(i).to_lowercase();
        n.contains("participant")
            || n.contains("target condition")
            || n.contains("target_condition")
            || n == "analysis"
    });
    let tool = if words3 || names3 { RobTool::Quadas3 } else { RobTool::Quadas2 };
    Some(RobColumns { tool, domains, applicability, overall })
}

/// The studies at low risk of bias in one domain (or overall), for the sensitivity analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LowRiskSelection {
    /// The domain as shown: the column's name, or "overall".
    pub domain: String,
    pub tool: RobTool,
    /// How the selection was made, in words following "studies" ("judged low in D1", "judged low
    /// in every risk-of-bias domain (D1, D2, D3, D4)").
    pub rule: String,
    /// Rows kept (indices into the data set), in table order.
    pub keep: Vec<usize>,
    /// Rows left out with their judgement (`None`: no judgement given, also left out).
    pub left_out: Vec<(usize, Option<RobJudgement>)>,
}

/// The selection for `domain`: `overall` (the `Overall` column when there is one, else low in every
/// risk-of-bias domain — QUADAS-2's and QUADAS-3's rule for an overall low judgement), `D1` … `Dn`
/// (the n-th risk-of-bias domain, unless a column has that name) or a judgement column's name
/// (case-insensitive). A row without a judgement is not at low risk.
///
/// # Errors
/// The table has no judgement columns, or none named `domain` (the message lists the choices).
pub fn low_risk_rows(d: &Dataset, domain: &str) -> Result<LowRiskSelection, String> {
    let cols = rob_columns(d).ok_or_else(|| {
        "the table has no risk-of-bias columns (QUADAS-2 or QUADAS-3 judgements: low / high / unclear)"
            .to_string()
    })?;
    let want = domain.trim();
    let name = |i: usize| d.covariates[i].name.clone();
    let of = |i: usize, row: usize| d.covariates[i].label_of(row).and_then(|s| judgement(&s));
    let k = d.studies.len();
    let (shown, rule, judged): (String, String, Vec<Option<RobJudgement>>) = if want
        .eq_ignore_ascii_case("overall")
    {
        match cols.overall {
            Some(c) => {
                ("overall".into(), format!("judged low in {}", name(c)), (0..k).map(|r| of(c, r)).collect())
            }
            None if !cols.domains.is_empty() => {
                let names: Vec<String> = cols.domains.iter().map(|&c| name(c)).collect();
                let per_row = (0..k)
                    .map(|r| {
                        let js: Vec<Option<RobJudgement>> = cols.domains.iter().map(|&c| of(c, r)).collect();
                        if js.contains(&None) {
                            None
                        } else if js.contains(&Some(RobJudgement::High)) {
                            Some(RobJudgement::High)
                        } else if js.contains(&Some(RobJudgement::Unclear)) {
                            Some(RobJudgement::Unclear)
                        } else {
                            Some(RobJudgement::Low)
                        }
                    })
                    .collect();
                (
                    "overall".into(),
                    format!("judged low in every risk-of-bias domain ({})", names.join(", ")),
                    per_row,
                )
            }
            None => return Err("the table has no risk-of-bias domain columns, only applicability".into()),
        }
    } else {
        let all: Vec<usize> =
            cols.domains.iter().chain(&cols.applicability).chain(&cols.overall).copied().collect();
        let by_name = all.iter().copied().find(|&c| d.covariates[c].name.eq_ignore_ascii_case(want));
        let by_number = want
            .strip_prefix(['D', 'd'])
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| cols.domains.get(n).copied());
        let Some(c) = by_name.or(by_number) else {
            let mut choices: Vec<String> = vec!["overall".into()];
            choices.extend(cols.domains.iter().enumerate().map(|(n, &c)| {
                let nm = name(c);
                if nm.eq_ignore_ascii_case(&format!("D{}", n + 1)) {
                    nm
                } else {
                    format!("D{} ({nm})", n + 1)
                }
            }));
            return Err(format!("no risk-of-bias domain '{want}' (choose {})", choices.join(", ")));
        };
        (name(c), format!("judged low in {}", name(c)), (0..k).map(|r| of(c, r)).collect())
    };
    let keep = (0..k).filter(|&r| judged[r] == Some(RobJudgement::Low)).collect();
    let left_out = (0..k).filter(|&r| judged[r] != Some(RobJudgement::Low)).map(|r| (r, judged[r])).collect();
    Ok(LowRiskSelection { domain: shown, tool: cols.tool, rule, keep, left_out })
}

/// The columns of a robvis QUADAS-2 table, in its order (a `Weight` column may follow; it is
/// ignored: robvis uses it for weighted summary bars only).
pub const ROBVIS_COLUMNS: [&str; 6] = ["Study", "D1", "D2", "D3", "D4", "Overall"];

/// Merge a robvis-style QUADAS-2 table (`Study, D1, D2, D3, D4, Overall`; comma, semicolon or tab
/// separated) into `data` by study label: five categorical columns `D1` … `D4`, `Overall` are
/// appended (replacing columns of those names), each row of the data taking the judgements of its
/// study (rows sharing a label share them). Data rows whose study is not in the table get empty
/// cells.
///
/// # Errors
/// Every problem at once, located by line and column of the robvis table: a missing column, a study
/// label not in the data, a label given twice, or a cell that is not a judgement. Columns
/// `D1` … `Overall` the data already has (an earlier import) are replaced.
pub fn merge_robvis(data: &Dataset, robvis: &str) -> Result<Dataset, Vec<DataError>> {
    use DataErrorKind as K;
    let table = read_table(robvis);
    let Some(header) = table.header() else {
        return Err(vec![DataError::error(K::EmptyInput, "the risk-of-bias table has no header row")]);
    };
    let find = |n: &str| header.cells.iter().position(|c| c.trim().eq_ignore_ascii_case(n));
    let mut errors = Vec::new();
    let mut at = Vec::new();
    for n in ROBVIS_COLUMNS {
        match find(n) {
            Some(i) => at.push(i),
            None => errors.push(
                DataError::error(
                    K::MissingColumn,
                    format!(
                        "the risk-of-bias table has no '{n}' column (robvis's layout: {})",
                        ROBVIS_COLUMNS.join(", ")
                    ),
                )
                .at_line(header.line),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut judged: Vec<Vec<CovariateValue>> = vec![vec![CovariateValue::Missing; data.studies.len()]; 5];
    let mut seen: Vec<(String, usize)> = Vec::new();
    for rec in table.records.iter().filter(|r| r.role == RecordRole::Row) {
        let cell = |i: usize| rec.cells.get(i).map(String::as_str).unwrap_or("").trim();
        let label = cell(at[0]);
        if label.is_empty() {
            errors.push(
                DataError::error(K::MissingValue, "no study label").at_line(rec.line).in_column("Study"),
            );
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(l, _)| l == label) {
            errors.push(
                DataError::error(
                    K::DuplicateLabel,
                    format!("study '{label}' is judged twice (first on line {first})"),
                )
                .at_line(rec.line)
                .in_column("Study"),
            );
            continue;
        }
        seen.push((label.to_string(), rec.line));
        let rows: Vec<usize> = (0..data.studies.len()).filter(|&i| data.studies[i].label == label).collect();
        if rows.is_empty() {
            errors.push(
                DataError::error(K::UnknownStudy, format!("study '{label}' is not in the data"))
                    .at_line(rec.line)
                    .in_column("Study"),
            );
        }
        for (j, &ci) in at[1..].iter().enumerate() {
            let v = cell(ci);
            let value = if v.is_empty() {
                CovariateValue::Missing
            } else if judgement(v).is_some() {
                CovariateValue::Category(v.to_string())
            } else {
                errors.push(
                    DataError::error(
                        K::BadJudgement,
                        format!(
                            "'{v}' is not a judgement (Low, High, Unclear, Some concerns, No information)"
                        ),
                    )
                    .at_line(rec.line)
                    .in_column(ROBVIS_COLUMNS[j + 1]),
                );
                continue;
            };
            for &r in &rows {
                judged[j][r] = value.clone();
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = data.clone();
    // A second import replaces the columns of the first (a corrected table).
    out.covariates.retain(|c| !ROBVIS_COLUMNS[1..].iter().any(|n| c.name.eq_ignore_ascii_case(n)));
    out.cluster = data.cluster.and_then(|i| {
        let name = &data.covariates.get(i)?.name;
        out.covariates.iter().position(|c| &c.name == name)
    });
    for (j, values) in judged.into_iter().enumerate() {
        out.covariates.push(Covariate {
            name: ROBVIS_COLUMNS[j + 1].to_string(),
            kind: CovariateKind::Categorical,
            values,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Study;

    fn cat(name: &str, v: &[&str]) -> Covariate {
        Covariate {
            name: name.into(),
            kind: CovariateKind::Categorical,
            values: v
                .iter()
                .map(|s| {
                    if s.is_empty() {
                        CovariateValue::Missing
                    } else {
                        CovariateValue::Category(s.to_string())
                    }
                })
                .collect(),
        }
    }

    fn data(cols: Vec<Covariate>) -> Dataset {
        let n = cols.first().map_or(0, |c| c.values.len());
        Dataset {
            studies: (0..n).map(|i| Study::new(format!("S{i}"), 10, 2, 3, 20)).collect(),
            covariates: cols,
            cluster: None,
        }
    }

    #[test]
    fn words() {
        for (w, j) in [
            ("Low", RobJudgement::Low),
            ("Some concerns", RobJudgement::Unclear),
            ("No information", RobJudgement::Unclear),
            ("Insufficient information", RobJudgement::Unclear),
            ("II", RobJudgement::Unclear),
            ("HIGH", RobJudgement::High),
        ] {
            assert_eq!(judgement(w), Some(j), "{w}");
        }
        assert_eq!(judgement("moderate"), None);
    }

    #[test]
    fn overall_is_low_in_every_domain_and_missing_is_not_low() {
        let d = data(vec![
            cat("patient_selection", &["low", "low", "high", "low"]),
            cat("index_test", &["low", "unclear", "low", ""]),
            cat("setting", &["a", "b", "a", "b"]),
        ]);
        let c = rob_columns(&d).expect("columns");
        assert_eq!((c.domains.clone(), c.overall, c.tool), (vec![0, 1], None, RobTool::Quadas2));
        let s = low_risk_rows(&d, "overall").expect("overall");
        assert_eq!(s.keep, vec![0]);
        assert_eq!(
            s.left_out,
            vec![(1, Some(RobJudgement::Unclear)), (2, Some(RobJudgement::High)), (3, None)]
        );
        assert_eq!(low_risk_rows(&d, "D1").expect("D1").keep, vec![0, 1, 3]);
        assert_eq!(low_risk_rows(&d, "INDEX_TEST").expect("by name").keep, vec![0, 2]);
        let e = low_risk_rows(&d, "D3").expect_err("no D3");
        assert_eq!(
            e,
            "no risk-of-bias domain 'D3' (choose overall, D1 (patient_selection), D2 (index_test))"
        );
    }

    #[test]
    fn seven_columns_split_four_and_three_and_quadas3_is_recognised() {
        let cols = (0..7).map(|i| cat(&format!("q{i}"), &["low", "high"])).collect();
        let c = rob_columns(&data(cols)).expect("columns");
        assert_eq!((c.domains, c.applicability), (vec![0, 1, 2, 3], vec![4, 5, 6]));
        let d = data(vec![
            cat("Participants", &["low", "insufficient information"]),
            cat("Target condition", &["low", "low"]),
        ]);
        let c = rob_columns(&d).expect("columns");
        assert_eq!(c.tool, RobTool::Quadas3);
        assert_eq!(c.tool.word(RobJudgement::Unclear), "insufficient information");
    }
}
