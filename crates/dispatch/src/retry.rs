//! What happens to a delivery after an attempt: done, skipped, retried later, or dead.

use std::time::Duration;

use smartreach_plugin_runtime::{Fault, Outcome};
use smartreach_store::{Next, Timestamp};

/// How long to wait before running a delivery again when no instance slot was free.
const REQUEUE_DELAY: Duration = Duration::from_millis(100);

/// What to do with a delivery after its plugin was invoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum After {
    /// It ran: record the attempt, and the delivery goes on as [`Next`] says.
    Record(Next),
    /// It did not run (no free instance slot): pending again at `at`, no attempt counted or
    /// recorded ([`smartreach_store::Store::requeue`]).
    Requeue {
        /// When.
        at: Timestamp,
    },
}

/// The retry schedule: the delays before the 2nd, 3rd, ... attempt, each stretched or shrunk by
/// up to `jitter` (a fraction) so that a burst of failures does not retry as one burst.
#[derive(Debug, Clone)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
    jitter: f64,
}

impl RetrySchedule {
    /// A schedule of `delays` with `jitter` in [0, 1].
    pub fn new(delays: Vec<Duration>, jitter: f64) -> Self {
        Self {
            delays,
            jitter: jitter.clamp(0.0, 1.0),
        }
    }

    /// The most attempts a delivery gets: the first, then one per delay.
    pub(crate) fn max_attempts(&self) -> u32 {
        self.delays.len() as u32 + 1
    }

    /// Where a delivery goes after its attempt number `attempt` (1 for the first) came out as
    /// `outcome`, at `now`.
    ///
    /// `retry` and faults are retried while the schedule lasts, at the plugin's requested delay
    /// when it gave one; `failed` is the plugin saying that retrying cannot help, so it is dead at
    /// once (a replay runs it again after a fix); a delivery that found no free instance slot was
    /// not attempted and is requeued.
    pub(crate) fn next(&self, outcome: &Outcome, attempt: u32, now: Timestamp) -> After {
        let (error, requested) = match outcome {
            Outcome::Done => return After::Record(Next::Done),
            Outcome::Skipped { .. } => return After::Record(Next::Skipped),
            Outcome::Failed { reason } => {
                return After::Record(Next::Dead {
                    error: format!("failed: {reason}"),
                });
            }
            Outcome::Fault(Fault::Capacity) => {
                return After::Requeue {
                    at: now + REQUEUE_DELAY.as_millis() as Timestamp,
                };
            }
            Outcome::Retry { reason, delay } => (format!("retry: {reason}"), *delay),
            Outcome::Fault(fault) => (format!("fault: {fault}"), None),
        };
        let Some(scheduled) = self.delays.get(attempt as usize - 1) else {
            return After::Record(Next::Dead {
                error: format!("gave up after {attempt} attempts; last: {error}"),
            });
        };
        let delay = requested.unwrap_or_else(|| self.jittered(*scheduled));
        After::Record(Next::Retry {
            at: now + delay.as_millis() as Timestamp,
            error,
        })
    }

    fn jittered(&self, delay: Duration) -> Duration {
        if self.jitter == 0.0 {
            return delay;
        }
        let factor = 1.0 + self.jitter * (fastrand::f64() * 2.0 - 1.0);
        delay.mul_f64(factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> RetrySchedule {
        RetrySchedule::new(vec![Duration::from_secs(5), Duration::from_secs(60)], 0.0)
    }

    fn retry() -> Outcome {
        Outcome::Retry {
            reason: "busy".to_owned(),
            delay: None,
        }
    }

    #[test]
    fn retries_follow_the_schedule_then_die() {
        let schedule = schedule();
        assert_eq!(schedule.max_attempts(), 3);
        assert_eq!(
            schedule.next(&retry(), 1, 1_000),
            After::Record(Next::Retry {
                at: 6_000,
                error: "retry: busy".to_owned()
            })
        );
        assert_eq!(
            schedule.next(&retry(), 2, 1_000),
            After::Record(Next::Retry {
                at: 61_000,
                error: "retry: busy".to_owned()
            })
        );
        assert_eq!(
            schedule.next(&retry(), 3, 1_000),
            After::Record(Next::Dead {
                error: "gave up after 3 attempts; last: retry: busy".to_owned()
            })
        );
    }

    #[test]
    fn faults_retry_failures_die_at_once_and_capacity_requeues() {
        let schedule = schedule();
        let trap = Outcome::Fault(Fault::Trap {
            message: "unreachable".to_owned(),
        });
        assert!(matches!(
            schedule.next(&trap, 1, 0),
            After::Record(Next::Retry { at: 5_000, .. })
        ));
        let failed = Outcome::Failed {
            reason: "bad address".to_owned(),
        };
        assert_eq!(
            schedule.next(&failed, 1, 0),
            After::Record(Next::Dead {
                error: "failed: bad address".to_owned()
            })
        );
        assert_eq!(
            schedule.next(&Outcome::Fault(Fault::Capacity), 1, 0),
            After::Requeue { at: 100 }
        );
        assert_eq!(
            schedule.next(&Outcome::Done, 1, 0),
            After::Record(Next::Done)
        );
    }

    #[test]
    fn a_requested_delay_wins_and_jitter_stays_within_bounds() {
        let schedule = RetrySchedule::new(vec![Duration::from_secs(10)], 0.2);
        let asked = Outcome::Retry {
            reason: "rate limited".to_owned(),
            delay: Some(Duration::from_secs(30)),
        };
        assert!(matches!(
            schedule.next(&asked, 1, 0),
            After::Record(Next::Retry { at: 30_000, .. })
        ));
        for _ in 0..200 {
            let After::Record(Next::Retry { at, .. }) = schedule.next(&retry(), 1, 0) else {
                panic!("expected a retry");
            };
            assert!((8_000..=12_000).contains(&at), "{at}");
        }
    }
}
