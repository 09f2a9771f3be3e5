//! The PostgreSQL store against a real server: a database of its own per test, dropped after.
//! What is built so far is the connection and the migrations (the `Store` operations follow, and
//! then the conformance suite of `tests/store/` runs on this store too).
//!
//! The server: `SMARTREACH_TEST_POSTGRES` (a URL of a user that may create databases), by default
//! `postgres://root@127.0.0.1:5432/postgres`, the project's machines' setup. A missing server is
//! a failure that says how to start one, unless the variable is `skip` (which `cargo xtask test`
//! sets, saying so, when no server runs outside CI).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use smartreach_store::{PostgresStore, StoreError};
use tokio_postgres::NoTls;

const DEFAULT_SERVER: &str = "postgres://root@127.0.0.1:5432/postgres";

/// A database of this test's own, dropped when it goes out of scope.
struct TestDb {
    server: String,
    name: String,
}

impl TestDb {
    /// A new empty database, or `None` when `SMARTREACH_TEST_POSTGRES=skip`.
    async fn create() -> Option<Self> {
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
    fn url(&self) -> String {
        self.url_as("root")
    }

    /// The database's URL as `user`.
    fn url_as(&self, user: &str) -> String {
        let (_, rest) = self.server.split_once('@').expect("a URL with a user");
        let host = rest.split('/').next().unwrap();
        format!("postgres://{user}@{host}/{}", self.name)
    }

    /// Runs `sql` in this database as the server's user.
    async fn execute(&self, sql: &str) {
        admin(&self.url())
            .await
            .unwrap()
            .batch_execute(sql)
            .await
            .unwrap();
    }

    /// One number from `sql`.
    async fn scalar(&self, sql: &str) -> i64 {
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
async fn admin(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = url.parse()?;
    config.connect_timeout(Duration::from_secs(3));
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

#[tokio::test]
async fn a_new_database_is_migrated_once_and_a_second_start_finds_nothing_to_do() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = PostgresStore::connect(&db.url()).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 1);
    for table in ["webhooks", "events", "deliveries", "attempts"] {
        let found = db
            .scalar(&format!(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = '{table}'"
            ))
            .await;
        assert_eq!(found, 1, "{table}");
    }
    let again = PostgresStore::connect(&db.url()).await.unwrap();
    assert_eq!(again.schema_version().await.unwrap(), 1);
    assert_eq!(db.scalar("SELECT count(*) FROM schema_migrations").await, 1);
    assert!(
        store.target().ends_with(&format!("/{}", db.name)),
        "{}",
        store.target()
    );
}

/// Hosts started together on a new database: one migrates, the others wait for it on the
/// advisory lock and find nothing to do (without it, all but one fail on CREATE TABLE).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hosts_started_at_once_migrate_once() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let url = db.url();
    let starts: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url).await })
        })
        .collect();
    for start in starts {
        let store = start.await.unwrap().unwrap();
        assert_eq!(store.schema_version().await.unwrap(), 1);
    }
    assert_eq!(db.scalar("SELECT count(*) FROM schema_migrations").await, 1);
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    PostgresStore::connect(&db.url()).await.unwrap();
    db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)")
        .await;
    let err = PostgresStore::connect(&db.url()).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NewerSchema {
                found: 99,
                known: 1
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_server_and_a_refusal_are_told_apart() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    // Nothing listens on port 1.
    let err = PostgresStore::connect("postgres://hooks:s3cret@127.0.0.1:1/events")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::PostgresUnreachable { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("cannot reach PostgreSQL at 127.0.0.1:1/events: ")
            && text.contains("is the server running"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");

    // The server answers, and there is no such database.
    let missing = db.url().replace(&db.name, "smartreach_no_such_database");
    let err = PostgresStore::connect(&missing).await.unwrap_err();
    assert!(matches!(err, StoreError::PostgresRefused { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("database \"smartreach_no_such_database\" does not exist"),
        "{err}"
    );
}

/// A user who may connect but not create tables is told what to grant; once the owner has
/// migrated, the same user starts.
#[tokio::test]
async fn a_user_without_the_right_to_create_tables_is_told_what_to_grant() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let user = format!("{}_reader", db.name);
    db.execute(&format!(
        "CREATE ROLE {user} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC"
    ))
    .await;
    let err = PostgresStore::connect(&db.url_as(&user)).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, StoreError::PostgresNoRights { .. }),
        "{err:?}"
    );
    assert!(
        text.contains(&format!("the PostgreSQL user `{user}` may not create"))
            && text.contains(&format!("GRANT CREATE ON SCHEMA public TO \"{user}\"")),
        "{text}"
    );

    PostgresStore::connect(&db.url()).await.unwrap();
    db.execute(&format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {user}"
    ))
    .await;
    let store = PostgresStore::connect(&db.url_as(&user)).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 1);
    drop(store);
    db.execute(&format!("DROP OWNED BY {user}; DROP ROLE {user}"))
        .await;
}
