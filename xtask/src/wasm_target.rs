//! The `wasm32-wasip2` target that plugins and the guest-side crates build for.

use std::process::Command;

use anyhow::{Context, Result, bail};

/// The target triple of plugins.
pub use smartreach_plugin_build::TRIPLE;

/// Adds the target with rustup when the active toolchain lacks it.
pub fn ensure_installed() -> Result<()> {
    let output = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running `rustup target list --installed`; is rustup installed?")?;
    let installed = String::from_utf8_lossy(&output.stdout);
    if installed.lines().any(|line| line.trim() == TRIPLE) {
        return Ok(());
    }
    println!("$ rustup target add {TRIPLE}");
    let status = Command::new("rustup")
        .args(["target", "add", TRIPLE])
        .status()
        .context("running `rustup target add`")?;
    if !status.success() {
        bail!(
            "`rustup target add {TRIPLE}` failed ({status}); install the target by hand and retry"
        );
    }
    Ok(())
}
