//! Handing claims back without running them: requeue (some deliveries) and release (all of an
//! owner's).

use smartreach_store::{AttemptOutcome, ShownStatus, Store};

use crate::support::{NOW, claim, complete, counts, delivery, hook, ingest, retry};

pub async fn a_requeue_is_pending_at_its_time_without_an_attempt(store: &dyn Store) {
    ingest(
        store,
        hook("w1").prospects(&[Some("7"), None]).plugins(&["a"]),
    )
    .await;
    let claimed = claim(store, "me", NOW, NOW + 1000, "a", 10).await;
    let (first, second) = (claimed[0].delivery_id, claimed[1].delivery_id);
    // One attempt before, so that the requeue has an error and a count to keep.
    complete(
        store,
        "me",
        first,
        AttemptOutcome::Retry,
        retry(NOW, "retry: busy"),
        NOW,
    )
    .await;
    assert_eq!(
        claim(store, "me", NOW, NOW + 1000, "a", 1).await[0].delivery_id,
        first
    );
    let requeued = store
        .requeue("me", vec![first, second], NOW + 100, NOW + 1)
        .await
        .unwrap();
    assert_eq!(requeued, 2);
    let shown = delivery(store, first).await;
    assert_eq!(shown.status, ShownStatus::Pending);
    assert_eq!(shown.next_attempt_at, NOW + 100);
    assert_eq!(shown.updated_at, NOW + 1);
    assert_eq!(shown.attempts, 1, "a requeue is no attempt");
    assert_eq!(shown.last_error.as_deref(), Some("retry: busy"), "kept");
    let runs = &store
        .event("w1:0".to_owned())
        .await
        .unwrap()
        .unwrap()
        .deliveries[0]
        .runs;
    assert_eq!(runs.len(), 1, "nothing recorded for the requeue");
    assert_eq!(counts(store, "a").await.running, 0);
    assert!(
        claim(store, "me", NOW + 99, NOW + 1000, "a", 10)
            .await
            .is_empty()
    );
    let again = claim(store, "me", NOW + 100, NOW + 1000, "a", 10).await;
    let attempts: Vec<_> = again.iter().map(|c| (c.delivery_id, c.attempts)).collect();
    assert_eq!(attempts, [(first, 1), (second, 0)]);
}

pub async fn a_requeue_changes_only_deliveries_the_owner_holds(store: &dyn Store) {
    ingest(
        store,
        hook("w1").prospects(&[None, None, None]).plugins(&["a"]),
    )
    .await;
    let mine = claim(store, "me", NOW, NOW + 1000, "a", 1).await[0].delivery_id;
    let theirs = claim(store, "other", NOW, NOW + 1000, "a", 1).await[0].delivery_id;
    let requeued = store
        .requeue("me", vec![mine, theirs, 999_999], NOW, NOW)
        .await
        .unwrap();
    assert_eq!(requeued, 1, "only mine");
    assert_eq!(delivery(store, mine).await.status, ShownStatus::Pending);
    assert_eq!(delivery(store, theirs).await.status, ShownStatus::Running);
    assert_eq!(
        store.requeue("me", vec![mine], NOW, NOW).await.unwrap(),
        0,
        "a pending delivery is held by nobody"
    );
    assert_eq!(store.requeue("me", Vec::new(), NOW, NOW).await.unwrap(), 0);
}

pub async fn a_release_returns_the_owner_s_deliveries_due_at_once(store: &dyn Store) {
    ingest(
        store,
        hook("w1").prospects(&[None, None, None]).plugins(&["a"]),
    )
    .await;
    let mine = claim(store, "me", NOW, NOW + 1000, "a", 2).await;
    let theirs = claim(store, "other", NOW, NOW + 1000, "a", 1).await;
    assert_eq!(store.release("me", NOW + 5).await.unwrap(), 2);
    for held in &mine {
        let shown = delivery(store, held.delivery_id).await;
        assert_eq!(shown.status, ShownStatus::Pending);
        assert_eq!(
            (shown.next_attempt_at, shown.updated_at),
            (NOW + 5, NOW + 5)
        );
        assert_eq!(shown.attempts, 0, "a release is no attempt");
    }
    assert_eq!(
        delivery(store, theirs[0].delivery_id).await.status,
        ShownStatus::Running
    );
    assert_eq!(store.release("me", NOW + 6).await.unwrap(), 0);
    let again = claim(store, "me", NOW + 5, NOW + 1000, "a", 10).await;
    assert_eq!(again.len(), 2, "due at once");
}
