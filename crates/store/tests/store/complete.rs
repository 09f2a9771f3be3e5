//! Completing an attempt: recorded once, by the owner of the delivery's lease only.

use smartreach_store::{AttemptOutcome, AttemptRecord, Next, ShownStatus, Store};

use crate::support::{NOW, claim, complete, counts, dead, delivery, hook, ingest, retry};

pub async fn completing_records_the_attempt_and_finishes_the_delivery(store: &dyn Store) {
    ingest(store, hook("w1").prospects(&[None, None]).plugins(&["a"])).await;
    let claimed = claim(store, "me", NOW, NOW + 1000, "a", 10).await;
    let done = AttemptRecord {
        delivery_id: claimed[0].delivery_id,
        plugin_hash: "sha256:abc".to_owned(),
        started_at: NOW + 1,
        duration_us: 1_500,
        outcome: AttemptOutcome::Done,
        detail: None,
        logs: r#"[{"level":"info","source":"plugin","message":"hi"}]"#.to_owned(),
        requests: r#"[{"method":"POST","origin":"https://crm.example","decision":"allowed"}]"#
            .to_owned(),
        next: Next::Done,
    };
    assert!(store.complete("me", done, NOW + 2).await.unwrap());
    assert!(
        complete(
            store,
            "me",
            claimed[1].delivery_id,
            AttemptOutcome::Skipped,
            Next::Skipped,
            NOW + 3
        )
        .await
    );
    let event = store.event("w1:0".to_owned()).await.unwrap().unwrap();
    let shown = &event.deliveries[0];
    assert_eq!(shown.summary.status, ShownStatus::Done);
    assert_eq!(shown.summary.attempts, 1);
    assert_eq!(
        shown.summary.updated_at,
        NOW + 2,
        "the change happened at `now`"
    );
    assert_eq!(shown.summary.last_error, None);
    assert_eq!(shown.runs.len(), 1);
    let run = &shown.runs[0];
    assert_eq!(run.attempt, 1);
    assert_eq!(run.plugin_hash, "sha256:abc");
    assert_eq!((run.started_at, run.duration_us), (NOW + 1, 1_500));
    assert_eq!(run.outcome, AttemptOutcome::Done);
    assert_eq!(run.logs[0]["message"], "hi");
    assert_eq!(run.requests[0]["decision"], "allowed");
    let skipped = delivery(store, claimed[1].delivery_id).await;
    assert_eq!(skipped.status, ShownStatus::Skipped);
    let counts = counts(store, "a").await;
    assert_eq!((counts.done, counts.skipped, counts.running), (1, 1, 0));
    // Finished deliveries are never claimed again.
    assert!(
        claim(store, "me", i64::MAX - 1, i64::MAX, "a", 10)
            .await
            .is_empty()
    );
}

pub async fn a_retry_is_pending_until_its_time_and_keeps_its_error(store: &dyn Store) {
    ingest(store, hook("w1").plugins(&["a"])).await;
    let id = claim(store, "me", NOW, NOW + 1000, "a", 1).await[0].delivery_id;
    assert!(
        complete(
            store,
            "me",
            id,
            AttemptOutcome::Fault,
            retry(NOW + 5_000, "fault: trap"),
            NOW + 1
        )
        .await
    );
    let shown = delivery(store, id).await;
    assert_eq!(shown.status, ShownStatus::Pending);
    assert_eq!(shown.next_attempt_at, NOW + 5_000);
    assert_eq!(shown.attempts, 1);
    assert_eq!(shown.last_error.as_deref(), Some("fault: trap"));
    assert!(
        claim(store, "me", NOW + 4_999, NOW + 9_000, "a", 1)
            .await
            .is_empty()
    );
    let again = claim(store, "me", NOW + 5_000, NOW + 9_000, "a", 1).await;
    assert_eq!(again[0].attempts, 1, "the attempts so far");
    // A success after it keeps the error of the attempt before, for the record.
    complete(
        store,
        "me",
        id,
        AttemptOutcome::Done,
        Next::Done,
        NOW + 5_001,
    )
    .await;
    let shown = delivery(store, id).await;
    assert_eq!((shown.status, shown.attempts), (ShownStatus::Done, 2));
    assert_eq!(shown.last_error.as_deref(), Some("fault: trap"));
    let runs = &store
        .event("w1:0".to_owned())
        .await
        .unwrap()
        .unwrap()
        .deliveries[0]
        .runs;
    let outcomes: Vec<_> = runs.iter().map(|run| (run.attempt, run.outcome)).collect();
    assert_eq!(
        outcomes,
        [(1, AttemptOutcome::Fault), (2, AttemptOutcome::Done)]
    );
}

pub async fn a_dead_letter_is_final_until_replayed(store: &dyn Store) {
    ingest(store, hook("w1").plugins(&["a"])).await;
    let id = claim(store, "me", NOW, NOW + 1000, "a", 1).await[0].delivery_id;
    complete(
        store,
        "me",
        id,
        AttemptOutcome::Failed,
        dead("failed: bad address"),
        NOW,
    )
    .await;
    let shown = delivery(store, id).await;
    assert_eq!(shown.status, ShownStatus::Dead);
    assert_eq!(shown.last_error.as_deref(), Some("failed: bad address"));
    assert_eq!(counts(store, "a").await.dead, 1);
    assert!(
        claim(store, "me", i64::MAX - 1, i64::MAX, "a", 1)
            .await
            .is_empty()
    );
}

pub async fn completing_a_delivery_held_by_another_owner_is_refused(store: &dyn Store) {
    ingest(store, hook("w1").plugins(&["a"])).await;
    let id = claim(store, "me", NOW, NOW + 1000, "a", 1).await[0].delivery_id;
    assert!(
        !complete(store, "other", id, AttemptOutcome::Done, Next::Done, NOW).await,
        "only the lease's owner completes"
    );
    let shown = delivery(store, id).await;
    assert_eq!((shown.status, shown.attempts), (ShownStatus::Running, 0));
    assert!(complete(store, "me", id, AttemptOutcome::Done, Next::Done, NOW).await);
    let runs = &store
        .event("w1:0".to_owned())
        .await
        .unwrap()
        .unwrap()
        .deliveries[0]
        .runs;
    assert_eq!(runs.len(), 1, "the refused attempt recorded nothing");
}

pub async fn completing_after_a_takeover_is_refused(store: &dyn Store) {
    ingest(store, hook("w1").plugins(&["a"])).await;
    let id = claim(store, "host-1", NOW, NOW + 1000, "a", 1).await[0].delivery_id;
    claim(store, "host-2", NOW + 1001, NOW + 3000, "a", 1).await;
    assert!(
        !complete(
            store,
            "host-1",
            id,
            AttemptOutcome::Done,
            Next::Done,
            NOW + 1002
        )
        .await,
        "host-1 lost its lease: host-2 records the delivery"
    );
    let shown = delivery(store, id).await;
    assert_eq!((shown.status, shown.attempts), (ShownStatus::Running, 1));
    assert!(
        complete(
            store,
            "host-2",
            id,
            AttemptOutcome::Done,
            Next::Done,
            NOW + 1003
        )
        .await
    );
    let shown = delivery(store, id).await;
    assert_eq!((shown.status, shown.attempts), (ShownStatus::Done, 2));
}

pub async fn completing_after_the_lease_expired_but_before_a_takeover_is_accepted(
    store: &dyn Store,
) {
    ingest(store, hook("w1").plugins(&["a"])).await;
    let id = claim(store, "me", NOW, NOW + 10, "a", 1).await[0].delivery_id;
    assert!(
        complete(store, "me", id, AttemptOutcome::Done, Next::Done, NOW + 50).await,
        "nobody took the delivery over: its owner still holds it"
    );
    assert_eq!(delivery(store, id).await.status, ShownStatus::Done);
}

pub async fn completing_twice_records_one_attempt(store: &dyn Store) {
    ingest(store, hook("w1").plugins(&["a"])).await;
    let id = claim(store, "me", NOW, NOW + 1000, "a", 1).await[0].delivery_id;
    assert!(complete(store, "me", id, AttemptOutcome::Done, Next::Done, NOW).await);
    assert!(
        !complete(store, "me", id, AttemptOutcome::Done, Next::Done, NOW + 1).await,
        "a finished delivery is held by nobody"
    );
    let shown = delivery(store, id).await;
    assert_eq!((shown.attempts, shown.updated_at), (1, NOW));
    let runs = &store
        .event("w1:0".to_owned())
        .await
        .unwrap()
        .unwrap()
        .deliveries[0]
        .runs;
    assert_eq!(runs.len(), 1);
}
