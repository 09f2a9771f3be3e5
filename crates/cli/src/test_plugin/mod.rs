//! `smartreach-hooks test-plugin FILE.wasm [--manifest FILE.toml] [--snapshots DIR] [--events DIR]
//! [--accept]`: snapshot tests of a plugin, for its author's CI.
//!
//! The plugin is loaded as the host loads it (same runtime, manifest and limits) and run on every
//! documented event it subscribes to, plus the webhook bodies of `--events`. Its outbound HTTP goes
//! to the runtime's fake upstream ([`OutboundMode::Fake`]), which answers as `test-plugin.toml`
//! says (default 200 `{}`) and records each request: nothing leaves the machine. Each event type
//! gives one snapshot (`record.rs`) compared with `{plugin}@{case}.snap` in the snapshot folder.
//!
//! ```text
//! script.rs (test-plugin.toml) ─> upstream.rs (Recorder) ─> runtime (OutboundMode::Fake)
//! events.rs (cases) ─> invoke ─> record.rs + yaml.rs ─> check.rs (snap_file.rs, diff.rs)
//! ```

mod check;
mod diff;
mod error;
mod events;
mod record;
mod script;
mod secrets;
mod snap_file;
mod upstream;
mod yaml;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use smartreach_plugin_manifest::Manifest;
use smartreach_plugin_runtime::{LoadOptions, OutboundMode, Plugin, Runtime, RuntimeConfig};

use crate::cli::TestPluginArgs;
use check::Summary;
use error::TestPluginError;
use script::Script;
use secrets::Secrets;
use upstream::Recorder;

/// The wall clock of every test run: 2026-01-01T00:00:00Z, so that a plugin that stamps what it
/// sends with the time gives the same snapshot on every run.
const FIXED_NOW: Duration = Duration::from_secs(1_767_225_600);

/// What the run may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Write `.snap.new` beside a snapshot that differs or is missing (insta's default).
    Pending,
    /// Write `.snap` for every snapshot that differs or is missing (`--accept`).
    Accept,
    /// Write nothing (`CI=true`): a difference or a missing snapshot only fails.
    Nothing,
}

impl WriteMode {
    /// The mode of `--accept` and of the `CI` variable (set, and not `false` or `0`).
    pub fn of(accept: bool, ci: Option<&str>) -> Result<Self, TestPluginError> {
        let ci = ci.is_some_and(|value| !matches!(value, "" | "false" | "0"));
        match (accept, ci) {
            (true, true) => Err(TestPluginError::AcceptInCi),
            (true, false) => Ok(Self::Accept),
            (false, true) => Ok(Self::Nothing),
            (false, false) => Ok(Self::Pending),
        }
    }
}

/// Runs the plugin on its events and checks (or writes) their snapshots.
pub async fn run(args: &TestPluginArgs, mode: WriteMode) -> Result<Summary, TestPluginError> {
    let dir = args.snapshots.clone();
    let script = Script::read(&dir)?;
    let manifest_path = args
        .manifest
        .clone()
        .unwrap_or_else(|| args.file.with_extension("toml"));
    let manifest = if args.manifest.is_some() || manifest_path.exists() {
        Manifest::from_file(&manifest_path)?
    } else {
        Manifest::default()
    };
    let secrets = Secrets::resolve(&manifest, &script.placeholders, |var| {
        std::env::var(var).ok()
    });
    let recorder = Recorder::new(script);
    let runtime = Runtime::new(runtime_config(Arc::clone(&recorder)))?;
    let plugin = load(&runtime, &args.file, args.manifest.as_deref(), &secrets).await?;

    let mut cases = events::documented(&plugin);
    let mut unsubscribed = Vec::new();
    if let Some(events_dir) = &args.events {
        let (own, skipped) = events::from_dir(&plugin, events_dir)?;
        cases.extend(own);
        unsubscribed = skipped;
    }

    let mut summary = Summary::new(plugin.name(), &dir, unsubscribed);
    for case in &cases {
        let mut runs = Vec::with_capacity(case.events.len());
        for event in &case.events {
            let invocation = plugin.invoke(event).await;
            runs.push(record::run(event, &invocation, recorder.take(), &secrets));
        }
        let file = snap_file::SnapFile::new(&dir, plugin.name(), &case.name);
        summary.push(check::check(
            &file,
            &case.name,
            &record::document(&runs),
            mode,
        )?);
    }
    Ok(summary)
}

/// The host's runtime defaults, with outbound HTTP answered by `upstream`.
fn runtime_config(upstream: Arc<Recorder>) -> RuntimeConfig {
    RuntimeConfig {
        outbound: OutboundMode::Fake(upstream),
        // One plugin, one invocation at a time.
        max_instances: 4,
        fixed_wall_clock: Some(FIXED_NOW),
        ..RuntimeConfig::default()
    }
}

async fn load(
    runtime: &Runtime,
    wasm: &Path,
    manifest: Option<&Path>,
    secrets: &Secrets,
) -> Result<Plugin, TestPluginError> {
    let lookup = |var: &str| secrets.get(var);
    let options = LoadOptions {
        manifest,
        env: Some(&lookup),
    };
    let (plugin, _) = runtime.load_file_with(wasm, &options).await?;
    Ok(plugin)
}
