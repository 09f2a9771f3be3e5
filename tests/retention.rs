//! Retention (`[retention] max_age`, `interval`): old webhooks whose deliveries are all finished
//! are deleted with their events, deliveries and attempts; those with a dead letter or a pending
//! delivery stay until the dead letter is replayed to done (or the delivery finishes).

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use support::admin::{assert_problem, event_deliveries, events, ids};
use support::db::Db;
use support::host::{Config, Host, Ingested};
use support::payload::{all_items, prospect_event, single_event};
use support::plugins::manifest_for;
use support::{SOON, eventually, eventually_or};

/// The ids of the events the admin API lists.
fn listed(host: &Host) -> BTreeSet<String> {
    ids(&events(host, &[])).into_iter().collect()
}

/// The webhook ids in the store.
fn stored_webhooks(db: &Db) -> BTreeSet<String> {
    db.webhooks()
        .into_iter()
        .map(|webhook| webhook.id)
        .collect()
}

fn event_of(ingested: &Ingested) -> String {
    format!("{}:0", ingested.webhook_id)
}

/// Waits until the admin API lists exactly `expected` events and the store holds exactly the
/// webhooks `webhooks`, with no delivery or attempt left of a deleted event.
fn wait_for_retention(
    host: &Host,
    db: &Db,
    what: &str,
    expected: &BTreeSet<String>,
    webhooks: &BTreeSet<String>,
) {
    eventually_or(what, SOON, || {
        let listed = listed(host);
        let stored = stored_webhooks(db);
        if &listed == expected && &stored == webhooks {
            Ok(())
        } else {
            Err(format!("listed {listed:?}, stored webhooks {stored:?}"))
        }
    });
    let orphans = db.scalar(
        "SELECT (SELECT count(*) FROM events WHERE webhook_id NOT IN (SELECT id FROM webhooks)) \
         + (SELECT count(*) FROM deliveries WHERE event_id NOT IN (SELECT id FROM events)) \
         + (SELECT count(*) FROM attempts WHERE delivery_id NOT IN (SELECT id FROM deliveries))",
    );
    assert_eq!(orphans, 0, "{what}: nothing is left of a deleted webhook");
}

/// With `max_age = "1s"` and `interval = "200ms"`: webhooks whose deliveries are done (or that
/// have none) go; one with a dead letter and one with a pending retry stay, and their finished
/// deliveries lose their old attempts while the dead letter keeps its own. Once the plugin is
/// fixed and the dead letter replayed to done, its webhook goes too; the pending one stays.
#[test]
fn old_finished_webhooks_are_pruned_and_open_ones_kept() {
    let config = Config {
        retention_max_age: Some("1s".to_owned()),
        retention_interval: Some("200ms".to_owned()),
        // The host refuses a retention shorter than the redelivery window.
        dedup_window: "1s".to_owned(),
        // One retry, an hour later: a delivery that faults stays pending for the whole test.
        retry_schedule: vec![Duration::from_secs(3600)],
        ..Config::with_admin()
    };
    let env = SUITE.env_with(config);
    env.install(
        "log",
        "event_log",
        Some(&manifest_for(
            &["prospect.created", "prospect.updated"],
            None,
            &[],
            &[],
        )),
    );
    env.install_hostile("fail", &["prospect.updated"], "fail");
    env.install_hostile("stuck", &["activity.email.opened"], "panic");
    let host = env.start();
    let db = env.db();

    // Done: two created prospects (log).
    let done = [
        host.ingest(&prospect_event("prospect.created", 1, "a@example.com", "a")),
        host.ingest(&prospect_event("prospect.created", 2, "b@example.com", "b")),
    ];
    // No delivery at all: nothing subscribes to `sent` (three events in one webhook).
    let unsubscribed = host.ingest(&all_items("activity.email.sent", 3));
    assert_eq!((unsubscribed.events, unsubscribed.deliveries), (3, 0));
    // A dead letter beside a done delivery: log done, fail dead.
    let dead = host.ingest(&prospect_event("prospect.updated", 1, "a@example.com", "c"));
    assert_eq!(dead.deliveries, 2);
    // Pending: stuck faults and waits an hour for its retry.
    let pending = host.ingest(&single_event("activity.email.opened", 4, "d@example.com"));
    assert_eq!(pending.deliveries, 1);

    // The dead letter and the pending retry (kept whatever their age).
    eventually_or("fail dead and stuck waiting for its retry", SOON, || {
        let rows = db.deliveries();
        let fail = rows
            .iter()
            .any(|d| d.plugin == "fail" && d.status == "dead");
        let stuck = rows
            .iter()
            .any(|d| d.plugin == "stuck" && d.status == "pending" && d.attempts == 1);
        if fail && stuck {
            Ok(())
        } else {
            Err(format!("{rows:#?}"))
        }
    });

    // The finished ones go (their going proves retention ran past their age: a webhook is kept
    // while a delivery is pending or running); the open ones stay.
    let kept: BTreeSet<String> = [event_of(&dead), event_of(&pending)].into();
    let kept_webhooks: BTreeSet<String> =
        [dead.webhook_id.clone(), pending.webhook_id.clone()].into();
    wait_for_retention(
        &host,
        &db,
        "the finished webhooks to be pruned",
        &kept,
        &kept_webhooks,
    );
    for gone in done
        .iter()
        .map(event_of)
        .chain([format!("{}:2", unsubscribed.webhook_id)])
    {
        let response = host.admin_get(&format!("/api/v1/events/{gone}"));
        assert_problem(&response, 404, "event-not-found");
    }
    assert_eq!(db.totals().events, 2);
    assert_eq!(
        db.totals().deliveries,
        3,
        "log and fail of the update, stuck's retry"
    );

    // The kept event's done delivery loses its old attempts; the dead letter and the pending
    // retry keep theirs.
    let log_of_dead = db
        .deliveries_of_webhook(&dead.webhook_id)
        .into_iter()
        .find(|d| d.plugin == "log")
        .unwrap();
    eventually(
        "the old attempt of a done delivery to be pruned",
        SOON,
        || db.attempts_of(log_of_dead.id).is_empty().then_some(()),
    );
    let deliveries = event_deliveries(&host, &event_of(&dead));
    let by_plugin = |name: &str| -> Value {
        deliveries
            .iter()
            .find(|d| d["plugin"] == name)
            .unwrap_or_else(|| panic!("no delivery to {name}: {deliveries:#?}"))
            .clone()
    };
    assert_eq!(by_plugin("log")["status"], "done");
    assert_eq!(by_plugin("log")["runs"], Value::Array(Vec::new()));
    assert_eq!(by_plugin("fail")["status"], "dead");
    assert_eq!(by_plugin("fail")["runs"].as_array().unwrap().len(), 1);
    let stuck = db.deliveries_of_webhook(&pending.webhook_id);
    assert_eq!(db.attempts_of(stuck[0].id).len(), 1, "{stuck:?}");

    // Retention keeps running: a newer finished webhook goes too, the open ones still stay.
    // (Stored when the 202 came; the wait below sees it go.)
    let later = host.ingest(&prospect_event("prospect.created", 5, "e@example.com", "e"));
    assert_eq!(later.deliveries, 1);
    wait_for_retention(
        &host,
        &db,
        "the later webhook to be pruned",
        &kept,
        &kept_webhooks,
    );

    // The dead letter replayed after a fix: once done, its webhook goes.
    let mark = host.stderr_mark();
    env.put_plugin_file(
        "fail.toml",
        manifest_for(
            &["prospect.updated"],
            None,
            &[("mode", "done"), ("secret", "fixed")],
            &[],
        )
        .as_bytes(),
    );
    host.wait_for_stderr("plugin reloaded", mark, SOON);
    let dead_letter = db
        .deliveries_of_webhook(&dead.webhook_id)
        .into_iter()
        .find(|d| d.plugin == "fail")
        .unwrap();
    let response = host.admin_post(
        &format!("/api/v1/deliveries/{}/replay", dead_letter.id),
        None,
    );
    assert_eq!(response.status, 202, "{response:?}");
    let only_pending: BTreeSet<String> = [event_of(&pending)].into();
    let only_pending_webhook: BTreeSet<String> = [pending.webhook_id.clone()].into();
    wait_for_retention(
        &host,
        &db,
        "the webhook of the replayed dead letter to be pruned",
        &only_pending,
        &only_pending_webhook,
    );
    // The pending retry is still waiting, and still kept.
    let stuck = db.deliveries_of_webhook(&pending.webhook_id);
    assert_eq!(stuck.len(), 1);
    assert_eq!(
        (stuck[0].status.as_str(), stuck[0].attempts),
        ("pending", 1)
    );
    drop(host);
}

/// README: retention runs "at start and every `retention.interval`". A host started on a database
/// holding a finished webhook older than `max_age` deletes it at once, with an interval of an hour.
#[test]
fn retention_runs_at_start() {
    let config = Config {
        retention_max_age: Some("1s".to_owned()),
        retention_interval: Some("1h".to_owned()),
        // The host refuses a retention shorter than the redelivery window.
        dedup_window: "1s".to_owned(),
        ..Config::default()
    };
    let env = SUITE.env_with(config);
    let db = env.db();
    let mut host = env.start();
    let old = host.ingest(&prospect_event(
        "prospect.created",
        1,
        "old@example.com",
        "old",
    ));
    assert!(host.stop("TERM").success());
    let received_at = db.webhooks()[0].received_at;
    eventually("the webhook to be older than max_age", SOON, || {
        (support::now_ms() > received_at + 1_500).then_some(())
    });
    assert_eq!(
        stored_webhooks(&db),
        BTreeSet::from([old.webhook_id.clone()]),
        "nothing pruned while stopped"
    );

    let _host = env.start();
    eventually_or("the old webhook to be deleted at start", SOON, || {
        let stored = stored_webhooks(&db);
        stored.is_empty().then_some(()).ok_or(format!("{stored:?}"))
    });
}
