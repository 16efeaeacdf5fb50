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
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

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

struct Writer<'a> {
    ws: &'a mut Worksheet,
    row: u32,
    bold: Format,
}

impl Writer<'_> {
    /// A numeric-looking cell (after column 0, which holds labels) as a number, else as text.
    fn cell(&mut self, col: u16, text: &str, value: Option<f64>, bold: bool) -> Result<(), XlsxError> {
        if text.is_empty() && value.is_none() {
            return Ok(());
        }
        match value {
            Some(v) if v.is_finite() => {
                self.ws.write_number(self.row, col, v)?;
            }
            _ if bold => {
                self.ws.write_string_with_format(self.row, col, text, &self.bold)?;
            }
            _ => {
                self.ws.write_string(self.row, col, text)?;
            }
        }
        Ok(())
    }

    /// CSV text (header + rows) from `report::export`, header in bold.
    fn csv(&mut self, text: &str) -> Result<(), XlsxError> {
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        for (i, rec) in rdr.records().enumerate() {
            let Ok(rec) = rec else { continue };
            for (j, c) in rec.iter().enumerate() {
                let num = if i == 0 || j == 0 { None } else { c.parse::<f64>().ok() };
                self.cell(j as u16, c, num, i == 0)?;
            }
            self.row += 1;
        }
        Ok(())
    }

    /// A report table: headers in bold, numbers as their full-precision values.
    fn table(&mut self, title: Option<&str>, t: &Table) -> Result<(), XlsxError> {
        if let Some(title) = title {
            self.cell(0, title, None, true)?;
            self.row += 1;
        }
        for (j, h) in t.headers.iter().enumerate() {
            self.cell(j as u16, h, None, true)?;
        }
        self.row += 1;
        for r in &t.rows {
            for (j, c) in r.cells.iter().enumerate() {
                self.cell(j as u16, &c.text, if j == 0 { None } else { c.value }, false)?;
            }
            self.row += 1;
        }
        self.row += 1;
        Ok(())
    }

    fn text(&mut self, s: &str) -> Result<(), XlsxError> {
        self.cell(0, s, None, false)?;
        self.row += 1;
        Ok(())
    }
}

fn sheet<'a>(wb: &'a mut Workbook, name: &str) -> Result<Writer<'a>, XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    ws.set_column_width(0, 24)?;
    Ok(Writer { ws, row: 0, bold: Format::new().set_bold() })
}

/// The workbook as bytes. `loo` are the leave-one-out rows (the page computes them after the
/// analysis; the CLI passes `analysis.influence`'s).
///
/// # Errors
/// The writer's message when a sheet cannot be written (not expected for valid analyses).
pub fn workbook(a: &Analysis, loo: &[LooRow]) -> Result<Vec<u8>, String> {
    build(a, loo).map_err(|e| format!("the Excel workbook could not be written: {e}"))
}

fn build(a: &Analysis, loo: &[LooRow]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    sheet(&mut wb, SHEETS[0])?.csv(&summary_csv(a))?;
    sheet(&mut wb, SHEETS[1])?.csv(&studies_csv(&a.overall))?;
    if let Some(t) = metareg_table(a) {
        let mut w = sheet(&mut wb, SHEETS[2])?;
        w.table(Some("Likelihood-ratio tests"), &t)?;
        if let Some(t) = metareg_levels(a) {
            w.table(Some("Estimates per level"), &t)?;
        }
        if let Some(t) = metareg_coefficients(a) {
            w.table(Some("Coefficients"), &t)?;
        }
    }
    if !loo.is_empty() {
        sheet(&mut wb, SHEETS[3])?.csv(&loo_csv(loo))?;
    }
    if let Some(t) = revman_table(a) {
        let mut w = sheet(&mut wb, SHEETS[4])?;
        w.table(Some("Externally calculated parameters, in the order of RevMan's SROC dialog"), &t)?;
        if let Some(t) = hsroc_inference_table(a) {
            w.table(Some("HSROC parameters, delta-method standard errors"), &t)?;
        }
        sheet(&mut wb, SHEETS[5])?.csv(&revman_csv(a))?;
    }
    if let Some(t) = dispersion_table(a) {
        let mut w = sheet(&mut wb, SHEETS[6])?;
        w.table(None, &t)?;
        w.text(DISPERSION_NOTE)?;
    }
    wb.save_to_buffer()
}
