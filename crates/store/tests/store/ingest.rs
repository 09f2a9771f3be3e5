//! Ingest: a webhook is stored with its events and their deliveries, once per body and window.

use smartreach_store::{EventFilter, Ingested, Store};

use crate::support::{NOW, claim, counts, hook};

pub async fn ingest_stores_events_and_one_pending_delivery_per_event_and_plugin(store: &dyn Store) {
    let stored = store
        .ingest(
            hook("w1")
                .prospects(&[Some("1"), Some("2")])
                .plugins(&["a", "b"])
                .build(),
            0,
        )
        .await
        .unwrap();
    assert_eq!(
        stored,
        Ingested::Stored {
            webhook_id: "w1".to_owned(),
            events: 2,
            deliveries: 4
        }
    );
    for plugin in ["a", "b"] {
        assert_eq!(counts(store, plugin).await.pending, 2, "{plugin}");
    }
    let event = store.event("w1:1".to_owned()).await.unwrap().unwrap();
    assert_eq!(event.summary.webhook_id, "w1");
    assert_eq!(event.summary.prospect_id.as_deref(), Some("2"));
    assert_eq!(event.summary.received_at, NOW);
    assert_eq!(event.metadata["webhook"], "w1");
    assert_eq!(event.item["index"], 1);
    assert_eq!(event.deliveries.len(), 2);
    for delivery in &event.deliveries {
        assert_eq!(delivery.summary.origin, "ingest");
        assert_eq!(delivery.summary.attempts, 0);
        assert_eq!(delivery.summary.next_attempt_at, NOW, "due when received");
        assert!(delivery.runs.is_empty());
    }
    // Due at once: claimable at the time it was received.
    assert_eq!(claim(store, "me", NOW, NOW + 10, "a", 10).await.len(), 2);
}

pub async fn a_redelivery_within_the_window_is_acknowledged_and_not_stored(store: &dyn Store) {
    store
        .ingest(hook("w1").body("same").plugins(&["a"]).build(), 0)
        .await
        .unwrap();
    let again = store
        .ingest(
            hook("w2")
                .body("same")
                .at(NOW + 5)
                .prospects(&[None, None])
                .plugins(&["a"])
                .build(),
            NOW - 1,
        )
        .await
        .unwrap();
    assert_eq!(
        again,
        Ingested::Duplicate {
            webhook_id: "w1".to_owned(),
            received_at: NOW
        }
    );
    assert_eq!(counts(store, "a").await.pending, 1, "nothing of w2 stored");
    assert!(store.event("w2:0".to_owned()).await.unwrap().is_none());
}

pub async fn the_dedup_window_starts_at_dedup_since(store: &dyn Store) {
    store
        .ingest(hook("w1").body("same").build(), 0)
        .await
        .unwrap();
    let at_the_edge = store
        .ingest(hook("w2").body("same").at(NOW + 1).build(), NOW)
        .await
        .unwrap();
    assert!(
        matches!(at_the_edge, Ingested::Duplicate { .. }),
        "received at dedup_since is inside the window: {at_the_edge:?}"
    );
    let later = store
        .ingest(hook("w3").body("same").at(NOW + 2).build(), NOW + 1)
        .await
        .unwrap();
    assert!(
        matches!(later, Ingested::Stored { .. }),
        "outside the window the same body is a new webhook: {later:?}"
    );
    let page = store
        .list_events(EventFilter::default(), 10, None)
        .await
        .unwrap();
    let ids: Vec<_> = page.items.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["w3:0", "w1:0"]);
}

pub async fn redeliveries_are_recognised_per_source(store: &dyn Store) {
    store
        .ingest(hook("w1").body("same").source("account-a").build(), 0)
        .await
        .unwrap();
    let other = store
        .ingest(hook("w2").body("same").source("account-b").build(), 0)
        .await
        .unwrap();
    assert!(
        matches!(other, Ingested::Stored { .. }),
        "the same body from another source is its own webhook: {other:?}"
    );
}

pub async fn a_webhook_without_subscribers_keeps_its_events(store: &dyn Store) {
    let stored = store
        .ingest(hook("w1").prospects(&[None, None]).build(), 0)
        .await
        .unwrap();
    assert_eq!(
        stored,
        Ingested::Stored {
            webhook_id: "w1".to_owned(),
            events: 2,
            deliveries: 0
        }
    );
    let event = store.event("w1:0".to_owned()).await.unwrap().unwrap();
    assert!(event.deliveries.is_empty());
    assert_eq!(
        event.summary.delivery_counts.pending + event.summary.delivery_counts.done,
        0
    );
}
