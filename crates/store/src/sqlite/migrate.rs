//! Versioned schema migrations, run in order at open, each in its own transaction.

use rusqlite::Connection;

use crate::StoreError;

/// Every migration, by version. Append only: a released migration never changes.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_initial.sql")),
    (2, include_str!("migrations/0002_queue_indexes.sql")),
    (
        3,
        include_str!("migrations/0003_metadata_once_and_source_order.sql"),
    ),
    (4, include_str!("migrations/0004_plugin_controls.sql")),
    (5, include_str!("migrations/0005_console_reads.sql")),
];

/// Brings the schema to the newest version; refuses a database from a newer build.
pub(super) fn run(conn: &mut Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.last().map_or(0, |(version, _)| *version);
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at BIGINT NOT NULL
         )",
    )
    .map_err(|source| StoreError::Migration { version: 0, source })?;
    let current: i64 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |row| row.get(0),
        )
        .map_err(|source| StoreError::Migration { version: 0, source })?;
    if current > known {
        return Err(StoreError::NewerSchema {
            found: current,
            known,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version > current) {
        let failed = |source| StoreError::Migration {
            version: *version,
            source,
        };
        let tx = conn.transaction().map_err(failed)?;
        tx.execute_batch(sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            (version, crate::now_ms()),
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(version, "store: migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.query_row("SELECT MAX(version) FROM schema_migrations", [], |row| {
            row.get(0)
        })
        .unwrap()
    }

    fn indexes(conn: &Connection) -> Vec<String> {
        let mut statement = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn a_version_1_database_is_brought_to_the_newest_version_keeping_its_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);
             INSERT INTO schema_migrations VALUES (1, 0);",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[0].1).unwrap();
        conn.execute_batch(
            "INSERT INTO webhooks VALUES ('W', 's', 1, x'00', 'h', 'prospect.created');
             INSERT INTO events VALUES ('W:0', 'W', 0, 'prospect.created', 'p', NULL, NULL, 1, '{\"m\":1}', '{}');
             INSERT INTO events VALUES ('W:1', 'W', 1, 'prospect.created', 'q', NULL, NULL, 1, '{\"m\":1}', '{}');
             INSERT INTO webhooks VALUES ('V', 't', 1, x'00', 'h2', 'prospect.created');
             INSERT INTO deliveries (event_id, plugin, status, origin, next_attempt_at, created_at, updated_at)
             VALUES ('W:0', 'crm', 'dead', 'ingest', 1, 1, 1);",
        )
        .unwrap();
        assert!(indexes(&conn).contains(&"deliveries_by_status".to_owned()));

        run(&mut conn).unwrap();

        assert_eq!(version(&conn), MIGRATIONS.last().unwrap().0);
        let indexes = indexes(&conn);
        assert!(
            !indexes.contains(&"deliveries_by_status".to_owned()),
            "{indexes:?}"
        );
        assert!(
            indexes.contains(&"deliveries_dead".to_owned()),
            "{indexes:?}"
        );
        for (index, kept) in [
            ("events_by_type", false),
            ("events_by_email", true),
            ("attempts_by_started", true),
            ("attempts_errors", true),
            ("deliveries_skipped", true),
        ] {
            assert_eq!(
                indexes.contains(&index.to_owned()),
                kept,
                "{index}: {indexes:?}"
            );
        }
        let dead: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM deliveries INDEXED BY deliveries_dead
                 WHERE status = 'dead' AND replayed_by IS NULL",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(dead, 1, "the existing dead letter is in the new index");
        let metadata: Vec<(String, String)> = conn
            .prepare("SELECT id, metadata FROM webhooks ORDER BY id")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            metadata,
            [
                ("V".to_owned(), "{}".to_owned()),
                ("W".to_owned(), r#"{"m":1}"#.to_owned())
            ],
            "each webhook keeps its metadata once; one without events gets an empty object"
        );
        assert!(
            conn.prepare("SELECT metadata FROM events").is_err(),
            "events no longer hold a copy of the metadata"
        );
        let source: String = conn
            .query_row("SELECT source FROM deliveries", [], |row| row.get(0))
            .unwrap();
        assert_eq!(source, "s", "a delivery takes its webhook's source");
        run(&mut conn).unwrap();
        assert_eq!(
            version(&conn),
            MIGRATIONS.last().unwrap().0,
            "a second run changes nothing"
        );
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        conn.execute("INSERT INTO schema_migrations VALUES (99, 0)", [])
            .unwrap();
        match run(&mut conn) {
            Err(StoreError::NewerSchema { found: 99, known }) => {
                assert_eq!(known, MIGRATIONS.last().unwrap().0);
            }
            other => panic!("expected NewerSchema, got {other:?}"),
        }
    }
}
