//! `PostgresStore::import_sqlite` (behind `migrate-store`) against a real server: what a SQLite
//! store holds arrives whole, with its ids, and the PostgreSQL store goes on from there; what
//! it refuses. The server is the one of `store/test_db.rs`; `SMARTREACH_TEST_POSTGRES=skip`
//! skips these tests.

#[path = "store/test_db.rs"]
mod test_db;

#[allow(dead_code)] // The conformance suite's helpers; this file uses a few.
#[path = "store/support.rs"]
mod support;

use smartreach_store::{
    AttemptOutcome, ImportError, Imported, Ingested, Next, PostgresStore, SqliteStore, Store,
    StoreError,
};
use support::{NOW, claim, complete, delivery, hook, ingest};
use test_db::TestDb;

async fn server() -> Option<TestDb> {
    let db = TestDb::create().await;
    if db.is_none() {
        eprintln!("skipped: SMARTREACH_TEST_POSTGRES=skip (no PostgreSQL server)");
    }
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_store_arrives_whole_with_its_ids_and_its_running_deliveries_pending() {
    let Some(db) = server().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hooks.db");
    let (done, interrupted) = {
        let sqlite = SqliteStore::open(&path).unwrap();
        let hooks = [
            hook("w1")
                .prospects(&[Some("p1"), Some("p2")])
                .plugins(&["a", "b"]),
            hook("w2").body("same").plugins(&["a"]),
            // The same body again, later: the newest is the one a redelivery is matched with.
            hook("w3").body("same").at(NOW + 10).plugins(&["a"]),
        ];
        for hook in hooks {
            ingest(&sqlite, hook).await;
        }
        let claimed = claim(&sqlite, "old-host", NOW, NOW + 60_000, "b", 10).await;
        assert_eq!(claimed.len(), 2);
        let done = claimed[0].delivery_id;
        assert!(
            complete(
                &sqlite,
                "old-host",
                done,
                AttemptOutcome::Done,
                Next::Done,
                NOW
            )
            .await
        );
        // An operator paused a plugin before the move: it stays paused after it.
        sqlite
            .set_paused("b".to_owned(), true, NOW + 1)
            .await
            .unwrap();
        // The other one is still running when the host stops.
        (done, claimed[1].delivery_id)
    };

    let store = PostgresStore::connect(&db.url()).await.unwrap();
    let imported = store.import_sqlite(&path).await.unwrap();
    assert_eq!(
        imported,
        Imported {
            webhooks: 3,
            events: 4,
            deliveries: 6,
            attempts: 1,
            controls: 1,
            requeued: 1,
        }
    );
    let controls = store.plugin_controls(NOW + 2).await.unwrap();
    assert_eq!(
        controls
            .iter()
            .map(|c| (c.plugin.as_str(), c.paused_since))
            .collect::<Vec<_>>(),
        [("b", Some(NOW + 1))],
        "a paused plugin stays paused after the move: {controls:?}"
    );
    let done = delivery(&store, done).await;
    assert_eq!((done.status.as_str(), done.attempts), ("done", 1));
    let interrupted = delivery(&store, interrupted).await;
    assert_eq!(
        (interrupted.status.as_str(), interrupted.attempts),
        ("pending", 1),
        "a delivery left running is pending again, its run counted: {interrupted:?}"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM deliveries WHERE lease_owner IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM webhook_bodies WHERE webhook_id = 'w3'")
            .await,
        1,
        "a body is matched with its newest webhook"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM webhook_bodies").await, 2);

    // The store goes on after the copy: a redelivery is recognised, new rows get new ids.
    let again = store
        .ingest(hook("w4").body("same").at(NOW + 20).build(), NOW)
        .await
        .unwrap();
    assert!(
        matches!(&again, Ingested::Duplicate { webhook_id, .. } if webhook_id == "w3"),
        "{again:?}"
    );
    ingest(&store, hook("w5").at(NOW + 30).plugins(&["a"])).await;
    assert_eq!(
        db.scalar("SELECT min(d.id) FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.webhook_id = 'w5'")
            .await,
        7
    );

    // A second copy into the same store is refused, and changes nothing.
    let err = store.import_sqlite(&path).await.unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::NotEmpty {
                webhooks: 4,
                deliveries: 7,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("is not empty"), "{err}");
    assert_eq!(db.scalar("SELECT count(*) FROM webhooks").await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_busy_sqlite_store_is_refused() {
    let Some(db) = server().await else {
        return;
    };
    let store = PostgresStore::connect(&db.url()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("nope.db");
    let err = store.import_sqlite(&missing).await.unwrap_err();
    assert!(matches!(err, ImportError::NoSource { .. }), "{err}");
    assert!(!missing.exists(), "no store is made where there was none");

    let path = dir.path().join("busy.db");
    let _host = SqliteStore::open(&path).unwrap();
    let err = store.import_sqlite(&path).await.unwrap_err();
    assert!(
        matches!(err, ImportError::OpenSource(StoreError::Locked { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("in use by another"), "{err}");
}
