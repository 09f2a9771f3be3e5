//! The records that go in and come out of a [`crate::Store`].

use serde::{Deserialize, Serialize};

use crate::AttemptOutcome;

/// Milliseconds since the Unix epoch.
pub type Timestamp = i64;

/// Milliseconds since the Unix epoch, now: the one clock of the host, so that every
/// [`Timestamp`] it writes or compares is read the same way.
pub fn now_ms() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as Timestamp)
}

/// A webhook as received, with the events it holds and the plugins each goes to.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// Its id: time-ordered, unique, the prefix of its event ids.
    pub id: String,
    /// The configured source whose token it came with.
    pub source: String,
    /// When it arrived.
    pub received_at: Timestamp,
    /// The body as received.
    pub body: Vec<u8>,
    /// Hex SHA-256 of the body, which identifies a redelivery.
    pub body_sha256: String,
    /// Its (normalised) event type.
    pub event_type: String,
    /// Its metadata, as JSON: stored once, read with each of its events.
    pub metadata: String,
    /// One per data item.
    pub events: Vec<NewEvent>,
    /// The plugins each of its events is delivered to (one delivery per event and plugin).
    pub plugins: Vec<String>,
}

/// One data item of a webhook.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `{webhook_id}:{index}`.
    pub id: String,
    /// Position in `data`.
    pub index: u32,
    /// The event type (the webhook's).
    pub event_type: String,
    /// The prospect, which with the webhook's source orders deliveries.
    pub prospect_id: Option<String>,
    /// The prospect's email, for lookups.
    pub email: Option<String>,
    /// When it happened, as SmartReach says.
    pub occurred_at: Option<Timestamp>,
    /// The data item, as JSON.
    pub item: String,
}

/// What [`crate::Store::ingest`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Ingested {
    /// Stored.
    Stored {
        /// Its id.
        webhook_id: String,
        /// Events stored.
        events: u64,
        /// Deliveries created.
        deliveries: u64,
    },
    /// The same body was stored before, within the window: nothing stored now.
    Duplicate {
        /// The id of the earlier webhook.
        webhook_id: String,
        /// When the earlier one arrived.
        received_at: Timestamp,
    },
}

/// How many deliveries of one plugin a claim may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The plugin.
    pub plugin: String,
    /// The most to take.
    pub limit: u32,
    /// The plugin's rate limit, if it has one: the claim takes no more than its shared budget
    /// allows (see [`crate::Store::claim`]).
    pub rate: Option<crate::ClaimRate>,
}

/// A delivery claimed to run, with its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The delivery.
    pub delivery_id: i64,
    /// The plugin.
    pub plugin: String,
    /// Attempts so far (0 for a first run).
    pub attempts: u32,
    /// The event.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// The prospect.
    pub prospect_id: Option<String>,
    /// The webhook's metadata, as JSON (read from the webhook).
    pub metadata: String,
    /// The data item, as JSON.
    pub item: String,
    /// When the lease of this claim ends: past it, the store hands the delivery to whoever claims
    /// next, this host included, so a holder must not start it that late.
    pub lease_until: Timestamp,
}

/// The state of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its time, its plugin, or an earlier event of its prospect.
    Pending,
    /// Claimed by a worker.
    Running,
    /// The plugin handled it.
    Done,
    /// The plugin chose not to act.
    Skipped,
    /// Given up: a permanent failure, or the retry schedule ran out. Replayable.
    Dead,
}

impl DeliveryStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Running,
        Self::Done,
        Self::Skipped,
        Self::Dead,
    ];

    /// Its name in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Skipped => "skipped",
            Self::Dead => "dead",
        }
    }

    /// The status named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

/// One finished attempt, and where it leaves the delivery: what [`crate::Store::complete`]
/// records. The store keeps `outcome` and `next` as given; the caller keeps them consistent
/// (`Done` goes with [`Next::Done`], `Skipped` with [`Next::Skipped`], the others with
/// [`Next::Retry`] or [`Next::Dead`]).
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    /// The delivery.
    pub delivery_id: i64,
    /// Content hash of the plugin version that ran.
    pub plugin_hash: String,
    /// When it started.
    pub started_at: Timestamp,
    /// How long it ran, in microseconds.
    pub duration_us: i64,
    /// How it came out (stored as [`AttemptOutcome::as_str`]).
    pub outcome: AttemptOutcome,
    /// The plugin's reason, or the fault.
    pub detail: Option<String>,
    /// Log lines, as a JSON array.
    pub logs: String,
    /// Outbound requests, as a JSON array.
    pub requests: String,
    /// Where the delivery goes next.
    pub next: Next,
}

/// Where a delivery goes after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Finished: done.
    Done,
    /// Finished: skipped.
    Skipped,
    /// Run again at `at`; `error` says why this attempt did not finish it.
    Retry {
        /// When.
        at: Timestamp,
        /// Why.
        error: String,
    },
    /// Given up: a dead letter, until it is replayed.
    Dead {
        /// Why.
        error: String,
    },
}

impl Next {
    /// What the delivery's row becomes after an attempt at `now`: its status, when it is due,
    /// and the error that becomes its `last_error` (none keeps the last).
    pub(crate) fn row(&self, now: Timestamp) -> (&'static str, Timestamp, Option<&str>) {
        match self {
            Self::Done => ("done", now, None),
            Self::Skipped => ("skipped", now, None),
            Self::Retry { at, error } => ("pending", *at, Some(error.as_str())),
            Self::Dead { error } => ("dead", now, Some(error.as_str())),
        }
    }
}
