//! Versioned schema migrations, run in order at open, each in its own transaction.

use rusqlite::Connection;

use crate::StoreError;

/// Every migration, by version. Append only: a released migration never changes.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("migrations/0001_initial.sql"))];

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
            (version, super::now_ms()),
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(version, "store: migrated");
    }
    Ok(())
}
