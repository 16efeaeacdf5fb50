//! Stable-toolchain fuzzing: a deterministic mutation loop (xorshift) over `parse_table` and
//! `permalink::decode`, asserting that nothing panics. The cargo-fuzz targets in `fuzz/` do the
//! same with coverage guidance on nightly.
//!
//! `FOURFOLD_FUZZ_ITERS` (default 20 000 per target) and `FOURFOLD_FUZZ_SEED` (default 1) control
//! the run, e.g. `FOURFOLD_FUZZ_ITERS=1000000 cargo test --release --test fuzz_smoke -- --nocapture`.

use fourfold::data::parse::parse_table;
use fourfold::permalink::{decode, decode_payload, encode, encode_payload, wrap_payload};
use fourfold::report::grid::Grid;
use fourfold::settings::AnalysisSettings;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

mod support;

fn iters() -> u64 {
    std::env::var("FOURFOLD_FUZZ_ITERS").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(20_000)
}

struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let seed = std::env::var("FOURFOLD_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(1u64);
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Bytes that matter to the parser and the decoder.
const INTERESTING: &[u8] =
    b"\t,;\"\n\r 0123456789-+.eE%abcdTPFNstudy\xef\xbb\xbf\xc3\xa4\xff\x00\x80\x7f=_#v";
const MAX_LEN: usize = 1 << 16;

fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(8) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let i = rng.below(b.len() + 1);
                let n = 1 + rng.below(8);
                let ins: Vec<u8> = (0..n)
                    .map(|_| {
                        if rng.below(2) == 0 {
                            INTERESTING[rng.below(INTERESTING.len())]
                        } else {
                            rng.next() as u8
                        }
                    })
                    .collect();
                b.splice(i..i, ins);
            }
            3 if !b.is_empty() => {
                let i = rng.below(b.len());
                let n = 1 + rng.below(16.min(b.len() - i));
                b.drain(i..i + n);
            }
            4 => {
                let n = rng.below(b.len() + 1);
                b.truncate(n);
            }
            5 => {
                // Splice a chunk of another seed.
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let s = rng.below(other.len());
                    let n = 1 + rng.below(64.min(other.len() - s));
                    let i = rng.below(b.len() + 1);
                    b.splice(i..i, other[s..s + n].iter().copied());
                }
            }
            6 if !b.is_empty() => {
                // Duplicate a chunk (repeated rows / cells).
                let s = rng.below(b.len());
                let n = 1 + rng.below(128.min(b.len() - s));
                let chunk = b[s..s + n].to_vec();
                let i = rng.below(b.len() + 1);
                b.splice(i..i, chunk);
            }
            _ => {
                if !b.is_empty() {
                    let i = rng.below(b.len());
                    b[i] = rng.next() as u8;
                }
            }
        }
    }
    b.truncate(MAX_LEN);
    b
}

fn table_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let paths: Vec<std::path::PathBuf> =
        support::all_data_sets().iter().map(|n| support::data_path(n)).collect();
    for p in paths {
        seeds.push(std::fs::read(p).expect("read"));
    }
    for s in [
        "Study\tTP\tFP\tFN\tTN\tsetting\t\r\n\"Smith \"\"A\"\"\r\n2001\"\t10\t2\t3\t40\tprimary\t\r\nJones 2003\t1,234\t5\t6\t7\tsecondary\t\r\n\t\t\t\t\t\t\r\n",
        "study\ttp\tfp\tfn\ttn\tyear\nAlpha\t1\t2\t3\t4\t2001\nBeta\t5\t6\t7\t8\t2003",
        "Author\tTrue positives\tFalse positives\tFalse negatives\tTrue negatives\tcut-off\nMüller 2004\t12\t3\t4\t50\t2,5\n",
        "Study;TP;FP;FN;TN;prevalence;design\r\n\"Dupont; Martin 1999\";1.234;5;6;7;3,6;cohort\r\n",
        "\u{feff}\"Study\",\"TP\",\"FP\",\"FN\",\"TN\"\n\"Bradley et al,1998\",58,6,47,150\n",
        "A\t1\t2\t3\t4\nB\t5\t6\t7\t8\n",
        "1,2,3,4\n5,6,7,8\n",
        "study,TP,FP,FN,TN\nA,-1,x,,1.5\nB,0,0,0,0\nC,1,0,3,0\n",
    ] {
        seeds.push(s.as_bytes().to_vec());
    }
    seeds
}

fn run<F: Fn(&[u8])>(name: &str, seeds: &[Vec<u8>], target: F) {
    let n = iters();
    let mut rng = Rng::new();
    let start = Instant::now();
    let mut current = seeds[0].clone();
    for i in 0..n {
        // Usually mutate a fresh seed; sometimes keep stacking mutations on the last input.
        if i % 4 != 3 {
            current = seeds[rng.below(seeds.len())].clone();
        }
        current = mutate(&mut rng, &current, seeds);
        let input = current.clone();
        let result = catch_unwind(AssertUnwindSafe(|| target(&input)));
        if result.is_err() {
            panic!("{name}: panic at iteration {i} on input {:?}", String::from_utf8_lossy(&input));
        }
    }
    // Plus every seed untouched.
    for s in seeds {
        target(s);
    }
    println!("fuzz {name}: {n} executions in {:.2} s", start.elapsed().as_secs_f64());
}

#[test]
fn fuzz_parse_table() {
    let seeds = table_seeds();
    run("parse_table", &seeds, |b| {
        let o = parse_table(&String::from_utf8_lossy(b));
        // Invariants: one line per kept row, covariate columns as long as the study list.
        assert_eq!(o.row_lines.len(), o.dataset.studies.len());
        for c in &o.dataset.covariates {
            assert_eq!(c.values.len(), o.dataset.studies.len());
        }
        if let Some(c) = o.dataset.cluster {
            assert!(c < o.dataset.covariates.len());
        }
        // The page's grid is built from the parser's records: every study row is a grid row.
        let grid = Grid::from_table(&o.table);
        for line in &o.row_lines {
            assert!(grid.rows.iter().any(|r| r.line == *line), "study on line {line} has no grid row");
        }
        let _ = grid.to_text();
    });
}

#[test]
fn fuzz_permalink_decode() {
    // Seeds: links and raw bodies of every reference data set (parsed), with varied settings.
    let mut links: Vec<Vec<u8>> = Vec::new();
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    let settings = AnalysisSettings {
        covariate: Some("type".into()),
        cross: Some(("type".into(), "population".into())),
        excluded: vec!["x".into()],
        pretest: Some(0.25),
        split_threshold: Some(3.5),
        ..AnalysisSettings::default()
    };
    for s in table_seeds().iter().take(15) {
        let d = parse_table(&String::from_utf8_lossy(s)).dataset;
        links.push(encode(&d, &settings).into_bytes());
        bodies.push(encode_payload(&d, &AnalysisSettings::default()));
    }
    links.push(b"v9.abc".to_vec());
    links.push(b"#v1.".to_vec());
    let all: Vec<Vec<u8>> = links.iter().chain(bodies.iter()).cloned().collect();
    run("permalink_decode", &all, |b| {
        // Half the inputs go through the text path, half are raw bodies (which the Adler-32
        // checksum would otherwise shield from mutation); a quarter of those through the full path.
        if b.first() == Some(&b'v') || b.first() == Some(&b'#') {
            let _ = decode(&String::from_utf8_lossy(b));
        } else {
            if let Ok((d, s)) = decode_payload(b) {
                // Whatever decodes survives a full round trip unchanged (compared as bytes: NaN ≠ NaN).
                let again = decode(&encode(&d, &s)).expect("re-encoded link decodes");
                assert_eq!(encode_payload(&again.0, &again.1), encode_payload(&d, &s));
            }
            if b.len() % 4 == 0 {
                let _ = decode(&wrap_payload(b));
            }
        }
    });
}
