//! The Excel workbook (`report::xlsx`): every sheet read back with calamine holds exactly the
//! cells of the CSV export it was written from (numbers bit for bit, as numbers), and LibreOffice
//! (`soffice --headless --convert-to csv`, every sheet) reads the same tables.
//!
//! LibreOffice is installed by `.ci/setup` (`libreoffice-calc-nogui`); without `soffice` on the
//! PATH the LibreOffice test fails unless `FOURFOLD_SKIP_SOFFICE=1` says to skip it.
#![cfg(feature = "xlsx")]

mod support;
use calamine::{Data, Reader};
use fourfold::analysis::{run_settings, Analysis};
use fourfold::report::export::{loo_csv, studies_csv, summary_csv};
use fourfold::report::revman::revman_csv;
use fourfold::report::xlsx::{workbook, SHEETS};
use fourfold::settings::AnalysisSettings;
use support::read_dataset;

/// rel, LibreOffice writes numbers with 15 significant digits.
const LO_REL: f64 = 1e-14;

fn scheidler() -> Analysis {
    let s = AnalysisSettings {
        covariate: Some("modality".into()),
        leave_one_out: true,
        ..AnalysisSettings::default()
    };
    run_settings(&read_dataset("scheidler"), &s).expect("analysis")
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("csv").iter().map(String::from).collect())
        .collect()
}

/// The sheets written from a CSV export, with that CSV.
fn csv_sheets(a: &Analysis) -> Vec<(&'static str, String)> {
    let loo = &a.influence.as_ref().expect("loo").loo;
    vec![
        (SHEETS[0], summary_csv(a)),
        (SHEETS[1], studies_csv(&a.overall)),
        (SHEETS[3], loo_csv(loo)),
        (SHEETS[5], revman_csv(a)),
    ]
}

#[test]
fn calamine_reads_back_every_cell() {
    let a = scheidler();
    let bytes = workbook(&a, &a.influence.as_ref().unwrap().loo).expect("workbook");
    let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).expect("open");
    assert_eq!(wb.sheet_names(), SHEETS.to_vec(), "all seven sheets, in order");
    for (name, text) in csv_sheets(&a) {
        let range = wb.worksheet_range(name).expect("sheet");
        let want = csv_rows(&text);
        assert_eq!(range.height(), want.len(), "{name}: rows");
        for (i, row) in want.iter().enumerate() {
            for (j, w) in row.iter().enumerate() {
                let got = range.get((i, j)).cloned().unwrap_or(Data::Empty);
                match (&got, w.parse::<f64>()) {
                    (Data::Float(x), Ok(v)) if i > 0 && j > 0 => {
                        assert_eq!(x.to_bits(), v.to_bits(), "{name} ({i}, {j}): {x} vs {v}")
                    }
                    (Data::String(s), _) => assert_eq!(s, w, "{name} ({i}, {j})"),
                    (Data::Empty, _) => assert!(w.is_empty(), "{name} ({i}, {j}): empty vs {w}"),
                    _ => panic!("{name} ({i}, {j}): {got:?} vs {w}"),
                }
            }
        }
    }
    // The wide RevMan sheet: the 15 labels in the dialog's order under the header.
    let r = wb.worksheet_range(SHEETS[4]).expect("revman sheet");
    let labels: Vec<String> =
        (2..17).map(|i| r.get((i, 1)).map(|d| d.to_string()).unwrap_or_default()).collect();
    assert_eq!(labels, fourfold::report::revman::LABELS.to_vec());
    let overall = &a.revman[0].parameters;
    assert_eq!(r.get((2, 2)), Some(&Data::Float(overall.lambda.unwrap())));
    assert_eq!(r.get((16, 2)), Some(&Data::Float(44.0)));
}

#[test]
fn libreoffice_converts_every_sheet_to_the_same_tables() {
    if std::process::Command::new("soffice").arg("--version").output().is_err() {
        assert!(
            std::env::var("FOURFOLD_SKIP_SOFFICE").is_ok_and(|v| v == "1"),
            "soffice not found: run `bash .ci/setup` (installs libreoffice-calc-nogui) or set FOURFOLD_SKIP_SOFFICE=1"
        );
        eprintln!("skipped: no soffice");
        return;
    }
    let a = scheidler();
    let bytes = workbook(&a, &a.influence.as_ref().unwrap().loo).expect("workbook");
    let dir = std::env::temp_dir().join(format!("fourfold-xlsx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join("book.xlsx");
    std::fs::write(&path, bytes).expect("write");
    // Filter options: comma, double quote, UTF-8, from row 1, …, sheet −1 = every sheet, one file each.
    let out = std::process::Command::new("soffice")
        .args([
            "--headless",
            "--norestore",
            &format!("-env:UserInstallation=file://{}/profile", dir.display()),
        ])
        .args([
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1",
        ])
        .arg("--outdir")
        .arg(&dir)
        .arg(&path)
        .output()
        .expect("soffice runs");
    assert!(out.status.success(), "soffice: {}", String::from_utf8_lossy(&out.stderr));
    for (name, text) in csv_sheets(&a) {
        let file = dir.join(format!("book-{name}.csv"));
        let lo = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let (got, want) = (csv_rows(&lo), csv_rows(&text));
        assert_eq!(got.len(), want.len(), "{name}: rows");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            for (j, wc) in w.iter().enumerate() {
                let gc = g.get(j).map(String::as_str).unwrap_or("");
                match (gc.parse::<f64>(), wc.parse::<f64>()) {
                    (Ok(x), Ok(v)) if i > 0 && j > 0 => {
                        assert!(
                            (x - v).abs() <= LO_REL * v.abs().max(1e-300),
                            "{name} ({i}, {j}): {x} vs {v}"
                        )
                    }
                    _ => assert_eq!(gc, wc, "{name} ({i}, {j})"),
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
