//! What the admin API reads: lists with filters and pages, an event's detail, per-plugin
//! activity, the queue's depth.

use smartreach_store::{
    AttemptOutcome, DeliveryFilter, DeliveryStatus, EventFilter, LastError, Next, ShownStatus,
    Store,
};

use crate::support::{NOW, attempt, claim, complete, dead, finish_all, hook, ingest, retry};

/// A (1000, prospect.created, a@), B (2000, activity.email.replied, b@), C (3000,
/// prospect.created, c@): A to crm, B to crm and slack, C to nobody.
async fn seed(store: &dyn Store) {
    ingest(
        store,
        hook("A").at(1_000).email("a@x.example").plugins(&["crm"]),
    )
    .await;
    ingest(
        store,
        hook("B")
            .at(2_000)
            .event_type("activity.email.replied")
            .email("b@x.example")
            .plugins(&["crm", "slack"]),
    )
    .await;
    ingest(store, hook("C").at(3_000).email("c@x.example")).await;
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> String) -> Vec<String> {
    items.iter().map(id).collect()
}

pub async fn events_are_listed_newest_first_filtered_and_paged(store: &dyn Store) {
    seed(store).await;
    let first = store
        .list_events(EventFilter::default(), 2, None)
        .await
        .unwrap();
    assert_eq!(ids(&first.items, |e| e.id.clone()), ["C:0", "B:0"]);
    assert_eq!(first.items[1].delivery_counts.pending, 2);
    let rest = store
        .list_events(EventFilter::default(), 2, first.next_cursor.clone())
        .await
        .unwrap();
    assert_eq!(ids(&rest.items, |e| e.id.clone()), ["A:0"]);
    assert_eq!(rest.next_cursor, None, "the last page");
    let exact = store
        .list_events(EventFilter::default(), 3, None)
        .await
        .unwrap();
    assert_eq!(exact.items.len(), 3);
    assert_eq!(exact.next_cursor, None, "a full last page has no next page");

    let created_since = EventFilter {
        event_type: Some("prospect.created".to_owned()),
        since: Some(1_000),
        ..EventFilter::default()
    };
    let found = store.list_events(created_since, 10, None).await.unwrap();
    assert_eq!(
        ids(&found.items, |e| e.id.clone()),
        ["C:0", "A:0"],
        "since is inclusive"
    );
    let until = EventFilter {
        until: Some(2_000),
        ..EventFilter::default()
    };
    let found = store.list_events(until, 10, None).await.unwrap();
    assert_eq!(
        ids(&found.items, |e| e.id.clone()),
        ["A:0"],
        "until is exclusive"
    );
    let by_email = EventFilter {
        email: Some("b@x.example".to_owned()),
        ..EventFilter::default()
    };
    let found = store.list_events(by_email, 10, None).await.unwrap();
    assert_eq!(ids(&found.items, |e| e.id.clone()), ["B:0"]);
    assert_eq!(found.items[0].email.as_deref(), Some("b@x.example"));
}

pub async fn deliveries_are_listed_newest_first_filtered_and_paged(store: &dyn Store) {
    seed(store).await;
    finish_all(store, "slack", dead("failed: no")).await;
    let all = store
        .list_deliveries(DeliveryFilter::default(), 10, None)
        .await
        .unwrap()
        .items;
    let shown: Vec<_> = all
        .iter()
        .map(|d| (d.event_id.as_str(), d.plugin.as_str(), d.status))
        .collect();
    assert_eq!(
        shown,
        [
            ("B:0", "slack", ShownStatus::Dead),
            ("B:0", "crm", ShownStatus::Pending),
            ("A:0", "crm", ShownStatus::Pending),
        ],
        "newest first"
    );
    assert!(all.windows(2).all(|pair| pair[0].id > pair[1].id));
    let first = store
        .list_deliveries(DeliveryFilter::default(), 2, None)
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let rest = store
        .list_deliveries(DeliveryFilter::default(), 2, first.next_cursor)
        .await
        .unwrap();
    assert_eq!(
        ids(&rest.items, |d| d.id.to_string()),
        [all[2].id.to_string()]
    );
    assert_eq!(rest.next_cursor, None);

    let filtered = |status, plugin: Option<&str>, event_type: Option<&str>| DeliveryFilter {
        status,
        plugin: plugin.map(str::to_owned),
        event_type: event_type.map(str::to_owned),
    };
    let count = move |filter| async move {
        store
            .list_deliveries(filter, 10, None)
            .await
            .unwrap()
            .items
            .len()
    };
    assert_eq!(
        count(filtered(Some(DeliveryStatus::Dead), None, None)).await,
        1
    );
    assert_eq!(
        count(filtered(Some(DeliveryStatus::Pending), None, None)).await,
        2
    );
    assert_eq!(count(filtered(None, Some("crm"), None)).await, 2);
    assert_eq!(
        count(filtered(None, Some("crm"), Some("activity.email.replied"))).await,
        1
    );
    assert_eq!(
        count(filtered(Some(DeliveryStatus::Done), None, None)).await,
        0
    );
}

pub async fn an_event_shows_its_deliveries_and_their_attempts(store: &dyn Store) {
    seed(store).await;
    let crm = claim(store, "me", NOW, NOW + 100, "crm", 10).await;
    let b = crm
        .iter()
        .find(|c| c.event_id == "B:0")
        .unwrap()
        .delivery_id;
    complete(
        store,
        "me",
        b,
        AttemptOutcome::Retry,
        retry(NOW, "retry: 503"),
        NOW,
    )
    .await;
    claim(store, "me", NOW, NOW + 100, "crm", 10).await;
    complete(store, "me", b, AttemptOutcome::Done, Next::Done, NOW).await;
    let detail = store.event("B:0".to_owned()).await.unwrap().unwrap();
    assert_eq!(detail.summary.event_type, "activity.email.replied");
    assert_eq!(detail.summary.email.as_deref(), Some("b@x.example"));
    assert_eq!(detail.summary.delivery_counts.done, 1);
    assert_eq!(detail.summary.delivery_counts.pending, 1);
    let plugins: Vec<_> = detail
        .deliveries
        .iter()
        .map(|d| d.summary.plugin.as_str())
        .collect();
    assert_eq!(plugins, ["crm", "slack"], "oldest first");
    let runs: Vec<_> = detail.deliveries[0]
        .runs
        .iter()
        .map(|run| (run.attempt, run.outcome))
        .collect();
    assert_eq!(
        runs,
        [(1, AttemptOutcome::Retry), (2, AttemptOutcome::Done)]
    );
    assert!(store.event("nope".to_owned()).await.unwrap().is_none());
}

pub async fn plugin_activity_counts_by_status_with_the_last_error(store: &dyn Store) {
    seed(store).await;
    let crm = claim(store, "me", NOW, NOW + 100, "crm", 10).await;
    let dead_id = crm[0].delivery_id;
    let mut detailed = attempt(dead_id, AttemptOutcome::Fault, dead("gave up"));
    detailed.detail = Some("trap: unreachable".to_owned());
    detailed.started_at = NOW + 7;
    assert!(store.complete("me", detailed, NOW + 8).await.unwrap());
    complete(
        store,
        "me",
        crm[1].delivery_id,
        AttemptOutcome::Done,
        Next::Done,
        NOW + 9,
    )
    .await;
    let activity = store.plugin_activity().await.unwrap();
    let names: Vec<_> = activity.iter().map(|a| a.plugin.as_str()).collect();
    assert_eq!(
        names,
        ["crm", "slack"],
        "every plugin that has deliveries, by name"
    );
    let crm = &activity[0];
    assert_eq!((crm.deliveries.dead, crm.deliveries.done), (1, 1));
    assert_eq!(
        crm.last_error,
        Some(LastError {
            delivery_id: dead_id,
            at: NOW + 7,
            message: "fault: trap: unreachable".to_owned(),
        }),
        "the last unsuccessful attempt, not the success after it"
    );
    assert_eq!(activity[1].deliveries.pending, 1);
    assert_eq!(activity[1].last_error, None);
}

pub async fn queue_stats_count_open_deliveries_and_unreplayed_dead_letters(store: &dyn Store) {
    for (id, at) in [("A", 1_000), ("B", 2_000), ("C", 3_000), ("D", 4_000)] {
        let plugins: &[&str] = if id == "D" { &["log"] } else { &["crm", "log"] };
        ingest(store, hook(id).at(at).plugins(plugins)).await;
    }
    let early = store.queue_stats(500).await.unwrap();
    assert_eq!(early.by_plugin["crm"].pending, 3);
    assert_eq!(early.by_plugin["log"].pending, 4);
    assert_eq!(early.oldest_due_since, None, "nothing is due at 500");
    assert_eq!(
        store.queue_stats(10_000).await.unwrap().oldest_due_since,
        Some(1_000)
    );
    // Three crm deliveries die; one of them is replayed; one log delivery is claimed.
    let dead_ids = finish_all(store, "crm", dead("boom")).await;
    assert_eq!(dead_ids.len(), 3);
    store.replay(dead_ids[0], 10_000).await.unwrap().unwrap();
    assert_eq!(claim(store, "me", 10_000, 20_000, "log", 1).await.len(), 1);
    let stats = store.queue_stats(10_000).await.unwrap();
    let crm = &stats.by_plugin["crm"];
    assert_eq!((crm.pending, crm.running, crm.dead), (1, 0, 2), "{stats:?}");
    let log = &stats.by_plugin["log"];
    assert_eq!((log.pending, log.running, log.dead), (3, 1, 0), "{stats:?}");
    assert_eq!(stats.oldest_due_since, Some(2_000), "A's log delivery runs");
}

pub async fn activity_is_counted_per_minute_from_since(store: &dyn Store) {
    const MINUTE: i64 = 60_000;
    let base = (NOW / MINUTE) * MINUTE;
    // One webhook before the window, two in its first minute, one three minutes on.
    for (id, at) in [
        ("old", base - 1),
        ("A", base),
        ("B", base + MINUTE - 1),
        ("C", base + 3 * MINUTE + 5),
    ] {
        ingest(store, hook(id).at(at).plugins(&["crm"])).await;
    }
    let claimed = claim(store, "me", i64::MAX - 1, i64::MAX, "crm", 10).await;
    assert_eq!(claimed.len(), 4);
    let outcomes = [
        (AttemptOutcome::Done, Next::Done, base - 10),
        (AttemptOutcome::Done, Next::Done, base + 10),
        (AttemptOutcome::Retry, retry(i64::MAX, "later"), base + 20),
        (AttemptOutcome::Fault, dead("trap"), base + 3 * MINUTE),
    ];
    for (delivery, (outcome, next, started_at)) in claimed.iter().zip(outcomes) {
        let mut record = attempt(delivery.delivery_id, outcome, next);
        record.started_at = started_at;
        assert!(store.complete("me", record, i64::MAX - 1).await.unwrap());
    }
    let minutes = store.activity_by_minute(base).await.unwrap();
    let shown: Vec<_> = minutes
        .iter()
        .map(|m| {
            (
                m.minute,
                m.webhooks,
                m.attempts.done,
                m.attempts.retry,
                m.attempts.fault,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [(base, 2, 1, 1, 0), (base + 3 * MINUTE, 1, 0, 0, 1)],
        "oldest first, empty minutes left out, nothing before `since`: {minutes:?}"
    );
    assert_eq!(minutes[0].attempts.total(), 2);
    assert!(
        store
            .activity_by_minute(base + 4 * MINUTE)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn ping_answers(store: &dyn Store) {
    store.ping().await.unwrap();
}

/// The deliveries of [`every_status`], by what they became.
struct EveryStatus {
    done: i64,
    skipped: i64,
    dead: i64,
    replayed_dead: i64,
    replayed_done: i64,
    retried: i64,
    running: [i64; 2],
    replays: [i64; 2],
    log_dead: i64,
}

/// Eight `crm` deliveries, one in each status and some replayed: done, skipped, dead, dead and
/// replayed, done and replayed, retried later (pending), two running; the two replays pending.
/// Then the one `log` delivery dies, after every `crm` attempt.
async fn every_status(store: &dyn Store) -> EveryStatus {
    ingest(store, hook("A").prospects(&[None; 8]).plugins(&["crm"])).await;
    ingest(store, hook("B").plugins(&["log"])).await;
    let mut crm: Vec<i64> = claim(store, "me", NOW, NOW + 100, "crm", 8)
        .await
        .iter()
        .map(|claimed| claimed.delivery_id)
        .collect();
    crm.sort_unstable();
    assert_eq!(crm.len(), 8);
    let finished = [
        (crm[0], AttemptOutcome::Done, Next::Done),
        (crm[1], AttemptOutcome::Skipped, Next::Skipped),
        (crm[2], AttemptOutcome::Failed, dead("failed: no")),
        (crm[3], AttemptOutcome::Failed, dead("failed: no")),
        (crm[4], AttemptOutcome::Done, Next::Done),
        (
            crm[5],
            AttemptOutcome::Retry,
            retry(NOW + 1_000, "retry: later"),
        ),
    ];
    for (id, outcome, next) in finished {
        assert!(complete(store, "me", id, outcome, next, NOW).await);
    }
    let mut replays = [0; 2];
    for (slot, id) in replays.iter_mut().zip([crm[3], crm[4]]) {
        *slot = store.replay(id, NOW).await.unwrap().unwrap();
    }
    let log = finish_all(store, "log", dead("failed: gone")).await;
    EveryStatus {
        done: crm[0],
        skipped: crm[1],
        dead: crm[2],
        replayed_dead: crm[3],
        replayed_done: crm[4],
        retried: crm[5],
        running: [crm[6], crm[7]],
        replays,
        log_dead: log[0],
    }
}

pub async fn plugin_activity_counts_every_status_once_and_each_plugin_s_own_last_error(
    store: &dyn Store,
) {
    let ids = every_status(store).await;
    let activity = store.plugin_activity().await.unwrap();
    let names: Vec<_> = activity.iter().map(|a| a.plugin.as_str()).collect();
    assert_eq!(names, ["crm", "log"]);
    let crm = &activity[0].deliveries;
    assert_eq!(
        (crm.pending, crm.running, crm.done, crm.skipped, crm.dead),
        (3, 2, 2, 1, 1),
        "the retry and both replays wait; a replayed done delivery stays done; a replayed dead \
         letter is no longer one: {crm:?}"
    );
    let log = &activity[1].deliveries;
    assert_eq!(
        (log.pending, log.running, log.done, log.skipped, log.dead),
        (0, 0, 0, 0, 1)
    );
    assert_eq!(
        activity[0]
            .last_error
            .as_ref()
            .map(|error| error.delivery_id),
        Some(ids.retried),
        "crm's newest unsuccessful attempt, older than log's: {:?}",
        activity[0].last_error
    );
    assert_eq!(
        activity[0]
            .last_error
            .as_ref()
            .map(|error| error.message.as_str()),
        Some("retry")
    );
    assert_eq!(
        activity[1]
            .last_error
            .as_ref()
            .map(|error| error.delivery_id),
        Some(ids.log_dead)
    );
}

pub async fn deliveries_are_listed_by_every_status_with_and_without_a_plugin(store: &dyn Store) {
    let ids = every_status(store).await;
    let listed = |status, plugin: Option<&str>| {
        let filter = DeliveryFilter {
            status,
            plugin: plugin.map(str::to_owned),
            event_type: None,
        };
        async move {
            store
                .list_deliveries(filter, 10, None)
                .await
                .unwrap()
                .items
                .iter()
                .map(|delivery| delivery.id)
                .collect::<Vec<_>>()
        }
    };
    let [replay_of_dead, replay_of_done] = ids.replays;
    let crm = [
        (
            DeliveryStatus::Pending,
            vec![replay_of_done, replay_of_dead, ids.retried],
        ),
        (
            DeliveryStatus::Running,
            vec![ids.running[1], ids.running[0]],
        ),
        (DeliveryStatus::Done, vec![ids.replayed_done, ids.done]),
        (DeliveryStatus::Skipped, vec![ids.skipped]),
        (DeliveryStatus::Dead, vec![ids.dead]),
    ];
    for (status, expected) in crm {
        assert_eq!(
            listed(Some(status), Some("crm")).await,
            expected,
            "{status:?}, crm"
        );
        let mut all = expected.clone();
        if status == DeliveryStatus::Dead {
            all.insert(0, ids.log_dead);
        }
        assert_eq!(
            listed(Some(status), None).await,
            all,
            "{status:?}, any plugin"
        );
    }
    assert_eq!(
        listed(Some(DeliveryStatus::Dead), Some("log")).await,
        [ids.log_dead]
    );
    assert_eq!(
        listed(Some(DeliveryStatus::Running), Some("log")).await,
        Vec::<i64>::new()
    );
    let crm_all = listed(None, Some("crm")).await;
    assert_eq!(crm_all.len(), 10, "every crm delivery, replayed ones too");
    assert!(
        crm_all.windows(2).all(|pair| pair[0] > pair[1]),
        "newest first"
    );
    assert!(crm_all.contains(&ids.replayed_dead));
}
