//! What this host holds, per plugin: deliveries running, and deliveries claimed ahead that wait
//! for a free slot.
//!
//! Claiming ahead is what makes a claim cheap: one claim takes up to a plugin's concurrency in
//! deliveries, so under a backlog the store sees one claim per `max_concurrency` deliveries
//! instead of one per delivery. A plugin holds at most twice its concurrency (running + waiting),
//! and claims again once it holds no more than its concurrency.
//!
//! A claim is a lease: once it ends, the store hands the delivery to the next claim, this host's
//! included. So a waiting delivery is never started once too little of its lease is left for a run
//! ([`Slots::take_overdue`] hands it back to the store instead), and a delivery this host already
//! holds is never taken a second time ([`Slots::claimed`]): either would run it twice.
//!
//! A claim can still return a delivery held here: the store commits operations in groups, so a
//! claim can commit together with (or just after) the attempt a running task records, and come
//! back before that task has ended. Such a copy is kept aside and, once the held copy is let go,
//! handed back to the store ([`Slots::take_handed_back`]): the store then makes it pending again if
//! it is still this host's claim, and changes nothing if the held task's record came later.

use std::collections::{HashMap, HashSet, VecDeque};

use smartreach_store::{Claimed, Timestamp};

/// Deliveries held by this host, by plugin.
#[derive(Default)]
pub(super) struct Slots {
    tasks: HashMap<tokio::task::Id, (String, i64)>,
    running: HashMap<String, u32>,
    waiting: HashMap<String, VecDeque<Claimed>>,
    /// Every delivery id held, running or waiting.
    held_ids: HashSet<i64>,
    /// Deliveries claimed again while held, by id: handed back once the held copy is let go.
    reclaimed: HashMap<i64, Claimed>,
    /// Reclaimed copies whose held copy was let go: to hand back to the store.
    handed_back: Vec<Claimed>,
}

impl Slots {
    /// A claimed delivery, to start when its plugin has a free slot. Returns `false` when this
    /// host already holds that delivery: it must not run twice, so the copy is kept aside and
    /// handed back once the held one is let go (see the module's docs).
    #[must_use]
    pub(super) fn claimed(&mut self, delivery: Claimed) -> bool {
        if !self.held_ids.insert(delivery.delivery_id) {
            self.reclaimed.insert(delivery.delivery_id, delivery);
            return false;
        }
        self.waiting
            .entry(delivery.plugin.clone())
            .or_default()
            .push_back(delivery);
        true
    }

    /// The next waiting delivery of `plugin`, if it has one and fewer than `concurrency` running.
    pub(super) fn next_to_start(&mut self, plugin: &str, concurrency: u32) -> Option<Claimed> {
        if self.running_of(plugin) >= concurrency {
            return None;
        }
        self.waiting.get_mut(plugin)?.pop_front()
    }

    /// Takes every waiting delivery whose lease ends within `margin` of `now` (a run started now
    /// could outlast it): to hand back to the store rather than run.
    pub(super) fn take_overdue(&mut self, now: Timestamp, margin: i64) -> Vec<Claimed> {
        let mut overdue = Vec::new();
        for queue in self.waiting.values_mut() {
            let (late, in_time): (VecDeque<Claimed>, VecDeque<Claimed>) = queue
                .drain(..)
                .partition(|delivery| delivery.lease_until - margin <= now);
            *queue = in_time;
            overdue.extend(late);
        }
        for delivery in &overdue {
            self.let_go(delivery.delivery_id);
        }
        overdue
    }

    /// When the first waiting delivery becomes overdue (see [`Self::take_overdue`]).
    pub(super) fn next_overdue(&self, margin: i64) -> Option<Timestamp> {
        self.waiting
            .values()
            .flatten()
            .map(|delivery| delivery.lease_until - margin)
            .min()
    }

    /// Plugins with waiting deliveries.
    pub(super) fn waiting_plugins(&self) -> Vec<String> {
        self.waiting
            .iter()
            .filter(|(_, queue)| !queue.is_empty())
            .map(|(plugin, _)| plugin.clone())
            .collect()
    }

    /// Takes every waiting delivery of `plugin` (it was unloaded).
    pub(super) fn take_waiting(&mut self, plugin: &str) -> Vec<Claimed> {
        let taken = self
            .waiting
            .remove(plugin)
            .map(Vec::from)
            .unwrap_or_default();
        for delivery in &taken {
            self.let_go(delivery.delivery_id);
        }
        taken
    }

    /// Every delivery held, running or waiting: whose leases the heartbeat renews.
    pub(super) fn held_ids(&self) -> Vec<i64> {
        self.held_ids.iter().copied().collect()
    }

    /// The store renewed the leases of `renewed` until `until`: waiting deliveries among them now
    /// hold until then; waiting deliveries not among them were taken over by another claim and
    /// are dropped (never started here). Returns how many were dropped.
    pub(super) fn renewed(&mut self, renewed: &[i64], until: Timestamp) -> usize {
        let renewed: HashSet<i64> = renewed.iter().copied().collect();
        let mut lost = Vec::new();
        for queue in self.waiting.values_mut() {
            queue.retain_mut(|delivery| {
                if renewed.contains(&delivery.delivery_id) {
                    delivery.lease_until = until;
                    true
                } else {
                    lost.push(delivery.delivery_id);
                    false
                }
            });
        }
        for &id in &lost {
            self.let_go(id);
        }
        lost.len()
    }

    /// Delivery `delivery_id` of `plugin` started as `task`.
    pub(super) fn started(&mut self, task: tokio::task::Id, plugin: String, delivery_id: i64) {
        *self.running.entry(plugin.clone()).or_default() += 1;
        self.tasks.insert(task, (plugin, delivery_id));
    }

    /// A delivery task ended.
    pub(super) fn finished(&mut self, done: Result<(tokio::task::Id, ()), tokio::task::JoinError>) {
        let task = match done {
            Ok((task, ())) => task,
            Err(err) => {
                tracing::error!(error = %err, "a delivery task failed; the delivery runs again after its lease");
                err.id()
            }
        };
        if let Some((plugin, delivery_id)) = self.tasks.remove(&task) {
            self.let_go(delivery_id);
            if let Some(count) = self.running.get_mut(&plugin) {
                *count = count.saturating_sub(1);
            }
        }
    }

    /// Copies claimed while held whose held copy has been let go since: for the store's
    /// `requeue`, which returns them to pending if they are still this host's claims.
    pub(super) fn take_handed_back(&mut self) -> Vec<Claimed> {
        std::mem::take(&mut self.handed_back)
    }

    /// Delivery `delivery_id` is no longer held (it finished, or was handed back).
    fn let_go(&mut self, delivery_id: i64) {
        self.held_ids.remove(&delivery_id);
        if let Some(copy) = self.reclaimed.remove(&delivery_id) {
            self.handed_back.push(copy);
        }
    }

    /// Deliveries of `plugin` running now.
    pub(super) fn running_of(&self, plugin: &str) -> u32 {
        self.running.get(plugin).copied().unwrap_or(0)
    }

    /// Deliveries of `plugin` held: running or waiting.
    pub(super) fn held_of(&self, plugin: &str) -> u32 {
        self.running_of(plugin) + self.waiting.get(plugin).map_or(0, |q| q.len() as u32)
    }

    /// Deliveries running, all plugins.
    pub(super) fn running(&self) -> usize {
        self.tasks.len()
    }

    /// Deliveries held, all plugins.
    pub(super) fn held(&self) -> usize {
        self.tasks.len() + self.waiting.values().map(VecDeque::len).sum::<usize>()
    }
}

/// How many deliveries of a plugin to claim now, or 0: when it holds no more than its concurrency
/// (`concurrency`, already capped by the workers), up to twice that, within the host's `budget`.
pub(super) fn to_claim(concurrency: u32, held: u32, budget: u32) -> u32 {
    if concurrency == 0 || held > concurrency {
        return 0;
    }
    (2 * concurrency - held).min(budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(id: i64, plugin: &str) -> Claimed {
        leased(id, plugin, i64::MAX)
    }

    fn leased(id: i64, plugin: &str, lease_until: Timestamp) -> Claimed {
        Claimed {
            delivery_id: id,
            plugin: plugin.to_owned(),
            attempts: 0,
            event_id: format!("e{id}"),
            event_type: "prospect.created".to_owned(),
            prospect_id: None,
            metadata: "{}".to_owned(),
            item: "{}".to_owned(),
            lease_until,
        }
    }

    #[test]
    fn claims_a_full_window_when_idle_and_again_at_half() {
        assert_eq!(to_claim(16, 0, 100), 32);
        assert_eq!(to_claim(16, 17, 100), 0, "more than one window's half held");
        assert_eq!(to_claim(16, 16, 100), 16);
        assert_eq!(to_claim(16, 10, 4), 4, "the host's budget caps it");
        assert_eq!(to_claim(0, 0, 100), 0);
        assert_eq!(to_claim(1, 1, 100), 1);
    }

    #[tokio::test]
    async fn waiting_deliveries_start_in_claim_order_within_the_concurrency() {
        let mut slots = Slots::default();
        for id in 1..=3 {
            assert!(slots.claimed(delivery(id, "a")));
        }
        assert!(slots.claimed(delivery(9, "b")));
        assert_eq!(slots.held_of("a"), 3);
        let mut tasks = tokio::task::JoinSet::new();
        let first = slots.next_to_start("a", 2).expect("a slot is free");
        assert_eq!(first.delivery_id, 1);
        let handle = tasks.spawn(async {});
        slots.started(handle.id(), "a".to_owned(), 0);
        let second = slots.next_to_start("a", 2).expect("a second slot is free");
        assert_eq!(second.delivery_id, 2);
        let handle = tasks.spawn(async {});
        slots.started(handle.id(), "a".to_owned(), 0);
        assert!(
            slots.next_to_start("a", 2).is_none(),
            "both slots are taken"
        );
        assert_eq!((slots.running(), slots.held()), (2, 4));

        let done = tasks.join_next_with_id().await.expect("a task ran");
        slots.finished(done);
        assert_eq!(slots.running_of("a"), 1);
        assert_eq!(slots.next_to_start("a", 2).map(|d| d.delivery_id), Some(3));

        let taken = slots.take_waiting("b");
        assert_eq!(taken.iter().map(|d| d.delivery_id).collect::<Vec<_>>(), [9]);
        assert!(slots.waiting_plugins().is_empty());
    }

    #[test]
    fn a_waiting_delivery_is_handed_back_before_its_lease_could_end_during_its_run() {
        let mut slots = Slots::default();
        assert!(slots.claimed(leased(1, "a", 10_000)));
        assert!(slots.claimed(leased(2, "a", 20_000)));
        let margin = 3_000;
        assert_eq!(slots.next_overdue(margin), Some(7_000));
        assert!(slots.take_overdue(6_999, margin).is_empty(), "time enough");
        let overdue = slots.take_overdue(7_000, margin);
        assert_eq!(
            overdue.iter().map(|d| d.delivery_id).collect::<Vec<_>>(),
            [1]
        );
        assert_eq!(slots.held_of("a"), 1);
        assert_eq!(
            slots.next_to_start("a", 4).map(|d| d.delivery_id),
            Some(2),
            "the overdue one never starts"
        );
        assert!(
            slots.claimed(leased(1, "a", 30_000)),
            "once handed back, claiming it again is a new hold"
        );
    }

    #[tokio::test]
    async fn a_delivery_already_held_is_not_taken_twice_waiting_or_running() {
        let mut slots = Slots::default();
        assert!(slots.claimed(delivery(1, "a")));
        assert!(!slots.claimed(delivery(1, "a")), "waiting");
        let started = slots.next_to_start("a", 1).unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        let handle = tasks.spawn(async {});
        slots.started(handle.id(), "a".to_owned(), started.delivery_id);
        assert!(!slots.claimed(delivery(1, "a")), "running");
        assert_eq!(slots.held(), 1);
        assert!(
            slots.take_handed_back().is_empty(),
            "the held copy still runs"
        );
        slots.finished(tasks.join_next_with_id().await.unwrap());
        // The copy claimed while the held one was recorded goes back to the store, once.
        let handed_back = slots.take_handed_back();
        assert_eq!(
            handed_back.len(),
            1,
            "one copy, however often it was claimed"
        );
        assert_eq!(handed_back[0].delivery_id, 1);
        assert!(slots.take_handed_back().is_empty());
        assert!(slots.claimed(delivery(1, "a")), "finished: no longer held");
    }

    #[tokio::test]
    async fn a_renewal_extends_what_it_renewed_and_drops_what_is_no_longer_held() {
        let mut slots = Slots::default();
        for id in 1..=3 {
            assert!(slots.claimed(leased(id, "a", 1_000)));
        }
        let running = slots.next_to_start("a", 1).unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        let handle = tasks.spawn(async {});
        slots.started(handle.id(), "a".to_owned(), running.delivery_id);
        let mut held = slots.held_ids();
        held.sort_unstable();
        assert_eq!(held, [1, 2, 3], "running and waiting alike");

        // The store renewed 1 (running) and 3, not 2: another host took 2 over.
        assert_eq!(slots.renewed(&[1, 3], 9_000), 1);
        assert_eq!(slots.held_of("a"), 2);
        assert_eq!(
            slots.next_overdue(500),
            Some(8_500),
            "the renewed lease counts"
        );
        assert!(slots.take_overdue(5_000, 500).is_empty());
        assert_eq!(slots.next_to_start("a", 2).map(|d| d.delivery_id), Some(3));
        assert!(
            slots.claimed(leased(2, "a", 20_000)),
            "2 is no longer held here"
        );
    }

    #[test]
    fn a_copy_claimed_while_waiting_goes_back_with_the_overdue_one() {
        let mut slots = Slots::default();
        assert!(slots.claimed(leased(1, "a", 1_000)));
        assert!(!slots.claimed(leased(1, "a", 5_000)));
        let overdue = slots.take_overdue(900, 200);
        assert_eq!(overdue.len(), 1);
        let handed_back = slots.take_handed_back();
        assert_eq!(handed_back.len(), 1);
        assert_eq!(handed_back[0].lease_until, 5_000, "the later claim");
    }
}
