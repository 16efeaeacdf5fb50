//! Native shell: arguments → file → data → stats → report → stdout. Exit codes: 0 ok, 2 input error.

pub fn run(args: Vec<String>) -> i32 {
    match args.first().map(String::as_str) {
        Some("--version") => {
            println!("fourfold {}", env!("CARGO_PKG_VERSION"));
            0
        }
        _ => {
            eprintln!("usage: fourfold analyze FILE [--model aghq|laplace|reitsma] [--nodes N] [--json]");
            2
        }
    }
}
