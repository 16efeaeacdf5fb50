//! The compatibility view in words: for the same data, the numbers midas, metandi, mada and
//! lme4 / MetaDTA / Meta-DiSc 2.0 print, side by side with Fourfold's, and one sentence per
//! difference saying why (METHODS §13). Computes nothing: the columns come from
//! [`crate::findings::compat_view`].

use super::doc::{Cell, Row, Table};
use crate::findings::{CompatView, Tool, ToolColumn, ToolNumbers};
use crate::stats::estimate::Estimate;

/// Shown where the compatibility view will be while the other tools' fits are computed.
pub const COMPUTING: &str = "Fitting the other tools' models…";

/// The column header of a tool.
pub fn tool_title(t: Tool) -> &'static str {
    match t {
        Tool::Midas => "midas 2.x (Stata)",
        Tool::Metandi => "metandi (Stata)",
        Tool::Mada => "mada reitsma (R)",
        Tool::Metadta => "MetaDTA / Meta-DiSc 2.0",
        Tool::MetadtaLaplace => "lme4 Laplace optimum",
    }
}

/// What the tool fits, in a few words.
pub fn tool_model(t: Tool) -> &'static str {
    match t {
        Tool::Midas => "binomial GLMM, adaptive quadrature with 7 points (xtmelogit)",
        Tool::Metandi => "binomial GLMM, adaptive quadrature with 5 points (xtmelogit / gllamm)",
        Tool::Mada => "bivariate normal model on 0.5-corrected logits, REML (mvmeta)",
        Tool::Metadta => "binomial GLMM, Laplace approximation (glmer nAGQ = 1, lme4 default controls)",
        Tool::MetadtaLaplace => {
            "binomial GLMM, Laplace approximation at its optimum (glmer with tight controls, glmmTMB)"
        }
    }
}

fn est(e: &Option<Estimate>, d: usize) -> String {
    e.map_or("–".into(), |e| format!("{:.d$} ({:.d$}–{:.d$})", e.estimate, e.ci[0], e.ci[1]))
}

fn num(x: Option<f64>, d: usize) -> String {
    x.map_or("–".into(), |v| format!("{v:.d$}").replace('-', "−"))
}

const ROWS: [&str; 12] = [
    "Sensitivity (CI)",
    "Specificity (CI)",
    "LR+",
    "LR−",
    "DOR",
    "τ² logit Se / logit Sp",
    "ρ",
    "Log-likelihood",
    "AIC (parameters)",
    "AUC",
    "I² Se / Sp",
    "Boundary",
];

fn column(n: &ToolNumbers, err: Option<&str>) -> Vec<Cell> {
    if let Some(e) = err {
        return vec![Cell::text(format!("not fitted: {e}"))];
    }
    let pair = |a: Option<[f64; 2]>, d: usize, pct: bool| {
        a.map_or("–".into(), |[x, y]| {
            if pct {
                format!("{:.1}% / {:.1}%", 100.0 * x, 100.0 * y)
            } else {
                format!("{x:.d$} / {y:.d$}")
            }
        })
    };
    let auc = match (n.auc, n.auc_ci, n.pauc) {
        (Some(a), Some([l, u]), _) => format!("{a:.3} ({l:.3}–{u:.3})"),
        (Some(a), None, Some(p)) => format!("{a:.3} (partial {p:.3})"),
        (Some(a), None, None) => format!("{a:.3}"),
        _ => "–".into(),
    };
    let i2 = match (n.i2_sens, n.i2_spec) {
        (Some(a), Some(b)) => format!("{:.1}% / {:.1}%", 100.0 * a, 100.0 * b),
        _ => "–".into(),
    };
    vec![
        Cell::opt(est(&n.sensitivity, 3), n.sensitivity.map(|e| e.estimate)),
        Cell::opt(est(&n.specificity, 3), n.specificity.map(|e| e.estimate)),
        Cell::opt(est(&n.lr_positive, 2), n.lr_positive.map(|e| e.estimate)),
        Cell::opt(est(&n.lr_negative, 3), n.lr_negative.map(|e| e.estimate)),
        Cell::opt(est(&n.dor, 1), n.dor.map(|e| e.estimate)),
        Cell::opt(pair(n.tau2, 3, false), n.tau2.map(|t| t[0])),
        Cell::opt(num(n.rho, 3), n.rho),
        Cell::opt(num(n.loglik, 3), n.loglik),
        Cell::opt(
            n.aic.map_or("–".into(), |a| {
                format!("{} ({})", format!("{a:.2}").replace('-', "−"), n.aic_parameters.unwrap_or(0))
            }),
            n.aic,
        ),
        Cell::opt(auc, n.auc),
        Cell::opt(i2, n.i2_sens),
        Cell::text(n.boundary.clone().unwrap_or_else(|| "none".into())),
    ]
}

/// A short name of Fourfold's model for the view's first column ("exact, 25 nodes").
pub fn short_model(method: crate::settings::Method, nodes: u32) -> String {
    match method {
        crate::settings::Method::Aghq => format!("exact, {nodes} nodes"),
        crate::settings::Method::Laplace => "Laplace".into(),
        crate::settings::Method::Reitsma => "REML".into(),
    }
}

/// The reasons of every column as `(tool title, model sentence, the other sentences joined)`.
pub fn difference_paragraphs(v: &CompatView) -> Vec<(String, String)> {
    v.columns
        .iter()
        .map(|c| {
            let d = differences(c, v);
            (tool_title(c.tool).to_string(), d.get(1..).map_or(String::new(), |r| r.join(" ")))
        })
        .collect()
}

/// The side-by-side table: one row per quantity, Fourfold's column first.
pub fn compat_table(v: &CompatView, fourfold_model: &str) -> Table {
    let mut cols: Vec<Vec<Cell>> = vec![column(&v.fourfold, None)];
    cols.extend(v.columns.iter().map(|c| column(&c.numbers, c.error.as_deref())));
    let rows = ROWS
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let mut cells = vec![Cell::text(*label)];
            for c in &cols {
                cells.push(c.get(i).cloned().unwrap_or_else(|| Cell::text("")));
            }
            Row::new(cells)
        })
        .collect();
    let mut headers = vec!["Quantity".to_string(), format!("Fourfold ({fourfold_model})")];
    headers.extend(v.columns.iter().map(|c| tool_title(c.tool).to_string()));
    let mut keys = vec!["quantity", "fourfold"];
    keys.extend(v.columns.iter().map(|c| c.tool.name()));
    Table { headers, keys, rows }
}

fn sentence_model(t: Tool) -> String {
    let m = tool_model(t);
    let mut c = m.chars();
    let first: String = c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default();
    format!("{first}.")
}

/// One sentence per way the tool's printout differs from Fourfold's default, and why.
pub fn differences(c: &ToolColumn, v: &CompatView) -> Vec<String> {
    let mut out = vec![format!("{}: {}.", tool_title(c.tool), tool_model(c.tool)), sentence_model(c.tool)];
    let n = &c.numbers;
    let boundary = v.fourfold.boundary.is_some() || n.boundary.is_some();
    match c.tool {
        Tool::Midas => {
            out.push("Seven quadrature points instead of Fourfold's 25: the likelihood is approximated less finely, so τ² and ρ can differ in the third or fourth digit; the pooled sensitivity and specificity rarely move.".into());
            out.push("midas's AUC is a trapezoid on 500 points (equal to the exact integral to about 6 digits), but its \"95% CI\" is a Wilson interval with n = 500, the number of grid points: it measures nothing about the data (always about ±0.03). Fourfold's interval is a parametric bootstrap of the fitted model.".into());
            out.push("midas's I² is computed from Pearson's Q on the raw proportions (a fixed-effect test per margin); Fourfold reports τ², ρ and the Zhou–Dendukuri I² of the fitted model.".into());
        }
        Tool::Metandi => {
            out.push("Five quadrature points: at 5 points xtmelogit's adaptive rule can differ from the exact likelihood in the 4th digit of τ² and ρ (METHODS §14.5). metandi prints no AUC and no I².".into());
        }
        Tool::Mada => {
            out.push("mada fits a normal approximation to the logits, by REML, after adding 0.5 to every cell of every study when any cell is zero; Fourfold's default is the exact binomial likelihood with no correction, so mada's sensitivity is pulled towards 0.5 and its τ² are smaller.".into());
            out.push("mada reports the correlation of logit sensitivity with logit FALSE POSITIVE rate, so its ρ has the opposite sign of Fourfold's (logit sensitivity with logit specificity).".into());
            out.push("mada's log-likelihood is the restricted likelihood plus a Jacobian; it cannot be compared with a GLMM log-likelihood, nor its AIC.".into());
            out.push("mada's AUC sums the curve at FPR 0.01, …, 0.99 and divides by 99 (ends omitted); Fourfold integrates the same curve exactly.".into());
            let zhou = v.zhou_on_reml.map_or(String::new(), |[a, b]| {
                format!(
                    " (the Zhou–Dendukuri formula on mada's own fit gives {:.1}% / {:.1}%)",
                    100.0 * a,
                    100.0 * b
                )
            });
            out.push(format!("mada 0.5.12's \"Zhou\" I² puts the squared standard errors of the pooled logits where the formula has τ², and test-positive/negative counts where it has diseased/non-diseased counts, so it prints a much smaller I²{zhou}; Fourfold does not reproduce that number."));
        }
        Tool::MetadtaLaplace => {
            out.push("The same Laplace model as the MetaDTA column, at its exact optimum: what lme4 with tight controls (and glmmTMB) prints, and what the default glmer approaches.".into());
        }
        Tool::Metadta => {
            out.push("The Laplace approximation replaces the integral over the random effects by one point: τ² are usually a few percent smaller and the log-likelihood differs from the exact one by up to about 1 unit; pooled sensitivity and specificity differ in the 3rd or 4th digit.".into());
            {
                out.push("With lme4's default controls (PIRLS tolerance 1e-7) glmer stops short of the Laplace optimum: its logit means can be off by up to 2e-3 and its standard errors by about 1% (and on some data it does not converge at all); this column is the optimum, which the printout approaches to that precision.".into());
            }
            out.push("MetaDTA prints no AUC.".into());
        }
    }
    if boundary {
        out.push("At a boundary (ρ = ±1 or τ² = 0) Fourfold refits with the constrained parameter fixed and counts only the free parameters in AIC; Stata and lme4 still count five, so their AIC is larger by 2 per fixed parameter.".into());
    }
    if let Some(e) = &c.error {
        out.push(format!("This tool's model could not be fitted here: {e}."));
    }
    out
}

/// The CLI's text for `--compat TOOL`: the tool's numbers next to Fourfold's and the reasons.
pub fn compat_text(v: &CompatView, fourfold_model: &str) -> String {
    let mut s = String::from("\nCompatibility view (the same data, each tool's conventions):\n");
    s.push_str(&compat_table(v, fourfold_model).to_text());
    for c in &v.columns {
        s.push('\n');
        for l in differences(c, v) {
            s.push_str(&format!("  {l}\n"));
        }
    }
    s
}
