//! A PostgreSQL database of a test's own, created on the test server and dropped with its
//! connections when the test ends, and a plain connection to set it up and look into it.
//!
//! The server: `SMARTREACH_TEST_POSTGRES` (the URL of a user that may create databases and
//! roles), by default `postgres://root@127.0.0.1:5432/postgres`, the project's machines' setup.
//! `skip` skips the tests that need it (they print why); otherwise a missing server fails them,
//! saying how to start one.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio_postgres::{Client, NoTls};

/// The variable naming the test server.
pub const VARIABLE: &str = "SMARTREACH_TEST_POSTGRES";

const DEFAULT_SERVER: &str = "postgres://root@127.0.0.1:5432/postgres";

/// A database of this test's own, dropped (with every connection to it) when it goes out of
/// scope, and the roles the test created.
pub struct TestDb {
    server: String,
    name: String,
    roles: Vec<String>,
    runtime: tokio::runtime::Runtime,
}

impl TestDb {
    /// A new empty database, or `None` (printing why) when `SMARTREACH_TEST_POSTGRES=skip`.
    pub fn create(test: &str) -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server = std::env::var(VARIABLE).unwrap_or_else(|_| DEFAULT_SERVER.to_owned());
        if server == "skip" {
            eprintln!(
                "{test}: skipped, {VARIABLE}=skip (no PostgreSQL server); run PostgreSQL on \
                 127.0.0.1:5432 or set {VARIABLE} to a server's URL to run it"
            );
            return None;
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let name = format!(
            "smartreach_host_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let db = Self {
            server,
            name,
            roles: Vec::new(),
            runtime,
        };
        db.on_server(&format!("CREATE DATABASE {}", db.name));
        Some(db)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `host:port` of the server.
    pub fn host_port(&self) -> &str {
        let (_, rest) = self.server.split_once('@').expect("a URL with a user");
        rest.split('/').next().unwrap()
    }

    /// The database's URL as the server's user.
    pub fn url(&self) -> String {
        let (scheme_user, _) = self.server.split_once('@').expect("a URL with a user");
        format!("{scheme_user}@{}/{}", self.host_port(), self.name)
    }

    /// The database's URL as `user` with `password` (which trust authentication ignores).
    pub fn url_as(&self, user: &str, password: &str) -> String {
        format!(
            "postgres://{user}:{password}@{}/{}",
            self.host_port(),
            self.name
        )
    }

    /// A login role of this test's own, dropped with the database.
    pub fn create_role(&mut self, suffix: &str) -> String {
        let role = format!("{}_{suffix}", self.name);
        self.on_server(&format!("CREATE ROLE {role} LOGIN"));
        self.roles.push(role.clone());
        role
    }

    /// Runs `sql` in this database as the server's user.
    pub fn execute(&self, sql: &str) {
        let url = self.url();
        self.runtime
            .block_on(async { connect(&url).await?.batch_execute(sql).await })
            .unwrap_or_else(|err| panic!("{sql}: {err}"));
    }

    /// Runs `sql` on the server's own database (for what may not run inside this one, like
    /// `ALTER DATABASE` or ending its connections).
    pub fn on_server(&self, sql: &str) {
        let server = self.server.clone();
        self.runtime
            .block_on(async { connect(&server).await?.batch_execute(sql).await })
            .unwrap_or_else(|err| panic!("{sql}: {err}"));
    }

    /// One number from `sql`, run in this database.
    pub fn scalar(&self, sql: &str) -> i64 {
        let url = self.url();
        self.runtime
            .block_on(async { connect(&url).await?.query_one(sql, &[]).await })
            .unwrap_or_else(|err| panic!("{sql}: {err}"))
            .get(0)
    }

    /// The first column of every row of `sql` (a number), run in this database.
    pub fn column(&self, sql: &str) -> Vec<i64> {
        let url = self.url();
        self.runtime
            .block_on(async { connect(&url).await?.query(sql, &[]).await })
            .unwrap_or_else(|err| panic!("{sql}: {err}"))
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    /// Ends every connection to this database but the caller's.
    pub fn terminate_connections(&self) {
        self.on_server(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = '{}' AND pid <> pg_backend_pid()",
            self.name
        ));
    }

    /// Refuses (`false`) or allows new connections to this database.
    pub fn allow_connections(&self, allow: bool) {
        self.on_server(&format!(
            "ALTER DATABASE {} ALLOW_CONNECTIONS {allow}",
            self.name
        ));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let server = self.server.clone();
        // One statement each: DROP DATABASE may not run in the transaction that a
        // multi-statement query is.
        let mut statements = vec![format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )];
        statements.extend(
            self.roles
                .iter()
                .map(|role| format!("DROP ROLE IF EXISTS {role}")),
        );
        let dropped = self.runtime.block_on(async {
            let client = connect(&server).await?;
            for statement in &statements {
                client.batch_execute(statement).await?;
            }
            Ok::<_, tokio_postgres::Error>(())
        });
        if let Err(err) = dropped {
            eprintln!(
                "could not drop test database {} or its roles: {err}",
                self.name
            );
        }
    }
}

/// A plain connection (not the host's).
async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = url.parse()?;
    config.connect_timeout(Duration::from_secs(5));
    let (client, connection) = config.connect(NoTls).await.map_err(|err| {
        eprintln!(
            "PostgreSQL is not reachable at {url} ({err}): start it (on the project's machines: \
             pg_ctlcluster --skip-systemctl-redirect 15 main start), set {VARIABLE} to another \
             server's URL, or to `skip`"
        );
        err
    })?;
    tokio::spawn(connection);
    Ok(client)
}
