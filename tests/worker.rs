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
use fourfold::worker::{apply_auc, AnalysisJob, BayesJob, Message};

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

/// The page's side of an analysis (`web::pipeline`): the stages it computes itself, with the
/// AUC interval from the worker.
fn page_analysis(text: &str, settings: &AnalysisSettings, auc: Message) -> fourfold::analysis::Analysis {
    let d = fourfold::data::parse_table(text).dataset;
    let staged = Staged::new(&d, &AnalysisConfig::try_from(settings).expect("settings")).expect("staged");
    let mut overall = staged.overall();
    let Message::Auc { auc, simplified } = auc else { panic!("{auc:?}") };
    apply_auc(&mut overall, auc, simplified);
    let groups = staged.groups().expect("groups");
    let (low_risk, models, comparison) =
        (staged.low_risk(), staged.models(), staged.comparison().expect("c"));
    let mut a = staged.finish(overall, groups, None);
    a.low_risk = low_risk;
    a.models = models;
    a.comparison = comparison;
    a
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
            let mut m = messages(|| job.step(&clock)).into_iter();
            if part == 0 {
                let auc = m.next().expect("auc");
                let a = page_analysis(&text, &settings, auc);
                assert_eq!(serde_json::to_value(&a).expect("json"), expect);
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
    // Without leave-one-out: the AUC interval and the compatibility view only.
    let mut job = AnalysisJob::new(&text, &json, 0, 1, false).expect("job");
    let clock = ticking();
    let m = messages(|| job.step(&clock));
    assert!(matches!(m.as_slice(), [Message::Auc { .. }, Message::Compat(_)]), "{m:?}");
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
