//! The SQLite store through the `Store` trait: ingest and redelivery, the claim rules (due time,
//! per-(source, prospect) order, per-plugin limits, leases), attempts, release and recovery after a
//! crash, and the privacy of its files.

use smartreach_store::{
    AttemptRecord, ClaimRequest, DeliveryStatus, Ingested, NewEvent, NewWebhook, Next, SqliteStore,
    Store, StoreError,
};

const NOW: i64 = 1_700_000_000_000;

fn webhook(id: &str, body: &str, prospects: &[Option<&str>], plugins: &[&str]) -> NewWebhook {
    webhook_from("test", id, body, prospects, plugins)
}

fn webhook_from(
    source: &str,
    id: &str,
    body: &str,
    prospects: &[Option<&str>],
    plugins: &[&str],
) -> NewWebhook {
    NewWebhook {
        id: id.to_owned(),
        source: source.to_owned(),
        received_at: NOW,
        body: body.as_bytes().to_vec(),
        body_sha256: format!("sha-of-{body}"),
        event_type: "prospect.created".to_owned(),
        metadata: format!(r#"{{"webhook":"{id}"}}"#),
        events: prospects
            .iter()
            .enumerate()
            .map(|(index, prospect)| NewEvent {
                id: format!("{id}:{index}"),
                index: index as u32,
                event_type: "prospect.created".to_owned(),
                prospect_id: prospect.map(str::to_owned),
                email: None,
                occurred_at: None,
                item: format!(r#"{{"index":{index}}}"#),
            })
            .collect(),
        plugins: plugins.iter().map(|p| (*p).to_owned()).collect(),
    }
}

fn request(plugin: &str, limit: u32) -> Vec<ClaimRequest> {
    vec![ClaimRequest {
        plugin: plugin.to_owned(),
        limit,
    }]
}

fn attempt(delivery_id: i64, next: Next) -> AttemptRecord {
    AttemptRecord {
        delivery_id,
        plugin_hash: "hash".to_owned(),
        started_at: NOW,
        duration_us: 10,
        outcome: "done",
        detail: None,
        logs: "[]".to_owned(),
        requests: "[]".to_owned(),
        next,
    }
}

async fn count(store: &SqliteStore, status: DeliveryStatus) -> u64 {
    store
        .count_deliveries()
        .await
        .unwrap()
        .into_iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |(_, n)| n)
}

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("store.db")).unwrap()
}

#[tokio::test]
async fn ingest_creates_one_delivery_per_event_and_plugin_and_detects_redelivery() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = store
        .ingest(
            webhook("w1", "body", &[Some("1"), Some("2")], &["a", "b"]),
            0,
        )
        .await
        .unwrap();
    assert_eq!(
        first,
        Ingested::Stored {
            webhook_id: "w1".to_owned(),
            events: 2,
            deliveries: 4
        }
    );
    let again = store
        .ingest(webhook("w2", "body", &[Some("1")], &["a"]), NOW - 1)
        .await
        .unwrap();
    assert_eq!(
        again,
        Ingested::Duplicate {
            webhook_id: "w1".to_owned(),
            received_at: NOW
        }
    );
    assert_eq!(count(&store, DeliveryStatus::Pending).await, 4);

    // Outside the window the same body is a new webhook.
    let later = store
        .ingest(webhook("w3", "body", &[Some("1")], &["a"]), NOW + 1)
        .await
        .unwrap();
    assert!(matches!(later, Ingested::Stored { deliveries: 1, .. }));
}

#[tokio::test]
async fn a_prospects_deliveries_to_a_plugin_run_one_at_a_time_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for (id, prospect) in [("w1", "7"), ("w2", "7"), ("w3", "8")] {
        store
            .ingest(webhook(id, id, &[Some(prospect)], &["a"]), 0)
            .await
            .unwrap();
    }
    let claimed = store
        .claim("me", NOW, NOW + 1000, request("a", 10))
        .await
        .unwrap();
    let events: Vec<_> = claimed.iter().map(|c| c.event_id.as_str()).collect();
    assert_eq!(
        events,
        ["w1:0", "w3:0"],
        "w2 waits behind w1 (same prospect)"
    );

    // While w1 waits for a retry, w2 still waits.
    store
        .complete(
            "me",
            attempt(
                claimed[0].delivery_id,
                Next::Retry {
                    at: NOW + 500,
                    error: "later".to_owned(),
                },
            ),
        )
        .await
        .unwrap();
    assert!(
        store
            .claim("me", NOW + 1, NOW + 1000, request("a", 10))
            .await
            .unwrap()
            .is_empty()
    );
    let retried = store
        .claim("me", NOW + 500, NOW + 1000, request("a", 10))
        .await
        .unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].event_id, "w1:0");
    assert_eq!(retried[0].attempts, 1);
    store
        .complete("me", attempt(retried[0].delivery_id, Next::Done))
        .await
        .unwrap();
    let next = store
        .claim("me", NOW + 500, NOW + 1000, request("a", 10))
        .await
        .unwrap();
    assert_eq!(next[0].event_id, "w2:0");
}

#[tokio::test]
async fn claims_respect_limits_plugins_and_leases() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .ingest(
            webhook("w1", "b", &[None, None, None], &["a", "removed"]),
            0,
        )
        .await
        .unwrap();
    let two = store
        .claim("me", NOW, NOW + 1000, request("a", 2))
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    // Another owner cannot finish my delivery, and cannot take it while the lease holds.
    assert!(
        !store
            .complete("other", attempt(two[0].delivery_id, Next::Done))
            .await
            .unwrap()
    );
    let rest = store
        .claim("other", NOW + 999, NOW + 2000, request("a", 10))
        .await
        .unwrap();
    assert_eq!(rest.len(), 1, "only the unclaimed one");
    // After the lease expires, another owner takes over, and the first cannot finish it.
    let taken = store
        .claim("other", NOW + 1001, NOW + 3000, request("a", 10))
        .await
        .unwrap();
    assert_eq!(taken.len(), 2);
    let interrupted = taken
        .iter()
        .find(|c| c.delivery_id == two[0].delivery_id)
        .unwrap();
    assert_eq!(
        interrupted.attempts, 1,
        "a taken-over lease counts the run that never finished"
    );
    assert!(
        !store
            .complete("me", attempt(two[0].delivery_id, Next::Done))
            .await
            .unwrap()
    );
    // The deliveries of a plugin nobody claims for stay pending.
    assert_eq!(count(&store, DeliveryStatus::Pending).await, 3);
}

#[tokio::test]
async fn attempts_are_counted_except_for_requeues_and_dead_is_final() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .ingest(webhook("w1", "b", &[Some("1")], &["a"]), 0)
        .await
        .unwrap();
    let id = store
        .claim("me", NOW, NOW + 10, request("a", 1))
        .await
        .unwrap()[0]
        .delivery_id;
    store
        .complete("me", attempt(id, Next::Requeue { at: NOW }))
        .await
        .unwrap();
    let again = store
        .claim("me", NOW, NOW + 10, request("a", 1))
        .await
        .unwrap();
    assert_eq!(again[0].attempts, 0, "a requeue is not an attempt");
    store
        .complete(
            "me",
            attempt(
                id,
                Next::Dead {
                    error: "gave up".to_owned(),
                },
            ),
        )
        .await
        .unwrap();
    assert_eq!(count(&store, DeliveryStatus::Dead).await, 1);
    assert!(
        store
            .claim("me", NOW + 100_000, NOW + 200_000, request("a", 1))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn release_and_reopen_return_running_deliveries_to_pending() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        store
            .ingest(webhook("w1", "b", &[None, None], &["a"]), 0)
            .await
            .unwrap();
        store
            .claim("me", NOW, NOW + 10, request("a", 2))
            .await
            .unwrap();
        assert_eq!(store.release("me").await.unwrap(), 2);
        store
            .claim("me", 2 * NOW, i64::MAX, request("a", 1))
            .await
            .unwrap();
        assert_eq!(count(&store, DeliveryStatus::Running).await, 1);
    }
    // A crashed process leaves a running delivery with a lease far in the future: reopening
    // the embedded store returns it.
    let store = open(&dir);
    assert_eq!(store.recovered_at_open(), 1);
    assert_eq!(count(&store, DeliveryStatus::Pending).await, 2);
    // The interrupted run counts: an event that kills the host each time reaches the end of its
    // schedule instead of blocking its prospect forever.
    let attempts: Vec<u32> = store
        .claim("me", 3 * NOW, i64::MAX, request("a", 2))
        .await
        .unwrap()
        .iter()
        .map(|claimed| claimed.attempts)
        .collect();
    assert_eq!(attempts.iter().sum::<u32>(), 1, "{attempts:?}");
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
async fn the_metadata_is_stored_once_per_webhook_and_read_with_each_event() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .ingest(webhook("w1", "b", &[None, None, None], &["a"]), 0)
        .await
        .unwrap();
    let claimed = store
        .claim("me", NOW, NOW + 1000, request("a", 10))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    for (index, delivery) in claimed.iter().enumerate() {
        assert_eq!(delivery.metadata, r#"{"webhook":"w1"}"#);
        assert_eq!(delivery.item, format!(r#"{{"index":{index}}}"#));
        assert_eq!(delivery.lease_until, NOW + 1000);
    }
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

#[tokio::test]
async fn one_source_s_held_prospect_does_not_hold_back_another_source_s_same_prospect_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // Account A: prospect 7 twice; account B: its own prospect 7.
    for (source, id) in [
        ("account-a", "a1"),
        ("account-a", "a2"),
        ("account-b", "b1"),
    ] {
        store
            .ingest(webhook_from(source, id, id, &[Some("7")], &["crm"]), 0)
            .await
            .unwrap();
    }
    let first = store
        .claim("me", NOW, NOW + 1000, request("crm", 10))
        .await
        .unwrap();
    let events: Vec<_> = first.iter().map(|c| c.event_id.as_str()).collect();
    assert_eq!(
        events,
        ["a1:0", "b1:0"],
        "one head per (source, prospect): a2 waits behind a1, b1 does not"
    );
    // a1 waits for a retry: a2 still waits; b1's source is not held.
    store
        .complete(
            "me",
            attempt(
                first[0].delivery_id,
                Next::Retry {
                    at: NOW + 500,
                    error: "later".to_owned(),
                },
            ),
        )
        .await
        .unwrap();
    store
        .complete("me", attempt(first[1].delivery_id, Next::Done))
        .await
        .unwrap();
    assert!(
        store
            .claim("me", NOW + 1, NOW + 1000, request("crm", 10))
            .await
            .unwrap()
            .is_empty(),
        "a2 waits while a1 waits for its retry"
    );
    store
        .ingest(
            webhook_from("account-b", "b2", "b2", &[Some("7")], &["crm"]),
            0,
        )
        .await
        .unwrap();
    let next = store
        .claim("me", NOW + 2, NOW + 1000, request("crm", 10))
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|c| c.event_id.as_str()).collect::<Vec<_>>(),
        ["b2:0"],
        "account B's next event of its prospect 7 runs while account A's prospect 7 is held"
    );
}

#[tokio::test]
async fn a_lease_that_ends_while_its_holder_still_has_the_delivery_is_handed_out_again() {
    // Why the dispatcher hands back a delivery that waited too long for a slot: the store gives
    // a delivery whose lease ended to the next claim, the holder's own included.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .ingest(webhook("w1", "b", &[Some("1")], &["a"]), 0)
        .await
        .unwrap();
    let held = store
        .claim("me", NOW, NOW + 10, request("a", 1))
        .await
        .unwrap();
    assert_eq!(held[0].lease_until, NOW + 10);
    let again = store
        .claim("me", NOW + 11, NOW + 20, request("a", 1))
        .await
        .unwrap();
    assert_eq!(again[0].delivery_id, held[0].delivery_id);
    // Handed back before the lease ends (a requeue), it is pending and claimed afresh instead.
    store
        .complete("me", AttemptRecord::requeue(again[0].delivery_id, NOW + 12))
        .await
        .unwrap();
    let fresh = store
        .claim("me", NOW + 12, NOW + 30, request("a", 1))
        .await
        .unwrap();
    assert_eq!(fresh[0].attempts, 1, "only the lease that ran out counted");
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
        store
            .ingest(webhook("w1", "b", &[Some("1")], &["a"]), 0)
            .await
            .unwrap();
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
