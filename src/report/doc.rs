//! The shapes every word a user reads comes in, independent of where it is shown: a [`Line`] of
//! running text (text and numbers, each number with its full-precision value), a [`Pair`] (a term
//! and its value, for the result cards), and a [`Table`] of [`Cell`]s. The CLI prints them with
//! [`Line::plain`], [`Table::to_text`]; the page places them in the DOM (one `<span data-value>`
//! per number). Neither adds words of its own.

use serde::Serialize;

/// How a line should be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    Normal,
    /// Worth knowing before using the numbers (boundary, fallback, warnings).
    Warn,
    /// Do not use the numbers as they are (no convergence, no pooled estimate).
    Bad,
    /// An interpretation in plain words.
    Note,
}

/// A piece of running text.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Seg {
    Text(String),
    /// A number as displayed, and the value it was rounded from.
    Num {
        text: String,
        value: f64,
    },
}

/// One sentence or bullet of a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    pub tone: Tone,
    pub segs: Vec<Seg>,
}

impl Line {
    pub fn new(tone: Tone) -> Line {
        Line { tone, segs: Vec::new() }
    }
    /// A line of plain text.
    pub fn text(tone: Tone, s: impl Into<String>) -> Line {
        Line { tone, segs: vec![Seg::Text(s.into())] }
    }
    /// Append text.
    pub fn t(mut self, s: impl Into<String>) -> Line {
        self.segs.push(Seg::Text(s.into()));
        self
    }
    /// Append a number shown as `text` (full precision `value`).
    pub fn n(mut self, text: impl Into<String>, value: f64) -> Line {
        self.segs.push(Seg::Num { text: text.into(), value });
        self
    }
    /// The line as plain text.
    pub fn plain(&self) -> String {
        self.segs
            .iter()
            .map(|s| match s {
                Seg::Text(t) => t.as_str(),
                Seg::Num { text, .. } => text.as_str(),
            })
            .collect()
    }
}

/// A term and its value (a row of a result card).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pair {
    pub term: String,
    pub text: String,
    pub value: Option<f64>,
}

impl Pair {
    pub fn new(term: impl Into<String>, text: impl Into<String>, value: Option<f64>) -> Pair {
        Pair { term: term.into(), text: text.into(), value }
    }
}

/// A card: its pairs, then interpretations in plain words.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Card {
    pub pairs: Vec<Pair>,
    pub notes: Vec<String>,
}

/// A table cell: the text shown and, for numbers, the full-precision value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cell {
    pub text: String,
    pub value: Option<f64>,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell { text: s.into(), value: None }
    }
    pub fn num(s: impl Into<String>, v: f64) -> Cell {
        Cell { text: s.into(), value: Some(v).filter(|v| v.is_finite()) }
    }
    pub fn opt(s: impl Into<String>, v: Option<f64>) -> Cell {
        Cell { text: s.into(), value: v.filter(|v| v.is_finite()) }
    }
}

/// One row of a [`Table`]; the first cell is the row header. `span` makes the last cell fill the
/// remaining columns (e.g. a failed refit's reason).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// A tooltip / footnote for the row.
    pub note: Option<String>,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Row {
        Row { cells, note: None }
    }
}

/// A table with headers. `keys` name the columns for tests and styling (`data-stat`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    pub headers: Vec<String>,
    pub keys: Vec<&'static str>,
    pub rows: Vec<Row>,
}

impl Table {
    /// Aligned plain text with a rule under the header (the CLI's tables).
    pub fn to_text(&self) -> String {
        let rows: Vec<Vec<String>> =
            self.rows.iter().map(|r| r.cells.iter().map(|c| c.text.clone()).collect()).collect();
        let heads: Vec<&str> = self.headers.iter().map(String::as_str).collect();
        text_table(&heads, &rows)
    }
}

/// A plain-text table with aligned columns.
pub fn text_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let n = headers.len();
    let mut w: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!("{c}{}", " ".repeat(w.get(i).copied().unwrap_or(0).saturating_sub(c.chars().count())))
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(headers.iter().map(|h| h.to_string()).collect());
    out.push('\n');
    out.push_str(&w.iter().map(|x| "─".repeat(*x)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.clone()));
        out.push('\n');
    }
    out
}

/// `s` with its first letter capitalised and a full stop at the end (exactly one).
pub fn sentence(s: &str) -> String {
    let s = s.trim();
    let mut c = s.chars();
    let mut out: String = c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default();
    if !out.is_empty() && !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_get_one_full_stop() {
        assert_eq!(sentence("only 3 studies"), "Only 3 studies.");
        assert_eq!(sentence("done."), "Done.");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn lines_and_tables_as_text() {
        let l = Line::new(Tone::Normal).t("τ² = ").n("0.123", 0.12345).t(".");
        assert_eq!(l.plain(), "τ² = 0.123.");
        let t = Table {
            headers: vec!["A".into(), "Bee".into()],
            keys: vec!["a", "b"],
            rows: vec![Row::new(vec![Cell::text("x"), Cell::num("1.00", 1.0)])],
        };
        assert_eq!(t.to_text(), "A  Bee\n─  ────\nx  1.00\n");
    }
}
