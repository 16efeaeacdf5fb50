//! Positioned data errors: every problem in the user's text names its line and column.
//!
//! A [`DataError`] is either an [`Severity::Error`] (the row, or the table, cannot be used) or a
//! [`Severity::Warning`] (the row is kept or skipped, and the user should know; METHODS §1.1).

use serde::{Deserialize, Serialize};
use std::fmt;

/// What went wrong. New kinds may be added; match with a wildcard arm.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataErrorKind {
    /// The text (or spreadsheet) holds no table at all.
    EmptyInput,
    /// A header but no data row.
    NoRows,
    /// One of TP, FP, FN, TN has no column.
    MissingColumn,
    /// Two columns map to the same required count (e.g. `TP` and `true positives`).
    DuplicateColumn,
    /// Two covariate columns share a name (the second is renamed).
    DuplicateColumnName,
    /// A column with data but no header name (named `column N`).
    UnnamedColumn,
    /// A row has more non-empty cells than the header has columns.
    TooManyCells,
    /// A count cell is empty (or `NA`).
    MissingValue,
    /// A count cell is not a number.
    NotANumber,
    /// A count cell is a number with a fractional part.
    NotWhole,
    /// A count cell is negative.
    Negative,
    /// A count cell exceeds `u32::MAX`.
    Overflow,
    /// All four counts are 0 (warning; the row is skipped).
    NoInformation,
    /// `n1 = TP + FN = 0` (warning; METHODS §1.1).
    NoDiseased,
    /// `n0 = FP + TN = 0` (warning; METHODS §1.1).
    NoHealthy,
    /// The same study label occurs twice (warning).
    DuplicateLabel,
    /// A spreadsheet file could not be read.
    Spreadsheet,
    /// A reported metric could not be read (reconstruction, METHODS §11).
    BadMetric,
    /// The reported metrics do not identify a table (METHODS §11).
    NotIdentifiable,
    /// The consistency search would be too large.
    SearchTooLarge,
    /// A row of a merged table (e.g. a robvis risk-of-bias table) names a study not in the data.
    UnknownStudy,
    /// A risk-of-bias cell is not a judgement (low / high / unclear).
    BadJudgement,
    /// A cell of another tool's template holds a code that tool does not define (e.g. a MetaDTA
    /// QUADAS-2 judgement other than 1, 2, 3).
    UnknownCode,
    /// A RevMan 5 review file (`.rm5`, XML) could not be read: malformed XML, not a diagnostic
    /// test accuracy review, or a 2×2 count that is not a whole number (located by line and element).
    RevMan,
}

/// Whether a problem blocks the row (error) or only informs (warning).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A problem in the user's input, located by 1-based line (in the user's text) and column name
/// (as the user wrote it).
///
/// `Display` renders `line 7, column "TP": "12.5" is not a whole number`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataError {
    pub kind: DataErrorKind,
    pub severity: Severity,
    pub line: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

impl DataError {
    /// An error (severity [`Severity::Error`]).
    pub fn error(kind: DataErrorKind, message: impl Into<String>) -> Self {
        DataError { kind, severity: Severity::Error, line: None, column: None, message: message.into() }
    }
    /// A warning (severity [`Severity::Warning`]).
    pub fn warning(kind: DataErrorKind, message: impl Into<String>) -> Self {
        DataError { kind, severity: Severity::Warning, line: None, column: None, message: message.into() }
    }
    /// The same error located at `line` (1-based).
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }
    /// The same error located in column `name`.
    pub fn in_column(mut self, name: impl Into<String>) -> Self {
        self.column = Some(name.into());
        self
    }
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column \"{c}\": {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            (None, Some(c)) => write!(f, "column \"{c}\": {}", self.message),
            (None, None) => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for DataError {}
