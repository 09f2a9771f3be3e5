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
//! (claim under a lease that expires, head-of-line per prospect) and the queries are written so that
//! a PostgreSQL implementation shared by several hosts can follow the same model: a claim there is
//! the same query with `FOR UPDATE SKIP LOCKED`, and a lease that expires because its host died is
//! taken over by [`Store::claim`] like a pending delivery.

mod error;
mod model;
mod sqlite;

pub use error::StoreError;
pub use model::{
    AttemptRecord, ClaimRequest, Claimed, DeliveryStatus, Ingested, NewEvent, NewWebhook, Next,
    Timestamp,
};
pub use sqlite::SqliteStore;

use async_trait::async_trait;

/// What the server needs from a store. Every method is one transaction.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a webhook, its events and their deliveries, unless a webhook with the same body
    /// arrived at or after `dedup_since`: then nothing is stored and the earlier one is returned.
    /// Returns only once the data is durable.
    async fn ingest(
        &self,
        webhook: NewWebhook,
        dedup_since: Timestamp,
    ) -> Result<Ingested, StoreError>;

    /// Claims due deliveries for `owner` until `lease_until`: pending ones whose time has come, and
    /// running ones whose lease expired (their owner died). Per request, at most `limit` of one
    /// plugin, and only the first open delivery of each (plugin, prospect): a later event of a
    /// prospect waits until the earlier one is finished.
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
}
