//! Files in the layouts other DTA tools write (tests/fixtures/import, made by
//! tests/refs-src/make_import_fixtures.R from ../shared/refs/data) parse to the same studies as
//! the reference CSV; bad cells are reported at their line and column.

mod support;
use fourfold::data::import::metadta::QUADAS_COLUMNS;
use fourfold::data::parse::parse_table;
use fourfold::data::{CovariateKind, CovariateValue, DataErrorKind, Dataset};
use support::read_dataset;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR")))
        .expect("fixture")
}

fn same_studies(got: &Dataset, want: &Dataset) {
    assert_eq!(got.studies.len(), want.studies.len());
    for (g, w) in got.studies.iter().zip(&want.studies) {
        assert_eq!((&g.label, g.tp, g.fp, g.fn_, g.tn), (&w.label, w.tp, w.fp, w.fn_, w.tn));
    }
}

#[test]
fn metadta_template_reads_as_the_reference_with_quadas_judgements() {
    let p = parse_table(&fixture("metadta_dementia.csv"));
    assert!(p.errors.is_empty() && p.warnings.is_empty(), "{:?} {:?}", p.errors, p.warnings);
    same_studies(&p.dataset, &read_dataset("dementia"));
    // Column order TP, FN, FP, TN is MetaDTA's: the first row is TP 66, FN 4, FP 240, TN 870.
    assert_eq!(p.dataset.studies[0].fp, 240);
    for name in QUADAS_COLUMNS {
        let c = p.dataset.covariate(name).expect(name);
        assert_eq!(c.kind, CovariateKind::Categorical, "{name}");
    }
    // Row 1: rob_PS = 2 → high, rob_IT = 3 → unclear, rob_RS = 1 → low.
    let v = |n: &str| p.dataset.covariate(n).unwrap().values[0].clone();
    assert_eq!(v("rob_PS"), CovariateValue::Category("high".into()));
    assert_eq!(v("rob_IT"), CovariateValue::Category("unclear".into()));
    assert_eq!(v("rob_RS"), CovariateValue::Category("low".into()));
    assert_eq!(p.dataset.covariate("year").unwrap().kind, CovariateKind::Numeric);
    assert_eq!(p.dataset.covariate("Threshold").unwrap().values[0], CovariateValue::Number(3.1));
    assert!(p.notes.iter().any(|n| n.contains("MetaDTA layout: 7 QUADAS-2")), "{:?}", p.notes);
}

#[test]
fn metadta_bad_cells_are_located() {
    let text = fixture("metadta_dementia.csv");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Line 3: a QUADAS code 4 in rob_IT (8th column); line 5: FN = "x".
    lines[2] = lines[2].replacen(",3,1,2,3,1,2,1,", ",3,4,2,3,1,2,1,", 1);
    let mut cells: Vec<String> = lines[4].split(',').map(String::from).collect();
    cells[3] = "x".into();
    lines[4] = cells.join(",");
    let p = parse_table(&(lines.join("\n") + "\n"));
    let w = p.warnings.iter().find(|w| w.kind == DataErrorKind::UnknownCode).expect("code warning");
    assert_eq!((w.line, w.column.as_deref()), (Some(3), Some("rob_IT")));
    assert_eq!(p.dataset.covariate("rob_IT").unwrap().values[1], CovariateValue::Missing);
    let e = &p.errors[0];
    assert_eq!((e.kind, e.line, e.column.as_deref()), (DataErrorKind::NotANumber, Some(5), Some("FN")));
    assert_eq!(e.to_string(), "line 5, column \"FN\": \"x\" is not a number");
}

#[test]
fn metadisc_semicolon_csv_reads_as_the_reference() {
    let p = parse_table(&fixture("metadisc_audit_c.csv"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    same_studies(&p.dataset, &read_dataset("audit_c"));
    assert_eq!(p.dataset.covariate("Cutoff").unwrap().values[0], CovariateValue::Number(4.5));
    let bad = fixture("metadisc_audit_c.csv").replacen("\"AuditC_02\";126;", "\"AuditC_02\";-126;", 1);
    let e = &parse_table(&bad).errors[0];
    assert_eq!((e.kind, e.line, e.column.as_deref()), (DataErrorKind::Negative, Some(3), Some("TP")));
}

/// Meta-DiSc 2.0's preferred upload is an .xlsx with ID, TP, FP, FN, TN (any case) and covariates.
#[cfg(all(feature = "xlsx", feature = "spreadsheets"))]
#[test]
fn metadisc_xlsx_reads_as_the_reference() {
    let want = read_dataset("audit_c");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (j, h) in ["id", "tp", "fp", "fn", "tn"].iter().enumerate() {
        ws.write_string(0, j as u16, *h).unwrap();
    }
    for (i, s) in want.studies.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &s.label).unwrap();
        for (j, v) in [s.tp, s.fp, s.fn_, s.tn].iter().enumerate() {
            ws.write_number(r, j as u16 + 1, *v as f64).unwrap();
        }
    }
    let text = fourfold::data::parse::parse_spreadsheet(&wb.save_to_buffer().unwrap()).expect("xlsx");
    let p = parse_table(&text);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    same_studies(&p.dataset, &want);
}

/// A RevMan 5 review file (tests/fixtures/import/revman5_anti_ccp.rm5, made by
/// tests/refs-src/make_rm5_fixture.R with the elements public .rm5 parsers read:
/// CochraneSchizophrenia/RAPTOR `DR-RAPTOR_run_locally.py`) reads as the reference data, its two
/// tests in a `test` column and the years from `STUDY YEAR`.
#[cfg(feature = "rm5")]
#[test]
fn revman5_rm5_reads_as_the_reference_with_its_tests() {
    use fourfold::data::import::rm5::{looks_like_rm5, rm5_to_text};
    let bytes = fixture("revman5_anti_ccp.rm5").into_bytes();
    assert!(looks_like_rm5(&bytes));
    let text = rm5_to_text(&bytes).expect("rm5");
    assert!(
        text.starts_with("# RevMan 5 review \"Anti-CCP antibodies for the diagnosis of rheumatoid arthritis\": 37 2x2 table(s) of 2 test(s) (\"Anti-CCP1\", \"Anti-CCP2\")"),
        "{}",
        text.lines().next().unwrap_or_default()
    );
    let p = parse_table(&text);
    assert!(p.errors.is_empty() && p.warnings.is_empty(), "{:?} {:?}", p.errors, p.warnings);
    let want = read_dataset("anti_ccp");
    let generation = want.covariate("generation").expect("generation");
    let test = p.dataset.covariate("test").expect("test column");
    let year = p.dataset.covariate("year").expect("year column");
    assert_eq!(year.kind, CovariateKind::Numeric);
    assert_eq!(p.dataset.studies.len(), want.studies.len());
    for (i, g) in p.dataset.studies.iter().enumerate() {
        let j = want.studies.iter().position(|w| w.label == g.label).expect("same label");
        let w = &want.studies[j];
        assert_eq!((g.tp, g.fp, g.fn_, g.tn), (w.tp, w.fp, w.fn_, w.tn), "{}", g.label);
        let CovariateValue::Category(gen) = &generation.values[j] else { panic!("generation") };
        assert_eq!(test.values[i], CovariateValue::Category(format!("Anti-{gen}")), "{}", g.label);
        let y: f64 = g.label.rsplit(' ').next().and_then(|s| s.parse().ok()).expect("year in label");
        assert_eq!(year.values[i], CovariateValue::Number(y));
    }
}

/// Bad .rm5 files give errors at the file's line naming the element.
#[cfg(feature = "rm5")]
#[test]
fn revman5_bad_files_are_located() {
    use fourfold::data::import::rm5::rm5_to_text;
    let good = fixture("revman5_anti_ccp.rm5");
    let line_of = |needle: &str| good.lines().position(|l| l.contains(needle)).expect("needle") + 1;
    let bas = line_of("STUDY_ID=\"STD-Bas-2003\" TN");
    let bad =
        good.replacen("STUDY_ID=\"STD-Bas-2003\" TN=\"215\"", "STUDY_ID=\"STD-Bas-2003\" TN=\"21.5\"", 1);
    let e = rm5_to_text(bad.as_bytes()).unwrap_err();
    assert_eq!((e.kind, e.line), (DataErrorKind::RevMan, Some(bas)));
    assert_eq!(
        e.to_string(),
        format!("line {bas}: <TEST_DATA_ENTRY STUDY_ID=\"STD-Bas-2003\"> of test \"Anti-CCP1\": TN=\"21.5\" is not a whole number ≥ 0")
    );
    // A truncated file: the XML error names the open element and a line.
    let cut = &good[..good.find("</TESTS>").expect("TESTS")];
    let e = rm5_to_text(cut.as_bytes()).unwrap_err();
    assert_eq!(e.kind, DataErrorKind::RevMan);
    assert!(e.line.is_some() && e.message.contains("not well-formed XML"), "{e}");
    let e =
        rm5_to_text(good.replacen("TYPE=\"DIAGNOSTIC\"", "TYPE=\"INTERVENTION\"", 1).as_bytes()).unwrap_err();
    assert_eq!((e.line, e.kind), (Some(2), DataErrorKind::RevMan));
    assert!(e.message.contains("diagnostic test accuracy reviews"), "{e}");
}
