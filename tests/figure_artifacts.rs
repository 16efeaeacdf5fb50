//! Every figure of the page in three states — no covariate (scheidler), two subgroups (schuetz by
//! `test`), three subgroups (scheidler by `modality`) — rendered through `report::plots` exactly
//! as the SVG export does. With `FIGURE_ARTIFACTS=1` the SVGs, and PNGs converted with
//! `rsvg-convert` when it is installed, are written to `tests/e2e/artifacts/figures/` (git-ignored)
//! for a visual check.

use fourfold::analysis::{run_settings, Analysis};
use fourfold::data::parse_table;
use fourfold::plot::LabelMode;
use fourfold::report::plots::{plot_svg_with, PlotKind, PlotOptions};
use fourfold::settings::{AnalysisSettings, AucCi};

const SCHEIDLER: &str = include_str!("../www/examples/scheidler.csv");
const SCHUETZ: &str = include_str!("../www/examples/schuetz.csv");

fn analysis(text: &str, covariate: Option<&str>) -> Analysis {
    let data = parse_table(text).dataset;
    let s = AnalysisSettings {
        covariate: covariate.map(String::from),
        auc_ci: AucCi::None,
        ..AnalysisSettings::default()
    };
    run_settings(&data, &s).unwrap_or_else(|e| panic!("analysis failed: {e}"))
}

fn write(name: &str, svg: &str) {
    if std::env::var("FIGURE_ARTIFACTS").is_err() {
        return;
    }
    let dir = format!("{}/tests/e2e/artifacts/figures", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    let svg_path = format!("{dir}/{name}.svg");
    std::fs::write(&svg_path, svg).expect("write svg");
    let _ = std::process::Command::new("rsvg-convert")
        .args(["-b", "white", "-o", &format!("{dir}/{name}.png"), &svg_path])
        .status();
}

#[test]
fn every_figure_in_three_states() {
    let states = [
        ("none", analysis(SCHEIDLER, None)),
        ("2groups", analysis(SCHUETZ, Some("test"))),
        ("3groups", analysis(SCHEIDLER, Some("modality"))),
    ];
    for (state, a) in &states {
        for kind in PlotKind::ALL.into_iter().chain(PlotKind::EXTRA) {
            let svg = plot_svg_with(kind, a, &PlotOptions::default())
                .unwrap_or_else(|e| panic!("{state} {kind:?}: {e}"));
            assert!(svg.starts_with("<svg"));
            write(&format!("{state}_{}", kind.id()), &svg);
        }
        let zoomed = PlotOptions { sroc_zoom: true, ..PlotOptions::default() };
        write(&format!("{state}_sroc-zoom"), &plot_svg_with(PlotKind::Sroc, a, &zoomed).expect("zoom"));
        let quiet = PlotOptions { sroc_hidden_regions: vec![1, 2], ..PlotOptions::default() };
        write(
            &format!("{state}_sroc-hidden-regions"),
            &plot_svg_with(PlotKind::Sroc, a, &quiet).expect("hide"),
        );
        let revman =
            PlotOptions { sroc: fourfold::plot::SrocConventions::revman(), ..PlotOptions::default() };
        write(&format!("{state}_sroc-revman"), &plot_svg_with(PlotKind::Sroc, a, &revman).expect("revman"));
        let all = PlotOptions { labels: LabelMode::All, ..PlotOptions::default() };
        for kind in [PlotKind::Deeks, PlotKind::LrScatter] {
            write(&format!("{state}_{}-all-labels", kind.id()), &plot_svg_with(kind, a, &all).expect("all"));
        }
        let narrow = fourfold::plot::to_svg(400, 500, |area| {
            fourfold::plot::draw_sroc(
                area,
                &fourfold::report::plots::sroc_data(a),
                &fourfold::plot::PlotStyle::default(),
            )
        })
        .expect("narrow");
        write(&format!("{state}_sroc-400x500"), &narrow);
    }
}
