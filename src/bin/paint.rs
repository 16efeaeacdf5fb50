//! The page's first paint, a wasm module of its own (`fourfold::web::paint`): loaded before the
//! page's full module (`www/boot.js`), built for size (`[profile.web]`). Natively it does nothing.

#[cfg(target_arch = "wasm32")]
fn main() {
    if let Err(e) = fourfold::web::paint::paint() {
        web_sys::console::warn_1(&e);
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("paint: this binary is the web page's first paint; use `fourfold` natively");
    std::process::exit(2);
}
