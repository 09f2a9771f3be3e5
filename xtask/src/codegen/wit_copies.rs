//! The contract (`schema/wit/plugin.wit`) as the non-Rust SDKs ship it: a copy in each SDK, so
//! that a plugin builds against the SDK alone; and, for the Python SDK, whose world imports
//! `wasi:http` itself (`plugins/sdk/python/wit/python.wit`), the WASI 0.2 packages it needs, copied
//! from the `wasip2` crate the Rust SDK is built with (its version pinned by `Cargo.lock`), so that
//! every SDK speaks the same WASI version.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::{Generated, rust_preamble};

/// The contract, relative to the workspace root.
const CONTRACT: &str = "schema/wit/plugin.wit";
/// The copies, relative to the workspace root.
const COPIES: [&str; 2] = [
    "plugins/sdk/js/wit/plugin.wit",
    "plugins/sdk/python/wit/plugin.wit",
];
/// Where the WASI packages go, relative to the workspace root.
const WASI_DEPS: &str = "plugins/sdk/python/wit/deps";

pub(super) fn generate(root: &Path) -> Result<Vec<Generated>> {
    let wit = std::fs::read_to_string(root.join(CONTRACT))
        .with_context(|| format!("reading {CONTRACT}"))?;
    // WIT comments are `//`, like Rust's.
    Ok(COPIES
        .iter()
        .map(|path| Generated {
            path: path.into(),
            contents: format!("{}{wit}", rust_preamble(CONTRACT)),
        })
        .chain(wasi_deps(root)?)
        .collect())
}

/// `wit/deps/*.wit` of the `wasip2` crate in the host's `Cargo.lock`, each with a preamble.
fn wasi_deps(root: &Path) -> Result<Vec<Generated>> {
    let output = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root)
        .output()
        .context("running `cargo metadata`")?;
    if !output.status.success() {
        bail!(
            "`cargo metadata` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let Some(manifest) = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|package| package["name"] == "wasip2")
        .and_then(|package| package["manifest_path"].as_str())
    else {
        bail!("no `wasip2` package in `cargo metadata`: the Rust SDK depends on it");
    };
    let deps = Path::new(manifest)
        .parent()
        .context("wasip2's manifest has no folder")?
        .join("wit/deps");
    let mut files: Vec<_> = std::fs::read_dir(&deps)
        .with_context(|| format!("reading {}", deps.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|path| path.extension().is_some_and(|ext| ext == "wit"));
    files.sort();
    let source = |path: &Path| format!("the wasip2 crate's wit/deps/{}", file_name(path));
    files
        .iter()
        .map(|path| {
            let wit = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Ok(Generated {
                path: Path::new(WASI_DEPS).join(file_name(path)),
                contents: format!("{}{wit}", rust_preamble(&source(path))),
            })
        })
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}
