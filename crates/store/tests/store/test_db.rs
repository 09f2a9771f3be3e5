//! A database of a test's own on the PostgreSQL server the tests use, dropped after: shared by the
//! conformance suite (`main.rs`) and the PostgreSQL store's own tests (`../postgres.rs`).
//!
//! The server: `SMARTREACH_TEST_POSTGRES` (a URL of a user that may create databases), by default
//! `postgres://root@127.0.0.1:5432/postgres`, the project's machines' setup. A missing server is
//! a failure that says how to start one, unless the variable is `skip` (which `cargo xtask test`
//! sets, saying so, when no server runs outside CI).

#![allow(dead_code)] // Each test binary uses its part.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio_postgres::NoTls;

const DEFAULT_SERVER: &str = "postgres://root@127.0.0.1:5432/postgres";

/// A database of this test's own, dropped when it goes out of scope.
pub struct TestDb {
    server: String,
    pub name: String,
}

impl TestDb {
    /// A new empty database, or `None` when `SMARTREACH_TEST_POSTGRES=skip`.
    pub async fn create() -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server =
            std::env::var("SMARTREACH_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_SERVER.to_owned());
        if server == "skip" {
            return None;
        }
        let client = admin(&server).await.unwrap_or_else(|err| {
            panic!(
                "PostgreSQL is not reachable at {server} ({err}): start it (on the project's \
                 machines: pg_ctlcluster --skip-systemctl-redirect 15 main start), set \
                 SMARTREACH_TEST_POSTGRES to another server's URL, or to `skip`"
            )
        });
        let name = format!(
            "smartreach_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        Some(Self { server, name })
    }

    /// The database's URL as the server's user.
    pub fn url(&self) -> String {
        self.url_as("root")
    }

    /// The database's URL as `user`.
    pub fn url_as(&self, user: &str) -> String {
        let (_, rest) = self.server.split_once('@').expect("a URL with a user");
        let host = rest.split('/').next().unwrap();
        format!("postgres://{user}@{host}/{}", self.name)
    }

    /// Runs `sql` in this database as the server's user.
    pub async fn execute(&self, sql: &str) {
        admin(&self.url())
            .await
            .unwrap()
            .batch_execute(sql)
            .await
            .unwrap();
    }

    /// One number from `sql`.
    pub async fn scalar(&self, sql: &str) -> i64 {
        admin(&self.url())
            .await
            .unwrap()
            .query_one(sql, &[])
            .await
            .unwrap()
            .get(0)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop runs outside any runtime the test may still be in: a thread with its own.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    admin(&server)
                        .await?
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// A plain connection (not the store's), for setting up and looking.
pub async fn admin(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = url.parse()?;
    config.connect_timeout(Duration::from_secs(3));
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}
