//! The circuit breaker of each plugin on this host: after `delivery.breaker_failures` failed
//! attempts in a row (retries the plugin asked for, faults) it opens, and the plugin is held back
//! (in the store, for every host) for `delivery.breaker_backoff`; then one delivery probes it. A
//! probe that succeeds closes the breaker, one that fails opens it for another back-off.
//!
//! The count is this host's: each host counts the attempts it ran. Attempts that end while the
//! breaker is open (started before it opened) change nothing.

use std::collections::HashMap;
use std::time::Duration;

use smartreach_store::Timestamp;

/// The breakers of every plugin.
#[derive(Debug, Default)]
pub(crate) struct Breakers {
    /// Failed attempts in a row that open a breaker; 0: never.
    failures_to_open: u32,
    backoff: Duration,
    by_plugin: HashMap<String, Breaker>,
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    state: State,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Closed,
    /// Held back until then.
    Open { until: Timestamp },
    /// The back-off is over: one delivery at a time may run, whose outcome decides.
    Probing,
}

/// What an attempt did to a breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Opened after `failures` failed attempts in a row: hold the plugin back until `until`.
    Opened { failures: u32, until: Timestamp },
    /// The probe failed: hold it back again until `until`.
    Reopened { until: Timestamp },
    /// The probe succeeded: the plugin runs again.
    Closed,
}

impl Breakers {
    /// Breakers that open after `failures_to_open` failures in a row (0: never) for `backoff`.
    pub(crate) fn new(failures_to_open: u32, backoff: Duration) -> Self {
        Self {
            failures_to_open,
            backoff,
            by_plugin: HashMap::new(),
        }
    }

    /// Closes `plugin`'s breaker and forgets its failures (an operator resumed the plugin: what
    /// it waited for is fixed). Returns whether it was open or probing.
    pub(crate) fn reset(&mut self, plugin: &str) -> bool {
        self.by_plugin
            .remove(plugin)
            .is_some_and(|breaker| breaker.state != State::Closed)
    }

    fn until(&self, now: Timestamp) -> Timestamp {
        now + i64::try_from(self.backoff.as_millis()).unwrap_or(i64::MAX)
    }

    /// An attempt of `plugin` ended at `now`, failed or not.
    pub(crate) fn attempted(
        &mut self,
        plugin: &str,
        failed: bool,
        now: Timestamp,
    ) -> Option<Change> {
        if self.failures_to_open == 0 {
            return None;
        }
        let until = self.until(now);
        let threshold = self.failures_to_open;
        let breaker = self.by_plugin.entry(plugin.to_owned()).or_default();
        match (breaker.state, failed) {
            (State::Open { .. }, _) => None,
            (State::Probing, false) => {
                *breaker = Breaker::default();
                Some(Change::Closed)
            }
            (State::Probing, true) => {
                breaker.state = State::Open { until };
                Some(Change::Reopened { until })
            }
            (State::Closed, false) => {
                breaker.failures = 0;
                None
            }
            (State::Closed, true) => {
                breaker.failures += 1;
                if breaker.failures < threshold {
                    return None;
                }
                breaker.state = State::Open { until };
                Some(Change::Opened {
                    failures: breaker.failures,
                    until,
                })
            }
        }
    }

    /// How many deliveries of `plugin` the breaker lets this host claim at `now`, holding `held`:
    /// `None` when it is closed (no bound), none while it is open, one probe once its back-off
    /// ended (and none more until the probe's outcome).
    pub(crate) fn claim_limit(&mut self, plugin: &str, held: u32, now: Timestamp) -> Option<u32> {
        let breaker = self.by_plugin.get_mut(plugin)?;
        match breaker.state {
            State::Closed => None,
            State::Open { until } if now < until => Some(0),
            State::Open { .. } | State::Probing if held == 0 => {
                breaker.state = State::Probing;
                Some(1)
            }
            State::Open { .. } | State::Probing => Some(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_closes_an_open_breaker_and_forgets_its_failures() {
        let mut breakers = Breakers::new(2, BACKOFF);
        assert_eq!(breakers.attempted("a", true, 0), None);
        assert!(matches!(
            breakers.attempted("a", true, 0),
            Some(Change::Opened { .. })
        ));
        assert_eq!(breakers.claim_limit("a", 0, 10), Some(0), "open: nothing");
        assert!(breakers.reset("a"), "it was open");
        assert_eq!(breakers.claim_limit("a", 0, 10), None, "closed: no bound");
        assert_eq!(
            breakers.attempted("a", true, 20),
            None,
            "the count starts again"
        );
        assert!(!breakers.reset("a"), "closed, with one failure");
        assert!(!breakers.reset("never-seen"));
    }

    const BACKOFF: Duration = Duration::from_millis(1000);

    #[test]
    fn a_run_of_failures_opens_it_and_a_success_in_between_starts_the_count_again() {
        let mut breakers = Breakers::new(3, BACKOFF);
        assert_eq!(breakers.attempted("a", true, 0), None);
        assert_eq!(breakers.attempted("a", true, 0), None);
        assert_eq!(breakers.attempted("a", false, 0), None, "a success resets");
        assert_eq!(breakers.attempted("a", true, 0), None);
        assert_eq!(breakers.attempted("a", true, 0), None);
        assert_eq!(breakers.attempted("b", true, 0), None, "per plugin");
        assert_eq!(
            breakers.attempted("a", true, 10),
            Some(Change::Opened {
                failures: 3,
                until: 1010
            })
        );
        assert_eq!(breakers.claim_limit("a", 0, 1009), Some(0), "open");
        assert_eq!(breakers.claim_limit("b", 0, 1009), None, "closed");
        assert_eq!(
            breakers.attempted("a", false, 500),
            None,
            "an attempt started before it opened changes nothing"
        );
    }

    #[test]
    fn after_the_back_off_one_probe_runs_and_its_outcome_closes_or_reopens_it() {
        let mut breakers = Breakers::new(1, BACKOFF);
        breakers.attempted("a", true, 0);
        assert_eq!(
            breakers.claim_limit("a", 1, 1000),
            Some(0),
            "still running one"
        );
        assert_eq!(breakers.claim_limit("a", 0, 1000), Some(1), "the probe");
        assert_eq!(
            breakers.claim_limit("a", 1, 1001),
            Some(0),
            "one probe at a time"
        );
        assert_eq!(
            breakers.attempted("a", true, 1500),
            Some(Change::Reopened { until: 2500 })
        );
        assert_eq!(breakers.claim_limit("a", 0, 2499), Some(0));
        assert_eq!(breakers.claim_limit("a", 0, 2500), Some(1));
        assert_eq!(breakers.attempted("a", false, 2600), Some(Change::Closed));
        assert_eq!(breakers.claim_limit("a", 0, 2600), None);
    }

    #[test]
    fn zero_failures_turns_it_off() {
        let mut breakers = Breakers::new(0, BACKOFF);
        for _ in 0..100 {
            assert_eq!(breakers.attempted("a", true, 0), None);
        }
        assert_eq!(breakers.claim_limit("a", 0, 0), None);
    }
}
