#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let o = fourfold::data::parse::parse_table(&text);
    assert_eq!(o.row_lines.len(), o.dataset.studies.len());
    for c in &o.dataset.covariates {
        assert_eq!(c.values.len(), o.dataset.studies.len());
    }
});
