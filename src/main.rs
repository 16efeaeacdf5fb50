//! Target dispatch only. Natively this is the command-line interface `fourfold` (`src/cli.rs`);
//! on wasm32 the same bin is the web page's module (`fourfold::web::run`), built by trunk via
//! `data-bin="fourfold"` in `index.html`.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::run_cli(std::env::args().skip(1).collect()));
}

#[cfg(target_arch = "wasm32")]
fn main() {
    fourfold::web::run();
}
