//! How the page's analysis worker (`src/bin/engine.rs`) hands results to the page: MessagePack
//! (rmp-serde) with named fields. Unlike JSON it keeps NaN and ±∞ (JSON writes them as `null`),
//! and it is not human-readable, so the types that JSON shows as one sentence (a fit's
//! termination, fallback, boundary, errors: `stats::text_for_people!`) travel structurally and read
//! back as the same values. Bytes cross the worker boundary as a transferred `ArrayBuffer`.

use serde::{de::DeserializeOwned, Serialize};

/// `v` as MessagePack bytes.
///
/// # Errors
/// The encoder's message (a map key that is not a string, which no result type has).
pub fn to_bytes<T: Serialize>(v: &T) -> Result<Vec<u8>, String> {
    crate::stats::while_transferring(|| rmp_serde::to_vec_named(v)).map_err(|e| format!("could not encode the result: {e}"))
}

/// A value from the bytes of [`to_bytes`].
///
/// # Errors
/// The decoder's message (bytes from another version of the program).
pub fn from_bytes<T: DeserializeOwned>(b: &[u8]) -> Result<T, String> {
    rmp_serde::from_slice(b).map_err(|e| format!("could not decode the result: {e}"))
}
