//! `cargo xtask fuzz [--seconds N] [TARGET...]`: builds the libFuzzer targets of `fuzz/` on the
//! stable toolchain and runs each for a bounded time over its committed corpus.
//!
//! cargo-fuzz would need a nightly toolchain for its sanitizer flags; libFuzzer itself only needs
//! the sanitizer-coverage instrumentation, which stable rustc exposes as codegen options. So the
//! build passes those flags itself, in its own target folder (instrumented artifacts must not mix
//! with the main build's).
//!
//! The committed corpus (`fuzz/corpus/TARGET/`) is read, never written: new inputs land in a
//! scratch folder, so a run leaves the work tree as it was. A crash is written to
//! `fuzz/artifacts/TARGET/` (ignored by git) and fails the task with the command that reproduces
//! it; a crash input becomes a regression test in the crate it broke.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::workspace_root;

/// The fuzz targets: `fuzz/fuzz_targets/NAME.rs`, each with `fuzz/corpus/NAME/`.
pub const TARGETS: [&str; 4] = ["parse", "allowed_host", "manifest", "signature"];

/// How long each target runs when `--seconds` is not given.
const DEFAULT_SECONDS: u32 = 20;

/// Flags that make rustc instrument for libFuzzer (what cargo-fuzz passes, minus sanitizers).
const RUSTFLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

/// Parses the arguments and fuzzes.
pub fn run(args: &[&str]) -> Result<()> {
    let mut seconds = DEFAULT_SECONDS;
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(&arg) = args.next() {
        match arg {
            "--seconds" => {
                let value = args.next().context("--seconds needs a number")?;
                seconds = value
                    .parse()
                    .with_context(|| format!("--seconds {value}: not a whole number"))?;
            }
            name if TARGETS.contains(&name) => targets.push(name),
            other => bail!(
                "unknown fuzz argument `{other}`; targets are {}",
                TARGETS.join(", ")
            ),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    fuzz(&targets, seconds)
}

/// Builds every target once, then runs `targets` for `seconds` each.
pub fn fuzz(targets: &[&str], seconds: u32) -> Result<()> {
    let root = workspace_root().join("fuzz");
    let target_dir = crate::target_dir()?.join("fuzz");
    let triple = host_triple()?;
    build(&root, &target_dir, &triple)?;
    let binaries = target_dir.join(&triple).join("release");
    for target in targets {
        run_target(&root, &binaries, target, seconds)?;
    }
    Ok(())
}

/// The host's target triple. Naming it explicitly makes cargo apply `RUSTFLAGS` to the fuzz
/// targets only, not to build scripts and proc macros (which must not be instrumented).
fn host_triple() -> Result<String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("running `rustc -vV`")?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .context("`rustc -vV` names no host triple")
}

fn build(root: &Path, target_dir: &Path, triple: &str) -> Result<()> {
    println!(
        "$ cargo build --release --locked --target {triple} (fuzz/, instrumented for libFuzzer)"
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--locked",
            "--bins",
            "--target",
            triple,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .env("RUSTFLAGS", RUSTFLAGS)
        .current_dir(root)
        .status()
        .context("starting cargo to build the fuzz targets")?;
    if !status.success() {
        bail!("building the fuzz targets failed ({status})");
    }
    Ok(())
}

fn run_target(root: &Path, binaries: &Path, target: &str, seconds: u32) -> Result<()> {
    let binary = binaries.join(target);
    let corpus = root.join("corpus").join(target);
    let scratch = tempfile::tempdir().context("creating a scratch corpus folder")?;
    let artifacts: PathBuf = root.join("artifacts").join(target);
    std::fs::create_dir_all(&artifacts)
        .with_context(|| format!("creating {}", artifacts.display()))?;
    println!("$ fuzz {target} for {seconds} s over {}", corpus.display());
    let output = Command::new(&binary)
        .arg(scratch.path())
        .arg(&corpus)
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!(
            "-artifact_prefix={}{}",
            artifacts.display(),
            std::path::MAIN_SEPARATOR
        ))
        // Bounded per input and in memory: a slow or hungry input is a finding too.
        .arg("-timeout=10")
        .arg("-rss_limit_mb=2048")
        .arg("-max_len=65536")
        .arg("-print_final_stats=1")
        .output()
        .with_context(|| format!("running {}", binary.display()))?;
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        eprintln!("{log}");
        bail!(
            "fuzz target `{target}` found a failing input (written under {}); reproduce with `{} \
             {}/INPUT`, then add the input as a regression test in the crate it broke",
            artifacts.display(),
            binary.display(),
            artifacts.display()
        );
    }
    let runs = log
        .lines()
        .find_map(|line| line.strip_prefix("stat::number_of_executed_units:"))
        .map_or("?", str::trim);
    println!("fuzz {target}: {runs} inputs, no failure");
    Ok(())
}
