//! `.xlsx` / `.ods` → TSV → `parse_table`, with line numbers equal to sheet rows.

use fourfold::data::parse::{parse_ods, parse_table, parse_xlsx};
use std::io::Write;
use zip::write::SimpleFileOptions;

fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in files {
        w.start_file(*name, opts).expect("start");
        w.write_all(body.as_bytes()).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A one-sheet workbook; `cells` are (reference like "B3", text, is_number).
fn xlsx(cells: &[(&str, &str, bool)]) -> Vec<u8> {
    let mut rows: Vec<(u32, String)> = Vec::new();
    for (r, v, num) in cells {
        let row: u32 = r.trim_start_matches(|c: char| c.is_ascii_alphabetic()).parse().expect("row");
        let c = if *num {
            format!("<c r=\"{r}\"><v>{v}</v></c>")
        } else {
            format!(
                "<c r=\"{r}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                xml_escape(v)
            )
        };
        match rows.iter_mut().find(|x| x.0 == row) {
            Some(x) => x.1.push_str(&c),
            None => rows.push((row, c)),
        }
    }
    let sheet_data: String = rows.iter().map(|(r, c)| format!("<row r=\"{r}\">{c}</row>")).collect();
    let ns = "http://schemas.openxmlformats.org";
    zip_of(&[
        (
            "[Content_Types].xml",
            &format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"{ns}/package/2006/content-types\">\
                 <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
                 <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
                 <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
                 <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>"
            ),
        ),
        (
            "_rels/.rels",
            &format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"{ns}/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"{ns}/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/workbook.xml",
            &format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"{ns}/spreadsheetml/2006/main\" \
                 xmlns:r=\"{ns}/officeDocument/2006/relationships\"><sheets><sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            &format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"{ns}/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"{ns}/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/worksheets/sheet1.xml",
            &format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"{ns}/spreadsheetml/2006/main\"><sheetData>{sheet_data}</sheetData></worksheet>"
            ),
        ),
    ])
}

#[test]
fn xlsx_first_sheet_with_title_and_offset() {
    let bytes = xlsx(&[
        ("A1", "Table 2. Included studies", false),
        ("A3", "Study", false),
        ("B3", "TP", false),
        ("C3", "FP", false),
        ("D3", "FN", false),
        ("E3", "TN", false),
        ("F3", "prevalence", false),
        ("A4", "Smith \"A\"\t2001\nsecond line", false),
        ("B4", "10", true),
        ("C4", "2", true),
        ("D4", "3", true),
        ("E4", "40", true),
        ("F4", "3.6", true),
        ("A5", "Jones 2003", false),
        ("B5", "12.5", true),
        ("C5", "5", true),
        ("D5", "6", true),
        ("E5", "7", true),
        ("A6", "Lee 2010", false),
        ("B6", "8", true),
        ("C6", "0", true),
        ("D6", "1", true),
        ("E6", "22", true),
        ("F6", "12", true),
    ]);
    let text = parse_xlsx(&bytes).expect("readable workbook");
    let o = parse_table(&text);
    let errors: Vec<String> = o.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors, vec!["line 5, column \"TP\": \"12.5\" is not a whole number"]);
    let got: Vec<(String, u64, u64, u64, u64)> =
        o.dataset.studies.iter().map(|s| (s.label.clone(), s.tp, s.fp, s.fn_, s.tn)).collect();
    assert_eq!(
        got,
        vec![
            ("Smith \"A\" 2001 second line".to_string(), 10, 2, 3, 40),
            ("Lee 2010".to_string(), 8, 0, 1, 22)
        ]
    );
    assert_eq!(o.row_lines, vec![4, 6]);
    assert_eq!(o.dataset.covariates[0].number_of(0), Some(3.6));
    assert!(o.notes.contains(&"the table starts on line 3; the lines above it were ignored".to_string()));
}

#[test]
fn xlsx_starting_below_row_one_keeps_row_numbers() {
    let bytes = xlsx(&[
        ("C4", "author", false),
        ("D4", "a", false),
        ("E4", "b", false),
        ("F4", "c", false),
        ("G4", "d", false),
        ("C5", "X", false),
        ("D5", "-1", true),
        ("E5", "1", true),
        ("F5", "1", true),
        ("G5", "1", true),
    ]);
    let o = parse_table(&parse_xlsx(&bytes).expect("workbook"));
    let errors: Vec<String> = o.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors, vec!["line 5, column \"a\": \"-1\" is negative; counts must be 0 or more"]);
}

#[test]
fn ods_first_sheet() {
    let cell = |v: &str| {
        if v.parse::<f64>().is_ok() {
            format!("<table:table-cell office:value-type=\"float\" office:value=\"{v}\"><text:p>{v}</text:p></table:table-cell>")
        } else {
            format!("<table:table-cell office:value-type=\"string\"><text:p>{v}</text:p></table:table-cell>")
        }
    };
    let row = |cells: &[&str]| {
        format!("<table:table-row>{}</table:table-row>", cells.iter().map(|c| cell(c)).collect::<String>())
    };
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content \
         xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\"><office:body><office:spreadsheet>\
         <table:table table:name=\"Sheet1\">{}{}{}</table:table></office:spreadsheet></office:body></office:document-content>",
        row(&["study", "TP", "FP", "FN", "TN", "design"]),
        row(&["A", "1", "2", "3", "4", "cohort"]),
        row(&["B", "5", "6", "7", "8", "case-control"]),
    );
    let bytes = zip_of(&[
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        (
            "META-INF/manifest.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\">\
             <manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>\
             <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>",
        ),
        ("content.xml", &content),
    ]);
    let text = parse_ods(&bytes).expect("readable ods");
    let o = parse_table(&text);
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    assert_eq!(o.dataset.studies.len(), 2);
    assert_eq!(o.dataset.studies[1].tn, 8);
    assert_eq!(o.dataset.covariates[0].levels(), vec!["cohort", "case-control"]);
}

#[test]
fn not_a_workbook() {
    let e = parse_xlsx(b"PK\x03\x04 garbage").expect_err("an error");
    assert!(e.to_string().starts_with("could not read the spreadsheet"), "{e}");
}
