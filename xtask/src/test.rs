//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{codegen, wasm_target, workspace_root};

/// Runs formatting, lint, codegen drift, the wasm build of the guest-side crates, and every test.
pub fn run() -> Result<()> {
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    println!("$ cargo xtask codegen --check");
    codegen::run(codegen::Mode::Check)?;
    wasm_target::ensure_installed()?;
    cargo(&[
        "build",
        "--package",
        "smartreach-models",
        "--target",
        wasm_target::TRIPLE,
    ])?;
    // CI=true makes insta fail on a missing or changed snapshot instead of writing it.
    cargo_with_env(&["test", "--workspace"], &[("CI", "true")])
}

fn cargo(args: &[&str]) -> Result<()> {
    cargo_with_env(args, &[])
}

fn cargo_with_env(args: &[&str], env: &[(&str, &str)]) -> Result<()> {
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
