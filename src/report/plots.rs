//! Analysis → plot data: pure adapters from [`Analysis`] / [`Block`] to the data structs of
//! [`crate::plot`], plus [`draw_plot`], which draws any figure of an analysis on any plotters
//! backend (canvas in the page, SVG natively and for the page's SVG export). Computes nothing
//! statistical: every number comes from the analysis.

use crate::analysis::{Analysis, Block};
use crate::plot::{
    draw_deeks, draw_doi, draw_fagan, draw_forest, draw_lr_scatter, draw_sroc, forest_data_height,
    forest_width, DeeksData, DoiData, FaganData, ForestData, ForestGroup, ForestRow, LabelMode, LrPoint,
    LrScatterData, LrSummary, PlotError, PlotStyle, PointGroups, SrocConventions, SrocData, SrocSeries,
};
use crate::stats::bivariate::BivariateResult;
use crate::stats::estimate::Estimate;
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

/// The figures of the results page, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotKind {
    Forest,
    Sroc,
    Fagan,
    Deeks,
    Doi,
    LrScatter,
    /// The forest plot in the Cochrane / RevMan layout (with the TP FP FN TN columns). Not in
    /// [`PlotKind::ALL`] (the page has no `plot-forest-counts` canvas yet): see [`PlotKind::EXTRA`].
    ForestCounts,
    /// SROC with one curve, summary point and regions per index test from the comparative model
    /// (METHODS §15; the overall SROC when there is no comparison). In [`PlotKind::EXTRA`].
    ComparisonSroc,
    /// Forest plot grouped by index test, each group with its test's pooled estimate from the
    /// comparative model. In [`PlotKind::EXTRA`].
    ComparisonForest,
}

impl PlotKind {
    /// Figures offered besides [`PlotKind::ALL`] (export and an optional canvas
    /// `plot-<id>`); [`PlotKind::from_id`] knows them.
    pub const EXTRA: [PlotKind; 2] = [PlotKind::ComparisonSroc, PlotKind::ComparisonForest];

    /// Every figure of the page, in display order.
    pub const ALL: [PlotKind; 7] = [
        PlotKind::Forest,
        PlotKind::ForestCounts,
        PlotKind::Sroc,
        PlotKind::Fagan,
        PlotKind::Deeks,
        PlotKind::Doi,
        PlotKind::LrScatter,
    ];

    /// Short machine name, used in element ids (`plot-<id>`) and file names.
    pub fn id(self) -> &'static str {
        match self {
            PlotKind::Forest => "forest",
            PlotKind::Sroc => "sroc",
            PlotKind::Fagan => "fagan",
            PlotKind::Deeks => "deeks",
            PlotKind::Doi => "doi",
            PlotKind::LrScatter => "lr-scatter",
            PlotKind::ForestCounts => "forest-counts",
            PlotKind::ComparisonSroc => "comparison-sroc",
            PlotKind::ComparisonForest => "comparison-forest",
        }
    }

    /// The kind named by [`PlotKind::id`] (in [`PlotKind::ALL`] or [`PlotKind::EXTRA`]).
    pub fn from_id(id: &str) -> Option<PlotKind> {
        PlotKind::ALL.into_iter().chain(PlotKind::EXTRA).find(|k| k.id() == id)
    }

    /// A caption for the figure.
    pub fn caption(self) -> &'static str {
        match self {
            PlotKind::Forest => "Forest plot of sensitivity and specificity",
            PlotKind::Sroc => "Summary ROC plot",
            PlotKind::Fagan => "Fagan nomogram",
            PlotKind::Deeks => "Deeks' funnel plot",
            PlotKind::Doi => "Doi plot (LFK index)",
            PlotKind::LrScatter => "Likelihood-ratio scattergram",
            PlotKind::ForestCounts => "Forest plot with 2×2 counts (Cochrane layout)",
            PlotKind::ComparisonSroc => "Summary ROC by index test (comparative model)",
            PlotKind::ComparisonForest => "Forest plot grouped by index test (comparative model)",
        }
    }
}

/// `(estimate, lower, upper)` of an [`Estimate`].
pub fn triple(e: &Estimate) -> (f64, f64, f64) {
    (e.estimate, e.ci[0], e.ci[1])
}

/// Options of the page's figures that are not analysis settings (display choices).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlotOptions {
    /// SROC: zoom to the data range ([`SrocData::zoom`]); default off.
    pub sroc_zoom: bool,
    /// SROC: indices of the series (subgroups, in [`sroc_data`] order; 0 without subgroups) whose
    /// confidence and prediction regions are hidden ([`SrocSeries::show_regions`]); default none.
    pub sroc_hidden_regions: Vec<usize>,
    /// Deeks and LR scattergram: which study labels are written ([`LabelMode`]); default the
    /// five most outlying.
    pub labels: LabelMode,
    /// SROC: Fourfold's or Cochrane's (RevMan's) conventions, each on its own
    /// ([`SrocConventions`]); default Fourfold's.
    pub sroc: SrocConventions,
}

/// The Cochrane figure options a user sets by name — the page's `<select id=KEY>` and the CLI's
/// `--KEY VALUE` — with their two values, Fourfold's default first.
pub const FIGURE_OPTIONS: [(&str, [&str; 2]); 4] = [
    ("sroc-markers", ["circles", "rectangles"]),
    ("sroc-x", ["fpr", "specificity"]),
    ("sroc-curve", ["metandi", "observed"]),
    ("sroc-region-style", ["shaded", "lines"]),
];

impl PlotOptions {
    /// Set a [`FIGURE_OPTIONS`] option by name.
    ///
    /// # Errors
    /// An unknown key or value, with the choices.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        use crate::plot::{RegionLines, SrocXAxis, StudyMarkers};
        let Some((_, vals)) = FIGURE_OPTIONS.iter().find(|(k, _)| *k == key) else {
            return Err(format!("unknown figure option '{key}'"));
        };
        let second = match vals.iter().position(|v| v.eq_ignore_ascii_case(value.trim())) {
            Some(i) => i == 1,
            None => return Err(format!("{key}: '{value}' (choose {} or {})", vals[0], vals[1])),
        };
        let c = &mut self.sroc;
        match key {
            "sroc-markers" => {
                c.markers = if second { StudyMarkers::Rectangles } else { StudyMarkers::Circles }
            }
            "sroc-x" => {
                c.x_axis = if second { SrocXAxis::SpecificityReversed } else { SrocXAxis::FalsePositiveRate }
            }
            "sroc-curve" => c.curve_observed_range = second,
            _ => c.regions = if second { RegionLines::DashedAndDotted } else { RegionLines::ShadedAndDashed },
        }
        Ok(())
    }

    /// The value of a [`FIGURE_OPTIONS`] option (its default for an unknown key).
    pub fn get(&self, key: &str) -> &'static str {
        use crate::plot::{RegionLines, SrocXAxis, StudyMarkers};
        let c = &self.sroc;
        let second = match key {
            "sroc-markers" => c.markers == StudyMarkers::Rectangles,
            "sroc-x" => c.x_axis == SrocXAxis::SpecificityReversed,
            "sroc-curve" => c.curve_observed_range,
            "sroc-region-style" => c.regions == RegionLines::DashedAndDotted,
            _ => false,
        };
        FIGURE_OPTIONS.iter().find(|(k, _)| *k == key).map_or("", |(_, v)| v[usize::from(second)])
    }
}

fn forest_row(s: &crate::stats::accuracy::StudyAccuracy) -> ForestRow {
    ForestRow {
        label: s.label.clone(),
        sens: s.sensitivity.as_ref().map_or((f64::NAN, f64::NAN, f64::NAN), triple),
        spec: s.specificity.as_ref().map_or((f64::NAN, f64::NAN, f64::NAN), triple),
        weight: Some((s.tp + s.fp + s.fn_ + s.tn) as f64),
        counts: Some([s.tp, s.fp, s.fn_, s.tn]),
    }
}

/// `(estimate, lower, upper)`.
type Ci = (f64, f64, f64);

fn summaries(b: &Block) -> (Option<Ci>, Option<Ci>) {
    let fit = b.fit.as_ref();
    (fit.map(|f| triple(&f.summary.sensitivity)), fit.map(|f| triple(&f.summary.specificity)))
}

/// Paired forest plot of a block's studies with the pooled estimates.
pub fn forest_data(b: &Block, level: f64) -> ForestData {
    let (summary_sens, summary_spec) = summaries(b);
    ForestData {
        rows: b.studies.iter().map(forest_row).collect(),
        summary_sens,
        summary_spec,
        title: "Sensitivity and specificity".to_string(),
        level: ci_label(level),
        ..ForestData::default()
    }
}

/// The forest plot of an analysis: with subgroups, the studies grouped under one heading per
/// subgroup level ("CT (k = 17)"), each group ending in its summary, then the overall summary
/// (studies without a subgroup value under "Missing value"); `show_counts` gives the Cochrane
/// layout with the 2×2 counts.
pub fn forest_of(a: &Analysis, show_counts: bool) -> ForestData {
    let mut data = forest_data(&a.overall, a.settings.ci_level);
    data.show_counts = show_counts;
    let Some(sg) = a.subgroups.as_ref().filter(|sg| !sg.levels.is_empty()) else {
        return data;
    };
    let mut groups: Vec<ForestGroup> = sg
        .levels
        .iter()
        .map(|l| {
            let (summary_sens, summary_spec) = summaries(&l.block);
            ForestGroup {
                heading: format!("{} (k = {})", l.level, l.block.k),
                rows: l.block.studies.iter().map(forest_row).collect(),
                summary_sens,
                summary_spec,
            }
        })
        .collect();
    let member = membership(a, a.overall.studies.iter().map(|s| s.label.as_str()));
    let missing: Vec<ForestRow> = a
        .overall
        .studies
        .iter()
        .zip(&member.of_point)
        .filter(|(_, g)| **g >= sg.levels.len())
        .map(|(s, _)| forest_row(s))
        .collect();
    if !missing.is_empty() {
        groups.push(ForestGroup {
            heading: format!("Missing value (k = {})", missing.len()),
            rows: missing,
            ..ForestGroup::default()
        });
    }
    data.groups = groups;
    data.rows.clear();
    data
}

/// The subgroup of each labelled point (`labels` in the plot's point order), matched by study
/// label against the subgroups' study lists (a label used twice is matched in order); points
/// of no subgroup get an extra "Missing value" group. Legend names carry the number of points
/// drawn per group ("CT (k = 17)"). No subgroups: empty.
fn membership<'a>(a: &Analysis, labels: impl Iterator<Item = &'a str>) -> PointGroups {
    use std::collections::{HashMap, VecDeque};
    let Some(sg) = a.subgroups.as_ref().filter(|sg| !sg.levels.is_empty()) else {
        return PointGroups::default();
    };
    let mut queue: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (g, l) in sg.levels.iter().enumerate() {
        for s in &l.block.studies {
            queue.entry(s.label.as_str()).or_default().push_back(g);
        }
    }
    let n = sg.levels.len();
    let of_point: Vec<usize> =
        labels.map(|l| queue.get_mut(l).and_then(VecDeque::pop_front).unwrap_or(n)).collect();
    let count = |g: usize| of_point.iter().filter(|&&x| x == g).count();
    let mut names: Vec<String> =
        sg.levels.iter().enumerate().map(|(g, l)| format!("{} (k = {})", l.level, count(g))).collect();
    if count(n) > 0 {
        names.push(format!("Missing value (k = {})", count(n)));
    }
    PointGroups { names, of_point }
}

/// One SROC series: the block's study points and, when pooled, its curve, summary point and regions.
pub fn sroc_series(name: &str, b: &Block) -> SrocSeries {
    let drawn: Vec<(u64, u64, &crate::stats::accuracy::StudyAccuracy)> = b
        .studies
        .iter()
        .map(|s| (s.tp + s.fn_, s.fp + s.tn, s))
        .filter(|(n1, n0, _)| *n1 > 0 && *n0 > 0)
        .collect();
    let points = drawn
        .iter()
        .map(|(n1, n0, s)| (s.fp as f64 / *n0 as f64, s.tp as f64 / *n1 as f64, (n1 + n0) as f64))
        .collect();
    let counts = drawn.iter().map(|(n1, n0, _)| (*n1 as f64, *n0 as f64)).collect();
    let fit: Option<&BivariateResult> = b.fit.as_ref();
    SrocSeries {
        name: name.to_string(),
        points,
        curve: fit.map(|f| f.sroc.curve.clone()).unwrap_or_default(),
        summary: fit.map(|f| (1.0 - f.summary.specificity.estimate, f.summary.sensitivity.estimate)),
        confidence_region: fit.map(|f| f.sroc.confidence_region.clone()).unwrap_or_default(),
        prediction_region: fit.map(|f| f.sroc.prediction_region.clone()).unwrap_or_default(),
        show_regions: true,
        counts,
    }
}

/// The AUC as `AUC 0.89 (0.85–0.91)` (interval when there is one).
pub fn auc_label(b: &Block) -> Option<String> {
    let auc = b.fit.as_ref()?.auc.as_ref()?;
    Some(match auc.ci {
        Some([lo, hi]) if lo.is_finite() && hi.is_finite() => {
            format!("AUC {:.2} ({lo:.2}–{hi:.2})", auc.estimate)
        }
        _ => format!("AUC {:.2}", auc.estimate),
    })
}

/// SROC plot: the overall series, or one series per subgroup level when there are subgroups.
pub fn sroc_data(a: &Analysis) -> SrocData {
    let mut d = sroc_data_ml(a);
    // The Bayesian fit's regions, when there is one (issue #16).
    d.series.extend(a.bayes.as_ref().and_then(super::bayes::sroc_series));
    d
}

fn sroc_data_ml(a: &Analysis) -> SrocData {
    match &a.subgroups {
        Some(sg) if !sg.levels.is_empty() => SrocData {
            series: sg
                .levels
                .iter()
                .map(|l| sroc_series(&format!("{} (k = {})", l.level, l.block.k), &l.block))
                .collect(),
            auc_label: None,
            title: "SROC by subgroup".to_string(),
            level: ci_label(a.settings.ci_level),
            zoom: false,
            conventions: SrocConventions::default(),
        },
        _ => SrocData {
            series: vec![sroc_series("Studies", &a.overall)],
            auc_label: auc_label(&a.overall),
            title: "Summary ROC".to_string(),
            level: ci_label(a.settings.ci_level),
            zoom: false,
            conventions: SrocConventions::default(),
        },
    }
}

/// Fagan nomogram of a block (default: an empty nomogram at 50 % when there is no pooled fit).
pub fn fagan_data(b: &Block) -> FaganData {
    match &b.fagan {
        Some(f) => fagan_figure(
            f.pretest,
            f.lr_positive,
            f.lr_negative,
            f.post_positive.estimate,
            f.post_negative.estimate,
        ),
        None => fagan_figure(0.5, 1.0, 1.0, 0.5, 0.5),
    }
}

/// The nomogram's numbers with its geometry from `stats::fagan` (computed once there; the plot
/// only places it). A post-test probability that is not finite is computed from the pre-test
/// probability and the LR; invalid inputs leave their line out.
pub fn fagan_figure(
    pretest: f64,
    lr_positive: f64,
    lr_negative: f64,
    post_pos: f64,
    post_neg: f64,
) -> FaganData {
    use crate::plot::NomogramAxisData;
    use crate::stats::fagan::{nomogram_axes, nomogram_line, post_test_probability, U_RANGE};
    let valid_prob = pretest.is_finite() && pretest > 0.0 && pretest < 1.0;
    let post = |q: f64, lr: f64| {
        if q.is_finite() {
            q
        } else {
            post_test_probability(pretest, lr).unwrap_or(f64::NAN)
        }
    };
    let line = |lr: f64| {
        (valid_prob && lr.is_finite() && lr > 0.0).then(|| {
            let l = nomogram_line(pretest, lr);
            ([l.start[0], l.start[1]], [l.end[0], l.end[1]])
        })
    };
    FaganData {
        pretest,
        lr_positive,
        lr_negative,
        post_positive: post(post_pos, lr_positive),
        post_negative: post(post_neg, lr_negative),
        u_range: U_RANGE,
        axes: nomogram_axes()
            .iter()
            .map(|a| NomogramAxisData {
                x: a.x,
                ticks: a.ticks.iter().map(|t| (t.u, t.label.clone())).collect(),
            })
            .collect(),
        lines: [line(lr_positive), line(lr_negative)],
        prior_u: valid_prob.then(|| nomogram_line(pretest, 1.0).start[1]),
    }
}

/// Deeks' funnel plot of a block.
pub fn deeks_data(b: &Block) -> DeeksData {
    match &b.deeks {
        Some(d) => DeeksData {
            points: d.points.iter().map(|p| (p.ln_dor, p.inv_sqrt_ess, p.label.clone())).collect(),
            intercept: d.intercept,
            slope: d.slope,
            p_value: d.slope_p,
            summary_ln_dor: b.fit.as_ref().map(|f| f.summary.dor.estimate.ln()).filter(|x| x.is_finite()),
            groups: PointGroups::default(),
            labels: LabelMode::default(),
        },
        None => DeeksData {
            points: Vec::new(),
            intercept: f64::NAN,
            slope: f64::NAN,
            p_value: f64::NAN,
            summary_ln_dor: None,
            groups: PointGroups::default(),
            labels: LabelMode::default(),
        },
    }
}

/// Deeks' funnel plot of the analysis: the overall test, points marked by subgroup.
pub fn deeks_of(a: &Analysis, labels: LabelMode) -> DeeksData {
    let mut d = deeks_data(&a.overall);
    d.groups = membership(a, d.points.iter().map(|p| p.2.as_str()));
    d.labels = labels;
    d
}

/// Doi plot of a block.
pub fn doi_data(b: &Block) -> DoiData {
    match &b.lfk {
        Some(l) => DoiData {
            te: l.points.iter().map(|p| p.te).collect(),
            z: l.points.iter().map(|p| p.z).collect(),
            lfk: l.lfk_index,
            interpretation: l.interpretation.to_string(),
            x_label: "ln DOR".to_string(),
            groups: PointGroups::default(),
        },
        None => DoiData {
            te: Vec::new(),
            z: Vec::new(),
            lfk: f64::NAN,
            interpretation: "not estimable".to_string(),
            x_label: "ln DOR".to_string(),
            groups: PointGroups::default(),
        },
    }
}

/// Doi plot of the analysis: the overall LFK index, points marked by subgroup.
pub fn doi_of(a: &Analysis) -> DoiData {
    let mut d = doi_data(&a.overall);
    if let Some(l) = &a.overall.lfk {
        d.groups = membership(a, l.points.iter().map(|p| p.label.as_str()));
    }
    d
}

/// A figure's level label from the analysis's level ("95%").
pub fn ci_label(level: f64) -> crate::plot::CiLabel {
    crate::plot::CiLabel(format!("{}%", crate::settings::level_percent(level)))
}

/// Likelihood-ratio scattergram of a block.
pub fn lr_scatter_data(b: &Block, level: f64) -> LrScatterData {
    let points = b
        .lr_scattergram
        .as_ref()
        .map(|s| {
            s.points
                .iter()
                .map(|p| LrPoint {
                    label: p.label.clone(),
                    lr_positive: p.lr_positive,
                    lr_negative: p.lr_negative,
                })
                .collect()
        })
        .unwrap_or_default();
    LrScatterData {
        points,
        summary: b.fit.as_ref().map(|f| LrSummary {
            lr_positive: triple(&f.summary.lr_positive),
            lr_negative: triple(&f.summary.lr_negative),
        }),
        title: "Likelihood-ratio scattergram".to_string(),
        level: ci_label(level),
        groups: PointGroups::default(),
        labels: LabelMode::default(),
    }
}

/// LR scattergram of the analysis: the overall summary, points marked by subgroup.
pub fn lr_scatter_of(a: &Analysis, labels: LabelMode) -> LrScatterData {
    let mut d = lr_scatter_data(&a.overall, a.settings.ci_level);
    d.groups = membership(a, d.points.iter().map(|p| p.label.as_str()));
    d.labels = labels;
    d
}

/// Width × height in pixels of a figure of `a` (the forest plot grows with the number of studies).
pub fn plot_size(kind: PlotKind, a: &Analysis) -> (u32, u32) {
    match kind {
        PlotKind::Forest | PlotKind::ForestCounts => {
            let f = forest_of(a, kind == PlotKind::ForestCounts);
            (forest_width(&f), forest_data_height(&f))
        }
        PlotKind::ComparisonForest => {
            let f = comparison_forest_or_overall(a);
            (forest_width(&f), forest_data_height(&f))
        }
        PlotKind::ComparisonSroc => (760, 500),
        // Wide enough for the legend beside a square plot, without empty space below it.
        PlotKind::Sroc => (760, 500),
        PlotKind::Fagan => (520, 600),
        PlotKind::Deeks | PlotKind::Doi | PlotKind::LrScatter => (640, 480),
    }
}

/// Draw figure `kind` of `a` on `area` with the default [`PlotOptions`].
///
/// # Errors
/// [`PlotError`] when the backend fails or the area is too small.
pub fn draw_plot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    kind: PlotKind,
    a: &Analysis,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    draw_plot_with(area, kind, a, style, &PlotOptions::default())
}

/// The SROC data of `a` with the display options applied.
pub fn sroc_with(a: &Analysis, opts: &PlotOptions) -> SrocData {
    let mut d = sroc_data(a);
    d.zoom = opts.sroc_zoom;
    d.conventions = opts.sroc;
    if opts.sroc.curve_observed_range {
        // RevMan's range: the full curve, which the plot cuts to the studies' specificities
        // (instead of the metandi truncation of the default curve).
        let blocks: Vec<&Block> = match &a.subgroups {
            Some(sg) if !sg.levels.is_empty() => sg.levels.iter().map(|l| &l.block).collect(),
            _ => vec![&a.overall],
        };
        for (s, b) in d.series.iter_mut().zip(blocks) {
            if let Some(f) = &b.fit {
                s.curve = f.sroc.curve_full.clone();
            }
        }
    }
    for (i, s) in d.series.iter_mut().enumerate() {
        s.show_regions = !opts.sroc_hidden_regions.contains(&i);
    }
    d
}

/// Draw figure `kind` of `a` on `area` (subgroups shown in every figure when the analysis has them).
///
/// # Errors
/// [`PlotError`] when the backend fails or the area is too small.
pub fn draw_plot_with<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    kind: PlotKind,
    a: &Analysis,
    style: &PlotStyle,
    opts: &PlotOptions,
) -> Result<(), PlotError> {
    match kind {
        PlotKind::Forest => draw_forest(area, &forest_of(a, false), style),
        PlotKind::ForestCounts => draw_forest(area, &forest_of(a, true), style),
        PlotKind::Sroc => draw_sroc(area, &sroc_with(a, opts), style),
        PlotKind::Fagan => draw_fagan(area, &fagan_data(&a.overall), style),
        PlotKind::Deeks => draw_deeks(area, &deeks_of(a, opts.labels), style),
        PlotKind::Doi => draw_doi(area, &doi_of(a), style),
        PlotKind::LrScatter => draw_lr_scatter(area, &lr_scatter_of(a, opts.labels), style),
        PlotKind::ComparisonSroc => {
            let mut d = super::comparison::comparison_sroc(a).unwrap_or_else(|| sroc_data(a));
            d.zoom = opts.sroc_zoom;
            // The Cochrane conventions as on the main SROC (the per-test curves are already
            // truncated to their tests' studies, so the observed-range option only narrows them).
            d.conventions = opts.sroc;
            draw_sroc(area, &d, style)
        }
        PlotKind::ComparisonForest => draw_forest(area, &comparison_forest_or_overall(a), style),
    }
}

fn comparison_forest_or_overall(a: &Analysis) -> ForestData {
    super::comparison::comparison_forest(a, false).unwrap_or_else(|| forest_of(a, false))
}

/// Figure `kind` of `a` as an SVG document (default options).
///
/// # Errors
/// [`PlotError`] when drawing fails.
pub fn plot_svg(kind: PlotKind, a: &Analysis) -> Result<String, PlotError> {
    plot_svg_with(kind, a, &PlotOptions::default())
}

/// Figure `kind` of `a` as an SVG document with display options (what the page shows).
///
/// # Errors
/// [`PlotError`] when drawing fails.
pub fn plot_svg_with(kind: PlotKind, a: &Analysis, opts: &PlotOptions) -> Result<String, PlotError> {
    let (w, h) = plot_size(kind, a);
    crate::plot::to_svg(w, h, |area| draw_plot_with(area, kind, a, &PlotStyle::default(), opts))
}

/// A QUADAS judgement written in a cell (the words of [`crate::data::rob::judgement`]: `low`/`l`/`+`,
/// `high`/`h`/`-`, `unclear`/`u`/`?`, "low risk", "high risk", robvis's "some concerns" and "no
/// information", QUADAS-3's "insufficient information"), case-insensitive.
pub fn judgement_from_text(s: &str) -> Option<crate::plot::Judgement> {
    use crate::data::rob::{judgement, RobJudgement};
    use crate::plot::Judgement;
    judgement(s).map(|j| match j {
        RobJudgement::Low => Judgement::Low,
        RobJudgement::High => Judgement::High,
        RobJudgement::Unclear => Judgement::Unclear,
    })
}

/// QUADAS-2 data from the table: every categorical covariate whose values are all QUADAS
/// judgements (low / high / unclear) is a domain, in column order. The usual layout is the four
/// risk-of-bias domains followed by the three applicability domains (the seed review's Figure 2).
/// `None` when the table has no such column.
pub fn quadas_from_dataset(d: &crate::data::Dataset) -> Option<crate::plot::QuadasData> {
    use crate::data::{CovariateKind, CovariateValue};
    use crate::plot::{Judgement, QuadasData};
    let cols: Vec<&crate::data::Covariate> = d
        .covariates
        .iter()
        .filter(|c| c.kind == CovariateKind::Categorical)
        .filter(|c| {
            let mut any = false;
            let all = c.values.iter().all(|v| match v {
                CovariateValue::Missing => true,
                CovariateValue::Category(s) => {
                    any = true;
                    judgement_from_text(s).is_some()
                }
                CovariateValue::Number(_) => false,
            });
            all && any
        })
        .collect();
    if cols.is_empty() {
        return None;
    }
    let judgements = (0..d.studies.len())
        .map(|i| {
            cols.iter()
                .map(|c| c.label_of(i).and_then(|s| judgement_from_text(&s)).unwrap_or(Judgement::Unclear))
                .collect()
        })
        .collect();
    // The tool (QUADAS-2 or QUADAS-3, from the words and domain names) names the figures and the
    // legend's "unclear" / "insufficient information".
    let tool = crate::data::rob::rob_columns(d).map_or(crate::data::rob::RobTool::Quadas2, |c| c.tool);
    let unclear = tool.word(crate::data::rob::RobJudgement::Unclear);
    let mut unclear_cap = unclear.chars();
    let unclear =
        unclear_cap.next().map(|f| f.to_uppercase().chain(unclear_cap).collect()).unwrap_or_default();
    Some(QuadasData {
        studies: d.studies.iter().map(|s| s.label.clone()).collect(),
        domains: cols.iter().map(|c| c.name.clone()).collect(),
        judgements,
        tool: tool.name().to_string(),
        unclear,
    })
}

/// The two QUADAS-2 figures (drawn from the table's judgement columns, not from the analysis).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuadasKind {
    TrafficLight,
    Summary,
}

impl QuadasKind {
    /// Element id stem (`plot-<id>`) and file name stem.
    pub fn id(self) -> &'static str {
        match self {
            QuadasKind::TrafficLight => "quadas",
            QuadasKind::Summary => "quadas-summary",
        }
    }
    /// The kind named by [`QuadasKind::id`].
    pub fn from_id(id: &str) -> Option<QuadasKind> {
        [QuadasKind::TrafficLight, QuadasKind::Summary].into_iter().find(|k| k.id() == id)
    }
    /// Width × height in pixels for `q`.
    pub fn size(self, q: &crate::plot::QuadasData) -> (u32, u32) {
        match self {
            QuadasKind::TrafficLight => (900, crate::plot::quadas_height(q.studies.len())),
            QuadasKind::Summary => (900, 360),
        }
    }
}

/// Draw a QUADAS-2 figure on any backend.
///
/// # Errors
/// [`PlotError`] when drawing fails.
pub fn draw_quadas<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    kind: QuadasKind,
    q: &crate::plot::QuadasData,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    match kind {
        QuadasKind::TrafficLight => crate::plot::draw_quadas_traffic_light(area, q, style),
        QuadasKind::Summary => crate::plot::draw_quadas_summary(area, q, style),
    }
}

/// A QUADAS-2 figure of the table as an SVG document (`None` without judgement columns).
///
/// # Errors
/// [`PlotError`] when drawing fails.
pub fn quadas_svg(kind: QuadasKind, d: &crate::data::Dataset) -> Result<Option<String>, PlotError> {
    let Some(q) = quadas_from_dataset(d) else {
        return Ok(None);
    };
    let (w, h) = kind.size(&q);
    crate::plot::to_svg(w, h, |area| draw_quadas(area, kind, &q, &PlotStyle::default())).map(Some)
}
