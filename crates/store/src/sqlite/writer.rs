//! The one thread that writes: it takes queued operations, runs each in a savepoint, and commits
//! whatever has queued up in one transaction (group commit). A burst of webhooks costs one sync of
//! the log, not one per webhook, and no caller hears "stored" before the commit.

use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::StoreError;

/// Operations committed together at most.
const MAX_BATCH: usize = 512;

/// An operation run inside the writer's transaction (or told why it cannot run); it says whether
/// it succeeded, to keep or roll back its savepoint, and how to answer once the transaction is over.
type Job = Box<dyn FnOnce(Result<&Connection, String>) -> Finish + Send>;

type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;

struct Finish {
    ok: bool,
    reply: Reply,
}

/// The handle to the writer thread.
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the thread on `conn`.
    pub(crate) fn spawn(conn: Connection) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("store-writer".to_owned())
            .spawn(move || run(conn, queue))
            .expect("spawning the store's writer thread");
        Self { jobs }
    }

    /// Runs `operation` in the next transaction and returns its result once that committed.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        operation: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| match conn {
            Ok(conn) => {
                let result = operation(conn);
                Finish {
                    ok: result.is_ok(),
                    reply: Box::new(move |commit| {
                        let _ = tx.send(match commit {
                            Ok(()) => result,
                            Err(message) => Err(StoreError::Commit { message }),
                        });
                    }),
                }
            }
            Err(message) => Finish {
                ok: false,
                reply: Box::new(move |_| {
                    let _ = tx.send(Err(StoreError::Commit { message }));
                }),
            },
        });
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

/// Runs a statement without results from the statement cache: parsed once, not per batch.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn run(conn: Connection, queue: mpsc::Receiver<Job>) {
    conn.set_prepared_statement_cache_capacity(64);
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A transaction left open by a failed COMMIT and ROLLBACK would make every BEGIN fail.
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        if let Err(err) = exec(&conn, "BEGIN IMMEDIATE") {
            tracing::error!(error = %err, "store: cannot begin a transaction");
            for job in batch {
                (job(Err(err.to_string())).reply)(Err(err.to_string()));
            }
            continue;
        }
        let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
        let mut aborted = None;
        for job in batch {
            if let Some(reason) = &aborted {
                replies.push(job(Err(format!("not run: {reason}"))).reply);
                continue;
            }
            replies.push(run_in_savepoint(&conn, job));
            // Some errors (disk full, I/O) make SQLite roll back the whole transaction; what
            // ran before is gone, and what follows must not run outside a transaction.
            if conn.is_autocommit() {
                aborted = Some("SQLite rolled the transaction back after an error".to_owned());
            }
        }
        let commit = match aborted {
            Some(reason) => Err(reason),
            None => exec(&conn, "COMMIT").map_err(|err| {
                tracing::error!(error = %err, "store: commit failed");
                let _ = conn.execute_batch("ROLLBACK");
                err.to_string()
            }),
        };
        for reply in replies {
            reply(commit.clone());
        }
    }
}

/// Runs `job` in a savepoint, rolled back when it fails or panics. A panicking job is answered
/// by dropping its reply (its caller sees [`StoreError::Closed`]); the thread goes on.
fn run_in_savepoint(conn: &Connection, job: Job) -> Reply {
    if let Err(err) = exec(conn, "SAVEPOINT operation") {
        return job(Err(err.to_string())).reply;
    }
    let finish = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Ok(conn))))
        .unwrap_or_else(|_| {
            tracing::error!("store: an operation panicked; it was rolled back");
            Finish {
                ok: false,
                reply: Box::new(|_| {}),
            }
        });
    if conn.is_autocommit() {
        return finish.reply;
    }
    let end = if finish.ok {
        exec(conn, "RELEASE operation")
    } else {
        exec(conn, "ROLLBACK TO operation").and_then(|()| exec(conn, "RELEASE operation"))
    };
    if let Err(err) = end {
        tracing::error!(error = %err, "store: cannot end a savepoint");
    }
    finish.reply
}
