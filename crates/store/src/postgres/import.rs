//! `migrate-store`: copies a SQLite store into an empty PostgreSQL store, keeping every id, so
//! that event ids, delivery ids and replay links mean the same after the move.
//!
//! The SQLite store is opened as a host opens it ([`SqliteStore::open`]): its lock file keeps a
//! host (or a second copy) off it while it is read, an older schema is migrated first, and
//! deliveries a stopped host left `running` are returned to `pending` (the interrupted run counts
//! as an attempt, as at a restart). A thread reads it table by table in batches; each batch is
//! one multi-row `INSERT ... SELECT FROM UNNEST(...)` on PostgreSQL. The whole copy is one
//! PostgreSQL transaction, with the tables locked against hosts: it is all there or none of it,
//! and a failed copy can simply run again.

use std::path::{Path, PathBuf};

use deadpool_postgres::Transaction;
use rusqlite::{Connection, OpenFlags, Row};
use tokio::sync::mpsc;
use tokio_postgres::types::ToSql;

use super::{PostgresStore, cause_chain, connect};
use crate::{SqliteStore, StoreError};

/// Rows per batch, at most.
const BATCH_ROWS: usize = 1_000;
/// Bytes of bodies and JSON per batch, about: a webhook's body may be 1 MiB.
const BATCH_BYTES: usize = 16 * 1024 * 1024;
/// Batches read ahead of the writer.
const READ_AHEAD: usize = 4;

/// What a copy copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    /// Webhooks (received bodies).
    pub webhooks: u64,
    /// Events (data items).
    pub events: u64,
    /// Deliveries, whatever their status.
    pub deliveries: u64,
    /// Recorded attempts.
    pub attempts: u64,
    /// Plugins with delivery controls (paused, held back, or with a rate budget): a plugin
    /// paused before the move stays paused after it.
    pub controls: u64,
    /// Deliveries that the SQLite store held `running` (its host stopped during their run) and
    /// that were returned to `pending` before the copy.
    pub requeued: u64,
}

/// Why a copy was refused or failed. Nothing was written to PostgreSQL in either case.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// No file at the source path.
    #[error(
        "there is no SQLite store at {}: give the path of the host's database file \
         (store.path, by default DATA_DIR/smartreach-hooks.db)",
        path.display()
    )]
    NoSource {
        /// The path given.
        path: PathBuf,
    },
    /// The SQLite store could not be opened: a host still uses it (its lock file), its files
    /// are exposed, or it is from a newer build. The store's error says which and what to do.
    #[error(transparent)]
    OpenSource(StoreError),
    /// A table of the SQLite store could not be read.
    #[error("reading the {table} of the SQLite store at {} failed: {source}", path.display())]
    Read {
        /// The table.
        table: &'static str,
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// The PostgreSQL store already holds data.
    #[error(
        "the PostgreSQL store at {target} is not empty (it holds {webhooks} webhooks and \
         {deliveries} deliveries): migrate-store copies into an empty store only, so that no id \
         is taken twice and nothing is merged by accident; give it a new database (CREATE \
         DATABASE), or, if what this one holds may go, drop it and create it again"
    )]
    NotEmpty {
        /// `host:port/database`.
        target: String,
        /// Webhooks found there.
        webhooks: i64,
        /// Deliveries found there.
        deliveries: i64,
    },
    /// No connection to PostgreSQL.
    #[error(transparent)]
    Connect(StoreError),
    /// A statement on PostgreSQL failed.
    #[error(
        "copying to the PostgreSQL store at {target} failed while {step}: {message}; nothing \
         was copied (the copy is one transaction): fix the cause and run migrate-store again"
    )]
    Write {
        /// `host:port/database`.
        target: String,
        /// What was being done.
        step: &'static str,
        /// Why.
        message: String,
    },
}

impl PostgresStore {
    /// Copies the SQLite store at `path` into this store, which must be empty, keeping ids; the
    /// identity sequences then continue after the copied ids. See the module's docs.
    pub async fn import_sqlite(&self, path: &Path) -> Result<Imported, ImportError> {
        if !path.is_file() {
            return Err(ImportError::NoSource {
                path: path.to_owned(),
            });
        }
        // Held until the copy ends: no host may start on the file meanwhile.
        let source = SqliteStore::open(path).map_err(ImportError::OpenSource)?;
        let requeued = source.recovered_at_open();
        let read_err = |table| {
            let path = path.to_owned();
            move |source| ImportError::Read {
                table,
                path,
                source,
            }
        };
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(read_err("schema"))?;

        let mut client = connect::get(&self.pool)
            .await
            .map_err(ImportError::Connect)?;
        let write_err = |step| {
            let target = self.target.clone();
            move |err: tokio_postgres::Error| ImportError::Write {
                target,
                step,
                message: cause_chain(&err),
            }
        };
        let tx = client
            .transaction()
            .await
            .map_err(write_err("starting the transaction"))?;
        // Hosts may read meanwhile, not write: nothing lands between the check and the copy.
        tx.batch_execute(
            "LOCK TABLE webhooks, webhook_bodies, events, deliveries, attempts, plugin_controls \
             IN EXCLUSIVE MODE",
        )
        .await
        .map_err(write_err("locking the tables"))?;
        self.refuse_non_empty(&tx).await?;

        let (sender, mut batches) = mpsc::channel(READ_AHEAD);
        let reading = std::thread::spawn(move || read_all(&reader, &sender));
        let mut imported = Imported {
            requeued,
            ..Imported::default()
        };
        let mut links = Links::default();
        while let Some(batch) = batches.recv().await {
            let (count, step) = match batch {
                Batch::Webhooks(rows) => (&mut imported.webhooks, rows.insert(&tx).await),
                Batch::Events(rows) => (&mut imported.events, rows.insert(&tx).await),
                Batch::Deliveries(rows) => {
                    links.take(&rows);
                    (&mut imported.deliveries, rows.insert(&tx).await)
                }
                Batch::Attempts(rows) => (&mut imported.attempts, rows.insert(&tx).await),
                Batch::Controls(rows) => (&mut imported.controls, rows.insert(&tx).await),
            };
            *count += step.map_err(|(step, err)| write_err(step)(err))?;
        }
        match reading.join() {
            Ok(Ok(())) => {}
            Ok(Err((table, source))) => return Err(read_err(table)(source)),
            Err(_) => {
                return Err(ImportError::Write {
                    target: self.target.clone(),
                    step: "reading the SQLite store",
                    message: "the reading thread panicked".to_owned(),
                });
            }
        }
        links
            .apply(&tx)
            .await
            .map_err(write_err("linking replays to their dead letters"))?;
        tx.batch_execute(
            "INSERT INTO webhook_bodies (source, body_sha256, webhook_id, received_at)
             SELECT DISTINCT ON (source, body_sha256) source, body_sha256, id, received_at
             FROM webhooks
             ORDER BY source, body_sha256, received_at DESC, id DESC;
             SELECT setval(pg_get_serial_sequence('deliveries', 'id'), COALESCE(MAX(id), 0) + 1, false)
             FROM deliveries;
             SELECT setval(pg_get_serial_sequence('attempts', 'id'), COALESCE(MAX(id), 0) + 1, false)
             FROM attempts;",
        )
        .await
        .map_err(write_err("indexing bodies and moving the id sequences past the copy"))?;
        tx.commit().await.map_err(write_err("committing"))?;
        drop(source);
        Ok(imported)
    }

    async fn refuse_non_empty(&self, tx: &Transaction<'_>) -> Result<(), ImportError> {
        let row = tx
            .query_one(
                "SELECT (SELECT count(*) FROM webhooks), (SELECT count(*) FROM deliveries),
                        EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM attempts)",
                &[],
            )
            .await
            .map_err(|err| ImportError::Write {
                target: self.target.clone(),
                step: "checking that the store is empty",
                message: cause_chain(&err),
            })?;
        let (webhooks, deliveries, others): (i64, i64, bool) = (row.get(0), row.get(1), row.get(2));
        if webhooks > 0 || deliveries > 0 || others {
            return Err(ImportError::NotEmpty {
                target: self.target.clone(),
                webhooks,
                deliveries,
            });
        }
        Ok(())
    }
}

/// A batch of rows of one table, column by column, as PostgreSQL's `UNNEST` takes them.
enum Batch {
    Webhooks(Webhooks),
    Events(Events),
    Deliveries(Deliveries),
    Attempts(Attempts),
    Controls(Controls),
}

/// A failed step of a batch's insert.
type StepError = (&'static str, tokio_postgres::Error);

/// Reads every table in the order of their references, sending batches until done or the
/// receiver is gone.
fn read_all(
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
struct Webhooks {
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
    async fn insert(&self, tx: &Transaction<'_>) -> Result<u64, StepError> {
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
struct Events {
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
    async fn insert(&self, tx: &Transaction<'_>) -> Result<u64, StepError> {
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
struct Deliveries {
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
    async fn insert(&self, tx: &Transaction<'_>) -> Result<u64, StepError> {
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
struct Links {
    id: Vec<i64>,
    replay_of: Vec<Option<i64>>,
    replayed_by: Vec<Option<i64>>,
}

impl Links {
    fn take(&mut self, rows: &Deliveries) {
        for (index, id) in rows.id.iter().enumerate() {
            let (of, by) = (rows.replay_of[index], rows.replayed_by[index]);
            if of.is_some() || by.is_some() {
                self.id.push(*id);
                self.replay_of.push(of);
                self.replayed_by.push(by);
            }
        }
    }

    async fn apply(&self, tx: &Transaction<'_>) -> Result<u64, tokio_postgres::Error> {
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
struct Attempts {
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
    async fn insert(&self, tx: &Transaction<'_>) -> Result<u64, StepError> {
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
struct Controls {
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
    async fn insert(&self, tx: &Transaction<'_>) -> Result<u64, StepError> {
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
