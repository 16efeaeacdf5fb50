//! The editable grid of the page: the user's text split into cells (keeping each record's line
//! number, so that parse errors can be pinned on a cell) and written back after an edit. Also
//! [`dataset_to_text`], which turns a decoded permalink back into a table the user can edit.
//! Pure string handling; never panics.

use crate::data::{CovariateValue, Dataset};

/// One record of the text: its 1-based starting line and its cells (trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GridRow {
    pub line: usize,
    pub cells: Vec<String>,
}

/// The text as a grid: delimiter, and the records in order (the first is normally the header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    pub delimiter: u8,
    pub rows: Vec<GridRow>,
}

/// Guess the delimiter the way a spreadsheet paste looks: tab if the first non-empty line has
/// one, else semicolon when it has more semicolons than commas, else comma.
pub fn sniff(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.contains('\t') {
        b'\t'
    } else if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    }
}

/// 1-based line of byte offset `byte` (line breaks at `byte` itself are skipped first).
fn line_at(text: &str, byte: usize) -> usize {
    let b = text.as_bytes();
    let mut i = byte.min(b.len());
    while i < b.len() && (b[i] == b'\n' || b[i] == b'\r') {
        i += 1;
    }
    let head = &b[..i];
    let lf = head.iter().filter(|&&c| c == b'\n').count();
    let lone_cr = head.windows(2).filter(|w| w[0] == b'\r' && w[1] != b'\n').count()
        + usize::from(head.last() == Some(&b'\r'));
    1 + lf + lone_cr
}

/// Split `text` into a grid. Blank lines and `#` comment lines are not rows.
pub fn split(text: &str) -> Grid {
    let delimiter = sniff(text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut failures = 0;
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {
                let byte = record.position().map_or(0, |p| p.byte() as usize);
                let mut cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
                while cells.last().is_some_and(|c| c.is_empty()) {
                    cells.pop();
                }
                let blank = cells.is_empty();
                let comment = cells.first().is_some_and(|c| c.starts_with('#'));
                if !blank && !comment {
                    rows.push(GridRow { line: line_at(text, byte), cells });
                }
            }
            Ok(false) => break,
            Err(_) => {
                failures += 1;
                if failures > 16 {
                    break;
                }
            }
        }
    }
    Grid { delimiter, rows }
}

/// Quote a cell when it needs it (delimiter, quote, line break or surrounding space).
fn quote(cell: &str, delimiter: u8) -> String {
    let d = delimiter as char;
    if cell.contains(d) || cell.contains('"') || cell.contains('\n') || cell.contains('\r') {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// Write cells back as text, one record per line.
pub fn join(delimiter: u8, rows: &[Vec<String>]) -> String {
    let sep = (delimiter as char).to_string();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| quote(c, delimiter)).collect();
        out.push_str(&cells.join(&sep));
        out.push('\n');
    }
    out
}

impl Grid {
    /// The grid as text (see [`join`]).
    pub fn to_text(&self) -> String {
        let rows: Vec<Vec<String>> = self.rows.iter().map(|r| r.cells.clone()).collect();
        join(self.delimiter, &rows)
    }
    /// The number of columns of the widest row.
    pub fn width(&self) -> usize {
        self.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0)
    }
    /// Set cell `(row, col)`, padding the row with empty cells when needed.
    pub fn set(&mut self, row: usize, col: usize, value: &str) {
        if let Some(r) = self.rows.get_mut(row) {
            while r.cells.len() <= col {
                r.cells.push(String::new());
            }
            if let Some(c) = r.cells.get_mut(col) {
                *c = value.trim().to_string();
            }
        }
    }
}

/// A data set as comma-separated text with a header: `study,TP,FP,FN,TN,<covariates…>`.
pub fn dataset_to_text(d: &Dataset) -> String {
    let mut rows = Vec::with_capacity(d.studies.len() + 1);
    let mut header: Vec<String> = ["study", "TP", "FP", "FN", "TN"].iter().map(|s| s.to_string()).collect();
    header.extend(d.covariates.iter().map(|c| c.name.clone()));
    rows.push(header);
    for (i, s) in d.studies.iter().enumerate() {
        let mut r =
            vec![s.label.clone(), s.tp.to_string(), s.fp.to_string(), s.fn_.to_string(), s.tn.to_string()];
        for c in &d.covariates {
            r.push(match c.values.get(i) {
                Some(CovariateValue::Category(v)) => v.clone(),
                Some(CovariateValue::Number(x)) => format!("{x}"),
                _ => String::new(),
            });
        }
        rows.push(r);
    }
    join(b',', &rows)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn split_keeps_lines_and_quotes() {
        let text = "study\tTP\tFP\tFN\tTN\r\n\r\n\"A\tB\"\t1\t2\t3\t4\r\nC\t5\t6\t7\t8\t\t\r\n";
        let g = split(text);
        assert_eq!(g.delimiter, b'\t');
        assert_eq!(g.rows.len(), 3);
        assert_eq!(g.rows[1].line, 3);
        assert_eq!(g.rows[1].cells[0], "A\tB");
        assert_eq!(g.rows[2].line, 4);
        assert_eq!(g.rows[2].cells.len(), 5);
        let back = split(&g.to_text());
        assert_eq!(back.rows[1].cells, g.rows[1].cells);
    }

    #[test]
    fn set_pads_and_round_trips() {
        let mut g = split("study,TP,FP,FN,TN\nA,1,2,3\n");
        g.set(1, 4, " 9 ");
        assert_eq!(g.to_text(), "study,TP,FP,FN,TN\nA,1,2,3,9\n");
        g.set(7, 0, "ignored");
        assert_eq!(g.rows.len(), 2);
    }

    #[test]
    fn dataset_text_parses_back_to_the_same_dataset() {
        let text = "study,TP,FP,FN,TN,modality,year\n\"Smith, 1990\",1,2,3,4,CT,1990\nB,5,6,7,8,MRI,\n";
        let d = crate::data::parse_table(text).dataset;
        let again = crate::data::parse_table(&dataset_to_text(&d)).dataset;
        assert_eq!(d, again);
    }
}
