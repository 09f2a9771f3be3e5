//! The loaded plugins, swapped as a whole: a reader takes a snapshot and keeps using it, so an
//! invocation that started on one version finishes on it while the next one is already in place.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use smartreach_plugin_runtime::Plugin;
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

/// The plugins loaded at one moment, by name.
#[derive(Default)]
pub struct PluginSet {
    by_name: BTreeMap<String, Arc<Plugin>>,
}

impl PluginSet {
    /// The names of the plugins subscribed to `event_type`, sorted.
    pub fn subscribers(&self, event_type: &str) -> Vec<String> {
        self.by_name
            .values()
            .filter(|plugin| plugin.handles(event_type))
            .map(|plugin| plugin.name().to_owned())
            .collect()
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

    /// Adds `plugin`, replacing the one of the same name; returns the replaced one.
    pub(crate) fn insert(&self, plugin: Arc<Plugin>) -> Option<Arc<Plugin>> {
        self.update(|plugins| plugins.insert(plugin.name().to_owned(), plugin))
    }

    /// Removes the plugin called `name`; returns it.
    pub(crate) fn remove(&self, name: &str) -> Option<Arc<Plugin>> {
        self.update(|plugins| plugins.remove(name))
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

    fn update<T>(&self, change: impl FnOnce(&mut BTreeMap<String, Arc<Plugin>>) -> T) -> T {
        let mut current = self
            .current
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        let mut by_name = current.by_name.clone();
        let result = change(&mut by_name);
        *current = Arc::new(PluginSet { by_name });
        result
    }
}
