//! [`Plugin`]: what a plugin author implements.

use crate::{Declaration, Event, Outcome};

/// A smartreach-hooks plugin. Implement it on a unit struct and export that with
/// [`export_plugin!`](crate::export_plugin).
///
/// Both functions are associated functions, not methods: the host calls [`declare`](Self::declare)
/// once at load and [`handle`](Self::handle) once per event, each in a fresh instance, so a plugin
/// keeps no state between events.
pub trait Plugin {
    /// What the plugin handles and which configuration it reads. A manifest beside the `.wasm`
    /// may override the event types.
    fn declare() -> Declaration;

    /// Handles one event. Return [`Outcome::Retry`] for a transient problem (the host retries
    /// with backoff) and [`Outcome::Failed`] for a permanent one; a panic counts as a failure.
    fn handle(event: Event) -> Outcome;
}
