//! The editable grid of the page: the records that [`crate::data::parse`] read (same delimiter,
//! same header, same line numbers, so parse errors can be pinned on a cell) and the text written
//! back after an edit. Also [`dataset_to_text`], which turns a decoded permalink back into a table
//! the user can edit. There is no second splitter here: [`split`] is [`read_table`]. Pure string
//! handling; never panics.

use crate::data::parse::{read_table, RecordRole, TableText};
use crate::data::{CovariateValue, Dataset};

/// One record of the text: its 1-based starting line (0 for a row added in the editor) and its
/// cells (trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GridRow {
    pub line: usize,
    pub cells: Vec<String>,
}

/// The text as a grid: the delimiter, the rows the editor shows (the header first, when there is
/// one, then every data row) and the lines the parser skipped (titles above the header, `#`
/// comments), which [`Grid::to_text`] writes back in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    pub delimiter: u8,
    pub rows: Vec<GridRow>,
    /// Title and comment lines, in order; each is written before the first row of a later line.
    pub skipped: Vec<GridRow>,
}

/// Split `text` into a grid, exactly as the parser reads it (see [`read_table`]).
pub fn split(text: &str) -> Grid {
    Grid::from_table(&read_table(text))
}

/// Quote a cell when it needs it: the delimiter, a quote or a line break inside, or (`guard_hash`)
/// a leading `#` that would otherwise make the line a comment.
fn quote(cell: &str, delimiter: u8, guard_hash: bool) -> String {
    let d = delimiter as char;
    if cell.contains(d)
        || cell.contains('"')
        || cell.contains('\n')
        || cell.contains('\r')
        || (guard_hash && cell.starts_with('#'))
    {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// One record as a line of text (with its line break).
fn write_row(out: &mut String, delimiter: u8, cells: &[String]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(delimiter as char);
        }
        out.push_str(&quote(c, delimiter, i == 0));
    }
    out.push('\n');
}

/// A `#` comment as a line: cells joined as they were, line breaks flattened (a comment must stay
/// one line starting with `#`; quoting could make it data).
fn write_comment(out: &mut String, delimiter: u8, cells: &[String]) {
    let sep = (delimiter as char).to_string();
    out.push_str(&cells.join(&sep).replace(['\r', '\n'], " "));
    out.push('\n');
}

/// Write cells back as text, one record per line.
pub fn join(delimiter: u8, rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for r in rows {
        write_row(&mut out, delimiter, r);
    }
    out
}

impl Grid {
    /// The grid of the records the parser read.
    pub fn from_table(table: &TableText) -> Grid {
        let mut rows = Vec::new();
        let mut skipped = Vec::new();
        for r in &table.records {
            let row = GridRow { line: r.line, cells: r.cells.clone() };
            match r.role {
                RecordRole::Header | RecordRole::Row => rows.push(row),
                RecordRole::Title | RecordRole::Comment => skipped.push(row),
            }
        }
        Grid { delimiter: table.delimiter, rows, skipped }
    }
    /// The grid as text with its delimiter: every row (quoted where needed) and, before the
    /// first row of a later line, each skipped title or comment line. Rows added in the editor
    /// (line 0) stay where they are in [`Grid::rows`]; appended ones come after trailing comments.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut pending = self.skipped.iter().peekable();
        let write_skipped = |out: &mut String, s: &GridRow| {
            if s.cells.first().is_some_and(|c| c.starts_with('#')) {
                write_comment(out, self.delimiter, &s.cells);
            } else {
                write_row(out, self.delimiter, &s.cells);
            }
        };
        // Rows added after the last row of the text go after the trailing skipped lines too.
        let last_original = self.rows.iter().rposition(|r| r.line > 0);
        for (i, r) in self.rows.iter().enumerate() {
            let appended = last_original.is_none_or(|l| i > l);
            while let Some(s) = pending.next_if(|s| appended || (r.line > 0 && s.line < r.line)) {
                write_skipped(&mut out, s);
            }
            write_row(&mut out, self.delimiter, &r.cells);
        }
        for s in pending {
            write_skipped(&mut out, s);
        }
        out
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
