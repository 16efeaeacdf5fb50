//! The likelihood kernel (METHODS §2.3–§2.6) against its own values before the speed work of
//! issue #12: per study `ℓ_i` within 1e-10 and the gradient of `ℓ` within 1e-8·max(1, |g|), on every
//! reference data set, at two parameter points, for m = 1, 5, 13, 25 and 51 nodes and two covariance
//! structures (`tests/fixtures/kernel_before.json`, written by the kernel before the change).
//!
//! Regenerate (only when a change of the numbers is intended):
//! `FOURFOLD_WRITE_KERNEL_BEFORE=1 cargo test --release --test kernel_before -- --ignored`.

mod support;
use fourfold::stats::glmm::fit::{problem, start_values, Design};
use fourfold::stats::glmm::likelihood::CovStructure;
use serde_json::{json, Map, Value};
use support::{all_data_sets, read_studies};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kernel_before.json");
const NODES: [usize; 5] = [1, 5, 13, 25, 51];
/// Per-study ℓ_i budget of a kernel change.
const ROW_TOL: f64 = 1e-10;
const GRAD_TOL: f64 = 1e-8;

fn cases(name: &str) -> Vec<(String, CovStructure, Vec<f64>)> {
    let s = read_studies(name);
    let st = start_values(&s);
    let moved = [st[0] + 0.3, st[1] - 0.2, st[2] + 0.25, st[3] - 0.15, st[4] + 0.4];
    vec![
        ("full-start".into(), CovStructure::Full, st.to_vec()),
        ("full-moved".into(), CovStructure::Full, moved.to_vec()),
        ("sens-only".into(), CovStructure::SensOnly, vec![st[0], st[1], st[2]]),
    ]
}

fn compute(name: &str) -> Value {
    let s = read_studies(name);
    let design = Design::intercepts(s.len());
    let mut out = Map::new();
    for (label, cov, theta) in cases(name) {
        for m in NODES {
            let p = problem(&s, &design, cov, m);
            let mut ws = p.workspace();
            let mut rows = vec![0.0; s.len()];
            let mut grad = vec![0.0; theta.len()];
            let v = match p.eval_rows(&theta, &mut ws, Some(&mut grad), None, Some(&mut rows)) {
                Ok(total) => json!({"total": total, "rows": rows, "grad": grad}),
                Err(e) => json!(format!("{e:?}")),
            };
            out.insert(format!("{label}/m={m}"), v);
        }
    }
    Value::Object(out)
}

#[test]
#[ignore = "writes the fixture; run with FOURFOLD_WRITE_KERNEL_BEFORE=1"]
fn write_kernel_before() {
    if std::env::var("FOURFOLD_WRITE_KERNEL_BEFORE").is_err() {
        return;
    }
    let mut all = Map::new();
    for name in all_data_sets() {
        all.insert(name.clone(), compute(&name));
    }
    let text = serde_json::to_string(&Value::Object(all)).expect("serialise");
    std::fs::write(FIXTURE, text + "\n").expect("write fixture");
}

#[test]
fn kernel_matches_before() {
    let text = std::fs::read_to_string(FIXTURE).expect("tests/fixtures/kernel_before.json");
    let before: Value = serde_json::from_str(&text).expect("fixture JSON");
    let mut fails = Vec::new();
    let (mut worst_row, mut worst_grad) = (0.0f64, 0.0f64);
    for name in all_data_sets() {
        let got = compute(&name);
        let Some(want) = before.get(&name).and_then(Value::as_object) else {
            fails.push(format!("{name}: not in the fixture"));
            continue;
        };
        for (case, w) in want {
            let g = &got[case];
            if w.is_string() || g.is_string() {
                if g != w {
                    fails.push(format!("{name} {case}: {g} vs before {w}"));
                }
                continue;
            }
            let nums = |v: &Value, k: &str| -> Vec<f64> {
                v[k].as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
            };
            for (i, (a, b)) in nums(g, "rows").iter().zip(nums(w, "rows")).enumerate() {
                let d = (a - b).abs();
                worst_row = worst_row.max(d);
                if d.is_nan() || d > ROW_TOL {
                    fails.push(format!("{name} {case} row {i}: ℓ_i {a} vs before {b} ({d:.2e})"));
                }
            }
            for (q, (a, b)) in nums(g, "grad").iter().zip(nums(w, "grad")).enumerate() {
                let d = (a - b).abs() / b.abs().max(1.0);
                worst_grad = worst_grad.max(d);
                if d.is_nan() || d > GRAD_TOL {
                    fails.push(format!("{name} {case} gradient {q}: {a} vs before {b} ({d:.2e})"));
                }
            }
        }
    }
    eprintln!("largest |Δℓ_i| {worst_row:.2e}, largest scaled gradient difference {worst_grad:.2e}");
    assert!(fails.is_empty(), "{} differences:\n{}", fails.len(), fails.join("\n"));
}
