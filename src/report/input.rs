//! The words about the input: the list of problems under the text, the reader's notes, the
//! covariate menu's labels and the 2×2 rebuild's message (page and CLI alike).

use super::doc::sentence;
use crate::data::reconstruct::{Reconstruction, Status};
use crate::data::{Covariate, CovariateKind, ParseOutcome};

/// One entry of the problem list: `("error" | "warning", text)`.
pub fn problems(parsed: &ParseOutcome) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> =
        parsed.errors.iter().map(|e| ("error", format!("Error: {e}"))).collect();
    out.extend(parsed.warnings.iter().map(|w| ("warning", format!("Warning: {w}"))));
    out
}

/// "44 studies read." plus what the reader noticed, one sentence each.
pub fn read_summary(parsed: &ParseOutcome) -> String {
    let n = parsed.dataset.studies.len();
    let mut out = format!("{n} {} read.", if n == 1 { "study" } else { "studies" });
    if !parsed.errors.is_empty() {
        out.push_str(" Rows with errors are left out until they are fixed.");
    }
    for x in &parsed.notes {
        let s = sentence(x);
        if !s.is_empty() {
            out.push(' ');
            out.push_str(&s);
        }
    }
    out
}

/// The covariate menu's label: "modality (categorical)".
pub fn covariate_label(c: &Covariate) -> String {
    let kind = match c.kind {
        CovariateKind::Numeric => "numeric",
        CovariateKind::Categorical => "categorical",
    };
    format!("{} ({kind})", c.name)
}

/// How a rebuilt table was found, in words.
pub fn reconstruction_status(s: &Status) -> String {
    match s {
        Status::Exact => "the only table that reproduces every reported metric".to_string(),
        Status::NonUnique { n_tables } => {
            format!("the closest of {n_tables} tables that reproduce the metrics")
        }
        Status::Inconsistent { metric, by } => {
            format!("no table reproduces every metric ({metric} is off by {by:.3})")
        }
    }
}

/// The message after a 2×2 table was rebuilt and appended.
pub fn reconstruction_message(r: &Reconstruction) -> String {
    let s = &r.study;
    format!(
        "Added {}: TP {}, FP {}, FN {}, TN {} ({}; {}).",
        s.label,
        s.tp,
        s.fp,
        s.fn_,
        s.tn,
        r.derivation,
        reconstruction_status(&r.status)
    )
}

/// Said when an example replaced the user's data (with an Undo button beside it).
pub fn replaced_message(example: &str) -> String {
    format!("Your data were replaced by the example “{example}”. Undo brings them back.")
}

/// The example menu's entry for the text on screen: the example it is, else none.
pub fn example_for<'a>(text: &str, examples: &'a [(&'a str, &'a str, &'a str)]) -> Option<&'a str> {
    examples.iter().find(|(_, _, t)| *t == text).map(|(stem, _, _)| *stem)
}
