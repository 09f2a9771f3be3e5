//! The one way to build the plugins workspace (`plugins/`) for `wasm32-wasip2`, shared by
//! `cargo xtask plugins`, the black-box suites and the runtime's tests.
//!
//! The build is `--locked` (a build never rewrites `plugins/Cargo.lock`) and goes to the target
//! folder cargo itself resolves for `plugins/` (`CARGO_TARGET_DIR`, a `build.target-dir` setting,
//! or `plugins/target`), passed again as `--target-dir`; the folder returned is inside it, so what
//! is read is always what was just built.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

pub mod js;
pub mod python;

/// The target triple plugins build for.
pub const TRIPLE: &str = "wasm32-wasip2";

/// Why the plugins could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Cargo could not be started.
    #[error(
        "cannot start `{cargo} {action}` for {manifest}: {source}; is cargo on PATH (or CARGO set)?"
    )]
    Start {
        /// The cargo program tried.
        cargo: String,
        /// `metadata` or `build`.
        action: &'static str,
        /// The plugins' `Cargo.toml`.
        manifest: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// `cargo metadata` failed or did not name a target folder.
    #[error("`cargo metadata` for {manifest} did not give the target folder: {detail}")]
    Metadata {
        /// The plugins' `Cargo.toml`.
        manifest: PathBuf,
        /// Cargo's error output, or what was missing.
        detail: String,
    },
    /// The build itself failed (its errors are on stderr above).
    #[error(
        "building the plugins ({manifest}) for {TRIPLE} failed ({status}); if Cargo.lock is out of \
         date, run `cargo update --manifest-path {manifest} --workspace`"
    )]
    Build {
        /// The plugins' `Cargo.toml`.
        manifest: PathBuf,
        /// How cargo exited.
        status: ExitStatus,
    },
}

/// How much cargo prints while building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Cargo's usual progress lines (the xtask).
    Progress,
    /// Only errors (`--quiet`, for tests).
    Quiet,
}

/// The cargo to run: `CARGO` (set by cargo for everything it runs), else `cargo` on PATH.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// The target folder cargo uses for the workspace at `manifest`, as `cargo metadata` reports it
/// (run from the manifest's folder, so the same configuration files apply as to the build).
pub fn target_dir(manifest: &Path) -> Result<PathBuf, Error> {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let output = Command::new(cargo())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(manifest)
        .current_dir(dir)
        .output()
        .map_err(|source| Error::Start {
            cargo: cargo(),
            action: "metadata",
            manifest: manifest.to_path_buf(),
            source,
        })?;
    let metadata_error = |detail: String| Error::Metadata {
        manifest: manifest.to_path_buf(),
        detail,
    };
    if !output.status.success() {
        return Err(metadata_error(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|err| metadata_error(format!("its output is not JSON: {err}")))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| metadata_error("no `target_directory` in its output".to_owned()))
}

/// Builds every plugin of the workspace at `manifest` (`plugins/Cargo.toml`) in release for
/// [`TRIPLE`], `--locked`, and returns the folder holding the `.wasm` files (a crate `foo-bar`
/// builds `foo_bar.wasm`). A no-op for cargo when nothing changed.
pub fn build(manifest: &Path, output: Output) -> Result<PathBuf, Error> {
    let target_dir = target_dir(manifest)?;
    let mut command = Command::new(cargo());
    command.args(["build", "--release", "--locked", "--target", TRIPLE]);
    if output == Output::Quiet {
        command.arg("--quiet");
    }
    let status = command
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(manifest.parent().unwrap_or(Path::new(".")))
        .status()
        .map_err(|source| Error::Start {
            cargo: cargo(),
            action: "build",
            manifest: manifest.to_path_buf(),
            source,
        })?;
    if !status.success() {
        return Err(Error::Build {
            manifest: manifest.to_path_buf(),
            status,
        });
    }
    Ok(target_dir.join(TRIPLE).join("release"))
}
