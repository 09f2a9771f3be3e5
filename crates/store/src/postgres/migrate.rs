//! Versioned schema migrations of the PostgreSQL store, each in its own transaction, run by one
//! host at a time: a host that starts while another migrates waits for it on an advisory lock,
//! then finds nothing left to do.

use deadpool_postgres::Object;

use super::url::Target;
use crate::StoreError;

/// Every migration, by version. Append only: a released migration never changes.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_initial.sql")),
    (2, include_str!("migrations/0002_plugin_controls.sql")),
    (3, include_str!("migrations/0003_console_reads.sql")),
];

/// The advisory lock key of migrations: "smartrea" in ASCII, unlikely to collide with another
/// application's keys in a shared database.
const MIGRATION_LOCK: i64 = 0x736d_6172_7472_6561;

/// SQLSTATE 42501, insufficient_privilege.
const INSUFFICIENT_PRIVILEGE: &str = "42501";

/// Brings the schema to the newest version; refuses a database from a newer build.
pub(super) async fn run(client: &mut Object, target: &Target) -> Result<(), StoreError> {
    let known = MIGRATIONS.last().map_or(0, |(version, _)| *version);
    let failed = |version: i64| {
        move |source: tokio_postgres::Error| {
            no_rights(&source, target).unwrap_or(StoreError::PostgresMigration { version, source })
        }
    };
    // A session lock, held across the transactions below and released however they end.
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(failed(0))?;
    let result = migrate(client, known, failed).await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    result?;
    unlocked.map_err(failed(0))?;
    Ok(())
}

async fn migrate<F, E>(client: &mut Object, known: i64, failed: F) -> Result<(), StoreError>
where
    F: Fn(i64) -> E,
    E: FnOnce(tokio_postgres::Error) -> StoreError,
{
    // Created only when missing: even `CREATE TABLE IF NOT EXISTS` needs the right to create
    // in the schema, which a user that only reads and writes the tables has not.
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .map_err(failed(0))?
        .get(0);
    if !exists {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version    BIGINT PRIMARY KEY,
                     applied_at BIGINT NOT NULL
                 )",
            )
            .await
            .map_err(failed(0))?;
    }
    let current: i64 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(failed(0))?
        .get(0);
    if current > known {
        return Err(StoreError::NewerSchema {
            found: current,
            known,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version > current) {
        let tx = client.transaction().await.map_err(failed(*version))?;
        tx.batch_execute(sql).await.map_err(failed(*version))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[version, &crate::now_ms()],
        )
        .await
        .map_err(failed(*version))?;
        tx.commit().await.map_err(failed(*version))?;
        tracing::info!(version, "store: migrated");
    }
    Ok(())
}

/// The error of a user who may not create tables, when `err` is that.
fn no_rights(err: &tokio_postgres::Error, target: &Target) -> Option<StoreError> {
    let db = err.as_db_error()?;
    (db.code().code() == INSUFFICIENT_PRIVILEGE).then(|| StoreError::PostgresNoRights {
        target: target.describe(),
        user: target.user().to_owned(),
        message: db.message().to_owned(),
    })
}
