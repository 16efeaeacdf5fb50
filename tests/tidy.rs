//! Architecture check: the pure core (`src/stats`, `src/data`) never mentions the DOM, drawing,
//! the file system or stdout. See "Architecture invariants" in `src/lib.rs`.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

const FORBIDDEN: [&str; 5] = ["web_sys", "plotters", "std::fs", "wasm_bindgen", "println!"];
const PURE_DIRS: [&str; 2] = ["src/stats", "src/data"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

#[test]
fn pure_core_mentions_no_io_dom_or_drawing() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in PURE_DIRS {
        rust_files(&root.join(dir), &mut files)?;
    }
    assert!(!files.is_empty(), "no .rs files found under {PURE_DIRS:?}");
    let mut offences = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)?;
        for (n, line) in text.lines().enumerate() {
            for word in FORBIDDEN.iter().filter(|w| line.contains(*w)) {
                let rel = file.strip_prefix(root).unwrap_or(file);
                offences.push(format!("{}:{}: mentions `{word}`: {}", rel.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "src/stats and src/data must stay pure (no I/O, DOM, drawing or printing):\n{}",
        offences.join("\n")
    );
    Ok(())
}
