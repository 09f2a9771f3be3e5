//! Leases: a claim holds until its lease ends; after that the next claim takes it over.

use smartreach_store::Store;

use smartreach_store::{AttemptOutcome, Next};

use crate::support::{NOW, claim, complete, counts, delivery, hook, ingest};

pub async fn a_held_lease_is_claimed_by_nobody_not_even_its_owner(store: &dyn Store) {
    ingest(store, hook("w1").prospects(&[None, None]).plugins(&["a"])).await;
    let held = claim(store, "me", NOW, NOW + 1000, "a", 1).await;
    assert_eq!(held.len(), 1);
    for owner in ["me", "other"] {
        let more = claim(store, owner, NOW + 1000, NOW + 2000, "a", 10).await;
        assert!(
            more.iter().all(|c| c.delivery_id != held[0].delivery_id),
            "{owner} claimed a delivery whose lease holds until its end"
        );
    }
    let shown = delivery(store, held[0].delivery_id).await;
    assert_eq!(shown.attempts, 0);
    assert_eq!(counts(store, "a").await.running, 2);
}

pub async fn an_expired_lease_is_taken_over_and_its_run_counts_as_an_attempt(store: &dyn Store) {
    ingest(store, hook("w1").prospects(&[Some("7")]).plugins(&["a"])).await;
    let held = claim(store, "host-1", NOW, NOW + 1000, "a", 1).await;
    let taken = claim(store, "host-2", NOW + 1001, NOW + 3000, "a", 10).await;
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].delivery_id, held[0].delivery_id);
    assert_eq!(
        taken[0].attempts, 1,
        "a taken-over lease counts the run that never finished"
    );
    assert_eq!(taken[0].lease_until, NOW + 3000);
    assert_eq!(delivery(store, held[0].delivery_id).await.attempts, 1);
}

pub async fn an_expired_lease_is_handed_to_its_own_owner_again(store: &dyn Store) {
    // Why the dispatcher hands back a delivery that waited too long for a slot: the store gives
    // a delivery whose lease ended to the next claim, the holder's own included.
    ingest(store, hook("w1").plugins(&["a"])).await;
    let held = claim(store, "me", NOW, NOW + 10, "a", 1).await;
    let again = claim(store, "me", NOW + 11, NOW + 20, "a", 1).await;
    assert_eq!(again[0].delivery_id, held[0].delivery_id);
    assert_eq!(again[0].attempts, 1);
}

pub async fn a_renewed_lease_is_not_taken_over_until_its_new_end(store: &dyn Store) {
    ingest(store, hook("w1").plugins(&["a"])).await;
    let held = claim(store, "host-1", NOW, NOW + 1000, "a", 1).await;
    let id = held[0].delivery_id;
    let renewed = store.renew("host-1", vec![id], NOW + 5000).await.unwrap();
    assert_eq!(renewed, vec![id]);
    let early = claim(store, "host-2", NOW + 1001, NOW + 9000, "a", 10).await;
    assert!(
        early.is_empty(),
        "a lease renewed until NOW+5000 was taken over at NOW+1001: {early:?}"
    );
    let late = claim(store, "host-2", NOW + 5001, NOW + 9000, "a", 10).await;
    assert_eq!(
        late.len(),
        1,
        "the renewed lease ended and was not taken over"
    );
    assert_eq!(late[0].delivery_id, id);
}

pub async fn renew_extends_only_what_the_owner_still_holds(store: &dyn Store) {
    ingest(
        store,
        hook("w1").prospects(&[None, None, None]).plugins(&["a"]),
    )
    .await;
    let held = claim(store, "host-1", NOW, NOW + 1000, "a", 3).await;
    let [first, second, finished] = [0, 1, 2].map(|i| held[i].delivery_id);
    // One is finished; after the leases end another host takes one of the two left over, and
    // the other stays host-1's (its lease ended, but nobody took it).
    assert!(
        complete(
            store,
            "host-1",
            finished,
            AttemptOutcome::Done,
            Next::Done,
            NOW + 10
        )
        .await
    );
    let taken = claim(store, "host-2", NOW + 1001, NOW + 9000, "a", 1).await;
    assert_eq!(taken.len(), 1);
    let stolen = taken[0].delivery_id;
    let kept = if stolen == first { second } else { first };
    let renewed = store
        .renew("host-1", vec![kept, stolen, finished, 999_999], NOW + 7000)
        .await
        .unwrap();
    assert_eq!(
        renewed,
        vec![kept],
        "only the delivery still running under host-1 is renewed, its expired lease included"
    );
    assert!(
        store
            .renew("nobody", vec![kept], NOW + 9000)
            .await
            .unwrap()
            .is_empty(),
        "a non-owner renewed a lease"
    );
    // Both leases hold: host-1's renewed one until NOW+7000, host-2's (untouched) until NOW+9000.
    let third = claim(store, "host-3", NOW + 6000, NOW + 10_000, "a", 10).await;
    assert!(third.is_empty(), "{third:?}");
    assert!(
        complete(
            store,
            "host-2",
            stolen,
            AttemptOutcome::Done,
            Next::Done,
            NOW + 8000
        )
        .await
    );
    assert!(
        complete(
            store,
            "host-1",
            kept,
            AttemptOutcome::Done,
            Next::Done,
            NOW + 8000
        )
        .await
    );
    assert_eq!(counts(store, "a").await.done, 3);
}
