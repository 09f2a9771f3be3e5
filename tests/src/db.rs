//! A read-only view of the host's SQLite database (schema:
//! `crates/store/src/sqlite/migrations/0001_initial.sql`). Every call opens a fresh connection,
//! so it sees what the host has committed and never holds a read transaction open.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row, params};

/// A delivery row: one event to one plugin.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The row id.
    pub id: i64,
    /// The event (`{webhook_id}:{index}`).
    pub event_id: String,
    /// The plugin's name.
    pub plugin: String,
    /// The prospect the event is about, if any.
    pub prospect_id: Option<String>,
    /// `pending`, `running`, `done`, `skipped` or `dead`.
    pub status: String,
    /// How many attempts it has had.
    pub attempts: i64,
    /// When it may run next (Unix ms).
    pub next_attempt_at: i64,
    /// The host holding it while it runs.
    pub lease_owner: Option<String>,
    /// Why its last attempt did not succeed.
    pub last_error: Option<String>,
}

/// An attempt row: one run of a plugin on a delivery, with its delivery's plugin and event.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The row id.
    pub id: i64,
    /// The delivery this is an attempt of.
    pub delivery_id: i64,
    /// The plugin's name.
    pub plugin: String,
    /// The event (`{webhook_id}:{index}`).
    pub event_id: String,
    /// Its number, from 1.
    pub attempt: i64,
    /// The SHA-256 of the plugin build that ran.
    pub plugin_hash: String,
    /// When it started (Unix ms).
    pub started_at: i64,
    /// How long it ran, in microseconds.
    pub duration_us: i64,
    /// How it ended: `done`, `skipped`, `retry`, `failed`, `fault`, ...
    pub outcome: String,
    /// The outcome's reason or error.
    pub detail: Option<String>,
    /// The `logs` column, parsed.
    pub logs: serde_json::Value,
    /// The `requests` column, parsed.
    pub requests: serde_json::Value,
}

/// An event row.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its id.
    pub id: String,
    /// The webhook it came in.
    pub webhook_id: String,
    /// Its index among the webhook's data items.
    pub item_index: i64,
    /// Its event type.
    pub event_type: String,
    /// The prospect the event is about, if any.
    pub prospect_id: Option<String>,
    /// The prospect's email, if any.
    pub email: Option<String>,
}

/// A webhook row (without its body).
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Its id.
    pub id: String,
    /// The source it came from.
    pub source: String,
    /// Its event type.
    pub event_type: String,
    /// The SHA-256 of its body, hex.
    pub body_sha256: String,
    /// When it was received (Unix ms).
    pub received_at: i64,
}

/// Row counts of the four tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Rows of `webhooks`.
    pub webhooks: i64,
    /// Rows of `events`.
    pub events: i64,
    /// Rows of `deliveries`.
    pub deliveries: i64,
    /// Rows of `attempts`.
    pub attempts: i64,
}

/// The database file of one host's data dir.
#[derive(Debug, Clone)]
pub struct Db {
    /// The SQLite file.
    pub path: PathBuf,
}

const DELIVERY_COLUMNS: &str = "id, event_id, plugin, prospect_id, status, attempts, \
                                next_attempt_at, lease_owner, last_error";

fn delivery(row: &Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: row.get(0)?,
        event_id: row.get(1)?,
        plugin: row.get(2)?,
        prospect_id: row.get(3)?,
        status: row.get(4)?,
        attempts: row.get(5)?,
        next_attempt_at: row.get(6)?,
        lease_owner: row.get(7)?,
        last_error: row.get(8)?,
    })
}

fn attempt(row: &Row<'_>) -> rusqlite::Result<Attempt> {
    let json = |text: String| {
        serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("attempt column is not JSON ({err}): {text}"))
    };
    Ok(Attempt {
        id: row.get(0)?,
        delivery_id: row.get(1)?,
        plugin: row.get(2)?,
        event_id: row.get(3)?,
        attempt: row.get(4)?,
        plugin_hash: row.get(5)?,
        started_at: row.get(6)?,
        duration_us: row.get(7)?,
        outcome: row.get(8)?,
        detail: row.get(9)?,
        logs: json(row.get(10)?),
        requests: json(row.get(11)?),
    })
}

const ATTEMPT_QUERY: &str = "SELECT a.id, a.delivery_id, d.plugin, d.event_id, a.attempt, \
     a.plugin_hash, a.started_at, a.duration_us, a.outcome, a.detail, a.logs, a.requests \
     FROM attempts a JOIN deliveries d ON d.id = a.delivery_id";

impl Db {
    /// A fresh read-only connection.
    pub fn connect(&self) -> Connection {
        assert!(
            self.path.exists(),
            "the host has not created its database at {}",
            self.path.display()
        );
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .unwrap_or_else(|err| panic!("opening {} read-only: {err}", self.path.display()));
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn
    }

    /// The single integer `sql` returns.
    pub fn scalar(&self, sql: &str) -> i64 {
        self.connect()
            .query_row(sql, [], |row| row.get(0))
            .unwrap_or_else(|err| panic!("{sql}: {err}"))
    }

    /// Row counts of webhooks, events, deliveries and attempts.
    pub fn totals(&self) -> Totals {
        let conn = self.connect();
        let count = |table: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap()
        };
        Totals {
            webhooks: count("webhooks"),
            events: count("events"),
            deliveries: count("deliveries"),
            attempts: count("attempts"),
        }
    }

    /// Every webhook, oldest first.
    pub fn webhooks(&self) -> Vec<Webhook> {
        let conn = self.connect();
        let mut stmt = conn
            .prepare(
                "SELECT id, source, event_type, body_sha256, received_at FROM webhooks \
                 ORDER BY received_at, id",
            )
            .unwrap();
        stmt.query_map([], |row| {
            Ok(Webhook {
                id: row.get(0)?,
                source: row.get(1)?,
                event_type: row.get(2)?,
                body_sha256: row.get(3)?,
                received_at: row.get(4)?,
            })
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    /// The stored body of webhook `id`.
    pub fn webhook_body(&self, id: &str) -> Vec<u8> {
        self.connect()
            .query_row("SELECT body FROM webhooks WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .unwrap_or_else(|err| panic!("webhook {id}: {err}"))
    }

    /// The events of webhook `webhook_id`, by item index.
    pub fn events_of(&self, webhook_id: &str) -> Vec<Event> {
        self.events_where("webhook_id = ?1", params![webhook_id])
    }

    /// Every event.
    pub fn events(&self) -> Vec<Event> {
        self.events_where("1 = 1", params![])
    }

    fn events_where(&self, filter: &str, params: impl rusqlite::Params) -> Vec<Event> {
        let conn = self.connect();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT id, webhook_id, item_index, event_type, prospect_id, email FROM events \
                 WHERE {filter} ORDER BY webhook_id, item_index"
            ))
            .unwrap();
        stmt.query_map(params, |row| {
            Ok(Event {
                id: row.get(0)?,
                webhook_id: row.get(1)?,
                item_index: row.get(2)?,
                event_type: row.get(3)?,
                prospect_id: row.get(4)?,
                email: row.get(5)?,
            })
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    /// Every delivery, by id (insertion order).
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries_where("1 = 1", params![])
    }

    /// The deliveries of the events of webhook `webhook_id`, by id.
    pub fn deliveries_of_webhook(&self, webhook_id: &str) -> Vec<Delivery> {
        self.deliveries_where(
            "event_id IN (SELECT id FROM events WHERE webhook_id = ?1)",
            params![webhook_id],
        )
    }

    /// The deliveries of plugin `plugin`, by id.
    pub fn deliveries_of_plugin(&self, plugin: &str) -> Vec<Delivery> {
        self.deliveries_where("plugin = ?1", params![plugin])
    }

    fn deliveries_where(&self, filter: &str, params: impl rusqlite::Params) -> Vec<Delivery> {
        let conn = self.connect();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE {filter} ORDER BY id"
            ))
            .unwrap();
        stmt.query_map(params, delivery)
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Every attempt, by id.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.attempts_where("1 = 1", params![])
    }

    /// The attempts of delivery `delivery_id`, in order.
    pub fn attempts_of(&self, delivery_id: i64) -> Vec<Attempt> {
        self.attempts_where("a.delivery_id = ?1", params![delivery_id])
    }

    /// The attempts of plugin `plugin`, by id.
    pub fn attempts_of_plugin(&self, plugin: &str) -> Vec<Attempt> {
        self.attempts_where("d.plugin = ?1", params![plugin])
    }

    fn attempts_where(&self, filter: &str, params: impl rusqlite::Params) -> Vec<Attempt> {
        let conn = self.connect();
        let mut stmt = conn
            .prepare(&format!("{ATTEMPT_QUERY} WHERE {filter} ORDER BY a.id"))
            .unwrap();
        stmt.query_map(params, attempt)
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// How many deliveries are in each status.
    pub fn status_counts(&self) -> BTreeMap<String, i64> {
        let conn = self.connect();
        let mut stmt = conn
            .prepare("SELECT status, count(*) FROM deliveries GROUP BY status")
            .unwrap();
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Deliveries still pending or running.
    pub fn open_deliveries(&self) -> i64 {
        self.scalar("SELECT count(*) FROM deliveries WHERE status IN ('pending', 'running')")
    }

    /// Waits until no delivery is pending or running.
    pub fn wait_idle(&self, timeout: Duration) {
        super::eventually_or(
            "every delivery to be finished (none pending or running)",
            timeout,
            || {
                let counts = self.status_counts();
                let open =
                    counts.get("pending").unwrap_or(&0) + counts.get("running").unwrap_or(&0);
                if open == 0 {
                    Ok(())
                } else {
                    Err(format!("{counts:?}"))
                }
            },
        );
    }

    /// Waits until webhook `webhook_id` has `expected` deliveries and all of them are finished
    /// (done, skipped or dead); returns them.
    pub fn wait_webhook_finished(&self, webhook_id: &str, expected: usize) -> Vec<Delivery> {
        super::eventually_or(
            &format!("the {expected} deliveries of webhook {webhook_id} to finish"),
            super::SOON,
            || {
                let deliveries = self.deliveries_of_webhook(webhook_id);
                if deliveries.len() == expected && deliveries.iter().all(Delivery::is_final) {
                    Ok(deliveries)
                } else {
                    Err(format!("{deliveries:#?}"))
                }
            },
        )
    }
}

impl Delivery {
    /// Done, skipped or dead: nothing more will happen to it.
    pub fn is_final(&self) -> bool {
        matches!(self.status.as_str(), "done" | "skipped" | "dead")
    }
}
