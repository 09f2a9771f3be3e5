//! `cargo xtask plugins [--out DIR]`: builds the plugins workspace (`plugins/`) for
//! `wasm32-wasip2` and installs the example plugins, each with its manifest, in a plugin folder.
//!
//! The test-only plugins under `plugins/testing/` are built too (the host's tests load them from
//! the build output) but never installed. The TypeScript examples (`plugins/package.json`) are
//! built with npm ([`smartreach_plugin_build::js`]: `npm ci` from the committed lockfile when
//! needed, then each example's `npm run build`), the Python examples with componentize-py
//! ([`smartreach_plugin_build::python`]: pinned, installed with pip into a virtualenv under the
//! plugins' target folder when needed), and installed the same way.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::{wasm_target, workspace_root};

/// The example plugins: their folder under `plugins/`, which is also their installed name.
const EXAMPLES: [&str; 4] = ["crm-sync", "event-log", "slack-replies", "suppression"];

/// The host's default plugin folder, relative to the workspace root.
const DEFAULT_OUT: &str = "data/plugins";

/// Runs the task with its arguments (`[--out DIR]`).
pub fn run(args: &[&str]) -> Result<()> {
    let root = workspace_root();
    let out = match args {
        [] => root.join(DEFAULT_OUT),
        ["--out", dir] => PathBuf::from(dir),
        _ => bail!("usage: cargo xtask plugins [--out DIR]"),
    };
    let release = build()?;
    let mut built: Vec<(&str, PathBuf)> = EXAMPLES
        .iter()
        .map(|name| {
            (
                *name,
                release.join(format!("{}.wasm", name.replace('-', "_"))),
            )
        })
        .collect();
    built.extend(build_js()?);
    built.extend(build_python()?);
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    for (name, wasm) in built {
        install(&wasm, &out.join(format!("{name}.wasm")))?;
        let manifest = root.join("plugins").join(name).join("manifest.toml");
        install(&manifest, &out.join(format!("{name}.toml")))?;
    }
    Ok(())
}

/// Builds the Python examples (installing componentize-py, pinned, into a virtualenv under the
/// plugins' target folder when needed) and returns each one's name and `.wasm`.
pub fn build_python() -> Result<Vec<(&'static str, PathBuf)>> {
    let plugins = workspace_root().join("plugins");
    println!("$ componentize-py (pinned, in plugins' target/python/build) on the Python examples");
    Ok(smartreach_plugin_build::python::build(
        &plugins,
        smartreach_plugin_build::Output::Progress,
    )?)
}

/// Builds the TypeScript examples (installing their pinned toolchain with `npm ci` when needed)
/// and returns each one's name and `.wasm`.
pub fn build_js() -> Result<Vec<(&'static str, PathBuf)>> {
    let plugins = workspace_root().join("plugins");
    println!(
        "$ npm ci (when plugins/package-lock.json changed) && npm run build (TypeScript examples)"
    );
    Ok(smartreach_plugin_build::js::build(
        &plugins,
        smartreach_plugin_build::Output::Progress,
    )?)
}

/// Builds every plugin in release for `wasm32-wasip2` the one shared way
/// ([`smartreach_plugin_build::build`]: `--locked`, into the target folder cargo resolves) and
/// returns the folder holding the `.wasm` files; a crate `foo-bar` builds `foo_bar.wasm`.
pub fn build() -> Result<PathBuf> {
    wasm_target::ensure_installed()?;
    let manifest = workspace_root().join("plugins/Cargo.toml");
    println!(
        "$ cargo build --release --locked --target {} --manifest-path plugins/Cargo.toml",
        wasm_target::TRIPLE
    );
    Ok(smartreach_plugin_build::build(
        &manifest,
        smartreach_plugin_build::Output::Progress,
    )?)
}

/// Copies `from` to `to` when the bytes differ, and prints `to` with its size.
fn install(from: &Path, to: &Path) -> Result<()> {
    let bytes = fs::read(from).with_context(|| format!("reading {}", from.display()))?;
    let unchanged = fs::read(to).is_ok_and(|existing| existing == bytes);
    if !unchanged {
        fs::write(to, &bytes).with_context(|| format!("writing {}", to.display()))?;
    }
    let shown = to.strip_prefix(workspace_root()).unwrap_or(to);
    println!(
        "{:<32} {:>8.1} KiB{}",
        shown.display(),
        bytes.len() as f64 / 1024.0,
        if unchanged { "  (unchanged)" } else { "" }
    );
    Ok(())
}
