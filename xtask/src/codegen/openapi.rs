//! `schema/openapi.json`: the admin API's OpenAPI document, which utoipa generates from the admin
//! handlers and types of `crates/http`. The binary prints it (`smartreach-hooks openapi`), so
//! xtask does not link the host and its plugin engine.
//!
//! The binary is built as `cargo test --workspace` builds it (`--no-run`): with the features of the
//! whole workspace, so that the test run that follows in `cargo xtask test` reuses every artifact
//! instead of building wasmtime a second time with another feature set.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::Generated;

/// Builds the server, runs its hidden `openapi` command and returns its output.
pub fn generate() -> Result<Generated> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["test", "--workspace", "--no-run", "--quiet"])
        .current_dir(crate::workspace_root())
        .status()
        .context("running `cargo test --workspace --no-run`")?;
    if !status.success() {
        bail!("building the workspace for `smartreach-hooks openapi` failed ({status})");
    }
    let binary = crate::target_dir()?
        .join("debug")
        .join(format!("smartreach-hooks{}", std::env::consts::EXE_SUFFIX));
    let output = Command::new(&binary)
        .arg("openapi")
        .output()
        .with_context(|| format!("running `{} openapi`", binary.display()))?;
    if !output.status.success() {
        bail!(
            "`smartreach-hooks openapi` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(Generated {
        path: PathBuf::from("schema/openapi.json"),
        contents: String::from_utf8(output.stdout).context("the OpenAPI document is not UTF-8")?,
    })
}
