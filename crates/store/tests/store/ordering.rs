//! Head-of-line order per (plugin, source, prospect): only the oldest open delivery of a prospect
//! is claimed, whichever owner holds it.

use smartreach_store::{AttemptOutcome, Next, Store};

use crate::support::{NOW, claim, complete, dead, events, hook, ingest, retry};

pub async fn only_the_oldest_open_delivery_of_a_prospect_is_claimed(store: &dyn Store) {
    for (id, prospect) in [("w1", "7"), ("w2", "7"), ("w3", "8"), ("w4", "7")] {
        ingest(store, hook(id).prospects(&[Some(prospect)]).plugins(&["a"])).await;
    }
    ingest(store, hook("w5").prospects(&[None, None]).plugins(&["a"])).await;
    let first = claim(store, "me", NOW, NOW + 1000, "a", 10).await;
    assert_eq!(
        events(&first),
        ["w1:0", "w3:0", "w5:0", "w5:1"],
        "w2 and w4 wait behind w1; events without a prospect are ordered with nothing"
    );
    assert!(
        claim(store, "me", NOW, NOW + 1000, "a", 10)
            .await
            .is_empty(),
        "w2 waits while w1 runs"
    );
    assert!(
        complete(
            store,
            "me",
            first[0].delivery_id,
            AttemptOutcome::Done,
            Next::Done,
            NOW
        )
        .await
    );
    assert_eq!(
        events(&claim(store, "me", NOW, NOW + 1000, "a", 10).await),
        ["w2:0"],
        "then w2, and w4 still waits"
    );
}

pub async fn a_later_event_waits_while_the_earlier_one_waits_for_its_retry(store: &dyn Store) {
    for id in ["w1", "w2"] {
        ingest(store, hook(id).prospects(&[Some("7")]).plugins(&["a"])).await;
    }
    let first = claim(store, "me", NOW, NOW + 1000, "a", 10).await;
    assert_eq!(events(&first), ["w1:0"]);
    complete(
        store,
        "me",
        first[0].delivery_id,
        AttemptOutcome::Retry,
        retry(NOW + 500, "later"),
        NOW,
    )
    .await;
    assert!(
        claim(store, "me", NOW + 1, NOW + 1000, "a", 10)
            .await
            .is_empty(),
        "w2 waits while w1 waits for its retry"
    );
    let retried = claim(store, "me", NOW + 500, NOW + 1000, "a", 10).await;
    assert_eq!(events(&retried), ["w1:0"]);
    assert_eq!(retried[0].attempts, 1);
    complete(
        store,
        "me",
        retried[0].delivery_id,
        AttemptOutcome::Skipped,
        Next::Skipped,
        NOW + 500,
    )
    .await;
    assert_eq!(
        events(&claim(store, "me", NOW + 500, NOW + 1000, "a", 10).await),
        ["w2:0"]
    );
}

pub async fn each_plugin_orders_a_prospect_s_deliveries_apart(store: &dyn Store) {
    for id in ["w1", "w2"] {
        ingest(store, hook(id).prospects(&[Some("7")]).plugins(&["a", "b"])).await;
    }
    let a = claim(store, "me", NOW, NOW + 1000, "a", 10).await;
    assert_eq!(events(&a), ["w1:0"]);
    complete(
        store,
        "me",
        a[0].delivery_id,
        AttemptOutcome::Done,
        Next::Done,
        NOW,
    )
    .await;
    assert_eq!(
        events(&claim(store, "me", NOW, NOW + 1000, "a", 10).await),
        ["w2:0"],
        "plugin a goes on while plugin b has not started"
    );
    assert_eq!(
        events(&claim(store, "me", NOW, NOW + 1000, "b", 10).await),
        ["w1:0"]
    );
}

pub async fn sources_order_their_prospects_apart(store: &dyn Store) {
    // Account A: prospect 7 twice; account B: its own prospect 7.
    for (source, id) in [
        ("account-a", "a1"),
        ("account-a", "a2"),
        ("account-b", "b1"),
    ] {
        ingest(
            store,
            hook(id)
                .source(source)
                .prospects(&[Some("7")])
                .plugins(&["crm"]),
        )
        .await;
    }
    let first = claim(store, "me", NOW, NOW + 1000, "crm", 10).await;
    assert_eq!(
        events(&first),
        ["a1:0", "b1:0"],
        "one head per (source, prospect): a2 waits behind a1, b1 does not"
    );
    complete(
        store,
        "me",
        first[0].delivery_id,
        AttemptOutcome::Retry,
        retry(NOW + 500, "later"),
        NOW,
    )
    .await;
    complete(
        store,
        "me",
        first[1].delivery_id,
        AttemptOutcome::Done,
        Next::Done,
        NOW,
    )
    .await;
    ingest(
        store,
        hook("b2")
            .source("account-b")
            .prospects(&[Some("7")])
            .plugins(&["crm"]),
    )
    .await;
    assert_eq!(
        events(&claim(store, "me", NOW + 2, NOW + 1000, "crm", 10).await),
        ["b2:0"],
        "account B's next event of its prospect 7 runs while account A's prospect 7 is held"
    );
}

pub async fn a_dead_letter_stops_holding_its_prospect_back(store: &dyn Store) {
    for id in ["w1", "w2"] {
        ingest(store, hook(id).prospects(&[Some("7")]).plugins(&["a"])).await;
    }
    let first = claim(store, "me", NOW, NOW + 1000, "a", 10).await;
    complete(
        store,
        "me",
        first[0].delivery_id,
        AttemptOutcome::Failed,
        dead("failed: no"),
        NOW,
    )
    .await;
    assert_eq!(
        events(&claim(store, "me", NOW, NOW + 1000, "a", 10).await),
        ["w2:0"]
    );
}

pub async fn the_head_of_a_prospect_is_held_whichever_owner_claimed_it(store: &dyn Store) {
    for id in ["w1", "w2"] {
        ingest(store, hook(id).prospects(&[Some("7")]).plugins(&["a"])).await;
    }
    assert_eq!(
        events(&claim(store, "host-1", NOW, NOW + 1000, "a", 10).await),
        ["w1:0"]
    );
    assert!(
        claim(store, "host-2", NOW, NOW + 1000, "a", 10)
            .await
            .is_empty(),
        "another host does not take w2 while host-1 runs w1"
    );
    // Once host-1's lease ends, host-2 takes over w1, not w2.
    assert_eq!(
        events(&claim(store, "host-2", NOW + 1001, NOW + 2000, "a", 10).await),
        ["w1:0"]
    );
}
