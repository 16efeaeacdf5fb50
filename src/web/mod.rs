//! The wasm shell (placeholder until the page issue).
