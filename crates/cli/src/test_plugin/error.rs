//! Why `test-plugin` could not run. A snapshot that differs is not an error: it is a
//! [`super::Summary`] that is not [`super::Summary::passed`].

use std::path::PathBuf;

use smartreach_plugin_runtime::{LoadError, RuntimeError};

/// What stopped a test run before or while its snapshots were checked.
#[derive(Debug, thiserror::Error)]
pub enum TestPluginError {
    /// The wasm engine could not start.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The plugin does not load; the message names the file and the problem.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The manifest is not valid.
    #[error(transparent)]
    Manifest(#[from] smartreach_plugin_manifest::ManifestError),
    /// A file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file cannot be written.
    #[error("cannot write {}: {source}; check that the snapshot folder (--snapshots) is writable", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The `--events` folder cannot be listed.
    #[error("cannot read the events folder {} (--events): {source}", dir.display())]
    EventsDir {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file of `--events` is not a SmartReach webhook body.
    #[error(
        "{} (--events) is not a SmartReach webhook body: {source}; save whole webhook bodies \
         there, such as tests/fixtures/events/activity.email.replied.json",
        path.display()
    )]
    EventParse {
        /// The file.
        path: PathBuf,
        /// Where and what.
        source: smartreach_models::ParseError,
    },
    /// `test-plugin.toml` is not valid.
    #[error("{} is not a valid test-plugin script: {message}", path.display())]
    Script {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
    /// A file in the snapshot folder has the snapshot's name but not its format.
    #[error(
        "{} is not a snapshot file (no `---` header); delete it, or run with --accept to \
         replace it",
        path.display()
    )]
    NotASnapshot {
        /// The file.
        path: PathBuf,
    },
    /// `--accept` under `CI=true`.
    #[error(
        "--accept writes snapshots, and CI=true is set: CI never writes snapshots; run \
         with --accept on your machine, review the files and commit them"
    )]
    AcceptInCi,
}
