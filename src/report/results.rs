//! Every word of the results, for the page and the CLI alike: the summary table (headers with the
//! analysis's own level), the plain-language fit report, the heterogeneity / threshold / bias
//! cards with their interpretations, the meta-regression tests, the per-study and leave-one-out
//! tables, and the CLI's text report built from them. Computes nothing statistical.

use super::doc::{sentence, Card, Cell, Line, Pair, Row, Table, Tone};
use super::{fmt_est, fmt_p, fmt_p_cell, fmt_pct, fmt_ratio, summary_rows, SummaryRow};
use crate::analysis::{Analysis, Block, MetaRegOutcome};
use crate::settings::{level_percent, Method};
use crate::stats::bivariate::{Boundary, Rung};
use crate::stats::estimate::Estimate;
use crate::stats::glmm::fit::RHO_BOUNDARY;
use crate::stats::influence::LooRow;

/// Spearman's ρ is read as a threshold effect when positive with p below this (METHODS §6).
pub const THRESHOLD_EFFECT_P: f64 = 0.05;
/// Deeks' test flags funnel-plot asymmetry below this p (Deeks 2005 uses 0.10; METHODS §7.1).
pub const DEEKS_ASYMMETRY_P: f64 = 0.10;

/// `" (95% CI)"`-style suffix for a level.
fn ci_label(level: f64) -> String {
    format!("{}% CI", level_percent(level))
}

/// `x` with `d` decimals and a true minus sign.
pub fn signed(x: f64, d: usize) -> String {
    format!("{x:.d$}").replace('-', "−")
}

/// `" (lo–hi)"`, or `" (lo to hi)"` when a bound is negative.
fn ci2(ci: Option<[f64; 2]>, f: impl Fn(f64) -> String) -> String {
    ci.map_or(String::new(), |[l, u]| {
        let sep = if l < 0.0 || u < 0.0 { " to " } else { "–" };
        format!(" ({}{sep}{})", f(l), f(u))
    })
}

fn est_text(e: &Option<Estimate>, f: &dyn Fn(&Estimate) -> String) -> String {
    e.as_ref().map_or("–".to_string(), f)
}

fn auc_text(e: &Estimate) -> String {
    if e.ci[0].is_finite() {
        fmt_est(e, 2)
    } else {
        format!("{:.2}", e.estimate)
    }
}

/// Column keys of the summary table (`data-stat` on the page).
pub const SUMMARY_KEYS: [&str; 12] = [
    "group",
    "k",
    "sensitivity",
    "specificity",
    "lr-positive",
    "lr-negative",
    "dor",
    "auc",
    "i2-sens",
    "i2-spec",
    "deeks-p",
    "lfk",
];

/// The column headers of the summary table at `level`.
pub fn summary_headers(level: f64) -> Vec<String> {
    let ci = ci_label(level);
    vec![
        "Group".into(),
        "N".into(),
        format!("Sensitivity ({ci})"),
        format!("Specificity ({ci})"),
        format!("LR+ ({ci})"),
        format!("LR− ({ci})"),
        format!("DOR ({ci})"),
        format!("AUC ({ci})"),
        "I² Se".into(),
        "I² Sp".into(),
        "Deeks p".into(),
        "LFK".into(),
    ]
}

/// The cells of one summary row, in the order of [`summary_headers`].
pub fn summary_cells(r: &SummaryRow) -> Vec<Cell> {
    let e = |x: &Option<Estimate>| x.map(|e| e.estimate);
    vec![
        Cell::text(r.label.clone()),
        Cell::num(r.k.to_string(), r.k as f64),
        Cell::opt(est_text(&r.sensitivity, &|e| fmt_est(e, 2)), e(&r.sensitivity)),
        Cell::opt(est_text(&r.specificity, &|e| fmt_est(e, 2)), e(&r.specificity)),
        Cell::opt(est_text(&r.lr_positive, &fmt_ratio), e(&r.lr_positive)),
        Cell::opt(est_text(&r.lr_negative, &|e| fmt_est(e, 2)), e(&r.lr_negative)),
        Cell::opt(est_text(&r.dor, &fmt_ratio), e(&r.dor)),
        Cell::opt(est_text(&r.auc, &auc_text), e(&r.auc)),
        Cell::opt(r.i2_sens.map_or("–".into(), fmt_pct), r.i2_sens),
        Cell::opt(r.i2_spec.map_or("–".into(), fmt_pct), r.i2_spec),
        Cell::opt(r.deeks_p.map_or("–".into(), fmt_p_cell), r.deeks_p),
        Cell::opt(r.lfk.map_or("–".into(), |x| format!("{x:.2}")), r.lfk),
    ]
}

/// The summary table in the layout of the seed review's Table 2: overall, then one row per subgroup.
pub fn summary_table(a: &Analysis) -> Table {
    Table {
        headers: summary_headers(a.settings.ci_level),
        keys: SUMMARY_KEYS.to_vec(),
        rows: summary_rows(a).iter().map(|r| Row { cells: summary_cells(r), note: r.note.clone() }).collect(),
    }
}

/// The model in words, e.g. "exact bivariate binomial model (adaptive Gauss–Hermite quadrature, 25 nodes)".
pub fn method_words(method: Method, nodes: Option<usize>) -> String {
    match method {
        Method::Aghq => format!(
            "exact bivariate binomial model (adaptive Gauss–Hermite quadrature{})",
            nodes.map_or(String::new(), |n| format!(", {n} nodes"))
        ),
        Method::Laplace => "bivariate binomial model (Laplace approximation)".to_string(),
        Method::Reitsma => "Reitsma bivariate normal model (REML)".to_string(),
    }
}

/// A boundary in words, with Greek letters and true minus signs ("ρ = −1").
pub fn boundary_words(b: Boundary) -> String {
    match b {
        Boundary::RhoFixed { positive } => format!("ρ = {}1", if positive { "+" } else { "−" }),
        Boundary::RhoNear => format!("|ρ| > {RHO_BOUNDARY}"),
        Boundary::TauSens => "τ² of logit sensitivity = 0".into(),
        Boundary::TauSpec => "τ² of logit specificity = 0".into(),
        Boundary::TauBoth => "both τ² = 0".into(),
        Boundary::MarginAtEdge { .. } => b.to_string().replace("+inf", "+∞").replace("-inf", "−∞"),
    }
}

/// What a rung of the fallback ladder means.
pub fn rung_words(rung: Rung) -> &'static str {
    match rung {
        Rung::B2 => "full bivariate model",
        Rung::B0 => "correlation fixed at 0",
        Rung::FeSens => "no between-study variance in sensitivity",
        Rung::FeSpec => "no between-study variance in specificity",
        Rung::Fe => "fixed effects for both",
    }
}

/// The plain-language report of how the overall model was fitted (the first line is a heading).
pub fn fit_report(a: &Analysis) -> Vec<Line> {
    block_fit_report(&a.overall, &a.excluded)
}

/// The fit report of one block (overall or a subgroup).
pub fn block_fit_report(b: &Block, excluded: &[String]) -> Vec<Line> {
    let mut out = Vec::new();
    let Some(f) = &b.fit else {
        let why = b.fit_error.as_ref().map_or("the model could not be fitted".to_string(), |e| e.to_string());
        out.push(Line::text(Tone::Bad, sentence(&format!("No pooled estimate: {why}"))));
        return out;
    };
    let m = &f.model;
    let how = method_words(m.method, m.nodes);
    out.push(if m.converged {
        Line::text(
            Tone::Normal,
            format!("The {how} converged after {} iterations ({}).", m.iterations, m.termination),
        )
    } else {
        Line::text(
            Tone::Bad,
            format!(
                "Warning: the {how} did not converge ({}); treat the numbers with caution.",
                m.termination
            ),
        )
    });
    let mut l = Line::new(Tone::Normal)
        .t(format!("{} studies. Between-study variance of logit sensitivity τ² = ", b.k))
        .n(format!("{:.3}", m.tau2_logit_sens), m.tau2_logit_sens)
        .t(", of logit specificity τ² = ")
        .n(format!("{:.3}", m.tau2_logit_spec), m.tau2_logit_spec);
    if let Some(r) = m.rho {
        l = l.t(", correlation ρ = ").n(signed(r, 2), r);
    }
    out.push(l.t("."));
    out.push(match &m.boundary {
        Some(bd) => Line::text(
            Tone::Warn,
            format!(
                "The estimate lies on the boundary of the parameter space ({}). Boundary fits are common with few studies; the pooled sensitivity and specificity remain usable, but the correlation and the regions are less reliable.",
                boundary_words(*bd)
            ),
        ),
        None => Line::text(Tone::Normal, "The estimate is inside the parameter space (no boundary)."),
    });
    if m.rung != Rung::B2 {
        out.push(Line::text(
            Tone::Warn,
            format!(
                "The full bivariate model could not be used; the fit fell back to rung {} ({}){}.",
                m.rung,
                rung_words(m.rung),
                m.fallback.as_ref().map_or(String::new(), |w| format!(" because {w}"))
            ),
        ));
    } else if let (Some(fb), None) = (&m.fallback, &f.simplified) {
        out.push(Line::text(Tone::Normal, sentence(&fb.to_string())));
    }
    if let Some(s) = &f.simplified {
        out.push(
            Line::new(Tone::Normal)
                .t(format!(
                    "Beside it, the simplified fit (rung {}, {}) gives sensitivity ",
                    s.model.rung,
                    rung_words(s.model.rung)
                ))
                .n(fmt_est(&s.summary.sensitivity, 3), s.summary.sensitivity.estimate)
                .t(" and specificity ")
                .n(fmt_est(&s.summary.specificity, 3), s.summary.specificity.estimate)
                .t("."),
        );
    }
    let mut seen: Vec<&String> = Vec::new();
    for w in m.warnings.iter().chain(b.warnings.iter()) {
        if !seen.contains(&w) {
            seen.push(w);
            out.push(Line::text(Tone::Warn, sentence(w)));
        }
    }
    if !excluded.is_empty() {
        out.push(Line::text(Tone::Normal, format!("Left out by you: {}.", excluded.join("; "))));
    }
    out
}

/// Heterogeneity (METHODS §5) as term–value pairs.
pub fn heterogeneity_card(b: &Block) -> Card {
    let mut c = Card::default();
    let h = &b.heterogeneity;
    for (term, u) in [("I² logit sensitivity", &h.logit_sens), ("I² logit specificity", &h.logit_spec)] {
        if let Some(u) = u {
            c.pairs.push(Pair::new(term, format!("{}{}", fmt_pct(u.i2), ci2(u.i2_ci, fmt_pct)), Some(u.i2)));
        }
    }
    if let Some(f) = &b.fit {
        let m = &f.model;
        c.pairs.push(Pair::new(
            "τ² logit sensitivity",
            format!("{:.3}", m.tau2_logit_sens),
            Some(m.tau2_logit_sens),
        ));
        c.pairs.push(Pair::new(
            "τ² logit specificity",
            format!("{:.3}", m.tau2_logit_spec),
            Some(m.tau2_logit_spec),
        ));
        if let Some(r) = m.rho {
            c.pairs.push(Pair::new(
                "ρ (logit Se, logit Sp)",
                format!("{}{}", signed(r, 2), ci2(m.rho_ci, |x| signed(x, 2))),
                Some(r),
            ));
        }
    }
    if let Some(z) = &h.zhou_dendukuri {
        c.pairs.push(Pair::new("Zhou–Dendukuri I² sensitivity", fmt_pct(z.i2_sens), Some(z.i2_sens)));
        c.pairs.push(Pair::new("Zhou–Dendukuri I² specificity", fmt_pct(z.i2_spec), Some(z.i2_spec)));
        c.pairs.push(Pair::new("Zhou–Dendukuri I² bivariate", fmt_pct(z.i2_bivariate), Some(z.i2_bivariate)));
    }
    if let Some(l) = &h.lrt {
        c.pairs.push(Pair::new(
            "LR test vs fixed effect",
            format!("χ² = {:.2}, df {}, p {}", l.statistic, l.df, fmt_p(l.p_value)),
            Some(l.statistic),
        ));
    }
    if let Some(r2) = h.threshold_share_rho2 {
        c.pairs.push(Pair::new("Share due to threshold (ρ²)", fmt_pct(r2), Some(r2)));
    }
    if c.pairs.is_empty() {
        c.notes.push("not estimable".into());
    }
    c
}

/// The threshold effect (METHODS §6) with its interpretation.
pub fn threshold_card(b: &Block) -> Card {
    let mut c = Card::default();
    match &b.threshold {
        Some(t) => {
            c.pairs.push(Pair::new(
                "Spearman ρ (Se, 1 − Sp)",
                signed(t.spearman_rho, 3),
                Some(t.spearman_rho),
            ));
            c.pairs.push(Pair::new("p", fmt_p_cell(t.p_value), Some(t.p_value)));
            c.pairs.push(Pair::new("Studies", t.k.to_string(), Some(t.k as f64)));
            c.notes.push(if t.p_value < THRESHOLD_EFFECT_P && t.spearman_rho > 0.0 {
                "A positive correlation suggests a threshold effect.".into()
            } else {
                "No evidence of a threshold effect.".into()
            });
        }
        None => c.notes.push("not estimable".into()),
    }
    c
}

/// Publication bias / small-study effects (METHODS §7) with interpretations.
pub fn pubbias_card(b: &Block) -> Card {
    let mut c = Card::default();
    match &b.deeks {
        Some(d) => {
            c.pairs.push(Pair::new("Deeks' test slope", signed(d.slope, 2), Some(d.slope)));
            c.pairs.push(Pair::new("Deeks' test p", fmt_p_cell(d.slope_p), Some(d.slope_p)));
            let p = DEEKS_ASYMMETRY_P;
            c.notes.push(if d.slope_p < p {
                format!("Funnel-plot asymmetry (p < {p:.2}): small-study effects or publication bias are possible.")
            } else {
                format!("No evidence of funnel-plot asymmetry (Deeks, p ≥ {p:.2}).")
            });
        }
        None => c.pairs.push(Pair::new("Deeks' test", "not estimable", None)),
    }
    match &b.lfk {
        Some(l) => c.pairs.push(Pair::new(
            "LFK index",
            format!("{} ({})", signed(l.lfk_index, 2), l.interpretation),
            Some(l.lfk_index),
        )),
        None => c.pairs.push(Pair::new("LFK index", "not estimable", None)),
    }
    c
}

/// The meta-regression likelihood-ratio tests (None without a grouping).
pub fn metareg_table(a: &Analysis) -> Option<Table> {
    let m = a.meta_regression.as_ref()?;
    let mut rows = Vec::new();
    for (name, out) in m {
        match out {
            MetaRegOutcome::Fit(r) => {
                for (q, test) in [
                    ("Does sensitivity differ?", &r.lrt.sens),
                    ("Does specificity differ?", &r.lrt.spec),
                    ("Does either differ?", &r.lrt.both),
                ] {
                    rows.push(Row::new(vec![
                        Cell::text(name.clone()),
                        Cell::text(q),
                        Cell::num(format!("{:.2}", test.statistic), test.statistic),
                        Cell::num(test.df.to_string(), test.df as f64),
                        Cell::num(fmt_p_cell(test.p_value), test.p_value),
                    ]));
                }
            }
            MetaRegOutcome::Error { error } => {
                rows.push(Row::new(vec![Cell::text(name.clone()), Cell::text(sentence(&error.to_string()))]))
            }
        }
    }
    Some(Table {
        headers: ["Covariate", "Question", "χ²", "df", "p"].map(String::from).to_vec(),
        keys: vec!["covariate", "question", "chi2", "df", "p"],
        rows,
    })
}

/// The per-study table of a block, with the level in the interval headers.
pub fn studies_table(b: &Block, level: f64) -> Table {
    let ci = ci_label(level);
    // Weights are per analysed study (rows in the same order); shown when every row has one.
    let weights = Some(&b.weights).filter(|w| w.len() == b.studies.len() && !w.is_empty());
    let rows = b
        .studies
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut cells = vec![Cell::text(s.label.clone())];
            cells.extend([s.tp, s.fp, s.fn_, s.tn].map(|x| Cell::num(x.to_string(), x as f64)));
            cells.push(Cell::opt(
                est_text(&s.sensitivity, &|e| fmt_est(e, 2)),
                s.sensitivity.map(|e| e.estimate),
            ));
            cells.push(Cell::opt(
                est_text(&s.specificity, &|e| fmt_est(e, 2)),
                s.specificity.map(|e| e.estimate),
            ));
            for e in [s.lr_positive, s.lr_negative, s.dor] {
                cells.push(Cell::opt(
                    e.map_or("–".into(), |e| format!("{:.2}", e.estimate)),
                    e.map(|e| e.estimate),
                ));
            }
            if let Some(w) = weights.and_then(|w| w.get(i)) {
                cells.push(Cell::num(format!("{:.1}", w.sensitivity), w.sensitivity));
                cells.push(Cell::num(format!("{:.1}", w.specificity), w.specificity));
            }
            Row::new(cells)
        })
        .collect();
    let mut t = Table {
        headers: vec![
            "Study".into(),
            "TP".into(),
            "FP".into(),
            "FN".into(),
            "TN".into(),
            format!("Sensitivity ({ci})"),
            format!("Specificity ({ci})"),
            "LR+".into(),
            "LR−".into(),
            "DOR".into(),
        ],
        keys: vec![
            "study",
            "tp",
            "fp",
            "fn",
            "tn",
            "sensitivity",
            "specificity",
            "lr-positive",
            "lr-negative",
            "dor",
        ],
        rows,
    };
    if weights.is_some() {
        t.headers.extend(["Weight Se (%)".to_string(), "Weight Sp (%)".to_string()]);
        t.keys.extend(["weight-sens", "weight-spec"]);
    }
    t
}

/// The leave-one-out table (rows computed so far), with Cook's distance when given.
pub fn loo_table(rows: &[LooRow], level: f64, cooks: Option<(&[Option<f64>], f64)>) -> Table {
    let ci = ci_label(level);
    let mut headers = vec![
        "Study left out".to_string(),
        format!("Sensitivity ({ci})"),
        format!("Specificity ({ci})"),
        format!("LR+ ({ci})"),
        format!("LR− ({ci})"),
        format!("DOR ({ci})"),
        "AUC".into(),
    ];
    let mut keys = vec!["omitted", "sensitivity", "specificity", "lr-positive", "lr-negative", "dor", "auc"];
    if cooks.is_some() {
        headers.push("Cook's D".into());
        keys.push("cooks");
    }
    headers.push("Rung".into());
    keys.push("rung");
    let out = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut cells = vec![Cell::text(r.omitted.clone())];
            match &r.fit {
                Some(f) => {
                    cells.push(Cell::num(fmt_est(&f.sensitivity, 2), f.sensitivity.estimate));
                    cells.push(Cell::num(fmt_est(&f.specificity, 2), f.specificity.estimate));
                    cells.push(Cell::num(fmt_ratio(&f.lr_positive), f.lr_positive.estimate));
                    cells.push(Cell::num(fmt_est(&f.lr_negative, 2), f.lr_negative.estimate));
                    cells.push(Cell::num(fmt_ratio(&f.dor), f.dor.estimate));
                    cells.push(Cell::opt(f.auc.map_or("–".into(), |x| format!("{x:.2}")), f.auc));
                    if let Some((d, t)) = cooks {
                        let d = d.get(i).copied().flatten();
                        cells.push(Cell::opt(
                            d.map_or("–".into(), |d| format!("{d:.3}{}", if d > t { " *" } else { "" })),
                            d,
                        ));
                    }
                    cells.push(Cell::text(f.rung.name()));
                }
                None => cells.push(Cell::text(r.error.clone().unwrap_or_else(|| "refit failed".into()))),
            }
            Row::new(cells)
        })
        .collect();
    Table { headers, keys, rows: out }
}

/// The CLI's text report: the summary table, the fit report and the other results, in words.
pub fn text_report(a: &Analysis) -> String {
    let mut out = String::new();
    let table = summary_table(a);
    out.push_str(&table.to_text());
    for r in &table.rows {
        if let (Some(n), Some(label)) = (&r.note, r.cells.first()) {
            out.push_str(&format!("  {}: {n}\n", label.text));
        }
    }
    if let Some(l) = subgroup_missing(a) {
        out.push_str(&format!("{}\n", l.plain()));
    }
    out.push('\n');
    let lines_text = |out: &mut String, lines: &[Line], indent: &str| {
        for l in lines {
            let mark = match l.tone {
                Tone::Warn => "! ",
                Tone::Bad => "!! ",
                _ => "",
            };
            out.push_str(&format!("{indent}{mark}{}\n", l.plain()));
        }
    };
    lines_text(&mut out, &fit_report(a), "");
    for (name, lines) in subgroup_fit_reports(a) {
        out.push_str(&format!("\nSubgroup {name}:\n"));
        lines_text(&mut out, &lines, "  ");
    }
    for (title, card) in [
        ("Model parameters", model_card(&a.overall, a.settings.ci_level)),
        ("Heterogeneity", heterogeneity_card(&a.overall)),
        ("Threshold effect", threshold_card(&a.overall)),
        ("Publication bias", pubbias_card(&a.overall)),
    ] {
        out.push_str(&format!("\n{title}:\n"));
        for p in &card.pairs {
            out.push_str(&format!("  {}: {}\n", p.term, p.text));
        }
        for n in &card.notes {
            out.push_str(&format!("  {}\n", sentence(n)));
        }
    }
    out.push_str(&super::rob::low_risk_text(a));
    if let Some(fg) = &a.overall.fagan {
        out.push_str(&format!(
            "\nFagan: pre-test {:.0}% ({}) → post-test {:.0}% after a positive, {:.0}% after a negative test\n",
            100.0 * fg.pretest,
            fg.pretest_source,
            100.0 * fg.post_positive.estimate,
            100.0 * fg.post_negative.estimate
        ));
    }
    if let Some(t) = metareg_table(a) {
        out.push_str("\nMeta-regression (likelihood-ratio tests):\n");
        out.push_str(&t.to_text());
    }
    if let Some(t) = metareg_levels(a) {
        out.push_str("\nMeta-regression: estimates per level\n");
        out.push_str(&t.to_text());
    }
    if let Some(t) = metareg_coefficients(a) {
        out.push_str("\nMeta-regression: coefficients\n");
        out.push_str(&t.to_text());
    }
    if let Some(inf) = &a.influence {
        out.push_str("\nLeave-one-out (each study omitted in turn):\n");
        let t = loo_table(&inf.loo, a.settings.ci_level, Some((&inf.cooks_distance, inf.cooks_threshold)));
        out.push_str(&t.to_text());
        out.push_str(&format!("* Cook's distance above 4/k = {:.3}\n", inf.cooks_threshold));
        let outliers: Vec<String> =
            inf.empirical_bayes.iter().filter(|e| e.outlier).map(|e| e.label.clone()).collect();
        if !outliers.is_empty() {
            out.push_str(&format!("Standardized residual |r| > 2: {}\n", outliers.join(", ")));
        }
        if let Some(c) = &inf.cluster {
            out.push_str(&format!("Clusters: {}\n", c.note));
            if let Some(f) = &c.one_row_per_cluster.fit {
                out.push_str(&format!(
                    "  one row per cluster: sensitivity {}, specificity {}\n",
                    fmt_est(&f.summary.sensitivity, 3),
                    fmt_est(&f.summary.specificity, 3)
                ));
            }
        }
    }
    out.push_str(&super::revman::revman_text(a));
    if let Some(b) = &a.bayes {
        let labels: Vec<String> = a.overall.studies.iter().map(|s| s.label.clone()).collect();
        let counts: Vec<(u64, u64)> = a.overall.studies.iter().map(|s| (s.tp + s.fn_, s.fp + s.tn)).collect();
        out.push_str(&super::bayes::bayes_text(b, &labels, &counts, a.bayes_prior_sensitivity.as_deref()));
    }
    out.push_str(&super::models::models_text(a));
    if let Some(c) = super::comparison::comparison_text(a) {
        out.push_str(&c);
    }
    out
}

/// The model's further numbers: prediction intervals for a new study, the HSROC parameters, the
/// AUC with how its interval was obtained, and the fit criteria.
pub fn model_card(b: &Block, level: f64) -> Card {
    let mut c = Card::default();
    let Some(f) = &b.fit else {
        c.notes.push("not estimable".into());
        return c;
    };
    let pct = level_percent(level);
    let pi = |x: Option<[f64; 2]>| x.map(|[l, u]| (format!("{l:.2}–{u:.2}"), l));
    if let Some((t, v)) = pi(f.prediction_interval_sens) {
        c.pairs.push(Pair::new(format!("{pct}% prediction interval, sensitivity"), t, Some(v)));
    }
    if let Some((t, v)) = pi(f.prediction_interval_spec) {
        c.pairs.push(Pair::new(format!("{pct}% prediction interval, specificity"), t, Some(v)));
    }
    if let Some(h) = &f.hsroc {
        for (term, v) in [
            ("HSROC Λ (accuracy)", h.lambda),
            ("HSROC Θ (threshold)", h.theta),
            ("HSROC β (shape)", h.beta),
            ("HSROC σ²α", h.sigma2_alpha),
            ("HSROC σ²θ", h.sigma2_theta),
        ] {
            c.pairs.push(Pair::new(term, signed(v, 3), Some(v)));
        }
    }
    if let Some(a) = &f.auc {
        let ci = a.ci.map_or(String::new(), |[l, u]| format!(" ({l:.3}–{u:.3})"));
        c.pairs.push(Pair::new("AUC", format!("{:.3}{ci}", a.estimate), Some(a.estimate)));
        c.notes.push(format!("AUC interval: {}.", a.ci_method));
    }
    let m = &f.model;
    c.pairs.push(Pair::new("Log-likelihood", signed(m.loglik, 3), Some(m.loglik)));
    c.pairs.push(Pair::new("AIC", format!("{:.2}", m.aic), Some(m.aic)));
    c
}

/// The meta-regression coefficients (logit differences from the reference level, with their
/// odds ratios) at the analysis's level.
pub fn metareg_coefficients(a: &Analysis) -> Option<Table> {
    let m = a.meta_regression.as_ref()?;
    let level = a.settings.ci_level;
    let z = crate::stats::transform::z_for_level(level);
    let ci = ci_label(level);
    let mut rows = Vec::new();
    for (name, out) in m {
        let MetaRegOutcome::Fit(r) = out else { continue };
        for c in &r.coefficients {
            let (lo, hi) = (c.estimate - z * c.se, c.estimate + z * c.se);
            rows.push(Row::new(vec![
                Cell::text(name.clone()),
                Cell::text(c.label.clone()),
                Cell::num(
                    format!("{}{}", signed(c.estimate, 3), ci2(Some([lo, hi]), |x| signed(x, 3))),
                    c.estimate,
                ),
                Cell::num(
                    format!("{:.2} ({:.2}–{:.2})", c.estimate.exp(), lo.exp(), hi.exp()),
                    c.estimate.exp(),
                ),
                Cell::num(fmt_p_cell(c.p_value), c.p_value),
            ]));
        }
    }
    Some(Table {
        headers: vec![
            "Covariate".into(),
            "Coefficient".into(),
            format!("Logit estimate ({ci})"),
            format!("Odds ratio ({ci})"),
            "p".into(),
        ],
        keys: vec!["covariate", "coefficient", "estimate", "odds-ratio", "p"],
        rows,
    })
}

/// Sensitivity and specificity per level implied by the meta-regression, and relative to the
/// reference level (ratios of proportions with delta-method intervals).
pub fn metareg_levels(a: &Analysis) -> Option<Table> {
    let m = a.meta_regression.as_ref()?;
    let ci = ci_label(a.settings.ci_level);
    let mut rows = Vec::new();
    for (name, out) in m {
        let MetaRegOutcome::Fit(r) = out else { continue };
        for l in &r.per_level {
            let rel = |e: &Option<Estimate>| match e {
                Some(e) => Cell::num(fmt_est(e, 2), e.estimate),
                None => Cell::text("1 (reference)"),
            };
            rows.push(Row::new(vec![
                Cell::text(name.clone()),
                Cell::text(l.level.clone()),
                Cell::num(l.k.to_string(), l.k as f64),
                Cell::num(fmt_est(&l.summary.sensitivity, 2), l.summary.sensitivity.estimate),
                Cell::num(fmt_est(&l.summary.specificity, 2), l.summary.specificity.estimate),
                rel(&l.relative_sensitivity),
                rel(&l.relative_specificity),
            ]));
        }
    }
    Some(Table {
        headers: vec![
            "Covariate".into(),
            "Level".into(),
            "N".into(),
            format!("Sensitivity ({ci})"),
            format!("Specificity ({ci})"),
            format!("Relative sensitivity ({ci})"),
            format!("Relative specificity ({ci})"),
        ],
        keys: vec![
            "covariate",
            "level",
            "k",
            "sensitivity",
            "specificity",
            "relative-sensitivity",
            "relative-specificity",
        ],
        rows,
    })
}

/// The fit report of every subgroup, `(level, lines)`.
pub fn subgroup_fit_reports(a: &Analysis) -> Vec<(String, Vec<Line>)> {
    a.subgroups
        .iter()
        .flat_map(|sg| sg.levels.iter())
        .map(|l| (format!("{} (k = {})", l.level, l.block.k), block_fit_report(&l.block, &[])))
        .collect()
}

/// Which studies are in no subgroup row, and why (their grouping value is missing).
pub fn subgroup_missing(a: &Analysis) -> Option<Line> {
    let sg = a.subgroups.as_ref()?;
    if sg.missing == 0 {
        return None;
    }
    let what = match &sg.grouping {
        crate::analysis::Grouping::By(c) | crate::analysis::Grouping::Split(c, _) => format!("'{c}'"),
        crate::analysis::Grouping::Cross(x, y) => format!("'{x}' or '{y}'"),
    };
    let n = sg.missing;
    let total = a.overall.k;
    Some(Line::text(
        Tone::Warn,
        format!(
            "{n} of {total} {} no value of {what} and {} in no subgroup row: {}.",
            if n == 1 { "study has" } else { "studies have" },
            if n == 1 { "is" } else { "are" },
            sg.missing_labels.join("; ")
        ),
    ))
}

/// The analysis in two sentences, for the box beside the settings (on screen without scrolling).
pub fn glance(a: &Analysis) -> Vec<Line> {
    let b = &a.overall;
    let Some(f) = &b.fit else {
        return vec![Line::text(
            Tone::Bad,
            sentence(&format!(
                "No pooled estimate: {}",
                b.fit_error.as_ref().map_or("the model could not be fitted".to_string(), |e| e.to_string())
            )),
        )];
    };
    let s = &f.summary;
    let ci = ci_label(a.settings.ci_level);
    let mut first = Line::new(Tone::Normal)
        .t("Pooled sensitivity ")
        .n(fmt_est(&s.sensitivity, 2), s.sensitivity.estimate)
        .t(" and specificity ")
        .n(fmt_est(&s.specificity, 2), s.specificity.estimate)
        .t(format!(" ({ci}) from {} studies; DOR ", b.k))
        .n(fmt_ratio(&s.dor), s.dor.estimate);
    if let Some(auc) = &f.auc {
        first = first.t(", AUC ").n(format!("{:.2}", auc.estimate), auc.estimate);
    }
    let mut out = vec![first.t(".")];
    let m = &f.model;
    if !m.converged {
        out.push(Line::text(
            Tone::Bad,
            "The model did not converge: see the fit report before using these numbers.",
        ));
    } else if let Some(bd) = m.boundary {
        out.push(Line::text(
            Tone::Warn,
            format!(
                "Boundary fit ({}): see the fit report for the simplified model beside it.",
                boundary_words(bd)
            ),
        ));
    } else if m.rung != Rung::B2 {
        out.push(Line::text(
            Tone::Warn,
            format!("Simplified model (rung {}: {}).", m.rung, rung_words(m.rung)),
        ));
    }
    if let Some(sg) = &a.subgroups {
        out.push(Line::text(Tone::Normal, format!("{} subgroup rows below.", sg.levels.len())));
    }
    out
}
