//! `schema/openapi.json`: the admin API's OpenAPI document, which utoipa generates from the
//! server's handlers and types. The server prints it (`smartreach-hooks openapi`), so xtask does
//! not link the server and its plugin engine.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::Generated;

/// Runs the server's hidden `openapi` command and returns its output as the generated file.
pub fn generate() -> Result<Generated> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "run",
            "--quiet",
            "--package",
            "smartreach-hooks",
            "--bin",
            "smartreach-hooks",
            "--",
            "openapi",
        ])
        .current_dir(crate::workspace_root())
        .output()
        .context("running `cargo run --package smartreach-hooks -- openapi`")?;
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
