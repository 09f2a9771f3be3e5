//! What the store shows of its contents: the read models behind the admin API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AttemptOutcome, DeliveryStatus, Timestamp};

/// A delivery's status as the admin API shows it: its [`DeliveryStatus`], except that a dead
/// letter that was replayed reads `replayed` (its `replayed_by` names the replay), as the
/// dead-letter list, the counts and the gauges no longer count it as dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ShownStatus {
    /// Waiting for its time, its plugin, or an earlier event of its prospect.
    Pending,
    /// Claimed by a worker.
    Running,
    /// The plugin handled it.
    Done,
    /// The plugin chose not to act.
    Skipped,
    /// A dead letter not yet replayed.
    Dead,
    /// A dead letter that was replayed: the replay (`replayed_by`) carries on.
    Replayed,
}

impl ShownStatus {
    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Skipped => "skipped",
            Self::Dead => "dead",
            Self::Replayed => "replayed",
        }
    }

    /// How a delivery in `status`, replayed by `replayed_by`, is shown.
    pub fn of(status: DeliveryStatus, replayed_by: Option<i64>) -> Self {
        match (status, replayed_by) {
            (DeliveryStatus::Pending, _) => Self::Pending,
            (DeliveryStatus::Running, _) => Self::Running,
            (DeliveryStatus::Done, _) => Self::Done,
            (DeliveryStatus::Skipped, _) => Self::Skipped,
            (DeliveryStatus::Dead, None) => Self::Dead,
            (DeliveryStatus::Dead, Some(_)) => Self::Replayed,
        }
    }
}

/// Deliveries by status. `dead` counts dead letters not yet replayed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusCounts {
    /// Waiting.
    pub pending: u64,
    /// Claimed by a worker.
    pub running: u64,
    /// Handled.
    pub done: u64,
    /// Skipped by the plugin.
    pub skipped: u64,
    /// Dead letters not yet replayed.
    pub dead: u64,
}

impl StatusCounts {
    pub(crate) fn add(&mut self, status: DeliveryStatus, count: u64) {
        match status {
            DeliveryStatus::Pending => self.pending += count,
            DeliveryStatus::Running => self.running += count,
            DeliveryStatus::Done => self.done += count,
            DeliveryStatus::Skipped => self.skipped += count,
            DeliveryStatus::Dead => self.dead += count,
        }
    }
}

/// One event, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventSummary {
    /// `{webhook_id}:{index}`.
    pub id: String,
    /// The webhook it came in.
    pub webhook_id: String,
    /// Its type.
    pub event_type: String,
    /// Its prospect.
    pub prospect_id: Option<String>,
    /// Its prospect's email.
    pub email: Option<String>,
    /// When it happened, as SmartReach says (Unix ms).
    pub occurred_at: Option<Timestamp>,
    /// When the host received it (Unix ms).
    pub received_at: Timestamp,
    /// Its deliveries by status.
    pub delivery_counts: StatusCounts,
}

/// One event with everything that happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventDetail {
    /// The summary.
    #[serde(flatten)]
    pub summary: EventSummary,
    /// The webhook's metadata.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metadata: serde_json::Value,
    /// The data item.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub item: serde_json::Value,
    /// Its deliveries, oldest first, each with its attempts.
    pub deliveries: Vec<DeliveryDetail>,
}

/// One delivery, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliverySummary {
    /// Its id.
    pub id: i64,
    /// The event.
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The plugin.
    pub plugin: String,
    /// Its state (`replayed`: a dead letter that was replayed).
    pub status: ShownStatus,
    /// `ingest`, `replay` or `backfill`.
    pub origin: String,
    /// Attempts so far.
    pub attempts: u32,
    /// When it is due (Unix ms), for a pending one.
    pub next_attempt_at: Timestamp,
    /// Why the last attempt did not finish it.
    pub last_error: Option<String>,
    /// The delivery this one replays.
    pub replay_of: Option<i64>,
    /// The delivery that replays this dead letter.
    pub replayed_by: Option<i64>,
    /// Created (Unix ms).
    pub created_at: Timestamp,
    /// Last changed (Unix ms).
    pub updated_at: Timestamp,
}

/// One delivery with its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryDetail {
    /// The summary.
    #[serde(flatten)]
    pub summary: DeliverySummary,
    /// Its attempts, in order.
    pub runs: Vec<AttemptView>,
}

/// One attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptView {
    /// 1 for the first.
    pub attempt: u32,
    /// Content hash of the plugin version that ran.
    pub plugin_hash: String,
    /// Started (Unix ms).
    pub started_at: Timestamp,
    /// How long, in microseconds.
    pub duration_us: i64,
    /// `done`, `skipped`, `retry`, `failed` or `fault`.
    pub outcome: AttemptOutcome,
    /// The reason or the fault.
    pub detail: Option<String>,
    /// The plugin's log lines: `{level, source, message}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub logs: serde_json::Value,
    /// Its outbound requests: `{method, origin, decision}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub requests: serde_json::Value,
}

/// What the store holds for one plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginActivity {
    /// The plugin.
    pub plugin: String,
    /// Its deliveries by status.
    pub deliveries: StatusCounts,
    /// Its most recent unsuccessful attempt.
    pub last_error: Option<LastError>,
}

/// A plugin's most recent unsuccessful attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastError {
    /// The delivery.
    pub delivery_id: i64,
    /// When the attempt started (Unix ms).
    pub at: Timestamp,
    /// Its outcome and detail.
    pub message: String,
}

/// Open deliveries of one plugin, for metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Pending.
    pub pending: u64,
    /// Running.
    pub running: u64,
    /// Dead letters not yet replayed.
    pub dead: u64,
}

/// The queue at one moment, for metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// By plugin.
    pub by_plugin: BTreeMap<String, QueueDepth>,
    /// Since when the longest-waiting due pending delivery has been due (Unix ms).
    pub oldest_due_since: Option<Timestamp>,
}

/// Attempts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// Handled.
    pub done: u64,
    /// Skipped by the plugin.
    pub skipped: u64,
    /// To run again later.
    pub retry: u64,
    /// Failed for good.
    pub failed: u64,
    /// Ended in a fault.
    pub fault: u64,
}

impl OutcomeCounts {
    /// The count of `outcome`.
    pub fn get(&self, outcome: AttemptOutcome) -> u64 {
        match outcome {
            AttemptOutcome::Done => self.done,
            AttemptOutcome::Skipped => self.skipped,
            AttemptOutcome::Retry => self.retry,
            AttemptOutcome::Failed => self.failed,
            AttemptOutcome::Fault => self.fault,
        }
    }

    /// Every attempt counted.
    pub fn total(&self) -> u64 {
        AttemptOutcome::ALL
            .iter()
            .map(|outcome| self.get(*outcome))
            .sum()
    }

    pub(crate) fn add(&mut self, outcome: AttemptOutcome, count: u64) {
        match outcome {
            AttemptOutcome::Done => self.done += count,
            AttemptOutcome::Skipped => self.skipped += count,
            AttemptOutcome::Retry => self.retry += count,
            AttemptOutcome::Failed => self.failed += count,
            AttemptOutcome::Fault => self.fault += count,
        }
    }
}

/// What happened in one minute: webhooks received and delivery attempts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteActivity {
    /// The minute's start (Unix ms, a multiple of 60,000).
    pub minute: Timestamp,
    /// Webhooks received (redeliveries, which are not stored, are not counted).
    pub webhooks: u64,
    /// Attempts started in the minute, by outcome.
    pub attempts: OutcomeCounts,
}

/// One minute in milliseconds: the step of [`MinuteActivity`].
pub const MINUTE_MS: Timestamp = 60_000;

/// Folds per-minute rows (the minute's index: Unix ms / [`MINUTE_MS`]) into
/// [`MinuteActivity`]s, oldest first.
pub(crate) fn minutes_of(
    webhooks: impl IntoIterator<Item = (Timestamp, u64)>,
    attempts: impl IntoIterator<Item = (Timestamp, AttemptOutcome, u64)>,
) -> Vec<MinuteActivity> {
    fn slot(
        minutes: &mut BTreeMap<Timestamp, MinuteActivity>,
        index: Timestamp,
    ) -> &mut MinuteActivity {
        let minute = index * MINUTE_MS;
        minutes.entry(minute).or_insert(MinuteActivity {
            minute,
            ..MinuteActivity::default()
        })
    }
    let mut minutes = BTreeMap::new();
    for (index, count) in webhooks {
        slot(&mut minutes, index).webhooks += count;
    }
    for (index, outcome, count) in attempts {
        slot(&mut minutes, index).attempts.add(outcome, count);
    }
    minutes.into_values().collect()
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this type.
    pub event_type: Option<String>,
    /// Received at or after (Unix ms).
    pub since: Option<Timestamp>,
    /// Received before (Unix ms).
    pub until: Option<Timestamp>,
    /// Only this prospect email (exact).
    pub email: Option<String>,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only this status (`dead`: dead letters not yet replayed).
    pub status: Option<DeliveryStatus>,
    /// Only this plugin.
    pub plugin: Option<String>,
    /// Only events of this type.
    pub event_type: Option<String>,
}

/// A page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass back as `cursor` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page of `rows`, read as `limit + 1` rows (the one more tells whether there is a next
    /// page): the first `limit`, and the cursor of the last of them when there are more.
    pub(crate) fn of_rows(mut rows: Vec<T>, limit: u32, cursor: impl Fn(&T) -> String) -> Self {
        let next_cursor = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(cursor)
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

/// Deliveries queued by a replay or a backfill.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Queued {
    /// How many.
    pub count: u64,
    /// The ids of the first [`Queued::MAX_IDS`], in order.
    pub deliveries: Vec<i64>,
}

impl Queued {
    /// Ids listed at most: a backfill can queue millions.
    pub const MAX_IDS: usize = 100;

    pub(crate) fn add(&mut self, ids: Vec<i64>) {
        self.count += ids.len() as u64;
        let room = Self::MAX_IDS.saturating_sub(self.deliveries.len());
        self.deliveries.extend(ids.into_iter().take(room));
    }
}

/// What one retention batch deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pruned {
    /// Webhooks deleted, with their events, deliveries and attempts.
    pub webhooks: u64,
    /// Events deleted with them.
    pub events: u64,
    /// Attempts of finished deliveries of events that are kept.
    pub attempts: u64,
    /// Whether there is more to delete: call again.
    pub more: bool,
}

/// Why a replay was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayRefused {
    /// No such delivery.
    NotFound,
    /// It is still pending or running: it will run anyway.
    StillOpen(DeliveryStatus),
    /// It was replayed already, by this delivery: replay that one.
    AlreadyReplayed(i64),
}
