//! Every word of the comparison of index tests (METHODS §15, issue #13): the sentence saying what
//! the rows are and what is fitted, the fit report, the comparison table (per test, relative to
//! the reference, all studies and paired-only side by side), the LR tests, and the inputs of the
//! per-test SROC and the forest plot grouped by test (drawn by the existing subgroup drawing of
//! `plot`). Computes nothing statistical.

use super::doc::{sentence, Cell, Line, Row, Table, Tone};
use super::plots::{ci_label, triple};
use super::{fmt_est, fmt_p, fmt_p_cell};
use crate::analysis::Analysis;
use crate::data::structure::{Pairing, Shape, StudyId, StudyStructure};
use crate::plot::{ForestData, ForestGroup, ForestRow, SrocData, SrocSeries};
use crate::settings::level_percent;
use crate::stats::comparative::{Comparative, ComparisonBlock, ComparisonOutcome};
use crate::stats::estimate::Estimate;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the rows are, in words (METHODS §15: paired, partially paired, unpaired, cohorts).
pub fn structure_sentence(st: &StudyStructure) -> String {
    let rows = st.study_of.len();
    let ns = st.studies.len();
    let matched = match &st.study_id {
        StudyId::Cluster(c) => format!("studies identified by the column \"{c}\""),
        StudyId::Label => "studies identified by their label".to_string(),
        StudyId::LabelWithoutTestSuffix => {
            "studies identified by their label without the test in brackets (\"Dewey 2006 [CT]\" and \"Dewey 2006 [MRI]\" are one study)".to_string()
        }
    };
    match st.shape {
        Shape::OneRowPerStudy => format!("{} from {}, one table per study.", plural(rows, "table", "tables"), plural(ns, "study", "studies")),
        Shape::Cohorts => format!(
            "{} from {} ({matched}): some studies report several tables (cohorts) and there is no test column; name the column of the index test to compare tests.",
            plural(rows, "table", "tables"),
            plural(ns, "study", "studies")
        ),
        Shape::Comparative(p) => {
            let per_test: Vec<String> =
                st.tests.iter().zip(&st.tables_per_test).map(|(t, n)| format!("{t} {n}")).collect();
            let how = match p {
                Pairing::FullyPaired => "every study reports every test (fully paired: a direct comparison)".to_string(),
                Pairing::PartiallyPaired => format!(
                    "{} of {ns} report more than one test and {} every test (partially paired: the comparison is partly direct, partly between studies)",
                    st.studies_with_several_tests, st.studies_with_every_test
                ),
                Pairing::Unpaired => "no study reports two tests (unpaired: the comparison is entirely between studies)".to_string(),
            };
            let mut s = format!(
                "{} of {} tests ({}) from {} ({matched}); {how}. Fitted: one bivariate model with a sensitivity and a specificity per test and one study random effect shared by all tables of a study (METHODS §15.1).",
                plural(rows - st.rows_without_test, "table", "tables"),
                st.tests.len(),
                per_test.join(", "),
                plural(ns, "study", "studies"),
            );
            if st.rows_without_test > 0 {
                s.push_str(&format!(" {} without a test value left out.", plural(st.rows_without_test, "table", "tables")));
            }
            if st.studies_with_repeated_test > 0 {
                s.push_str(&format!(
                    " {} report the same test more than once (cohorts); their tables share the study's random effect.",
                    plural(st.studies_with_repeated_test, "study", "studies")
                ));
            }
            s
        }
    }
}

/// The fit report of one comparative fit (how it ended, in words).
pub fn fit_lines(c: &Comparative) -> Vec<Line> {
    let mut out = Vec::new();
    let how = match c.method {
        crate::settings::Method::Laplace => "Laplace approximation".to_string(),
        _ => {
            format!("exact likelihood (adaptive Gauss–Hermite quadrature, {} points per dimension)", c.nodes)
        }
    };
    out.push(Line::text(
        if c.converged { Tone::Normal } else { Tone::Bad },
        format!(
            "{}: {} in {} iterations ({}); ℓ = {:.4}, rung {}.",
            how,
            if c.converged { "converged" } else { "did not converge" },
            c.iterations,
            c.termination.describe(),
            c.loglik,
            c.rung
        ),
    ));
    if let Some((m, l)) = c.loglik_check_nodes {
        out.push(Line::text(Tone::Normal, format!("With {m} points ℓ changes by {:.1e}.", l - c.loglik)));
    }
    if let Some(f) = &c.fallback {
        out.push(Line::text(Tone::Warn, format!("Fallback {f}.")));
    }
    for w in &c.warnings {
        out.push(Line::text(Tone::Warn, sentence(w)));
    }
    let rho = c.rho.map_or("not estimated".to_string(), |r| format!("{r:.3}"));
    out.push(Line::text(
        Tone::Normal,
        format!(
            "Shared between-study variance: τ² logit sensitivity {:.3}, τ² logit specificity {:.3}, ρ {rho}.",
            c.tau2_logit_sens, c.tau2_logit_spec
        ),
    ));
    out
}

fn rel_cell(e: &Option<Estimate>, d: usize, reference: &str) -> Cell {
    match e {
        Some(e) => Cell::num(fmt_est(e, d), e.estimate),
        None => Cell::text(format!("{reference} (reference)")),
    }
}

fn diff_cell(e: &Option<Estimate>) -> Cell {
    match e {
        Some(e) => Cell::num(
            format!("{:+.3} ({:+.3} to {:+.3})", e.estimate, e.ci[0], e.ci[1]).replace('-', "−"),
            e.estimate,
        ),
        None => Cell::text("–"),
    }
}

/// The comparison table: one row per test (and per analysis, all studies then paired-only).
pub fn comparison_table(b: &ComparisonBlock, level: f64) -> Table {
    let ci = format!("{}% CI", level_percent(level));
    let mut rows = Vec::new();
    for (what, out) in outcomes(b) {
        match out {
            ComparisonOutcome::Fit(c) => {
                for t in &c.per_test {
                    rows.push(Row::new(vec![
                        Cell::text(what.clone()),
                        Cell::text(t.test.clone()),
                        Cell::num(t.k.to_string(), t.k as f64),
                        Cell::num(fmt_est(&t.summary.sensitivity, 3), t.summary.sensitivity.estimate),
                        Cell::num(fmt_est(&t.summary.specificity, 3), t.summary.specificity.estimate),
                        rel_cell(&t.relative_sensitivity, 3, &c.reference),
                        rel_cell(&t.relative_specificity, 3, &c.reference),
                        diff_cell(&t.difference_sensitivity),
                        diff_cell(&t.difference_specificity),
                    ]));
                }
            }
            ComparisonOutcome::Error { error } => {
                rows.push(Row::new(vec![Cell::text(what), Cell::text(sentence(&error.to_string()))]));
            }
        }
    }
    Table {
        headers: vec![
            "Studies".into(),
            "Test".into(),
            "Tables".into(),
            format!("Sensitivity ({ci})"),
            format!("Specificity ({ci})"),
            format!("Relative sensitivity ({ci})"),
            format!("Relative specificity ({ci})"),
            format!("Sensitivity difference ({ci})"),
            format!("Specificity difference ({ci})"),
        ],
        keys: vec![
            "analysis",
            "test",
            "k",
            "sensitivity",
            "specificity",
            "relative-sensitivity",
            "relative-specificity",
            "difference-sensitivity",
            "difference-specificity",
        ],
        rows,
    }
}

fn outcomes(b: &ComparisonBlock) -> Vec<(String, &ComparisonOutcome)> {
    let fit_k = |o: &ComparisonOutcome| {
        o.fit().map_or(String::new(), |c| format!(" ({})", plural(c.k_studies, "study", "studies")))
    };
    let mut v = vec![(format!("All{}", fit_k(&b.all_studies)), &b.all_studies)];
    if let Some(p) = &b.paired_only {
        v.push((format!("Paired only{}", fit_k(p)), p));
    }
    v
}

/// The LR tests between tests (and the test-specific-variances test where it exists).
pub fn tests_table(b: &ComparisonBlock) -> Table {
    let mut rows = Vec::new();
    for (what, out) in outcomes(b) {
        let Some(c) = out.fit() else { continue };
        let mut push = |q: &str, t: &crate::stats::metareg::LrTest| {
            rows.push(Row::new(vec![
                Cell::text(what.clone()),
                Cell::text(q),
                Cell::num(format!("{:.2}", t.statistic), t.statistic),
                Cell::num(t.df.to_string(), t.df as f64),
                Cell::num(fmt_p_cell(t.p_value), t.p_value),
            ]));
        };
        push("Equal sensitivity?", &c.lrt.equal_sensitivity);
        push("Equal specificity?", &c.lrt.equal_specificity);
        push("Equal sensitivity and specificity?", &c.lrt.equal_both);
        if let Some(t) = &c.separate_variances.lrt {
            push("Do the between-study variances differ by test?", t);
        }
    }
    Table {
        headers: ["Studies", "Question", "χ²", "df", "p"].map(String::from).to_vec(),
        keys: vec!["analysis", "question", "chi2", "df", "p"],
        rows,
    }
}

/// Plain-language findings: what the LR tests and relative estimates say, per analysis.
pub fn findings(b: &ComparisonBlock, level: f64) -> Vec<Line> {
    let mut out = vec![Line::text(Tone::Normal, structure_sentence(&b.structure))];
    let pct = level_percent(level);
    for (what, o) in outcomes(b) {
        match o {
            ComparisonOutcome::Fit(c) => {
                out.push(Line::text(Tone::Normal, format!("{what}:")));
                out.extend(fit_lines(c));
                for t in c.per_test.iter().skip(1) {
                    if let (Some(rs), Some(rp)) = (&t.relative_sensitivity, &t.relative_specificity) {
                        out.push(Line::text(
                            Tone::Normal,
                            format!(
                                "{} vs {}: sensitivity ratio {} ({pct}% CI {:.3}–{:.3}), specificity ratio {} ({pct}% CI {:.3}–{:.3}).",
                                t.test, c.reference, format_args!("{:.3}", rs.estimate), rs.ci[0], rs.ci[1],
                                format_args!("{:.3}", rp.estimate), rp.ci[0], rp.ci[1]
                            ),
                        ));
                    }
                }
                let l = &c.lrt;
                out.push(Line::text(
                    Tone::Normal,
                    format!(
                        "Likelihood-ratio tests: equal sensitivity {}, equal specificity {}, both {}.",
                        fmt_p(l.equal_sensitivity.p_value),
                        fmt_p(l.equal_specificity.p_value),
                        fmt_p(l.equal_both.p_value)
                    ),
                ));
                if let Some(n) = &c.separate_variances.note {
                    out.push(Line::text(
                        Tone::Normal,
                        format!("Test-specific variances: {}.", n.trim_end_matches('.')),
                    ));
                }
            }
            ComparisonOutcome::Error { error } => {
                out.push(Line::text(Tone::Warn, format!("{what}: {}", sentence(&error.to_string()))));
            }
        }
    }
    out
}

/// The CLI's text section.
pub fn comparison_text(a: &Analysis) -> Option<String> {
    let b = a.comparison.as_ref()?;
    let level = a.settings.ci_level;
    let mut s = String::from("\nComparison of tests");
    if let Some(t) = &b.structure.test_column {
        s.push_str(&format!(" (column \"{t}\")"));
    }
    s.push_str(":\n");
    for l in findings(b, level) {
        let mark = if l.tone == Tone::Warn || l.tone == Tone::Bad { "! " } else { "" };
        s.push_str(&format!("  {mark}{}\n", l.plain()));
    }
    s.push('\n');
    s.push_str(&comparison_table(b, level).to_text());
    s.push('\n');
    s.push_str(&tests_table(b).to_text());
    if !s.ends_with('\n') {
        s.push('\n');
    }
    Some(s)
}

/// The fit whose estimates the figures show: all studies.
fn shown(a: &Analysis) -> Option<(&ComparisonBlock, &Comparative)> {
    let b = a.comparison.as_ref()?;
    Some((b, b.all_studies.fit()?))
}

/// SROC with one curve, summary point and regions per test (the subgroup drawing of `plot`).
pub fn comparison_sroc(a: &Analysis) -> Option<SrocData> {
    let (b, c) = shown(a)?;
    let series = c
        .per_test
        .iter()
        .map(|t| {
            let ti = b.structure.tests.iter().position(|x| *x == t.test);
            let rows: &[usize] = ti.and_then(|i| b.rows_per_test.get(i)).map_or(&[], Vec::as_slice);
            let drawn: Vec<(f64, f64, (f64, f64, f64))> = rows
                .iter()
                .filter_map(|&r| a.overall.studies.get(r))
                .filter_map(|s| {
                    let (n1, n0) = (s.tp + s.fn_, s.fp + s.tn);
                    (n1 > 0 && n0 > 0).then(|| {
                        let point = (s.fp as f64 / n0 as f64, s.tp as f64 / n1 as f64, (n1 + n0) as f64);
                        (n1 as f64, n0 as f64, point)
                    })
                })
                .collect();
            let counts = drawn.iter().map(|d| (d.0, d.1)).collect();
            let points = drawn.into_iter().map(|d| d.2).collect();
            SrocSeries {
                name: format!("{} (k = {})", t.test, t.k),
                points,
                curve: t.sroc_curve.clone(),
                summary: Some((1.0 - t.summary.specificity.estimate, t.summary.sensitivity.estimate)),
                confidence_region: t.confidence_region.clone(),
                prediction_region: t.prediction_region.clone(),
                show_regions: true,
                counts,
            }
        })
        .collect();
    Some(SrocData {
        series,
        auc_label: None,
        title: "SROC by test (shared study random effect)".to_string(),
        level: ci_label(a.settings.ci_level),
        zoom: false,
        conventions: Default::default(),
    })
}

/// The forest plot grouped by test, each group ending in its test's pooled estimate from the
/// comparative model.
pub fn comparison_forest(a: &Analysis, show_counts: bool) -> Option<ForestData> {
    let (b, c) = shown(a)?;
    let mut data = super::plots::forest_data(&a.overall, a.settings.ci_level);
    data.show_counts = show_counts;
    data.summary_sens = None;
    data.summary_spec = None;
    data.title = "Sensitivity and specificity by test".to_string();
    let all_rows: Vec<ForestRow> = super::plots::forest_data(&a.overall, a.settings.ci_level).rows;
    data.groups = c
        .per_test
        .iter()
        .map(|t| {
            let ti = b.structure.tests.iter().position(|x| *x == t.test);
            let rows: &[usize] = ti.and_then(|i| b.rows_per_test.get(i)).map_or(&[], Vec::as_slice);
            ForestGroup {
                heading: format!("{} (k = {})", t.test, t.k),
                rows: rows.iter().filter_map(|&r| all_rows.get(r).cloned()).collect(),
                summary_sens: Some(triple(&t.summary.sensitivity)),
                summary_spec: Some(triple(&t.summary.specificity)),
            }
        })
        .collect();
    data.rows.clear();
    Some(data)
}

/// The R code that reproduces the comparative fit with lme4 (`glmer`, Laplace, tight controls),
/// appended to the export's script (which defines `d` with the analysed rows, in order, and
/// `LEVEL`): the shared study id, the model, the three LR tests, the relative sensitivity and
/// specificity by the delta method, and the paired-only fit when asked.
pub fn r_code(a: &Analysis) -> Option<String> {
    let b = a.comparison.as_ref()?;
    let st = &b.structure;
    let test = st.test_column.as_deref()?;
    let r_str = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', " "));
    let ids: Vec<String> = st.study_of.iter().map(|&i| r_str(&st.studies[i])).collect();
    let mut s = String::new();
    s.push_str("# ---- Comparison of index tests (METHODS §15): one study random effect shared by a study's tables.\n");
    s.push_str(&format!("d$study_id <- c({})  # the study each table belongs to\n", ids.join(", ")));
    s.push_str(&format!("d$test <- d[[{}]]\n", r_str(test)));
    s.push_str(
        "cmp_long <- function(d) {\n  \
         d <- d[!is.na(d$test), ]\n  \
         x <- rbind(data.frame(study = d$study_id, test = d$test, sens = 1, spec = 0, pos = d$TP, n = d$TP + d$FN),\n             \
         data.frame(study = d$study_id, test = d$test, sens = 0, spec = 1, pos = d$TN, n = d$TN + d$FP))\n  \
         x$test <- factor(x$test, levels = sort(unique(x$test)))\n  \
         x[x$n > 0, ]\n}\n\
         tight <- glmerControl(optimizer = \"bobyqa\", tolPwrss = 1e-11, optCtrl = list(maxfun = 1e5, rhoend = 1e-10))\n\
         compare <- function(d) {\n  \
         x <- cmp_long(d)\n  \
         f <- function(form) glmer(form, data = x, family = binomial, control = tight)\n  \
         full <- f(cbind(pos, n - pos) ~ 0 + test:sens + test:spec + (0 + sens + spec | study))\n  \
         eq_sens <- f(cbind(pos, n - pos) ~ 0 + sens + test:spec + (0 + sens + spec | study))\n  \
         eq_spec <- f(cbind(pos, n - pos) ~ 0 + test:sens + spec + (0 + sens + spec | study))\n  \
         eq_both <- f(cbind(pos, n - pos) ~ 0 + sens + spec + (0 + sens + spec | study))\n  \
         nt <- nlevels(x$test)\n  \
         lrt <- function(r, df) { s <- 2 * (logLik(full) - logLik(r)); c(chi2 = s, df = df, p = pchisq(s, df, lower.tail = FALSE)) }\n  \
         print(rbind(equal_sensitivity = lrt(eq_sens, nt - 1), equal_specificity = lrt(eq_spec, nt - 1),\n              \
         equal_both = lrt(eq_both, 2 * (nt - 1))))\n  \
         b <- fixef(full); V <- as.matrix(vcov(full)); z <- qnorm(1 - (1 - LEVEL) / 2)\n  \
         for (m in c(\"sens\", \"spec\")) {\n    \
         idx <- grep(paste0(\":\", m, \"$\"), names(b))\n    \
         p <- plogis(b[idx])\n    \
         cat(m, \"per test:\\n\"); print(cbind(estimate = p, lower = plogis(b[idx] - z * sqrt(diag(V)[idx])), upper = plogis(b[idx] + z * sqrt(diag(V)[idx]))))\n    \
         for (t in idx[-1]) {\n      \
         g <- c(-(1 - p[1]), 1 - plogis(b[t])); i <- c(idx[1], t)\n      \
         lr <- log(plogis(b[t]) / p[1]); se <- sqrt(drop(t(g) %*% V[i, i] %*% g))\n      \
         cat(\"relative\", m, names(b)[t], \"vs\", names(b)[idx[1]], \":\", exp(c(lr, lr - z * se, lr + z * se)), \"\\n\")\n    \
         }\n  \
         }\n  \
         print(VarCorr(full))\n  \
         invisible(full)\n}\n\
         compare(d)\n",
    );
    if b.paired_only.is_some() {
        s.push_str(
            "# Paired only: the studies reporting every test (direct comparison).\n\
             every <- tapply(d$test, d$study_id, function(t) length(unique(na.omit(t)))) == length(unique(na.omit(d$test)))\n\
             compare(d[d$study_id %in% names(every)[every], ])\n",
        );
    }
    if let Some(c) = b.all_studies.fit() {
        s.push_str(
            "# Fourfold's comparative fit (exact likelihood unless Laplace was chosen; glmer is Laplace):\n",
        );
        for t in &c.per_test {
            s.push_str(&format!(
                "#   {}: logit sensitivity {:.6}, logit specificity {:.6}\n",
                t.test, t.mu_logit_sens, t.mu_logit_spec
            ));
        }
        s.push_str(&format!("#   log-likelihood {:.6}\n", c.loglik));
    }
    s.push('\n');
    Some(s)
}
