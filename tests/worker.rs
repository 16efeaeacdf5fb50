//! The page's analysis worker (`fourfold::worker`): assembled from its messages (decoded from
//! MessagePack, as the page does), the page's analysis is the CLI's, whatever the number of
//! workers; a request without studies says so; the Bayesian job reports progress then the fit.

mod support;
use fourfold::analysis::run_settings;
use fourfold::settings::{AnalysisSettings, AucCi, BayesModel, BayesSettings, Method};
use fourfold::stats::influence::LooRow;
use fourfold::worker::{from_bytes, to_bytes, AnalysisJob, BayesJob, Message};

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

#[test]
fn the_workers_analysis_is_the_clis() {
    let text = support::read_data_text("schuetz");
    let settings = AnalysisSettings { covariate: Some("test".into()), leave_one_out: true, ..Default::default() };
    let json = serde_json::to_string(&settings).expect("json");
    let cli = run_settings(&support::read_dataset("schuetz"), &settings).expect("analysis");
    let cli_loo = serde_json::to_value(&cli.influence.as_ref().expect("influence").loo).expect("json");
    let mut expect = cli.clone();
    expect.influence = None;
    let expect = serde_json::to_value(&expect).expect("json");
    for parts in [1, 2, 3] {
        let mut loo: Vec<Option<LooRow>> = vec![None; 108];
        let mut completes = 0;
        for part in 0..parts {
            let mut job = AnalysisJob::new(&text, &json, part, parts, true).expect("job");
            let clock = ticking();
            for m in messages(|| job.step(&clock)) {
                match m {
                    Message::Complete { analysis, compat, groups_error, comparison_error } => {
                        assert_eq!(part, 0, "only part 0 sends the analysis");
                        assert_eq!(serde_json::to_value(&*analysis).expect("json"), expect);
                        assert!(compat.is_some() && groups_error.is_none() && comparison_error.is_none());
                        completes += 1;
                    }
                    Message::Loo { start, rows, total } => {
                        assert_eq!(total, 108);
                        assert!(!rows.is_empty() && rows.len() < 108, "refits come in slices");
                        for (i, r) in rows.into_iter().enumerate() {
                            assert!(loo[start + i].replace(r).is_none(), "row {} twice", start + i);
                        }
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert_eq!(completes, 1);
        let loo: Vec<LooRow> = loo.into_iter().map(|r| r.expect("every row refitted")).collect();
        assert_eq!(serde_json::to_value(&loo).expect("json"), cli_loo, "{parts} workers");
    }
    // Without leave-one-out: the analysis only.
    let mut job = AnalysisJob::new(&text, &json, 0, 1, false).expect("job");
    let clock = ticking();
    let m = messages(|| job.step(&clock));
    assert!(matches!(m.as_slice(), [Message::Complete { .. }]));
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
    assert_eq!(serde_json::to_value(&**block).unwrap(), serde_json::to_value(cli.bayes.as_ref().unwrap()).unwrap());
}
