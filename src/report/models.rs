//! Words and tables for the further models of issue #13: the HSROC meta-regression (METHODS §16)
//! with its bivariate equivalent and the variances-differ test, and the three-level model for
//! cohorts within studies (§15.3) beside the one-row-per-cluster analysis. Shared by the CLI's text
//! report and the page.

use super::doc::{sentence, Cell, Line, Row, Table, Tone};
use super::results::signed;
use super::{fmt_est, fmt_p_cell};
use crate::analysis::models::Outcome;
use crate::analysis::Analysis;
use crate::settings::level_percent;
use crate::stats::estimate::Estimate;
use crate::stats::hsroc_reg::HsrocRegression;
use crate::stats::metareg::LrTest;
use crate::stats::threelevel::{ThreeLevel, ThreeLevelFit};

fn signed_est(e: &Estimate, d: usize) -> String {
    let sep = if e.ci[0] < 0.0 || e.ci[1] < 0.0 { " to " } else { "–" };
    format!("{} ({}{sep}{})", signed(e.estimate, d), signed(e.ci[0], d), signed(e.ci[1], d))
}

fn test_row(q: &str, t: &LrTest) -> Row {
    Row::new(vec![
        Cell::text(q),
        Cell::num(format!("{:.2}", t.statistic), t.statistic),
        Cell::num(t.df.to_string(), t.df as f64),
        Cell::num(fmt_p_cell(t.p_value), t.p_value),
    ])
}

/// The HSROC meta-regression, when fitted.
pub fn hsroc_fit(a: &Analysis) -> Option<&HsrocRegression> {
    match a.models.as_ref()?.hsroc_regression.as_ref()? {
        Outcome::Fit(r) => Some(r),
        Outcome::Error { .. } => None,
    }
}

/// The three-level model, when fitted.
pub fn three_level_fit(a: &Analysis) -> Option<&ThreeLevel> {
    match a.models.as_ref()?.three_level.as_ref()? {
        Outcome::Fit(r) => Some(r),
        Outcome::Error { .. } => None,
    }
}

/// LR tests of the HSROC meta-regression (accuracy, threshold, shape; variances differ).
pub fn hsroc_tests_table(a: &Analysis) -> Option<Table> {
    let r = hsroc_fit(a)?;
    let mut rows = vec![
        test_row("Does accuracy (Λ) differ?", &r.lrt.accuracy),
        test_row("Does the threshold (Θ) differ?", &r.lrt.threshold),
        test_row("Does the shape (β) differ?", &r.lrt.shape),
        test_row("Does any of the three differ?", &r.lrt.any),
        test_row("With a common shape: does accuracy differ?", &r.lrt.accuracy_common_shape),
        test_row("With a common shape: does the threshold differ?", &r.lrt.threshold_common_shape),
    ];
    if let Some(v) = &r.variances_differ {
        rows.push(test_row("Do the variances differ (separate Σ per level vs common Σ)?", &v.lrt));
    }
    Some(Table {
        headers: ["Question", "χ²", "df", "p"].map(String::from).to_vec(),
        keys: vec!["question", "chi2", "df", "p"],
        rows,
    })
}

/// Λ, Θ, β per level in the full model and with a common shape, with CIs.
pub fn hsroc_levels_table(a: &Analysis) -> Option<Table> {
    let r = hsroc_fit(a)?;
    let pct = level_percent(a.settings.ci_level);
    let mut rows = Vec::new();
    for (model, e) in [("shape differs", &r.full), ("common shape", &r.common_shape)] {
        for l in &e.per_level {
            rows.push(Row::new(vec![
                Cell::text(format!("{} ({model})", l.level)),
                Cell::num(l.k.to_string(), l.k as f64),
                Cell::num(signed_est(&l.lambda, 2), l.lambda.estimate),
                Cell::num(signed_est(&l.theta, 2), l.theta.estimate),
                Cell::num(signed_est(&l.beta, 2), l.beta.estimate),
                Cell::num(format!("{:.3}", e.sigma2_alpha), e.sigma2_alpha),
                Cell::num(format!("{:.3}", e.sigma2_theta), e.sigma2_theta),
            ]));
        }
    }
    Some(Table {
        headers: vec![
            format!("{} (model)", r.covariate),
            "k".into(),
            format!("Λ accuracy ({pct}% CI)"),
            format!("Θ threshold ({pct}% CI)"),
            format!("β shape ({pct}% CI)"),
            "σ²α".into(),
            "σ²θ".into(),
        ],
        keys: vec!["level", "k", "lambda", "theta", "beta", "sigma2_alpha", "sigma2_theta"],
        rows,
    })
}

/// The bivariate parametrisation of the common-shape model and the separate-Σ fits.
pub fn hsroc_bivariate_table(a: &Analysis) -> Option<Table> {
    let r = hsroc_fit(a)?;
    let b = r.bivariate.as_ref()?;
    let mut rows: Vec<Row> = b
        .coefficients
        .iter()
        .map(|c| {
            Row::new(vec![
                Cell::text(c.label.clone()),
                Cell::num(signed(c.estimate, 3), c.estimate),
                Cell::num(format!("{:.3}", c.se), c.se),
                Cell::text("common Σ"),
            ])
        })
        .collect();
    if let Some(v) = &r.variances_differ {
        for l in &v.per_level {
            rows.push(Row::new(vec![
                Cell::text(format!(
                    "{} = {}: τ² sens {:.3}, τ² spec {:.3}, ρ {}",
                    r.covariate,
                    l.level,
                    l.tau2_logit_sens,
                    l.tau2_logit_spec,
                    l.rho.map_or("–".into(), |x| signed(x, 2))
                )),
                Cell::num(signed(l.loglik, 2), l.loglik),
                Cell::text(""),
                Cell::text(format!("own Σ (k = {})", l.k)),
            ]));
        }
    }
    Some(Table {
        headers: ["Bivariate parametrisation", "estimate / ℓ", "SE", "Σ"].map(String::from).to_vec(),
        keys: vec!["term", "estimate", "se", "sigma"],
        rows,
    })
}

/// Plain-words lines on the HSROC meta-regression (or why it is missing).
pub fn hsroc_lines(a: &Analysis) -> Vec<Line> {
    let Some(o) = a.models.as_ref().and_then(|m| m.hsroc_regression.as_ref()) else { return Vec::new() };
    let r = match o {
        Outcome::Error { error } => {
            return vec![Line::text(Tone::Warn, format!("HSROC meta-regression: {}", sentence(error)))]
        }
        Outcome::Fit(r) => r,
    };
    let method = if r.nodes == 1 {
        "Laplace".to_string()
    } else {
        format!("exact likelihood, {} nodes per dimension", r.nodes)
    };
    let mut v = vec![Line::text(
        Tone::Normal,
        format!(
            "HSROC meta-regression on {} ({} studies, reference level {}; {method}): seven models with the covariate on accuracy, threshold and shape in turn (Rutter–Gatsonis; Cochrane DTA Handbook §9.4.6.5).",
            r.covariate, r.k_used, r.reference_level
        ),
    )];
    if let Some(b) = &r.bivariate {
        v.push(
            Line::new(Tone::Note)
                .t("With a common shape the HSROC model is the bivariate meta-regression with the covariate on both margins and a common Σ: ℓ ")
                .n(signed(b.loglik, 4), b.loglik)
                .t(" (bivariate) vs ")
                .n(signed(b.loglik - b.loglik_difference, 4), b.loglik - b.loglik_difference)
                .t(" (HSROC)."),
        );
    }
    if let Some(s) = &r.variances_note {
        v.push(Line::text(Tone::Warn, sentence(s)));
    }
    for e in [&r.full, &r.common_shape] {
        if let Some(b) = &e.boundary {
            v.push(Line::text(
                Tone::Warn,
                format!("The {} model is at a boundary: {b}.", e.terms.describe()),
            ));
        }
    }
    for w in &r.warnings {
        v.push(Line::text(Tone::Warn, sentence(w)));
    }
    v
}

fn fit_row(name: &str, f: &ThreeLevelFit) -> Row {
    let s = &f.summary;
    if !f.converged {
        // A fit that did not converge is not presented as a result: its reason is in the lines.
        return Row::new(vec![
            Cell::text(name),
            Cell::text(format!("did not converge ({}); see the notes above", f.termination)),
        ]);
    }
    Row::new(vec![
        Cell::text(name),
        Cell::num(fmt_est(&s.sensitivity, 3), s.sensitivity.estimate),
        Cell::num(fmt_est(&s.specificity, 3), s.specificity.estimate),
        Cell::num(
            format!("{:.3} / {:.3}", f.study.tau2_logit_sens, f.study.tau2_logit_spec),
            f.study.tau2_logit_sens,
        ),
        Cell::num(
            format!("{:.3} / {:.3}", f.cohort.tau2_logit_sens, f.cohort.tau2_logit_spec),
            f.cohort.tau2_logit_sens,
        ),
        Cell::num(
            format!(
                "{:.0}% / {:.0}%",
                100.0 * f.share_between_studies[0],
                100.0 * f.share_between_studies[1]
            ),
            f.share_between_studies[0],
        ),
        Cell::num(signed(f.loglik, 3), f.loglik),
    ])
}

/// The three-level fits beside the two-level fit of every row and the one-row-per-cluster fit.
pub fn three_level_table(a: &Analysis) -> Option<Table> {
    let t = three_level_fit(a)?;
    let pct = level_percent(a.settings.ci_level);
    let mut rows = vec![fit_row("Three-level, Laplace", &t.laplace)];
    if let Some(x) = &t.exact {
        let (mo, mi) = x.nodes.unwrap_or((0, 0));
        rows.push(fit_row(&format!("Three-level, exact (nested AGHQ {mo}×{mo} outer, {mi}×{mi} inner)"), x));
    }
    let blank = || Cell::text("–");
    if let Some(f) = &a.overall.fit {
        let s = &f.summary;
        rows.push(Row::new(vec![
            Cell::text("Two-level, every table independent (the main analysis)"),
            Cell::num(fmt_est(&s.sensitivity, 3), s.sensitivity.estimate),
            Cell::num(fmt_est(&s.specificity, 3), s.specificity.estimate),
            blank(),
            Cell::num(
                format!("{:.3} / {:.3}", f.model.tau2_logit_sens, f.model.tau2_logit_spec),
                f.model.tau2_logit_sens,
            ),
            blank(),
            Cell::num(signed(f.model.loglik, 3), f.model.loglik),
        ]));
    }
    if let Some(c) = a.models.as_ref().and_then(|m| m.one_row_per_cluster.as_ref()) {
        if let Some(f) = &c.block.fit {
            let s = &f.summary;
            rows.push(Row::new(vec![
                Cell::text(format!("One row per cluster (k = {})", c.n_clusters)),
                Cell::num(fmt_est(&s.sensitivity, 3), s.sensitivity.estimate),
                Cell::num(fmt_est(&s.specificity, 3), s.specificity.estimate),
                Cell::num(
                    format!("{:.3} / {:.3}", f.model.tau2_logit_sens, f.model.tau2_logit_spec),
                    f.model.tau2_logit_sens,
                ),
                blank(),
                blank(),
                Cell::text("(other data)"),
            ]));
        }
    }
    Some(Table {
        headers: vec![
            "Model".into(),
            format!("Sensitivity ({pct}% CI)"),
            format!("Specificity ({pct}% CI)"),
            "τ² study (sens / spec)".into(),
            "τ² cohort (sens / spec)".into(),
            "Between studies (sens / spec)".into(),
            "ℓ".into(),
        ],
        keys: vec!["model", "sens", "spec", "tau2_study", "tau2_cohort", "share", "loglik"],
        rows,
    })
}

/// Plain-words lines on the three-level model (or why it is missing).
pub fn three_level_lines(a: &Analysis) -> Vec<Line> {
    let Some(o) = a.models.as_ref().and_then(|m| m.three_level.as_ref()) else { return Vec::new() };
    let t = match o {
        Outcome::Error { error } => {
            return vec![Line::text(Tone::Warn, format!("Three-level model: {}", sentence(error)))]
        }
        Outcome::Fit(t) => t,
    };
    let cohorts =
        t.cohort_column.as_ref().map_or("each row a cohort".to_string(), |c| format!("cohorts by '{c}'"));
    let mut v = vec![Line::text(
        Tone::Normal,
        format!(
            "Three-level model (study and cohort random effects): {} tables in {} cohorts of {} studies (by '{}', {cohorts}); {} studies have two or more cohorts (at most {}).",
            t.n_rows, t.n_cohorts, t.n_studies, t.study_column, t.n_multi_cohort_studies, t.max_cohorts_per_study
        ),
    )];
    let head = t.exact.as_ref().unwrap_or(&t.laplace);
    v.push(
        Line::new(Tone::Note)
            .t("Share of the between-table variance that is between studies: ")
            .n(format!("{:.0}%", 100.0 * head.share_between_studies[0]), head.share_between_studies[0])
            .t(" (logit sensitivity), ")
            .n(format!("{:.0}%", 100.0 * head.share_between_studies[1]), head.share_between_studies[1])
            .t(" (logit specificity), ")
            .n(format!("{:.0}%", 100.0 * head.share_between_studies_trace), head.share_between_studies_trace)
            .t(" of the trace."),
    );
    v.push(
        Line::new(Tone::Normal)
            .t("Against the two-level model (study variance 0), by Laplace: LR ")
            .n(format!("{:.2}", t.lr_study_level), t.lr_study_level)
            .t(", p ≤ ")
            .n(fmt_p_cell(t.p_conservative), t.p_conservative)
            .t(" (χ²₃, conservative: the null lies on the boundary)."),
    );
    if let Some(x) = &t.exact {
        if let (Some((mo, mi)), Some(((m2, _), l2))) = (x.nodes, x.loglik_doubled_nodes) {
            let cost = t.n_cohorts * mo * mo * mi * mi;
            v.push(
                Line::new(Tone::Normal)
                    .t(format!("Exact fit: nested adaptive quadrature, {mo}² outer × {mi}² inner nodes per cohort (≈ "))
                    .n(format!("{cost}"), cost as f64)
                    .t(format!(" row evaluations per likelihood); with {m2}² outer and {}² inner nodes ℓ changes by ", 2 * mi))
                    .n(format!("{:.1e}", (l2 - x.loglik).abs()), (l2 - x.loglik).abs())
                    .t("."),
            );
        }
    }
    for f in std::iter::once(&t.laplace).chain(t.exact.as_ref()) {
        if let Some(b) = &f.boundary {
            v.push(Line::text(Tone::Warn, format!("The {} fit is at a boundary: {b}.", f.method)));
        }
    }
    for w in &t.warnings {
        v.push(Line::text(Tone::Warn, sentence(w)));
    }
    v
}

/// Everything above as plain text (the CLI's report).
pub fn models_text(a: &Analysis) -> String {
    let mut out = String::new();
    let lines = |out: &mut String, ls: Vec<Line>| {
        for l in ls {
            let mark = if l.tone == Tone::Warn { "! " } else { "" };
            out.push_str(&format!("{mark}{}\n", l.plain()));
        }
    };
    let hl = hsroc_lines(a);
    if !hl.is_empty() {
        out.push_str("\nHSROC meta-regression:\n");
        lines(&mut out, hl);
        for t in [hsroc_tests_table(a), hsroc_levels_table(a), hsroc_bivariate_table(a)].into_iter().flatten()
        {
            out.push('\n');
            out.push_str(&t.to_text());
        }
    }
    let tl = three_level_lines(a);
    if !tl.is_empty() {
        out.push_str("\nCohorts within studies:\n");
        lines(&mut out, tl);
        if let Some(t) = three_level_table(a) {
            out.push('\n');
            out.push_str(&t.to_text());
        }
    }
    out
}

/// `"…"` for R, escaped.
fn r_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', " "))
}

/// The R code (lme4) that reproduces the Laplace versions of the further models, for the script
/// export (appended after the data frame `d` and the main fit). The HSROC fits with a shape term
/// have no lme4 form; the separate-Σ test and the three-level model do.
pub fn r_script_part(a: &Analysis) -> String {
    let mut s = String::new();
    if let Some(r) = hsroc_fit(a) {
        let cov = r_quote(&r.covariate);
        let by = matches!(a.settings.covariate.as_deref(), Some(c) if c == r.covariate)
            && a.settings.split_threshold.is_none();
        if by {
            s.push_str(&format!(
                "# Variances differ by {cov}: separate bivariate fits per level vs the common-Σ model (df 3(L-1)).\n\
                 longc <- rbind(\n  data.frame(study = d$study, cov = d[[{cov}]], sens = 1, spec = 0, pos = d$TP, n = d$TP + d$FN),\n  \
                 data.frame(study = d$study, cov = d[[{cov}]], sens = 0, spec = 1, pos = d$TN, n = d$TN + d$FP)\n)\n\
                 longc <- longc[longc$n > 0 & !is.na(longc$cov), ]\n\
                 common <- glmer(cbind(pos, n - pos) ~ 0 + sens:factor(cov) + spec:factor(cov) + (0 + sens + spec | study),\n                \
                 data = longc, family = binomial, nAGQ = 1)\n\
                 sep <- sapply(split(longc, longc$cov), function(x) as.numeric(logLik(glmer(cbind(pos, n - pos) ~ 0 + sens + spec +\n  \
                 (0 + sens + spec | study), data = x, family = binomial, nAGQ = 1))))\n\
                 LR <- 2 * (sum(sep) - as.numeric(logLik(common))); df <- 3 * (length(sep) - 1)\n\
                 print(c(LR = LR, df = df, p = pchisq(LR, df, lower.tail = FALSE)))\n\
                 # HSROC parameters per level of the common-Σ model (Harbord et al. 2007); shape is common here.\n\
                 S <- as.matrix(VarCorr(common)$study); b <- fixef(common); L <- length(b) / 2\n\
                 sa <- sqrt(S[1, 1]); sb <- sqrt(S[2, 2]); r <- sqrt(sb / sa)\n\
                 print(cbind(Lambda = r * b[1:L] + b[L + 1:L] / r, Theta = 0.5 * (r * b[1:L] - b[L + 1:L] / r), beta = log(sb / sa)))\n\
                 # Fourfold fits the HSROC models with a covariate on shape directly (exact likelihood); lme4 has no form for them.\n\n"
            ));
        }
    }
    if let Some(t) = three_level_fit(a) {
        let study = if t.study_column == "study label" {
            "d$study".to_string()
        } else {
            format!("d[[{}]]", r_quote(&t.study_column))
        };
        let cohort = t
            .cohort_column
            .as_ref()
            .map_or("seq_len(nrow(d))".to_string(), |c| format!("d[[{}]]", r_quote(c)));
        s.push_str(&format!(
            "# Three-level model: study and cohort random effects (Laplace, as lme4 computes it).\n\
             d3 <- data.frame(sid = {study}, cid = {cohort}, TP = d$TP, FP = d$FP, FN = d$FN, TN = d$TN)\n\
             long3 <- rbind(\n  data.frame(study = d3$sid, cohort = d3$cid, sens = 1, spec = 0, pos = d3$TP, n = d3$TP + d3$FN),\n  \
             data.frame(study = d3$sid, cohort = d3$cid, sens = 0, spec = 1, pos = d3$TN, n = d3$TN + d3$FP)\n)\n\
             long3 <- long3[long3$n > 0, ]\n\
             fit3 <- glmer(cbind(pos, n - pos) ~ 0 + sens + spec + (0 + sens + spec | study) + (0 + sens + spec | study:cohort),\n              \
             data = long3, family = binomial, nAGQ = 1,\n              \
             control = glmerControl(optimizer = \"bobyqa\", optCtrl = list(maxfun = 1e5)))\n\
             print(fixef(fit3)); print(VarCorr(fit3)); print(logLik(fit3))\n\
             vc <- VarCorr(fit3); print(diag(vc$study) / (diag(vc$study) + diag(vc$`study:cohort`)))  # share between studies\n\
             # Fourfold (Laplace): logit sens {:.4}, logit spec {:.4}, logLik {:.4}\n\n",
            t.laplace.mu_logit_sens, t.laplace.mu_logit_spec, t.laplace.loglik
        ));
    }
    s
}
