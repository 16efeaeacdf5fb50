//! Every word about the Bayesian fits (issue #16): the verdict, the posterior table with its
//! diagnostics, the sampler's statistics, the priors and what they imply, the identifiability
//! warning of the latent-class model. Shared by the CLI and the page.

use super::doc::{Card, Cell, Line, Pair, Row, Table, Tone};
use crate::analysis::bayes::BayesBlock;
use crate::stats::bayes::bivariate::PriorPredictive;
use crate::stats::bayes::latent::{ReferencePriors, VAGUE_WIDTH};
use crate::stats::bayes::model::{expit, Priors, SdPrior};
use crate::stats::bayes::{Posterior, Problem, Verdict, ESS_MIN, RHAT_MAX};

/// The quantities shown, with their labels and decimals.
const ROWS: [(&str, &str, usize); 14] = [
    ("se", "Sensitivity", 3),
    ("sp", "Specificity", 3),
    ("lr_pos", "LR+", 2),
    ("lr_neg", "LR−", 3),
    ("dor", "DOR", 1),
    ("mu_se", "logit sensitivity (μ1)", 3),
    ("mu_sp", "logit specificity (μ2)", 3),
    ("tau_se", "τ (SD of logit Se)", 3),
    ("tau_sp", "τ (SD of logit Sp)", 3),
    ("rho", "ρ (correlation)", 3),
    ("pred_se", "New study: sensitivity", 3),
    ("pred_sp", "New study: specificity", 3),
    ("se_ref", "Reference standard: sensitivity", 3),
    ("sp_ref", "Reference standard: specificity", 3),
];

fn fmt(x: f64, d: usize) -> String {
    if x.is_finite() {
        format!("{x:.d$}")
    } else {
        "–".into()
    }
}

/// The model's name as a title.
pub fn title(b: &BayesBlock) -> &'static str {
    match b {
        BayesBlock::Bivariate(_) => "Bayesian bivariate model (NUTS)",
        BayesBlock::LatentClass(_) => "Bayesian latent-class model, imperfect reference standard (NUTS)",
    }
}

/// The verdict in plain words, first line first. A run that failed a check says so before any
/// number: "do not use these numbers".
pub fn verdict_lines(p: &Posterior) -> Vec<Line> {
    let mut out = Vec::new();
    match &p.verdict {
        Verdict::Converged => {
            let (ess, rhat) = p.worst();
            out.push(
                Line::new(Tone::Normal)
                    .t("The sampler converged: every R-hat ≤ ")
                    .n(format!("{RHAT_MAX}"), RHAT_MAX)
                    .t(" (largest ")
                    .n(format!("{rhat:.3}"), rhat)
                    .t("), every bulk and tail ESS ≥ ")
                    .n(format!("{ESS_MIN:.0}"), ESS_MIN)
                    .t(" (smallest ")
                    .n(format!("{ess:.0}"), ess)
                    .t("), no divergent transitions."),
            );
        }
        Verdict::NotConverged { problems } => {
            out.push(Line::text(Tone::Bad, "The sampler did not converge: do not use these numbers."));
            for pr in problems {
                out.push(match pr {
                    Problem::Rhat { quantity, rhat, count } => Line::new(Tone::Bad)
                        .t(format!("R-hat above {RHAT_MAX} for {count} quantit{} (worst: {quantity}, ", plural_y(*count)))
                        .n(format!("{rhat:.3}"), *rhat)
                        .t("): the chains disagree."),
                    Problem::Ess { quantity, ess, count } => Line::new(Tone::Bad)
                        .t(format!(
                            "Effective sample size below {ESS_MIN:.0} for {count} quantit{} (worst: {quantity}, ",
                            plural_y(*count)
                        ))
                        .n(format!("{ess:.0}"), *ess)
                        .t("): run more draws."),
                    Problem::Divergences { count } => Line::new(Tone::Bad)
                        .n(format!("{count}"), *count as f64)
                        .t(" divergent transition(s) after warm-up: the sampler missed part of the posterior; more informative priors usually help."),
                    Problem::NotFinite { quantity } => {
                        Line::text(Tone::Bad, format!("{quantity} has non-finite draws: the fit failed."))
                    }
                });
            }
        }
    }
    let s = &p.sampler;
    let steps: Vec<String> = s.step_sizes.iter().map(|e| format!("{e:.3}")).collect();
    out.push(Line::text(
        Tone::Normal,
        format!(
            "{} chains × ({} warm-up + {} draws), seed {}; mean tree depth {:.1} (max {} of {}; {} iteration(s) hit the limit); {} divergence(s); step sizes {}; {} leapfrog steps.",
            s.chains,
            s.warmup,
            s.draws,
            s.seed,
            s.mean_tree_depth,
            s.max_tree_depth,
            s.max_depth,
            s.max_depth_hits,
            s.divergences,
            steps.join(", "),
            s.leapfrog_steps
        ),
    ));
    out
}

fn plural_y(n: usize) -> &'static str {
    if n == 1 {
        "y"
    } else {
        "ies"
    }
}

/// Posterior median, 95 % credible interval and diagnostics of the summary quantities.
pub fn posterior_table(p: &Posterior) -> Table {
    let headers =
        ["Quantity", "Median", "2.5%", "97.5%", "R-hat", "ESS bulk", "ESS tail"].map(String::from).to_vec();
    let mut rows = Vec::new();
    for (key, label, d) in ROWS {
        let Some(q) = p.get(key) else { continue };
        let g = q.diagnostics;
        rows.push(Row::new(vec![
            Cell::text(label),
            Cell::num(fmt(q.median, d), q.median),
            Cell::num(fmt(q.ci[0], d), q.ci[0]),
            Cell::num(fmt(q.ci[1], d), q.ci[1]),
            Cell::num(fmt(g.rhat, 3), g.rhat),
            Cell::num(fmt(g.ess_bulk, 0), g.ess_bulk),
            Cell::num(fmt(g.ess_tail, 0), g.ess_tail),
        ]));
    }
    Table { headers, keys: vec!["quantity", "median", "lo", "hi", "rhat", "ess_bulk", "ess_tail"], rows }
}

/// The names (as in the JSON) of [`posterior_table`]'s rows, in order.
pub fn posterior_keys(p: &Posterior) -> Vec<&'static str> {
    ROWS.iter().map(|r| r.0).filter(|k| p.get(k).is_some()).collect()
}

/// How final the numbers look: the CSS class of the Bayesian box and the badge over its numbers.
pub fn verdict_badge(p: &Posterior) -> (&'static str, &'static str) {
    if p.verdict.converged() {
        ("bayes-final", "Converged")
    } else {
        ("bayes-not-final", "Not converged — do not use these numbers")
    }
}

/// The sampler's diagnostics as a card: divergences, tree depth, the worst R-hat and ESS.
pub fn sampler_card(p: &Posterior) -> Card {
    let s = &p.sampler;
    let (_, rhat) = p.worst();
    let tail = p.quantities.iter().map(|q| q.diagnostics.ess_tail).fold(f64::INFINITY, f64::min);
    let bulk = p.quantities.iter().map(|q| q.diagnostics.ess_bulk).fold(f64::INFINITY, f64::min);
    let steps: Vec<String> = s.step_sizes.iter().map(|e| format!("{e:.3}")).collect();
    let n = |x: usize| Some(x as f64);
    let mut notes = Vec::new();
    if s.max_depth_hits > 0 {
        notes.push(format!(
            "{} iteration(s) reached the tree-depth limit {}: the sampler moved slowly there.",
            s.max_depth_hits, s.max_depth
        ));
    }
    Card {
        pairs: vec![
            Pair::new(
                "Chains × draws",
                format!("{} × ({} warm-up + {})", s.chains, s.warmup, s.draws),
                n(s.chains),
            ),
            Pair::new("Seed", s.seed.to_string(), Some(s.seed as f64)),
            Pair::new(format!("Largest R-hat (≤ {RHAT_MAX})"), fmt(rhat, 3), Some(rhat)),
            Pair::new(format!("Smallest bulk ESS (≥ {ESS_MIN:.0})"), fmt(bulk, 0), Some(bulk)),
            Pair::new(format!("Smallest tail ESS (≥ {ESS_MIN:.0})"), fmt(tail, 0), Some(tail)),
            Pair::new("Divergent transitions (0)", s.divergences.to_string(), n(s.divergences)),
            Pair::new("Mean tree depth", format!("{:.1}", s.mean_tree_depth), Some(s.mean_tree_depth)),
            Pair::new(
                "Deepest tree (limit)",
                format!("{} ({})", s.max_tree_depth, s.max_depth),
                Some(s.max_tree_depth as f64),
            ),
            Pair::new("At the depth limit", s.max_depth_hits.to_string(), n(s.max_depth_hits)),
            Pair::new("Mean acceptance", format!("{:.2}", s.mean_accept), Some(s.mean_accept)),
            Pair::new("Step sizes", steps.join(", "), None),
            Pair::new("Leapfrog steps", s.leapfrog_steps.to_string(), Some(s.leapfrog_steps as f64)),
        ],
        notes,
    }
}

/// What the priors imply before the data, as a table: 2.5 %, 50 %, 97.5 % of the pooled and a
/// new study's sensitivity and specificity (`n` prior draws), and the reference standard's
/// prior intervals for the latent-class model.
pub fn prior_predictive_table(pp: &PriorPredictive, reference: Option<&ReferencePriors>) -> Table {
    let row = |label: &str, q: [f64; 3]| {
        Row::new(vec![
            Cell::text(label),
            Cell::num(fmt(q[1], 2), q[1]),
            Cell::num(fmt(q[0], 2), q[0]),
            Cell::num(fmt(q[2], 2), q[2]),
        ])
    };
    let mut rows = vec![
        row("Pooled sensitivity", pp.se_quantiles),
        row("Pooled specificity", pp.sp_quantiles),
        row("New study: sensitivity", pp.new_se_quantiles),
        row("New study: specificity", pp.new_sp_quantiles),
    ];
    if let Some(r) = reference {
        for (label, (m, s)) in
            [("Reference standard: sensitivity", r.se_ref), ("Reference standard: specificity", r.sp_ref)]
        {
            rows.push(row(label, [expit(m - 1.959964 * s), expit(m), expit(m + 1.959964 * s)]));
        }
    }
    Table {
        headers: ["Implied by the priors", "Median", "2.5%", "97.5%"].map(String::from).to_vec(),
        keys: vec!["quantity", "median", "lo", "hi"],
        rows,
    }
}

/// A prior or seed input that is not a number, named by its label.
pub fn prior_input_error(label: &str, text: &str) -> String {
    format!("{}: '{}' is not a number", label.trim().trim_end_matches(':'), text.trim())
}

/// A prior problem as shown beside the controls (the previous priors stay in use).
pub fn prior_error_line(problem: &str) -> String {
    format!(
        "{} — the fit keeps the previous priors until this is corrected.",
        super::doc::sentence(problem).trim_end_matches('.')
    )
}

/// The prior predictive draws' count and seed (the page and the CLI show the same numbers).
pub const PRIOR_DRAWS: usize = 4000;
pub const PRIOR_SEED: u64 = 1;

/// The natural frequencies of the Bayesian fit per 1,000 tested, in the summary of findings'
/// layout (without the certainty and footnote columns): posterior medians and 95 % CrI.
/// `counts` are the studies' (diseased, non-diseased).
pub fn bayes_sof_table(b: &BayesBlock, counts: &[(u64, u64)]) -> Option<Table> {
    use crate::findings::{Findings, FindingsBlock, PrevalenceSource};
    let freq = b.frequencies();
    if freq.is_empty() {
        return None;
    }
    let p = b.posterior();
    let est = |k: &str| p.get(k).map(|q| crate::stats::estimate::Estimate::new(q.median, q.ci[0], q.ci[1]));
    let block = FindingsBlock {
        label: title(b).to_string(),
        k: counts.len(),
        diseased: counts.iter().map(|c| c.0).sum(),
        non_diseased: counts.iter().map(|c| c.1).sum(),
        prevalence_source: PrevalenceSource::User,
        columns: freq.to_vec(),
        error: None,
        sensitivity: est("se"),
        specificity: est("sp"),
    };
    let f = Findings {
        level: 0.95,
        per: crate::stats::sof::PER,
        blocks: vec![],
        certainty: vec![],
        footnotes: vec![],
    };
    let mut t = super::sof::sof_table(&block, &f);
    let keep = t.headers.len().saturating_sub(2);
    t.headers.truncate(keep);
    t.keys.truncate(keep);
    for r in &mut t.rows {
        r.cells.truncate(keep);
    }
    for h in t.headers.iter_mut().skip(2) {
        *h = h.replace("per 1,000 tested", "per 1,000 tested, median (95% CrI)");
    }
    Some(t)
}

/// The line above the Bayesian summary of findings.
pub fn bayes_sof_note(b: &BayesBlock) -> Line {
    let what = match b {
        BayesBlock::LatentClass(_) => {
            "the index test's accuracy corrected for the reference standard's errors"
        }
        BayesBlock::Bivariate(_) => "the pooled sensitivity and specificity",
    };
    let mut l = Line::text(
        Tone::Note,
        format!(
            "Per 1,000 people tested at the summary of findings' prevalences, from the joint posterior draws of {what}: posterior medians with 95% credible intervals (each outcome computed draw by draw)."
        ),
    );
    if !b.posterior().verdict.converged() {
        l = Line::text(
            Tone::Bad,
            format!("{} The sampler did not converge: do not use these numbers.", l.plain()),
        );
    }
    l
}

/// The Bayesian series of the SROC plot: posterior median point, 95 % credible region (as the
/// confidence region) and posterior predictive region (as the prediction region); no studies.
pub fn sroc_series(b: &BayesBlock) -> Option<crate::plot::SrocSeries> {
    let r = b.sroc()?;
    let name = match b {
        BayesBlock::Bivariate(_) => "Bayesian bivariate (posterior)",
        BayesBlock::LatentClass(_) => "Bayesian latent class (posterior)",
    };
    let name =
        if b.posterior().verdict.converged() { name.to_string() } else { format!("{name}, not converged") };
    Some(crate::plot::SrocSeries {
        name,
        summary: Some(r.summary),
        confidence_region: r.credible.clone(),
        prediction_region: r.predictive.clone(),
        ..Default::default()
    })
}

/// Per-study shrunken estimates (posterior medians and 95 % CrI of each study's Se and Sp).
pub fn study_table(p: &Posterior, labels: &[String]) -> Table {
    let headers = ["Study", "Sensitivity", "95% CrI", "Specificity", "95% CrI"].map(String::from).to_vec();
    let mut rows = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        let (Some(se), Some(sp)) = (p.get(&format!("se[{}]", i + 1)), p.get(&format!("sp[{}]", i + 1)))
        else {
            continue;
        };
        rows.push(Row::new(vec![
            Cell::text(l.clone()),
            Cell::num(fmt(se.median, 3), se.median),
            Cell::text(format!("{} – {}", fmt(se.ci[0], 3), fmt(se.ci[1], 3))),
            Cell::num(fmt(sp.median, 3), sp.median),
            Cell::text(format!("{} – {}", fmt(sp.ci[0], 3), fmt(sp.ci[1], 3))),
        ]));
    }
    Table { headers, keys: vec!["study", "se", "se_cri", "sp", "sp_cri"], rows }
}

fn sd_prior(p: SdPrior) -> String {
    match p {
        SdPrior::HalfNormal { scale } => format!("half-normal(0, {scale})"),
        SdPrior::HalfCauchy { scale } => format!("half-Cauchy(0, {scale})"),
    }
}

/// The priors in words, with the probability-scale interval the logit priors imply.
pub fn prior_lines(pr: &Priors, reference: Option<&ReferencePriors>) -> Vec<Line> {
    let ival = |(m, s): (f64, f64)| format!("{:.2}–{:.2}", expit(m - 1.959964 * s), expit(m + 1.959964 * s));
    let mut out = vec![
        Line::text(
            Tone::Normal,
            format!(
                "Priors: logit sensitivity ~ N({}, {}²) (95% prior interval {}); logit specificity ~ N({}, {}²) ({}); SD of logit Se ~ {}, of logit Sp ~ {}; correlation ~ LKJ({}).",
                pr.mu_se.0, pr.mu_se.1, ival(pr.mu_se), pr.mu_sp.0, pr.mu_sp.1, ival(pr.mu_sp),
                sd_prior(pr.tau_se), sd_prior(pr.tau_sp), pr.lkj_eta
            ),
        ),
    ];
    if *pr == Priors::default() {
        out.push(Line::text(Tone::Note, "These are MetaBayesDTA's default priors."));
    }
    if let Some(r) = reference {
        out.push(Line::text(
            Tone::Normal,
            format!(
                "Reference standard: logit sensitivity ~ N({}, {}²) ({}), logit specificity ~ N({}, {}²) ({}); prevalences ~ Beta({}, {}).",
                r.se_ref.0, r.se_ref.1, ival(r.se_ref), r.sp_ref.0, r.sp_ref.1, ival(r.sp_ref), r.prevalence.0, r.prevalence.1
            ),
        ));
    }
    out
}

/// What the priors alone imply for sensitivity and specificity.
pub fn prior_predictive_line(pp: &PriorPredictive) -> Line {
    let [a, m, b] = pp.se_quantiles;
    let [c, n, d] = pp.sp_quantiles;
    Line::text(
        Tone::Note,
        format!(
            "Before seeing the data these priors put the pooled sensitivity at {m:.2} (95% {a:.2}–{b:.2}) and the pooled specificity at {n:.2} (95% {c:.2}–{d:.2})."
        ),
    )
}

/// The latent-class model's identifiability warning.
pub fn identifiability_lines(b: &BayesBlock) -> Vec<Line> {
    match b {
        BayesBlock::LatentClass(l) if l.vague_reference => vec![Line::text(
            Tone::Warn,
            format!(
                "The priors on the reference standard are vague (a 95% prior interval wider than {VAGUE_WIDTH}): with one 2×2 table per study the model cannot tell the index test's errors from the reference's, so the results mostly restate the priors. Give priors from what is known about the reference standard."
            ),
        )],
        BayesBlock::LatentClass(_) => vec![Line::text(
            Tone::Note,
            "The index test's accuracy is corrected for the reference standard's errors (conditional independence of the two tests given the true status); it rests on the priors given for the reference standard.",
        )],
        BayesBlock::Bivariate(_) => Vec::new(),
    }
}

/// The whole Bayesian section as text (the CLI), with the prior-sensitivity comparison if any.
/// `counts` are the studies' (diseased, non-diseased), for the natural frequencies.
pub fn bayes_text(
    b: &BayesBlock,
    labels: &[String],
    counts: &[(u64, u64)],
    alternatives: Option<&[crate::analysis::bayes::Alternative]>,
) -> String {
    let p = b.posterior();
    let mut out = format!("\n{}:\n", title(b));
    let line = |l: &Line| {
        let mark = match l.tone {
            Tone::Warn => "! ",
            Tone::Bad => "!! ",
            _ => "",
        };
        format!("  {mark}{}\n", l.plain())
    };
    for l in verdict_lines(p) {
        out.push_str(&line(&l));
    }
    for l in identifiability_lines(b) {
        out.push_str(&line(&l));
    }
    let (pr, reference) = match b {
        BayesBlock::Bivariate(x) => (&x.priors, None),
        BayesBlock::LatentClass(x) => (&x.priors, Some(&x.reference)),
    };
    for l in prior_lines(pr, reference) {
        out.push_str(&line(&l));
    }
    let pp = crate::stats::bayes::prior_predictive(pr, PRIOR_DRAWS, PRIOR_SEED);
    out.push_str(&prior_predictive_table(&pp, reference).to_text());
    out.push('\n');
    out.push_str(&posterior_table(p).to_text());
    if !p.verdict.converged() {
        out.push_str("  (not converged: the numbers above are not estimates)\n");
    }
    if let Some(t) = bayes_sof_table(b, counts) {
        out.push_str(&format!("\nSummary of findings from the posterior:\n{}", line(&bayes_sof_note(b))));
        out.push_str(&t.to_text());
    }
    if let Some(alt) = alternatives.filter(|a| !a.is_empty()) {
        out.push_str("\nPrior sensitivity (posterior median and 95% CrI under each prior):\n");
        out.push_str(&sensitivity_table(p, alt).to_text());
        out.push_str(&line(&sensitivity_line(p, alt)));
    }
    out.push_str("\nShrunken study estimates (posterior medians):\n");
    out.push_str(&study_table(p, labels).to_text());
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The prior-sensitivity comparison: the chosen prior's posterior beside the alternatives'.
pub fn sensitivity_table(chosen: &Posterior, alternatives: &[crate::analysis::bayes::Alternative]) -> Table {
    let mut headers = vec!["Quantity".to_string(), "Chosen prior".to_string()];
    headers.extend(alternatives.iter().map(|a| format!("{} prior", a.name)));
    let cell = |p: &Posterior, key: &str, d: usize| -> Cell {
        match p.get(key) {
            Some(q) if p.verdict.converged() => Cell::num(
                format!("{} ({} – {})", fmt(q.median, d), fmt(q.ci[0], d), fmt(q.ci[1], d)),
                q.median,
            ),
            Some(q) => Cell::num(format!("{} (not converged)", fmt(q.median, d)), q.median),
            None => Cell::text("–"),
        }
    };
    let rows = ROWS
        .iter()
        .filter(|(k, ..)| ["se", "sp", "lr_pos", "lr_neg", "dor", "tau_se", "tau_sp", "rho"].contains(k))
        .map(|&(key, label, d)| {
            let mut cells = vec![Cell::text(label), cell(chosen, key, d)];
            cells.extend(alternatives.iter().map(|a| cell(&a.fit.posterior, key, d)));
            Row::new(cells)
        })
        .collect();
    Table { headers, keys: vec![], rows }
}

/// The comparison's reading in words: how far the pooled estimates move between the priors. When
/// a fit did not converge its medians are not estimates, so the line says which and draws no
/// conclusion (before: "the data dominate the priors" whatever the fits' state).
pub fn sensitivity_line(chosen: &Posterior, alternatives: &[crate::analysis::bayes::Alternative]) -> Line {
    let mut unconverged: Vec<String> = Vec::new();
    if !chosen.verdict.converged() {
        unconverged.push("the chosen prior's".into());
    }
    unconverged.extend(
        alternatives
            .iter()
            .filter(|a| !a.fit.posterior.verdict.converged())
            .map(|a| format!("the {} prior's", a.name)),
    );
    if !unconverged.is_empty() {
        let n = unconverged.len();
        return Line::text(
            Tone::Bad,
            format!(
                "Not every fit of the comparison converged ({} {}), so it cannot say yet whether the \
                 priors matter: run longer chains.",
                unconverged.join(", "),
                if n == 1 { "fit" } else { "fits" }
            ),
        );
    }
    let mut shift: f64 = 0.0;
    for key in ["se", "sp"] {
        if let Some(c) = chosen.get(key) {
            for a in alternatives {
                if let Some(q) = a.fit.posterior.get(key) {
                    shift = shift.max((q.median - c.median).abs());
                }
            }
        }
    }
    let tone = if shift > 0.02 { Tone::Warn } else { Tone::Note };
    let words = if shift > 0.02 {
        "the priors matter: report the comparison"
    } else {
        "the data dominate the priors"
    };
    Line::new(tone)
        .t("Across the priors the pooled sensitivity and specificity move by at most ")
        .n(format!("{shift:.3}"), shift)
        .t(format!(": {words}."))
}

/// The MCMC plots' input for quantity `key` (trace, 20-bin rank histograms, densities), from the
/// summaries the run stored ([`crate::stats::bayes::outputs::McmcSummary`]).
pub fn mcmc_plot_data(p: &Posterior, key: &str) -> Option<crate::plot::McmcData> {
    let q = p.get(key)?;
    let m = p.mcmc.iter().find(|m| m.name == key)?;
    let label = ROWS.iter().find(|r| r.0 == key).map_or(key, |r| r.1);
    let thin = if m.thin > 1 { format!(" (trace: every {}th draw)", m.thin) } else { String::new() };
    Some(crate::plot::McmcData {
        title: format!(
            "{label}: R-hat {:.3}, bulk ESS {:.0}, tail ESS {:.0}{thin}",
            q.diagnostics.rhat, q.diagnostics.ess_bulk, q.diagnostics.ess_tail
        ),
        traces: m.traces.clone(),
        rank_bins: m.rank_bins.clone(),
        densities: m.densities.clone(),
    })
}

/// The hyper-parameters the MCMC plots are drawn for.
pub use crate::stats::bayes::outputs::PLOTTED;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Study;
    use crate::plot::{draw_mcmc, to_svg, PlotStyle};
    use crate::stats::bayes::{fit_bivariate, RunConfig};

    #[test]
    fn mcmc_plots_and_words() {
        let studies: Vec<Study> =
            [(25, 1, 8, 25), (17, 3, 4, 11), (88, 16, 16, 31), (16, 3, 10, 80), (40, 1, 17, 137)]
                .iter()
                .enumerate()
                .map(|(i, &(tp, fp, fn_, tn))| Study::new(format!("s{i}"), tp, fp, fn_, tn))
                .collect();
        let cfg = RunConfig { warmup: 200, draws: 200, ..RunConfig::default() };
        let fit = fit_bivariate(&studies, &Priors::default(), &cfg);
        let d = mcmc_plot_data(&fit.posterior, "tau_se").expect("data");
        assert_eq!((d.traces.len(), d.rank_bins.len(), d.densities.len()), (4, 4, 4));
        assert!(d.rank_bins.iter().all(|b| b.iter().sum::<usize>() == 200));
        let svg = to_svg(1200, 320, |a| draw_mcmc(a, &d, &PlotStyle::default())).expect("svg");
        // 4 traces + 4 rank step lines + 4 densities (+ the dashed uniform line).
        assert!(svg.matches("<polyline").count() >= 12, "{}", svg.matches("<polyline").count());
        assert!(svg.contains("Rank histograms") && svg.contains("R-hat"));
        // 800 draws cannot reach ESS 400 for every quantity's tail with this little warm-up, or they
        // can: either way the first line states the verdict in words.
        let first = verdict_lines(&fit.posterior)[0].plain();
        assert!(
            first.starts_with("The sampler converged")
                || first.starts_with("The sampler did not converge: do not use these numbers")
        );
    }

    #[test]
    fn not_converged_reads_as_such() {
        use crate::stats::bayes::{Problem, Verdict};
        let studies = vec![Study::new("a", 10, 2, 3, 40), Study::new("b", 20, 5, 1, 30)];
        let cfg = RunConfig { warmup: 10, draws: 20, ..RunConfig::default() };
        let mut fit = fit_bivariate(&studies, &Priors::default(), &cfg);
        assert!(!fit.posterior.verdict.converged(), "20 draws cannot give ESS 400");
        fit.posterior.verdict = Verdict::NotConverged { problems: vec![Problem::Divergences { count: 3 }] };
        let lines = verdict_lines(&fit.posterior);
        assert_eq!(lines[0].plain(), "The sampler did not converge: do not use these numbers.");
        assert!(lines[1].plain().starts_with("3 divergent transition(s)"));
        let text = bayes_text(
            &crate::analysis::bayes::BayesBlock::Bivariate(fit),
            &["a".into(), "b".into()],
            &[(13, 42), (21, 35)],
            None,
        );
        assert!(text.contains("(not converged: the numbers above are not estimates)"));
    }

    /// The page may receive the result through JSON (a worker): everything the page's renderer
    /// reads survives the round trip — tables, card, summary of findings, MCMC plots, SROC series —
    /// and a NaN diagnostic stays NaN (serde_json writes it as null).
    #[test]
    fn block_round_trips_through_json() {
        let studies = crate::stats::glmm::tests::audit_c();
        let s = crate::settings::BayesSettings {
            model: Some(crate::settings::BayesModel::LatentClass),
            warmup: 150,
            draws: 150,
            ..Default::default()
        };
        let mut run = crate::analysis::bayes::BayesRun::new(&studies, &s)
            .expect("run")
            .with_prevalences(vec![0.1, 0.3]);
        run.advance(usize::MAX);
        let mut block = run.finish();
        if let crate::analysis::bayes::BayesBlock::LatentClass(l) = &mut block {
            l.posterior.quantities[0].diagnostics.rhat = f64::NAN;
        }
        let json = crate::stats::while_transferring(|| serde_json::to_string(&block)).expect("serialise");
        let back: crate::analysis::bayes::BayesBlock = serde_json::from_str(&json).expect("deserialise");
        let (p, q) = (block.posterior(), back.posterior());
        assert!(q.quantities[0].diagnostics.rhat.is_nan());
        assert_eq!(posterior_table(p), posterior_table(q));
        assert_eq!(sampler_card(p), sampler_card(q));
        assert_eq!(verdict_lines(p), verdict_lines(q));
        let counts: Vec<(u64, u64)> = studies.iter().map(|s| (s.tp + s.fn_, s.fp + s.tn)).collect();
        let sof = bayes_sof_table(&block, &counts).expect("frequencies at two prevalences");
        assert_eq!(sof.rows[0].cells.len(), 4);
        assert_eq!(Some(sof), bayes_sof_table(&back, &counts));
        for key in PLOTTED {
            let d = mcmc_plot_data(p, key).expect(key);
            assert_eq!(d.traces.len(), 4);
            assert_eq!(Some(d), mcmc_plot_data(q, key));
        }
        let series = sroc_series(&block).expect("regions");
        assert!(series.confidence_region.len() > 100 && series.prediction_region.len() > 100);
        assert_eq!(Some(series), sroc_series(&back));
        // People's JSON has neither the draws nor the plots' inputs.
        let people: crate::analysis::bayes::BayesBlock =
            serde_json::from_str(&serde_json::to_string(&block).expect("json")).expect("read");
        let pp = people.posterior();
        assert!(pp.mcmc.is_empty() && pp.quantities.iter().all(|x| x.chains.is_empty()));
    }
}
