//! Delivery controls: a paused plugin's deliveries are not claimed until it is resumed, a held
//! one's not until its hold ends.

use smartreach_store::{PluginControl, Store};

use crate::support::{NOW, claim, counts, events, hook, ingest};

async fn controls(store: &dyn Store) -> Vec<PluginControl> {
    store.plugin_controls(NOW).await.unwrap()
}

pub async fn a_paused_plugin_s_deliveries_wait_in_order_until_resumed(store: &dyn Store) {
    for id in ["w1", "w2", "w3"] {
        ingest(store, hook(id).prospects(&[Some("7")]).plugins(&["a", "b"])).await;
    }
    let paused = store.set_paused("a".to_owned(), true, NOW).await.unwrap();
    assert_eq!(
        paused,
        PluginControl {
            plugin: "a".to_owned(),
            paused_since: Some(NOW),
            held_until: None,
            held_because: None,
        }
    );
    assert!(
        claim(store, "me", NOW + 10, NOW + 100, "a", 10)
            .await
            .is_empty()
    );
    assert_eq!(
        events(&claim(store, "me", NOW + 10, NOW + 100, "b", 10).await),
        ["w1:0"],
        "another plugin is not held back"
    );
    // Pausing again keeps the first time.
    let again = store
        .set_paused("a".to_owned(), true, NOW + 20)
        .await
        .unwrap();
    assert_eq!(again.paused_since, Some(NOW));
    assert_eq!(controls(store).await, [paused]);
    assert_eq!(counts(store, "a").await.pending, 3, "waiting, visible");

    let resumed = store
        .set_paused("a".to_owned(), false, NOW + 30)
        .await
        .unwrap();
    assert_eq!(resumed.paused_since, None);
    assert!(controls(store).await.is_empty());
    assert_eq!(
        events(&claim(store, "me", NOW + 40, NOW + 100, "a", 10).await),
        ["w1:0"],
        "the prospect's oldest first, alone"
    );
}

pub async fn a_paused_plugin_s_expired_leases_are_not_taken_over(store: &dyn Store) {
    ingest(store, hook("w1").prospects(&[None, None]).plugins(&["a"])).await;
    let held = claim(store, "gone", NOW, NOW + 100, "a", 10).await;
    assert_eq!(held.len(), 2);
    store
        .set_paused("a".to_owned(), true, NOW + 1)
        .await
        .unwrap();
    assert!(
        claim(store, "other", NOW + 200, NOW + 300, "a", 10)
            .await
            .is_empty(),
        "the leases ended, but the plugin is paused"
    );
    assert_eq!(counts(store, "a").await.running, 2, "left as they are");
    store
        .set_paused("a".to_owned(), false, NOW + 201)
        .await
        .unwrap();
    let taken = claim(store, "other", NOW + 202, NOW + 300, "a", 10).await;
    let attempts: Vec<u32> = taken.iter().map(|claimed| claimed.attempts).collect();
    assert_eq!(
        attempts,
        [1, 1],
        "taken over once resumed, the lost runs counted"
    );
}

pub async fn any_plugin_name_may_be_paused_or_resumed(store: &dyn Store) {
    let resumed = store
        .set_paused("never-seen".to_owned(), false, NOW)
        .await
        .unwrap();
    assert_eq!(resumed.paused_since, None);
    assert!(controls(store).await.is_empty());
    store
        .set_paused("zeta".to_owned(), true, NOW)
        .await
        .unwrap();
    store
        .set_paused("alpha".to_owned(), true, NOW + 1)
        .await
        .unwrap();
    let names: Vec<String> = controls(store)
        .await
        .into_iter()
        .map(|control| control.plugin)
        .collect();
    assert_eq!(names, ["alpha", "zeta"], "by name");
    // A plugin paused before it has any delivery: what arrives for it waits too.
    ingest(store, hook("w1").plugins(&["zeta"])).await;
    assert!(
        claim(store, "me", NOW + 10, NOW + 100, "zeta", 10)
            .await
            .is_empty()
    );
}

pub async fn a_held_plugin_waits_until_the_hold_ends(store: &dyn Store) {
    ingest(
        store,
        hook("w1").prospects(&[None, None]).plugins(&["a", "b"]),
    )
    .await;
    let hold =
        |until: i64, because: &str| store.hold("a".to_owned(), until, because.to_owned(), NOW);
    hold(NOW + 1000, "upstream: retry after 1 s").await.unwrap();
    assert!(
        claim(store, "me", NOW + 999, NOW + 5000, "a", 10)
            .await
            .is_empty()
    );
    assert_eq!(
        claim(store, "me", NOW + 999, NOW + 5000, "b", 10)
            .await
            .len(),
        2,
        "another plugin is not held back"
    );
    // A shorter hold does not cut a longer one short.
    hold(NOW + 500, "shorter").await.unwrap();
    let held = store.plugin_controls(NOW + 10).await.unwrap();
    assert_eq!(
        held,
        [PluginControl {
            plugin: "a".to_owned(),
            paused_since: None,
            held_until: Some(NOW + 1000),
            held_because: Some("upstream: retry after 1 s".to_owned()),
        }]
    );
    assert_eq!(counts(store, "a").await.pending, 2, "waiting, visible");
    assert!(
        store.plugin_controls(NOW + 1000).await.unwrap().is_empty(),
        "an ended hold is not shown"
    );
    assert_eq!(
        events(&claim(store, "me", NOW + 1000, NOW + 5000, "a", 10).await),
        ["w1:0", "w1:1"]
    );
    // A longer hold replaces it, with its reason; a pause and a hold are apart.
    hold(NOW + 9000, "breaker open").await.unwrap();
    let paused = store
        .set_paused("a".to_owned(), true, NOW + 2000)
        .await
        .unwrap();
    assert_eq!(paused.held_until, Some(NOW + 9000));
    assert_eq!(paused.held_because.as_deref(), Some("breaker open"));
    let resumed = store
        .set_paused("a".to_owned(), false, NOW + 2000)
        .await
        .unwrap();
    assert_eq!(resumed.paused_since, None);
    assert_eq!(
        (resumed.held_until, resumed.held_because),
        (None, None),
        "resuming ends the hold too: the operator fixed what it waited for"
    );
    assert!(controls(store).await.is_empty());
    ingest(store, hook("w2").prospects(&[None]).plugins(&["a"])).await;
    assert_eq!(
        events(&claim(store, "me", NOW + 2001, NOW + 5000, "a", 10).await),
        ["w2:0"],
        "claimed before the lifted hold would have ended"
    );
}
