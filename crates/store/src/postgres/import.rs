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
use rusqlite::{Connection, OpenFlags};
use tokio::sync::mpsc;

use super::{PostgresStore, cause_chain, connect};
use crate::{SqliteStore, StoreError};
use tables::{Batch, Links, read_all};

mod tables;

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
