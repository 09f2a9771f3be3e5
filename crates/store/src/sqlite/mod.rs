//! The embedded store: one SQLite file in WAL mode, owned by one host process.

mod activity;
mod claim;
mod complete;
mod control;
mod counts;
mod files;
mod ingest;
mod lease;
mod migrate;
mod read;
mod replay;
mod retention;
mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};

use crate::control::PluginControl;
use crate::model::{AttemptRecord, ClaimRequest, Claimed, Ingested, NewWebhook};
use crate::view::{
    DeliveryFilter, DeliverySummary, EventDetail, EventFilter, EventSummary, MinuteActivity, Page,
    PluginActivity, Pruned, QueueStats, Queued, ReplayRefused,
};
use crate::{Store, StoreError, Timestamp};
use writer::Writer;

/// The SQLite store. Writes go through one thread and are group-committed; reads use their own
/// connection, which WAL lets run beside the writer.
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    reader: Arc<Mutex<Connection>>,
    /// Held for the life of the store: one process per database file.
    _lock: File,
    recovered: u64,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`, takes its lock file, migrates the schema to
    /// the current version, and returns every delivery a previous process left running to pending:
    /// only one process uses an embedded store, so those leases belong to a process that is gone.
    /// The interrupted run counts as an attempt, so that an event that kills the host every time
    /// still reaches the end of its retry schedule instead of blocking its prospect forever.
    ///
    /// The store's files are created private (0600); a store whose files others can read or
    /// write is refused ([`StoreError::Exposed`]).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        files::check_private(path)?;
        let lock_path = lock_path(path);
        let lock = files::create_private(&lock_path).map_err(|source| StoreError::Lock {
            path: lock_path.clone(),
            source,
        })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    path: path.to_owned(),
                    lock: lock_path,
                });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(StoreError::Lock {
                    path: lock_path,
                    source,
                });
            }
        }

        let open_err = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        // Created here, private, so that SQLite's -wal and -shm files take its mode.
        files::create_private(path).map_err(|source| StoreError::Create {
            path: path.to_owned(),
            source,
        })?;
        let mut conn = Connection::open(path).map_err(open_err)?;
        configure(&conn).map_err(open_err)?;
        migrate::run(&mut conn)?;
        // Fresh statistics for the planner (cheap: it analyses only what changed a lot).
        conn.execute_batch("PRAGMA optimize")
            .map_err(StoreError::query("optimize"))?;
        let recovered =
            conn.execute(
                "UPDATE deliveries
                 SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
                     attempts = attempts + 1,
                     last_error = 'interrupted: the host stopped while this delivery ran'
                 WHERE status = 'running'",
                [],
            )
            .map_err(StoreError::query("release leases of a previous process"))? as u64;

        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        reader
            .busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;

        Ok(Self {
            path: path.to_owned(),
            writer: Writer::spawn(conn),
            reader: Arc::new(Mutex::new(reader)),
            _lock: lock,
            recovered,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deliveries found running when the store was opened, and returned to pending.
    pub fn recovered_at_open(&self) -> u64 {
        self.recovered
    }

    /// Runs a read on the reader connection, off the async threads.
    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().unwrap_or_else(|poison| poison.into_inner());
            query(&conn)
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

fn lock_path(db: &Path) -> PathBuf {
    let [_, _, _, lock] = files::store_files(db);
    lock
}

/// WAL, so reads run beside the writer; a full sync on commit, so an acknowledged webhook survives
/// a power cut as well as a crash (group commit keeps its cost per batch, not per webhook).
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // Query planner stability: with STAT4 compiled in, a statement whose bound value is compared
    // with an indexed column (the claim's `next_attempt_at <= now`) is otherwise re-prepared
    // (parsed and planned again) each time that value changes: on every claim.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA foreign_keys = ON;",
    )
}

#[async_trait]
impl Store for SqliteStore {
    async fn ingest(
        &self,
        webhook: NewWebhook,
        dedup_since: Timestamp,
    ) -> Result<Ingested, StoreError> {
        self.writer
            .write(move |conn| ingest::ingest(conn, &webhook, dedup_since))
            .await
    }

    async fn claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        requests: Vec<ClaimRequest>,
    ) -> Result<Vec<Claimed>, StoreError> {
        let owner = owner.to_owned();
        self.writer
            .write(move |conn| claim::claim(conn, &owner, now, lease_until, &requests))
            .await
    }

    async fn complete(
        &self,
        owner: &str,
        attempt: AttemptRecord,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let owner = owner.to_owned();
        self.writer
            .write(move |conn| complete::complete(conn, &owner, &attempt, now))
            .await
    }

    async fn requeue(
        &self,
        owner: &str,
        delivery_ids: Vec<i64>,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        if delivery_ids.is_empty() {
            return Ok(0);
        }
        let owner = owner.to_owned();
        self.writer
            .write(move |conn| complete::requeue(conn, &owner, &delivery_ids, at, now))
            .await
    }

    async fn renew(
        &self,
        owner: &str,
        delivery_ids: Vec<i64>,
        until: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        if delivery_ids.is_empty() {
            return Ok(Vec::new());
        }
        let owner = owner.to_owned();
        self.writer
            .write(move |conn| lease::renew(conn, &owner, &delivery_ids, until))
            .await
    }

    async fn set_paused(
        &self,
        plugin: String,
        paused: bool,
        now: Timestamp,
    ) -> Result<PluginControl, StoreError> {
        self.writer
            .write(move |conn| control::set_paused(conn, &plugin, paused, now))
            .await
    }

    async fn hold(
        &self,
        plugin: String,
        until: Timestamp,
        because: String,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| control::hold(conn, &plugin, until, &because, now))
            .await
    }

    async fn plugin_controls(&self, now: Timestamp) -> Result<Vec<PluginControl>, StoreError> {
        self.read(move |conn| control::plugin_controls(conn, now))
            .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.writer
            .write(|conn| {
                conn.query_row("SELECT 1", [], |_| Ok(()))
                    .map_err(StoreError::query("ping"))
            })
            .await
    }

    async fn release(&self, owner: &str, now: Timestamp) -> Result<u64, StoreError> {
        let owner = owner.to_owned();
        self.writer
            .write(move |conn| complete::release(conn, &owner, now))
            .await
    }

    async fn list_events(
        &self,
        filter: EventFilter,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<Page<EventSummary>, StoreError> {
        self.read(move |conn| read::list_events(conn, &filter, limit, cursor.as_deref()))
            .await
    }

    async fn event(&self, id: String) -> Result<Option<EventDetail>, StoreError> {
        self.read(move |conn| read::event(conn, &id)).await
    }

    async fn list_deliveries(
        &self,
        filter: DeliveryFilter,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<Page<DeliverySummary>, StoreError> {
        // A cursor that is not a delivery id matches nothing rather than everything.
        let cursor = cursor.map(|cursor| cursor.parse::<i64>().unwrap_or(i64::MIN));
        self.read(move |conn| read::list_deliveries(conn, &filter, limit, cursor))
            .await
    }

    async fn plugin_activity(&self) -> Result<Vec<PluginActivity>, StoreError> {
        self.read(read::plugin_activity).await
    }

    async fn queue_stats(&self, now: Timestamp) -> Result<QueueStats, StoreError> {
        self.read(move |conn| read::queue_stats(conn, now)).await
    }

    async fn activity_by_minute(
        &self,
        since: Timestamp,
    ) -> Result<Vec<MinuteActivity>, StoreError> {
        self.read(move |conn| activity::by_minute(conn, since))
            .await
    }

    async fn replay(
        &self,
        delivery_id: i64,
        now: Timestamp,
    ) -> Result<Result<i64, ReplayRefused>, StoreError> {
        self.writer
            .write(move |conn| replay::replay(conn, delivery_id, now))
            .await
    }

    async fn replay_dead(&self, plugin: String, now: Timestamp) -> Result<Queued, StoreError> {
        let mut queued = Queued::default();
        loop {
            let plugin = plugin.clone();
            let chunk = self
                .writer
                .write(move |conn| replay::replay_dead(conn, &plugin, now, replay::CHUNK))
                .await?;
            let done = (chunk.len() as u64) < replay::CHUNK;
            queued.add(chunk);
            if done {
                return Ok(queued);
            }
        }
    }

    async fn backfill(
        &self,
        plugin: String,
        event_types: Option<Vec<String>>,
        since: Timestamp,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Queued, StoreError> {
        // In chunks, each its own transaction, so that ingest never waits behind a large backfill;
        // events already covered are skipped, so each chunk continues where the last one ended.
        let mut queued = Queued::default();
        loop {
            let (plugin, event_types) = (plugin.clone(), event_types.clone());
            let chunk = self
                .writer
                .write(move |conn| {
                    replay::backfill(
                        conn,
                        &plugin,
                        event_types.as_deref(),
                        since,
                        until,
                        now,
                        replay::CHUNK,
                    )
                })
                .await?;
            let done = (chunk.len() as u64) < replay::CHUNK;
            queued.add(chunk);
            if done {
                return Ok(queued);
            }
        }
    }

    async fn prune(&self, before: Timestamp) -> Result<Pruned, StoreError> {
        self.writer
            .write(move |conn| {
                let pruned = retention::prune_batch(conn, before)?;
                if !pruned.more {
                    // The end of a run: refresh the planner's statistics after the deletes.
                    conn.execute_batch("PRAGMA optimize")
                        .map_err(StoreError::query("optimize"))?;
                }
                Ok(pruned)
            })
            .await
    }
}

/// The query plan of `sql` on a fresh database of the newest schema, one line per step.
#[cfg(test)]
fn query_plan(sql: &str) -> String {
    let mut conn = Connection::open_in_memory().expect("an in-memory database");
    migrate::run(&mut conn).expect("the migrations");
    let mut statement = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("a statement to explain");
    // Unbound parameters are NULL: the plan is made before any value is known.
    let mut rows = statement.raw_query();
    let mut steps = Vec::new();
    while let Some(row) = rows.next().expect("its plan") {
        steps.push(row.get::<_, String>(3).expect("a plan step"));
    }
    steps.join("\n")
}
