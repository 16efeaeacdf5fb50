//! RevMan 5 review files (`.rm5`): the XML file RevMan 5 saves a Cochrane review in. Of a
//! diagnostic test accuracy review (`<COCHRANE_REVIEW TYPE="DIAGNOSTIC">`) this reads the 2×2
//! tables of every test and turns them into the tab-separated text the data box and the CLI read
//! (`study, year[, test], TP, FP, FN, TN`), with a `#` comment line saying what was read.
//!
//! RevMan 5's XML schema is not published. The layout read here is the one public parsers of
//! real `.rm5` files rely on: Cochrane Schizophrenia's DR-RAPTOR
//! (github.com/CochraneSchizophrenia/RAPTOR, `DR-RAPTOR_run_locally.py`, `Diagnostic_RAPTOR.ipynb`):
//!
//! | path | read |
//! |---|---|
//! | root `COCHRANE_REVIEW` | attribute `TYPE` (`DIAGNOSTIC`; `INTERVENTION` reviews are refused with a message) |
//! | `COVER_SHEET/TITLE` | text: the review's title, in the comment line |
//! | `STUDIES_AND_REFERENCES/STUDIES/INCLUDED_STUDIES/STUDY` | attributes `ID`, `NAME` (the label), `YEAR` |
//! | `ANALYSES_AND_DATA/TESTS/TEST` | attribute `ID`; child texts `NAME` (the test's label), `FULL_NAME` |
//! | `…/TEST/TEST_DATA/TEST_DATA_ENTRY` | attributes `STUDY_ID`, `TP`, `FP`, `FN`, `TN` |
//!
//! RevMan also stores each entry's `SENSITIVITY`, `SPECIFICITY` and their CI limits (computed
//! from the counts; recomputed here, not read), the QUADAS-2 items (`QUALITY_ITEMS/QUALITY_ITEM`
//! with `QUALITY_ITEM_DATA_ENTRY RESULT=… STUDY_ID=…`) and covariates. Those are not read: no
//! public source documents the values `RESULT` takes or where covariate values are stored.

use crate::data::error::{DataError, DataErrorKind};

/// Whether `bytes` look like a RevMan 5 review: after an optional BOM, XML declaration, comments
/// and white space, the first element is `<COCHRANE_REVIEW`. Cheap (reads at most the first 4 KiB)
/// and dependency-free, so the page can route a file to the reader without loading it.
pub fn looks_like_rm5(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            let Some(end) = r.find("?>") else { return false };
            rest = r[end + 2..].trim_start();
        } else if let Some(r) = rest.strip_prefix("<!--") {
            let Some(end) = r.find("-->") else { return false };
            rest = r[end + 3..].trim_start();
        } else {
            return rest.starts_with("<COCHRANE_REVIEW")
                && rest[16..].starts_with([' ', '>', '\t', '\r', '\n']);
        }
    }
}

fn fail(message: String) -> DataError {
    DataError::error(DataErrorKind::RevMan, message)
}

/// A RevMan 5 review (`.rm5` bytes) → tab-separated `study, year[, test], TP, FP, FN, TN` text
/// (a `test` column when two or more tests have data), preceded by a `#` comment line naming the
/// review, its tests and how many 2×2 tables were read.
///
/// # Errors
/// [`DataErrorKind::RevMan`] located at the file's line (and the element, in the message): the
/// bytes are not UTF-8 or not well-formed XML, the root is not `COCHRANE_REVIEW`, the review is
/// not a diagnostic one, a `TEST_DATA_ENTRY` has some but not all four counts or a count that is
/// not a whole number ≥ 0, or no test has any data.
#[cfg(feature = "rm5")]
pub fn rm5_to_text(bytes: &[u8]) -> Result<String, DataError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes))
        .map_err(|e| fail(format!("the RevMan file is not UTF-8 text (byte {})", e.valid_up_to() + 1)))?;
    let review = read::review(text)?;
    Ok(read::to_text(&review))
}

/// Without the `rm5` feature there is no XML reader.
#[cfg(not(feature = "rm5"))]
pub fn rm5_to_text(_bytes: &[u8]) -> Result<String, DataError> {
    Err(fail("this build does not read RevMan 5 files (built without the `rm5` feature)".to_string()))
}

#[cfg(feature = "rm5")]
mod read {
    use super::fail;
    use crate::data::error::DataError;
    use quick_xml::events::{BytesStart, Event};
    use quick_xml::XmlVersion;
    use std::collections::HashMap;

    pub struct Entry {
        pub study_id: String,
        pub counts: [u64; 4],
    }

    #[derive(Default)]
    pub struct Test {
        pub id: String,
        pub name: String,
        pub full_name: String,
        pub entries: Vec<Entry>,
    }

    #[derive(Default)]
    pub struct Review {
        pub title: String,
        /// `ID` → (`NAME`, `YEAR`).
        pub studies: HashMap<String, (String, String)>,
        pub tests: Vec<Test>,
        /// Entries without any of the four counts (RevMan's empty rows), skipped.
        pub empty: usize,
    }

    /// 1-based line of byte offset `pos`, counting newlines incrementally (linear overall).
    struct Lines<'a> {
        text: &'a [u8],
        at: usize,
        line: usize,
    }

    impl Lines<'_> {
        fn of(&mut self, pos: u64) -> usize {
            let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(self.text.len());
            if pos < self.at {
                self.at = 0;
                self.line = 1;
            }
            self.line += self.text[self.at..pos].iter().filter(|&&b| b == b'\n').count();
            self.at = pos;
            self.line
        }
    }

    fn attr(e: &BytesStart<'_>, name: &str, line: usize) -> Result<Option<String>, DataError> {
        for a in e.attributes() {
            let a = a.map_err(|err| {
                fail(format!("<{}>: malformed attribute ({err})", elem_name(e))).at_line(line)
            })?;
            if a.key.as_ref() == name {
                let v = a
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_err(|err| fail(format!("<{} {name}=…>: {err}", elem_name(e))).at_line(line))?;
                return Ok(Some(v.trim().to_string()));
            }
        }
        Ok(None)
    }

    fn elem_name(e: &BytesStart<'_>) -> String {
        e.name().as_ref().to_string()
    }

    /// The element path a child's text belongs to (`TEST/NAME`, …).
    #[derive(Clone, Copy, PartialEq)]
    enum Capture {
        None,
        Title,
        TestName,
        TestFullName,
    }

    pub fn review(text: &str) -> Result<Review, DataError> {
        let mut reader = quick_xml::Reader::from_str(text);
        let mut lines = Lines { text: text.as_bytes(), at: 0, line: 1 };
        let mut stack: Vec<String> = Vec::new();
        let mut r = Review::default();
        let mut capture = Capture::None;
        let mut seen_root = false;
        loop {
            let pos = reader.buffer_position();
            let ev = match reader.read_event() {
                Ok(ev) => ev,
                Err(e) => {
                    let line = lines.of(reader.error_position());
                    let inside = stack.last().map(|s| format!(" inside <{s}>")).unwrap_or_default();
                    return Err(
                        fail(format!("the RevMan file is not well-formed XML{inside}: {e}")).at_line(line)
                    );
                }
            };
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(ev, Event::Empty(_));
                    let line = lines.of(pos);
                    let name = elem_name(e);
                    if !seen_root {
                        seen_root = true;
                        if name != "COCHRANE_REVIEW" {
                            return Err(fail(format!(
                                "not a RevMan 5 review: the root element is <{name}>, not <COCHRANE_REVIEW>"
                            ))
                            .at_line(line));
                        }
                        let kind = attr(e, "TYPE", line)?.unwrap_or_default();
                        if kind != "DIAGNOSTIC" {
                            let what = if kind.is_empty() {
                                "has no TYPE".to_string()
                            } else {
                                format!("is TYPE=\"{kind}\"")
                            };
                            return Err(fail(format!(
                                "<COCHRANE_REVIEW> {what}: Fourfold reads diagnostic test accuracy reviews (TYPE=\"DIAGNOSTIC\")"
                            ))
                            .at_line(line));
                        }
                    }
                    let parent = stack.last().map(String::as_str);
                    match (name.as_str(), parent) {
                        ("STUDY", Some("INCLUDED_STUDIES")) => {
                            let id = attr(e, "ID", line)?.unwrap_or_default();
                            let label = attr(e, "NAME", line)?.unwrap_or_default();
                            let year = attr(e, "YEAR", line)?.unwrap_or_default();
                            r.studies.insert(id, (label, year));
                        }
                        ("TEST", Some("TESTS")) => {
                            let id = attr(e, "ID", line)?.unwrap_or_default();
                            r.tests.push(Test { id, ..Test::default() });
                        }
                        ("NAME", Some("TEST")) if !empty => capture = Capture::TestName,
                        ("FULL_NAME", Some("TEST")) if !empty => capture = Capture::TestFullName,
                        ("TITLE", Some("COVER_SHEET")) if !empty => capture = Capture::Title,
                        ("TEST_DATA_ENTRY", _) if stack.iter().any(|s| s == "TEST") => {
                            entry(e, line, &mut r)?
                        }
                        _ => {}
                    }
                    if !empty {
                        stack.push(name);
                    }
                }
                Event::End(_) => {
                    stack.pop();
                    capture = Capture::None;
                }
                Event::Text(t) => push_text(&mut r, capture, &t.xml10_content()),
                Event::CData(t) => push_text(&mut r, capture, &t),
                Event::GeneralRef(g) => {
                    let s = match g.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => quick_xml::escape::resolve_predefined_entity(&g).unwrap_or("").to_string(),
                    };
                    push_text(&mut r, capture, &s);
                }
                Event::Eof => {
                    if let Some(open) = stack.last() {
                        let line = lines.of(u64::MAX);
                        return Err(fail(format!(
                            "the RevMan file is not well-formed XML: it ends inside <{open}> (cut short?)"
                        ))
                        .at_line(line));
                    }
                    break;
                }
                _ => {}
            }
        }
        if !seen_root {
            return Err(fail("the RevMan file holds no XML element".to_string()));
        }
        if r.tests.iter().all(|t| t.entries.is_empty()) {
            return Err(fail(format!(
                "the review has {} test(s) but no 2×2 data (no <TEST_DATA_ENTRY> with TP, FP, FN, TN under ANALYSES_AND_DATA/TESTS/TEST)",
                r.tests.len()
            )));
        }
        Ok(r)
    }

    fn push_text(r: &mut Review, capture: Capture, s: &str) {
        let slot = match capture {
            Capture::None => return,
            Capture::Title => &mut r.title,
            Capture::TestName => match r.tests.last_mut() {
                Some(t) => &mut t.name,
                None => return,
            },
            Capture::TestFullName => match r.tests.last_mut() {
                Some(t) => &mut t.full_name,
                None => return,
            },
        };
        slot.push_str(s);
    }

    fn entry(e: &BytesStart<'_>, line: usize, r: &mut Review) -> Result<(), DataError> {
        let study_id = attr(e, "STUDY_ID", line)?.unwrap_or_default();
        let test = r.tests.last().map(|t| clean(&t.name)).unwrap_or_default();
        let at = || {
            let t = if test.is_empty() { String::new() } else { format!(" of test \"{test}\"") };
            format!("<TEST_DATA_ENTRY STUDY_ID=\"{study_id}\">{t}")
        };
        let names = ["TP", "FP", "FN", "TN"];
        let mut raw = Vec::with_capacity(4);
        for n in names {
            raw.push(attr(e, n, line)?.filter(|v| !v.is_empty()));
        }
        if raw.iter().all(Option::is_none) {
            r.empty += 1;
            return Ok(());
        }
        let mut counts = [0u64; 4];
        for ((slot, v), n) in counts.iter_mut().zip(&raw).zip(names) {
            let Some(v) = v else {
                return Err(fail(format!(
                    "{} has no {n} (it has some of TP, FP, FN, TN but not all four)",
                    at()
                ))
                .at_line(line));
            };
            *slot = v
                .parse::<u64>()
                .ok()
                .or_else(|| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x < 1e15)
                        .map(|x| x as u64)
                })
                .ok_or_else(|| {
                    fail(format!("{}: {n}=\"{v}\" is not a whole number ≥ 0", at())).at_line(line)
                })?;
        }
        if let Some(t) = r.tests.last_mut() {
            t.entries.push(Entry { study_id, counts });
        }
        Ok(())
    }

    /// A cell: white space (tabs, newlines) collapsed to single spaces.
    fn clean(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The data box's text: a comment line, the header, one row per 2×2 table in file order.
    pub fn to_text(r: &Review) -> String {
        let with_data: Vec<&Test> = r.tests.iter().filter(|t| !t.entries.is_empty()).collect();
        let many = with_data.len() > 1;
        let label = |t: &Test| {
            [&t.name, &t.full_name, &t.id]
                .into_iter()
                .map(|s| clean(s))
                .find(|s| !s.is_empty())
                .unwrap_or_default()
        };
        let tables: usize = with_data.iter().map(|t| t.entries.len()).sum();
        let names: Vec<String> = with_data.iter().map(|t| format!("\"{}\"", label(t))).collect();
        let title = clean(&r.title);
        let mut out = format!(
            "# RevMan 5 review{}: {tables} 2x2 table(s) of {} test(s) ({}){}\n",
            if title.is_empty() { String::new() } else { format!(" \"{title}\"") },
            with_data.len(),
            names.join(", "),
            if r.empty > 0 { format!("; {} empty entr(ies) skipped", r.empty) } else { String::new() },
        );
        out.push_str(if many {
            "study\tyear\ttest\tTP\tFP\tFN\tTN\n"
        } else {
            "study\tyear\tTP\tFP\tFN\tTN\n"
        });
        for t in &with_data {
            for e in &t.entries {
                let (name, year) = match r.studies.get(&e.study_id) {
                    Some((n, y)) if !n.trim().is_empty() => (clean(n), clean(y)),
                    Some((_, y)) => (clean(&e.study_id), clean(y)),
                    None => (clean(&e.study_id), String::new()),
                };
                let [tp, fp, fn_, tn] = e.counts;
                if many {
                    out.push_str(&format!("{name}\t{year}\t{}\t{tp}\t{fp}\t{fn_}\t{tn}\n", label(t)));
                } else {
                    out.push_str(&format!("{name}\t{year}\t{tp}\t{fp}\t{fn_}\t{tn}\n"));
                }
            }
        }
        out
    }
}

#[cfg(all(test, feature = "rm5"))]
mod tests {
    use super::*;

    const MINI: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<COCHRANE_REVIEW TYPE="DIAGNOSTIC" QUADAS2="YES">
<COVER_SHEET><TITLE>Test &amp; review</TITLE></COVER_SHEET>
<STUDIES_AND_REFERENCES><STUDIES><INCLUDED_STUDIES>
<STUDY ID="STD-A-2001" NAME="A 2001" YEAR="2001"/>
<STUDY ID="STD-B-2002" NAME="B 2002" YEAR="2002"/>
</INCLUDED_STUDIES></STUDIES></STUDIES_AND_REFERENCES>
<ANALYSES_AND_DATA><TESTS>
<TEST ID="TST-001"><NAME>CT</NAME><FULL_NAME>Computed tomography</FULL_NAME>
<TEST_DATA><TEST_DATA_ENTRY FN="2" FP="3" STUDY_ID="STD-A-2001" TN="40" TP="10"/>
<TEST_DATA_ENTRY FN="1" FP="5" STUDY_ID="STD-B-2002" TN="30" TP="12"/></TEST_DATA></TEST>
</TESTS></ANALYSES_AND_DATA>
</COCHRANE_REVIEW>
"#;

    #[test]
    fn detects_and_reads_one_test() {
        assert!(looks_like_rm5(MINI.as_bytes()));
        assert!(!looks_like_rm5(b"study,TP,FP,FN,TN\n"));
        assert!(!looks_like_rm5(b"<COCHRANE_REVIEWS>"));
        let t = rm5_to_text(MINI.as_bytes()).unwrap();
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "# RevMan 5 review \"Test & review\": 2 2x2 table(s) of 1 test(s) (\"CT\")");
        assert_eq!(lines[1], "study\tyear\tTP\tFP\tFN\tTN");
        assert_eq!(lines[2], "A 2001\t2001\t10\t3\t2\t40");
        assert_eq!(lines[3], "B 2002\t2002\t12\t5\t1\t30");
    }

    #[test]
    fn errors_are_located() {
        let bad = MINI.replace("TP=\"12\"", "TP=\"1x\"");
        let e = rm5_to_text(bad.as_bytes()).unwrap_err();
        assert_eq!(e.line, Some(11));
        assert!(e.message.contains("STUDY_ID=\"STD-B-2002\"") && e.message.contains("TP=\"1x\""), "{e}");
        let bad = MINI.replace("</TEST_DATA></TEST>", "</TEST>");
        let e = rm5_to_text(bad.as_bytes()).unwrap_err();
        assert_eq!(e.line, Some(11), "{e}");
        let bad = MINI.replace("DIAGNOSTIC", "INTERVENTION");
        assert!(rm5_to_text(bad.as_bytes()).unwrap_err().to_string().contains("TYPE=\"INTERVENTION\""));
        let bad = MINI.replace(" TN=\"30\"", "");
        assert!(rm5_to_text(bad.as_bytes()).unwrap_err().to_string().contains("has no TN"));
    }
}
