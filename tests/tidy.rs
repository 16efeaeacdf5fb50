//! Architecture checks (see the code map and "Architecture invariants" in `src/lib.rs`):
//!
//! * **import direction**: every `crate::…` / `super::…` path (and `fourfold::…` in the binary) in
//!   a file under `src/` goes into a top-level module that the code map's "may use" column allows
//!   for the file's own module. The table in `src/lib.rs` is the single source of truth; it must
//!   name every top-level module under `src/`, and it must respect the fixed rules
//!   ([`NEVER`]).
//! * **pure core**: `src/stats` and `src/data` never mention the DOM, drawing, the file system or
//!   stdout (a word check, comments included).
//!
//! The path scanner ignores comments, string and char literals; it resolves `super::` through the
//! file's module path and its inline `mod NAME { … }` blocks.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The rules (#10): these imports are wrong whatever the code map says.
const NEVER: [(&str, &[&str]); 3] = [
    ("stats", &["web", "report", "plot", "analysis", "settings"]),
    ("data", &["web", "report", "plot", "analysis", "settings"]),
    ("plot", &["web", "stats"]),
];

/// Known violations, `(file, imported module, why it is still there)`. Each entry must still be
/// needed (the test fails when it is not, so the list only shrinks).
const KNOWN_OFFENDERS: [(&str, &str, &str); 0] = [];

const FORBIDDEN_WORDS: [&str; 5] = ["web_sys", "plotters", "std::fs", "wasm_bindgen", "println!"];
const PURE_DIRS: [&str; 2] = ["src/stats", "src/data"];

// ------------------------------------------------------------------------------------- scanner

/// `src` with comments and the contents of string / char literals replaced by spaces (newlines
/// kept, so byte offsets and line numbers are unchanged).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in out.iter_mut().take(to.min(b.len())).skip(from) {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (1, i + 2);
                while j < b.len() && depth > 0 {
                    if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 2;
                    } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                blank(&mut out, i, j);
                i = j;
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let start = i + 2 + hashes;
                let end = src[start..].find(&close).map_or(b.len(), |n| start + n + close.len());
                blank(&mut out, start, end);
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i + 1, j);
                i = j + 1;
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
                if b.get(i + 1) == Some(&b'\\') {
                    let end = src.get(i + 3..).and_then(|t| t.find('\'')).map_or(b.len(), |n| i + 3 + n);
                    blank(&mut out, i + 1, end);
                    i = end + 1;
                } else if let Some(c) = src[i + 1..].chars().next() {
                    let after = i + 1 + c.len_utf8();
                    if b.get(after) == Some(&b'\'') {
                        blank(&mut out, i + 1, after);
                        i = after + 1;
                    } else {
                        i += 1;
                    }
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The identifier starting at `i` (after spaces), and the index after it.
fn ident_at(b: &[u8], mut i: usize) -> (String, usize) {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let start = i;
    while i < b.len() && is_ident(b[i]) {
        i += 1;
    }
    (String::from_utf8_lossy(&b[start..i]).into_owned(), i)
}

/// `::` at `i` (after spaces)? Returns the index after it.
fn colons_at(b: &[u8], mut i: usize) -> Option<usize> {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    (b.get(i) == Some(&b':') && b.get(i + 1) == Some(&b':')).then_some(i + 2)
}

/// The first path segment of every item of the `{ … }` group starting at `i`.
fn group_heads(b: &[u8], i: usize) -> Vec<String> {
    let mut heads = Vec::new();
    let (mut depth, mut j, mut expect_head) = (0usize, i, true);
    while j < b.len() {
        match b[j] {
            b'{' => {
                depth += 1;
                expect_head = depth == 1;
                j += 1;
            }
            b'}' => {
                depth -= 1;
                j += 1;
                if depth == 0 {
                    break;
                }
            }
            b',' => {
                expect_head = depth == 1;
                j += 1;
            }
            c if is_ident(c) && expect_head => {
                let (id, next) = ident_at(b, j);
                heads.push(id);
                expect_head = false;
                j = next;
            }
            _ => j += 1,
        }
    }
    heads
}

/// One cross-module path: the 1-based line and the top-level module it goes into.
#[derive(Debug, PartialEq, Eq)]
struct Import {
    line: usize,
    target: String,
}

/// Every path in `src` (the text of a file whose module path is `module`, e.g. `["data",
/// "permalink"]`) that names a top-level module: `crate::X`, `crate::{X, …}`, `super::…` resolved
/// through `module` and the inline `mod` blocks, and `root::X` for each name in `roots` (the
/// binary's `fourfold::`). Only segments that resolve to the crate root count.
fn imports(module: &[&str], src: &str, roots: &[&str]) -> Vec<Import> {
    let code = code_only(src);
    let b = code.as_bytes();
    let line_of = |at: usize| 1 + b[..at].iter().filter(|&&c| c == b'\n').count();
    let mut out = Vec::new();
    // Inline modules: (name, brace depth at which its block closes).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_mod: Option<String> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'{' {
            depth += 1;
            if let Some(name) = pending_mod.take() {
                inline.push((name, depth));
            }
            i += 1;
            continue;
        }
        if c == b'}' {
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
            depth = depth.saturating_sub(1);
            i += 1;
            continue;
        }
        if c == b';' {
            pending_mod = None;
        }
        if !is_ident(c) || (i > 0 && (is_ident(b[i - 1]) || b[i - 1] == b'$')) {
            i += 1;
            continue;
        }
        let (word, next) = ident_at(b, i);
        // A path segment preceded by `::` is not a path start (`a::crate` does not occur, but
        // `x::super` neither).
        let preceded_by_colons = i >= 2 && &b[i - 2..i] == b"::";
        if word == "mod" {
            let (name, after) = ident_at(b, next);
            pending_mod = Some(name);
            i = after;
            continue;
        }
        let is_root = word == "crate" || roots.contains(&word.as_str());
        if !preceded_by_colons && (is_root || word == "super") {
            // Resolve the path prefix to a position in the module tree.
            let mut path: Vec<String> = module.iter().map(|s| s.to_string()).collect();
            path.extend(inline.iter().map(|(n, _)| n.clone()));
            let mut j = next;
            let mut ok = true;
            if is_root {
                path.clear();
            } else {
                // `super` (then possibly more `super`s).
                if path.pop().is_none() {
                    ok = false;
                }
                while let Some(after) = colons_at(b, j) {
                    let (seg, after_seg) = ident_at(b, after);
                    if seg != "super" {
                        break;
                    }
                    if path.pop().is_none() {
                        ok = false;
                    }
                    j = after_seg;
                }
            }
            if ok && path.is_empty() {
                if let Some(after) = colons_at(b, j) {
                    let mut k = after;
                    while k < b.len() && b[k].is_ascii_whitespace() {
                        k += 1;
                    }
                    let heads =
                        if b.get(k) == Some(&b'{') { group_heads(b, k) } else { vec![ident_at(b, k).0] };
                    for target in heads.into_iter().filter(|h| !h.is_empty() && h != "self") {
                        out.push(Import { line: line_of(i), target });
                    }
                }
            }
            i = j.max(next);
            continue;
        }
        i = next;
    }
    out
}

// ------------------------------------------------------------------------------------ code map

/// The code map of `src/lib.rs`: top-level module → the modules it may use (`everything` and `—`
/// expand to all other modules and to none).
fn code_map(lib_rs: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let rows: Vec<Vec<String>> = lib_rs
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("//!"))
        .map(str::trim)
        .skip_while(|l| !l.starts_with("| module |"))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect())
        .collect();
    if rows.is_empty() {
        return Err("no `| module | owns | may use |` table in the //! docs".into());
    }
    let first_code = |cell: &str| -> Option<String> {
        let start = cell.find('`')? + 1;
        let len = cell[start..].find('`')?;
        Some(cell[start..start + len].to_string())
    };
    let mut names = Vec::new();
    for r in &rows {
        let [m, _, _] = r.as_slice() else {
            return Err(format!("code-map row {r:?} does not have three columns"));
        };
        names.push(first_code(m).ok_or_else(|| format!("no `module` name in {m:?}"))?);
    }
    let mut map = BTreeMap::new();
    for (name, r) in names.iter().zip(&rows) {
        let uses = &r[2];
        let allowed: BTreeSet<String> = if uses.trim() == "everything" {
            names.iter().filter(|n| *n != name).cloned().collect()
        } else if uses.trim() == "—" {
            BTreeSet::new()
        } else {
            let list: BTreeSet<String> = uses.split(',').filter_map(|c| first_code(c.trim())).collect();
            if let Some(unknown) = list.iter().find(|m| !names.contains(m)) {
                return Err(format!("{name} may use `{unknown}`, which is not a row of the table"));
            }
            if list.is_empty() {
                return Err(format!("{name}: may-use cell {uses:?} names no module (write `—` for none)"));
            }
            list
        };
        if map.insert(name.clone(), allowed).is_some() {
            return Err(format!("module {name} has two rows"));
        }
    }
    for (m, forbidden) in NEVER {
        for f in forbidden {
            if map.get(m).is_some_and(|a| a.contains(*f)) {
                return Err(format!("the code map lets {m} use {f}, which issue #10 forbids"));
            }
        }
    }
    Ok(map)
}

/// The top-level module of `rel` (a path below `src/`): `data/parse.rs` → `data`, `cli.rs` and
/// `main.rs` → `cli`, `lib.rs` → none.
fn top_module(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    match name.as_str() {
        "lib" => None,
        "main" => Some("cli".into()),
        _ => Some(name),
    }
}

/// The module path of a file (`data/mod.rs` → `[data]`, `stats/glmm/fit.rs` → `[stats, glmm, fit]`).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> =
        rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if let Some(last) = parts.pop() {
        let stem = last.strip_suffix(".rs").unwrap_or(&last).to_string();
        if stem != "mod" {
            parts.push(stem);
        }
    }
    parts
}

/// Every forbidden import in the given files `(path below src/, text)`, as messages.
fn violations(map: &BTreeMap<String, BTreeSet<String>>, files: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (rel, text) in files {
        let Some(top) = top_module(rel) else { continue };
        let Some(allowed) = map.get(&top) else {
            out.push(format!("src/{}: module `{top}` is not in the code map of src/lib.rs", rel.display()));
            continue;
        };
        let mp = module_path(rel);
        let mp: Vec<&str> = mp.iter().map(String::as_str).collect();
        let roots: &[&str] = if top == "cli" { &["fourfold"] } else { &[] };
        for imp in imports(&mp, text, roots) {
            let is_module = map.contains_key(&imp.target);
            if !is_module || imp.target == top || allowed.contains(&imp.target) {
                continue;
            }
            out.push(format!("src/{}:{}: `{top}` imports `{}`", rel.display(), imp.line, imp.target));
        }
    }
    out
}

// ------------------------------------------------------------------------------------ the tree

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

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `src/` as (path below src/, text).
fn src_files() -> std::io::Result<Vec<(PathBuf, String)>> {
    let src = root().join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths)?;
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p)?;
            Ok((p.strip_prefix(&src).unwrap_or(&p).to_path_buf(), text))
        })
        .collect()
}

fn lib_code_map() -> BTreeMap<String, BTreeSet<String>> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("src/lib.rs");
    code_map(&lib).unwrap_or_else(|e| panic!("src/lib.rs code map: {e}"))
}

#[test]
fn code_map_lists_every_top_level_module() -> std::io::Result<()> {
    let map = lib_code_map();
    let on_disk: BTreeSet<String> = src_files()?.iter().filter_map(|(rel, _)| top_module(rel)).collect();
    let in_map: BTreeSet<String> = map.keys().cloned().collect();
    assert_eq!(in_map, on_disk, "the code map in src/lib.rs must have one row per top-level module in src/");
    Ok(())
}

#[test]
fn imports_follow_the_code_map() -> std::io::Result<()> {
    let map = lib_code_map();
    let found = violations(&map, &src_files()?);
    let is_known = |v: &str, (file, target, _): &(&str, &str, &str)| {
        v.starts_with(&format!("{file}:")) && v.ends_with(&format!("imports `{target}`"))
    };
    let new: Vec<&String> =
        found.iter().filter(|v| !KNOWN_OFFENDERS.iter().any(|k| is_known(v, k))).collect();
    assert!(
        new.is_empty(),
        "imports against the code map of src/lib.rs (\"may use\" column):\n{}",
        new.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
    let fixed: Vec<_> = KNOWN_OFFENDERS.iter().filter(|k| !found.iter().any(|v| is_known(v, k))).collect();
    assert!(fixed.is_empty(), "no longer offending, remove from KNOWN_OFFENDERS: {fixed:?}");
    Ok(())
}

#[test]
fn pure_core_mentions_no_io_dom_or_drawing() -> std::io::Result<()> {
    let mut files = Vec::new();
    for dir in PURE_DIRS {
        rust_files(&root().join(dir), &mut files)?;
    }
    assert!(!files.is_empty(), "no .rs files found under {PURE_DIRS:?}");
    let mut offences = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)?;
        for (n, line) in text.lines().enumerate() {
            for word in FORBIDDEN_WORDS.iter().filter(|w| line.contains(*w)) {
                let rel = file.strip_prefix(root()).unwrap_or(file);
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

// ------------------------------------------------------------------- the checker on planted code

const PLANTED_MAP: &str = "//! | module | owns | may use |
//! |---|---|---|
//! | [`data`] | input | — |
//! | [`stats`] | numbers | `data` |
//! | [`plot`] | drawing | — |
//! | [`report`] | tables | `data`, `stats`, `plot` |
//! | `web` (wasm32) | page | everything |
";

fn planted(rel: &str, text: &str) -> Vec<String> {
    let map = code_map(PLANTED_MAP).expect("planted map");
    violations(&map, &[(PathBuf::from(rel), text.to_string())])
}

#[test]
fn checker_finds_planted_violations() {
    // Plain, grouped, nested-group and fully qualified paths.
    assert_eq!(planted("stats/x.rs", "use crate::web::dom;\n"), ["src/stats/x.rs:1: `stats` imports `web`"]);
    assert_eq!(
        planted("stats/x.rs", "use crate::{data::Study,\n  report::{a, b}};\n"),
        ["src/stats/x.rs:1: `stats` imports `report`"]
    );
    assert_eq!(
        planted("plot/forest.rs", "fn f() { let x = crate::stats::mean(); }\n"),
        ["src/plot/forest.rs:1: `plot` imports `stats`"]
    );
    // `super` resolving to a sibling top-level module, from mod.rs, a file, and an inline module.
    assert_eq!(
        planted("data/mod.rs", "use super::report::x;\n"),
        ["src/data/mod.rs:1: `data` imports `report`"]
    );
    assert_eq!(
        planted("stats/glmm/fit.rs", "use super::super::super::plot::x;\n"),
        ["src/stats/glmm/fit.rs:1: `stats` imports `plot`"]
    );
    assert_eq!(
        planted("stats.rs", "mod unit {\n    use super::super::web::x;\n}\n"),
        ["src/stats.rs:2: `stats` imports `web`"]
    );
    // A module missing from the code map.
    assert_eq!(
        planted("extra.rs", "fn f() {}\n"),
        ["src/extra.rs: module `extra` is not in the code map of src/lib.rs"]
    );
}

#[test]
fn checker_accepts_allowed_and_non_imports() {
    let ok = "//! see [`crate::web::run`] and crate::report in prose\n\
              use super::glmm::fit; // crate::web in a comment\n\
              use crate::data::{Dataset, Study};\n\
              use crate::stats::x; /* crate::plot */\n\
              const S: &str = \"crate::web::x\";\n\
              const R: &str = r#\"crate::report\"#;\n\
              const C: char = '\"'; fn f<'a>(x: &'a str) -> &'a str { x }\n\
              mod unit { use super::*; use super::super::data::Study; }\n";
    assert_eq!(planted("stats/summary.rs", ok), Vec::<String>::new());
    // `web` may use everything, `report` its listed modules.
    assert!(planted("web/mod.rs", "use crate::{report, plot, stats, data};").is_empty());
    assert!(planted("report/mod.rs", "use crate::plot::x; use crate::stats::y;").is_empty());
}

#[test]
fn code_map_rejects_bad_tables() {
    let forbidden = PLANTED_MAP.replace("| [`plot`] | drawing | — |", "| [`plot`] | drawing | `stats` |");
    assert!(code_map(&forbidden).unwrap_err().contains("plot use stats"));
    let unknown = PLANTED_MAP.replace("| [`data`] | input | — |", "| [`data`] | input | `settings` |");
    assert!(code_map(&unknown).unwrap_err().contains("not a row"));
    assert!(code_map("//! no table here").is_err());
}
