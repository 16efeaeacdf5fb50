//! Pasted or uploaded text → [`Dataset`], reporting every problem with its line and column.
//!
//! Accepts what spreadsheets put on the clipboard and what CSV exporters write: tab-, comma- or
//! semicolon-separated (sniffed), quoted cells with embedded delimiters/newlines and `""` escapes,
//! CRLF, a UTF-8 BOM, blank rows, `#` comment lines (a line starting with an unquoted `#`,
//! anywhere), title lines above the header, trailing empty cells (Excel), thousands separators and
//! decimal commas. Validation follows METHODS §1.1: negative, non-integer, non-numeric, missing or
//! overflowing counts are errors (the row is skipped); a row without diseased (`n1 = 0`) or
//! without non-diseased (`n0 = 0`) participants is kept with a warning; a row of four zeros is
//! skipped with a warning. Nothing here panics, whatever the input.
//!
//! How the text was split is public too ([`read_table`], [`ParseOutcome::table`]): the page's grid
//! editor is built from exactly these records, so its cells and the error positions always agree.

use super::error::{DataError, DataErrorKind as K};
use super::{Covariate, CovariateKind, CovariateValue, Dataset, Study};

/// The result of [`parse_table`]: the good rows, and every problem found.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParseOutcome {
    /// The rows that passed validation (bad rows are skipped), with their covariates.
    pub dataset: Dataset,
    /// Problems that make a row (or the table) unusable. Each names its line and column.
    pub errors: Vec<DataError>,
    /// Problems the user should see but that do not block the analysis.
    pub warnings: Vec<DataError>,
    /// How the text was read (delimiter, header, decimal comma, …), for the status line.
    pub notes: Vec<String>,
    /// `row_lines[i]` is the 1-based line of the user's text where study `i` starts.
    pub row_lines: Vec<usize>,
    /// The records the table was read from (delimiter, header, skipped lines): see [`read_table`].
    pub table: TableText,
}

/// What a record of the text is to the parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RecordRole {
    /// A line above the header that is not part of the table (a caption pasted from a paper).
    Title,
    /// A line whose first character (after spaces) is an unquoted `#`: ignored wherever it is.
    Comment,
    /// The header row (column names).
    Header,
    /// A data row below the header (or any non-comment row of a table without header), valid or not.
    Row,
}

/// One non-blank record (logical row) of the text, exactly as the parser split it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableRecord {
    /// 1-based line where the record starts (a quoted cell may continue on later lines).
    pub line: usize,
    /// The cells, trimmed, trailing empty cells dropped, quotes removed.
    pub cells: Vec<String>,
    pub role: RecordRole,
}

/// The text split into records: the delimiter chosen and every non-blank record in order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableText {
    /// `b'\t'`, `b';'` or `b','`.
    pub delimiter: u8,
    pub records: Vec<TableRecord>,
}

impl Default for TableText {
    fn default() -> Self {
        TableText { delimiter: b',', records: Vec::new() }
    }
}

impl TableText {
    /// Index into [`TableText::records`] of the header row (`None` for a table without header).
    pub fn header_index(&self) -> Option<usize> {
        self.records.iter().position(|r| r.role == RecordRole::Header)
    }
    /// The header row.
    pub fn header(&self) -> Option<&TableRecord> {
        self.header_index().and_then(|i| self.records.get(i))
    }
}

impl ParseOutcome {
    /// True when there is no error (warnings allowed) and at least one study.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty() && !self.dataset.studies.is_empty()
    }
}

/// The largest accepted count (`u32::MAX`).
pub const MAX_COUNT: u64 = u32::MAX as u64;

/// The four required count columns, in table order.
const COUNT_NAMES: [&str; 4] = ["TP", "FP", "FN", "TN"];

#[derive(Clone, Debug)]
struct Record {
    /// Ordinal among all records read.
    index: usize,
    /// 1-based line where the record starts.
    line: usize,
    /// Number of fields before trailing empty cells were dropped.
    raw_len: usize,
    cells: Vec<String>,
    /// The line starts with an unquoted `#`.
    comment: bool,
}

impl Record {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.is_empty())
    }
}

/// Byte offsets where lines start (`\r\n`, `\n` and a lone `\r` end a line).
fn line_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => starts.push(i + 1),
            b'\r' if b.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

/// The 1-based line of the record starting at `byte` (csv may report the position of the
/// terminator that precedes a record, so line breaks at `byte` are skipped first).
fn line_of(text: &str, starts: &[usize], byte: usize) -> usize {
    let b = text.as_bytes();
    let mut i = byte.min(b.len());
    while i < b.len() && (b[i] == b'\n' || b[i] == b'\r') {
        i += 1;
    }
    match starts.binary_search(&i) {
        Ok(k) => k + 1,
        Err(k) => k,
    }
}

/// Read records with `delim`, trimming every cell and dropping trailing empty cells.
fn read_records(text: &str, delim: u8, limit: usize) -> Vec<Record> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .double_quote(true)
        .quoting(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let starts = line_starts(text);
    let mut record = csv::StringRecord::new();
    let mut n_errors = 0usize;
    while out.len() < limit {
        match rdr.read_record(&mut record) {
            Ok(true) => {
                let byte = record.position().map_or(0, |p| p.byte() as usize);
                let line = line_of(text, &starts, byte);
                let comment = starts
                    .get(line.saturating_sub(1))
                    .and_then(|&at| text.get(at..))
                    .is_some_and(|rest| rest.trim_start_matches(' ').starts_with('#'));
                let mut cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
                let raw_len = cells.len();
                while cells.last().is_some_and(|c| c.is_empty()) {
                    cells.pop();
                }
                out.push(Record { index: out.len(), line, raw_len, cells, comment });
            }
            Ok(false) => break,
            Err(_) => {
                // Input is valid UTF-8, so this is not expected; never loop forever on it.
                n_errors += 1;
                if n_errors > 16 {
                    break;
                }
            }
        }
    }
    out
}

/// Choose the delimiter: the one giving the most records with at least four cells (ties: tab,
/// then semicolon, then comma).
fn sniff_delimiter(text: &str) -> u8 {
    let mut best = (b',', (0usize, 0usize));
    for &d in b"\t;," {
        let recs = read_records(text, d, 40);
        let score = (
            recs.iter().filter(|r| r.cells.len() >= 4).count(),
            recs.iter().filter(|r| r.raw_len >= 4).count(),
        );
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

fn delimiter_name(d: u8) -> &'static str {
    match d {
        b'\t' => "tab",
        b';' => "semicolon",
        _ => "comma",
    }
}

/// Collapse runs of whitespace (including embedded newlines and tabs) into one space.
fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_missing_token(s: &str) -> bool {
    matches!(s.to_ascii_lowercase().as_str(), "" | "na" | "n/a" | "nan" | "null" | "." | "-" | "?")
}

/// True for `1,234` / `12,345,678` style digit groups with `sep`.
fn is_grouped(digits: &str, sep: char) -> bool {
    let body = digits.strip_prefix(['+', '-']).unwrap_or(digits);
    let parts: Vec<&str> = body.split(sep).collect();
    parts.len() >= 2
        && parts.first().is_some_and(|p| (1..=3).contains(&p.len()))
        && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && parts.iter().skip(1).all(|p| p.len() == 3)
}

/// Rewrite a number as the user typed it into Rust float syntax, or `None` when it is not a
/// number. Spaces, no-break spaces and apostrophes are thousands separators; with both `,` and
/// `.` the later one is the decimal mark; with only one kind, `decimal_comma` decides (digit groups
/// of three are thousands otherwise).
fn normalize_number(raw: &str, decimal_comma: bool) -> Option<String> {
    let s: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\''))
        .collect();
    if s.is_empty()
        || !s.chars().any(|c| c.is_ascii_digit())
        || !s.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | ',' | 'e' | 'E'))
    {
        return None;
    }
    let last_comma = s.rfind(',');
    let last_dot = s.rfind('.');
    let out = match (last_comma, last_dot) {
        (None, None) => s,
        (Some(c), Some(d)) => {
            if c > d {
                s.replace('.', "").replace(',', ".")
            } else {
                s.replace(',', "")
            }
        }
        (Some(_), None) => {
            let n = s.matches(',').count();
            if n > 1 {
                if is_grouped(&s, ',') {
                    s.replace(',', "")
                } else {
                    return None;
                }
            } else if !decimal_comma && is_grouped(&s, ',') {
                s.replace(',', "")
            } else {
                s.replace(',', ".")
            }
        }
        (None, Some(_)) => {
            let n = s.matches('.').count();
            if n > 1 {
                if is_grouped(&s, '.') {
                    s.replace('.', "")
                } else {
                    return None;
                }
            } else if decimal_comma && is_grouped(&s, '.') {
                s.replace('.', "")
            } else {
                s
            }
        }
    };
    match out.parse::<f64>() {
        Ok(x) if x.is_finite() => Some(out),
        _ => None,
    }
}

/// Parse a covariate number with the table's decimal convention.
fn parse_number(raw: &str, decimal_comma: bool) -> Option<f64> {
    normalize_number(raw, decimal_comma)?.parse::<f64>().ok()
}

/// Parse one count cell.
fn parse_count(raw: &str, decimal_comma: bool) -> Result<u64, (K, String)> {
    let t = raw.trim();
    if is_missing_token(t) {
        return Err((K::MissingValue, "missing value".to_string()));
    }
    let Some(norm) = normalize_number(t, decimal_comma) else {
        return Err((K::NotANumber, format!("\"{t}\" is not a number")));
    };
    let value: f64 = norm.parse().unwrap_or(f64::NAN);
    if norm.starts_with('-') && value != 0.0 {
        return Err((K::Negative, format!("\"{t}\" is negative; counts must be 0 or more")));
    }
    let too_large =
        || (K::Overflow, format!("\"{t}\" is too large (the largest accepted count is {MAX_COUNT})"));
    let digits = norm.strip_prefix('+').unwrap_or(&norm);
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return match digits.parse::<u64>() {
            Ok(v) if v <= MAX_COUNT => Ok(v),
            _ => Err(too_large()),
        };
    }
    if !value.is_finite() {
        return Err((K::NotANumber, format!("\"{t}\" is not a number")));
    }
    if value.fract() != 0.0 {
        return Err((K::NotWhole, format!("\"{t}\" is not a whole number")));
    }
    if value.abs() > MAX_COUNT as f64 {
        return Err(too_large());
    }
    Ok(value.abs() as u64)
}

/// What a header cell means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Count(usize),
    /// A study-label alias; lower is preferred.
    Label(u8),
    Cluster,
    Other,
}

fn normalize_header(h: &str) -> String {
    let mapped: String = h
        .chars()
        .map(|c| if c.is_alphanumeric() { c.to_lowercase().next().unwrap_or(c) } else { ' ' })
        .collect();
    collapse_ws(&mapped)
}

fn role_of(header: &str) -> Role {
    match normalize_header(header).as_str() {
        "tp" | "a" | "true positive" | "true positives" | "true pos" | "truepositive" | "truepositives" => {
            Role::Count(0)
        }
        "fp" | "b" | "false positive" | "false positives" | "false pos" | "falsepositive"
        | "falsepositives" => Role::Count(1),
        "fn" | "c" | "false negative" | "false negatives" | "false neg" | "falsenegative"
        | "falsenegatives" => Role::Count(2),
        "tn" | "d" | "true negative" | "true negatives" | "true neg" | "truenegative" | "truenegatives" => {
            Role::Count(3)
        }
        "study" | "studies" | "study name" | "study label" => Role::Label(0),
        "author" | "authors" | "first author" | "author year" | "author s" => Role::Label(1),
        "label" | "name" => Role::Label(2),
        "id" | "trial" => Role::Label(3),
        "study id" | "studyid" => Role::Label(4),
        "cluster" | "cluster id" | "clusterid" => Role::Cluster,
        _ => Role::Other,
    }
}

const ALIASES: [&str; 4] = [
    "TP, true positive(s), a",
    "FP, false positive(s), b",
    "FN, false negative(s), c",
    "TN, true negative(s), d",
];

/// One column of the table as laid out in the text.
#[derive(Clone, Debug)]
struct Layout {
    /// Cell index of TP, FP, FN, TN.
    counts: [usize; 4],
    /// Column names used in messages for the four counts.
    count_names: [String; 4],
    label: Option<(usize, String)>,
    /// (cell index, covariate name).
    covariates: Vec<(usize, String)>,
    /// Index into `covariates` of the cluster column.
    cluster: Option<usize>,
    /// Number of columns in the header (or first row).
    n_columns: usize,
}

fn looks_numeric(s: &str) -> bool {
    normalize_number(s, false).is_some() || normalize_number(s, true).is_some()
}

/// How the text was split: the delimiter, every record, and which one starts the table.
struct Reading {
    delimiter: u8,
    records: Vec<Record>,
    /// Index of the header (or, without header, of the first data row); `None` when every record
    /// is blank or a comment.
    first: Option<usize>,
    has_header: bool,
    /// Line of the header when title lines above it were skipped.
    title_skipped: Option<usize>,
}

/// Sniff the delimiter, split the records and find where the table starts (a title or caption
/// above the table, pasted from a paper, is skipped: the header is the first of the next few
/// rows that names all four counts).
fn read(text: &str) -> Reading {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = sniff_delimiter(text);
    let records = read_records(text, delimiter, usize::MAX);
    let mut candidates = records.iter().filter(|r| !r.is_blank() && !r.comment);
    let mut first = candidates.next();
    let mut title_skipped = None;
    let all_counts = |r: &Record| (0..4).all(|k| r.cells.iter().any(|c| role_of(c) == Role::Count(k)));
    if let Some(f) = first {
        if !headerless_shape(&f.cells) && !all_counts(f) {
            if let Some(h) = candidates.take(10).find(|r| all_counts(r)) {
                title_skipped = Some(h.line);
                first = Some(h);
            }
        }
    }
    let has_header = first.is_some_and(|f| !headerless_shape(&f.cells));
    let first = first.map(|f| f.index);
    Reading { delimiter, records, first, has_header, title_skipped }
}

impl Reading {
    fn role(&self, r: &Record) -> Option<RecordRole> {
        let first = self.first?;
        Some(if r.comment {
            RecordRole::Comment
        } else if r.index < first {
            RecordRole::Title
        } else if r.index == first && self.has_header {
            RecordRole::Header
        } else {
            RecordRole::Row
        })
    }

    fn table(&self) -> TableText {
        let records = self
            .records
            .iter()
            .filter(|r| !r.is_blank())
            // Without a first table row, every non-blank record is a comment.
            .map(|r| TableRecord {
                line: r.line,
                cells: r.cells.clone(),
                role: self.role(r).unwrap_or(RecordRole::Comment),
            })
            .collect();
        TableText { delimiter: self.delimiter, records }
    }
}

/// Split `text` into records exactly as [`parse_table`] does (same delimiter, same header, same
/// title and comment lines), without validating anything. Never panics.
pub fn read_table(text: &str) -> TableText {
    read(text).table()
}

/// Parse delimited text (pasted from a spreadsheet, or a CSV/TSV file) into a validated dataset.
///
/// Every problem is reported at once with its line and column; bad rows are skipped and all good
/// rows kept. See the module documentation for what is accepted. Never panics.
pub fn parse_table(text: &str) -> ParseOutcome {
    let mut out = ParseOutcome::default();
    if text.strip_prefix('\u{feff}').unwrap_or(text).trim().is_empty() {
        out.errors.push(DataError::error(K::EmptyInput, "no data: the text is empty"));
        return out;
    }
    let reading = read(text);
    out.table = reading.table();
    let records = &reading.records;
    let Some(first) = reading.first.and_then(|i| records.get(i)) else {
        let what = if records.iter().any(|r| r.comment) {
            "only empty cells and comments"
        } else {
            "only empty cells"
        };
        out.errors.push(DataError::error(K::EmptyInput, format!("no data: the text holds {what}")));
        return out;
    };
    if let Some(line) = reading.title_skipped {
        out.notes.push(format!("the table starts on line {line}; the lines above it were ignored"));
    }
    let delim = reading.delimiter;
    out.notes.push(format!("read as {}-separated text", delimiter_name(delim)));
    let n_comments = records.iter().filter(|r| r.comment).count();
    if n_comments > 0 {
        out.notes.push(format!("{n_comments} comment line(s) starting with # ignored"));
    }

    // Decimal convention for the whole table: semicolon files, or any `12,5`-style cell.
    let decimal_comma = delim == b';'
        || (delim != b','
            && records
                .iter()
                .filter(|r| !r.comment)
                .flat_map(|r| r.cells.iter())
                .any(|c| is_decimal_comma_cell(c)));
    if decimal_comma {
        out.notes.push("numbers read with a decimal comma".to_string());
    }

    let has_header = reading.has_header;
    let layout = if has_header {
        match header_layout(first, records, &mut out) {
            Some(l) => l,
            None => return out,
        }
    } else {
        let l = headerless_layout(&first.cells);
        out.notes.push(if l.label.is_some() {
            "no header row: columns read as study, TP, FP, FN, TN".to_string()
        } else {
            "no header row: columns read as TP, FP, FN, TN".to_string()
        });
        l
    };

    let data: Vec<&Record> = records
        .iter()
        .filter(|r| !r.comment)
        .filter(|r| r.index > first.index || (!has_header && r.index == first.index))
        .collect();
    read_rows(&data, &layout, decimal_comma, &mut out);
    super::import::adapt(&mut out);
    out
}

fn is_decimal_comma_cell(c: &str) -> bool {
    let body = c.strip_prefix(['+', '-']).unwrap_or(c);
    let mut parts = body.split(',');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), None) => {
            !a.is_empty()
                && !b.is_empty()
                && a.chars().all(|x| x.is_ascii_digit())
                && b.chars().all(|x| x.is_ascii_digit())
                && !(b.len() == 3 && a.len() <= 3 && a != "0")
        }
        _ => false,
    }
}

/// A first row that is data: four numbers, or a label and four numbers (then covariates).
fn headerless_shape(cells: &[String]) -> bool {
    match cells.len() {
        0..=3 => false,
        4 => cells.iter().all(|c| looks_numeric(c)),
        _ => cells.iter().skip(1).take(4).all(|c| looks_numeric(c)),
    }
}

fn headerless_layout(cells: &[String]) -> Layout {
    let count_names = COUNT_NAMES.map(|s| s.to_string());
    if cells.len() == 4 {
        Layout {
            counts: [0, 1, 2, 3],
            count_names,
            label: None,
            covariates: vec![],
            cluster: None,
            n_columns: 4,
        }
    } else {
        Layout {
            counts: [1, 2, 3, 4],
            count_names,
            label: Some((0, "study".to_string())),
            covariates: (5..cells.len()).map(|i| (i, format!("column {}", i + 1))).collect(),
            cluster: None,
            n_columns: cells.len(),
        }
    }
}

fn header_layout(header: &Record, records: &[Record], out: &mut ParseOutcome) -> Option<Layout> {
    let line = header.line;
    // Trailing empty header cells still count as columns (data may sit under them).
    let mut names: Vec<String> = header.cells.iter().map(|c| collapse_ws(c)).collect();
    names.resize(header.raw_len.max(names.len()), String::new());
    let roles: Vec<Role> = names.iter().map(|n| role_of(n)).collect();
    let mut counts: [Option<usize>; 4] = [None; 4];
    for (i, r) in roles.iter().enumerate() {
        if let Role::Count(k) = *r {
            match counts.get(k).copied().flatten() {
                None => {
                    if let Some(slot) = counts.get_mut(k) {
                        *slot = Some(i);
                    }
                }
                Some(j) => out.errors.push(
                    DataError::error(
                        K::DuplicateColumn,
                        format!(
                            "duplicate column for {} (column \"{}\" already holds {}); this column was ignored",
                            COUNT_NAMES[k],
                            names.get(j).map_or("", |s| s.as_str()),
                            COUNT_NAMES[k]
                        ),
                    )
                    .at_line(line)
                    .in_column(names.get(i).cloned().unwrap_or_default()),
                ),
            }
        }
    }
    let mut missing = false;
    for k in 0..4 {
        if counts[k].is_none() {
            missing = true;
            out.errors.push(
                DataError::error(
                    K::MissingColumn,
                    format!("missing required column {} (accepted headers: {})", COUNT_NAMES[k], ALIASES[k]),
                )
                .at_line(line),
            );
        }
    }
    if missing {
        return None;
    }
    let count_idx = counts.map(|c| c.unwrap_or(0));
    let count_names = count_idx.map(|i| names.get(i).cloned().unwrap_or_default());

    // Label: the preferred label alias; ties go to the leftmost column.
    let label = roles
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Role::Label(p) => Some((*p, i)),
            _ => None,
        })
        .min()
        .map(|(_, i)| i);
    let cluster_col = roles.iter().position(|r| *r == Role::Cluster).or_else(|| {
        // `study_id` next to a real label column means "cluster" (smoking data).
        roles.iter().enumerate().position(|(i, r)| *r == Role::Label(4) && Some(i) != label)
    });

    let mut covariates: Vec<(usize, String)> = Vec::new();
    let mut cluster = None;
    let n_columns = names.len();
    for (i, r) in roles.iter().enumerate() {
        if matches!(r, Role::Count(_)) || Some(i) == label {
            continue;
        }
        let mut name = names.get(i).cloned().unwrap_or_default();
        if name.is_empty() {
            let has_data = records.iter().any(|rec| {
                !rec.comment && rec.index > header.index && rec.cells.get(i).is_some_and(|c| !c.is_empty())
            });
            if !has_data {
                continue;
            }
            name = format!("column {}", i + 1);
            out.warnings.push(
                DataError::warning(
                    K::UnnamedColumn,
                    format!("column {} has data but no header; it was named \"{name}\"", i + 1),
                )
                .at_line(line),
            );
        }
        if covariates.iter().any(|(_, n)| n.eq_ignore_ascii_case(&name)) {
            let original = name.clone();
            let mut k = 2;
            while covariates.iter().any(|(_, n)| n.eq_ignore_ascii_case(&name)) {
                name = format!("{original} ({k})");
                k += 1;
            }
            out.warnings.push(
                DataError::warning(
                    K::DuplicateColumnName,
                    format!("another column is also named \"{original}\"; this one was renamed \"{name}\""),
                )
                .at_line(line)
                .in_column(original),
            );
        }
        if Some(i) == cluster_col {
            cluster = Some(covariates.len());
        }
        covariates.push((i, name));
    }
    if let Some(c) = cluster.and_then(|c| covariates.get(c)) {
        out.notes.push(format!("column \"{}\" read as the cluster (publication) of each row", c.1));
    }
    if label.is_none() {
        out.notes.push("no study-label column: rows are named Study 1, Study 2, …".to_string());
    }
    Some(Layout {
        counts: count_idx,
        count_names,
        label: label.map(|i| (i, names.get(i).cloned().unwrap_or_default())),
        covariates,
        cluster,
        n_columns,
    })
}

fn read_rows(data: &[&Record], layout: &Layout, decimal_comma: bool, out: &mut ParseOutcome) {
    let mut raw_cov: Vec<Vec<String>> = vec![Vec::new(); layout.covariates.len()];
    let mut seen_labels: std::collections::HashMap<String, usize> = Default::default();
    let mut n_empty = 0usize;
    let mut n_data = 0usize;
    let mut n_unlabelled = 0usize;
    for rec in data {
        if rec.cells.iter().all(|c| c.is_empty()) {
            n_empty += 1;
            continue;
        }
        n_data += 1;
        let line = rec.line;
        if rec.cells.len() > layout.n_columns {
            out.errors.push(
                DataError::error(
                    K::TooManyCells,
                    format!(
                        "the row has {} cells but the header has {} columns; the row was skipped",
                        rec.cells.len(),
                        layout.n_columns
                    ),
                )
                .at_line(line),
            );
            continue;
        }
        let mut vals = [0u64; 4];
        let mut ok = true;
        for ((val, &col), name) in vals.iter_mut().zip(&layout.counts).zip(&layout.count_names) {
            let raw = rec.cells.get(col).map_or("", |s| s.as_str());
            match parse_count(raw, decimal_comma) {
                Ok(v) => *val = v,
                Err((kind, msg)) => {
                    ok = false;
                    out.errors.push(DataError::error(kind, msg).at_line(line).in_column(name.clone()));
                }
            }
        }
        if !ok {
            continue;
        }
        let [tp, fp, fn_, tn] = vals;
        if tp + fp + fn_ + tn == 0 {
            out.warnings.push(
                DataError::warning(
                    K::NoInformation,
                    "all four counts are 0; the row carries no information and was skipped",
                )
                .at_line(line),
            );
            continue;
        }
        if tp + fn_ == 0 {
            out.warnings.push(
                DataError::warning(
                    K::NoDiseased,
                    "no reference-positive participants (TP + FN = 0): the row informs specificity only \
                     and is left out of the two-step methods (Spearman, Deeks, univariate Q)",
                )
                .at_line(line),
            );
        }
        if fp + tn == 0 {
            out.warnings.push(
                DataError::warning(
                    K::NoHealthy,
                    "no reference-negative participants (FP + TN = 0): the row informs sensitivity only \
                     and is left out of the two-step methods (Spearman, Deeks, univariate Q)",
                )
                .at_line(line),
            );
        }
        let mut label = layout
            .label
            .as_ref()
            .and_then(|(i, _)| rec.cells.get(*i))
            .map(|s| collapse_ws(s))
            .unwrap_or_default();
        if label.is_empty() {
            label = format!("Study {n_data}");
            if layout.label.is_some() {
                n_unlabelled += 1;
            }
        } else if let Some(first_line) = seen_labels.get(&label) {
            let col = layout.label.as_ref().map(|(_, n)| n.clone()).unwrap_or_default();
            out.warnings.push(
                DataError::warning(
                    K::DuplicateLabel,
                    format!("duplicate study label \"{label}\" (first on line {first_line})"),
                )
                .at_line(line)
                .in_column(col),
            );
        } else {
            seen_labels.insert(label.clone(), line);
        }
        for (j, (i, _)) in layout.covariates.iter().enumerate() {
            if let Some(col) = raw_cov.get_mut(j) {
                col.push(rec.cells.get(*i).cloned().unwrap_or_default());
            }
        }
        out.dataset.studies.push(Study::new(label, tp, fp, fn_, tn));
        out.row_lines.push(line);
    }
    if n_data == 0 {
        out.errors.push(DataError::error(K::NoRows, "no data rows below the header"));
    }
    if n_empty > 0 {
        out.notes.push(format!("{n_empty} empty row(s) ignored"));
    }
    if n_unlabelled > 0 {
        out.notes.push(format!("{n_unlabelled} row(s) without a label were named Study N (N = row number)"));
    }
    for ((_, name), raw) in layout.covariates.iter().zip(raw_cov) {
        out.dataset.covariates.push(type_covariate(name, &raw, decimal_comma));
    }
    out.dataset.cluster = layout.cluster;
}

/// Numeric when every non-missing cell is a number (and there is one), else categorical.
fn type_covariate(name: &str, raw: &[String], decimal_comma: bool) -> Covariate {
    let present: Vec<&String> = raw.iter().filter(|c| !is_missing_token(c)).collect();
    let numeric = !present.is_empty() && present.iter().all(|c| parse_number(c, decimal_comma).is_some());
    let values = raw
        .iter()
        .map(|c| {
            if is_missing_token(c) {
                CovariateValue::Missing
            } else if numeric {
                parse_number(c, decimal_comma).map_or(CovariateValue::Missing, CovariateValue::Number)
            } else {
                CovariateValue::Category(collapse_ws(c))
            }
        })
        .collect();
    Covariate {
        name: name.to_string(),
        kind: if numeric { CovariateKind::Numeric } else { CovariateKind::Categorical },
        values,
    }
}

/// Convert the first sheet of an `.xlsx`, `.xls`, `.xlsb` or `.ods` file to tab-separated text for
/// [`parse_table`]. Line `n` of the text is spreadsheet row `n`, so messages point at sheet rows.
///
/// # Errors
/// [`DataErrorKind::Spreadsheet`](super::error::DataErrorKind::Spreadsheet) when the bytes are not
/// a readable workbook or it has no sheet.
#[cfg(not(feature = "spreadsheets"))]
pub fn parse_spreadsheet(_bytes: &[u8]) -> Result<String, DataError> {
    Err(DataError::error(
        K::Spreadsheet,
        "this build reads CSV/TSV only (built without the `spreadsheets` feature); save the sheet as CSV"
            .to_string(),
    ))
}

/// Convert the first sheet of a workbook to tab-separated text (see the other cfg of this function).
#[cfg(feature = "spreadsheets")]
pub fn parse_spreadsheet(bytes: &[u8]) -> Result<String, DataError> {
    use calamine::Reader;
    let fail = |m: String| DataError::error(K::Spreadsheet, m);
    let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| fail(format!("could not read the spreadsheet: {e}")))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| fail("the spreadsheet has no sheet".to_string()))?
        .map_err(|e| fail(format!("could not read the first sheet: {e}")))?;
    let mut text = String::new();
    if let Some((row0, _)) = range.start() {
        for _ in 0..row0.min(1_000_000) {
            text.push('\n');
        }
    }
    for row in range.rows() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        text.push_str(&cells.join("\t"));
        text.push('\n');
    }
    Ok(text)
}

/// Same as [`parse_spreadsheet`] (the format is detected from the bytes).
pub fn parse_xlsx(bytes: &[u8]) -> Result<String, DataError> {
    parse_spreadsheet(bytes)
}

/// Same as [`parse_spreadsheet`] (the format is detected from the bytes).
pub fn parse_ods(bytes: &[u8]) -> Result<String, DataError> {
    parse_spreadsheet(bytes)
}

#[cfg(feature = "spreadsheets")]
fn cell_text(d: &calamine::Data) -> String {
    use calamine::Data;
    let s = match d {
        Data::Int(i) => i.to_string(),
        Data::Float(x) => format!("{x}"),
        Data::String(s) => s.clone(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => format!("{}", dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("{e}"),
        Data::Empty => String::new(),
    };
    let s = s.replace(['\t', '\r', '\n'], " ");
    if s.contains('"') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(normalize_number("1,234", false).as_deref(), Some("1234"));
        assert_eq!(normalize_number("1,234", true).as_deref(), Some("1.234"));
        assert_eq!(normalize_number("1.234,5", false).as_deref(), Some("1234.5"));
        assert_eq!(normalize_number("1 234", false).as_deref(), Some("1234"));
        assert_eq!(normalize_number("12,5", false).as_deref(), Some("12.5"));
        assert_eq!(normalize_number("inf", false), None);
        assert_eq!(parse_count("12", false), Ok(12));
        assert_eq!(parse_count("12.0", false), Ok(12));
        assert!(parse_count("12.5", false).is_err());
    }
}
