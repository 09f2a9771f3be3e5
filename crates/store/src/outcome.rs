//! The outcome of one attempt, as stored and shown.

use serde::{Deserialize, Serialize};

/// How one attempt of a delivery came out: `done` (the plugin handled the event), `skipped` (it
/// chose not to act), `retry` (it asked to run again later), `failed` (it said retrying cannot
/// help) or `fault` (a trap or panic, its deadline or memory cap, or runs interrupted until the
/// retry schedule ran out). A delivery that found no free instance slot was not attempted, and
/// has no outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The plugin handled the event.
    Done,
    /// The plugin chose not to act.
    Skipped,
    /// The plugin asked to be run again later.
    Retry,
    /// The plugin said that retrying cannot help.
    Failed,
    /// The run ended in a fault: a trap or panic, its deadline, its memory cap, or runs that were
    /// interrupted until the retry schedule was used up.
    Fault,
}

impl AttemptOutcome {
    /// Every outcome.
    pub const ALL: [Self; 5] = [
        Self::Done,
        Self::Skipped,
        Self::Retry,
        Self::Failed,
        Self::Fault,
    ];

    /// Its name in the store, the admin API and the metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Skipped => "skipped",
            Self::Retry => "retry",
            Self::Failed => "failed",
            Self::Fault => "fault",
        }
    }

    /// The outcome named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == name)
    }

    /// Whether the attempt did not finish the delivery well: what a plugin's `last_error` shows.
    pub fn is_error(self) -> bool {
        matches!(self, Self::Retry | Self::Failed | Self::Fault)
    }
}

impl std::fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for outcome in AttemptOutcome::ALL {
            assert_eq!(AttemptOutcome::from_name(outcome.as_str()), Some(outcome));
            assert_eq!(
                serde_json::to_value(outcome).unwrap(),
                serde_json::Value::String(outcome.as_str().to_owned())
            );
        }
        assert_eq!(AttemptOutcome::from_name("requeued"), None);
    }
}
