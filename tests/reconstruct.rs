//! 2×2 reconstruction (METHODS §11): round trips on every reference data set, and the exact,
//! non-unique and inconsistent cases.

use fourfold::data::parse::parse_table;
use fourfold::data::reconstruct::{
    reconstruct, reconstruct_from_text, Metric, Reconstruction, Reported, Rounded, Status,
};
use fourfold::data::{DataErrorKind as K, Study};

mod support;

fn all_studies() -> Vec<(String, Study)> {
    let mut out = Vec::new();
    let paths: Vec<std::path::PathBuf> =
        support::all_data_sets().iter().map(|n| support::data_path(n)).collect();
    for p in paths {
        let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let o = parse_table(&std::fs::read_to_string(&p).expect("read"));
        assert!(o.errors.is_empty());
        for s in o.dataset.studies {
            out.push((name.clone(), s));
        }
    }
    out
}

/// The metric of `t` rounded to `d` decimals, as a paper would print it.
fn printed(m: Metric, t: &Study, d: u32) -> Rounded {
    let p = 10f64.powi(d as i32);
    // Round half up on the exact fraction: floor((2·p·num + den) / (2·den)).
    let (num, den) = m.fraction(t);
    let scaled = (2 * p as i128 * num + den) / (2 * den);
    Rounded::new(scaled as f64 / p, d)
}

fn counts(s: &Study) -> (u64, u64, u64, u64) {
    (s.tp, s.fp, s.fn_, s.tn)
}

#[derive(Default, Debug)]
struct Tally {
    exact: usize,
    non_unique: usize,
    not_identifiable: usize,
}

/// Rebuild `t` from `rep`. The true table always reproduces the printed metrics, so the search
/// can never be inconsistent; when it is unique it must be `t`.
fn round_trip(tally: &mut Tally, what: &str, t: &Study, rep: Reported) {
    match reconstruct(&rep) {
        Ok(Reconstruction { study, status, max_abs_deviation, .. }) => match status {
            Status::Exact => {
                tally.exact += 1;
                assert_eq!(counts(&study), counts(t), "{what}: {} {rep:?}", t.label);
            }
            Status::NonUnique { n_tables } => {
                tally.non_unique += 1;
                assert!(n_tables >= 2);
                assert!(max_abs_deviation < 0.5e-3, "{what}: {}", t.label);
            }
            Status::Inconsistent { .. } => {
                panic!("{what}: {} inconsistent: {rep:?} {status:?}", t.label)
            }
        },
        Err(e) => {
            assert_eq!(e.kind, K::NotIdentifiable, "{what}: {} {e}", t.label);
            tally.not_identifiable += 1;
        }
    }
}

#[test]
fn round_trip_every_reference_table() {
    use Metric as M;
    let studies = all_studies();
    assert_eq!(studies.len(), 484);
    let mut tallies: Vec<(&str, Tally)> = Vec::new();
    for d in [3u32, 4] {
        let mut t1 = Tally::default();
        let mut t2 = Tally::default();
        let mut t3 = Tally::default();
        let mut t4 = Tally::default();
        let mut t5 = Tally::default();
        let mut t6 = Tally::default();
        let mut t7 = Tally::default();
        let mut t8 = Tally::default();
        let mut t9 = Tally::default();
        let mut t10 = Tally::default();
        for (_, t) in &studies {
            let (n1, n0, n) = (t.n_diseased(), t.n_healthy(), t.n_total());
            if n1 == 0 || n0 == 0 {
                continue;
            }
            let r = |m| printed(m, t, d);
            let (se, sp) = (r(M::Sens), r(M::Spec));
            round_trip(
                &mut t1,
                "Se Sp n1 n0",
                t,
                Reported::SensSpecCounts { sens: se, spec: sp, n_pos: n1, n_neg: n0 },
            );
            round_trip(
                &mut t2,
                "Se Sp N prev",
                t,
                Reported::SensSpecTotalPrev { sens: se, spec: sp, total: n, prevalence: r(M::Prevalence) },
            );
            if t.tp + t.fp > 0 {
                round_trip(
                    &mut t3,
                    "Se Sp PPV N",
                    t,
                    Reported::SensSpecPpvTotal { sens: se, spec: sp, ppv: r(M::Ppv), total: n },
                );
            }
            if t.tn + t.fn_ > 0 {
                round_trip(
                    &mut t4,
                    "Se Sp NPV N",
                    t,
                    Reported::SensSpecNpvTotal { sens: se, spec: sp, npv: r(M::Npv), total: n },
                );
            }
            let acc = r(M::Accuracy);
            round_trip(
                &mut t5,
                "acc Se",
                t,
                Reported::AccuracySensCounts { accuracy: acc, sens: se, n_pos: n1, n_neg: n0 },
            );
            round_trip(
                &mut t6,
                "acc Sp",
                t,
                Reported::AccuracySpecCounts { accuracy: acc, spec: sp, n_pos: n1, n_neg: n0 },
            );
            if t.tp > 0 {
                let f1 = r(M::F1);
                round_trip(
                    &mut t7,
                    "F1 Se",
                    t,
                    Reported::F1SensCounts { f1, sens: se, n_pos: n1, n_neg: n0 },
                );
                round_trip(
                    &mut t8,
                    "F1 PPV",
                    t,
                    Reported::F1PpvCounts { f1, ppv: r(M::Ppv), n_pos: n1, n_neg: n0 },
                );
                round_trip(
                    &mut t9,
                    "Se PPV n1 N",
                    t,
                    Reported::SensPpvNposTotal { sens: se, ppv: r(M::Ppv), n_pos: n1, total: n },
                );
            }
            if t.fp > 0 && t.tn > 0 {
                round_trip(
                    &mut t10,
                    "LR+ LR-",
                    t,
                    Reported::LrCounts { lr_pos: r(M::LrPos), lr_neg: r(M::LrNeg), n_pos: n1, n_neg: n0 },
                );
            }
        }
        let names = [
            "Se Sp n1 n0",
            "Se Sp N prev",
            "Se Sp PPV N",
            "Se Sp NPV N",
            "acc Se",
            "acc Sp",
            "F1 Se",
            "F1 PPV",
            "Se PPV n1 N",
            "LR+ LR-",
        ];
        for (name, t) in names.into_iter().zip([t1, t2, t3, t4, t5, t6, t7, t8, t9, t10]) {
            println!("{d} decimals, {name}: {t:?}");
            tallies.push((name, t));
        }
    }
    // With four decimals, Se and Sp with both group sizes identify every table (n < 5000).
    let four_se_sp = &tallies[10].1;
    assert_eq!((four_se_sp.non_unique, four_se_sp.not_identifiable), (0, 0));
    assert!(tallies.iter().all(|(_, t)| t.exact > 0));
}

#[test]
fn exact_case_and_derivation() {
    let rep = Reported::SensSpecCounts {
        sens: Rounded::parse("0.87").expect("metric"),
        spec: Rounded::parse("0.80").expect("metric"),
        n_pos: 45,
        n_neg: 120,
    };
    let r = reconstruct(&rep).expect("identifiable");
    assert_eq!(counts(&r.study), (39, 24, 6, 96));
    assert_eq!(r.status, Status::Exact);
    assert_eq!(r.derivation, "from Se 0.87, Sp 0.80, n+ 45, n− 120");
    assert!((r.max_abs_deviation - (0.87 - 39.0 / 45.0)).abs() < 1e-12);
    let t = reconstruct_from_text("sens=0.87 spec=0.80 npos=45 nneg=120").expect("text");
    assert_eq!(t, r);
    let p = reconstruct_from_text("se=87% sp=80,0% n1=45 n0=120 label=Smith").expect("text");
    assert_eq!(counts(&p.study), (39, 24, 6, 96));
    assert_eq!(p.study.label, "Smith");
    assert_eq!(p.derivation, "from Se 87%, Sp 80.0%, n+ 45, n− 120");
}

#[test]
fn non_unique_case() {
    // Se 0.9 (1 decimal) with n1 = 100 admits TP = 85..94; Sp 0.8 with n0 = 50 admits TN = 38..42.
    let rep = Reported::SensSpecCounts {
        sens: Rounded::new(0.9, 1),
        spec: Rounded::new(0.8, 1),
        n_pos: 100,
        n_neg: 50,
    };
    let r = reconstruct(&rep).expect("ok");
    assert_eq!(r.status, Status::NonUnique { n_tables: 50 });
    assert_eq!(counts(&r.study), (90, 10, 10, 40));
    assert_eq!(r.max_abs_deviation, 0.0);
}

#[test]
fn inconsistent_case() {
    // With n1 = 10, Se can only be 0.8 or 0.9: 0.87 is impossible.
    let r = reconstruct_from_text("sens=0.87 spec=0.80 npos=10 nneg=120").expect("ok");
    match r.status {
        Status::Inconsistent { ref metric, by } => {
            assert_eq!(metric, "Se");
            assert!((by - 0.03).abs() < 1e-12, "{by}");
        }
        ref s => panic!("{s:?}"),
    }
    assert_eq!(counts(&r.study), (9, 24, 1, 96));
    // Prevalence contradicting N: 0.30 of 101 = 30.3 → n1 = 30 → then Se 0.95 needs TP/30 ∈ [0.945, 0.955).
    let r = reconstruct_from_text("sens=0.95 spec=0.90 n=101 prev=0.30").expect("ok");
    assert!(matches!(r.status, Status::Inconsistent { .. }), "{:?}", r.status);
}

#[test]
fn half_up_boundaries_are_exact() {
    // 173/200 = 0.865 exactly rounds up to 0.87; 175/200 = 0.875 rounds to 0.88, not 0.87.
    let r = Rounded::parse("0.87").expect("metric");
    assert!(r.matches(173, 200));
    assert!(!r.matches(175, 200));
    assert!(r.matches(174, 200));
    let p = Rounded::parse("87.5%").expect("metric");
    assert_eq!((p.decimals, p.percent), (3, true));
    assert!(p.matches(7, 8));
}

#[test]
fn other_combinations_by_hand() {
    // TP 40, FP 10, FN 5, TN 145: n1 45, n0 155, N 200.
    let cases = [
        "sens=0.8889 spec=0.9355 n=200 prev=0.225",
        "sens=0.8889 spec=0.9355 ppv=0.8 n=200",
        "sens=0.8889 spec=0.9355 npv=0.9667 n=200",
        "acc=0.925 sens=0.8889 npos=45 nneg=155",
        "acc=0.925 spec=0.9355 npos=45 nneg=155",
        "f1=0.8421 sens=0.8889 npos=45 nneg=155",
        "f1=0.8421 ppv=0.8 npos=45 nneg=155",
        "sens=0.8889 ppv=0.8000 npos=45 n=200",
        "lr+=13.7778 lr-=0.1188 npos=45 nneg=155",
    ];
    for c in cases {
        let r = reconstruct_from_text(c).expect(c);
        assert_eq!(counts(&r.study), (40, 10, 5, 145), "{c}");
        assert_eq!(r.status, Status::Exact, "{c}");
    }
}

#[test]
fn errors() {
    let e = reconstruct_from_text("sens=0.9 spec=1.0 ppv=1.0 n=100").expect_err("an error");
    assert_eq!(e.kind, K::NotIdentifiable);
    assert!(e.to_string().starts_with("with Sp = 1"), "{e}");
    let e = reconstruct_from_text("sens=1 spec=0.9 npv=1 n=100").expect_err("an error");
    assert_eq!(e.kind, K::NotIdentifiable);
    let e = reconstruct_from_text("sens=0.87 spec=0.80 n=100").expect_err("an error");
    assert_eq!(e.kind, K::NotIdentifiable);
    let e = reconstruct_from_text("sens=0.87 foo=1").expect_err("an error");
    assert_eq!(e.to_string(), "column \"foo\": unknown key \"foo\"");
    let e = reconstruct_from_text("sens=0.87 sens=0.9 spec=0.8 npos=1 nneg=2").expect_err("an error");
    assert_eq!(e.to_string(), "column \"sens\": \"sens\" is given twice");
    let e = reconstruct_from_text("sens=abc spec=0.8 npos=1 nneg=2").expect_err("an error");
    assert_eq!(e.to_string(), "column \"sens\": \"abc\" is not a number");
    let e = reconstruct_from_text("sens=1.2 spec=0.8 npos=10 nneg=20").expect_err("an error");
    assert_eq!(e.to_string(), "column \"Se\": sensitivity must lie between 0 and 1 (Se = 1.2 was given; write a percentage as a proportion, e.g. 0.87)");
    let e = reconstruct_from_text("sens=0.8 spec=0.8 npos=0 nneg=20").expect_err("an error");
    assert_eq!(e.to_string(), "column \"n+\": n+ must be at least 1");
    let e = reconstruct_from_text("lr+=2 lr-=2 npos=10 nneg=20").expect_err("an error");
    assert_eq!(e.kind, K::NotIdentifiable);
    let e = reconstruct_from_text("f1=0.9 ppv=0.4 npos=10 nneg=20").expect_err("an error");
    assert_eq!(e.kind, K::NotIdentifiable);
    let e = reconstruct_from_text("sens=0.8 spec=0.8 npos=99999999999 nneg=20").expect_err("an error");
    assert_eq!(e.kind, K::BadMetric);
}

#[test]
fn huge_search_is_refused_not_hung() {
    // N = 4e9 with one-decimal metrics: far beyond the search budget.
    let r = reconstruct(&Reported::SensSpecPpvTotal {
        sens: Rounded::new(0.9, 1),
        spec: Rounded::new(0.9, 1),
        ppv: Rounded::new(0.5, 1),
        total: 4_000_000_000,
    });
    assert_eq!(r.expect_err("an error").kind, K::SearchTooLarge);
}
