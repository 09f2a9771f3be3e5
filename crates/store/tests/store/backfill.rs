//! Replays and backfills: new deliveries of stored events, queued behind what is queued.

use smartreach_store::{
    AttemptOutcome, DeliveryFilter, DeliveryStatus, Next, Queued, ReplayRefused, ShownStatus, Store,
};

use crate::support::{
    NOW, claim, complete, counts, dead, delivery, events, finish_all, hook, ingest,
};

pub async fn a_replay_queues_a_new_delivery_once(store: &dyn Store) {
    ingest(store, hook("w1").plugins(&["a"])).await;
    let done = finish_all(store, "a", Next::Done).await[0];
    let replay = store.replay(done, NOW + 7).await.unwrap().unwrap();
    assert_ne!(replay, done);
    let shown = delivery(store, replay).await;
    assert_eq!(shown.status, ShownStatus::Pending);
    assert_eq!(
        (shown.origin.as_str(), shown.replay_of),
        ("replay", Some(done))
    );
    assert_eq!((shown.attempts, shown.next_attempt_at), (0, NOW + 7));
    assert_eq!(shown.event_id, "w1:0");
    assert_eq!(shown.plugin, "a");
    assert_eq!(delivery(store, done).await.replayed_by, Some(replay));
    assert_eq!(
        store.replay(done, NOW + 8).await.unwrap(),
        Err(ReplayRefused::AlreadyReplayed(replay)),
        "a delivery is replayed once: replay the replay"
    );
    assert_eq!(
        events(&claim(store, "me", NOW + 7, NOW + 100, "a", 10).await),
        ["w1:0"]
    );
}

pub async fn a_replay_is_refused_while_open_or_unknown(store: &dyn Store) {
    ingest(store, hook("w1").prospects(&[None, None]).plugins(&["a"])).await;
    let running = claim(store, "me", NOW, NOW + 100, "a", 1).await[0].delivery_id;
    let pending = store
        .list_deliveries(
            DeliveryFilter {
                status: Some(DeliveryStatus::Pending),
                ..DeliveryFilter::default()
            },
            10,
            None,
        )
        .await
        .unwrap()
        .items[0]
        .id;
    assert_eq!(
        store.replay(running, NOW).await.unwrap(),
        Err(ReplayRefused::StillOpen(DeliveryStatus::Running))
    );
    assert_eq!(delivery(store, pending).await.status, ShownStatus::Pending);
    assert_eq!(
        store.replay(pending, NOW).await.unwrap(),
        Err(ReplayRefused::StillOpen(DeliveryStatus::Pending))
    );
    assert_eq!(
        store.replay(999_999, NOW).await.unwrap(),
        Err(ReplayRefused::NotFound)
    );
    assert_eq!(counts(store, "a").await.pending, 1, "nothing queued");
}

pub async fn a_replay_runs_after_its_prospect_s_newer_events(store: &dyn Store) {
    for id in ["w1", "w2"] {
        ingest(store, hook(id).prospects(&[Some("7")]).plugins(&["a"])).await;
    }
    let w1 = claim(store, "me", NOW, NOW + 100, "a", 10).await[0].delivery_id;
    complete(
        store,
        "me",
        w1,
        AttemptOutcome::Failed,
        dead("failed: no"),
        NOW,
    )
    .await;
    store.replay(w1, NOW).await.unwrap().unwrap();
    assert_eq!(
        events(&claim(store, "me", NOW, NOW + 100, "a", 10).await),
        ["w2:0"],
        "the replay of w1 waits behind w2, queued before it"
    );
}

pub async fn replay_dead_replays_every_dead_letter_once_oldest_first(store: &dyn Store) {
    ingest(
        store,
        hook("w1")
            .prospects(&[None, None, None])
            .plugins(&["a", "b"]),
    )
    .await;
    let dead_ids = finish_all(store, "a", dead("failed: boom")).await;
    finish_all(store, "b", dead("failed: boom")).await;
    let one = store.replay(dead_ids[1], NOW).await.unwrap().unwrap();
    let queued = store.replay_dead("a".to_owned(), NOW).await.unwrap();
    assert_eq!(
        queued.count, 2,
        "the one replayed already is not replayed again"
    );
    assert_eq!(queued.deliveries.len(), 2);
    assert!(queued.deliveries[0] < queued.deliveries[1]);
    assert_eq!(
        delivery(store, queued.deliveries[0]).await.replay_of,
        Some(dead_ids[0])
    );
    assert_eq!(
        delivery(store, queued.deliveries[1]).await.replay_of,
        Some(dead_ids[2])
    );
    assert_eq!(
        store.replay_dead("a".to_owned(), NOW).await.unwrap(),
        Queued::default(),
        "nothing left to replay"
    );
    for id in &dead_ids {
        assert_eq!(delivery(store, *id).await.status, ShownStatus::Replayed);
    }
    let a = counts(store, "a").await;
    assert_eq!((a.dead, a.pending), (0, 3), "{a:?}");
    assert_eq!(
        counts(store, "b").await.dead,
        3,
        "another plugin's are left"
    );
    let replays = store
        .list_deliveries(
            DeliveryFilter {
                plugin: Some("a".to_owned()),
                status: Some(DeliveryStatus::Pending),
                ..DeliveryFilter::default()
            },
            10,
            None,
        )
        .await
        .unwrap()
        .items;
    assert!(replays.iter().any(|d| d.id == one));
    assert!(replays.iter().all(|d| d.origin == "replay"));
}

pub async fn a_backfill_queues_events_of_its_types_and_window_once(store: &dyn Store) {
    ingest(store, hook("A").at(1_000)).await;
    ingest(
        store,
        hook("B")
            .at(2_000)
            .event_type("activity.email.replied")
            .plugins(&["new"]),
    )
    .await;
    ingest(store, hook("C").at(3_000)).await;
    ingest(store, hook("D").at(4_000)).await;
    let queued = store
        .backfill(
            "new".to_owned(),
            Some(vec!["prospect.created".to_owned()]),
            1_000,
            4_000,
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(queued.count, 2, "A and C: in [1000, 4000) and of the type");
    let backfilled: Vec<_> = {
        let mut ids = Vec::new();
        for id in &queued.deliveries {
            let shown = delivery(store, *id).await;
            assert_eq!(
                (shown.origin.as_str(), shown.next_attempt_at),
                ("backfill", NOW)
            );
            assert_eq!(shown.status, ShownStatus::Pending);
            ids.push(shown.event_id);
        }
        ids
    };
    assert_eq!(backfilled, ["A:0", "C:0"], "oldest first");
    let again = store
        .backfill("new".to_owned(), None, 0, i64::MAX, NOW)
        .await
        .unwrap();
    assert_eq!(
        again.count, 1,
        "every type when none is given; A and C are covered and B had a delivery: only D"
    );
    assert_eq!(
        store
            .backfill("new".to_owned(), None, 0, i64::MAX, NOW)
            .await
            .unwrap()
            .count,
        0
    );
}

pub async fn large_backfills_and_replays_queue_everything(store: &dyn Store) {
    // More than one chunk of the SQLite store (1,000).
    for n in 0..2_100 {
        ingest(store, hook(&format!("W{n:05}")).at(1_000 + n)).await;
    }
    let queued = store
        .backfill("late".to_owned(), None, 0, i64::MAX, NOW)
        .await
        .unwrap();
    assert_eq!(queued.count, 2_100);
    assert_eq!(queued.deliveries.len(), Queued::MAX_IDS);
    assert!(queued.deliveries.windows(2).all(|pair| pair[0] < pair[1]));
    let mut dead_letters = 0;
    loop {
        let finished = finish_all(store, "late", dead("failed: boom")).await;
        if finished.is_empty() {
            break;
        }
        dead_letters += finished.len();
    }
    assert_eq!(dead_letters, 2_100);
    let replayed = store.replay_dead("late".to_owned(), NOW).await.unwrap();
    assert_eq!(replayed.count, 2_100);
    assert_eq!(replayed.deliveries.len(), Queued::MAX_IDS);
    assert_eq!(counts(store, "late").await.pending, 2_100);
}
