//! Every word of the GRADE summary of findings (METHODS §17), the icon array's inputs and the
//! decision table: [`sof_table`] (one table per block: overall, then subgroups), its CSV, an
//! HTML table with inline styles that keeps its layout when pasted into Word, and the figures'
//! data. Computes nothing statistical (counts are rounded for display only).

use super::doc::{Cell, Row, Table};
use crate::findings::{Decision, Findings, FindingsBlock, PrevalenceSource};
use crate::plot::{DecisionData, IconData};
use crate::settings::level_percent;
use crate::stats::estimate::Estimate;
use crate::stats::sof::Frequencies;

/// The outcome rows of the table, in order (certainty ratings and footnotes are indexed by them).
pub const OUTCOMES: [&str; 7] = [
    "True positives (patients with the target condition)",
    "False negatives (patients incorrectly classified as not having the target condition)",
    "True negatives (patients without the target condition)",
    "False positives (patients incorrectly classified as having the target condition)",
    "Test positives",
    "Positive predictive value",
    "Negative predictive value",
];

/// Short names of the outcome rows (CSV keys, `data-outcome` on the page).
pub const OUTCOME_KEYS: [&str; 7] = ["tp", "fn", "tn", "fp", "test_positives", "ppv", "npv"];

fn count(e: &Estimate) -> String {
    format!("{:.0} ({:.0} to {:.0})", e.estimate, e.ci[0], e.ci[1])
}

fn pct(e: &Estimate) -> String {
    format!("{:.1}% ({:.1} to {:.1})", 100.0 * e.estimate, 100.0 * e.ci[0], 100.0 * e.ci[1])
}

fn cell_of(f: &Frequencies, row: usize) -> Cell {
    let e = [
        f.true_positives,
        f.false_negatives,
        f.true_negatives,
        f.false_positives,
        f.test_positives,
        f.ppv,
        f.npv,
    ][row];
    Cell::num(if row >= 5 { pct(&e) } else { count(&e) }, e.estimate)
}

/// "Prevalence 5.4%" header of a column.
pub fn prevalence_header(p: f64) -> String {
    let d = if (100.0 * p - (100.0 * p).round()).abs() < 1e-9 { 0 } else { 1 };
    format!("Prevalence {:.d$}%", 100.0 * p)
}

/// The summary-of-findings table of one block: outcome, studies (participants), one column per
/// prevalence (per 1,000 tested; predictive values in %), certainty, footnotes.
pub fn sof_table(b: &FindingsBlock, f: &Findings) -> Table {
    let mut headers = vec!["Outcome".to_string(), "Studies (participants)".to_string()];
    headers
        .extend(b.columns.iter().map(|c| format!("{} — per 1,000 tested", prevalence_header(c.prevalence))));
    headers.push("Certainty of the evidence (GRADE)".into());
    headers.push("Footnotes".into());
    let mut keys = vec!["outcome", "studies"];
    keys.extend(b.columns.iter().map(|_| "prevalence"));
    keys.extend(["certainty", "footnote"]);
    let participants = |row: usize| match row {
        0 | 1 => b.diseased,
        2 | 3 => b.non_diseased,
        _ => b.diseased + b.non_diseased,
    };
    let rows = (0..OUTCOMES.len())
        .map(|row| {
            let n = participants(row);
            let mut cells = vec![Cell::text(OUTCOMES[row]), Cell::num(format!("{} ({n})", b.k), b.k as f64)];
            cells.extend(b.columns.iter().map(|c| cell_of(c, row)));
            cells.push(Cell::text(f.certainty.get(row).cloned().unwrap_or_default()));
            cells.push(Cell::text(f.footnotes.get(row).cloned().unwrap_or_default()));
            Row::new(cells)
        })
        .collect();
    Table { headers, keys, rows }
}

/// The line above a block's table: the estimates the numbers come from, and the prevalences' source.
pub fn sof_caption(b: &FindingsBlock, level: f64) -> String {
    let ci = format!("{}% CI", level_percent(level));
    let est = |e: &Option<Estimate>| {
        e.map_or("–".into(), |e| format!("{:.2} ({ci} {:.2} to {:.2})", e.estimate, e.ci[0], e.ci[1]))
    };
    let src = match b.prevalence_source {
        PrevalenceSource::Studies => "the lowest, median and highest prevalence among the studies",
        PrevalenceSource::User => "chosen by the user",
    };
    let mut s = format!(
        "{}: pooled sensitivity {}, specificity {}; {} studies, {} participants with and {} without the target condition. Prevalences: {src}.",
        b.label,
        est(&b.sensitivity),
        est(&b.specificity),
        b.k,
        b.diseased,
        b.non_diseased
    );
    if let Some(e) = &b.error {
        s.push_str(&format!(" No summary of findings: {e}."));
    }
    s
}

/// The note under every table: how the intervals were obtained.
pub fn sof_method_note(level: f64) -> String {
    format!(
        "Numbers per 1,000 people tested. The {pct}% intervals of true/false positives and negatives map the intervals of the pooled sensitivity or specificity; those of test positives and the predictive values come from the joint distribution of the two pooled logits (delta method with their covariance).",
        pct = level_percent(level)
    )
}

/// Every table of the summary of findings, `(caption, table)`: overall, then one per subgroup.
pub fn sof_tables(f: &Findings) -> Vec<(String, Table)> {
    f.blocks.iter().map(|b| (sof_caption(b, f.level), sof_table(b, f))).collect()
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The summary of findings as CSV with full-precision numbers: one line per block × prevalence ×
/// outcome.
pub fn sof_csv(f: &Findings) -> String {
    let mut out = String::from(
        "group,k,diseased,non_diseased,prevalence,outcome,estimate,lower,upper,certainty,footnote\n",
    );
    for b in &f.blocks {
        for c in &b.columns {
            let e = [
                c.true_positives,
                c.false_negatives,
                c.true_negatives,
                c.false_positives,
                c.test_positives,
                c.ppv,
                c.npv,
            ];
            for (i, key) in OUTCOME_KEYS.iter().enumerate() {
                let cells = [
                    csv_cell(&b.label),
                    b.k.to_string(),
                    b.diseased.to_string(),
                    b.non_diseased.to_string(),
                    format!("{}", c.prevalence),
                    key.to_string(),
                    format!("{}", e[i].estimate),
                    format!("{}", e[i].ci[0]),
                    format!("{}", e[i].ci[1]),
                    csv_cell(f.certainty.get(i).map_or("", String::as_str)),
                    csv_cell(f.footnotes.get(i).map_or("", String::as_str)),
                ];
                out.push_str(&cells.join(","));
                out.push('\n');
            }
        }
    }
    out
}

/// `s` with `& < > " '` escaped for HTML text and attributes.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// A [`Table`] as HTML with inline styles (borders, padding, font) so that a word processor keeps
/// its layout on paste; numbers carry `data-value`.
pub fn table_html(t: &Table, caption: &str) -> String {
    let border = "border:1px solid #444;padding:4px 6px;vertical-align:top;";
    let mut h = String::from(
        "<table style=\"border-collapse:collapse;font-family:Arial,Helvetica,sans-serif;font-size:10pt\">",
    );
    if !caption.is_empty() {
        h.push_str(&format!(
            "<caption style=\"caption-side:top;text-align:left;font-weight:bold;padding:4px 0\">{}</caption>",
            escape(caption)
        ));
    }
    h.push_str("<thead><tr>");
    for x in &t.headers {
        h.push_str(&format!(
            "<th scope=\"col\" style=\"{border}background:#eee;text-align:left\">{}</th>",
            escape(x)
        ));
    }
    h.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        h.push_str("<tr>");
        let n = r.cells.len();
        for (j, c) in r.cells.iter().enumerate() {
            let tag = if j == 0 { "th scope=\"row\"" } else { "td" };
            let close = if j == 0 { "th" } else { "td" };
            let span = if j + 1 == n && n < t.headers.len() {
                format!(" colspan=\"{}\"", t.headers.len() - j)
            } else {
                String::new()
            };
            let key = t.keys.get(j).map_or(String::new(), |k| format!(" data-stat=\"{k}\""));
            let val = c.value.map_or(String::new(), |v| format!(" data-value=\"{v}\""));
            let align = if j == 0 { "text-align:left;font-weight:normal" } else { "text-align:left" };
            h.push_str(&format!(
                "<{tag}{span}{key}{val} style=\"{border}{align}\">{}</{close}>",
                escape(&c.text)
            ));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    h
}

/// The whole summary of findings as one HTML fragment (every block's table with its caption and
/// the method note), ready to paste into Word.
pub fn sof_html(f: &Findings) -> String {
    let mut h = String::new();
    for (cap, t) in sof_tables(f) {
        h.push_str(&table_html(&t, &cap));
        h.push_str("<p style=\"font-family:Arial,Helvetica,sans-serif;font-size:9pt\"></p>");
    }
    h.push_str(&format!(
        "<p style=\"font-family:Arial,Helvetica,sans-serif;font-size:9pt\">{}</p>",
        escape(&sof_method_note(f.level))
    ));
    h
}

/// Whole people of each group (TP, FN, FP, TN) out of `people`: the frequencies rounded by the
/// largest-remainder rule so that they add up to `people` exactly.
pub fn whole_people(f: &Frequencies, people: u32) -> [u32; 4] {
    let k = people as f64 / crate::stats::sof::PER;
    let raw = [
        f.true_positives.estimate * k,
        f.false_negatives.estimate * k,
        f.false_positives.estimate * k,
        f.true_negatives.estimate * k,
    ];
    let mut out = raw.map(|x| if x.is_finite() { x.floor().max(0.0) as u32 } else { 0 });
    let mut left = people.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..4).collect();
    order.sort_by(|&a, &b| (raw[b] - raw[b].floor()).total_cmp(&(raw[a] - raw[a].floor())));
    for i in order {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// The icon array's data at the frequencies `f` for `people` (100 or 1000).
pub fn icon_data(f: &Frequencies, people: u32) -> IconData {
    let c = whole_people(f, people);
    IconData {
        title: format!("What happens to {people} people tested ({})", prevalence_header(f.prevalence).to_lowercase()),
        people,
        counts: c,
        labels: [
            "true positives: have the condition, test positive".into(),
            "false negatives: have the condition, test negative".into(),
            "false positives: do not have it, test positive".into(),
            "true negatives: do not have it, test negative".into(),
        ],
        note: vec![
            "Filled: test positive; hollow: test negative. Circles have the condition, squares do not.".into(),
            format!(
                "Of those testing positive {:.0}% have the condition; of those testing negative {:.0}% do not.",
                100.0 * f.ppv.estimate,
                100.0 * f.npv.estimate
            ),
        ],
    }
}

/// The decision curve's data.
pub fn decision_data(d: &Decision) -> DecisionData {
    DecisionData {
        title: format!("Decision curve ({})", prevalence_header(d.prevalence).to_lowercase()),
        test: d.points.iter().map(|p| (p.threshold, p.test.estimate, p.test.ci[0], p.test.ci[1])).collect(),
        treat_all: d.points.iter().map(|p| (p.threshold, p.treat_all)).collect(),
        band_label: format!("{}% CI", level_percent(d.level)),
        x_label: "Threshold probability".into(),
        y_label: "Net benefit".into(),
    }
}

/// The thresholds of the decision table (a subset of the curve's 1 %–99 %).
pub const DECISION_TABLE_THRESHOLDS: [f64; 9] = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6];

/// The decision table: per threshold, net benefit of testing (with interval), of treating all,
/// and the net interventions avoided per 100 compared with treating all.
pub fn decision_table(d: &Decision) -> Table {
    let ci = format!("{}% CI", level_percent(d.level));
    let rows = d
        .points
        .iter()
        .filter(|p| DECISION_TABLE_THRESHOLDS.iter().any(|t| (t - p.threshold).abs() < 1e-9))
        .map(|p| {
            let best = if p.test.estimate > p.treat_all.max(0.0) {
                "test"
            } else if p.treat_all > 0.0 {
                "treat all"
            } else {
                "treat none"
            };
            Row::new(vec![
                Cell::num(format!("{:.0}%", 100.0 * p.threshold), p.threshold),
                Cell::num(
                    format!("{:.3} ({:.3} to {:.3})", p.test.estimate, p.test.ci[0], p.test.ci[1]),
                    p.test.estimate,
                ),
                Cell::num(format!("{:.3}", p.treat_all), p.treat_all),
                Cell::num("0".to_string(), 0.0),
                Cell::num(format!("{:.1}", 100.0 * p.interventions_avoided), 100.0 * p.interventions_avoided),
                Cell::text(best),
            ])
        })
        .collect();
    Table {
        headers: vec![
            "Threshold probability".into(),
            format!("Net benefit, test ({ci})"),
            "Net benefit, treat all".into(),
            "Net benefit, treat none".into(),
            "Net interventions avoided per 100 (vs treat all)".into(),
            "Highest net benefit".into(),
        ],
        keys: vec!["threshold", "nb-test", "nb-all", "nb-none", "avoided", "best"],
        rows,
    }
}

/// The CLI's text of the summary of findings (every block) and the decision table.
pub fn sof_text(a: &crate::analysis::Analysis) -> String {
    let f = crate::findings::summary_of_findings(a);
    let mut s = String::from("\nSummary of findings (GRADE, natural frequencies):\n");
    for (cap, t) in sof_tables(&f) {
        s.push_str(&format!("{cap}\n"));
        if t.headers.len() > 4 {
            s.push_str(&t.to_text());
        }
    }
    s.push_str(&format!("{}\n", sof_method_note(f.level)));
    if let Some(d) = crate::findings::decision(a) {
        s.push_str(&format!(
            "\nDecision curve ({}; net benefit = true positives per person net of false positives weighted by the threshold odds):\n",
            prevalence_header(d.prevalence).to_lowercase()
        ));
        s.push_str(&decision_table(&d).to_text());
    }
    s
}
