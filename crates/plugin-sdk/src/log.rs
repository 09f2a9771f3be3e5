//! Log lines through the host, which tags them with the plugin's name.
//!
//! Use the functions with a ready message, or the macros ([`info!`](crate::info) and its
//! siblings) with `format!` arguments:
//!
//! ```no_run
//! use smartreach_plugin_sdk::{info, log};
//!
//! log::warn("no email on this prospect");
//! let id = 42;
//! info!("synced prospect {id}");
//! ```

use crate::bindings::smartreach::plugin::host;
use crate::bindings::smartreach::plugin::types::Level;

/// Logs `message` at trace level.
pub fn trace(message: &str) {
    host::log(Level::Trace, message);
}

/// Logs `message` at debug level.
pub fn debug(message: &str) {
    host::log(Level::Debug, message);
}

/// Logs `message` at info level.
pub fn info(message: &str) {
    host::log(Level::Info, message);
}

/// Logs `message` at warn level.
pub fn warn(message: &str) {
    host::log(Level::Warn, message);
}

/// Logs `message` at error level.
pub fn error(message: &str) {
    host::log(Level::Error, message);
}

/// Logs at trace level, with `format!` arguments.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => { $crate::log::trace(&::std::format!($($arg)+)) };
}

/// Logs at debug level, with `format!` arguments.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::log::debug(&::std::format!($($arg)+)) };
}

/// Logs at info level, with `format!` arguments.
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::log::info(&::std::format!($($arg)+)) };
}

/// Logs at warn level, with `format!` arguments.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::log::warn(&::std::format!($($arg)+)) };
}

/// Logs at error level, with `format!` arguments.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::log::error(&::std::format!($($arg)+)) };
}
