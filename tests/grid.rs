//! The page's grid editor reads the text through the parser (`report::grid::split` is
//! `data::parse::read_table`): grid and parser agree on every row and column, the error
//! positions land on grid cells, and `Grid::to_text` parses back to the same data set.

mod support;

use fourfold::data::parse::{parse_table, read_table, ParseOutcome, RecordRole};
use fourfold::report::grid::{split, Grid};

/// A title above the table, `#` comments above and between rows, quoted cells holding tabs and a
/// line break, a bad count, CRLF line ends.
const TSV_TITLE_COMMENTS_CRLF: &str = "Table 2. Accuracy of MRI\r\n\
     # exported from RevMan\r\n\
     study\tTP\tFP\tFN\tTN\tmodality\r\n\
     \"Smith\t1990\"\t10\t2\t3\t40\t\"MRI\t1.5 T\"\r\n\
     # the next study reports two cohorts\r\n\
     Jones 1995\t8\t1\tx\t30\tCT\r\n\
     \"Brown\r\n2001\"\t12\t4\t2\t50\tCT\r\n\
     \r\n\
     Lee 2003\t5\t0\t1\t22\tMRI\r\n";

/// Semicolon CSV with decimal commas in a covariate, a comment line and quoted `;`.
const SEMICOLON: &str = "# Meta-DiSc export\n\
     study;TP;FP;FN;TN;age\n\
     \"Müller; 2004\";21;3;4;70;61,5\n\
     Rossi 2008;15;5;3;44;58,25\n\
     # excluded later\n\
     \"#3 Dubois\";9;2;1;31;\n";

/// Comma CSV with quotes inside cells and a headerless table.
const HEADERLESS: &str = "A \"quoted\" one,1,2,3,4\nB,5,6,7,8\n";

fn check_agreement(name: &str, text: &str) -> (ParseOutcome, Grid) {
    let parsed = parse_table(text);
    let grid = split(text);
    assert_eq!(read_table(text), parsed.table, "{name}: read_table is what parse_table used");
    assert_eq!(grid.delimiter, parsed.table.delimiter, "{name}: delimiter");
    // Every header / data record of the parser is a grid row, same line, same cells, same order.
    let table_rows: Vec<(usize, &Vec<String>)> = parsed
        .table
        .records
        .iter()
        .filter(|r| matches!(r.role, RecordRole::Header | RecordRole::Row))
        .map(|r| (r.line, &r.cells))
        .collect();
    let grid_rows: Vec<(usize, &Vec<String>)> = grid.rows.iter().map(|r| (r.line, &r.cells)).collect();
    assert_eq!(grid_rows, table_rows, "{name}: grid rows");
    if let Some(h) = parsed.table.header() {
        assert_eq!(
            grid.rows.first().map(|r| &r.cells),
            Some(&h.cells),
            "{name}: the grid starts at the header"
        );
    }
    // Every study sits in the grid row of its line, with its label and counts in the columns
    // the header names.
    let header = parsed.table.header().map(|h| h.cells.clone());
    for (study, line) in parsed.dataset.studies.iter().zip(&parsed.row_lines) {
        let row = grid
            .rows
            .iter()
            .find(|r| r.line == *line)
            .unwrap_or_else(|| panic!("{name}: no grid row on line {line}"));
        let col = |names: &[&str], default: usize| {
            header
                .as_ref()
                .and_then(|h| h.iter().position(|c| names.iter().any(|n| c.eq_ignore_ascii_case(n))))
                .unwrap_or(default)
        };
        let cell = |c: usize| row.cells.get(c).cloned().unwrap_or_default();
        let label = cell(col(&["study"], 0));
        assert_eq!(label.split_whitespace().collect::<Vec<_>>().join(" "), study.label, "{name} line {line}");
        for (k, (n, v)) in
            [("TP", study.tp), ("FP", study.fp), ("FN", study.fn_), ("TN", study.tn)].into_iter().enumerate()
        {
            assert_eq!(cell(col(&[n], k + 1)), v.to_string(), "{name} line {line} {n}");
        }
    }
    // Every located error points at a grid row, and a named column at a header cell.
    for e in &parsed.errors {
        let Some(line) = e.line else { continue };
        assert!(
            grid.rows.iter().any(|r| r.line == line),
            "{name}: error on line {line} has no grid row: {e}"
        );
        if let (Some(c), Some(h)) = (&e.column, &header) {
            assert!(
                h.iter().any(|x| x.eq_ignore_ascii_case(c)),
                "{name}: error column {c} not in the header"
            );
        }
    }
    // Written back, the grid reads as the same data set (and the same grid of cells).
    let back = grid.to_text();
    let again = parse_table(&back);
    assert_eq!(again.dataset, parsed.dataset, "{name}: to_text re-parses to the same data set:\n{back}");
    assert_eq!(again.errors.len(), parsed.errors.len(), "{name}: same errors after the round trip:\n{back}");
    let cells = |g: &Grid| g.rows.iter().map(|r| r.cells.clone()).collect::<Vec<_>>();
    assert_eq!(cells(&split(&back)), cells(&grid), "{name}: same cells after the round trip");
    assert_eq!(split(&back).delimiter, grid.delimiter, "{name}: same delimiter after the round trip");
    (parsed, grid)
}

#[test]
fn tsv_with_title_comments_quoted_tabs_and_crlf() {
    let (parsed, grid) = check_agreement("tsv", TSV_TITLE_COMMENTS_CRLF);
    assert_eq!(grid.delimiter, b'\t');
    assert_eq!(parsed.table.header().map(|h| h.line), Some(3));
    let roles: Vec<(usize, RecordRole)> = parsed.table.records.iter().map(|r| (r.line, r.role)).collect();
    use RecordRole::*;
    assert_eq!(
        roles,
        [(1, Title), (2, Comment), (3, Header), (4, Row), (5, Comment), (6, Row), (7, Row), (10, Row)]
    );
    assert_eq!(parsed.row_lines, [4, 7, 10], "Jones (line 6) has a bad FN");
    assert_eq!(grid.rows[1].cells[0], "Smith\t1990");
    assert_eq!(grid.rows[1].cells[5], "MRI\t1.5 T");
    assert_eq!(grid.rows[3].cells[0], "Brown\r\n2001");
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!((parsed.errors[0].line, parsed.errors[0].column.as_deref()), (Some(6), Some("FN")));
    // The title and the comments survive an edit, in place.
    let mut g = grid.clone();
    g.set(2, 3, "2");
    let text = g.to_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Table 2. Accuracy of MRI");
    assert_eq!(lines[1], "# exported from RevMan");
    assert_eq!(lines[4], "# the next study reports two cohorts");
    let fixed = parse_table(&text);
    assert!(fixed.errors.is_empty(), "{:?}", fixed.errors);
    assert_eq!(fixed.dataset.studies.len(), 4);
    assert_eq!(fixed.dataset.studies[1].fn_, 2);
}

#[test]
fn semicolon_csv_with_comments_and_quoted_delimiters() {
    let (parsed, grid) = check_agreement("semicolon", SEMICOLON);
    assert_eq!(grid.delimiter, b';');
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.row_lines, [3, 4, 6]);
    assert_eq!(parsed.dataset.studies[0].label, "Müller; 2004");
    assert_eq!(parsed.dataset.studies[2].label, "#3 Dubois", "a quoted # is data, not a comment");
    assert!(
        parsed.notes.iter().any(|n| n == "2 comment line(s) starting with # ignored"),
        "{:?}",
        parsed.notes
    );
    let text = grid.to_text();
    assert!(text.contains("\"Müller; 2004\";21"), "{text}");
    assert!(text.contains("\"#3 Dubois\";9"), "{text}");
}

#[test]
fn headerless_and_quotes_inside_cells() {
    let (parsed, grid) = check_agreement("headerless", HEADERLESS);
    assert_eq!(parsed.table.header(), None);
    assert_eq!(grid.rows.len(), 2);
    assert_eq!(parsed.dataset.studies[0].label, "A \"quoted\" one");
    assert!(grid.to_text().starts_with("\"A \"\"quoted\"\" one\",1,2,3,4\n"));
}

#[test]
fn rows_added_in_the_editor_come_after_trailing_comments() {
    let mut g = split("study,TP,FP,FN,TN\nA,1,2,3,4\n# end\n");
    g.rows.push(fourfold::report::grid::GridRow {
        line: 0,
        cells: vec!["B".into(), "5".into(), "6".into(), "7".into(), "8".into()],
    });
    assert_eq!(g.to_text(), "study,TP,FP,FN,TN\nA,1,2,3,4\n# end\nB,5,6,7,8\n");
    // Removing a row keeps the comments before the rows they preceded.
    let mut g = split("study,TP,FP,FN,TN\nA,1,2,3,4\n# about B\nB,5,6,7,8\n");
    g.rows.remove(1);
    assert_eq!(g.to_text(), "study,TP,FP,FN,TN\n# about B\nB,5,6,7,8\n");
}

#[test]
fn every_reference_data_set_round_trips_through_the_grid() {
    for name in support::all_data_sets() {
        let text = support::read_data_text(&name);
        let (parsed, grid) = check_agreement(&name, &text);
        assert_eq!(grid.rows.len(), parsed.dataset.studies.len() + 1, "{name}");
    }
}
