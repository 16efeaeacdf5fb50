//! Every table of an analysis as one Excel workbook (`.xlsx`, written by rust_xlsxwriter): the
//! summary (overall and subgroup rows), the per-study table, meta-regression, leave-one-out, the
//! RevMan parameters with the HSROC SEs, and the between-study spread. The sheets hold the same
//! columns and full-precision numbers as the CSV exports (numbers as numbers, so Excel computes
//! with them); nothing is computed here.

use super::doc::Table;
use super::export::{loo_csv, studies_csv, summary_csv};
use super::results::{metareg_coefficients, metareg_levels, metareg_table};
use super::revman::{dispersion_table, hsroc_inference_table, revman_csv, revman_table, DISPERSION_NOTE};
use crate::analysis::Analysis;
use crate::stats::influence::LooRow;
use serde::{Deserialize, Serialize};

/// The sheet names, in workbook order (a sheet without content is left out).
pub const SHEETS: [&str; 7] = [
    "Summary",
    "Studies",
    "Meta-regression",
    "Leave-one-out",
    "RevMan parameters",
    "RevMan (long, with SEs)",
    "Between-study spread",
];

/// One cell of a sheet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum XCell {
    Empty,
    Text(String),
    /// A header or title (bold).
    Head(String),
    Number(f64),
}

/// One sheet: its name and rows of cells. What [`write`] turns into a workbook; plain data, so
/// the page can hand it to the worker module that holds the writer (`src/bin/sheets.rs`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<XCell>>,
}

impl Sheet {
    fn new(name: &str) -> Sheet {
        Sheet { name: name.to_string(), rows: Vec::new() }
    }

    /// CSV text (header + rows) from `report::export`: header in bold, numbers (after column 0,
    /// which holds labels) as numbers.
    fn csv(mut self, text: &str) -> Sheet {
        let mut rdr =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        for (i, rec) in rdr.records().enumerate() {
            let Ok(rec) = rec else { continue };
            let row = rec
                .iter()
                .enumerate()
                .map(|(j, c)| match (i, j, c.parse::<f64>()) {
                    (_, _, _) if c.is_empty() => XCell::Empty,
                    (0, _, _) => XCell::Head(c.to_string()),
                    (_, j, Ok(v)) if j > 0 && v.is_finite() => XCell::Number(v),
                    _ => XCell::Text(c.to_string()),
                })
                .collect();
            self.rows.push(row);
        }
        self
    }

    /// A report table: an optional title, headers in bold, numbers as their full-precision values,
    /// then a blank row.
    fn table(mut self, title: Option<&str>, t: &Table) -> Sheet {
        if let Some(title) = title {
            self.rows.push(vec![XCell::Head(title.to_string())]);
        }
        self.rows.push(t.headers.iter().map(|h| XCell::Head(h.clone())).collect());
        for r in &t.rows {
            self.rows.push(
                r.cells
                    .iter()
                    .enumerate()
                    .map(|(j, c)| match c.value {
                        Some(v) if j > 0 && v.is_finite() => XCell::Number(v),
                        _ if c.text.is_empty() => XCell::Empty,
                        _ => XCell::Text(c.text.clone()),
                    })
                    .collect(),
            );
        }
        self.rows.push(Vec::new());
        self
    }

    fn text(mut self, s: &str) -> Sheet {
        self.rows.push(vec![XCell::Text(s.to_string())]);
        self
    }
}

/// Every table of the analysis as sheets. `loo` are the leave-one-out rows (the page computes
/// them after the analysis; the CLI passes `analysis.influence`'s).
pub fn sheets(a: &Analysis, loo: &[LooRow]) -> Vec<Sheet> {
    let mut out =
        vec![Sheet::new(SHEETS[0]).csv(&summary_csv(a)), Sheet::new(SHEETS[1]).csv(&studies_csv(&a.overall))];
    if let Some(t) = metareg_table(a) {
        let mut s = Sheet::new(SHEETS[2]).table(Some("Likelihood-ratio tests"), &t);
        if let Some(t) = metareg_levels(a) {
            s = s.table(Some("Estimates per level"), &t);
        }
        if let Some(t) = metareg_coefficients(a) {
            s = s.table(Some("Coefficients"), &t);
        }
        out.push(s);
    }
    if !loo.is_empty() {
        out.push(Sheet::new(SHEETS[3]).csv(&loo_csv(loo)));
    }
    if let Some(t) = revman_table(a) {
        let mut s = Sheet::new(SHEETS[4])
            .table(Some("Externally calculated parameters, in the order of RevMan's SROC dialog"), &t);
        if let Some(t) = hsroc_inference_table(a) {
            s = s.table(Some("HSROC parameters, delta-method standard errors"), &t);
        }
        out.push(s);
        out.push(Sheet::new(SHEETS[5]).csv(&revman_csv(a)));
    }
    if let Some(t) = dispersion_table(a) {
        out.push(Sheet::new(SHEETS[6]).table(None, &t).text(DISPERSION_NOTE));
    }
    out
}

/// The sheets as `.xlsx` bytes (rust_xlsxwriter).
///
/// # Errors
/// The writer's message when a sheet cannot be written (e.g. an invalid sheet name).
#[cfg(feature = "xlsx")]
pub fn write(sheets: &[Sheet]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook, XlsxError};
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        for s in sheets {
            let ws = wb.add_worksheet();
            ws.set_name(&s.name)?;
            ws.set_column_width(0, 24)?;
            for (i, row) in s.rows.iter().enumerate() {
                let r = u32::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)?;
                for (j, c) in row.iter().enumerate() {
                    let col = u16::try_from(j).map_err(|_| XlsxError::RowColumnLimitError)?;
                    match c {
                        XCell::Empty => {}
                        XCell::Text(t) => {
                            ws.write_string(r, col, t)?;
                        }
                        XCell::Head(t) => {
                            ws.write_string_with_format(r, col, t, &bold)?;
                        }
                        XCell::Number(v) => {
                            ws.write_number(r, col, *v)?;
                        }
                    }
                }
            }
        }
        wb.save_to_buffer()
    };
    build().map_err(|e| format!("the Excel workbook could not be written: {e}"))
}

/// [`sheets`] written by [`write`].
///
/// # Errors
/// As [`write`].
#[cfg(feature = "xlsx")]
pub fn workbook(a: &Analysis, loo: &[LooRow]) -> Result<Vec<u8>, String> {
    write(&sheets(a, loo))
}
