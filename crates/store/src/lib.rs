//! The durable store of smartreach-hooks: every received webhook, its events (one per data item),
//! one delivery per (event, subscribed plugin), and every attempt of a delivery.
//!
//! ```text
//! ingest ─> webhooks ─┬─> events ─> deliveries (pending) ─claim─> running ─complete─> done | skipped | dead
//!                     │                          ^                                  │
//!                     └─ redelivery: same body   ├──────── pending (retry, later) <──┤
//!                                                ├──────── pending (requeue, release) <─┘ (no attempt)
//!                                                └──────── a lease that expired: claimed again
//! ```
//!
//! The server sees only the [`Store`] trait. [`SqliteStore`] is the embedded implementation: one
//! file, WAL, all writes through one thread that commits them in groups. The schema, the queue
//! (claim under a lease that expires, head-of-line per (source, prospect)) and the queries are written so that
//! a PostgreSQL implementation shared by several hosts can follow the same model: a claim there is
//! the same query with `FOR UPDATE SKIP LOCKED`, and a lease that expires because its host died is
//! taken over by [`Store::claim`] like a pending delivery.

pub mod calendar;
mod control;
mod error;
mod model;
mod outcome;
mod postgres;
mod rate;
mod sqlite;
mod view;

pub use control::PluginControl;
pub use error::StoreError;
pub use model::{
    AttemptRecord, ClaimRequest, Claimed, DeliveryStatus, Ingested, NewEvent, NewWebhook, Next,
    Timestamp, now_ms,
};
pub use outcome::AttemptOutcome;
pub use postgres::PostgresStore;
pub use postgres::import::{ImportError, Imported};
pub use rate::ClaimRate;
pub use sqlite::SqliteStore;
pub use view::{
    AttemptView, DeliveryDetail, DeliveryFilter, DeliverySummary, EventDetail, EventFilter,
    EventSummary, LastError, MINUTE_MS, MinuteActivity, OutcomeCounts, Page, PluginActivity,
    Pruned, QueueDepth, QueueStats, Queued, ReplayRefused, ShownStatus, StatusCounts,
};

use async_trait::async_trait;

/// What the host needs from a store, and what every implementation promises. The conformance
/// suite (`crates/store/tests/store/`) checks each promise below against every implementation.
///
/// # Guarantees of every operation
///
/// - **Atomicity.** Each call that writes is one transaction: all of it is stored, or none of it
///   (an `Err` means none of it). The exceptions are [`Store::replay_dead`] and
///   [`Store::backfill`], which commit in chunks (each chunk atomic, so an `Err` may follow
///   chunks that committed; calling again queues the rest) so that ingest never waits behind
///   them, and [`Store::prune`], which deletes one batch per call.
/// - **Durability.** A call that writes returns `Ok` only after its transaction committed (on
///   SQLite: after the WAL was synced). An implementation may commit several callers' operations
///   in one transaction (group commit); each caller still hears of its own commit only.
/// - **Time.** The store reads no clock: every time it writes or compares is handed in (`now`,
///   `at`, `lease_until`, `dedup_since`, `before`), read by the caller from [`now_ms`]. Two hosts
///   sharing a store must keep their clocks close (leases and due times are compared across them).
/// - **Ordering.** Deliveries are ordered per (plugin, source, prospect) by their id (the order
///   they were created in: ingest, replay and backfill alike). Of the open (`pending` or
///   `running`) deliveries of one such key only the oldest is ever claimed, whichever owner
///   holds it: a later event waits while the earlier one runs or waits for its retry, and stops
///   waiting once the earlier one is finished (`done`, `skipped`) or dead. A delivery without a
///   prospect is ordered with nothing.
/// - **Controls.** A plugin paused with [`Store::set_paused`] has none of its deliveries claimed
///   (neither pending ones nor ones under an expired lease) until it is resumed, nor one held
///   back with [`Store::hold`] until that time, by any claimer of the store; they stay as they
///   are, in order, and a pause or hold survives the store's reopening. Deliveries claimed
///   before the pause or hold committed stay with their owner, who decides whether to run them.
/// - **Leases.** A claimed delivery is `running` and held by one owner (a host's name) until its
///   lease ends; the owner keeps it held for longer by renewing the lease ([`Store::renew`]) while
///   it runs, so a lease can be short (a dead host's work is taken over soon) whatever a plugin's
///   run takes. [`Store::complete`], [`Store::requeue`] and [`Store::renew`] act only on
///   deliveries still held by the calling owner: once another owner took the delivery over (after
///   the lease expired), the first owner's calls change nothing and say so. A lease that expired
///   but that nobody took over yet is still held: its owner may complete or renew it.
/// - **Idempotence.** Doing it again does no harm: an ingest of the same body from the same
///   source within the window is a redelivery; a complete, requeue or release of a delivery no
///   longer held changes nothing; a delivery is replayed once; a backfill or a replay of dead
///   letters queues only what it has not queued; a prune deletes only what is still prunable.
/// - **Errors.** A [`StoreError`] means the operation did not take effect: its transaction was
///   rolled back or never ran. (A store that cannot tell, such as a network database whose
///   connection broke during the commit, relies on the idempotence above: trying again is safe.)
///   The caller may try again. Answers that are not failures (a redelivery, a refused replay, a
///   delivery no longer held) are `Ok` values.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a webhook, its events and one `pending` delivery (due at `received_at`) per event
    /// and plugin of `webhook.plugins`, in one transaction; returns once that committed.
    ///
    /// Idempotent per body: when a webhook of the same source with the same `body_sha256` was
    /// received at or after `dedup_since`, nothing is stored and that earlier webhook is returned
    /// ([`Ingested::Duplicate`]).
    async fn ingest(
        &self,
        webhook: NewWebhook,
        dedup_since: Timestamp,
    ) -> Result<Ingested, StoreError>;

    /// Claims due deliveries for `owner` until `lease_until`, in one transaction: `pending` ones
    /// due at `now` (`next_attempt_at <= now`), and `running` ones whose lease ended before `now`
    /// (their owner died or stalled; the run it never finished counts as an attempt, so
    /// [`Claimed::attempts`] is one more). Per request, at most `limit` deliveries of its plugin,
    /// the longest-due first (by due time, then id), and only the head of each (plugin, source,
    /// prospect) (see the ordering above). Every claimed delivery is `running`, held by `owner`
    /// until `lease_until`.
    ///
    /// A delivery whose lease is still running is never claimed, not even by its owner; one whose
    /// lease ended is claimed by whoever claims next, its owner included. Claimers sharing a store
    /// claim disjoint deliveries.
    ///
    /// A request with a [`ClaimRate`] takes no more than its plugin's budget allows: a token
    /// bucket kept in the store for the plugin, holding at most `burst` tokens, refilled by
    /// `count` per period and spent by one per delivery claimed, shared by every claimer of the
    /// store (so that the rate holds for all of them together). The bucket is read, refilled up
    /// to `now` and spent in the claim's transaction. Nothing is claimed of a paused plugin.
    async fn claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        requests: Vec<ClaimRequest>,
    ) -> Result<Vec<Claimed>, StoreError>;

    /// Records an attempt of a delivery held by `owner` and moves the delivery on as
    /// `attempt.next` says, in one transaction: `done`, `skipped` or `dead` (finished, due `now`),
    /// or `pending` again at [`Next::Retry`]'s `at`. The attempt counts (the delivery's `attempts`
    /// grows by one and the attempt is stored under that number); a retry's or a dead letter's
    /// error becomes the delivery's `last_error` (an attempt without one keeps the last). `now` is the time of the change.
    ///
    /// Returns `false`, and records nothing, when the delivery is not `running` under `owner`:
    /// another owner took it over, it was released or requeued, or it was completed already (so
    /// completing twice records one attempt).
    async fn complete(
        &self,
        owner: &str,
        attempt: AttemptRecord,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Hands deliveries claimed by `owner` back without running them (their plugin was unloaded,
    /// no instance slot was free, or they waited too long to run within their lease): `pending`
    /// again, due at `at`, in one transaction. No attempt is counted or recorded and `last_error`
    /// is kept; `now` is the time of the change.
    ///
    /// Only deliveries still `running` under `owner` change; the others are left as they are.
    /// Returns how many changed.
    async fn requeue(
        &self,
        owner: &str,
        delivery_ids: Vec<i64>,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<u64, StoreError>;

    /// Moves the end of the leases of `delivery_ids` held by `owner` to `until` (the owner's
    /// heartbeat), in one transaction. Only deliveries still `running` under `owner` change (a
    /// lease that ended but that nobody took over included); returns their ids, so the owner
    /// learns which of its runs were taken over by another owner and are no longer its own.
    async fn renew(
        &self,
        owner: &str,
        delivery_ids: Vec<i64>,
        until: Timestamp,
    ) -> Result<Vec<i64>, StoreError>;

    /// Returns every delivery held by `owner` to `pending`, due at `now` (a shutdown that could
    /// not wait for them), in one transaction. No attempt is counted. Returns how many.
    async fn release(&self, owner: &str, now: Timestamp) -> Result<u64, StoreError>;

    /// Events matching `filter`, newest first (by id), `limit` per page from `cursor` (the
    /// `next_cursor` of the page before; what any other cursor returns is unspecified: the
    /// admin API refuses them before they reach the store).
    async fn list_events(
        &self,
        filter: EventFilter,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<Page<EventSummary>, StoreError>;

    /// One event with its deliveries (oldest first) and their attempts (in order).
    async fn event(&self, id: String) -> Result<Option<EventDetail>, StoreError>;

    /// Deliveries matching `filter`, newest first (by id), `limit` per page from `cursor` (the
    /// `next_cursor` of the page before; what any other cursor returns is unspecified: the
    /// admin API refuses them before they reach the store).
    async fn list_deliveries(
        &self,
        filter: DeliveryFilter,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<Page<DeliverySummary>, StoreError>;

    /// Deliveries by status and the last unsuccessful attempt (`retry`, `failed` or `fault`) of
    /// every plugin that has deliveries, by plugin name.
    async fn plugin_activity(&self) -> Result<Vec<PluginActivity>, StoreError>;

    /// Open deliveries and unreplayed dead letters by plugin, and since when the longest-waiting
    /// delivery due at `now` has been due, for metrics.
    async fn queue_stats(&self, now: Timestamp) -> Result<QueueStats, StoreError>;

    /// Webhooks received and attempts started at or after `since`, counted per minute (minutes
    /// start at multiples of [`MINUTE_MS`]), oldest first; a minute with neither is left out.
    /// Reads the time indexes of webhooks and attempts: the cost follows the window, not the
    /// history.
    async fn activity_by_minute(&self, since: Timestamp)
    -> Result<Vec<MinuteActivity>, StoreError>;

    /// Queues a new `pending` delivery of a finished delivery's event to the same plugin, due at
    /// `now` (origin `replay`), in one transaction. It is ordered behind every delivery created
    /// before it (its prospect's newer events included). A replayed dead letter points to its
    /// replay (`replayed_by`) and no longer counts as dead. Refused, with nothing changed, while
    /// the delivery is open, once it was replayed, or when there is no such delivery.
    async fn replay(
        &self,
        delivery_id: i64,
        now: Timestamp,
    ) -> Result<Result<i64, ReplayRefused>, StoreError>;

    /// Replays every dead letter of `plugin` not replayed yet, oldest first, as
    /// [`Store::replay`] does, in chunks that each commit. Running it twice replays nothing twice.
    async fn replay_dead(&self, plugin: String, now: Timestamp) -> Result<Queued, StoreError>;

    /// Queues `pending` deliveries (origin `backfill`, due at `now`) to `plugin` of the stored
    /// events of `event_types` (every type when `None`) received in `[since, until)`, oldest
    /// first, except events it already has a delivery of, in chunks that each commit. Running it
    /// twice queues nothing twice.
    async fn backfill(
        &self,
        plugin: String,
        event_types: Option<Vec<String>>,
        since: Timestamp,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Queued, StoreError>;

    /// Deletes one batch of webhooks received before `before` with their events, deliveries and
    /// attempts, except those with an event that has a `pending` or `running` delivery or an
    /// unreplayed dead letter; and one batch of the attempts started before `before` of finished
    /// (`done`, `skipped`) deliveries of the events kept. Each batch is one transaction. Call
    /// again while [`Pruned::more`].
    async fn prune(&self, before: Timestamp) -> Result<Pruned, StoreError>;

    /// Pauses (`paused`) or resumes `plugin`'s deliveries, in one transaction, for every claimer
    /// of the store: while it is paused [`Store::claim`] takes none of its deliveries, which stay
    /// `pending` (or `running` under a lease that ended) in their order. Any plugin name may be
    /// paused, loaded or not. Pausing a paused plugin keeps the time it was first paused, and
    /// keeps a hold; resuming ends the pause and any hold (an operator who fixed the upstream
    /// lifts a circuit breaker's or an upstream's hold so), and changes nothing else. Returns the plugin's
    /// controls after the change, as [`Store::plugin_controls`] reads them at `now`; `now` is the
    /// time of the change.
    async fn set_paused(
        &self,
        plugin: String,
        paused: bool,
        now: Timestamp,
    ) -> Result<PluginControl, StoreError>;

    /// Holds `plugin`'s deliveries back until `until`, for every claimer of the store, in one
    /// transaction: [`Store::claim`] takes none of them before then (they stay `pending`, in
    /// their order; nothing is attempted). A hold that ends later than `until` already stays
    /// (with its reason); otherwise `until` and `because` replace it. `now` is the time of the
    /// change.
    async fn hold(
        &self,
        plugin: String,
        until: Timestamp,
        because: String,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The controls of every plugin paused, or held back past `now`, by name (a hold that ended
    /// by `now` is not shown).
    async fn plugin_controls(&self, now: Timestamp) -> Result<Vec<PluginControl>, StoreError>;

    /// Answers once the store has committed a transaction: it can write.
    async fn ping(&self) -> Result<(), StoreError>;
}
