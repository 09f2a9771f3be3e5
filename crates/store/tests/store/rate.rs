//! Rate-limited claims: a plugin's claims together take no more than its shared budget.

use smartreach_store::{ClaimRate, ClaimRequest, Claimed, Store};

use crate::support::{NOW, hook, ingest};

/// Two per second, in bursts of up to three.
const RATE: ClaimRate = ClaimRate {
    count: 2,
    period_ms: 1000,
    burst: 3,
};

async fn claim_rated(store: &dyn Store, owner: &str, now: i64, plugin: &str) -> Vec<Claimed> {
    store
        .claim(
            owner,
            now,
            now + 60_000,
            vec![ClaimRequest {
                plugin: plugin.to_owned(),
                limit: 10,
                rate: Some(RATE),
            }],
        )
        .await
        .unwrap()
}

pub async fn a_rate_limited_claim_takes_no_more_than_the_shared_budget(store: &dyn Store) {
    let prospects = vec![None; 20];
    ingest(store, hook("w1").prospects(&prospects).plugins(&["a"])).await;
    assert_eq!(
        claim_rated(store, "one", NOW, "a").await.len(),
        3,
        "a full bucket: the burst"
    );
    assert!(
        claim_rated(store, "two", NOW, "a").await.is_empty(),
        "another claimer spends the same budget"
    );
    assert!(
        claim_rated(store, "two", NOW + 499, "a").await.is_empty(),
        "not a whole token yet"
    );
    assert_eq!(claim_rated(store, "two", NOW + 500, "a").await.len(), 1);
    assert_eq!(claim_rated(store, "one", NOW + 1500, "a").await.len(), 2);
    assert_eq!(
        claim_rated(store, "one", NOW + 100_000, "a").await.len(),
        3,
        "a long pause refills up to the burst, no more"
    );
}

pub async fn a_rate_limited_claim_that_finds_nothing_spends_nothing(store: &dyn Store) {
    assert!(claim_rated(store, "me", NOW, "a").await.is_empty());
    ingest(store, hook("w1").prospects(&[None]).plugins(&["a"])).await;
    assert_eq!(claim_rated(store, "me", NOW, "a").await.len(), 1);
    ingest(store, hook("w2").prospects(&[None; 5]).plugins(&["a"])).await;
    assert_eq!(
        claim_rated(store, "me", NOW, "a").await.len(),
        2,
        "what was not spent is still there"
    );
    // An unlimited plugin beside it is not held back, and spends no budget.
    ingest(store, hook("w3").prospects(&[None; 5]).plugins(&["b"])).await;
    let unlimited = store
        .claim(
            "me",
            NOW,
            NOW + 60_000,
            vec![ClaimRequest {
                plugin: "b".to_owned(),
                limit: 10,
                rate: None,
            }],
        )
        .await
        .unwrap();
    assert_eq!(unlimited.len(), 5);
    assert!(
        store.plugin_controls(NOW).await.unwrap().is_empty(),
        "no plugin is paused"
    );
}
