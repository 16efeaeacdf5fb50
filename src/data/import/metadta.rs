//! MetaDTA's QUADAS-2 columns (Freeman et al. 2019; CRSU-Apps/MetaDTA `R/data_page.R`): seven
//! columns named `rob_PS`, `rob_IT`, `rob_RS`, `rob_FT` (risk of bias: patient selection, index
//! test, reference standard, flow and timing) and `ac_PS`, `ac_IT`, `ac_RS` (applicability
//! concerns), holding "the numbers 1, 2 or 3 which represent low, high or unclear". Read here as
//! the categorical judgements the QUADAS-2 figures and analyses take (`low`, `high`, `unclear`).

use crate::data::error::{DataError, DataErrorKind};
use crate::data::parse::{ParseOutcome, RecordRole};
use crate::data::{CovariateKind, CovariateValue};

/// MetaDTA's QUADAS-2 column names, in its template's order.
pub const QUADAS_COLUMNS: [&str; 7] = ["rob_PS", "rob_IT", "rob_RS", "rob_FT", "ac_PS", "ac_IT", "ac_RS"];

/// MetaDTA's codes.
fn judgement(x: f64) -> Option<&'static str> {
    match x {
        1.0 => Some("low"),
        2.0 => Some("high"),
        3.0 => Some("unclear"),
        _ => None,
    }
}

/// Recode MetaDTA's numeric QUADAS-2 columns when all seven are present (MetaDTA requires all
/// seven together). A value other than 1, 2, 3 is a warning at its line and column and is read as
/// missing; the study stays in.
pub fn adapt(out: &mut ParseOutcome) {
    let d = &mut out.dataset;
    let idx: Vec<Option<usize>> =
        QUADAS_COLUMNS.iter().map(|n| d.covariates.iter().position(|c| c.name == *n)).collect();
    if idx.iter().any(Option::is_none) {
        return;
    }
    let mut recoded = 0;
    for i in idx.into_iter().flatten() {
        let Some(c) = d.covariates.get_mut(i) else { continue };
        if c.kind != CovariateKind::Numeric {
            continue;
        }
        for (row, v) in c.values.iter_mut().enumerate() {
            if let CovariateValue::Number(x) = *v {
                *v = match judgement(x) {
                    Some(j) => CovariateValue::Category(j.to_string()),
                    None => {
                        let mut e = DataError::warning(
                            DataErrorKind::UnknownCode,
                            format!("{x} is not a MetaDTA QUADAS-2 code (1 = low, 2 = high, 3 = unclear); read as missing"),
                        )
                        .in_column(c.name.clone());
                        if let Some(&line) = out.row_lines.get(row) {
                            e = e.at_line(line);
                        }
                        out.warnings.push(e);
                        CovariateValue::Missing
                    }
                };
            }
        }
        c.kind = CovariateKind::Categorical;
        recoded += 1;
    }
    if recoded > 0 && out.table.records.iter().any(|r| r.role == RecordRole::Header) {
        out.notes.push(format!(
            "MetaDTA layout: {recoded} QUADAS-2 column(s) read as 1 = low, 2 = high, 3 = unclear"
        ));
    }
}
