//! [`Outcome`]: what the host does after a plugin handled an event.

use crate::bindings::smartreach::plugin::types as wit;

/// What the host does after [`Plugin::handle`](crate::Plugin::handle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Handled; the delivery is done.
    Done,
    /// Not for this plugin (e.g. an auto-reply to a replies plugin), with the reason.
    Skipped(String),
    /// A transient problem: the host retries with backoff and dead-letters the delivery when its
    /// schedule runs out.
    Retry {
        /// Why, for the delivery's record.
        reason: String,
        /// The delay asked for, in milliseconds; `None` leaves it to the host's backoff.
        delay_ms: Option<u64>,
    },
    /// A permanent problem, with the reason: the delivery is dead-lettered at once.
    Failed(String),
}

impl Outcome {
    /// [`Outcome::Skipped`] with `reason`.
    pub fn skipped(reason: impl Into<String>) -> Self {
        Self::Skipped(reason.into())
    }

    /// [`Outcome::Retry`] with `reason`, after the host's backoff.
    pub fn retry(reason: impl Into<String>) -> Self {
        Self::Retry {
            reason: reason.into(),
            delay_ms: None,
        }
    }

    /// [`Outcome::Retry`] with `reason`, asking for a delay of `delay_ms` milliseconds.
    pub fn retry_after(reason: impl Into<String>, delay_ms: u64) -> Self {
        Self::Retry {
            reason: reason.into(),
            delay_ms: Some(delay_ms),
        }
    }

    /// [`Outcome::Failed`] with `reason`.
    pub fn failed(reason: impl Into<String>) -> Self {
        Self::Failed(reason.into())
    }
}

impl From<Outcome> for wit::Outcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Done => Self::Done,
            Outcome::Skipped(reason) => Self::Skipped(reason),
            Outcome::Retry { reason, delay_ms } => Self::Retry(wit::Retry { reason, delay_ms }),
            Outcome::Failed(reason) => Self::Failed(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_build_their_variant() {
        assert_eq!(
            Outcome::skipped("auto-reply"),
            Outcome::Skipped("auto-reply".into())
        );
        assert_eq!(
            Outcome::retry("busy"),
            Outcome::Retry {
                reason: "busy".into(),
                delay_ms: None
            }
        );
        assert_eq!(
            Outcome::retry_after("rate limited", 1500),
            Outcome::Retry {
                reason: "rate limited".into(),
                delay_ms: Some(1500)
            }
        );
        assert_eq!(Outcome::failed("gone"), Outcome::Failed("gone".into()));
    }

    #[test]
    fn converts_to_the_wit_variant() {
        assert!(matches!(
            wit::Outcome::from(Outcome::Done),
            wit::Outcome::Done
        ));
        assert!(matches!(
            wit::Outcome::from(Outcome::skipped("x")),
            wit::Outcome::Skipped(reason) if reason == "x"
        ));
        assert!(matches!(
            wit::Outcome::from(Outcome::retry_after("later", 250)),
            wit::Outcome::Retry(wit::Retry { reason, delay_ms: Some(250) }) if reason == "later"
        ));
        assert!(matches!(
            wit::Outcome::from(Outcome::failed("no")),
            wit::Outcome::Failed(reason) if reason == "no"
        ));
    }
}
