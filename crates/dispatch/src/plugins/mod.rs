//! The plugins the host runs: the set loaded now, and the watcher that keeps it in step with the
//! plugin folder.

mod registry;
mod watch;

pub use registry::{LoadFailure, PluginSet, Registry};
pub use watch::{Watcher, is_plugin_name};
