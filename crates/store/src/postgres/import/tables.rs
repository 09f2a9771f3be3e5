//! The tables a copy reads from SQLite and writes to PostgreSQL: each one's columns, read in
//! batches of [`BATCH_ROWS`] rows or about [`BATCH_BYTES`], and written with one multi-row
//! `INSERT ... SELECT FROM UNNEST(...)` per batch.

use deadpool_postgres::Transaction;
use rusqlite::{Connection, Row};
use tokio::sync::mpsc;
use tokio_postgres::types::ToSql;

use super::{BATCH_BYTES, BATCH_ROWS};

/// A batch of rows of one table, column by column, as PostgreSQL's `UNNEST` takes them.
pub(super) enum Batch {
    Webhooks(Webhooks),
    Events(Events),
    Deliveries(Deliveries),
    Attempts(Attempts),
    Controls(Controls),
}

/// A failed step of a batch's insert.
pub(super) type StepError = (&'static str, tokio_postgres::Error);

/// Reads every table in the order of their references, sending batches until done or the
/// receiver is gone.
pub(super) fn read_all(
    conn: &Connection,
    sender: &mpsc::Sender<Batch>,
) -> Result<(), (&'static str, rusqlite::Error)> {
    // One read transaction: one snapshot of the file for every table.
    conn.execute_batch("BEGIN").map_err(|err| ("schema", err))?;
    read_table::<Webhooks>(conn, sender, Batch::Webhooks)?;
    read_table::<Events>(conn, sender, Batch::Events)?;
    read_table::<Deliveries>(conn, sender, Batch::Deliveries)?;
    read_table::<Attempts>(conn, sender, Batch::Attempts)?;
    read_table::<Controls>(conn, sender, Batch::Controls)?;
    conn.execute_batch("COMMIT").map_err(|err| ("schema", err))
}

/// One table's rows, in columns.
trait Columns: Default {
    /// The table, for messages.
    const TABLE: &'static str;
    /// The SELECT of every column, by id.
    const SELECT: &'static str;
    /// Appends a row; returns its size in bytes, about.
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize>;
}

fn read_table<C: Columns>(
    conn: &Connection,
    sender: &mpsc::Sender<Batch>,
    wrap: fn(C) -> Batch,
) -> Result<(), (&'static str, rusqlite::Error)> {
    let failed = |err| (C::TABLE, err);
    let mut statement = conn.prepare(C::SELECT).map_err(failed)?;
    let mut rows = statement.query([]).map_err(failed)?;
    let (mut batch, mut count, mut bytes) = (C::default(), 0, 0);
    while let Some(row) = rows.next().map_err(failed)? {
        bytes += batch.push(row).map_err(failed)?;
        count += 1;
        if count == BATCH_ROWS || bytes >= BATCH_BYTES {
            if sender
                .blocking_send(wrap(std::mem::take(&mut batch)))
                .is_err()
            {
                return Ok(()); // the writer failed; it reports why
            }
            (count, bytes) = (0, 0);
        }
    }
    if count > 0 {
        let _ = sender.blocking_send(wrap(batch));
    }
    Ok(())
}

fn len(text: &Option<String>) -> usize {
    text.as_ref().map_or(0, String::len)
}

#[derive(Default)]
pub(super) struct Webhooks {
    id: Vec<String>,
    source: Vec<String>,
    received_at: Vec<i64>,
    body: Vec<Vec<u8>>,
    body_sha256: Vec<String>,
    event_type: Vec<String>,
    metadata: Vec<String>,
}

impl Columns for Webhooks {
    const TABLE: &'static str = "webhooks";
    const SELECT: &'static str = "SELECT id, source, received_at, body, body_sha256, event_type, \
                                  metadata FROM webhooks ORDER BY id";
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize> {
        let body: Vec<u8> = row.get(3)?;
        let metadata: String = row.get(6)?;
        let bytes = body.len() + metadata.len() + 128;
        self.id.push(row.get(0)?);
        self.source.push(row.get(1)?);
        self.received_at.push(row.get(2)?);
        self.body.push(body);
        self.body_sha256.push(row.get(4)?);
        self.event_type.push(row.get(5)?);
        self.metadata.push(metadata);
        Ok(bytes)
    }
}

impl Webhooks {
    pub(super) async fn insert(&self, tx: &Transaction<'_>) -> Result<u64, StepError> {
        let params: [&(dyn ToSql + Sync); 7] = [
            &self.id,
            &self.source,
            &self.received_at,
            &self.body,
            &self.body_sha256,
            &self.event_type,
            &self.metadata,
        ];
        tx.execute(
            "INSERT INTO webhooks (id, source, received_at, body, body_sha256, event_type, metadata)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bytea[], $5::text[],
                                  $6::text[], $7::text[])",
            &params,
        )
        .await
        .map_err(|err| ("copying webhooks", err))
    }
}

#[derive(Default)]
pub(super) struct Events {
    id: Vec<String>,
    webhook_id: Vec<String>,
    item_index: Vec<i32>,
    event_type: Vec<String>,
    prospect_id: Vec<Option<String>>,
    email: Vec<Option<String>>,
    occurred_at: Vec<Option<i64>>,
    received_at: Vec<i64>,
    item: Vec<String>,
}

impl Columns for Events {
    const TABLE: &'static str = "events";
    const SELECT: &'static str = "SELECT id, webhook_id, item_index, event_type, prospect_id, \
                                  email, occurred_at, received_at, item FROM events ORDER BY id";
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize> {
        let item: String = row.get(8)?;
        let bytes = item.len() + 128;
        self.id.push(row.get(0)?);
        self.webhook_id.push(row.get(1)?);
        self.item_index.push(row.get(2)?);
        self.event_type.push(row.get(3)?);
        self.prospect_id.push(row.get(4)?);
        self.email.push(row.get(5)?);
        self.occurred_at.push(row.get(6)?);
        self.received_at.push(row.get(7)?);
        self.item.push(item);
        Ok(bytes)
    }
}

impl Events {
    pub(super) async fn insert(&self, tx: &Transaction<'_>) -> Result<u64, StepError> {
        let params: [&(dyn ToSql + Sync); 9] = [
            &self.id,
            &self.webhook_id,
            &self.item_index,
            &self.event_type,
            &self.prospect_id,
            &self.email,
            &self.occurred_at,
            &self.received_at,
            &self.item,
        ];
        tx.execute(
            "INSERT INTO events (id, webhook_id, item_index, event_type, prospect_id, email,
                                 occurred_at, received_at, item)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[],
                                  $6::text[], $7::bigint[], $8::bigint[], $9::text[])",
            &params,
        )
        .await
        .map_err(|err| ("copying events", err))
    }
}

#[derive(Default)]
pub(super) struct Deliveries {
    id: Vec<i64>,
    event_id: Vec<String>,
    plugin: Vec<String>,
    source: Vec<String>,
    prospect_id: Vec<Option<String>>,
    status: Vec<String>,
    origin: Vec<String>,
    replay_of: Vec<Option<i64>>,
    replayed_by: Vec<Option<i64>>,
    attempts: Vec<i32>,
    next_attempt_at: Vec<i64>,
    lease_owner: Vec<Option<String>>,
    lease_expires_at: Vec<Option<i64>>,
    last_error: Vec<Option<String>>,
    created_at: Vec<i64>,
    updated_at: Vec<i64>,
}

impl Columns for Deliveries {
    const TABLE: &'static str = "deliveries";
    const SELECT: &'static str = "SELECT id, event_id, plugin, source, prospect_id, status, \
                                  origin, replay_of, replayed_by, attempts, next_attempt_at, \
                                  lease_owner, lease_expires_at, last_error, created_at, \
                                  updated_at FROM deliveries ORDER BY id";
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize> {
        let last_error: Option<String> = row.get(13)?;
        let bytes = len(&last_error) + 256;
        self.id.push(row.get(0)?);
        self.event_id.push(row.get(1)?);
        self.plugin.push(row.get(2)?);
        self.source.push(row.get(3)?);
        self.prospect_id.push(row.get(4)?);
        self.status.push(row.get(5)?);
        self.origin.push(row.get(6)?);
        self.replay_of.push(row.get(7)?);
        self.replayed_by.push(row.get(8)?);
        self.attempts.push(row.get(9)?);
        self.next_attempt_at.push(row.get(10)?);
        self.lease_owner.push(row.get(11)?);
        self.lease_expires_at.push(row.get(12)?);
        self.last_error.push(last_error);
        self.created_at.push(row.get(14)?);
        self.updated_at.push(row.get(15)?);
        Ok(bytes)
    }
}

impl Deliveries {
    /// Inserts the batch without its replay links, which may point at later batches
    /// ([`Links`] sets them once every delivery is there).
    pub(super) async fn insert(&self, tx: &Transaction<'_>) -> Result<u64, StepError> {
        let params: [&(dyn ToSql + Sync); 14] = [
            &self.id,
            &self.event_id,
            &self.plugin,
            &self.source,
            &self.prospect_id,
            &self.status,
            &self.origin,
            &self.attempts,
            &self.next_attempt_at,
            &self.lease_owner,
            &self.lease_expires_at,
            &self.last_error,
            &self.created_at,
            &self.updated_at,
        ];
        tx.execute(
            "INSERT INTO deliveries (id, event_id, plugin, source, prospect_id, status, origin,
                                     attempts, next_attempt_at, lease_owner, lease_expires_at,
                                     last_error, created_at, updated_at)
             OVERRIDING SYSTEM VALUE
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
                                  $6::text[], $7::text[], $8::integer[], $9::bigint[],
                                  $10::text[], $11::bigint[], $12::text[], $13::bigint[],
                                  $14::bigint[])",
            &params,
        )
        .await
        .map_err(|err| ("copying deliveries", err))
    }
}

/// The replay links (`replay_of`, `replayed_by`) of the copied deliveries: a dead letter points
/// at its replay, a later id, so they are set after every delivery is in.
#[derive(Default)]
pub(super) struct Links {
    id: Vec<i64>,
    replay_of: Vec<Option<i64>>,
    replayed_by: Vec<Option<i64>>,
}

impl Links {
    pub(super) fn take(&mut self, rows: &Deliveries) {
        for (index, id) in rows.id.iter().enumerate() {
            let (of, by) = (rows.replay_of[index], rows.replayed_by[index]);
            if of.is_some() || by.is_some() {
                self.id.push(*id);
                self.replay_of.push(of);
                self.replayed_by.push(by);
            }
        }
    }

    pub(super) async fn apply(&self, tx: &Transaction<'_>) -> Result<u64, tokio_postgres::Error> {
        if self.id.is_empty() {
            return Ok(0);
        }
        tx.execute(
            "UPDATE deliveries d SET replay_of = l.replay_of, replayed_by = l.replayed_by
             FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[]) AS l (id, replay_of, replayed_by)
             WHERE d.id = l.id",
            &[&self.id, &self.replay_of, &self.replayed_by],
        )
        .await
    }
}

#[derive(Default)]
pub(super) struct Attempts {
    id: Vec<i64>,
    delivery_id: Vec<i64>,
    attempt: Vec<i32>,
    plugin_hash: Vec<String>,
    started_at: Vec<i64>,
    duration_us: Vec<i64>,
    outcome: Vec<String>,
    detail: Vec<Option<String>>,
    logs: Vec<String>,
    requests: Vec<String>,
}

impl Columns for Attempts {
    const TABLE: &'static str = "attempts";
    const SELECT: &'static str = "SELECT id, delivery_id, attempt, plugin_hash, started_at, \
                                  duration_us, outcome, detail, logs, requests FROM attempts \
                                  ORDER BY id";
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize> {
        let detail: Option<String> = row.get(7)?;
        let logs: String = row.get(8)?;
        let requests: String = row.get(9)?;
        let bytes = len(&detail) + logs.len() + requests.len() + 128;
        self.id.push(row.get(0)?);
        self.delivery_id.push(row.get(1)?);
        self.attempt.push(row.get(2)?);
        self.plugin_hash.push(row.get(3)?);
        self.started_at.push(row.get(4)?);
        self.duration_us.push(row.get(5)?);
        self.outcome.push(row.get(6)?);
        self.detail.push(detail);
        self.logs.push(logs);
        self.requests.push(requests);
        Ok(bytes)
    }
}

impl Attempts {
    pub(super) async fn insert(&self, tx: &Transaction<'_>) -> Result<u64, StepError> {
        let params: [&(dyn ToSql + Sync); 10] = [
            &self.id,
            &self.delivery_id,
            &self.attempt,
            &self.plugin_hash,
            &self.started_at,
            &self.duration_us,
            &self.outcome,
            &self.detail,
            &self.logs,
            &self.requests,
        ];
        tx.execute(
            "INSERT INTO attempts (id, delivery_id, attempt, plugin_hash, started_at, duration_us,
                                   outcome, detail, logs, requests)
             OVERRIDING SYSTEM VALUE
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::integer[], $4::text[],
                                  $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[],
                                  $10::text[])",
            &params,
        )
        .await
        .map_err(|err| ("copying attempts", err))
    }
}

#[derive(Default)]
pub(super) struct Controls {
    plugin: Vec<String>,
    paused_at: Vec<Option<i64>>,
    held_until: Vec<Option<i64>>,
    held_because: Vec<Option<String>>,
    rate_tokens: Vec<Option<f64>>,
    rate_at: Vec<Option<i64>>,
    updated_at: Vec<i64>,
}

impl Columns for Controls {
    const TABLE: &'static str = "plugin_controls";
    const SELECT: &'static str = "SELECT plugin, paused_at, held_until, held_because, \
                                  rate_tokens, rate_at, updated_at FROM plugin_controls \
                                  ORDER BY plugin";
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize> {
        let plugin: String = row.get(0)?;
        let held_because: Option<String> = row.get(3)?;
        let bytes = plugin.len() + len(&held_because) + 64;
        self.plugin.push(plugin);
        self.paused_at.push(row.get(1)?);
        self.held_until.push(row.get(2)?);
        self.held_because.push(held_because);
        self.rate_tokens.push(row.get(4)?);
        self.rate_at.push(row.get(5)?);
        self.updated_at.push(row.get(6)?);
        Ok(bytes)
    }
}

impl Controls {
    /// A host on the (empty) target may already have spent a plugin's rate budget: the copy's
    /// pause and hold win, the target's budget stays.
    pub(super) async fn insert(&self, tx: &Transaction<'_>) -> Result<u64, StepError> {
        let params: [&(dyn ToSql + Sync); 7] = [
            &self.plugin,
            &self.paused_at,
            &self.held_until,
            &self.held_because,
            &self.rate_tokens,
            &self.rate_at,
            &self.updated_at,
        ];
        tx.execute(
            "INSERT INTO plugin_controls (plugin, paused_at, held_until, held_because,
                                          rate_tokens, rate_at, updated_at)
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::text[],
                                  $5::double precision[], $6::bigint[], $7::bigint[])
             ON CONFLICT (plugin) DO UPDATE SET paused_at = EXCLUDED.paused_at,
                 held_until = EXCLUDED.held_until, held_because = EXCLUDED.held_because,
                 updated_at = EXCLUDED.updated_at",
            &params,
        )
        .await
        .map_err(|err| ("copying plugin controls", err))
    }
}
