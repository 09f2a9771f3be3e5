//! The bench's own PostgreSQL database, one per configuration (`smartreach_bench_<pid>_<hosts>`),
//! created empty on the server before the hosts start and dropped with its connections after
//! they stopped, also when the run fails on the way (its guard's `Drop`).
//!
//! The server: `SMARTREACH_TEST_POSTGRES` (as for the PostgreSQL tests: the URL of a user that may
//! create databases), by default `postgres://root@127.0.0.1:5432/postgres`, the project's
//! machines' setup.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio_postgres::{Client, NoTls};

/// The variable naming the server.
pub const VARIABLE: &str = "SMARTREACH_TEST_POSTGRES";

/// The server when the variable is not set.
const DEFAULT_SERVER: &str = "postgres://root@127.0.0.1:5432/postgres";

/// A database of the bench's own, dropped when this goes out of scope.
pub struct BenchDatabase {
    /// The server's URL (its maintenance database).
    server: String,
    /// The database's name.
    name: String,
    /// For the statements that create and drop it, outside the load generator's runtime.
    runtime: tokio::runtime::Runtime,
}

impl BenchDatabase {
    /// Creates `smartreach_bench_<pid>_<suffix>` on the server, dropping one of that name left
    /// over by an earlier run that died.
    pub fn create(suffix: &str) -> Result<Self> {
        let server = std::env::var(VARIABLE).unwrap_or_else(|_| DEFAULT_SERVER.to_owned());
        if server == "skip" {
            bail!(
                "--store postgres needs a PostgreSQL server, and {VARIABLE}=skip; set it to the \
                 URL of a user that may create databases, or unset it to use {DEFAULT_SERVER}"
            );
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting a runtime for the bench database")?;
        let name = format!("smartreach_bench_{}_{suffix}", std::process::id());
        let database = Self {
            server,
            name,
            runtime,
        };
        database.on_server(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            database.name
        ))?;
        database.on_server(&format!("CREATE DATABASE {}", database.name))?;
        Ok(database)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The database's URL: the server's, with this database in place of its own.
    pub fn url(&self) -> String {
        with_database(&self.server, &self.name)
    }

    /// Runs `sql` on the server's own database.
    fn on_server(&self, sql: &str) -> Result<()> {
        self.runtime.block_on(async {
            let client = connect(&self.server).await?;
            client
                .batch_execute(sql)
                .await
                .with_context(|| format!("{sql} on {}", describe(&self.server)))
        })
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        // FORCE ends the connections of hosts that did not stop.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        match self.on_server(&sql) {
            Ok(()) => eprintln!("bench: dropped database {}", self.name),
            Err(err) => eprintln!(
                "bench: could not drop database {} ({err:#}); drop it with psql: {sql}",
                self.name
            ),
        }
    }
}

/// A connection to `url`, driven by a task on the current runtime; what is wrong when there is
/// none.
pub async fn connect(url: &str) -> Result<Client> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .with_context(|| format!("{VARIABLE}: not a PostgreSQL URL: {}", describe(url)))?;
    config.connect_timeout(Duration::from_secs(5));
    let (client, connection) = config.connect(NoTls).await.with_context(|| {
        format!(
            "connecting to PostgreSQL at {}: start it (on the project's machines: pg_ctlcluster \
             --skip-systemctl-redirect 15 main start), or set {VARIABLE} to another server's URL",
            describe(url)
        )
    })?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            eprintln!("bench: PostgreSQL connection ended: {err}");
        }
    });
    Ok(client)
}

/// `url` with `database` as its path (its query, if any, kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |at| at + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |at| authority_start + at);
    format!("{}/{database}{query}", &base[..authority_end])
}

/// `url` without its user and password, for messages.
fn describe(url: &str) -> String {
    match url.split_once('@') {
        Some((_, rest)) => rest.to_owned(),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_replaces_the_servers() {
        assert_eq!(
            with_database("postgres://root@127.0.0.1:5432/postgres", "b"),
            "postgres://root@127.0.0.1:5432/b"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "b"),
            "postgres://u:p@h/b?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h:1", "b"), "postgres://u@h:1/b");
    }
}
