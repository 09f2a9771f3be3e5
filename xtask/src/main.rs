//! Project automation, run as `cargo xtask <task>` (alias in `.cargo/config.toml`).
//!
//! Tasks are ordinary Rust so that people can read what they do; nothing here runs at build time.

mod bench;
mod bench_console;
mod bench_plugins;
mod browser;
mod codegen;
mod conformance;
mod fuzz;
mod host;
mod plugins;
mod postgres;
mod run;
mod screenshots;
mod test;
mod wasm_target;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  bench             build in release, load the host over loopback, report throughput, latency,
                    deliveries/s and memory against the targets ([--duration SECS] [--connections N]
                    [--rate R] [--keep] [--json FILE] [--no-criterion]); --store postgres [--hosts N]
                    adds the same phases on PostgreSQL with 1 and N (2) hosts, side by side
  bench-console     the server time of every console page with 100,000 seeded events, release
                    ([--events N] [--samples K] [--binary PATH]: that host instead [--keep]
                    [--store sqlite|postgres])
  bench-plugins     cold compile, cached load and per-event time of the example plugin of each
                    language (Rust, TypeScript, Python), in release ([--events N] [--json FILE]
                    [--only PLUGIN])
  codegen           regenerate the committed generated files from schema/
  codegen --check   exit non-zero if a committed generated file is out of date
  conformance       check the host against its OpenAPI document with schemathesis (pinned, in a
                    virtualenv under the target folder) on a debug host holding data in every
                    table ([--keep]: keep the host's folder)
  fuzz              run the libFuzzer targets of fuzz/ on stable, 20 s each by default
                    ([--seconds N] [TARGET...])
  plugins           build the wasm plugins, install the examples in data/plugins/ (--out DIR)
  run               build the example plugins and start the host on the defaults (flags go to serve)
  screenshots       run the console's browser tests in headless Chromium, saving a PNG of each
                    console page (1280x900) in docs/screenshots/ (needs chromium, chromium-driver)
  test              everything CI runs: fmt, clippy, codegen --check, wasm build, all tests (the
                    browser tests skipped, saying so, without chromium outside CI), the
                    conformance run, fuzzing
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["bench", rest @ ..] => bench::run(rest),
        ["bench-console", rest @ ..] => bench_console::run(rest),
        ["bench-plugins", rest @ ..] => bench_plugins::run(rest),
        ["codegen"] => codegen::run(codegen::Mode::Write),
        ["codegen", "--check"] => codegen::run(codegen::Mode::Check),
        ["conformance", rest @ ..] => conformance::run(rest),
        ["fuzz", rest @ ..] => fuzz::run(rest),
        ["plugins", rest @ ..] => plugins::run(rest),
        ["run", rest @ ..] => run::run(rest),
        ["screenshots", rest @ ..] => screenshots::run(rest),
        ["test"] => test::run(),
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `cargo ARGS` in the workspace root, echoing the command; an error when it fails.
pub(crate) fn cargo(args: &[&str]) -> Result<()> {
    cargo_with_env(args, &[])
}

/// [`cargo`] with `env` added to cargo's environment.
pub(crate) fn cargo_with_env(args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    println!("$ cargo {}", args.join(" "));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(workspace_root())
        .status()
        .with_context(|| format!("starting `cargo {}`", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .expect("xtask is a direct child of the workspace root")
        .to_path_buf()
}

/// The cargo target folder, as cargo resolves it (`CARGO_TARGET_DIR`, config, or `target/`).
pub(crate) fn target_dir() -> Result<PathBuf> {
    let cargo_bin = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo_bin)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(workspace_root())
        .output()
        .context("running `cargo metadata`")?;
    if !output.status.success() {
        bail!(
            "`cargo metadata` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("parsing `cargo metadata`")?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("no target_directory in `cargo metadata`")
}
