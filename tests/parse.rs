//! Parser tests: real clipboard payloads, every reference data set, and a catalogue of bad inputs
//! with their exact located messages.

use fourfold::data::parse::{parse_table, ParseOutcome};
use fourfold::data::{CovariateKind, CovariateValue, DataErrorKind as K, Study};

mod support;
use support::data_dir;

fn studies(o: &ParseOutcome) -> Vec<(String, u64, u64, u64, u64)> {
    o.dataset.studies.iter().map(|s| (s.label.clone(), s.tp, s.fp, s.fn_, s.tn)).collect()
}

fn s(label: &str, tp: u64, fp: u64, fn_: u64, tn: u64) -> (String, u64, u64, u64, u64) {
    (label.to_string(), tp, fp, fn_, tn)
}

fn messages(v: &[fourfold::data::DataError]) -> Vec<String> {
    v.iter().map(|e| e.to_string()).collect()
}

fn cat(x: &str) -> CovariateValue {
    CovariateValue::Category(x.to_string())
}

// ---------------------------------------------------------------- clipboard payloads

/// Excel (Windows) copy: TSV, CRLF, a trailing tab on every row (an empty selected column), a
/// quoted cell with an embedded line break and doubled quotes, a formatted number with a
/// thousands separator, an empty row inside the selection, and the final CRLF.
#[test]
fn excel_clipboard() {
    let text = "Study\tTP\tFP\tFN\tTN\tsetting\t\r\n\
                \"Smith \"\"A\"\"\r\n2001\"\t10\t2\t3\t40\tprimary\t\r\n\
                Jones 2003\t1,234\t5\t6\t7\tsecondary\t\r\n\
                \t\t\t\t\t\t\r\n\
                Lee 2010\t8\t0\t1\t22\t\t\r\n";
    let o = parse_table(text);
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    assert_eq!(
        studies(&o),
        vec![s("Smith \"A\" 2001", 10, 2, 3, 40), s("Jones 2003", 1234, 5, 6, 7), s("Lee 2010", 8, 0, 1, 22)]
    );
    assert_eq!(o.row_lines, vec![2, 4, 6]);
    assert_eq!(o.dataset.covariates.len(), 1);
    let c = &o.dataset.covariates[0];
    assert_eq!(c.name, "setting");
    assert_eq!(c.kind, CovariateKind::Categorical);
    assert_eq!(c.values, vec![cat("primary"), cat("secondary"), CovariateValue::Missing]);
    assert_eq!(o.dataset.cluster, None);
    assert_eq!(o.notes, vec!["read as tab-separated text", "1 empty row(s) ignored"]);
}

/// Google Sheets copy: TSV, LF, no trailing newline, lower-case headers, numeric covariate.
#[test]
fn google_sheets_clipboard() {
    let text = "study\ttp\tfp\tfn\ttn\tyear\nAlpha\t1\t2\t3\t4\t2001\nBeta\t5\t6\t7\t8\t2003";
    let o = parse_table(text);
    assert!(o.errors.is_empty() && o.warnings.is_empty());
    assert_eq!(studies(&o), vec![s("Alpha", 1, 2, 3, 4), s("Beta", 5, 6, 7, 8)]);
    let c = &o.dataset.covariates[0];
    assert_eq!((c.name.as_str(), c.kind), ("year", CovariateKind::Numeric));
    assert_eq!(c.values, vec![CovariateValue::Number(2001.0), CovariateValue::Number(2003.0)]);
    assert_eq!(o.row_lines, vec![2, 3]);
}

/// LibreOffice Calc copy: TSV with long header names; a decimal-comma covariate (German locale).
#[test]
fn libreoffice_clipboard() {
    let text = "Author\tTrue positives\tFalse positives\tFalse negatives\tTrue negatives\tcut-off\n\
                Müller 2004\t12\t3\t4\t50\t2,5\n\
                Öztürk 2011\t20\t10\t2\t80\t3,75\n";
    let o = parse_table(text);
    assert!(o.errors.is_empty() && o.warnings.is_empty());
    assert_eq!(studies(&o), vec![s("Müller 2004", 12, 3, 4, 50), s("Öztürk 2011", 20, 10, 2, 80)]);
    let c = &o.dataset.covariates[0];
    assert_eq!((c.name.as_str(), c.kind), ("cut-off", CovariateKind::Numeric));
    assert_eq!(c.values, vec![CovariateValue::Number(2.5), CovariateValue::Number(3.75)]);
    assert!(o.notes.contains(&"numbers read with a decimal comma".to_string()));
}

/// Semicolon CSV (Excel "CSV" in a decimal-comma locale): thousands dots in counts, decimal
/// commas in covariates, quoted label with a semicolon, CRLF.
#[test]
fn semicolon_csv_decimal_comma() {
    let text = "Study;TP;FP;FN;TN;prevalence;design\r\n\
                \"Dupont; Martin 1999\";1.234;5;6;7;3,6;cohort\r\n\
                Rossi 2002;10;2;3;40;12,25;case-control\r\n";
    let o = parse_table(text);
    assert!(o.errors.is_empty() && o.warnings.is_empty(), "{:?}", o.errors);
    assert_eq!(studies(&o), vec![s("Dupont; Martin 1999", 1234, 5, 6, 7), s("Rossi 2002", 10, 2, 3, 40)]);
    assert_eq!(o.dataset.covariates[0].kind, CovariateKind::Numeric);
    assert_eq!(
        o.dataset.covariates[0].values,
        vec![CovariateValue::Number(3.6), CovariateValue::Number(12.25)]
    );
    assert_eq!(o.dataset.covariates[1].values, vec![cat("cohort"), cat("case-control")]);
    assert_eq!(o.notes[0], "read as semicolon-separated text");
}

/// UTF-8 BOM (Excel "CSV UTF-8"), RevMan-style quoted header, comma-decimal-free CSV.
#[test]
fn bom_revman_export() {
    let text = "\u{feff}\"Study\",\"TP\",\"FP\",\"FN\",\"TN\"\n\"Bradley et al,1998\",58,6,47,150\n\"Philpot et al,2003\",13,7,4,104\n";
    let o = parse_table(text);
    assert!(o.errors.is_empty() && o.warnings.is_empty());
    assert_eq!(
        studies(&o),
        vec![s("Bradley et al,1998", 58, 6, 47, 150), s("Philpot et al,2003", 13, 7, 4, 104)]
    );
    assert_eq!(o.notes, vec!["read as comma-separated text"]);
}

/// RevMan 5 exports "Study ID" as the label column; Meta-DiSc uses "Author".
#[test]
fn revman_study_id_and_metadisc_author() {
    let o = parse_table("Study ID,TP,FP,FN,TN\nA 2001,1,2,3,4\n");
    assert_eq!(studies(&o), vec![s("A 2001", 1, 2, 3, 4)]);
    assert!(o.dataset.covariates.is_empty());
    let o = parse_table("Author\tTP\tFP\tFN\tTN\nB 2002\t5\t6\t7\t8\n");
    assert_eq!(studies(&o), vec![s("B 2002", 5, 6, 7, 8)]);
}

/// Single-letter aliases a, b, c, d, columns in any order, label column not first.
#[test]
fn aliases_and_column_order() {
    let o = parse_table("d,c,b,a,label\n4,3,2,1,X\n");
    assert!(o.errors.is_empty());
    assert_eq!(studies(&o), vec![s("X", 1, 2, 3, 4)]);
}

#[test]
fn headerless_with_and_without_label() {
    let o = parse_table("A\t1\t2\t3\t4\nB\t5\t6\t7\t8\n");
    assert!(o.errors.is_empty());
    assert_eq!(studies(&o), vec![s("A", 1, 2, 3, 4), s("B", 5, 6, 7, 8)]);
    assert!(o.notes.contains(&"no header row: columns read as study, TP, FP, FN, TN".to_string()));
    assert_eq!(o.row_lines, vec![1, 2]);
    let o = parse_table("1,2,3,4\n5,6,7,8\n");
    assert_eq!(studies(&o), vec![s("Study 1", 1, 2, 3, 4), s("Study 2", 5, 6, 7, 8)]);
    assert!(o.notes.contains(&"no header row: columns read as TP, FP, FN, TN".to_string()));
}

#[test]
fn cluster_column() {
    let o = parse_table("study,TP,FP,FN,TN,cluster\nA [1],1,2,3,4,P1\nA [2],5,6,7,8,P1\n");
    assert_eq!(o.dataset.cluster, Some(0));
    assert_eq!(o.dataset.cluster_covariate().map(|c| c.name.as_str()), Some("cluster"));
}

// ---------------------------------------------------------------- reference data

fn kinds(o: &ParseOutcome) -> Vec<(String, CovariateKind)> {
    o.dataset.covariates.iter().map(|c| (c.name.clone(), c.kind)).collect()
}

/// (file stem, k, covariates with their kinds)
type Expected = (&'static str, usize, &'static [(&'static str, CovariateKind)]);

#[test]
fn every_reference_dataset_parses() {
    use CovariateKind::{Categorical as C, Numeric as N};
    let expected: &[Expected] = &[
        ("anti_ccp", 37, &[("generation", C)]),
        ("audit4", 4, &[]),
        ("audit_c", 14, &[]),
        ("catheter", 33, &[("type", C), ("prevalence", N)]),
        ("dementia", 33, &[]),
        ("gould_pet", 31, &[]),
        ("mmse4", 4, &[]),
        ("pap", 59, &[]),
        ("scheidler", 44, &[("modality", C)]),
        ("scheidler_lag", 17, &[]),
        ("schuetz", 108, &[("test", C)]),
        ("skin_tests", 10, &[]),
        ("smoking", 51, &[("type", C), ("population", C), ("study_id", N)]),
        ("telomerase", 10, &[]),
        ("xpert_tbm", 29, &[]),
    ];
    let mut n_files = 0;
    for entry in std::fs::read_dir(data_dir()).expect("refs/data") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("csv") {
            continue;
        }
        n_files += 1;
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let (_, k, covs) =
            expected.iter().find(|e| e.0 == name).unwrap_or_else(|| panic!("unexpected file {name}"));
        let text = std::fs::read_to_string(&path).expect("read");
        let o = parse_table(&text);
        assert!(o.errors.is_empty(), "{name}: {:?}", messages(&o.errors));
        assert!(o.warnings.is_empty(), "{name}: {:?}", messages(&o.warnings));
        assert_eq!(o.dataset.studies.len(), *k, "{name}");
        let want: Vec<(String, CovariateKind)> = covs.iter().map(|(n, c)| (n.to_string(), *c)).collect();
        assert_eq!(kinds(&o), want, "{name}");
        assert_eq!(o.dataset.cluster, if name == "smoking" { Some(2) } else { None }, "{name}");
        assert_eq!(o.row_lines.first(), Some(&2), "{name}");
    }
    assert_eq!(n_files, expected.len());
}

#[test]
fn reference_values_spot_checks() {
    let text = support::read_data_text("catheter");
    let o = parse_table(&text);
    assert_eq!(o.dataset.studies[0], Study::new("Cooper_1985", 12, 29, 0, 289));
    assert_eq!(o.dataset.covariates[1].values[0], CovariateValue::Number(3.6));
    let text = support::read_data_text("smoking");
    let o = parse_table(&text);
    assert_eq!(o.dataset.studies[1], Study::new("Bauman & Dent, 1982 [2]", 90, 120, 10, 969));
    assert!(o
        .notes
        .contains(&"column \"study_id\" read as the cluster (publication) of each row".to_string()));
}

// ---------------------------------------------------------------- bad inputs

/// (input, expected errors (Display), expected warnings (Display), number of good rows kept)
type Case = (&'static str, &'static [&'static str], &'static [&'static str], usize);

const H: &str = "study,TP,FP,FN,TN\n";

fn check(i: usize, text: &str, errors: &[&str], warnings: &[&str], k: usize) {
    let o = parse_table(text);
    assert_eq!(messages(&o.errors), errors, "case {i}: {text:?}");
    assert_eq!(messages(&o.warnings), warnings, "case {i}: {text:?}");
    assert_eq!(o.dataset.studies.len(), k, "case {i}: {text:?}");
}

#[test]
fn bad_input_catalogue() {
    let cases: &[Case] = &[
        // 0: empty input
        ("", &["no data: the text is empty"], &[], 0),
        // 1: whitespace only
        ("  \n\t\n", &["no data: the text is empty"], &[], 0),
        // 2: only delimiters
        (",,,,\n,,,\n", &["no data: the text holds only empty cells"], &[], 0),
        // 3: header without rows
        ("study,TP,FP,FN,TN\n", &["no data rows below the header"], &[], 0),
        // 4: one missing column
        (
            "study,TP,FP,FN\nA,1,2,3\n",
            &["line 1: missing required column TN (accepted headers: TN, true negative(s), d)"],
            &[],
            0,
        ),
        // 5: no recognisable header at all
        (
            "name,x,y,z,w\nA,1,2,3,4\n",
            &[
                "line 1: missing required column TP (accepted headers: TP, true positive(s), a)",
                "line 1: missing required column FP (accepted headers: FP, false positive(s), b)",
                "line 1: missing required column FN (accepted headers: FN, false negative(s), c)",
                "line 1: missing required column TN (accepted headers: TN, true negative(s), d)",
            ],
            &[],
            0,
        ),
        // 6: duplicate required column
        (
            "study,TP,FP,FN,TN,true positives\nA,1,2,3,4,9\n",
            &["line 1, column \"true positives\": duplicate column for TP (column \"TP\" already holds TP); this column was ignored"],
            &[],
            1,
        ),
        // 7: negative
        ("study,TP,FP,FN,TN\nA,-3,2,3,4\n", &["line 2, column \"TP\": \"-3\" is negative; counts must be 0 or more"], &[], 0),
        // 8: non-integer
        ("study,TP,FP,FN,TN\nA,1,12.5,3,4\n", &["line 2, column \"FP\": \"12.5\" is not a whole number"], &[], 0),
        // 9: non-numeric
        ("study,TP,FP,FN,TN\nA,1,2,abc,4\n", &["line 2, column \"FN\": \"abc\" is not a number"], &[], 0),
        // 10: empty cell
        ("study,TP,FP,FN,TN\nA,1,2,,4\n", &["line 2, column \"FN\": missing value"], &[], 0),
        // 11: NA
        ("study,TP,FP,FN,TN\nA,1,2,3,NA\n", &["line 2, column \"TN\": missing value"], &[], 0),
        // 12: short row
        (
            "study,TP,FP,FN,TN\nA,1,2\n",
            &["line 2, column \"FN\": missing value", "line 2, column \"TN\": missing value"],
            &[],
            0,
        ),
        // 13: overflow past u32
        (
            "study,TP,FP,FN,TN\nA,5000000000,2,3,4\n",
            &["line 2, column \"TP\": \"5000000000\" is too large (the largest accepted count is 4294967295)"],
            &[],
            0,
        ),
        // 14: overflow past u64
        (
            "study,TP,FP,FN,TN\nA,1,99999999999999999999999,3,4\n",
            &["line 2, column \"FP\": \"99999999999999999999999\" is too large (the largest accepted count is 4294967295)"],
            &[],
            0,
        ),
        // 15: exponent overflowing f64
        ("study,TP,FP,FN,TN\nA,1,2,1e400,4\n", &["line 2, column \"FN\": \"1e400\" is not a number"], &[], 0),
        // 16: inf
        ("study,TP,FP,FN,TN\nA,1,2,3,inf\n", &["line 2, column \"TN\": \"inf\" is not a number"], &[], 0),
        // 17: too many cells
        (
            "study,TP,FP,FN,TN\nA,1,2,3,4,extra\nB,1,2,3,4\n",
            &["line 2: the row has 6 cells but the header has 5 columns; the row was skipped"],
            &[],
            1,
        ),
        // 18: all four zero (warning, skipped)
        (
            "study,TP,FP,FN,TN\nA,0,0,0,0\nB,1,2,3,4\n",
            &[],
            &["line 2: all four counts are 0; the row carries no information and was skipped"],
            1,
        ),
        // 19: n1 = 0 (warning, kept)
        (
            "study,TP,FP,FN,TN\nA,0,2,0,4\n",
            &[],
            &["line 2: no reference-positive participants (TP + FN = 0): the row informs specificity only and is left out of the two-step methods (Spearman, Deeks, univariate Q)"],
            1,
        ),
        // 20: n0 = 0 (warning, kept)
        (
            "study,TP,FP,FN,TN\nA,1,0,3,0\n",
            &[],
            &["line 2: no reference-negative participants (FP + TN = 0): the row informs sensitivity only and is left out of the two-step methods (Spearman, Deeks, univariate Q)"],
            1,
        ),
        // 21: duplicate label
        (
            "study,TP,FP,FN,TN\nA,1,2,3,4\nB,1,2,3,4\nA,5,6,7,8\n",
            &[],
            &["line 4, column \"study\": duplicate study label \"A\" (first on line 2)"],
            3,
        ),
        // 22: every problem of one row at once
        (
            "study,TP,FP,FN,TN\nA,-1,x,,1.5\n",
            &[
                "line 2, column \"TP\": \"-1\" is negative; counts must be 0 or more",
                "line 2, column \"FP\": \"x\" is not a number",
                "line 2, column \"FN\": missing value",
                "line 2, column \"TN\": \"1.5\" is not a whole number",
            ],
            &[],
            0,
        ),
        // 23: line numbers after a quoted multi-line label
        (
            "study,TP,FP,FN,TN\n\"A\nB\",1,2,3,4\nC,x,1,1,1\n",
            &["line 4, column \"TP\": \"x\" is not a number"],
            &[],
            1,
        ),
        // 24: line numbers with CRLF and a blank line
        ("study,TP,FP,FN,TN\r\nA,1,2,3,4\r\n\r\nB,1,2,x,4\r\n", &["line 4, column \"FN\": \"x\" is not a number"], &[], 1),
        // 25: blank lines before the header
        (
            "\n\nstudy,TP,FP,FN\nA,1,2,3\n",
            &["line 3: missing required column TN (accepted headers: TN, true negative(s), d)"],
            &[],
            0,
        ),
        // 26: duplicate covariate name (warning; renamed)
        (
            "study,TP,FP,FN,TN,dose,Dose\nA,1,2,3,4,1,2\n",
            &[],
            &["line 1, column \"Dose\": another column is also named \"Dose\"; this one was renamed \"Dose (2)\""],
            1,
        ),
        // 27: data under an empty header cell (warning; named)
        (
            "study,TP,FP,FN,TN,\nA,1,2,3,4,x\n",
            &[],
            &["line 1: column 6 has data but no header; it was named \"column 6\""],
            1,
        ),
        // 28: percent sign in a count
        ("study,TP,FP,FN,TN\nA,12%,2,3,4\n", &["line 2, column \"TP\": \"12%\" is not a number"], &[], 0),
        // 29: decimal comma in a count (semicolon file)
        ("study;TP;FP;FN;TN\nA;12,5;2;3;4\n", &["line 2, column \"TP\": \"12,5\" is not a whole number"], &[], 0),
        // 30: whitespace-only count cell
        ("study\tTP\tFP\tFN\tTN\nA\t1\t \t3\t4\n", &["line 2, column \"FP\": missing value"], &[], 0),
        // 31: headerless table, bad cell in a later row (column named by position)
        ("A,1,2,3,4\nB,1,2,3,x\n", &["line 2, column \"TN\": \"x\" is not a number"], &[], 1),
        // 32: negative decimal
        ("study,TP,FP,FN,TN\nA,1,2,3,-0.5\n", &["line 2, column \"TN\": \"-0.5\" is negative; counts must be 0 or more"], &[], 0),
        // 33: the column name is reported as the user wrote it
        (
            "Author\tTrue Positives\tfp\tfn\ttn\nX\t1.0e1\t2\t3\tfour\n",
            &["line 2, column \"tn\": \"four\" is not a number"],
            &[],
            0,
        ),
        // 34: error in one row, warning in another, good row kept
        (
            "study,TP,FP,FN,TN\nA,1,2,3,4\nB,0,0,0,0\nC,1,2,3,-4\n",
            &["line 4, column \"TN\": \"-4\" is negative; counts must be 0 or more"],
            &["line 3: all four counts are 0; the row carries no information and was skipped"],
            1,
        ),
        // 35: unterminated quote swallows the rest of the text into one label cell
        (
            "study,TP,FP,FN,TN\n\"A,1,2,3,4\nB,1,2,3,4\n",
            &[
                "line 2, column \"TP\": missing value",
                "line 2, column \"FP\": missing value",
                "line 2, column \"FN\": missing value",
                "line 2, column \"TN\": missing value",
            ],
            &[],
            0,
        ),
    ];
    assert!(cases.len() >= 30);
    for (i, (text, errors, warnings, k)) in cases.iter().enumerate() {
        check(i, text, errors, warnings, *k);
    }
    let _ = H;
}

#[test]
fn error_kinds_and_positions() {
    let o = parse_table("study,TP,FP,FN,TN\nA,1,2.5,3,4\n");
    let e = &o.errors[0];
    assert_eq!(e.kind, K::NotWhole);
    assert_eq!(e.line, Some(2));
    assert_eq!(e.column.as_deref(), Some("FP"));
    assert!(!e.is_warning());
    let o = parse_table("study,TP,FP,FN,TN\nA,1,0,3,0\n");
    assert_eq!(o.warnings[0].kind, K::NoHealthy);
    assert!(o.warnings[0].is_warning());
}

#[test]
fn spreadsheet_garbage_is_an_error() {
    let e = fourfold::data::parse::parse_xlsx(b"not a zip file").expect_err("an error");
    assert_eq!(e.kind, K::Spreadsheet);
    assert!(fourfold::data::parse::parse_ods(&[]).is_err());
}

/// A caption pasted above the table (from a paper's PDF or a web page).
#[test]
fn caption_above_header_is_skipped() {
    let o = parse_table("Table 1. Included studies (n = 2)\n\nstudy,TP,FP,FN,TN\nA,1,2,3,4\nB,5,6,7,x\n");
    assert_eq!(studies(&o), vec![s("A", 1, 2, 3, 4)]);
    assert_eq!(messages(&o.errors), vec!["line 5, column \"TN\": \"x\" is not a number"]);
    assert!(o.notes.contains(&"the table starts on line 3; the lines above it were ignored".to_string()));
}
