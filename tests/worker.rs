//! The page's analysis worker (`fourfold::worker`): with its messages (decoded from MessagePack,
//! as the page does), the page's analysis, compatibility view and leave-one-out rows are the
//! CLI's, whatever the number of workers; a request without studies says so; the Bayesian job
//! reports progress, then the CLI's fit.

mod support;
use fourfold::analysis::run_settings;
use fourfold::analysis::{AnalysisConfig, Staged};
use fourfold::findings::compat_view;
use fourfold::settings::{AnalysisSettings, AucCi, BayesModel, BayesSettings, Method};
use fourfold::stats::influence::LooRow;
use fourfold::worker::{apply_auc, assemble, AnalysisJob, BayesJob, Message};

/// Through a self-describing, not human-readable format that keeps NaN (MessagePack), encoded as
/// the page's worker encodes (`worker::encoding`): what crosses to the page reads back the same.
fn to_bytes<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, String> {
    fourfold::worker::encoding(|| rmp_serde::to_vec_named(v)).map_err(|e| e.to_string())
}

fn from_bytes<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, String> {
    rmp_serde::from_slice(b).map_err(|e| e.to_string())
}

/// A clock that advances 1 ms per reading, so a step takes ~40 readings: deterministic slices.
fn ticking() -> impl Fn() -> f64 {
    let t = std::cell::Cell::new(0.0);
    move || {
        t.set(t.get() + 1.0);
        t.get()
    }
}

fn messages(mut step: impl FnMut() -> Option<Message>) -> Vec<Message> {
    let mut out = Vec::new();
    while let Some(m) = step() {
        out.push(from_bytes(&to_bytes(&m).expect("encode")).expect("decode"));
        assert!(out.len() < 10_000, "the job does not end");
    }
    out
}

/// The page's side of an analysis (`web::pipeline`): its own overall block with the AUC
/// interval and the later stages from the worker, put together by `worker::assemble` as the page
/// does.
fn page_analysis(
    text: &str,
    settings: &AnalysisSettings,
    auc: Message,
    levels: Vec<Message>,
    later: Message,
) -> fourfold::analysis::Analysis {
    let d = fourfold::data::parse_table(text).dataset;
    let staged = Staged::new(&d, &AnalysisConfig::try_from(settings).expect("settings")).expect("staged");
    let mut overall = staged.overall();
    let Message::Auc { auc, simplified } = auc else { panic!("{auc:?}") };
    apply_auc(&mut overall, auc, simplified);
    let Message::Later(later) = later else { panic!("{later:?}") };
    assert!(later.notes.is_empty(), "{:?}", later.notes);
    let levels = levels
        .into_iter()
        .map(|m| match m {
            Message::Subgroup(s) => *s,
            m => panic!("{m:?}"),
        })
        .collect();
    assemble(staged, overall, levels, *later)
}

/// The first place where two JSON values differ, for a readable failure.
fn difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value::{Array, Object};
    match (a, b) {
        (Object(x), Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => difference(p, q, &format!("{at}.{k}")),
                (p, q) => Some(format!("{at}.{k}: {p:?} vs {q:?}")),
            })
        }
        (Array(x), Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| difference(p, q, &format!("{at}[{i}]")))
        }
        _ => (a != b).then(|| format!("{at}: {a} vs {b}")),
    }
}

/// The messages without the stage markers (`Message::Pending`).
fn shown(m: Vec<Message>) -> Vec<Message> {
    m.into_iter().filter(|m| !matches!(m, Message::Pending)).collect()
}

#[test]
fn the_workers_analysis_is_the_clis() {
    let text = support::read_data_text("schuetz");
    let settings =
        AnalysisSettings { covariate: Some("test".into()), leave_one_out: true, ..Default::default() };
    let json = serde_json::to_string(&settings).expect("json");
    let cli = run_settings(&support::read_dataset("schuetz"), &settings).expect("analysis");
    let cli_loo = serde_json::to_value(&cli.influence.as_ref().expect("influence").loo).expect("json");
    let mut expect = cli.clone();
    expect.influence = None;
    let expect = serde_json::to_value(&expect).expect("json");
    let cli_compat = serde_json::to_value(compat_view(&cli)).expect("json");
    for parts in [1, 2, 3] {
        let mut loo: Vec<Option<LooRow>> = vec![None; 108];
        for part in 0..parts {
            let mut job = AnalysisJob::new(&text, &json, part, parts, true).expect("job");
            let clock = ticking();
            let mut m = shown(messages(|| job.step(&clock))).into_iter();
            if part == 0 {
                let auc = m.next().expect("auc");
                // One message per subgroup (CT, MRI), then the rest of the later stages.
                let levels = vec![m.next().expect("CT"), m.next().expect("MRI")];
                let later = m.next().expect("later stages");
                let a = page_analysis(&text, &settings, auc, levels, later);
                let got = serde_json::to_value(&a).expect("json");
                assert_eq!(
                    difference(&got, &expect, ""),
                    None,
                    "{parts} parts {}",
                    got["dispersion"][1]["analysis"]
                );
                let Some(Message::Compat(c)) = m.next() else { panic!("no compatibility view") };
                assert_eq!(serde_json::to_value(&*c).expect("json"), cli_compat);
            }
            for msg in m {
                let Message::Loo { start, rows, total } = msg else { panic!("unexpected {msg:?}") };
                assert_eq!(total, 108);
                assert!(!rows.is_empty() && rows.len() < 108, "refits come in slices");
                for (i, r) in rows.into_iter().enumerate() {
                    assert!(loo[start + i].replace(r).is_none(), "row {} twice", start + i);
                }
            }
        }
        let loo: Vec<LooRow> = loo.into_iter().map(|r| r.expect("every row refitted")).collect();
        assert_eq!(serde_json::to_value(&loo).expect("json"), cli_loo, "{parts} workers");
    }
    // Without leave-one-out: the AUC interval, the later stages and the compatibility view only.
    let mut job = AnalysisJob::new(&text, &json, 0, 1, false).expect("job");
    let clock = ticking();
    let m = shown(messages(|| job.step(&clock)));
    assert!(
        matches!(
            m.as_slice(),
            [
                Message::Auc { .. },
                Message::Subgroup(_),
                Message::Subgroup(_),
                Message::Later(_),
                Message::Compat(_)
            ]
        ),
        "{m:?}"
    );
}

/// Part 0 alone (no leave-one-out): every message, stage markers left out.
fn part0(text: &str, settings: &AnalysisSettings) -> Vec<Message> {
    let json = serde_json::to_string(settings).expect("json");
    let mut job = AnalysisJob::new(text, &json, 0, 1, false).expect("job");
    let clock = ticking();
    shown(messages(|| job.step(&clock)))
}

#[test]
fn later_stages_with_comparison_and_models_are_the_clis() {
    // The comparison of CT and MRI with the HSROC meta-regression on the test column, decoded as
    // the page decodes them and put together as the page does: the CLI's analysis exactly.
    let text = support::read_data_text("schuetz");
    let mut settings = AnalysisSettings::default();
    settings.comparison.test = Some("test".into());
    settings.models.hsroc_regression = true;
    let cli = run_settings(&support::read_dataset("schuetz"), &settings).expect("analysis");
    assert!(cli.comparison.is_some() && cli.models.is_some(), "the reference has both stages");
    let m = part0(&text, &settings);
    let [auc, later, Message::Compat(_)] = <[Message; 3]>::try_from(m).expect("three messages") else {
        panic!("no compatibility view")
    };
    let later: Message = from_bytes(&to_bytes(&later).expect("encode")).expect("decode");
    let a = page_analysis(&text, &settings, auc, Vec::new(), later);
    let (got, expect) = (serde_json::to_value(&a).expect("json"), serde_json::to_value(&cli).expect("json"));
    assert_eq!(difference(&got, &expect, ""), None);
}

#[test]
fn a_later_stage_that_cannot_run_is_said() {
    // A split threshold on a categorical grouping: the CLI refuses the analysis; the page keeps its
    // overall results and says why the subgroups are missing, in the fit report.
    let text = support::read_data_text("schuetz");
    let settings =
        AnalysisSettings { covariate: Some("test".into()), split_threshold: Some(1.0), ..Default::default() };
    let m = part0(&text, &settings);
    let Some(Message::Later(l)) = m.get(1) else { panic!("{m:?}") };
    assert!(l.subgroups.is_none() && l.meta_regression.is_none());
    assert_eq!(l.notes.len(), 1, "{:?}", l.notes);
    assert!(
        l.notes[0].starts_with("Subgroup analysis not possible: ") && l.notes[0].ends_with('.'),
        "{:?}",
        l.notes
    );
    assert!(l.notes[0].contains("test"), "names the column: {:?}", l.notes);
}

#[test]
fn leave_one_out_shares_cover_every_row_once() {
    use fourfold::worker::loo_share;
    for n in [0, 1, 2, 5, 14, 108, 1001] {
        for parts in 1..=4 {
            let shares: Vec<(usize, usize)> = (0..parts).map(|p| loo_share(n, p, parts)).collect();
            assert_eq!(shares[0].0, 0);
            assert_eq!(shares[parts - 1].1, n);
            assert!(shares.windows(2).all(|w| w[0].1 == w[1].0), "{n} rows, {parts} parts: {shares:?}");
            assert!(shares.iter().all(|(a, b)| a <= b));
        }
    }
    // schuetz with 2 refitting workers: part 0 computes the later stages, parts 1 and 2 refit.
    let three: Vec<_> = (0..3).map(|p| loo_share(108, p, 3)).collect();
    assert_eq!(three, [(0, 0), (0, 54), (54, 108)]);
    assert_eq!(loo_share(108, 0, 1), (0, 108));
}

#[test]
fn nothing_to_analyse_and_bad_settings() {
    let json = serde_json::to_string(&AnalysisSettings::default()).expect("json");
    let clock = ticking();
    let mut job = AnalysisJob::new("study,TP,FP,FN,TN\n", &json, 0, 1, true).expect("job");
    assert!(matches!(messages(|| job.step(&clock)).as_slice(), [Message::Nothing]));
    let bad = serde_json::to_string(&AnalysisSettings { ci_level: 1.5, ..Default::default() }).expect("json");
    let mut job = AnalysisJob::new(&support::read_data_text("audit4"), &bad, 0, 1, true).expect("job");
    assert!(matches!(messages(|| job.step(&clock)).as_slice(), [Message::Nothing]));
    let err = AnalysisJob::new("x", "{not json", 0, 1, true).err().expect("refused");
    assert!(err.contains("settings could not be read"), "{err}");
}

#[test]
fn bayes_job_reports_progress_then_the_cli_fit() {
    let settings = AnalysisSettings {
        model: Method::Laplace,
        auc_ci: AucCi::None,
        bayes: BayesSettings {
            model: Some(BayesModel::Bivariate),
            chains: 2,
            warmup: 200,
            draws: 200,
            ..BayesSettings::default()
        },
        ..Default::default()
    };
    let json = serde_json::to_string(&settings).expect("json");
    let cli = run_settings(&support::read_dataset("audit4"), &settings).expect("analysis");
    let mut job = BayesJob::new(&support::read_data_text("audit4"), &json).expect("job");
    let clock = ticking();
    let m = messages(|| job.step(&clock));
    let (last, progress) = m.split_last().expect("messages");
    assert!(!progress.is_empty());
    let mut before = 0;
    for p in progress {
        let Message::BayesProgress { done, total } = p else { panic!("{p:?}") };
        assert!(*done > before && *done < *total && *total == 400);
        before = *done;
    }
    let Message::Bayes { block, sensitivity } = last else { panic!("{last:?}") };
    assert!(sensitivity.is_none());
    // Same seed, same draws: the worker's fit is the CLI's, bit for bit.
    assert_eq!(
        serde_json::to_value(&**block).expect("ok"),
        serde_json::to_value(cli.bayes.as_ref().expect("ok")).expect("ok")
    );
}
