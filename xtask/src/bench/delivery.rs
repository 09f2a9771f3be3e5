//! Deliveries, read from the store beside the running hosts: from the SQLite file (WAL lets a
//! read-only connection read while the host writes) or from the PostgreSQL database the hosts
//! share. How many are still open, and, once they ran, how fast and how long after their
//! webhook's receipt; and whether every acknowledged webhook was stored and delivered.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags};

use super::load::percentile;

/// Deliveries pending or running.
const OPEN_DELIVERIES: &str =
    "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'running')";

/// Every webhook, with each of its events' deliveries and their first attempts (`NULL`s where
/// there are none).
const EVERY_DELIVERY: &str = "
    SELECT w.id, w.received_at, e.id IS NOT NULL, d.status, a.started_at, a.duration_us
    FROM webhooks w
    LEFT JOIN events e ON e.webhook_id = w.id
    LEFT JOIN deliveries d ON d.event_id = e.id
    LEFT JOIN attempts a ON a.delivery_id = d.id AND a.attempt = 1";

const OUTCOMES: &str = "SELECT outcome, COUNT(*) FROM attempts GROUP BY outcome ORDER BY 1";
const STATUSES: &str = "SELECT status, COUNT(*) FROM deliveries GROUP BY status ORDER BY 1";

/// A connection to the hosts' store, for reading only.
pub enum Reader {
    /// A read-only connection to the host's SQLite file.
    Sqlite(Connection),
    /// A connection to the database the hosts share (on the load generator's runtime).
    Postgres(tokio_postgres::Client),
}

/// A read-only connection to the host's SQLite database.
pub fn open(path: &Path) -> Result<Reader> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {} read-only", path.display()))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(Reader::Sqlite(conn))
}

impl Reader {
    /// Deliveries pending or running now.
    pub async fn open_deliveries(&self) -> Result<u64> {
        let count: i64 = match self {
            Self::Sqlite(conn) => conn.query_row(OPEN_DELIVERIES, [], |row| row.get(0))?,
            Self::Postgres(client) => client.query_one(OPEN_DELIVERIES, &[]).await?.get(0),
        };
        Ok(count as u64)
    }

    /// `(name, count)` rows of `sql`.
    async fn counts(&self, sql: &str) -> Result<Vec<(String, u64)>> {
        Ok(match self {
            Self::Sqlite(conn) => conn
                .prepare(sql)?
                .query_map([], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            Self::Postgres(client) => client
                .query(sql, &[])
                .await?
                .iter()
                .map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1) as u64))
                .collect(),
        })
    }

    /// Reads every delivery with its first attempt, and the counts.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let mut snapshot = Snapshot::default();
        match self {
            Self::Sqlite(conn) => {
                let mut statement = conn.prepare(EVERY_DELIVERY)?;
                let mut rows = statement.query([])?;
                while let Some(row) = rows.next()? {
                    snapshot.add(
                        row.get_ref(0)?.as_str()?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get::<_, Option<String>>(3)?.as_deref(),
                        row.get(4)?,
                        row.get(5)?,
                    );
                }
            }
            Self::Postgres(client) => {
                for row in client.query(EVERY_DELIVERY, &[]).await? {
                    snapshot.add(
                        row.get(0),
                        row.get(1),
                        row.get(2),
                        row.get(3),
                        row.get(4),
                        row.get(5),
                    );
                }
            }
        }
        snapshot.outcomes = self.counts(OUTCOMES).await.context("counting attempts")?;
        snapshot.statuses = self.counts(STATUSES).await.context("counting deliveries")?;
        Ok(snapshot)
    }
}

/// How waiting for the deliveries to finish went.
#[derive(Debug, Clone, Copy)]
pub struct Drain {
    /// How long it waited.
    pub waited: Duration,
    /// Deliveries still pending or running at the end (0: drained).
    pub left: u64,
}

/// Waits until no delivery is pending or running, or `timeout` passed. Async, so that the load
/// generator's idle connections are still looked after (a close by the host is noticed before the
/// next phase sends on it).
pub async fn wait_drained(reader: &Reader, timeout: Duration) -> Result<Drain> {
    let start = Instant::now();
    loop {
        let left = reader
            .open_deliveries()
            .await
            .context("counting open deliveries")?;
        if left == 0 || start.elapsed() >= timeout {
            return Ok(Drain {
                waited: start.elapsed(),
                left,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One delivery: its webhook's receipt and its first attempt, if it ran.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryRow {
    /// `webhooks.received_at`, ms: stamped just before the webhook is committed and acknowledged.
    pub received_at: i64,
    /// `attempts.started_at` of attempt 1, ms.
    pub started_at: Option<i64>,
    /// `attempts.duration_us` of attempt 1.
    pub duration_us: Option<i64>,
}

/// What the store holds of one webhook.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stored {
    /// Its events.
    pub events: u32,
    /// Its deliveries.
    pub deliveries: u32,
    /// Of those, the ones `done`.
    pub done: u32,
}

/// What the database holds after the run.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// Every delivery of every stored webhook.
    pub rows: Vec<DeliveryRow>,
    /// Attempts by outcome (`done`, `fault`, ...).
    pub outcomes: Vec<(String, u64)>,
    /// Deliveries by status.
    pub statuses: Vec<(String, u64)>,
    /// Webhooks stored.
    pub webhooks: u64,
    /// Every stored webhook by id.
    pub stored: HashMap<Box<str>, Stored>,
}

impl Snapshot {
    /// Adds one row of [`EVERY_DELIVERY`]. Each event has one delivery here (one plugin), so a row
    /// with an event is one event.
    fn add(
        &mut self,
        webhook_id: &str,
        received_at: i64,
        has_event: bool,
        status: Option<&str>,
        started_at: Option<i64>,
        duration_us: Option<i64>,
    ) {
        let stored = match self.stored.get_mut(webhook_id) {
            Some(stored) => stored,
            None => {
                self.webhooks += 1;
                self.stored.entry(webhook_id.into()).or_default()
            }
        };
        stored.events += u32::from(has_event);
        if let Some(status) = status {
            stored.deliveries += 1;
            stored.done += u32::from(status == "done");
            self.rows.push(DeliveryRow {
                received_at,
                started_at,
                duration_us,
            });
        }
    }

    /// Checks the acknowledged webhooks `ids` (of `acknowledged` acknowledgements: an answer without
    /// an id cannot be found) against the store.
    pub fn losses<'a>(
        &self,
        acknowledged: u64,
        ids: impl IntoIterator<Item = &'a Box<str>>,
    ) -> Losses {
        let mut losses = Losses {
            acknowledged,
            ..Losses::default()
        };
        for id in ids {
            let Some(stored) = self.stored.get(id) else {
                continue;
            };
            if stored.events == 0 {
                continue;
            }
            losses.stored += 1;
            if stored.deliveries > 0 && stored.done == stored.deliveries {
                losses.delivered += 1;
            }
        }
        losses
    }
}

/// The acknowledged webhooks, looked up in the store after the drains.
#[derive(Debug, Default, Clone, Copy)]
pub struct Losses {
    /// Webhooks acknowledged (2xx) to the load generator.
    pub acknowledged: u64,
    /// Of those, the ones stored with their events.
    pub stored: u64,
    /// Of those, the ones whose every delivery is `done`.
    pub delivered: u64,
}

impl Losses {
    /// Acknowledged and not stored.
    pub fn lost(&self) -> u64 {
        self.acknowledged - self.stored
    }

    /// Stored and not (yet) delivered.
    pub fn undelivered(&self) -> u64 {
        self.stored - self.delivered
    }
}

/// Deliveries of the webhooks received in one phase.
#[derive(Debug, Default, Clone)]
pub struct PhaseDelivery {
    /// Deliveries of webhooks received in the phase.
    pub deliveries: u64,
    /// Of those, the ones whose first attempt ran.
    pub ran: u64,
    /// From the first attempt's start to the last attempt's end, ms.
    pub window_ms: i64,
    /// Most deliveries waiting (received, first attempt not started) at any moment.
    pub peak_backlog: u64,
    /// Receipt to start of the first attempt, ms, sorted.
    pub delays_ms: Vec<u64>,
}

impl PhaseDelivery {
    /// Deliveries per second over the delivery window.
    pub fn rate(&self) -> f64 {
        if self.window_ms <= 0 {
            return 0.0;
        }
        self.ran as f64 / (self.window_ms as f64 / 1000.0)
    }

    /// A percentile of the receipt-to-start delay, ms.
    pub fn delay(&self, p: f64) -> u64 {
        percentile(&self.delays_ms, p)
    }
}

/// The deliveries of webhooks received from `from_ms` to `to_ms` (inclusive).
pub fn phase(snapshot: &Snapshot, from_ms: i64, to_ms: i64) -> PhaseDelivery {
    let rows: Vec<&DeliveryRow> = snapshot
        .rows
        .iter()
        .filter(|row| (from_ms..=to_ms).contains(&row.received_at))
        .collect();
    let mut first_start = i64::MAX;
    let mut last_end = i64::MIN;
    let mut delays = Vec::with_capacity(rows.len());
    // +1 at each receipt, -1 at each start: the running sum is the backlog.
    let mut changes: Vec<(i64, i64)> = Vec::with_capacity(rows.len() * 2);
    for row in &rows {
        changes.push((row.received_at, 1));
        if let Some(started) = row.started_at {
            let end = started + (row.duration_us.unwrap_or(0) + 999) / 1000;
            first_start = first_start.min(started);
            last_end = last_end.max(end);
            delays.push((started - row.received_at).max(0) as u64);
            changes.push((started, -1));
        }
    }
    // At equal times, starts before receipts: a delivery that started in the millisecond of its
    // receipt did not wait.
    changes.sort_unstable();
    let (mut backlog, mut peak_backlog) = (0i64, 0i64);
    for (_, change) in changes {
        backlog += change;
        peak_backlog = peak_backlog.max(backlog);
    }
    delays.sort_unstable();
    PhaseDelivery {
        deliveries: rows.len() as u64,
        ran: delays.len() as u64,
        window_ms: if delays.is_empty() {
            0
        } else {
            (last_end - first_start).max(1)
        },
        peak_backlog: peak_backlog.max(0) as u64,
        delays_ms: delays,
    }
}

/// First attempts that started from `from_ms` to `to_ms` (inclusive).
pub fn started_between(snapshot: &Snapshot, from_ms: i64, to_ms: i64) -> u64 {
    snapshot
        .rows
        .iter()
        .filter(|row| {
            row.started_at
                .is_some_and(|at| (from_ms..=to_ms).contains(&at))
        })
        .count() as u64
}
