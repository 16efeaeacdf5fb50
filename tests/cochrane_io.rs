//! The CLI's RevMan 5 review input (`fourfold analyze FILE.rm5`) and PNG figures
//! (`--figure KIND:PATH.png --dpi N`), end to end through the binary.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use std::process::Command;
use support::refs_dir;

fn fourfold() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fourfold"))
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fourfold-cochrane-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir.join(name)
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The SVG's `width` / `height` attributes.
fn svg_size(svg: &str) -> (f64, f64) {
    let num = |name: &str| -> f64 {
        let at = svg.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
        svg[at..].split('"').next().and_then(|v| v.parse().ok()).expect("number")
    };
    (num("width"), num("height"))
}

#[cfg(feature = "png")]
#[test]
fn png_figures_have_the_dpi_size_and_phys_and_are_not_blank() {
    let data = refs_dir().join("data").join("audit_c.csv");
    let (svg, png, png300) = (tmp("sroc.svg"), tmp("sroc.png"), tmp("forest.png"));
    let out = fourfold()
        .arg("analyze")
        .arg(&data)
        .args(["--auc-ci", "none", "--dpi", "150", "--figure"])
        .arg(format!("sroc:{}", svg.display()))
        .arg("--figure")
        .arg(format!("sroc:{}", png.display()))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (w, h) = svg_size(&std::fs::read_to_string(&svg).expect("svg"));
    let bytes = std::fs::read(&png).expect("png");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // 150 dpi for a figure laid out at 96 px per inch.
    assert_eq!(
        (be32(&bytes, 16), be32(&bytes, 20)),
        ((w * 150.0 / 96.0).ceil() as u32, (h * 150.0 / 96.0).ceil() as u32)
    );
    // pHYs right after IHDR: 150 dpi = 5906 px per metre, unit metre.
    assert_eq!(&bytes[37..41], b"pHYs");
    assert_eq!((be32(&bytes, 41), be32(&bytes, 45), bytes[49]), (5906, 5906, 1));
    let pix = resvg::tiny_skia::Pixmap::decode_png(&bytes).expect("decodes");
    let px = pix.pixels();
    let dark = px.iter().filter(|p| p.red() < 100 && p.green() < 100 && p.blue() < 100).count();
    let white = px.iter().filter(|p| p.red() == 255 && p.green() == 255 && p.blue() == 255).count();
    // Text and axes are dark, most of the area is white background: neither blank nor all ink.
    assert!(dark > 2_000, "{dark} dark pixels");
    assert!(white > px.len() / 2, "{white} of {} white", px.len());

    // The default resolution is 300 dpi.
    let out = fourfold()
        .arg("analyze")
        .arg(&data)
        .args(["--auc-ci", "none", "--figure"])
        .arg(format!("forest:{}", png300.display()))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&png300).expect("png");
    assert_eq!(be32(&bytes, 41), 11811); // 300 / 0.0254
}

#[test]
fn bad_dpi_is_a_usage_error() {
    let data = refs_dir().join("data").join("audit_c.csv");
    for bad in ["0", "x", "5000"] {
        let out = fourfold().arg("analyze").arg(&data).args(["--dpi", bad]).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "--dpi {bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--dpi"), "--dpi {bad}");
    }
}

#[cfg(feature = "rm5")]
#[test]
fn analyze_reads_a_revman5_review() {
    let rm5 = format!("{}/tests/fixtures/import/revman5_anti_ccp.rm5", env!("CARGO_MANIFEST_DIR"));
    let csv = refs_dir().join("data").join("anti_ccp.csv");
    let json = |path: &std::ffi::OsStr| -> serde_json::Value {
        let out =
            fourfold().arg("analyze").arg(path).args(["--json", "--auc-ci", "none"]).output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let (a, b) = (json(rm5.as_ref()), json(csv.as_os_str()));
    // The same 37 tables (in another order: RevMan lists them by test) → the same pooled model.
    assert_eq!(a["k"], 37);
    for key in ["mu_logit_sens", "mu_logit_spec", "tau2_logit_sens", "tau2_logit_spec"] {
        let (x, y) = (a["model"][key].as_f64().expect(key), b["model"][key].as_f64().expect(key));
        assert!((x - y).abs() < 1e-6, "{key}: {x} vs {y}");
    }
    // A broken file: exit 2 with the file's line.
    let bad = tmp("bad.rm5");
    let text = std::fs::read_to_string(&rm5).expect("rm5").replacen("TP=\"115\"", "TP=\"11 5\"", 1);
    std::fs::write(&bad, text).expect("write");
    let out = fourfold().arg("analyze").arg(&bad).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.rm5: line ") && err.contains("TP=\"11 5\" is not a whole number"), "{err}");
}

/// The page's figure options travel in a permalink as the `figures` settings group and come back
/// as the same options; a link without them opens Fourfold's default figures.
#[test]
fn figure_options_round_trip_through_a_permalink() {
    use fourfold::permalink::{decode, encode};
    use fourfold::plot::{LabelMode, SrocConventions};
    use fourfold::report::plots::PlotOptions;
    use fourfold::settings::AnalysisSettings;
    let d = support::read_dataset("audit_c");
    let opts = PlotOptions {
        sroc_zoom: true,
        sroc_hidden_regions: vec![1],
        labels: LabelMode::Off,
        sroc: SrocConventions { curve_observed_range: false, ..SrocConventions::revman() },
    };
    let mut s = AnalysisSettings { figures: opts.to_settings(), ..Default::default() };
    let link = encode(&d, &s);
    let (d2, s2) = decode(&link).expect("decodes");
    assert_eq!(d2, d);
    assert_eq!(PlotOptions::from_settings(&s2.figures), opts);
    assert_eq!(PlotOptions::from_settings(&s2.figures).get("sroc-markers"), "rectangles");
    assert_eq!(PlotOptions::from_settings(&s2.figures).get("sroc-curve"), "metandi");
    // Without figure options the link is the one written before this group existed.
    let plain = encode(&d, &AnalysisSettings::default());
    assert!(plain.len() < link.len());
    assert_eq!(decode(&plain).expect("decodes").1.figures, Default::default());
    // Out of range: a clear message.
    s.figures.sroc_hidden_regions = vec![5000];
    let err = s.validate().unwrap_err().to_string();
    assert!(err.starts_with("figure options:"), "{err}");
}
