//! The store's admin side: lists and filters, replays of dead letters, backfills, and retention.

use smartreach_store::{
    AttemptRecord, ClaimRequest, DeliveryFilter, DeliveryStatus, EventFilter, NewEvent, NewWebhook,
    Next, ReplayRefused, ShownStatus, SqliteStore, Store,
};

fn webhook(id: &str, at: i64, event_type: &str, email: &str, plugins: &[&str]) -> NewWebhook {
    NewWebhook {
        id: id.to_owned(),
        source: "test".to_owned(),
        received_at: at,
        body: id.as_bytes().to_vec(),
        body_sha256: id.to_owned(),
        event_type: event_type.to_owned(),
        metadata: "{}".to_owned(),
        events: vec![NewEvent {
            id: format!("{id}:0"),
            index: 0,
            event_type: event_type.to_owned(),
            prospect_id: Some(id.to_owned()),
            email: Some(email.to_owned()),
            occurred_at: None,
            item: r#"{"prospect":{"prospect_id":1}}"#.to_owned(),
        }],
        plugins: plugins.iter().map(|p| (*p).to_owned()).collect(),
    }
}

async fn finish(store: &SqliteStore, plugin: &str, next: Next) -> Vec<i64> {
    let claimed = store
        .claim(
            "me",
            i64::MAX - 1,
            i64::MAX,
            vec![ClaimRequest {
                plugin: plugin.to_owned(),
                limit: 100,
            }],
        )
        .await
        .unwrap();
    for delivery in &claimed {
        let record = AttemptRecord {
            delivery_id: delivery.delivery_id,
            plugin_hash: "h".to_owned(),
            started_at: 1,
            duration_us: 1,
            outcome: "failed",
            detail: Some("boom".to_owned()),
            logs: "[]".to_owned(),
            requests: "[]".to_owned(),
            next: next.clone(),
        };
        assert!(store.complete("me", record).await.unwrap());
    }
    claimed.iter().map(|c| c.delivery_id).collect()
}

async fn seeded() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
    store
        .ingest(
            webhook("A", 1_000, "prospect.created", "a@x.example", &["crm"]),
            0,
        )
        .await
        .unwrap();
    store
        .ingest(
            webhook(
                "B",
                2_000,
                "activity.email.replied",
                "b@x.example",
                &["crm", "slack"],
            ),
            0,
        )
        .await
        .unwrap();
    store
        .ingest(
            webhook("C", 3_000, "prospect.created", "c@x.example", &[]),
            0,
        )
        .await
        .unwrap();
    (dir, store)
}

#[tokio::test]
async fn events_are_listed_newest_first_filtered_and_paged() {
    let (_dir, store) = seeded().await;
    let all = store
        .list_events(EventFilter::default(), 2, None)
        .await
        .unwrap();
    let ids: Vec<_> = all.items.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["C:0", "B:0"]);
    let rest = store
        .list_events(EventFilter::default(), 2, all.next_cursor)
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].id, "A:0");
    assert_eq!(rest.next_cursor, None);
    assert_eq!(all.items[1].delivery_counts.pending, 2);

    let by_type = EventFilter {
        event_type: Some("prospect.created".to_owned()),
        since: Some(1_500),
        ..EventFilter::default()
    };
    let found = store.list_events(by_type, 10, None).await.unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].id, "C:0");
    let by_email = EventFilter {
        email: Some("b@x.example".to_owned()),
        until: Some(2_001),
        ..EventFilter::default()
    };
    assert_eq!(
        store.list_events(by_email, 10, None).await.unwrap().items[0].id,
        "B:0"
    );

    let detail = store.event("B:0".to_owned()).await.unwrap().unwrap();
    assert_eq!(detail.deliveries.len(), 2);
    assert_eq!(detail.item["prospect"]["prospect_id"], 1);
    assert!(store.event("nope".to_owned()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_dead_letter_is_replayed_once_as_a_new_delivery() {
    let (_dir, store) = seeded().await;
    let dead = finish(
        &store,
        "crm",
        Next::Dead {
            error: "failed: boom".to_owned(),
        },
    )
    .await;
    assert_eq!(dead.len(), 2);
    let filter = DeliveryFilter {
        status: Some(DeliveryStatus::Dead),
        plugin: Some("crm".to_owned()),
        ..DeliveryFilter::default()
    };
    assert_eq!(
        store
            .list_deliveries(filter.clone(), 10, None)
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    let activity = store.plugin_activity().await.unwrap();
    let crm = activity.iter().find(|p| p.plugin == "crm").unwrap();
    assert_eq!(crm.deliveries.dead, 2);
    assert_eq!(crm.last_error.as_ref().unwrap().message, "failed: boom");

    let one = store.replay(dead[0], 5).await.unwrap().unwrap();
    assert_eq!(
        store.replay(dead[0], 5).await.unwrap(),
        Err(ReplayRefused::AlreadyReplayed(one)),
        "a dead letter is replayed once"
    );
    let rest = store.replay_dead("crm".to_owned(), 5).await.unwrap();
    assert_eq!(rest.count, 1, "the replayed one is not replayed again");
    assert!(
        store
            .replay_dead("crm".to_owned(), 5)
            .await
            .unwrap()
            .deliveries
            .is_empty()
    );
    assert_eq!(
        store.replay(one, 5).await.unwrap(),
        Err(ReplayRefused::StillOpen(DeliveryStatus::Pending))
    );
    assert_eq!(
        store.replay(999, 5).await.unwrap(),
        Err(ReplayRefused::NotFound)
    );

    assert!(
        store
            .list_deliveries(filter, 10, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let replays = store
        .list_deliveries(
            DeliveryFilter {
                status: Some(DeliveryStatus::Pending),
                plugin: Some("crm".to_owned()),
                ..DeliveryFilter::default()
            },
            10,
            None,
        )
        .await
        .unwrap()
        .items;
    assert_eq!(replays.len(), 2);
    assert!(
        replays
            .iter()
            .all(|d| d.origin == "replay" && d.replay_of.is_some())
    );
    assert_eq!(store.queue_stats(0).await.unwrap().by_plugin["crm"].dead, 0);

    // The replayed dead letter reads `replayed` in the list and in its event's detail alike.
    let all = store
        .list_deliveries(
            DeliveryFilter {
                plugin: Some("crm".to_owned()),
                ..DeliveryFilter::default()
            },
            10,
            None,
        )
        .await
        .unwrap()
        .items;
    let letter = all.iter().find(|d| d.id == dead[0]).unwrap();
    assert_eq!(letter.status, ShownStatus::Replayed, "{letter:?}");
    assert_eq!(letter.replayed_by, Some(one));
    let detail = store.event(letter.event_id.clone()).await.unwrap().unwrap();
    let shown = detail
        .deliveries
        .iter()
        .find(|d| d.summary.id == dead[0])
        .unwrap();
    assert_eq!(shown.summary.status, ShownStatus::Replayed, "{shown:?}");
    let replay = all.iter().find(|d| d.id == one).unwrap();
    assert_eq!(replay.status, ShownStatus::Pending, "{replay:?}");
}

#[tokio::test]
async fn a_backfill_covers_stored_events_of_its_types_once() {
    let (_dir, store) = seeded().await;
    let queued = store
        .backfill(
            "new".to_owned(),
            Some(vec!["prospect.created".to_owned()]),
            0,
            10_000,
            9,
        )
        .await
        .unwrap();
    assert_eq!(queued.count, 2, "A and C, not the reply");
    let again = store
        .backfill("new".to_owned(), None, 0, 10_000, 9)
        .await
        .unwrap();
    assert_eq!(
        again.count, 1,
        "only B was left; every type when none is given"
    );
    let window = store
        .backfill("other".to_owned(), None, 1_500, 3_000, 9)
        .await
        .unwrap();
    assert_eq!(window.count, 1, "only B was received in [1500, 3000)");
}

#[tokio::test]
async fn retention_keeps_events_with_open_deliveries_or_dead_letters() {
    let (_dir, store) = seeded().await;
    // A: done; B: crm dead, slack pending; C: no deliveries.
    finish(&store, "crm", Next::Done).await;
    store
        .ingest(
            webhook("D", 4_000, "prospect.created", "d@x.example", &["crm"]),
            0,
        )
        .await
        .unwrap();
    let pruned = store.prune(3_500).await.unwrap();
    assert_eq!(pruned.webhooks, 2, "A (done) and C (nothing to deliver)");
    assert!(!pruned.more);
    let left: Vec<_> = store
        .list_events(EventFilter::default(), 10, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(
        left,
        ["D:0", "B:0"],
        "B still has a pending delivery, D is recent"
    );
}

#[tokio::test]
async fn large_backfills_and_prunes_go_in_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
    for n in 0..2_500 {
        store
            .ingest(
                webhook(
                    &format!("W{n:05}"),
                    1_000 + n,
                    "prospect.created",
                    "x@x.example",
                    &[],
                ),
                0,
            )
            .await
            .unwrap();
    }
    let queued = store
        .backfill("late".to_owned(), None, 0, i64::MAX, 9)
        .await
        .unwrap();
    assert_eq!(queued.count, 2_500, "three chunks of at most 1,000");
    assert_eq!(queued.deliveries.len(), smartreach_store::Queued::MAX_IDS);
    assert!(queued.deliveries.windows(2).all(|pair| pair[0] < pair[1]));
    // Finished, so prunable: one batch of 500 at a time, saying when there is more.
    while !finish(&store, "late", Next::Done).await.is_empty() {}
    let mut batches = 0;
    loop {
        let pruned = store.prune(i64::MAX).await.unwrap();
        batches += 1;
        if !pruned.more {
            break;
        }
        assert_eq!(pruned.webhooks, 500);
    }
    assert!(batches >= 5, "{batches} batches");
    assert!(
        store
            .list_events(EventFilter::default(), 10, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

/// Queue depth per plugin, read from the partial indexes of open and dead deliveries: pending,
/// running (claimed), dead letters not replayed yet; and since when the oldest due one waits.
#[tokio::test]
async fn queue_depth_counts_open_deliveries_and_unreplayed_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("q.db")).unwrap();
    for (id, at) in [("A", 1_000), ("B", 2_000), ("C", 3_000), ("D", 4_000)] {
        let plugins: &[&str] = if id == "D" { &["log"] } else { &["crm", "log"] };
        store
            .ingest(
                webhook(id, at, "prospect.created", "q@x.example", plugins),
                0,
            )
            .await
            .unwrap();
    }
    let empty = store.queue_stats(500).await.unwrap();
    assert_eq!(empty.by_plugin["crm"].pending, 3);
    assert_eq!(empty.by_plugin["log"].pending, 4);
    assert_eq!(empty.oldest_due_since, None, "nothing is due at 500");
    assert_eq!(
        store.queue_stats(10_000).await.unwrap().oldest_due_since,
        Some(1_000)
    );

    // Two crm deliveries die; one of them is replayed; one log delivery is claimed.
    let dead = finish(
        &store,
        "crm",
        Next::Dead {
            error: "boom".to_owned(),
        },
    )
    .await;
    assert_eq!(dead.len(), 3, "crm had three events");
    store
        .replay(dead[0], 10_000)
        .await
        .unwrap()
        .expect("a dead letter can be replayed");
    let claimed = store
        .claim(
            "me",
            10_000,
            20_000,
            vec![ClaimRequest {
                plugin: "log".to_owned(),
                limit: 1,
            }],
        )
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);

    let stats = store.queue_stats(10_000).await.unwrap();
    let crm = &stats.by_plugin["crm"];
    assert_eq!((crm.pending, crm.running, crm.dead), (1, 0, 2), "{stats:?}");
    let log = &stats.by_plugin["log"];
    assert_eq!((log.pending, log.running, log.dead), (3, 1, 0), "{stats:?}");
}
