//! The report: one self-contained HTML page (no external requests; figures as inline SVG) with a
//! methods paragraph that can go into a manuscript unchanged, a results paragraph, the summary
//! table (Table 2 layout), the GRADE summary of findings, the figures, the decision curve, the
//! compatibility view, the per-study table, and the permalink and version.
//!
//! Built from [`Section`]s: [`ReportPage::standard`] makes the standard ones, and a later feature
//! adds its own with one call, `page.push(Section::new(id, title, html))` (or
//! [`ReportPage::insert_before`] to place it). Every user-supplied text is escaped.

use super::compat::{compat_table, difference_paragraphs, short_model};
use super::plots::{plot_svg, PlotKind};
use super::results::{studies_table, summary_table};
use super::sof::{decision_data, decision_table, escape, icon_data, sof_method_note, sof_tables, table_html};
use crate::analysis::Analysis;
use crate::data::correction::CorrectionRule;
use crate::findings::{compat_view, decision, icon_frequencies, summary_of_findings, Findings};
use crate::plot::{draw_decision, draw_icons, icon_size, to_svg, PlotStyle};
use crate::settings::{level_percent, AucCi, CiMethod, Method, RegionKind};
use crate::stats::bivariate::Rung;

/// The software's name and version as the methods text cites it.
pub fn software() -> String {
    format!("Fourfold {}", env!("CARGO_PKG_VERSION"))
}

/// One section of the report: an anchor id, a heading and its HTML body (already escaped).
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub html: String,
}

impl Section {
    pub fn new(id: impl Into<String>, title: impl Into<String>, html: impl Into<String>) -> Section {
        Section { id: id.into(), title: title.into(), html: html.into() }
    }
}

/// The report page: a title and its sections, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportPage {
    pub title: String,
    pub sections: Vec<Section>,
}

fn p(s: &str) -> String {
    format!("<p>{}</p>", escape(s))
}

/// The methods paragraph (plain text, pasteable into a manuscript).
pub fn methods_text(a: &Analysis) -> String {
    let s = &a.settings;
    let pct = level_percent(s.ci_level);
    let fit = a.overall.fit.as_ref();
    let mut t = String::new();
    let model = match s.model {
        Method::Aghq => format!(
            "Sensitivity and specificity were pooled with the bivariate random-effects binomial model (Chu & Cole 2006; Reitsma et al. 2005), fitted by maximum likelihood; the marginal likelihood was computed exactly by adaptive Gauss–Hermite quadrature with {} points per dimension (Pinheiro & Bates 1995)",
            s.nodes
        ),
        Method::Laplace => "Sensitivity and specificity were pooled with the bivariate random-effects binomial model (Chu & Cole 2006; Reitsma et al. 2005), fitted by maximum likelihood with the Laplace approximation to the marginal likelihood".to_string(),
        Method::Reitsma => format!(
            "Sensitivity and specificity were pooled with the bivariate normal random-effects model of Reitsma et al. (2005) on the logit scale, fitted by restricted maximum likelihood, after adding {} to every cell of every study when any cell was zero",
            s.correction.increment
        ),
    };
    t.push_str(&format!("{model}, using {}. ", software()));
    if s.model != Method::Reitsma {
        t.push_str("No continuity correction was applied in the pooled model. ");
    }
    let cc = match s.correction.rule {
        CorrectionRule::Single => {
            format!("{} was added to every cell of studies with a zero cell", s.correction.increment)
        }
        CorrectionRule::All => format!(
            "{} was added to every cell of every study when any study had a zero cell",
            s.correction.increment
        ),
        CorrectionRule::None => "no continuity correction was applied".to_string(),
    };
    t.push_str(&format!(
        "For the per-study likelihood ratios and diagnostic odds ratios, the Spearman correlation, Deeks' test and the LFK index, {cc}. "
    ));
    let study_ci = match s.ci_method {
        CiMethod::ClopperPearson => "exact Clopper–Pearson",
        CiMethod::Wilson => "Wilson score",
    };
    t.push_str(&format!(
        "Per-study {pct}% confidence intervals of sensitivity and specificity are {study_ci} intervals. The {pct}% confidence intervals of the pooled sensitivity and specificity are Wald intervals on the logit scale; those of the positive and negative likelihood ratios (LR+, LR−) and the diagnostic odds ratio (DOR) use the delta method on the log scale with the covariance of the two pooled logits. "
    ));
    let radius = match s.region {
        RegionKind::F => "√(2·F(2, k − 2))",
        RegionKind::ChiSquare => "√χ²(2)",
    };
    t.push_str(&format!(
        "The confidence and prediction regions in ROC space use the radius {radius}; the summary ROC curve is the Rutter–Gatsonis (HSROC) curve implied by the bivariate fit (Harbord et al. 2007). "
    ));
    let auc = match s.auc_ci {
        AucCi::Bootstrap => "a parametric bootstrap of the fitted model (2000 draws, fixed seed)",
        AucCi::Delta => "the delta method on the logit of the AUC",
        AucCi::None => "no interval",
    };
    t.push_str(&format!("The area under the curve (AUC) was integrated exactly, with {auc}. "));
    t.push_str("Heterogeneity is described by the between-study variances τ² of the logits, their correlation ρ and the Zhou–Dendukuri I² (Zhou & Dendukuri 2014); prediction intervals for a new study use t(k − 2). Small-study effects were assessed with Deeks' funnel-plot asymmetry test (Deeks et al. 2005; p < 0.10) and the LFK index (Furuya-Kanamori et al. 2018). ");
    if let Some(sg) = &a.subgroups {
        let what = match &sg.grouping {
            crate::analysis::Grouping::By(c) => format!("'{c}'"),
            crate::analysis::Grouping::Split(c, x) => format!("'{c}' split at {x}"),
            crate::analysis::Grouping::Cross(x, y) => format!("'{x}' × '{y}'"),
        };
        t.push_str(&format!(
            "Subgroups by {what} were fitted separately, and differences were tested by likelihood-ratio tests of a bivariate meta-regression (maximum likelihood). "
        ));
    }
    if let Some(f) = fit {
        let m = &f.model;
        if let Some(b) = m.boundary {
            t.push_str(&format!(
                "The fit reached the boundary of the parameter space ({}); it was refitted with that constraint and the simplified model of the fallback ladder is reported beside it. ",
                super::results::boundary_words(b)
            ));
        }
        if m.rung != Rung::B2 {
            t.push_str(&format!(
                "The full bivariate model could not be used; the estimates come from the simplified model {} ({}){}. ",
                m.rung,
                super::results::rung_words(m.rung),
                m.fallback.as_ref().map_or(String::new(), |w| format!(": {w}"))
            ));
        }
    }
    t.push_str("The summary of findings gives natural frequencies per 1,000 people tested (GRADE; Schünemann et al. 2008); intervals of the test positives and predictive values come from the joint distribution of the two pooled logits (delta method).");
    if !a.excluded.is_empty() {
        t.push_str(&format!(" Studies left out by the analysts: {}.", a.excluded.join("; ")));
    }
    t
}

/// The results paragraph with the numbers.
pub fn results_text(a: &Analysis) -> String {
    let b = &a.overall;
    let pct = level_percent(a.settings.ci_level);
    let (n1, n0): (u64, u64) = b.studies.iter().fold((0, 0), |(x, y), s| (x + s.tp + s.fn_, y + s.fp + s.tn));
    let Some(f) = &b.fit else {
        return format!(
            "{} studies ({} participants with and {} without the target condition) were included; no pooled estimate could be computed ({}).",
            b.k,
            n1,
            n0,
            b.fit_error.as_ref().map_or("the model could not be fitted".into(), |e| e.to_string())
        );
    };
    let s = &f.summary;
    let e2 = |e: &crate::stats::estimate::Estimate| {
        format!("{:.2} ({pct}% CI {:.2} to {:.2})", e.estimate, e.ci[0], e.ci[1])
    };
    let er = |e: &crate::stats::estimate::Estimate| {
        let d = super::ratio_decimals(e.estimate);
        format!("{:.d$} ({pct}% CI {:.d$} to {:.d$})", e.estimate, e.ci[0], e.ci[1])
    };
    let mut t = format!(
        "{} studies with {} participants ({} with and {} without the target condition) were included. The pooled sensitivity was {} and the pooled specificity {}; LR+ {}, LR− {}, DOR {}",
        b.k,
        n1 + n0,
        n1,
        n0,
        e2(&s.sensitivity),
        e2(&s.specificity),
        er(&s.lr_positive),
        e2(&s.lr_negative),
        er(&s.dor)
    );
    if let Some(auc) = &f.auc {
        t.push_str(&match auc.ci {
            Some([l, u]) => format!("; AUC {:.2} ({pct}% CI {l:.2} to {u:.2})", auc.estimate),
            None => format!("; AUC {:.2}", auc.estimate),
        });
    }
    let m = &f.model;
    t.push_str(&format!(
        ". Between-study variances were τ² = {:.3} (logit sensitivity) and {:.3} (logit specificity)",
        m.tau2_logit_sens, m.tau2_logit_spec
    ));
    if let Some(r) = m.rho {
        t.push_str(&format!(", correlation ρ = {}", super::results::signed(r, 2)));
    }
    if let (Some(ps), Some(pp)) = (f.prediction_interval_sens, f.prediction_interval_spec) {
        t.push_str(&format!(
            "; the {pct}% prediction interval for a new study's sensitivity was {:.2} to {:.2} and for its specificity {:.2} to {:.2}",
            ps[0], ps[1], pp[0], pp[1]
        ));
    }
    t.push('.');
    if let Some(d) = &b.deeks {
        t.push_str(&format!(" Deeks' test: p = {:.3}.", d.slope_p));
    }
    if !m.converged {
        t.push_str(" Warning: the model did not converge; these numbers are not usable as they are.");
    }
    t
}

fn svg_figure(svg: Result<String, crate::plot::PlotError>, caption: &str) -> String {
    match svg {
        Ok(s) => format!("<figure>{s}<figcaption>{}</figcaption></figure>", escape(caption)),
        Err(e) => p(&format!("{caption}: not drawn ({e}).")),
    }
}

/// The summary of findings section's body (tables, note, icon array).
pub fn sof_section_html(a: &Analysis, f: &Findings) -> String {
    let mut h = String::new();
    for (cap, t) in sof_tables(f) {
        h.push_str(&table_html(&t, &cap));
    }
    h.push_str(&p(&sof_method_note(f.level)));
    if let Some(fr) = icon_frequencies(a) {
        let people = a.settings.findings.icon_people.unwrap_or(100);
        let d = icon_data(&fr, people);
        let (w, hh) = icon_size(people);
        h.push_str(&svg_figure(
            to_svg(w, hh, |ar| draw_icons(ar, &d, &PlotStyle::default())),
            "Natural frequencies at the chosen prevalence (icon array)",
        ));
    }
    h
}

impl ReportPage {
    /// The standard sections of an analysis. `permalink`: the page's link that reproduces it.
    pub fn standard(a: &Analysis, permalink: Option<&str>) -> ReportPage {
        let mut page =
            ReportPage { title: "Diagnostic test accuracy meta-analysis".into(), sections: Vec::new() };
        let methods = methods_text(a);
        page.push(Section::new(
            "methods",
            "Methods",
            format!(
                "<p id=\"methods-text\">{}</p><p class=\"noprint\"><button type=\"button\" id=\"copy-methods\">Copy methods text</button></p>",
                escape(&methods)
            ),
        ));
        page.push(Section::new(
            "results",
            "Results",
            format!("<p id=\"results-text\">{}</p>", escape(&results_text(a))),
        ));
        let st = summary_table(a);
        page.push(Section::new("summary", "Summary estimates", table_html(&st, "")));
        let f = summary_of_findings(a);
        page.push(Section::new("sof", "Summary of findings", sof_section_html(a, &f)));
        let mut figs = String::new();
        for k in [PlotKind::Forest, PlotKind::Sroc, PlotKind::Fagan, PlotKind::Deeks] {
            figs.push_str(&svg_figure(plot_svg(k, a), k.caption()));
        }
        page.push(Section::new("figures", "Figures", figs));
        if let Some(d) = decision(a) {
            let data = decision_data(&d);
            let mut h = svg_figure(
                to_svg(900, 520, |ar| draw_decision(ar, &data, &PlotStyle::default())),
                "Decision curve: net benefit of test-guided treatment, treating all and treating none",
            );
            h.push_str(&table_html(&decision_table(&d), ""));
            page.push(Section::new("decision", "Decision curve", h));
        }
        let v = compat_view(a);
        let model = short_model(a.settings.model, a.settings.nodes);
        let mut h = table_html(&compat_table(&v, &model), "");
        h.push_str("<ul>");
        for (tool, why) in difference_paragraphs(&v) {
            h.push_str(&format!("<li><strong>{}</strong>: {}</li>", escape(&tool), escape(&why)));
        }
        h.push_str("</ul>");
        page.push(Section::new("compat", "Compatibility with other software", h));
        page.push(Section::new(
            "studies",
            "Studies",
            table_html(&studies_table(&a.overall, a.settings.ci_level), ""),
        ));
        let mut repro = p(&format!("Computed with {}.", software()));
        if let Some(link) = permalink {
            repro.push_str(&format!(
                "<p>Permalink (data and settings): <a id=\"permalink\" href=\"{0}\">{0}</a></p>",
                escape(link)
            ));
        }
        page.push(Section::new("reproduce", "Reproducibility", repro));
        page
    }

    /// Append a section.
    pub fn push(&mut self, s: Section) {
        self.sections.push(s);
    }

    /// Insert a section before the one with id `before` (at the end when there is none).
    pub fn insert_before(&mut self, before: &str, s: Section) {
        let i = self.sections.iter().position(|x| x.id == before).unwrap_or(self.sections.len());
        self.sections.insert(i, s);
    }

    /// The page as one self-contained HTML document.
    pub fn to_html(&self) -> String {
        let mut h = String::from("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.push_str(&format!("<title>{}</title>", escape(&self.title)));
        h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">");
        h.push_str(STYLE);
        h.push_str("</head><body>");
        h.push_str(&format!("<h1>{}</h1><nav class=\"noprint\"><ul>", escape(&self.title)));
        for s in &self.sections {
            h.push_str(&format!("<li><a href=\"#{}\">{}</a></li>", escape(&s.id), escape(&s.title)));
        }
        h.push_str("</ul></nav>");
        for s in &self.sections {
            h.push_str(&format!(
                "<section id=\"{}\"><h2>{}</h2>{}</section>",
                escape(&s.id),
                escape(&s.title),
                s.html
            ));
        }
        h.push_str(SCRIPT);
        h.push_str("</body></html>\n");
        h
    }
}

/// The report of `a` as HTML (the standard sections).
pub fn report_html(a: &Analysis, permalink: Option<&str>) -> String {
    ReportPage::standard(a, permalink).to_html()
}

const STYLE: &str = "<style>
body{font-family:Georgia,'Times New Roman',serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.45}
h1,h2{font-family:Arial,Helvetica,sans-serif}h2{border-bottom:1px solid #999;margin-top:2rem}
table{margin:0.5rem 0 1rem}figure{margin:1rem 0}figure svg{max-width:100%;height:auto}
figcaption{font-family:Arial,Helvetica,sans-serif;font-size:0.9rem}nav ul{columns:2;font-family:Arial,sans-serif}
button{font:inherit;padding:0.3rem 0.8rem}
@media print{.noprint{display:none}body{margin:0;max-width:none;font-size:10pt}section{break-inside:auto}
figure,table{break-inside:avoid}h2{break-after:avoid}a{color:inherit;word-break:break-all}}
</style>";

const SCRIPT: &str = "<script>
document.getElementById('copy-methods')?.addEventListener('click', function () {
  var t = document.getElementById('methods-text').innerText;
  var b = this;
  function done() { b.textContent = 'Copied'; setTimeout(function () { b.textContent = 'Copy methods text'; }, 1500); }
  if (navigator.clipboard) { navigator.clipboard.writeText(t).then(done, function () {}); }
  else { var r = document.createRange(); r.selectNode(document.getElementById('methods-text'));
    var s = getSelection(); s.removeAllRanges(); s.addRange(r); document.execCommand('copy'); done(); }
});
</script>";
