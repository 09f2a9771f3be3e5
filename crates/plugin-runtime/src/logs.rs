//! Log lines of an invocation: what the plugin logged through the host, and its stdout/stderr.

use serde::{Deserialize, Serialize};

use crate::log_budget::LineBudget;

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Trace.
    Trace,
    /// Debug.
    Debug,
    /// Info.
    Info,
    /// Warning.
    Warn,
    /// Error.
    Error,
}

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogSource {
    /// The host's `log` import.
    Host,
    /// The plugin's standard output.
    Stdout,
    /// The plugin's standard error (a Rust panic message lands here).
    Stderr,
}

/// One log line of one invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Severity: as logged, `info` for stdout, `warn` for stderr.
    pub level: LogLevel,
    /// Where it came from.
    pub source: LogSource,
    /// The text, without its line ending.
    pub message: String,
}

impl LogLevel {
    pub(crate) fn from_wit(level: crate::bindings::types::Level) -> Self {
        use crate::bindings::types::Level;
        match level {
            Level::Trace => Self::Trace,
            Level::Debug => Self::Debug,
            Level::Info => Self::Info,
            Level::Warn => Self::Warn,
            Level::Error => Self::Error,
        }
    }
}

/// Host-log lines of one invocation, under the [`LineBudget`] cap.
#[derive(Debug, Default)]
pub(crate) struct HostLog {
    lines: Vec<LogLine>,
    budget: LineBudget,
}

impl HostLog {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            lines: Vec::new(),
            budget: LineBudget::new(max_bytes),
        }
    }

    /// Keeps the line when it fits; otherwise drops it at once, only counting it.
    pub(crate) fn push(&mut self, level: LogLevel, message: String) {
        if self.budget.admit(message.len()) {
            self.lines.push(LogLine {
                level,
                source: LogSource::Host,
                message,
            });
        }
    }

    pub(crate) fn into_lines(mut self) -> Vec<LogLine> {
        self.lines.extend(self.budget.marker(LogSource::Host));
        self.lines
    }
}
