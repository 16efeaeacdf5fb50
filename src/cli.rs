//! Native shell: arguments → file → data → analysis → report → stdout.
//! Exit codes: 0 ok, 1 analysis failure, 2 input or usage error (messages name line and column).

use fourfold::analysis::{run, AnalysisConfig, Staged};
use fourfold::data::parse::parse_table;
use fourfold::data::reconstruct::reconstruct_from_text;
use fourfold::report::text_report;
use fourfold::settings::{AnalysisSettings, AucCi, Method};
use fourfold::stats::bivariate::{analyze, FitConfig};
use std::io::Read;
use std::time::Instant;

const USAGE: &str = "\
usage:
  fourfold analyze FILE [options]     FILE: CSV/TSV with study,TP,FP,FN,TN[,covariates], .xlsx/.ods, or a
                                      RevMan 5 review (.rm5; its tests in a `test` column); '-' = stdin
      --model aghq|laplace|reitsma    pooling model (default aghq: exact likelihood)
      --model bayes|bayes-lcm         also a Bayesian fit by NUTS: the bivariate model, or the latent-class
                                      model for an imperfect reference standard (beside the exact fit)
      --chains N --warmup N --draws N --seed N   sampler (default 4 chains, 1000 + 1000, seed 20240601)
      --prior SPEC                    repeatable: vague | mu_se=M,S | mu_sp=M,S | tau_se=half-normal:S |
                                      tau_sp=half-cauchy:S | tau=… | lkj=ETA | se_ref=M,S | sp_ref=M,S |
                                      prevalence=A,B (logit scale; default MetaBayesDTA's priors)
      --prior-sensitivity             also fit under a vague and a heavy-tailed prior, side by side
      --bayes-plots DIR               write trace / rank / density plots (SVG) of μ, τ, ρ into DIR
      --nodes N                       quadrature points per dimension (default 25)
      --json                          full result as JSON
      --by COLUMN                     subgroup table and meta-regression on a covariate
      --split COLUMN:THRESHOLD        numeric covariate split at a threshold (< t, ≥ t)
      --cross A,B                     two covariates crossed
      --loo                           leave-one-out sensitivity analysis
      --pretest P                     pre-test probability for the Fagan nomogram (default: median prevalence)
      --level L                       confidence level (default 0.95)
      --correction single|all|none    continuity correction for two-step methods (default single)
      --ci wilson|cp                  per-study interval (default cp = Clopper-Pearson)
      --region f|chi2                 radius of the regions (default f)
      --auc-ci bootstrap|delta|none   AUC interval (default bootstrap, B = 2000, seed 20240601)
      --exclude LABEL                 leave a study out (repeatable)
      --low-risk overall|D1..D4|COL   also analyse only the studies at low risk of bias in that
                                      QUADAS-2/QUADAS-3 domain (or overall), beside the main result
      --rob FILE                      merge a robvis QUADAS-2 table (Study,D1,D2,D3,D4,Overall) by study
      --figure KIND:PATH.svg|.png     write a figure as SVG, or as PNG at --dpi (repeatable); KIND: forest,
                                      forest-counts (RevMan layout), sroc, fagan, deeks, doi, lr-scatter,
                                      quadas, quadas-summary
      --dpi N                         resolution of PNG figures (default 300; 36 to 1200)
      --sroc-markers circles|rectangles   study markers (rectangles: RevMan's √diseased × √non-diseased)
      --sroc-x fpr|specificity        x axis: 1 − specificity, or specificity from 1 to 0 (RevMan)
      --sroc-curve metandi|observed   curve range: metandi's rule, or the studies' specificities (RevMan)
      --sroc-region-style shaded|lines  confidence region shaded, or dashed with a dotted prediction one
      --cochrane                      all four RevMan conventions of the SROC figure
      --xlsx OUT.xlsx                 also write every table as one Excel workbook
      --revman-csv OUT.csv            also write RevMan's externally calculated parameters (with HSROC SEs)
      --hsroc-reg                     HSROC meta-regression on the --by covariate (accuracy, threshold,
                                      shape) with the separate-Σ variances-differ test
      --three-level                   three-level model (cohorts within studies; studies = cluster column)
      --cohort COLUMN                 ... with cohorts labelled by COLUMN within a study (implies --three-level)
      --study-column COLUMN           ... with studies given by COLUMN (default: the cluster column)
      --prevalences P1,P2,...         summary-of-findings prevalences (default: lowest, median, highest of the studies)
      --prevalence P                  prevalence of the icon array and the decision curve (default: median)
      --icons 100|1000                people in the icon array (report; default 100)
      --compat midas|metandi|mada|metadta|metadta-laplace
                                      use that tool's model and conventions, and print its numbers beside Fourfold's
  fourfold report FILE [options]      the whole analysis as one self-contained HTML page (same options)
      --test COLUMN                   compare the index tests named in COLUMN (one table per study and
                                      test; one study random effect shared by a study's tables)
      --paired-only                   with --test: also fit the studies reporting every test, beside all
  fourfold bench [FILES...] [--json]  time complete fits (median and minimum, in-process)
      --instructions                  also count the instructions of one exact fit (valgrind callgrind)
      --one FILE                      one exact fit only (the unit --instructions counts)
      --synthetic K[,K...]            whole analysis of deterministic synthetic tables of K studies
  fourfold reconstruct [TEXT]         rebuild a 2x2 table, e.g. \"sens=0.87 spec=0.80 npos=45 nneg=120\"
                                      (no TEXT: one description per line on stdin)
  fourfold --version";

pub fn run_cli(args: Vec<String>) -> i32 {
    match args.first().map(String::as_str) {
        Some("--version") | Some("-V") => {
            println!("fourfold {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Some("analyze") => analyze_cmd(&args[1..], false),
        Some("report") => analyze_cmd(&args[1..], true),
        Some("bench") => bench_cmd(&args[1..]),
        Some("reconstruct") => reconstruct_cmd(&args[1..]),
        Some("--help") | Some("-h") | Some("help") => {
            println!("{USAGE}");
            0
        }
        _ => {
            eprintln!("{USAGE}");
            2
        }
    }
}

fn read_input(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(|e| format!("cannot read stdin: {e}"))?;
        if fourfold::data::import::rm5::looks_like_rm5(s.as_bytes()) {
            return fourfold::data::import::rm5::rm5_to_text(s.as_bytes()).map_err(|e| format!("stdin: {e}"));
        }
        Ok(s)
    } else {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".xlsx") || lower.ends_with(".ods") || lower.ends_with(".xls") {
            return fourfold::data::parse::parse_spreadsheet(&bytes).map_err(|e| format!("{path}: {e}"));
        }
        if lower.ends_with(".rm5") || fourfold::data::import::rm5::looks_like_rm5(&bytes) {
            return fourfold::data::import::rm5::rm5_to_text(&bytes).map_err(|e| format!("{path}: {e}"));
        }
        String::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8 text"))
    }
}

struct Opts {
    file: Option<String>,
    bayes_plots: Option<String>,
    json: bool,
    /// A robvis-style risk-of-bias table to merge by study label (`--rob`).
    rob: Option<String>,
    /// Figures to write as SVG: `(kind id, path)` (`--figure`), with their display options.
    figures: Vec<(String, String)>,
    /// Resolution of `.png` figures (`--dpi`, default 300).
    dpi: f64,
    plot: fourfold::report::plots::PlotOptions,
    settings: AnalysisSettings,
    compat: Option<fourfold::findings::Tool>,
    /// `--xlsx` / `--revman-csv`: files written besides stdout.
    exports: Exports,
}

#[derive(Default)]
struct Exports {
    xlsx: Option<String>,
    revman_csv: Option<String>,
}

/// The flags of `analyze` → one [`AnalysisSettings`] (the page and permalinks produce the same
/// type). Choice values parse with the option types' own `FromStr`; ranges are checked once, by
/// [`AnalysisConfig::try_from`].
fn parse_opts(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        file: None,
        json: false,
        rob: None,
        figures: Vec::new(),
        dpi: 300.0,
        plot: Default::default(),
        settings: AnalysisSettings::default(),
        exports: Exports::default(),
        bayes_plots: None,
        compat: None,
    };
    let s = &mut o.settings;
    let mut i = 0;
    let val = |i: &mut usize, name: &str| -> Result<String, String> {
        *i += 1;
        args.get(*i).cloned().ok_or_else(|| format!("{name} needs a value"))
    };
    let number = |v: &str, name: &str| -> Result<f64, String> {
        v.trim().parse::<f64>().map_err(|_| format!("{name}: '{v}' is not a number"))
    };
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--json" => o.json = true,
            "--loo" => s.leave_one_out = true,
            "--model" => {
                let v = val(&mut i, a)?;
                match v.trim().to_ascii_lowercase().as_str() {
                    "bayes" | "bayesian" => s.bayes.model = Some(fourfold::settings::BayesModel::Bivariate),
                    "bayes-lcm" | "lcm" | "latent-class" => {
                        s.bayes.model = Some(fourfold::settings::BayesModel::LatentClass)
                    }
                    _ => s.model = v.parse().map_err(|e| format!("{e}"))?,
                }
            }
            "--chains" | "--warmup" | "--draws" | "--seed" => {
                let v = val(&mut i, a)?;
                let n: u64 = v.trim().parse().map_err(|_| format!("{a}: '{v}' is not a whole number"))?;
                let small = || u32::try_from(n).map_err(|_| format!("{a}: {n} is too large"));
                match a {
                    "--chains" => s.bayes.chains = small()?,
                    "--warmup" => s.bayes.warmup = small()?,
                    "--draws" => s.bayes.draws = small()?,
                    _ => s.bayes.seed = n,
                }
            }
            "--prior" => s.bayes.set_prior(&val(&mut i, a)?)?,
            "--prior-sensitivity" => s.bayes.prior_sensitivity = true,
            "--bayes-plots" => o.bayes_plots = Some(val(&mut i, a)?),
            "--nodes" => {
                let v = val(&mut i, a)?;
                s.nodes = v.trim().parse().map_err(|_| format!("--nodes: '{v}' is not a whole number"))?;
            }
            "--by" => {
                s.covariate = Some(val(&mut i, a)?);
                s.split_threshold = None;
            }
            "--split" => {
                let v = val(&mut i, a)?;
                let (c, t) = v.rsplit_once(':').ok_or("--split takes COLUMN:THRESHOLD")?;
                s.covariate = Some(c.to_string());
                s.split_threshold = Some(number(t, "--split")?);
            }
            "--cross" => {
                let v = val(&mut i, a)?;
                let (x, y) = v.split_once(',').ok_or("--cross takes A,B")?;
                s.cross = Some((x.to_string(), y.to_string()));
            }
            "--pretest" => {
                let v = val(&mut i, a)?;
                let p = number(v.trim_end_matches('%'), "--pretest")?;
                s.pretest = Some(if v.ends_with('%') || p > 1.0 { p / 100.0 } else { p });
            }
            "--level" => s.ci_level = number(&val(&mut i, a)?, "--level")?,
            "--correction" => s.correction.rule = val(&mut i, a)?.parse().map_err(|e| format!("{e}"))?,
            "--ci" => s.ci_method = val(&mut i, a)?.parse().map_err(|e| format!("{e}"))?,
            "--region" => s.region = val(&mut i, a)?.parse().map_err(|e| format!("{e}"))?,
            "--auc-ci" => s.auc_ci = val(&mut i, a)?.parse().map_err(|e| format!("{e}"))?,
            "--exclude" => s.excluded.push(val(&mut i, a)?),
            "--prevalences" => {
                let v = val(&mut i, a)?;
                s.findings.prevalences =
                    v.split(',').map(|x| number(x, "--prevalences")).collect::<Result<Vec<f64>, String>>()?;
            }
            "--prevalence" => s.findings.chosen = Some(number(&val(&mut i, a)?, "--prevalence")?),
            "--icons" => {
                let v = val(&mut i, a)?;
                s.findings.icon_people =
                    Some(v.trim().parse().map_err(|_| format!("--icons: '{v}' is not a whole number"))?);
            }
            "--compat" => o.compat = Some(val(&mut i, a)?.parse().map_err(|e| format!("{e}"))?),
            "--low-risk" => s.risk_of_bias.low_risk = Some(val(&mut i, a)?),
            "--rob" => o.rob = Some(val(&mut i, a)?),
            "--figure" => {
                let v = val(&mut i, a)?;
                let (k, p) = v.split_once(':').ok_or("--figure takes KIND:PATH")?;
                o.figures.push((k.to_string(), p.to_string()));
            }
            "--dpi" => {
                let v = val(&mut i, a)?;
                o.dpi = v.trim().parse().map_err(|_| format!("--dpi: '{v}' is not a number"))?;
                if !(36.0..=1200.0).contains(&o.dpi) {
                    return Err(format!("--dpi {v}: choose a resolution from 36 to 1200"));
                }
            }
            "--cochrane" => o.plot.sroc = fourfold::plot::SrocConventions::revman(),
            _ if fourfold::report::plots::FIGURE_OPTIONS
                .iter()
                .any(|(k, _)| a.strip_prefix("--") == Some(k)) =>
            {
                let v = val(&mut i, a)?;
                o.plot.set(&a[2..], &v)?;
            }
            "--xlsx" => o.exports.xlsx = Some(val(&mut i, a)?),
            "--revman-csv" => o.exports.revman_csv = Some(val(&mut i, a)?),
            "--hsroc-reg" => s.models.hsroc_regression = true,
            "--three-level" => s.models.three_level = true,
            "--cohort" => s.models.cohort = Some(val(&mut i, a)?),
            "--study-column" => s.models.study_column = Some(val(&mut i, a)?),
            "--test" => s.comparison.test = Some(val(&mut i, a)?),
            "--paired-only" => s.comparison.paired_only = true,
            _ if a.starts_with("--") => return Err(format!("unknown option {a}")),
            _ => {
                if o.file.is_some() {
                    return Err(format!("unexpected argument '{a}'"));
                }
                o.file = Some(a.to_string());
            }
        }
        i += 1;
    }
    Ok(o)
}

fn analyze_cmd(args: &[String], report: bool) -> i32 {
    let mut o = match parse_opts(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fourfold: {e}\n{USAGE}");
            return 2;
        }
    };
    if let Some(t) = o.compat {
        // The tool's model, quadrature, intervals, regions and correction (its printout's conventions).
        o.settings = t.settings(&o.settings);
    }
    let cfg = match AnalysisConfig::try_from(&o.settings) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fourfold: {e}");
            return 2;
        }
    };
    let Some(file) = o.file.as_deref() else {
        eprintln!("fourfold: analyze needs a FILE (or - for stdin)");
        return 2;
    };
    let text = match read_input(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("fourfold: {e}");
            return 2;
        }
    };
    let parsed = parse_table(&text);
    for w in &parsed.warnings {
        eprintln!("warning: {w}");
    }
    for n in &parsed.notes {
        eprintln!("note: {n}");
    }
    if !parsed.errors.is_empty() {
        for e in &parsed.errors {
            eprintln!("error: {e}");
        }
        eprintln!("fourfold: {} input error(s); nothing was analysed", parsed.errors.len());
        return 2;
    }
    let mut dataset = parsed.dataset;
    if let Some(path) = o.rob.as_deref() {
        let merged = read_input(path).map_err(|e| vec![e]).and_then(|t| {
            fourfold::data::rob::merge_robvis(&dataset, &t)
                .map_err(|es| es.iter().map(|e| format!("{path}: {e}")).collect())
        });
        match merged {
            Ok(d) => dataset = d,
            Err(es) => {
                for e in &es {
                    eprintln!("error: {e}");
                }
                eprintln!("fourfold: {} error(s) in the risk-of-bias table; nothing was analysed", es.len());
                return 2;
            }
        }
    }
    let analysis = match run(&dataset, &cfg) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fourfold: {e}");
            return 2;
        }
    };
    for (kind, path) in &o.figures {
        if let Err(e) = write_figure(kind, path, &analysis, &dataset, &o.plot, o.dpi) {
            eprintln!("fourfold: {e}");
            return 2;
        }
    }
    if let Err(e) = write_exports(&o.exports, &analysis) {
        eprintln!("fourfold: {e}");
        return 1;
    }
    if let (Some(dir), Some(b)) = (&o.bayes_plots, &analysis.bayes) {
        if let Err(e) = write_bayes_plots(dir, b.posterior()) {
            eprintln!("fourfold: {e}");
            return 1;
        }
    }
    if report {
        let link = format!("#{}", fourfold::permalink::encode(&dataset, &o.settings));
        print!("{}", fourfold::report::html_report::report_html(&analysis, Some(&link)));
        return 0;
    }
    let compat = o.compat.map(|t| fourfold::findings::compat_view_of(&analysis, &[t]));
    if o.json {
        let mut v = match serde_json::to_value(&analysis) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("fourfold: cannot serialise: {e}");
                return 1;
            }
        };
        if let Some(obj) = v.as_object_mut() {
            let extra = [
                (
                    "summary_of_findings",
                    serde_json::to_value(fourfold::findings::summary_of_findings(&analysis)),
                ),
                ("decision_curve", serde_json::to_value(fourfold::findings::decision(&analysis))),
                ("compat", serde_json::to_value(&compat)),
            ];
            for (k, x) in extra {
                match x {
                    Ok(serde_json::Value::Null) => {}
                    Ok(x) => {
                        obj.insert(k.into(), x);
                    }
                    Err(e) => eprintln!("fourfold: cannot serialise {k}: {e}"),
                }
            }
        }
        return match serde_json::to_string_pretty(&v) {
            Ok(s) => {
                println!("{s}");
                0
            }
            Err(e) => {
                eprintln!("fourfold: cannot serialise: {e}");
                1
            }
        };
    }
    print!("{}", text_report(&analysis));
    print!("{}", fourfold::report::sof::sof_text(&analysis));
    if let Some(v) = &compat {
        let model = fourfold::report::compat::short_model(o.settings.model, o.settings.nodes);
        print!("{}", fourfold::report::compat::compat_text(v, &model));
    }
    0
}

/// Write figure `kind` (a `PlotKind` or `QuadasKind` id) of the analysis to `path`: SVG, or PNG
/// at `dpi` when `path` ends in `.png`.
fn write_figure(
    kind: &str,
    path: &str,
    a: &fourfold::analysis::Analysis,
    data: &fourfold::data::Dataset,
    opts: &fourfold::report::plots::PlotOptions,
    dpi: f64,
) -> Result<(), String> {
    use fourfold::report::plots::{plot_svg_with, quadas_svg, PlotKind, QuadasKind};
    let svg = if let Some(k) = PlotKind::from_id(kind) {
        plot_svg_with(k, a, opts).map_err(|e| format!("figure {kind}: {e}"))?
    } else if let Some(k) = QuadasKind::from_id(kind) {
        quadas_svg(k, data)
            .map_err(|e| format!("figure {kind}: {e}"))?
            .ok_or_else(|| format!("figure {kind}: the table has no QUADAS judgement columns"))?
    } else {
        let mut kinds: Vec<&str> = PlotKind::ALL.iter().map(|k| k.id()).collect();
        kinds.extend(["quadas", "quadas-summary"]);
        return Err(format!("unknown figure '{kind}' (choose {})", kinds.join(", ")));
    };
    if path.to_ascii_lowercase().ends_with(".png") {
        #[cfg(feature = "png")]
        {
            let png =
                fourfold::report::png::svg_to_png(&svg, dpi).map_err(|e| format!("figure {kind}: {e}"))?;
            return std::fs::write(path, png).map_err(|e| format!("cannot write {path}: {e}"));
        }
        #[cfg(not(feature = "png"))]
        return Err(format!(
            "cannot write {path} at {dpi} dpi: this build has no PNG export (feature 'png'); use .svg"
        ));
    }
    std::fs::write(path, svg).map_err(|e| format!("cannot write {path}: {e}"))
}

/// The files `--xlsx` and `--revman-csv` ask for.
fn write_exports(x: &Exports, a: &fourfold::analysis::Analysis) -> Result<(), String> {
    if let Some(path) = &x.revman_csv {
        std::fs::write(path, fourfold::report::revman::revman_csv(a))
            .map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    if let Some(path) = &x.xlsx {
        #[cfg(feature = "xlsx")]
        {
            let loo = a.influence.as_ref().map(|i| i.loo.as_slice()).unwrap_or_default();
            let bytes = fourfold::report::xlsx::workbook(a, loo)?;
            std::fs::write(path, bytes).map_err(|e| format!("cannot write {path}: {e}"))?;
        }
        #[cfg(not(feature = "xlsx"))]
        return Err(format!("cannot write {path}: this build has no Excel export (feature 'xlsx')"));
    }
    Ok(())
}

/// CPU time of this process (user + system) in ms, from /proc/self/stat (Linux; None elsewhere).
fn process_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name in parentheses: utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0) // USER_HZ = 100 on Linux
}

/// The MCMC plots of the hyper-parameters as `DIR/mcmc_<name>.svg`.
fn write_bayes_plots(dir: &str, p: &fourfold::stats::bayes::Posterior) -> Result<(), String> {
    use fourfold::plot::{draw_mcmc, to_svg, PlotStyle};
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {dir}: {e}"))?;
    for key in fourfold::report::bayes::PLOTTED {
        let Some(data) = fourfold::report::bayes::mcmc_plot_data(p, key) else { continue };
        let svg = to_svg(1200, 320, |a| draw_mcmc(a, &data, &PlotStyle::default()))
            .map_err(|e| format!("{key}: {e}"))?;
        let path = std::path::Path::new(dir).join(format!("mcmc_{key}.svg"));
        std::fs::write(&path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// A deterministic synthetic table of `k` studies (study,TP,FP,FN,TN): per study n1 in 20..=219
/// diseased and n0 in 50..=549 healthy, logits drawn around (1.5, 2.0) with τ = (0.8, 0.7) and
/// ρ = −0.3, counts binomial. Same `k` and `seed`, same table.
fn synthetic_table(k: usize, seed: u64) -> String {
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut unif = move || {
        // splitmix64
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut text = String::from("study,TP,FP,FN,TN\n");
    for i in 0..k {
        let n1 = 20 + (unif() * 200.0) as u64;
        let n0 = 50 + (unif() * 500.0) as u64;
        // Box–Muller pair.
        let (a, b) = (unif(), unif());
        let r = (-2.0 * a.ln()).sqrt();
        let (z1, z2) = (r * (std::f64::consts::TAU * b).cos(), r * (std::f64::consts::TAU * b).sin());
        let rho: f64 = -0.3;
        let l1 = 1.5 + 0.8 * z1;
        let l2 = 2.0 + 0.7 * (rho * z1 + (1.0 - rho * rho).sqrt() * z2);
        let (p1, p2) = (1.0 / (1.0 + (-l1).exp()), 1.0 / (1.0 + (-l2).exp()));
        let tp = (0..n1).filter(|_| unif() < p1).count() as u64;
        let tn = (0..n0).filter(|_| unif() < p2).count() as u64;
        text.push_str(&format!("S{i},{tp},{},{},{tn}\n", n0 - tn, n1 - tp));
    }
    text
}

/// Instructions of one exact fit of `file` (`fourfold bench --one FILE` under callgrind), when
/// valgrind is installed.
fn instructions_of_one_fit(file: &str) -> Option<u64> {
    let exe = std::env::current_exe().ok()?;
    let out_file = std::env::temp_dir().join(format!("fourfold-callgrind-{}.out", std::process::id()));
    let out = std::process::Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg("--toggle-collect=*bench_one_fit*")
        .arg(exe)
        .args(["bench", "--one", file])
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&out_file);
    let err = String::from_utf8_lossy(&out.stderr);
    // "==123== Collected : 123456789"
    err.lines().find_map(|l| l.split_once("Collected :").map(|(_, n)| n.trim().parse::<u64>().ok())).flatten()
}

/// One exact fit with SEs and the §2.6 check (the unit `--instructions` counts).
#[inline(never)]
fn bench_one_fit(studies: &[fourfold::data::Study]) -> bool {
    let cfg = FitConfig { method: Method::Aghq, auc_ci: AucCi::None, ..FitConfig::default() };
    analyze(studies, &cfg).is_ok_and(|r| r.model.converged)
}

fn bench_cmd(args: &[String]) -> i32 {
    let json = args.iter().any(|a| a == "--json");
    let with_instructions = args.iter().any(|a| a == "--instructions");
    let value_of = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let mut files: Vec<String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || !matches!(args[i - 1].as_str(), "--synthetic")))
        .map(|(_, a)| a.clone())
        .collect();
    if args.iter().any(|a| a == "--one") {
        // One exact fit of the first file, nothing else (for `valgrind --tool=callgrind`).
        let Some(f) = files.first() else {
            eprintln!("fourfold: bench --one needs a FILE");
            return 2;
        };
        let parsed = match read_input(f) {
            Ok(t) => parse_table(&t),
            Err(e) => {
                eprintln!("fourfold: {e}");
                return 2;
            }
        };
        return if bench_one_fit(&parsed.dataset.studies) { 0 } else { 1 };
    }
    if let Some(list) = value_of("--synthetic") {
        // Whole analysis (parse + every stage but leave-one-out) of synthetic tables.
        let mut out = Vec::new();
        for k in list.split(',').filter_map(|v| v.trim().parse::<usize>().ok()) {
            let text = synthetic_table(k, 12);
            let mut times = Vec::new();
            let mut ok = true;
            for _ in 0..3 {
                let t = Instant::now();
                let parsed = parse_table(&text);
                let Ok(cfg) = AnalysisConfig::try_from(&AnalysisSettings::default()) else {
                    return 1;
                };
                ok &= run(&parsed.dataset, &cfg).is_ok_and(|a| a.overall.fit.is_some());
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let (min, median) = (times[0], times[1]);
            out.push(serde_json::json!({"file": format!("synthetic:{k}"), "model": "full-analysis", "k": k, "median_ms": median, "min_ms": min, "repeats": times.len(), "ok": ok}));
            if !json {
                println!("synthetic k={k:6} whole analysis median {median:9.1} ms  min {min:9.1} ms  (3 repeats){}", if ok { "" } else { "  FAILED" });
            }
        }
        if json {
            println!("{}", serde_json::Value::Array(out));
        }
        return 0;
    }
    if files.is_empty() {
        files = ["schuetz", "audit_c", "smoking"]
            .iter()
            .map(|n| format!("../shared/refs/data/{n}.csv"))
            .collect();
    }
    let mut out = Vec::new();
    for f in &files {
        let text = match read_input(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("fourfold: {e}");
                return 2;
            }
        };
        let parsed = parse_table(&text);
        if !parsed.errors.is_empty() {
            eprintln!("fourfold: {f}: {}", parsed.errors[0]);
            return 2;
        }
        let studies = &parsed.dataset.studies;
        for &method in Method::ALL {
            let cfg = FitConfig { method, auc_ci: AucCi::None, ..FitConfig::default() };
            // Repeat until ~1 s or 200 repeats, at least 5.
            let mut times = Vec::new();
            let t0 = Instant::now();
            while times.len() < 5 || (t0.elapsed().as_secs_f64() < 1.0 && times.len() < 200) {
                let t = Instant::now();
                if analyze(studies, &cfg).is_err() {
                    break;
                }
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
            let min = times.first().copied().unwrap_or(f64::NAN);
            out.push(serde_json::json!({"file": f, "model": method.name(), "k": studies.len(), "median_ms": median, "min_ms": min, "repeats": times.len()}));
            if !json {
                println!(
                    "{f:40} {:8} k={:4} median {median:8.2} ms  min {min:8.2} ms  ({} repeats)",
                    method.name(),
                    studies.len(),
                    times.len()
                );
            }
        }
        // The Bayesian bivariate model: 4 chains × (1000 warm-up + 1000 draws), defaults (issue #16).
        {
            let bs = fourfold::settings::BayesSettings {
                model: Some(fourfold::settings::BayesModel::Bivariate),
                ..Default::default()
            };
            let mut times = Vec::new();
            let mut cpu = Vec::new();
            let mut ess = f64::NAN;
            for _ in 0..3 {
                let t = Instant::now();
                let c0 = process_cpu_ms();
                let Some(b) = fourfold::analysis::bayes::run_bayes(studies, &bs) else { break };
                times.push(t.elapsed().as_secs_f64() * 1e3);
                cpu.push(process_cpu_ms().zip(c0).map_or(f64::NAN, |(a, b)| a - b));
                let p = b.posterior();
                ess = ["mu_se", "mu_sp", "tau_se", "tau_sp", "rho"]
                    .iter()
                    .filter_map(|n| p.get(n))
                    .map(|q| q.diagnostics.ess_bulk)
                    .fold(f64::INFINITY, f64::min);
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
            let min = times.first().copied().unwrap_or(f64::NAN);
            cpu.sort_by(|a, b| a.total_cmp(b));
            let cpu_median = cpu.get(cpu.len() / 2).copied().unwrap_or(f64::NAN);
            // ESS per second of CPU time: on a shared machine the wall clock measures the load.
            let per_s = ess / (cpu_median / 1e3);
            out.push(serde_json::json!({"file": f, "model": "bayes-nuts-4x1000+1000", "k": studies.len(), "median_ms": median, "min_ms": min, "cpu_median_ms": cpu_median, "repeats": times.len(), "min_ess_bulk_hyper": ess, "ess_per_cpu_second": per_s}));
            if !json {
                println!(
                    "{f:40} bayes    k={:4} median {median:8.1} ms  min {min:8.1} ms  CPU {cpu_median:.0} ms  (4 chains × 1000+1000; smallest bulk ESS of μ, τ, ρ {ess:.0} → {per_s:.0} ESS per CPU second)",
                    studies.len()
                );
            }
        }
        // The comparative fit by the first categorical column (issue #13: ≤ 3× the single fit).
        if let Some(cov) =
            parsed.dataset.covariates.iter().find(|c| c.kind == fourfold::data::CovariateKind::Categorical)
        {
            if let Ok(st) = fourfold::data::structure::detect(&parsed.dataset, Some(&cov.name)) {
                for method in [Method::Aghq, Method::Laplace] {
                    let cfg = FitConfig { method, auc_ci: AucCi::None, ..FitConfig::default() };
                    let all: Vec<usize> = (0..studies.len()).collect();
                    let mut times = Vec::new();
                    let t0 = Instant::now();
                    while times.len() < 5 || (t0.elapsed().as_secs_f64() < 1.0 && times.len() < 200) {
                        let t = Instant::now();
                        let ok =
                            fourfold::stats::comparative::fit_rows(studies, &st, &all, &cfg).fit().is_some();
                        if !ok {
                            break;
                        }
                        times.push(t.elapsed().as_secs_f64() * 1e3);
                    }
                    times.sort_by(|a, b| a.total_cmp(b));
                    let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
                    let min = times.first().copied().unwrap_or(f64::NAN);
                    let single = out
                        .iter()
                        .find(|o| o["file"] == f.as_str() && o["model"] == method.name())
                        .and_then(|o| o["median_ms"].as_f64())
                        .unwrap_or(f64::NAN);
                    let model = format!("comparative-{}", method.name());
                    out.push(serde_json::json!({"file": f, "model": model, "by": cov.name, "k": studies.len(), "median_ms": median, "min_ms": min, "repeats": times.len(), "ratio_to_single_fit": median / single}));
                    if !json {
                        println!(
                            "{f:40} {model:8} k={:4} median {median:8.2} ms  min {min:8.2} ms  ({} repeats; by {}, {:.2}× the single fit, all four LR-test models)",
                            studies.len(),
                            times.len(),
                            cov.name,
                            median / single
                        );
                    }
                }
            }
        }
        // The full analysis with subgroups, meta-regression and leave-one-out (issue #5 target).
        if let Some(cov) =
            parsed.dataset.covariates.iter().find(|c| c.kind == fourfold::data::CovariateKind::Categorical)
        {
            let settings =
                AnalysisSettings { covariate: Some(cov.name.clone()), ..AnalysisSettings::default() };
            let Ok(cfg) = AnalysisConfig::try_from(&settings) else {
                return 1;
            };
            let t = Instant::now();
            let staged = Staged::new(&parsed.dataset, &cfg);
            let overall = staged.as_ref().ok().map(|s| {
                let mut o = s.overall();
                s.complete_overall(&mut o);
                let ok = s.groups().is_ok();
                (o, ok)
            });
            let full_ms = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            if let (Ok(s), Some((o, _))) = (&staged, &overall) {
                if let Some(full) = &o.fit {
                    let _ = s.loo_rows(full, 0..s.n_loo());
                }
            }
            let loo_ms = t.elapsed().as_secs_f64() * 1e3;
            let ok = overall.as_ref().is_some_and(|(_, ok)| *ok);
            out.push(serde_json::json!({"file": f, "model": "full-analysis", "by": cov.name, "k": studies.len(), "analysis_ms": full_ms, "loo_ms": loo_ms, "ok": ok}));
            if !json {
                println!("{f:40} full analysis by {} (subgroups, meta-regression, bootstrap AUC): {full_ms:.0} ms; leave-one-out ({} refits): {loo_ms:.0} ms", cov.name, studies.len());
            }
        }
        if with_instructions {
            match instructions_of_one_fit(f) {
                Some(n) => {
                    out.push(serde_json::json!({"file": f, "model": "aghq-instructions", "k": studies.len(), "instructions": n}));
                    if !json {
                        println!("{f:40} aghq     one exact fit: {n} instructions (callgrind)");
                    }
                }
                None => eprintln!("fourfold: {f}: no instruction count (is valgrind installed?)"),
            }
        }
    }
    if json {
        println!("{}", serde_json::Value::Array(out));
    }
    0
}

fn reconstruct_cmd(args: &[String]) -> i32 {
    let lines: Vec<String> = if args.is_empty() {
        let mut s = String::new();
        if std::io::stdin().read_to_string(&mut s).is_err() {
            eprintln!("fourfold: cannot read stdin");
            return 2;
        }
        s.lines().filter(|l| !l.trim().is_empty()).map(String::from).collect()
    } else {
        vec![args.join(" ")]
    };
    let mut code = 0;
    println!("TP\tFP\tFN\tTN\tstatus\tderivation");
    for (i, l) in lines.iter().enumerate() {
        match reconstruct_from_text(l) {
            Ok(r) => println!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                r.study.tp,
                r.study.fp,
                r.study.fn_,
                r.study.tn,
                fourfold::report::input::reconstruction_status(&r.status),
                r.derivation
            ),
            Err(e) => {
                eprintln!("line {}: {e}", i + 1);
                code = 2;
            }
        }
    }
    code
}
