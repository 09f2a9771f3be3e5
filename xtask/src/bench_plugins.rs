//! `cargo xtask bench-plugins`: what a plugin costs in each language, in release: cold compile,
//! cached load and per-event median, p99 and max of the Rust `crm-sync`, the TypeScript
//! `contact-upsert` and the Python `lead-score` (README, "Plugins in every language: cost").
//!
//! Builds the plugins of every language first (with progress, so a missing toolchain says so
//! here), then runs the runtime's `languages` bench (`crates/plugin-runtime/benches/
//! languages.rs`), which prints the table and, with `--json FILE`, writes the numbers.

use anyhow::{Context, Result, bail};

use crate::{cargo, plugins};

/// Usage of the task.
const USAGE: &str = "usage: cargo xtask bench-plugins [--events N] [--json FILE] [--only PLUGIN]";

/// Runs the task.
pub fn run(args: &[&str]) -> Result<()> {
    let mut bench_args = Vec::new();
    let mut args = args.iter();
    while let Some(&arg) = args.next() {
        match arg {
            "--events" | "--json" | "--only" => {
                let value = args
                    .next()
                    .with_context(|| format!("{arg} needs a value; {USAGE}"))?;
                if arg == "--events" && !value.parse::<usize>().is_ok_and(|n| n > 0) {
                    bail!("--events takes a positive count, not `{value}`");
                }
                let value = if arg == "--json" {
                    // The bench runs in the runtime crate's folder: hand it an absolute path.
                    std::path::absolute(value)
                        .with_context(|| format!("--json {value}"))?
                        .display()
                        .to_string()
                } else {
                    (*value).to_owned()
                };
                bench_args.push(arg.to_owned());
                bench_args.push(value);
            }
            _ => bail!("unknown argument `{arg}`; {USAGE}"),
        }
    }
    plugins::build()?;
    plugins::build_js()?;
    plugins::build_python()?;
    let mut command = vec![
        "bench",
        "--package",
        "smartreach-plugin-runtime",
        "--bench",
        "languages",
        "--",
    ];
    command.extend(bench_args.iter().map(String::as_str));
    cargo(&command)
}
