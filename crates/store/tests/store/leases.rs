//! Leases: a claim holds until its lease ends; after that the next claim takes it over.

use smartreach_store::Store;

use crate::support::{NOW, claim, counts, delivery, hook, ingest};

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
