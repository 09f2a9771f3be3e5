//! The loaded plugins, swapped as a whole: a reader takes a snapshot and keeps using it, so an
//! invocation that started on one version finishes on it while the next one is already in place.
//!
//! Beside them, the plugins still compiling (a big component takes seconds): their deliveries are
//! queued by ingest when their subscriptions are already known, and not claimed until they are
//! loaded; `/readyz` names them.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use smartreach_plugin_runtime::{Plugin, Subscriptions};
use smartreach_store::Timestamp;

/// The last failed load of a plugin's files, kept until a load of it succeeds or its `.wasm` is
/// removed: the loaded version, if any, stays active meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    /// The `.wasm` whose load failed (its manifest is beside it).
    pub file: String,
    /// What is wrong, as the log reports it.
    pub message: String,
    /// When the load failed (Unix ms).
    pub at: Timestamp,
}

/// A plugin whose files are being loaded (read, compiled, declared) in the background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiling {
    /// The `.wasm` being loaded.
    pub file: String,
    /// When its load started (Unix ms).
    pub since: Timestamp,
    /// The event types it will run on, when known before it is compiled (its manifest's
    /// `events`, or what the same file declared at its last load); `None` until then.
    pub subscriptions: Option<Subscriptions>,
    /// Which load of the plugin this is: a later change of its files starts another, and only the
    /// latest one's result is kept.
    pub(crate) generation: u64,
}

/// The plugins loaded at one moment, by name, and those compiling then.
#[derive(Default)]
pub struct PluginSet {
    by_name: BTreeMap<String, Arc<Plugin>>,
    compiling: BTreeMap<String, Compiling>,
}

impl PluginSet {
    /// The names of the plugins subscribed to `event_type`, sorted: the loaded ones, and those
    /// compiling for the first time whose subscriptions are already known (their deliveries wait,
    /// pending, until they are loaded). A plugin compiling a new version keeps its loaded
    /// version's subscriptions until the new one replaces it.
    pub fn subscribers(&self, event_type: &str) -> Vec<String> {
        let loaded = self
            .by_name
            .values()
            .filter(|plugin| plugin.handles(event_type))
            .map(|plugin| plugin.name().to_owned());
        let compiling = self
            .compiling
            .iter()
            .filter(|(name, _)| !self.by_name.contains_key(*name))
            .filter(|(_, compiling)| {
                compiling
                    .subscriptions
                    .as_ref()
                    .is_some_and(|subscriptions| subscriptions.matches(event_type))
            })
            .map(|(name, _)| name.clone());
        let mut names: Vec<String> = loaded.chain(compiling).collect();
        names.sort();
        names
    }

    /// The plugins being loaded in the background now, by name (a plugin may be both loaded and
    /// compiling: its new version is compiling while the previous one runs).
    pub fn compiling(&self) -> &BTreeMap<String, Compiling> {
        &self.compiling
    }

    /// The plugin called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Plugin>> {
        self.by_name.get(name)
    }

    /// Every plugin, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Plugin>> + Clone {
        self.by_name.values()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether none is loaded.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// The current [`PluginSet`], and the plugins whose last load failed.
#[derive(Default)]
pub struct Registry {
    current: RwLock<Arc<PluginSet>>,
    failures: RwLock<BTreeMap<String, LoadFailure>>,
}

impl Registry {
    /// The plugins loaded now.
    pub fn snapshot(&self) -> Arc<PluginSet> {
        Arc::clone(
            &self
                .current
                .read()
                .unwrap_or_else(|poison| poison.into_inner()),
        )
    }

    /// Removes the plugin called `name`, and its load in progress if any; returns the plugin.
    pub(crate) fn remove(&self, name: &str) -> Option<Arc<Plugin>> {
        self.update(|set| {
            set.compiling.remove(name);
            set.by_name.remove(name)
        })
    }

    /// Records that a load of `name` started, replacing any earlier load of it in progress.
    pub(crate) fn start_compiling(&self, name: &str, compiling: Compiling) {
        self.update(|set| set.compiling.insert(name.to_owned(), compiling));
    }

    /// Sets the subscriptions of the load `generation` of `name`, once known; `false` when that
    /// load is no longer the latest one (a newer load started, or the plugin was removed).
    pub(crate) fn known_subscriptions(
        &self,
        name: &str,
        generation: u64,
        subscriptions: Subscriptions,
    ) -> bool {
        self.update(|set| match set.compiling.get_mut(name) {
            Some(compiling) if compiling.generation == generation => {
                compiling.subscriptions = Some(subscriptions);
                true
            }
            _ => false,
        })
    }

    /// Ends the load `generation` of `name`: its plugin replaces the loaded one in the same swap
    /// (ingest never sees the plugin neither loaded nor compiling), or, on `None`, the plugin is
    /// no longer compiling and the loaded version stays. Returns `None` when that load is no
    /// longer the latest one (nothing changes); else `Some` of the replaced version.
    pub(crate) fn finish_compiling(
        &self,
        name: &str,
        generation: u64,
        plugin: Option<Arc<Plugin>>,
    ) -> Option<Option<Arc<Plugin>>> {
        self.update(|set| {
            if set.compiling.get(name).map(|c| c.generation) != Some(generation) {
                return None;
            }
            set.compiling.remove(name);
            Some(match plugin {
                Some(plugin) => set.by_name.insert(name.to_owned(), plugin),
                None => set.by_name.get(name).cloned(),
            })
        })
    }

    /// Records that the last load of `name` failed.
    pub(crate) fn set_failure(&self, name: &str, failure: LoadFailure) {
        self.failures
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
            .insert(name.to_owned(), failure);
    }

    /// Forgets the failed load of `name`: it loaded, or its `.wasm` is gone.
    pub(crate) fn clear_failure(&self, name: &str) {
        self.failures
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
            .remove(name);
    }

    /// The plugins whose last load failed, by name.
    pub fn failures(&self) -> BTreeMap<String, LoadFailure> {
        self.failures
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    fn update<T>(&self, change: impl FnOnce(&mut PluginSet) -> T) -> T {
        let mut current = self
            .current
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        let mut set = PluginSet {
            by_name: current.by_name.clone(),
            compiling: current.compiling.clone(),
        };
        let result = change(&mut set);
        *current = Arc::new(set);
        result
    }
}
