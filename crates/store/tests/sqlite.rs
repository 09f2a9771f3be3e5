//! What only the embedded SQLite store does, beyond the `Store` trait (whose promises the
//! conformance suite in `tests/store/` checks): one process per file, private files, recovery of
//! the deliveries a crashed process left running, and the metadata stored once.

use smartreach_store::{
    ClaimRequest, DeliveryFilter, DeliveryStatus, NewEvent, NewWebhook, SqliteStore, Store,
    StoreError,
};

const NOW: i64 = 1_700_000_000_000;

fn webhook(id: &str, events: usize) -> NewWebhook {
    NewWebhook {
        id: id.to_owned(),
        source: "test".to_owned(),
        received_at: NOW,
        body: id.as_bytes().to_vec(),
        body_sha256: format!("sha-of-{id}"),
        event_type: "prospect.created".to_owned(),
        metadata: format!(r#"{{"webhook":"{id}"}}"#),
        events: (0..events)
            .map(|index| NewEvent {
                id: format!("{id}:{index}"),
                index: index as u32,
                event_type: "prospect.created".to_owned(),
                prospect_id: None,
                email: None,
                occurred_at: None,
                item: format!(r#"{{"index":{index}}}"#),
            })
            .collect(),
        plugins: vec!["a".to_owned()],
    }
}

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("store.db")).unwrap()
}

async fn claim(store: &SqliteStore, now: i64, limit: u32) -> Vec<smartreach_store::Claimed> {
    let request = ClaimRequest {
        plugin: "a".to_owned(),
        limit,
        rate: None,
    };
    store
        .claim("me", now, i64::MAX, vec![request])
        .await
        .unwrap()
}

async fn with_status(store: &SqliteStore, status: DeliveryStatus) -> usize {
    let filter = DeliveryFilter {
        status: Some(status),
        ..DeliveryFilter::default()
    };
    store
        .list_deliveries(filter, 500, None)
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test]
async fn reopening_returns_what_a_crashed_process_left_running_and_counts_its_run() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        store.ingest(webhook("w1", 2), 0).await.unwrap();
        // A crashed process leaves a running delivery with a lease far in the future.
        assert_eq!(claim(&store, NOW, 1).await.len(), 1);
        assert_eq!(with_status(&store, DeliveryStatus::Running).await, 1);
    }
    let store = open(&dir);
    assert_eq!(store.recovered_at_open(), 1);
    assert_eq!(with_status(&store, DeliveryStatus::Pending).await, 2);
    // The interrupted run counts: an event that kills the host each time reaches the end of its
    // schedule instead of blocking its prospect forever.
    let attempts: Vec<u32> = claim(&store, NOW, 2)
        .await
        .iter()
        .map(|claimed| claimed.attempts)
        .collect();
    assert_eq!(attempts, [1, 0]);
    let shown = store
        .list_deliveries(DeliveryFilter::default(), 10, None)
        .await
        .unwrap()
        .items;
    let interrupted = shown.iter().find(|d| d.attempts == 1).unwrap();
    assert!(
        interrupted
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("interrupted"),
        "{interrupted:?}"
    );
}

#[tokio::test]
async fn a_second_process_cannot_open_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(&dir);
    let err = SqliteStore::open(&dir.path().join("store.db"))
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("in use by another"), "{err}");
}

#[tokio::test]
async fn the_metadata_is_stored_once_per_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.ingest(webhook("w1", 3), 0).await.unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("store.db")).unwrap();
    let copies: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM webhooks WHERE metadata = '{\"webhook\":\"w1\"}'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(copies, 1);
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('events')")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!columns.contains(&"metadata".to_owned()), "{columns:?}");
}

#[cfg(unix)]
#[tokio::test]
async fn the_store_s_files_are_private_and_a_store_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    {
        let store = open(&dir);
        store.ingest(webhook("w1", 1), 0).await.unwrap();
        for name in ["store.db", "store.db-wal", "store.db-shm", "store.db.lock"] {
            assert_eq!(mode(&dir.path().join(name)), 0o600, "{name}");
        }
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = SqliteStore::open(&db).err().expect("refused");
    let text = err.to_string();
    assert!(matches!(err, StoreError::Exposed { .. }), "{text}");
    assert!(
        text.contains(&format!("chmod 600 {}", db.display())),
        "{text}"
    );
    assert!(text.contains("644"), "{text}");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    open(&dir);
}
