//! Claims: due deliveries, longest-due first, within each request's limit.

use smartreach_store::{AttemptOutcome, ClaimRequest, Store};

use crate::support::{NOW, claim, complete, counts, events, hook, ingest, retry};

pub async fn claims_take_due_deliveries_longest_due_first(store: &dyn Store) {
    // Received in the order w2, w1, w3; w3 then waits for a retry that comes due before w1 was
    // received: due time first, then the order of creation.
    ingest(store, hook("w2").at(NOW).plugins(&["a"])).await;
    ingest(store, hook("w1").at(NOW + 20).plugins(&["a"])).await;
    ingest(store, hook("w3").at(NOW + 30).plugins(&["a"])).await;
    ingest(store, hook("w4").at(NOW + 40).plugins(&["a"])).await;
    let w3 = claim(store, "me", NOW + 30, NOW + 100, "a", 10).await;
    assert_eq!(events(&w3), ["w2:0", "w1:0", "w3:0"]);
    let w3_id = w3[2].delivery_id;
    for delivery in &w3[..2] {
        assert!(
            complete(
                store,
                "me",
                delivery.delivery_id,
                AttemptOutcome::Retry,
                retry(NOW + 25, "later"),
                NOW + 30
            )
            .await
        );
    }
    assert!(
        complete(
            store,
            "me",
            w3_id,
            AttemptOutcome::Retry,
            retry(NOW + 10, "sooner"),
            NOW + 30
        )
        .await
    );
    let order = claim(store, "me", NOW + 50, NOW + 100, "a", 10).await;
    assert_eq!(
        events(&order),
        ["w3:0", "w2:0", "w1:0", "w4:0"],
        "by due time (w3 at +10, w2 and w1 at +25, w4 at +40), then by creation"
    );
}

pub async fn deliveries_not_due_yet_are_not_claimed(store: &dyn Store) {
    ingest(store, hook("w1").at(NOW + 100).plugins(&["a"])).await;
    assert!(
        claim(store, "me", NOW + 99, NOW + 200, "a", 10)
            .await
            .is_empty()
    );
    assert_eq!(
        events(&claim(store, "me", NOW + 100, NOW + 200, "a", 10).await),
        ["w1:0"],
        "due at its time exactly"
    );
}

pub async fn claims_take_at_most_each_request_s_limit_of_its_plugin(store: &dyn Store) {
    ingest(
        store,
        hook("w1")
            .prospects(&[None, None, None])
            .plugins(&["a", "b", "c"]),
    )
    .await;
    let claimed = store
        .claim(
            "me",
            NOW,
            NOW + 1000,
            vec![
                ClaimRequest {
                    plugin: "a".to_owned(),
                    limit: 2,
                    rate: None,
                },
                ClaimRequest {
                    plugin: "b".to_owned(),
                    limit: 0,
                    rate: None,
                },
                ClaimRequest {
                    plugin: "c".to_owned(),
                    limit: 10,
                    rate: None,
                },
            ],
        )
        .await
        .unwrap();
    let plugins: Vec<_> = claimed.iter().map(|c| c.plugin.as_str()).collect();
    assert_eq!(plugins, ["a", "a", "c", "c", "c"]);
    assert_eq!(events(&claimed[..2]), ["w1:0", "w1:1"], "the oldest two");
    assert!(
        claimed
            .iter()
            .all(|c| c.lease_until == NOW + 1000 && c.attempts == 0)
    );
    let (a, b, c) = (
        counts(store, "a").await,
        counts(store, "b").await,
        counts(store, "c").await,
    );
    assert_eq!((a.pending, a.running), (1, 2));
    assert_eq!((b.pending, b.running), (3, 0), "a limit of 0 takes nothing");
    assert_eq!((c.pending, c.running), (0, 3));
    // Nobody claims for plugin `d`: nothing of it exists, nothing is claimed.
    assert!(
        claim(store, "me", NOW, NOW + 1000, "d", 10)
            .await
            .is_empty()
    );
}

pub async fn a_claim_hands_over_the_event_and_its_webhook_s_metadata(store: &dyn Store) {
    ingest(
        store,
        hook("w1")
            .event_type("activity.email.replied")
            .prospects(&[Some("7"), None])
            .plugins(&["a"]),
    )
    .await;
    let claimed = claim(store, "me", NOW, NOW + 1000, "a", 10).await;
    assert_eq!(claimed.len(), 2);
    for (index, delivery) in claimed.iter().enumerate() {
        assert_eq!(delivery.plugin, "a");
        assert_eq!(delivery.event_id, format!("w1:{index}"));
        assert_eq!(delivery.event_type, "activity.email.replied");
        assert_eq!(delivery.metadata, r#"{"webhook":"w1"}"#);
        assert_eq!(delivery.item, format!(r#"{{"index":{index}}}"#));
        assert_eq!(delivery.lease_until, NOW + 1000);
    }
    assert_eq!(claimed[0].prospect_id.as_deref(), Some("7"));
    assert_eq!(claimed[1].prospect_id, None);
}
