//! Native shell: arguments → file → data → analysis → report → stdout.
//! Exit codes: 0 ok, 1 analysis failure, 2 input or usage error (messages name line and column).

use fourfold::analysis::{run, AnalysisConfig, Grouping};
use fourfold::data::correction::CorrectionRule;
use fourfold::data::parse::parse_table;
use fourfold::data::reconstruct::reconstruct_from_text;
use fourfold::report::{summary_cells, summary_rows, text_table, SUMMARY_HEADERS};
use fourfold::stats::accuracy::CiMethod;
use fourfold::stats::bivariate::{analyze, AucCi, FitConfig, Method};
use fourfold::stats::summary::RegionKind;
use std::io::Read;
use std::time::Instant;

const USAGE: &str = "\
usage:
  fourfold analyze FILE [options]     FILE: CSV/TSV with study,TP,FP,FN,TN[,covariates]; '-' = stdin
      --model aghq|laplace|reitsma    pooling model (default aghq: exact likelihood)
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
  fourfold bench [FILES...] [--json]  time complete fits (median and minimum, in-process)
  fourfold reconstruct [TEXT]         rebuild a 2x2 table, e.g. \"sens=0.87 spec=0.80 npos=45 nneg=120\"
                                      (no TEXT: one description per line on stdin)
  fourfold --version";

pub fn run_cli(args: Vec<String>) -> i32 {
    match args.first().map(String::as_str) {
        Some("--version") | Some("-V") => {
            println!("fourfold {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Some("analyze") => analyze_cmd(&args[1..]),
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
        Ok(s)
    } else {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".xlsx") || lower.ends_with(".ods") || lower.ends_with(".xls") {
            return fourfold::data::parse::parse_spreadsheet(&bytes).map_err(|e| format!("{path}: {e}"));
        }
        String::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8 text"))
    }
}

struct Opts {
    file: Option<String>,
    json: bool,
    cfg: AnalysisConfig,
}

fn parse_opts(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts { file: None, json: false, cfg: AnalysisConfig::default() };
    let mut i = 0;
    let val = |i: &mut usize, name: &str| -> Result<String, String> {
        *i += 1;
        args.get(*i).cloned().ok_or_else(|| format!("{name} needs a value"))
    };
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--json" => o.json = true,
            "--loo" => o.cfg.influence = true,
            "--model" => {
                let v = val(&mut i, a)?;
                o.cfg.fit.method =
                    Method::from_name(&v).ok_or(format!("unknown model '{v}' (aghq, laplace, reitsma)"))?;
            }
            "--nodes" => {
                let v = val(&mut i, a)?;
                let n: usize = v.parse().map_err(|_| format!("--nodes: '{v}' is not a whole number"))?;
                if !(1..=41).contains(&n) {
                    return Err("--nodes must be between 1 and 41".into());
                }
                o.cfg.fit.nodes = n;
            }
            "--by" => o.cfg.grouping = Some(Grouping::By(val(&mut i, a)?)),
            "--split" => {
                let v = val(&mut i, a)?;
                let (c, t) = v.rsplit_once(':').ok_or("--split takes COLUMN:THRESHOLD")?;
                let t: f64 = t.parse().map_err(|_| format!("--split: '{t}' is not a number"))?;
                o.cfg.grouping = Some(Grouping::Split(c.to_string(), t));
            }
            "--cross" => {
                let v = val(&mut i, a)?;
                let (x, y) = v.split_once(',').ok_or("--cross takes A,B")?;
                o.cfg.grouping = Some(Grouping::Cross(x.to_string(), y.to_string()));
            }
            "--pretest" => {
                let v = val(&mut i, a)?;
                let p: f64 = v
                    .trim_end_matches('%')
                    .parse()
                    .map_err(|_| format!("--pretest: '{v}' is not a number"))?;
                let p = if v.ends_with('%') || p > 1.0 { p / 100.0 } else { p };
                if !(p > 0.0 && p < 1.0) {
                    return Err("--pretest must be a probability between 0 and 1".into());
                }
                o.cfg.pretest = Some(p);
            }
            "--level" => {
                let v = val(&mut i, a)?;
                let l: f64 = v.parse().map_err(|_| format!("--level: '{v}' is not a number"))?;
                if !(l > 0.5 && l < 1.0) {
                    return Err("--level must be between 0.5 and 1".into());
                }
                o.cfg.fit.level = l;
                o.cfg.accuracy.level = l;
            }
            "--correction" => {
                let v = val(&mut i, a)?;
                let r = CorrectionRule::from_name(&v)
                    .ok_or(format!("unknown correction '{v}' (single, all, none)"))?;
                o.cfg.correction.rule = r;
                o.cfg.accuracy.correction.rule = r;
            }
            "--ci" => {
                let v = val(&mut i, a)?;
                o.cfg.accuracy.ci_method = match v.as_str() {
                    "cp" | "clopper-pearson" => CiMethod::ClopperPearson,
                    "wilson" => CiMethod::Wilson,
                    _ => return Err(format!("unknown interval '{v}' (cp, wilson)")),
                };
            }
            "--region" => {
                let v = val(&mut i, a)?;
                o.cfg.fit.region = match v.as_str() {
                    "f" | "F" => RegionKind::F,
                    "chi2" | "chisq" => RegionKind::ChiSquare,
                    _ => return Err(format!("unknown region '{v}' (f, chi2)")),
                };
            }
            "--auc-ci" => {
                let v = val(&mut i, a)?;
                o.cfg.fit.auc_ci = match v.as_str() {
                    "bootstrap" => AucCi::Bootstrap,
                    "delta" => AucCi::Delta,
                    "none" => AucCi::None,
                    _ => return Err(format!("unknown AUC interval '{v}' (bootstrap, delta, none)")),
                };
            }
            "--exclude" => o.cfg.exclude.push(val(&mut i, a)?),
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

fn analyze_cmd(args: &[String]) -> i32 {
    let o = match parse_opts(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fourfold: {e}\n{USAGE}");
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
    let analysis = match run(&parsed.dataset, &o.cfg) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fourfold: {e}");
            return 2;
        }
    };
    if o.json {
        return match serde_json::to_string_pretty(&analysis) {
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
    0
}

fn text_report(a: &fourfold::analysis::Analysis) -> String {
    let mut out = String::new();
    let rows = summary_rows(a);
    let cells: Vec<Vec<String>> = rows.iter().map(summary_cells).collect();
    out.push_str(&text_table(&SUMMARY_HEADERS, &cells));
    for r in &rows {
        if let Some(n) = &r.note {
            out.push_str(&format!("  {}: {n}\n", r.label));
        }
    }
    if let Some(f) = &a.overall.fit {
        let m = &f.model;
        out.push_str(&format!(
            "\nModel: {} ({}), {} · converged: {} after {} iterations ({}) · log-likelihood {:.4}\n",
            m.method,
            m.nodes.map_or("REML".into(), |n| if n == 1 {
                "Laplace".into()
            } else {
                format!("{n}×{n} adaptive quadrature")
            }),
            m.rung,
            if m.converged { "yes" } else { "NO" },
            m.iterations,
            m.termination,
            m.loglik
        ));
        out.push_str(&format!(
            "tau² logit Se {:.4}, logit Sp {:.4}, rho {}\n",
            m.tau2_logit_sens,
            m.tau2_logit_spec,
            m.rho.map_or("–".into(), |r| format!("{r:.4}"))
        ));
        if let Some(h) = &f.hsroc {
            out.push_str(&format!(
                "HSROC: Lambda {:.4}, Theta {:.4}, beta {:.4}, sigma²alpha {:.4}, sigma²theta {:.4}\n",
                h.lambda, h.theta, h.beta, h.sigma2_alpha, h.sigma2_theta
            ));
        }
        for w in &m.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        if let Some(simp) = &f.simplified {
            out.push_str(&format!(
                "Simplified model beside it ({}): sensitivity {}, specificity {}, DOR {}\n",
                simp.model.fallback.as_deref().unwrap_or(&simp.model.rung),
                fourfold::report::fmt_est(&simp.summary.sensitivity, 2),
                fourfold::report::fmt_est(&simp.summary.specificity, 2),
                fourfold::report::fmt_ratio(&simp.summary.dor)
            ));
        }
    }
    if let Some(fg) = &a.overall.fagan {
        out.push_str(&format!(
            "Fagan: pre-test {:.0}% ({}) → post-test {:.0}% after a positive, {:.0}% after a negative test\n",
            100.0 * fg.pretest,
            fg.pretest_source,
            100.0 * fg.post_positive.estimate,
            100.0 * fg.post_negative.estimate
        ));
    }
    if let Some(mr) = &a.meta_regression {
        for (name, r) in mr {
            match r {
                fourfold::analysis::MetaRegOutcome::Fit(m) => out.push_str(&format!(
                    "Meta-regression on {name}: LRT either differs χ² = {:.2} (df {}), p {}; sensitivity differs p {}; specificity differs p {}\n",
                    m.lrt.both.statistic,
                    m.lrt.both.df,
                    fourfold::report::fmt_p(m.lrt.both.p_value),
                    fourfold::report::fmt_p(m.lrt.sens.p_value),
                    fourfold::report::fmt_p(m.lrt.spec.p_value)
                )),
                fourfold::analysis::MetaRegOutcome::Error { error } => out.push_str(&format!("Meta-regression on {name}: {error}\n")),
            }
        }
    }
    if let Some(inf) = &a.influence {
        out.push_str("\nLeave-one-out (each study omitted in turn):\n");
        let rows: Vec<Vec<String>> = inf
            .loo
            .iter()
            .zip(&inf.cooks_distance)
            .map(|(r, d)| match &r.fit {
                Some(f) => vec![
                    r.omitted.clone(),
                    fourfold::report::fmt_est(&f.sensitivity, 3),
                    fourfold::report::fmt_est(&f.specificity, 3),
                    fourfold::report::fmt_ratio(&f.dor),
                    d.map_or("–".into(), |d| {
                        format!("{d:.3}{}", if d > inf.cooks_threshold { " *" } else { "" })
                    }),
                    f.rung.clone(),
                ],
                None => vec![r.omitted.clone(), r.error.clone().unwrap_or_default()],
            })
            .collect();
        out.push_str(&text_table(
            &["Omitted", "Sensitivity", "Specificity", "DOR", "Cook's D", "Rung"],
            &rows,
        ));
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
                    fourfold::report::fmt_est(&f.summary.sensitivity, 3),
                    fourfold::report::fmt_est(&f.summary.specificity, 3)
                ));
            }
        }
    }
    for w in &a.overall.warnings {
        out.push_str(&format!("note: {w}\n"));
    }
    out
}

fn bench_cmd(args: &[String]) -> i32 {
    let json = args.iter().any(|a| a == "--json");
    let mut files: Vec<String> = args.iter().filter(|a| !a.starts_with("--")).cloned().collect();
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
        for method in [Method::Aghq, Method::Laplace, Method::Reitsma] {
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
        // The full analysis with subgroups, meta-regression and leave-one-out (issue #5 target).
        if let Some(cov) =
            parsed.dataset.covariates.iter().find(|c| c.kind == fourfold::data::CovariateKind::Categorical)
        {
            let cfg = AnalysisConfig {
                grouping: Some(Grouping::By(cov.name.clone())),
                ..AnalysisConfig::default()
            };
            let t = Instant::now();
            let ok = run(&parsed.dataset, &cfg).is_ok();
            let full_ms = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            let loo_ok = match run(&parsed.dataset, &cfg) {
                Ok(a) => a
                    .overall
                    .fit
                    .as_ref()
                    .map(|f| fourfold::stats::influence::leave_one_out(studies, &cfg.fit, f).len()),
                Err(_) => None,
            };
            let loo_ms = t.elapsed().as_secs_f64() * 1e3 - full_ms;
            let _ = loo_ok;
            out.push(serde_json::json!({"file": f, "model": "full-analysis", "by": cov.name, "k": studies.len(), "analysis_ms": full_ms, "loo_ms": loo_ms, "ok": ok}));
            if !json {
                println!("{f:40} full analysis by {} (subgroups, meta-regression, bootstrap AUC): {full_ms:.0} ms; leave-one-out ({} refits): {loo_ms:.0} ms", cov.name, studies.len());
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
                "{}\t{}\t{}\t{}\t{:?}\t{}",
                r.study.tp, r.study.fp, r.study.fn_, r.study.tn, r.status, r.derivation
            ),
            Err(e) => {
                eprintln!("line {}: {e}", i + 1);
                code = 2;
            }
        }
    }
    code
}
