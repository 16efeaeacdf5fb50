//! Exports of the page (and anyone else): tables as CSV, an R script that reproduces the main
//! numbers, and one leave-one-out refit at a time (so the page can spread the refits over
//! several event-loop ticks). Pure: strings in, strings out.

use crate::analysis::{Analysis, Block};
use crate::data::{CovariateValue, Dataset, Study};
use crate::report::{summary_rows, SummaryRow};
use crate::stats::estimate::Estimate;
use crate::stats::influence::LooRow;

fn csv_cell(s: &str) -> String {
    if s.contains(',') || s.contains('"') || s.contains('\n') || s.contains('\r') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub(crate) fn csv(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), num)
}

fn est3(e: &Option<Estimate>) -> [String; 3] {
    match e {
        Some(e) => [num(e.estimate), num(e.ci[0]), num(e.ci[1])],
        None => [String::new(), String::new(), String::new()],
    }
}

/// The summary table (overall + subgroup rows) as CSV with full-precision numbers.
pub fn summary_csv(a: &Analysis) -> String {
    let mut rows = vec![vec![
        "group",
        "k",
        "rung",
        "sens",
        "sens_lo",
        "sens_hi",
        "spec",
        "spec_lo",
        "spec_hi",
        "lr_pos",
        "lr_pos_lo",
        "lr_pos_hi",
        "lr_neg",
        "lr_neg_lo",
        "lr_neg_hi",
        "dor",
        "dor_lo",
        "dor_hi",
        "auc",
        "auc_lo",
        "auc_hi",
        "i2_sens",
        "i2_spec",
        "deeks_p",
        "lfk",
        "note",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>()];
    for r in summary_rows(a) {
        rows.push(summary_csv_row(&r));
    }
    csv(&rows)
}

fn summary_csv_row(r: &SummaryRow) -> Vec<String> {
    let mut v = vec![r.label.clone(), r.k.to_string(), r.rung.map_or(String::new(), |g| g.to_string())];
    for e in [&r.sensitivity, &r.specificity, &r.lr_positive, &r.lr_negative, &r.dor, &r.auc] {
        v.extend(est3(e));
    }
    v.extend([
        opt(r.i2_sens),
        opt(r.i2_spec),
        opt(r.deeks_p),
        opt(r.lfk),
        r.note.clone().unwrap_or_default(),
    ]);
    v
}

/// The per-study table of a block as CSV.
pub fn studies_csv(b: &Block) -> String {
    let mut rows = vec![vec![
        "study", "TP", "FP", "FN", "TN", "sens", "sens_lo", "sens_hi", "spec", "spec_lo", "spec_hi",
        "lr_pos", "lr_neg", "dor",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>()];
    for s in &b.studies {
        let mut r =
            vec![s.label.clone(), s.tp.to_string(), s.fp.to_string(), s.fn_.to_string(), s.tn.to_string()];
        r.extend(est3(&s.sensitivity));
        r.extend(est3(&s.specificity));
        r.push(opt(s.lr_positive.map(|e| e.estimate)));
        r.push(opt(s.lr_negative.map(|e| e.estimate)));
        r.push(opt(s.dor.map(|e| e.estimate)));
        rows.push(r);
    }
    csv(&rows)
}

/// The leave-one-out table as CSV, with every interval the page's table shows.
pub fn loo_csv(rows: &[LooRow]) -> String {
    let mut head: Vec<String> = vec!["omitted".into()];
    for q in ["sens", "spec", "lr_pos", "lr_neg", "dor"] {
        head.extend([q.to_string(), format!("{q}_lo"), format!("{q}_hi")]);
    }
    head.extend(["auc", "rung", "error"].map(String::from));
    let mut out = vec![head];
    for r in rows {
        let f = r.fit.as_ref();
        let mut row = vec![r.omitted.clone()];
        for e in [
            f.map(|f| f.sensitivity),
            f.map(|f| f.specificity),
            f.map(|f| f.lr_positive),
            f.map(|f| f.lr_negative),
            f.map(|f| f.dor),
        ] {
            row.extend(est3(&e));
        }
        row.push(opt(f.and_then(|f| f.auc)));
        row.push(f.map_or(String::new(), |f| f.rung.to_string()));
        row.push(r.error.clone().unwrap_or_default());
        out.push(row);
    }
    csv(&out)
}

/// An R string literal.
fn r_str(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' | '\t' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn r_vec<T>(xs: &[T], f: impl Fn(&T) -> String) -> String {
    let items: Vec<String> = xs.iter().map(f).collect();
    format!("c({})", items.join(", "))
}

/// An R script (lme4 `glmer` bivariate GLMM by Laplace, and mada `reitsma`) with the analysed
/// studies inlined, ending with the page's numbers as comments for comparison.
pub fn r_script(data: &Dataset, a: &Analysis) -> String {
    let excluded = &a.settings.excluded;
    let level = a.settings.ci_level;
    let keep: Vec<usize> =
        (0..data.studies.len()).filter(|&i| !excluded.contains(&data.studies[i].label)).collect();
    let st: Vec<&Study> = keep.iter().filter_map(|&i| data.studies.get(i)).collect();
    let mut s = String::new();
    s.push_str("# Fourfold: bivariate meta-analysis of diagnostic accuracy, reproduced in R.\n");
    s.push_str("# install.packages(c(\"lme4\", \"mada\"))\n");
    s.push_str("library(lme4)\nlibrary(mada)\n\n");
    s.push_str("d <- data.frame(\n");
    s.push_str(&format!("  study = {},\n", r_vec(&st, |x| r_str(&x.label))));
    s.push_str(&format!("  TP = {},\n", r_vec(&st, |x| x.tp.to_string())));
    s.push_str(&format!("  FP = {},\n", r_vec(&st, |x| x.fp.to_string())));
    s.push_str(&format!("  FN = {},\n", r_vec(&st, |x| x.fn_.to_string())));
    s.push_str(&format!("  TN = {}", r_vec(&st, |x| x.tn.to_string())));
    for c in &data.covariates {
        let vals: Vec<String> = keep
            .iter()
            .map(|&i| match c.values.get(i) {
                Some(CovariateValue::Category(v)) => r_str(v),
                Some(CovariateValue::Number(x)) => num(*x),
                _ => "NA".to_string(),
            })
            .collect();
        s.push_str(&format!(",\n  {} = c({})", r_str(&c.name), vals.join(", ")));
    }
    s.push_str(",\n  check.names = FALSE, stringsAsFactors = FALSE\n)\n\n");
    s.push_str(&format!("LEVEL <- {level}  # confidence level of the intervals\n\n"));
    s.push_str(
        "# Bivariate binomial GLMM (Chu & Cole 2006) in long format: one row per study and margin.\n\
         long <- rbind(\n  data.frame(study = d$study, sens = 1, spec = 0, pos = d$TP, n = d$TP + d$FN),\n  \
         data.frame(study = d$study, sens = 0, spec = 1, pos = d$TN, n = d$TN + d$FP)\n)\n\
         long <- long[long$n > 0, ]\n\
         fit <- glmer(cbind(pos, n - pos) ~ 0 + sens + spec + (0 + sens + spec | study),\n             \
         data = long, family = binomial, nAGQ = 1)\n\
         mu <- fixef(fit); se <- sqrt(diag(as.matrix(vcov(fit))))\n\
         z <- qnorm(1 - (1 - LEVEL) / 2)\n\
         ci <- function(m, s) plogis(c(estimate = m, lower = m - z * s, upper = m + z * s))\n\
         print(rbind(sensitivity = ci(mu[1], se[1]), specificity = ci(mu[2], se[2])))\n\
         print(VarCorr(fit))\n\n\
         # Reitsma bivariate normal model (REML, continuity correction 0.5 for all studies).\n\
         rf <- reitsma(d)\nprint(summary(rf, level = LEVEL))\nprint(AUC(rf))\n\n",
    );
    s.push_str(&super::models::r_script_part(a));
    if let Some(c) = super::comparison::r_code(a) {
        s.push_str(&c);
    }
    s.push_str("# Fourfold's results for the same studies (the exact-likelihood fit uses adaptive\n");
    s.push_str("# quadrature; glmer's Laplace fit above can differ slightly):\n");
    for r in summary_rows(a) {
        let f = |e: &Option<Estimate>| {
            e.as_ref()
                .map_or("–".to_string(), |e| format!("{:.4} ({:.4}–{:.4})", e.estimate, e.ci[0], e.ci[1]))
        };
        s.push_str(&format!(
            "#   {} (k = {}): sensitivity {}, specificity {}, DOR {}\n",
            r.label.replace('\n', " "),
            r.k,
            f(&r.sensitivity),
            f(&r.specificity),
            f(&r.dor)
        ));
    }
    s
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn r_strings_are_escaped() {
        assert_eq!(r_str("a\"b\\c\nd"), "\"a\\\"b\\\\c d\"");
    }

    #[test]
    fn csv_quotes_when_needed() {
        assert_eq!(csv(&[vec!["a,b".into(), "c\"d".into(), "e".into()]]), "\"a,b\",\"c\"\"d\",e\n");
    }
}

/// `png` with its physical resolution set to `dpi` (a `pHYs` chunk right after `IHDR`, replacing
/// any there was), so that Word, LaTeX and journal systems read a 300 dpi export as 300 dpi, not
/// 72/96. `None` when `png` is not a PNG with an `IHDR` chunk first.
pub fn png_with_dpi(png: &[u8], dpi: f64) -> Option<Vec<u8>> {
    const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    if png.get(..8)? != SIGNATURE || png.get(12..16)? != b"IHDR" {
        return None;
    }
    let chunk_end = |at: usize| -> Option<usize> {
        let len = u32::from_be_bytes(png.get(at..at + 4)?.try_into().ok()?) as usize;
        let end = at.checked_add(12)?.checked_add(len)?;
        (end <= png.len()).then_some(end)
    };
    let ihdr_end = chunk_end(8)?;
    let ppm = (dpi / 0.0254).round().clamp(1.0, u32::MAX as f64) as u32;
    let mut phys = Vec::with_capacity(21);
    phys.extend_from_slice(&9u32.to_be_bytes());
    phys.extend_from_slice(b"pHYs");
    phys.extend_from_slice(&ppm.to_be_bytes());
    phys.extend_from_slice(&ppm.to_be_bytes());
    phys.push(1); // unit: metre
    phys.extend_from_slice(&crc32fast::hash(&phys[4..]).to_be_bytes());
    let mut out = Vec::with_capacity(png.len() + phys.len());
    out.extend_from_slice(&png[..ihdr_end]);
    out.extend_from_slice(&phys);
    // Copy the remaining chunks, dropping an existing pHYs.
    let mut at = ihdr_end;
    while at < png.len() {
        let end = chunk_end(at)?;
        if png.get(at + 4..at + 8)? != b"pHYs" {
            out.extend_from_slice(&png[at..end]);
        }
        at = end;
    }
    Some(out)
}

#[cfg(test)]
mod png_tests {
    use super::png_with_dpi;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&crc32fast::hash(&c[4..]).to_be_bytes());
        c
    }

    #[test]
    fn png_gets_a_300_dpi_phys_chunk() {
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        png.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]));
        png.extend(chunk(b"pHYs", &[0, 0, 0x0b, 0x13, 0, 0, 0x0b, 0x13, 1])); // 72 dpi
        png.extend(chunk(b"IDAT", &[1, 2, 3]));
        png.extend(chunk(b"IEND", &[]));
        let out = png_with_dpi(&png, 300.0).expect("a PNG");
        // 300 dpi = 11811 pixels per metre, unit 1; exactly one pHYs, right after IHDR.
        let at = 8 + 25;
        assert_eq!(&out[at + 4..at + 8], b"pHYs");
        assert_eq!(u32::from_be_bytes(out[at + 8..at + 12].try_into().expect("4")), 11811);
        assert_eq!(u32::from_be_bytes(out[at + 12..at + 16].try_into().expect("4")), 11811);
        assert_eq!(out[at + 16], 1);
        let crc = u32::from_be_bytes(out[at + 17..at + 21].try_into().expect("4"));
        assert_eq!(crc, crc32fast::hash(&out[at + 4..at + 17]));
        assert_eq!(out.windows(4).filter(|w| w == b"pHYs").count(), 1);
        assert_eq!(out.len(), png.len(), "the old pHYs is replaced, same size");
        assert!(out.ends_with(&chunk(b"IEND", &[])));
        assert_eq!(png_with_dpi(b"not a png", 300.0), None);
        assert_eq!(png_with_dpi(&png[..20], 300.0), None);
    }
}
