//! The durable store of smartreach-hooks: every received webhook, its events (one per data item),
//! one delivery per (event, subscribed plugin), and every attempt of a delivery.
//!
//! ```text
//! ingest ─> webhooks ─┬─> events ─> deliveries (pending) ─claim─> running ─complete─> done | skipped | dead
//!                     │                          ^                                  │
//!                     └─ redelivery: same body   └──────── pending (retry, later) <──┘
//! ```
//!
//! The server sees only the [`Store`] trait. [`SqliteStore`] is the embedded implementation: one
//! file, WAL, all writes through one thread that commits them in groups. The schema, the queue
//! (claim under a lease that expires, head-of-line per (source, prospect)) and the queries are written so that
//! a PostgreSQL implementation shared by several hosts can follow the same model: a claim there is
//! the same query with `FOR UPDATE SKIP LOCKED`, and a lease that expires because its host died is
//! taken over by [`Store::claim`] like a pending delivery.

mod error;
mod model;
mod sqlite;
mod view;

pub use error::StoreError;
pub use model::{
    AttemptRecord, ClaimRequest, Claimed, DeliveryStatus, Ingested, NewEvent, NewWebhook, Next,
    Timestamp, now_ms,
};
pub use sqlite::SqliteStore;
pub use view::{
    AttemptView, DeliveryDetail, DeliveryFilter, DeliverySummary, EventDetail, EventFilter,
    EventSummary, LastError, Page, PluginActivity, Pruned, QueueDepth, QueueStats, Queued,
    ReplayRefused, ShownStatus, StatusCounts,
};

use async_trait::async_trait;

/// What the server needs from a store. Every method is one transaction.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a webhook, its events and their deliveries, unless a webhook with the same body
    /// arrived from the same source at or after `dedup_since`: then nothing is stored and the
    /// earlier one is returned.
    /// Returns only once the data is durable.
    async fn ingest(
        &self,
        webhook: NewWebhook,
        dedup_since: Timestamp,
    ) -> Result<Ingested, StoreError>;

    /// Claims due deliveries for `owner` until `lease_until`: pending ones whose time has come, and
    /// running ones whose lease expired (their owner died). Per request, at most `limit` of one
    /// plugin, and only the first open delivery of each (plugin, source, prospect): a later event
    /// of a prospect waits until the earlier one of the same source is finished.
    async fn claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        requests: Vec<ClaimRequest>,
    ) -> Result<Vec<Claimed>, StoreError>;

    /// Records an attempt of a delivery claimed by `owner` and moves the delivery on. Returns
    /// `false` (and records nothing) when the delivery is no longer held by `owner`.
    async fn complete(&self, owner: &str, attempt: AttemptRecord) -> Result<bool, StoreError>;

    /// Returns the deliveries held by `owner` to pending, due at once (a shutdown that could not
    /// wait for them). Returns how many.
    async fn release(&self, owner: &str) -> Result<u64, StoreError>;

    /// Counts deliveries by status, for readiness and tests.
    async fn count_deliveries(&self) -> Result<Vec<(DeliveryStatus, u64)>, StoreError>;

    /// Events matching `filter`, newest first, `limit` per page from `cursor`.
    async fn list_events(
        &self,
        filter: EventFilter,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<Page<EventSummary>, StoreError>;

    /// One event with its deliveries and their attempts.
    async fn event(&self, id: String) -> Result<Option<EventDetail>, StoreError>;

    /// Deliveries matching `filter`, newest first, `limit` per page from `cursor`.
    async fn list_deliveries(
        &self,
        filter: DeliveryFilter,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<Page<DeliverySummary>, StoreError>;

    /// Deliveries by status and last error of every plugin that has deliveries.
    async fn plugin_activity(&self) -> Result<Vec<PluginActivity>, StoreError>;

    /// Open deliveries by plugin and the longest-waiting due one at `now`, for metrics.
    async fn queue_stats(&self, now: Timestamp) -> Result<QueueStats, StoreError>;

    /// Queues a new delivery of the same event to the same plugin, due at `now`. A replayed dead
    /// letter points to its replay and no longer counts as dead.
    async fn replay(
        &self,
        delivery_id: i64,
        now: Timestamp,
    ) -> Result<Result<i64, ReplayRefused>, StoreError>;

    /// Replays every dead letter of `plugin` not replayed yet, oldest first.
    async fn replay_dead(&self, plugin: String, now: Timestamp) -> Result<Queued, StoreError>;

    /// Queues deliveries to `plugin` of the stored events of `event_types` (every type when
    /// `None`) received in `[since, until)`, oldest first, except events it already has a delivery
    /// of.
    async fn backfill(
        &self,
        plugin: String,
        event_types: Option<Vec<String>>,
        since: Timestamp,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Queued, StoreError>;

    /// Deletes one batch of webhooks received before `before` with everything of them, except
    /// those with an event that has a pending or running delivery or a dead letter; and of
    /// attempts started before `before` of finished deliveries. Call again while `more`.
    async fn prune(&self, before: Timestamp) -> Result<Pruned, StoreError>;

    /// Answers through the writer: the store can commit.
    async fn ping(&self) -> Result<(), StoreError>;
}
