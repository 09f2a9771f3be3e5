//! The PostgreSQL store, for several hosts on one database: what is built so far is the
//! connection (`url.rs` reads `store.url`; a bad URL, an unreachable server, a refusal and a
//! user without the right to create tables are each an error that says which and what to do) and
//! the versioned migrations, run by one host at a time under an advisory lock (`migrate.rs`).
//! The [`crate::Store`] operations follow.

mod connect;
pub(crate) mod import;
mod migrate;
mod url;

use deadpool_postgres::Pool;

use crate::StoreError;

/// A connection pool to the store's database, migrated to the newest schema.
pub struct PostgresStore {
    pool: Pool,
    /// `host:port/database`, for messages (no user, no password).
    target: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`) and
    /// brings its schema to the newest version.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let target = url::Target::parse(url)?;
        let pool = connect::pool(&target)?;
        let mut client = connect::first(&pool, &target).await?;
        migrate::run(&mut client, &target).await?;
        Ok(Self {
            pool,
            target: target.describe(),
        })
    }

    /// The schema version of the database: the newest migration applied.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let client = connect::get(&self.pool).await?;
        let row = client
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(|err| StoreError::Postgres {
                operation: "reading the schema version",
                message: err.to_string(),
            })?;
        Ok(row.get(0))
    }

    /// `host:port/database` of the store.
    pub fn target(&self) -> &str {
        &self.target
    }
}

/// `err` and its causes, `: `-joined: tokio-postgres's own text is only the kind ("error
/// connecting to server", "invalid connection string"); the cause says what ("Connection
/// refused", "invalid value for option `port`").
fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
