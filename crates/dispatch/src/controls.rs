//! The delivery controls this host follows: which plugins are paused or held back, their circuit
//! breakers ([`crate::breaker`]), and the rate limit of a plugin's manifest as the store's claim
//! applies it.
//!
//! The store owns pauses and holds ([`Store::set_paused`], [`Store::hold`]): every host sharing
//! it follows them, they survive restarts, and the store's claim takes nothing of a paused or
//! held plugin. This is the host's copy, so that the dispatcher neither asks for such a plugin's
//! deliveries nor starts the ones it had claimed ahead (it hands them back, pending). What is
//! set through this host takes effect here at once; what another host on the same database set,
//! when this host next refreshes its copy (every third of `delivery.lease`, with the heartbeat):
//! until then it may still start what it had claimed ahead, but claims nothing new.
//!
//! A plugin is held back when its upstream asks to wait: a retry the plugin asks for with a
//! delay (the SDK asks for one when the upstream answers 429 or 503 with `Retry-After`) holds
//! all of the plugin's deliveries for that delay (at most [`MAX_UPSTREAM_HOLD`]), not just the
//! one that was answered so.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use smartreach_plugin_runtime::Rate;

use crate::breaker::{Breakers, Change};
use smartreach_store::{ClaimRate, PluginControl, Store, StoreError, Timestamp, now_ms};

/// The longest an upstream's `Retry-After` holds a whole plugin back: a longer delay still
/// applies to the delivery that was answered so, not to the others.
pub const MAX_UPSTREAM_HOLD: Duration = Duration::from_secs(600);

/// How the reason of a hold by a circuit breaker starts (`PluginControl::held_because`).
pub const BREAKER_HOLD: &str = "circuit breaker open";

/// The paused and held plugins, as this host last read or set them, and the plugins' breakers.
/// The default has no breaker.
#[derive(Debug, Default)]
pub struct Controls {
    state: RwLock<Known>,
    breakers: Mutex<Breakers>,
}

#[derive(Debug, Default)]
struct Known {
    paused: BTreeSet<String>,
    /// Held back until then.
    held: HashMap<String, Timestamp>,
    /// Changes made through this host so far: a refresh that read the store before one of them
    /// is not applied (it would undo the change here until the next refresh).
    changes: u64,
}

impl Controls {
    /// Controls whose breakers open after `breaker_failures` failed attempts in a row (0: never)
    /// for `breaker_backoff` (`delivery.breaker_failures`, `delivery.breaker_backoff`).
    pub fn new(breaker_failures: u32, breaker_backoff: Duration) -> Self {
        Self {
            state: RwLock::default(),
            breakers: Mutex::new(Breakers::new(breaker_failures, breaker_backoff)),
        }
    }

    /// An attempt of `plugin` ended at `now`, `failed` (a retry or a fault) or not: what it did to
    /// the plugin's breaker.
    pub(crate) fn attempted(&self, plugin: &str, failed: bool, now: Timestamp) -> Option<Change> {
        self.breakers().attempted(plugin, failed, now)
    }

    /// How many deliveries of `plugin` its breaker lets this host claim now, holding `held`
    /// (`None`: no bound; see [`Breakers::claim_limit`]).
    pub(crate) fn breaker_limit(&self, plugin: &str, held: u32, now: Timestamp) -> Option<u32> {
        self.breakers().claim_limit(plugin, held, now)
    }

    fn breakers(&self) -> std::sync::MutexGuard<'_, Breakers> {
        self.breakers
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
    /// Pauses (`paused`) or resumes `plugin` in the store, for every host, then here. Resuming
    /// also ends a hold and closes this host's breaker of the plugin. Returns the plugin's
    /// controls as stored.
    pub async fn set_paused(
        &self,
        store: &dyn Store,
        plugin: &str,
        paused: bool,
    ) -> Result<PluginControl, StoreError> {
        let control = store
            .set_paused(plugin.to_owned(), paused, now_ms())
            .await?;
        let mut known = self.write();
        known.changes += 1;
        if control.paused_since.is_some() {
            known.paused.insert(plugin.to_owned());
        } else {
            // Resuming ends a hold too (the store's did), and closes this host's breaker.
            known.paused.remove(plugin);
            known.held.remove(plugin);
            drop(known);
            if self.breakers().reset(plugin) {
                tracing::info!(plugin, "circuit breaker closed: the plugin was resumed");
            }
        }
        Ok(control)
    }

    /// Holds `plugin`'s deliveries back until `until` in the store, for every host, then here.
    pub async fn hold(
        &self,
        store: &dyn Store,
        plugin: &str,
        until: Timestamp,
        because: String,
    ) -> Result<(), StoreError> {
        store
            .hold(plugin.to_owned(), until, because, now_ms())
            .await?;
        let mut known = self.write();
        known.changes += 1;
        let held = known.held.entry(plugin.to_owned()).or_default();
        *held = (*held).max(until);
        Ok(())
    }

    /// Reads the paused and held plugins from the store (what other hosts set, or what was kept
    /// across a restart).
    pub async fn refresh(&self, store: &dyn Store) -> Result<(), StoreError> {
        let changes = self.read().changes;
        let controls = store.plugin_controls(now_ms()).await?;
        self.apply(changes, controls);
        Ok(())
    }

    /// Takes `controls`, read from the store when this host had made `changes` changes, as the
    /// host's copy; unless a change was made here since (the read may predate it): the next
    /// refresh will see it in the store.
    fn apply(&self, changes: u64, controls: Vec<PluginControl>) -> bool {
        let mut known = self.write();
        if known.changes != changes {
            return false;
        }
        known.paused.clear();
        known.held.clear();
        for control in controls {
            if control.paused_since.is_some() {
                known.paused.insert(control.plugin.clone());
            }
            if let Some(until) = control.held_until {
                known.held.insert(control.plugin, until);
            }
        }
        true
    }

    /// Whether `plugin` may not start deliveries at `now`, as far as this host knows: paused, or
    /// held back past `now`.
    pub fn is_held(&self, plugin: &str, now: Timestamp) -> bool {
        let known = self.read();
        known.paused.contains(plugin) || known.held.get(plugin).is_some_and(|until| *until > now)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Known> {
        self.state
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Known> {
        self.state
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// A manifest's `limits.rate` as the store's claim spends it: a budget shared by every host.
pub(crate) fn claim_rate(rate: &Rate) -> ClaimRate {
    ClaimRate {
        count: rate.count.get(),
        period_ms: i64::try_from(rate.per.duration().as_millis()).unwrap_or(i64::MAX),
        burst: rate.burst(),
    }
}

#[cfg(test)]
mod tests {
    use smartreach_store::SqliteStore;

    use super::*;

    #[tokio::test]
    async fn a_refresh_that_read_the_store_before_a_pause_here_does_not_undo_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("hooks.db")).unwrap();
        let controls = Controls::default();
        // A refresh reads the store (nothing paused yet) ...
        let changes = controls.read().changes;
        let read_before = store.plugin_controls(now_ms()).await.unwrap();
        assert!(read_before.is_empty());
        // ... the operator pauses the plugin through this host meanwhile ...
        controls.set_paused(&store, "crm", true).await.unwrap();
        assert!(controls.is_held("crm", now_ms()));
        // ... and the refresh's older read is not applied.
        assert!(!controls.apply(changes, read_before));
        assert!(controls.is_held("crm", now_ms()), "still paused here");
        // The next refresh reads the pause from the store.
        controls.refresh(&store).await.unwrap();
        assert!(controls.is_held("crm", now_ms()));
        controls.set_paused(&store, "crm", false).await.unwrap();
        controls.refresh(&store).await.unwrap();
        assert!(!controls.is_held("crm", now_ms()));
    }
}
