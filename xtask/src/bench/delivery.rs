//! Deliveries, read from the host's SQLite file beside the running host (WAL lets a read-only
//! connection read while the host writes): how many are still open, and, once they ran, how fast
//! and how long after their webhook's receipt.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags};

use super::load::percentile;

/// A read-only connection to the host's database.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {} read-only", path.display()))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

/// Deliveries pending or running now.
pub fn open_deliveries(conn: &Connection) -> Result<u64> {
    let count: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'running')",
            [],
            |row| row.get(0),
        )
        .context("counting open deliveries")?;
    Ok(count as u64)
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
pub async fn wait_drained(conn: &Connection, timeout: Duration) -> Result<Drain> {
    let start = Instant::now();
    loop {
        let left = open_deliveries(conn)?;
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
}

/// Reads every delivery with its first attempt, and the counts.
pub fn snapshot(conn: &Connection) -> Result<Snapshot> {
    let mut statement = conn.prepare(
        "SELECT w.received_at, a.started_at, a.duration_us
         FROM webhooks w
         JOIN events e ON e.webhook_id = w.id
         JOIN deliveries d ON d.event_id = e.id
         LEFT JOIN attempts a ON a.delivery_id = d.id AND a.attempt = 1",
    )?;
    let rows = statement
        .query_map([], |row| {
            Ok(DeliveryRow {
                received_at: row.get(0)?,
                started_at: row.get(1)?,
                duration_us: row.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("reading deliveries")?;
    let counts = |sql: &str| -> Result<Vec<(String, u64)>> {
        let mut statement = conn.prepare(sql)?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    };
    let webhooks: i64 = conn.query_row("SELECT COUNT(*) FROM webhooks", [], |row| row.get(0))?;
    Ok(Snapshot {
        rows,
        outcomes: counts("SELECT outcome, COUNT(*) FROM attempts GROUP BY outcome ORDER BY 1")
            .context("counting attempts")?,
        statuses: counts("SELECT status, COUNT(*) FROM deliveries GROUP BY status ORDER BY 1")
            .context("counting deliveries")?,
        webhooks: webhooks as u64,
    })
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
