//! Retention: what is old and finished goes, in batches; what is open or dead stays.

use smartreach_store::{EventFilter, Next, Store};

use crate::support::{NOW, claim, dead, finish_all, hook, ingest};

async fn listed(store: &dyn Store) -> Vec<String> {
    store
        .list_events(EventFilter::default(), 100, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|event| event.id)
        .collect()
}

pub async fn prune_keeps_webhooks_with_open_deliveries_or_dead_letters(store: &dyn Store) {
    ingest(store, hook("done").at(1_000).plugins(&["done"])).await;
    ingest(store, hook("pending").at(1_000).plugins(&["pending"])).await;
    ingest(store, hook("running").at(1_000).plugins(&["running"])).await;
    ingest(store, hook("dead").at(1_000).plugins(&["dead"])).await;
    ingest(store, hook("replayed").at(1_000).plugins(&["replayed"])).await;
    ingest(store, hook("none").at(1_000)).await;
    ingest(store, hook("recent").at(5_000).plugins(&["done"])).await;
    finish_all(store, "done", Next::Done).await;
    claim(store, "me", NOW, i64::MAX, "running", 1).await;
    finish_all(store, "dead", dead("failed")).await;
    let letter = finish_all(store, "replayed", dead("failed")).await[0];
    let replay = store.replay(letter, NOW).await.unwrap().unwrap();
    assert_eq!(replay, finish_all(store, "replayed", Next::Done).await[0]);

    let pruned = store.prune(5_000).await.unwrap();
    assert_eq!(
        (pruned.webhooks, pruned.events, pruned.more),
        (3, 3, false),
        "done, replayed (its replay done) and none: {pruned:?}"
    );
    assert_eq!(
        listed(store).await,
        ["running:0", "recent:0", "pending:0", "dead:0"],
        "open deliveries and dead letters keep their webhook; recent is not old enough"
    );
    assert!(store.event("done:0".to_owned()).await.unwrap().is_none());
    assert_eq!(store.prune(5_000).await.unwrap().webhooks, 0);
}

pub async fn prune_deletes_old_attempts_of_finished_deliveries(store: &dyn Store) {
    // One event, kept by its open delivery to `open`; its `done` delivery's attempt is old.
    ingest(store, hook("w1").at(1_000).plugins(&["done", "open"])).await;
    finish_all(store, "done", Next::Done).await;
    let runs: usize = deliveries_of_w1(store)
        .await
        .iter()
        .map(|d| d.runs.len())
        .sum();
    assert_eq!(runs, 1);
    // The attempt started at NOW (see `support::attempt`).
    let kept = store.prune(NOW).await.unwrap();
    assert_eq!((kept.webhooks, kept.attempts), (0, 0), "{kept:?}");
    let pruned = store.prune(NOW + 1).await.unwrap();
    assert_eq!((pruned.webhooks, pruned.attempts), (0, 1), "{pruned:?}");
    let deliveries = deliveries_of_w1(store).await;
    assert_eq!(deliveries.len(), 2, "the deliveries stay");
    assert!(deliveries.iter().all(|d| d.runs.is_empty()));
}

async fn deliveries_of_w1(store: &dyn Store) -> Vec<smartreach_store::DeliveryDetail> {
    store
        .event("w1:0".to_owned())
        .await
        .unwrap()
        .unwrap()
        .deliveries
}

pub async fn prune_goes_in_batches_until_nothing_is_left(store: &dyn Store) {
    for n in 0..1_200 {
        ingest(store, hook(&format!("W{n:05}")).at(1_000 + n)).await;
    }
    let mut deleted = 0;
    let mut calls = 0;
    loop {
        let pruned = store.prune(i64::MAX).await.unwrap();
        calls += 1;
        deleted += pruned.webhooks;
        assert_eq!(pruned.events, pruned.webhooks);
        if !pruned.more {
            break;
        }
        assert!(pruned.webhooks > 0, "more, yet nothing deleted: {pruned:?}");
        assert!(calls < 1_200, "prune never ends");
    }
    assert_eq!(deleted, 1_200);
    assert!(listed(store).await.is_empty());
}
