#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The text path (base64 → zlib → body) and the body decoder directly, which the Adler-32
    // checksum would otherwise shield from most mutations.
    let _ = fourfold::data::permalink::decode(&String::from_utf8_lossy(data));
    let _ = fourfold::data::permalink::decode_payload(data);
});
