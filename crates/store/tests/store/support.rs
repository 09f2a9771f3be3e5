//! What the conformance tests share: a store under test, webhooks to ingest, and short forms of
//! the trait's calls.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use smartreach_store::{
    AttemptOutcome, AttemptRecord, ClaimRequest, Claimed, DeliveryFilter, DeliverySummary,
    Ingested, NewEvent, NewWebhook, Next, StatusCounts, Store,
};

/// An arbitrary "now" that every test counts from.
pub const NOW: i64 = 1_700_000_000_000;

/// A store under test, with whatever must live as long as it (a folder, a database to drop).
pub struct Subject {
    // Dropped first: the store before what it stands on.
    store: Box<dyn Store>,
    _keep: Box<dyn Any>,
}

impl Subject {
    /// `store`, keeping `keep` alive until the store is dropped.
    pub fn new(store: impl Store, keep: impl Any) -> Self {
        Self {
            store: Box::new(store),
            _keep: Box::new(keep),
        }
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }
}

/// A webhook to ingest: one event without a prospect, for no plugin, from source `test`,
/// received at [`NOW`], with a body of its own; change what a test needs.
pub struct Hook(NewWebhook);

/// A webhook with id `id` (its body is `id` too, so two hooks are no redelivery of each other).
pub fn hook(id: &str) -> Hook {
    Hook(NewWebhook {
        id: id.to_owned(),
        source: "test".to_owned(),
        received_at: NOW,
        body: id.as_bytes().to_vec(),
        body_sha256: format!("sha-of-{id}"),
        event_type: "prospect.created".to_owned(),
        metadata: format!(r#"{{"webhook":"{id}"}}"#),
        events: Vec::new(),
        plugins: Vec::new(),
    })
    .prospects(&[None])
}

impl Hook {
    /// From `source`.
    pub fn source(mut self, source: &str) -> Self {
        source.clone_into(&mut self.0.source);
        self
    }

    /// Received at `at`.
    pub fn at(mut self, at: i64) -> Self {
        self.0.received_at = at;
        self
    }

    /// With this body (and its hash).
    pub fn body(mut self, body: &str) -> Self {
        self.0.body = body.as_bytes().to_vec();
        self.0.body_sha256 = format!("sha-of-{body}");
        self
    }

    /// Of this event type.
    pub fn event_type(mut self, event_type: &str) -> Self {
        event_type.clone_into(&mut self.0.event_type);
        for event in &mut self.0.events {
            event_type.clone_into(&mut event.event_type);
        }
        self
    }

    /// One event per entry, of that prospect.
    pub fn prospects(mut self, prospects: &[Option<&str>]) -> Self {
        let id = &self.0.id;
        self.0.events = prospects
            .iter()
            .enumerate()
            .map(|(index, prospect)| NewEvent {
                id: format!("{id}:{index}"),
                index: index as u32,
                event_type: self.0.event_type.clone(),
                prospect_id: prospect.map(str::to_owned),
                email: None,
                occurred_at: None,
                item: format!(r#"{{"index":{index}}}"#),
            })
            .collect();
        self
    }

    /// Its events' prospect email.
    pub fn email(mut self, email: &str) -> Self {
        for event in &mut self.0.events {
            event.email = Some(email.to_owned());
        }
        self
    }

    /// Delivered to these plugins.
    pub fn plugins(mut self, plugins: &[&str]) -> Self {
        self.0.plugins = plugins.iter().map(|plugin| (*plugin).to_owned()).collect();
        self
    }

    /// The webhook.
    pub fn build(self) -> NewWebhook {
        self.0
    }
}

/// Ingests `hook` (no earlier body counts as a redelivery) and expects it stored.
pub async fn ingest(store: &dyn Store, hook: Hook) {
    let stored = store.ingest(hook.build(), i64::MAX).await.unwrap();
    assert!(matches!(stored, Ingested::Stored { .. }), "{stored:?}");
}

/// Claims for `owner` at `now` until `lease_until`: up to `limit` of `plugin`.
pub async fn claim(
    store: &dyn Store,
    owner: &str,
    now: i64,
    lease_until: i64,
    plugin: &str,
    limit: u32,
) -> Vec<Claimed> {
    store
        .claim(
            owner,
            now,
            lease_until,
            vec![ClaimRequest {
                plugin: plugin.to_owned(),
                limit,
                rate: None,
            }],
        )
        .await
        .unwrap()
}

/// The event ids of `claimed`, in order.
pub fn events(claimed: &[Claimed]) -> Vec<&str> {
    claimed.iter().map(|c| c.event_id.as_str()).collect()
}

/// An attempt of `delivery_id` that came out as `outcome` and goes on to `next`.
pub fn attempt(delivery_id: i64, outcome: AttemptOutcome, next: Next) -> AttemptRecord {
    AttemptRecord {
        delivery_id,
        plugin_hash: "hash".to_owned(),
        started_at: NOW,
        duration_us: 10,
        outcome,
        detail: None,
        logs: "[]".to_owned(),
        requests: "[]".to_owned(),
        next,
    }
}

/// A retry at `at`, erring with `error`.
pub fn retry(at: i64, error: &str) -> Next {
    Next::Retry {
        at,
        error: error.to_owned(),
    }
}

/// Dead, erring with `error`.
pub fn dead(error: &str) -> Next {
    Next::Dead {
        error: error.to_owned(),
    }
}

/// Completes `delivery_id` for `owner` with `outcome` and `next` at `now`; whether it was taken.
pub async fn complete(
    store: &dyn Store,
    owner: &str,
    delivery_id: i64,
    outcome: AttemptOutcome,
    next: Next,
    now: i64,
) -> bool {
    store
        .complete(owner, attempt(delivery_id, outcome, next), now)
        .await
        .unwrap()
}

/// Claims everything due of `plugin` (far in the future) and completes it as `next`; the ids.
pub async fn finish_all(store: &dyn Store, plugin: &str, next: Next) -> Vec<i64> {
    let outcome = match next {
        Next::Done => AttemptOutcome::Done,
        Next::Skipped => AttemptOutcome::Skipped,
        Next::Retry { .. } => AttemptOutcome::Retry,
        Next::Dead { .. } => AttemptOutcome::Failed,
    };
    let claimed = claim(store, "finisher", i64::MAX - 1, i64::MAX, plugin, 500).await;
    for delivery in &claimed {
        assert!(
            complete(
                store,
                "finisher",
                delivery.delivery_id,
                outcome,
                next.clone(),
                i64::MAX - 1
            )
            .await
        );
    }
    claimed.iter().map(|c| c.delivery_id).collect()
}

/// The deliveries of `plugin` by status.
pub async fn counts(store: &dyn Store, plugin: &str) -> StatusCounts {
    store
        .plugin_activity()
        .await
        .unwrap()
        .into_iter()
        .find(|activity| activity.plugin == plugin)
        .map(|activity| activity.deliveries)
        .unwrap_or_default()
}

/// Delivery `id`, as listed.
pub async fn delivery(store: &dyn Store, id: i64) -> DeliverySummary {
    let mut cursor = None;
    loop {
        let page = store
            .list_deliveries(DeliveryFilter::default(), 500, cursor)
            .await
            .unwrap();
        if let Some(found) = page.items.into_iter().find(|d| d.id == id) {
            return found;
        }
        cursor = Some(page.next_cursor.expect("the delivery is listed"));
    }
}

/// Every delivery of `plugin`, oldest first.
pub async fn all_deliveries(store: &dyn Store, plugin: &str) -> Vec<DeliverySummary> {
    let filter = DeliveryFilter {
        plugin: Some(plugin.to_owned()),
        ..DeliveryFilter::default()
    };
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_deliveries(filter.clone(), 500, cursor)
            .await
            .unwrap();
        all.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    all.reverse();
    all
}

/// Runs `futures` at once (on this task, as concurrent callers of one host would); their outputs
/// in the same order.
pub async fn at_once<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(done) => *output = Some(done),
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|output| output.expect("polled to the end"))
        .collect()
}
