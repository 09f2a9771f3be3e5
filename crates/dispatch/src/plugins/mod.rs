//! The plugins the host runs: the set loaded now (and those still compiling), and the watcher
//! that keeps it in step with the plugin folder, loading in the background.

mod background;
mod compile_window;
mod registry;
mod watch;

pub use registry::{Compiling, LoadFailure, PluginSet, Registry};
pub use watch::{ScanReport, Watcher, is_plugin_name};
