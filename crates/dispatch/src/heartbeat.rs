//! The host's heartbeat: every third of the lease, the leases of every delivery it holds (running
//! or waiting for a slot) are renewed, so a lease can be short (a dead host's work resumes soon)
//! whatever a plugin's run takes. What the store no longer counts as this host's (another host
//! took it over after a lease ended unrenewed, say while the store was unreachable) is let go.

use std::time::Duration;

use smartreach_store::now_ms;
use tokio::time::Instant;

use crate::Dispatcher;
use crate::slots::Slots;

/// When the next renewal is due.
pub(super) struct Heartbeat {
    interval: Duration,
    next: Instant,
}

impl Heartbeat {
    /// A heartbeat for leases of `lease`: a renewal every third of it.
    pub(super) fn new(lease: Duration) -> Self {
        let interval = lease / 3;
        Self {
            interval,
            next: Instant::now() + interval,
        }
    }

    /// How long before a waiting delivery's lease ends it is handed back instead of started: one
    /// renewal interval, the time by which a renewal that failed once is overdue.
    pub(super) fn margin_ms(&self) -> i64 {
        i64::try_from(self.interval.as_millis()).unwrap_or(i64::MAX)
    }

    /// Whether a renewal is due.
    pub(super) fn due(&self) -> bool {
        Instant::now() >= self.next
    }

    /// Waits until a renewal is due.
    pub(super) async fn wait(&self) {
        tokio::time::sleep_until(self.next).await;
    }

    /// A renewal was made (or tried): the next is due an interval from now.
    fn beat(&mut self) {
        self.next = Instant::now() + self.interval;
    }
}

impl Dispatcher {
    /// Renews the leases of what `slots` holds when a renewal is due, and reads which plugins are
    /// paused again. Waiting deliveries whose
    /// lease the store did not renew are no longer this host's: dropped, never started. A running
    /// one keeps running; its record is refused by the store and the other holder's counts.
    pub(super) async fn renew(&self, heartbeat: &mut Heartbeat, slots: &mut Slots) {
        if !heartbeat.due() {
            return;
        }
        heartbeat.beat();
        self.refresh_controls().await;
        let held = slots.held_ids();
        if held.is_empty() {
            return;
        }
        let until = now_ms() + i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
        match self.store.renew(&self.owner, held.clone(), until).await {
            Ok(renewed) => {
                // A running delivery missing from `renewed` may just have been recorded by its
                // task (which says so itself when another claim took it over); a waiting one
                // missing was taken over.
                let dropped = slots.renewed(&renewed, until);
                if dropped > 0 {
                    tracing::warn!(
                        dropped,
                        "deliveries claimed ahead by this host were taken over by another claim \
                         after their leases ended unrenewed (was the store unreachable for longer \
                         than delivery.lease?); dropped here, the other claim runs them"
                    );
                }
            }
            Err(err) => tracing::error!(
                error = %err,
                held = held.len(),
                "cannot renew the leases of the deliveries this host holds; trying again in a \
                 third of delivery.lease (once a lease ends, another host may run its delivery \
                 again)"
            ),
        }
    }
}
