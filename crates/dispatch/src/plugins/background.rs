//! One plugin's load in the background: read, compile (seconds for a 12-18 MB component, on a
//! thread of its own), declare, then swap it into the [`Registry`]. Ingest and the other plugins'
//! deliveries go on meanwhile; the plugin's own deliveries stay pending until it is loaded.
//!
//! When the plugin's subscriptions are known before it compiles (its manifest's `events`, or what
//! the same file declared at its last load, remembered by the compile cache), ingest queues its
//! deliveries while it compiles, in order. When they are not (a new file whose manifest lists no
//! `events`), the events received while it compiled are queued for it by a backfill once its
//! declaration is known, before it runs; a second backfill a moment later catches webhooks whose
//! ingest was under way at the switch. The window's start is kept on disk until then
//! ([`CompileWindows`]), so that a host killed while the plugin compiled backfills it after the
//! restart.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use smartreach_plugin_runtime::{LoadOptions, Plugin, Runtime, Subscriptions};
use smartreach_store::{Store, Timestamp, now_ms};

use super::compile_window::CompileWindows;
use super::{LoadFailure, Registry};

/// How long after the first backfill of a plugin's compile window the second one runs: longer
/// than an ingest takes from its snapshot of the plugins to its commit.
const STRAGGLERS_AFTER: Duration = Duration::from_secs(2);

/// What a load needs.
#[derive(Clone)]
pub(crate) struct Loader {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) registry: Arc<Registry>,
    /// Where the compile window is backfilled, and where its start is kept until then; `None`
    /// skips that (tests without a store).
    pub(crate) compile_windows: Option<(Arc<dyn Store>, CompileWindows)>,
}

/// One load: the plugin `name` from `path`, the registry's load `generation`, started at `since`.
pub(crate) struct Load {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) generation: u64,
    pub(crate) since: Timestamp,
    /// Dropped once the plugin's files are read and its subscriptions known (or known to be
    /// unknown): [`super::Watcher::prepared`] waits for it.
    pub(crate) prepared: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Loader {
    /// Loads, then swaps the result in, unless a newer load of the plugin started meanwhile (or
    /// the plugin was removed): then the result is dropped.
    pub(crate) async fn run(self, mut load: Load) {
        let options = LoadOptions::default();
        let prepared = match self.runtime.prepare_load(&load.path, &options).await {
            Ok(prepared) => prepared,
            Err(err) => return self.failed(&load, &err.to_string()),
        };
        let known_before = prepared.known_subscriptions().cloned();
        if let Some(subscriptions) = &known_before {
            self.registry
                .known_subscriptions(&load.name, load.generation, subscriptions.clone());
        } else if self.registry.snapshot().get(&load.name).is_none()
            && let Some((_, windows)) = &self.compile_windows
        {
            // Nothing is queued for it until it is loaded: the window to backfill then starts
            // here, or where a host stopped meanwhile left it.
            load.since = windows.open(&load.name, load.since);
        }
        drop(load.prepared.take());
        tracing::info!(
            plugin = %load.name, file = %load.path.display(), bytes = prepared.len(),
            subscriptions_known = known_before.is_some(),
            "compiling plugin in the background; its deliveries wait until it is loaded"
        );
        let started = std::time::Instant::now();
        let (plugin, cache) = match self.runtime.finish_load(prepared, &options).await {
            Ok(loaded) => loaded,
            Err(err) => return self.failed(&load, &err.to_string()),
        };
        let plugin = Arc::new(plugin);
        let first = self.registry.snapshot().get(&load.name).is_none();
        let backfill = first && known_before.is_none();
        if backfill {
            // Ingest queued nothing for it while it compiled: from now on it does, and what came
            // before is queued now, before the plugin runs.
            if !self.registry.known_subscriptions(
                &load.name,
                load.generation,
                plugin.subscriptions().clone(),
            ) {
                return;
            }
            self.backfill(&plugin, load.since).await;
        }
        let hash = plugin.content_hash().to_owned();
        let subscriptions = format!("{:?}", plugin.subscriptions());
        let took_ms = started.elapsed().as_millis() as u64;
        match self
            .registry
            .finish_compiling(&load.name, load.generation, Some(Arc::clone(&plugin)))
        {
            None => {
                tracing::debug!(plugin = %load.name, hash = %hash, "a newer version is loading; this one is dropped");
                return;
            }
            Some(Some(old)) => tracing::info!(
                plugin = %load.name, hash = %hash, previous = %old.content_hash(), ?cache,
                took_ms, %subscriptions, "plugin reloaded"
            ),
            Some(None) => tracing::info!(
                plugin = %load.name, hash = %hash, ?cache, took_ms, %subscriptions, "plugin loaded"
            ),
        }
        self.registry.clear_failure(&load.name);
        if backfill {
            // Not part of the load: a change of the plugin's files meanwhile stops a load, and
            // this must run regardless.
            tokio::spawn(async move {
                tokio::time::sleep(STRAGGLERS_AFTER).await;
                if self.backfill(&plugin, load.since).await
                    && let Some((_, windows)) = &self.compile_windows
                {
                    windows.close(&load.name);
                }
            });
        }
    }

    /// Logs a failed load with the plugin's name and file and keeps it for the admin API,
    /// unless a newer load of the plugin started meanwhile.
    fn failed(&self, load: &Load, message: &str) {
        let Some(active) = self
            .registry
            .finish_compiling(&load.name, load.generation, None)
        else {
            return;
        };
        // A version that does not load receives nothing, as before: a fixed one starts afresh.
        if let Some((_, windows)) = &self.compile_windows {
            windows.close(&load.name);
        }
        let active =
            active.map(|old| format!("the previous version {} stays active", old.content_hash()));
        tracing::error!(
            plugin = %load.name,
            file = %load.path.display(),
            error = %message,
            "plugin not loaded: {message}; {}",
            active.as_deref().unwrap_or("no version of it is active")
        );
        self.registry.set_failure(
            &load.name,
            LoadFailure {
                file: load.path.display().to_string(),
                message: message.to_owned(),
                at: now_ms(),
            },
        );
    }

    /// Queues deliveries to `plugin` of the events of its subscriptions received since `since`
    /// that have none yet (running it again queues nothing twice). Whether that is done.
    async fn backfill(&self, plugin: &Plugin, since: Timestamp) -> bool {
        let Some((store, _)) = &self.compile_windows else {
            return true;
        };
        let event_types = match plugin.subscriptions() {
            Subscriptions::All => None,
            Subscriptions::Only(names) if names.is_empty() => return true,
            Subscriptions::Only(names) => Some(names.clone()),
        };
        let now = now_ms();
        match store
            .backfill(plugin.name().to_owned(), event_types, since, now + 1, now)
            .await
        {
            Ok(queued) => {
                if queued.count > 0 {
                    tracing::info!(
                        plugin = %plugin.name(), deliveries = queued.count,
                        "queued the events received while the plugin compiled"
                    );
                }
                true
            }
            Err(err) => {
                tracing::error!(
                    plugin = %plugin.name(), error = %err, since,
                    "cannot queue the events received while the plugin compiled; run `smartreach-hooks \
                     backfill --plugin {} --since {since}` once the store answers",
                    plugin.name()
                );
                false
            }
        }
    }
}
