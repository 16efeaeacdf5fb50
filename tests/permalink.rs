//! Permalinks: exact round trips of every reference data set under every setting, the size bound
//! for a seed-sized analysis, and damaged / future / hostile links.

use fourfold::data::correction::{Correction, CorrectionRule};
use fourfold::data::parse::parse_table;
use fourfold::data::{Covariate, CovariateKind, CovariateValue, Dataset, Study};
use fourfold::permalink::{decode, decode_payload, encode, wrap_payload, PermalinkError, MAX_DECOMPRESSED};
use fourfold::settings::{AnalysisSettings, AucCi, CiMethod, Method as Model, RegionKind};

mod support;

fn datasets() -> Vec<(String, Dataset)> {
    let paths: Vec<std::path::PathBuf> =
        support::all_data_sets().iter().map(|n| support::data_path(n)).collect();
    paths
        .into_iter()
        .map(|p| {
            let o = parse_table(&std::fs::read_to_string(&p).expect("read"));
            assert!(o.errors.is_empty());
            (p.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string(), o.dataset)
        })
        .collect()
}

/// Default settings, each field varied alone, and everything varied at once (with awkward floats).
fn settings_variants(d: &Dataset) -> Vec<AnalysisSettings> {
    let base = AnalysisSettings::default();
    let first_cov = d.covariates.first().map(|c| c.name.clone());
    let mut v = vec![base.clone()];
    let mut push = |f: &dyn Fn(&mut AnalysisSettings)| {
        let mut s = base.clone();
        f(&mut s);
        v.push(s);
    };
    push(&|s| s.model = Model::Laplace);
    push(&|s| s.model = Model::Reitsma);
    push(&|s| s.nodes = u32::MAX);
    push(&|s| s.ci_level = 0.1 + 0.2);
    push(&|s| s.correction = Correction::new(CorrectionRule::All, 0.5));
    push(&|s| s.correction = Correction::new(CorrectionRule::None, 1.0 / 3.0));
    push(&|s| s.ci_method = CiMethod::Wilson);
    push(&|s| s.region = RegionKind::ChiSquare);
    push(&|s| s.covariate = Some("ÄÖÜ covariate ✓".to_string()));
    push(&|s| s.split_threshold = Some(-0.0));
    push(&|s| s.split_threshold = Some(f64::MIN_POSITIVE / 3.0));
    push(&|s| s.cross = Some(("type".to_string(), "population".to_string())));
    push(&|s| s.pretest = Some(0.123_456_789_012_345_68));
    push(&|s| s.excluded = vec!["a".to_string(), String::new(), "Ünïcödé [x]".to_string()]);
    push(&|s| s.auc_ci = AucCi::Delta);
    push(&|s| s.auc_ci = AucCi::None);
    push(&|s| s.risk_of_bias.low_risk = Some("overall".to_string()));
    push(&|s| s.models.hsroc_regression = true);
    push(&|s| s.models.cohort = Some("cohort label".to_string()));
    push(&|s| s.figures.labels = Some(fourfold::settings::FigureLabels::All));
    let labels: Vec<String> = d.studies.iter().take(3).map(|s| s.label.clone()).collect();
    v.push(AnalysisSettings {
        model: Model::Reitsma,
        nodes: 7,
        ci_level: 0.9,
        correction: Correction::new(CorrectionRule::All, 0.25),
        ci_method: CiMethod::Wilson,
        region: RegionKind::ChiSquare,
        covariate: first_cov.clone(),
        split_threshold: Some(3.6),
        cross: first_cov.map(|c| (c.clone(), c)),
        pretest: Some(0.2),
        excluded: labels,
        auc_ci: AucCi::Delta,
        leave_one_out: false,
        risk_of_bias: fourfold::settings::RiskOfBiasSettings { low_risk: Some("D2".to_string()) },
        // The Bayesian group (issue #16): model, priors and seed travel in the link's extension.
        bayes: fourfold::settings::BayesSettings {
            model: Some(fourfold::settings::BayesModel::LatentClass),
            priors: fourfold::settings::Priors {
                tau_sp: fourfold::settings::SdPrior::HalfCauchy { scale: 0.123_456_789_012_345_67 },
                ..Default::default()
            },
            reference: fourfold::settings::ReferencePriors { se_ref: (1.1, 0.3), ..Default::default() },
            seed: u64::MAX - 3,
            draws: 1500,
            ..Default::default()
        },
        models: fourfold::settings::ModelSettings {
            hsroc_regression: true,
            three_level: true,
            cohort: Some("c".to_string()),
            study_column: Some("s".to_string()),
        },
        findings: Default::default(),
        comparison: fourfold::settings::ComparisonSettings {
            test: Some("type".to_string()),
            paired_only: true,
        },
        // The figures' display options (issue #15): RevMan's SROC, zoom, hidden regions, labels.
        figures: fourfold::settings::FigureSettings {
            sroc_zoom: true,
            sroc_hidden_regions: vec![0, 2],
            labels: Some(fourfold::settings::FigureLabels::Outliers(3)),
            sroc_rectangles: true,
            sroc_specificity_axis: true,
            sroc_curve_observed: true,
            sroc_region_lines: true,
        },
    });
    v
}

fn bits(s: &AnalysisSettings) -> Vec<u64> {
    vec![
        s.ci_level.to_bits(),
        s.correction.increment.to_bits(),
        s.split_threshold.map_or(0, f64::to_bits),
        s.pretest.map_or(0, f64::to_bits),
    ]
}

#[test]
fn round_trip_every_dataset_and_setting() {
    let all = datasets();
    assert_eq!(all.len(), 15);
    let mut n = 0;
    for (name, d) in &all {
        for s in settings_variants(d) {
            let link = encode(d, &s);
            assert!(link.starts_with("v1."));
            assert!(link.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'));
            let (d2, s2) = decode(&link).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&d2, d, "{name}");
            assert_eq!(s2, s, "{name}");
            assert_eq!(bits(&s2), bits(&s), "{name}");
            // With a leading '#', as read from location.hash.
            assert_eq!(decode(&format!("#{link}")).map(|x| x.0), Ok(d.clone()));
            n += 1;
        }
    }
    assert_eq!(n, 15 * 22);
}

#[test]
fn covariate_floats_are_bit_exact() {
    let mut d = Dataset::from_studies(vec![
        Study::new("a", 1, 2, 3, 4),
        Study::new("b", 5, 6, 7, 8),
        Study::new("", 0, 0, 0, u64::MAX),
    ]);
    d.covariates.push(Covariate {
        name: "x".to_string(),
        kind: CovariateKind::Numeric,
        values: vec![CovariateValue::Number(-0.0), CovariateValue::Number(f64::MAX), CovariateValue::Missing],
    });
    d.covariates.push(Covariate {
        name: "mixed".to_string(),
        kind: CovariateKind::Categorical,
        values: vec![
            CovariateValue::Category("p".into()),
            CovariateValue::Number(1e-300),
            CovariateValue::Category("p".into()),
        ],
    });
    d.cluster = Some(1);
    let (d2, _) = decode(&encode(&d, &AnalysisSettings::default())).expect("round trip");
    assert_eq!(d2, d);
    assert_eq!(d2.covariates[0].number_of(0).map(f64::to_bits), Some((-0.0f64).to_bits()));
}

/// A seed-sized analysis: 68 rows, three covariates (two categorical, one numeric), labels like
/// "Zhang 2023 [ext]".
fn seed_sized() -> String {
    let names = [
        "Zhang", "Wang", "Li", "Liu", "Chen", "Yang", "Huang", "Müller", "Schmidt", "Smith", "Johnson",
        "Garcia", "Rossi", "Dupont", "Tanaka", "Suzuki", "Kim", "Park", "Nguyen", "Singh", "Kumar", "Silva",
        "Santos",
    ];
    let tags = ["ext", "int", "val", "dev"];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let mut text = String::from("study\tTP\tFP\tFN\tTN\tdesign\tsetting\tmean_age\n");
    for i in 0..68 {
        let name = names[next(names.len() as u64) as usize];
        let year = 2000 + next(25);
        let tag = tags[next(4) as usize];
        let (tp, fp, fn_, tn) = (next(300), next(120), next(60), next(900));
        let design = ["cohort", "case-control", "cross-sectional"][next(3) as usize];
        let setting = ["primary care", "secondary care", "tertiary"][next(3) as usize];
        let age = 40.0 + next(400) as f64 / 10.0;
        text.push_str(&format!(
            "{name} {year} [{tag}{i}]\t{tp}\t{fp}\t{fn_}\t{tn}\t{design}\t{setting}\t{age}\n"
        ));
    }
    text
}

#[test]
fn seed_sized_analysis_fits_in_2000_characters() {
    let o = parse_table(&seed_sized());
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    assert_eq!(o.dataset.studies.len(), 68);
    assert_eq!(o.dataset.covariates.len(), 3);
    assert_eq!(o.dataset.covariates[2].kind, CovariateKind::Numeric);
    let settings = AnalysisSettings {
        covariate: Some("design".into()),
        excluded: o.dataset.studies.iter().take(3).map(|s| s.label.clone()).collect(),
        pretest: Some(0.3),
        ..AnalysisSettings::default()
    };
    let link = encode(&o.dataset, &settings);
    println!("68-row permalink: {} characters", link.len());
    assert!(link.len() <= 2000, "{}", link.len());
    assert_eq!(decode(&link), Ok((o.dataset, settings)));
}

#[test]
fn damaged_links_are_refused() {
    let d = datasets().into_iter().find(|(n, _)| n == "smoking").expect("smoking").1;
    let link = encode(&d, &AnalysisSettings::default());
    // Every truncation.
    for cut in 0..link.len() {
        assert!(decode(&link[..cut]).is_err(), "cut at {cut}");
    }
    // Every single-character substitution in the payload (a few alphabet choices).
    let bytes = link.as_bytes();
    let mut n_err = 0;
    for i in 3..bytes.len() {
        for sub in [b'A', b'_', b'9'] {
            if bytes[i] == sub {
                continue;
            }
            let mut b = bytes.to_vec();
            b[i] = sub;
            let s = String::from_utf8(b).expect("ascii");
            // Adler-32 catches nearly everything; whatever decodes must still be well-formed.
            match decode(&s) {
                Err(_) => n_err += 1,
                Ok((d2, _)) => assert_eq!(
                    d2.studies.len(),
                    d2.covariates.first().map_or(d2.studies.len(), |c| c.values.len())
                ),
            }
        }
    }
    assert!(n_err > 0);
}

#[test]
fn specific_errors() {
    use PermalinkError as E;
    assert_eq!(decode(""), Err(E::Empty));
    assert_eq!(decode("#"), Err(E::Empty));
    assert_eq!(decode("hello"), Err(E::NoVersion));
    assert_eq!(decode("x1.abc"), Err(E::NoVersion));
    assert_eq!(decode("v.abc"), Err(E::NoVersion));
    assert_eq!(decode("v9.eJwDAAAAAAE"), Err(E::UnsupportedVersion("v9".into())));
    assert_eq!(
        decode("v9.x").expect_err("an error").to_string(),
        "this link uses format v9, which this version of Fourfold cannot read (it reads v1)"
    );
    assert_eq!(decode("v10.x"), Err(E::UnsupportedVersion("v10".into())));
    assert!(matches!(decode("v1.!!!"), Err(E::Base64(_))));
    assert!(matches!(decode("v1.AAAA"), Err(E::Corrupt(_))));
    assert!(matches!(decode("v1."), Err(E::Corrupt(_))));
    let long = "v1.".to_string() + &"A".repeat(7 << 20);
    assert!(matches!(decode(&long), Err(E::TooLong { .. })));
    // Zip bomb: 5 MiB of zeros compresses to a few kB.
    let bomb = wrap_payload(&vec![0u8; MAX_DECOMPRESSED + (1 << 20)]);
    assert!(bomb.len() < 20_000);
    assert_eq!(decode(&bomb), Err(E::TooLarge));
    assert_eq!(
        decode(&bomb).expect_err("an error").to_string(),
        "the link unpacks to more than 4 MiB; refused"
    );
}

#[test]
fn hostile_payloads() {
    use PermalinkError as E;
    let good = fourfold::permalink::encode_payload(&Dataset::default(), &AnalysisSettings::default());
    assert_eq!(decode_payload(&good), Ok((Dataset::default(), AnalysisSettings::default())));
    // Trailing garbage: an empty, unknown or cut-off extension section, or bytes after it.
    let mut t = good.clone();
    t.push(0);
    assert_eq!(
        decode(&wrap_payload(&t)),
        Err(E::Invalid("an empty extension section after the data".into()))
    );
    let mut t = good.clone();
    t.extend_from_slice(&[1, 3, b'a', b'b', b'c', 2, b'{', b'}']);
    assert_eq!(
        decode_payload(&t),
        Err(E::Invalid("unknown settings 'abc' (the link may come from a newer version of Fourfold)".into()))
    );
    let mut t = good.clone();
    t.extend_from_slice(&[1, 3, b'a']);
    assert_eq!(decode_payload(&t), Err(E::Truncated("an extension key")));
    let mut t = good.clone();
    t.extend_from_slice(&[2, 0, 0]);
    assert_eq!(decode_payload(&t), Err(E::Truncated("the extension settings")));
    // Unknown model.
    let mut t = good.clone();
    t[0] = 7;
    assert_eq!(decode_payload(&t), Err(E::Invalid("the model: unknown option 7".into())));
    // Settings followed by a study count of 2^62: refused before allocating.
    let settings_len = good.len() - 2; // dataset = varint 0 (k), varint 0 (n_cov), varint 0 (cluster)… minus 1
    let mut t = good[..settings_len - 1].to_vec();
    t.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]);
    assert_eq!(decode_payload(&t), Err(E::Truncated("the studies")));
    // An over-long varint.
    let mut t = good[..settings_len - 1].to_vec();
    t.extend_from_slice(&[0xff; 12]);
    assert!(matches!(decode_payload(&t), Err(E::Invalid(_))));
    // Empty body.
    assert_eq!(decode_payload(&[]), Err(E::Truncated("the model")));
    // Cluster index past the covariates.
    let mut t = good.clone();
    if let Some(last) = t.last_mut() {
        *last = 5;
    }
    assert_eq!(decode_payload(&t), Err(E::Invalid("the cluster column does not exist".into())));
}

/// Links written by the version before the settings redesign (commit 9216b8f, the same data sets
/// and settings, generated by that version's `permalink::encode`) still open to the same data and
/// settings, and give the numbers that version computed from them (within the reference tolerances): pooled sensitivity with its CI, specificity, DOR, AUC,
/// log-likelihood and the number of subgroup rows. Fixture: `tests/fixtures/permalinks_v1.txt`
/// (`name link se se_lo se_hi sp dor auc loglik n_subgroups`).
#[test]
fn links_of_the_previous_version_open_with_identical_numbers() {
    use fourfold::analysis::run_settings;
    let text = include_str!("fixtures/permalinks_v1.txt");
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 10, "{line}");
        let (d, s) = decode(f[1]).unwrap_or_else(|e| panic!("{}: {e}", f[0]));
        let a = run_settings(&d, &s).unwrap_or_else(|e| panic!("{}: {e}", f[0]));
        let fit = a.overall.fit.as_ref().expect("fit");
        let want: Vec<f64> = f[2..9].iter().map(|x| x.parse().expect("number")).collect();
        let got = [
            fit.summary.sensitivity.estimate,
            fit.summary.sensitivity.ci[0],
            fit.summary.sensitivity.ci[1],
            fit.summary.specificity.estimate,
            fit.summary.dor.estimate,
            fit.auc.as_ref().map_or(f64::NAN, |x| x.estimate),
            fit.model.loglik,
        ];
        for (g, w) in got.iter().zip(&want) {
            // Same inputs; the engine has been made faster since (issue #12), so equal up to its
            // roundings and the optimiser's stopping point.
            assert!((g - w).abs() <= support::tol::ENGINE_VERSION * w.abs().max(1.0), "{}: {g} vs {w}", f[0]);
        }
        let groups = a.subgroups.as_ref().map_or(0, |g| g.levels.len());
        assert_eq!(groups.to_string(), f[9], "{}", f[0]);
        // And the link this version writes for the same data and settings is the same link.
        assert_eq!(encode(&d, &s), f[1], "{}: v1 encoding changed", f[0]);
        n += 1;
    }
    assert_eq!(n, 5);
}
