//! The delivery list with its filters, and the plugin list.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};

use super::{as_set, db_delivery_ids, hostile};
use crate::support::admin::{assert_problem, deliveries, id_of, ids, list_pages, plugin, plugins};
use crate::support::host::Config;
use crate::support::payload::{prospect_event, reply, single_event};
use crate::support::plugins::{manifest, wasm};
use crate::support::{SOON, eventually_or, now_ms, sha256_hex};

/// The delivery list by status (pending, done, dead; `dead` being dead letters), by plugin, by
/// event type, combined and paged; an unknown status is a 400 problem; replaying a pending
/// delivery is a 409 problem and an unknown one 404. Then the plugin list: each loaded plugin
/// with its build hash, subscriptions, limits and delivery counts, the last error of the failing
/// ones; a plugin removed from the folder stays listed, unloaded, with its counts.
#[test]
fn deliveries_are_listed_by_status_plugin_and_type_and_plugins_show_their_activity() {
    let config = Config {
        // One retry, an hour later: a delivery that faults stays pending for the whole test.
        retry_schedule: vec![Duration::from_secs(3600)],
        ..Config::with_admin()
    };
    let env = crate::SUITE.env_with(config);
    env.install(
        "log",
        "event_log",
        Some(&manifest(
            None,
            &[],
            &[("memory_mib", 32), ("max_concurrency", 2)],
        )),
    );
    env.install(
        "fail",
        "hostile",
        Some(&hostile(&["prospect.updated"], "fail")),
    );
    env.install(
        "stuck",
        "hostile",
        Some(&hostile(&["activity.email.opened"], "panic")),
    );
    let host = env.start();
    let db = env.db();

    host.ingest(&prospect_event(
        "prospect.created",
        1,
        "a@example.com",
        "d1",
    ));
    host.ingest(&prospect_event(
        "prospect.created",
        2,
        "b@example.com",
        "d2",
    ));
    host.ingest(&prospect_event(
        "prospect.updated",
        1,
        "a@example.com",
        "d3",
    ));
    host.ingest(&prospect_event(
        "prospect.updated",
        2,
        "b@example.com",
        "d4",
    ));
    host.ingest(&single_event("activity.email.opened", 3, "c@example.com"));
    host.ingest(&reply(4, "d@example.com", "d6"));

    eventually_or(
        "log done x6, fail dead x2, stuck retried once",
        SOON,
        || {
            let rows = db.deliveries();
            let count = |plugin: &str, status: &str, attempts: i64| {
                rows.iter()
                    .filter(|d| d.plugin == plugin && d.status == status && d.attempts == attempts)
                    .count()
            };
            if rows.len() == 9
                && count("log", "done", 1) == 6
                && count("fail", "dead", 1) == 2
                && count("stuck", "pending", 1) == 1
            {
                Ok(())
            } else {
                Err(format!("{rows:#?}"))
            }
        },
    );
    let types: BTreeMap<String, String> = db
        .events()
        .into_iter()
        .map(|event| (event.id, event.event_type))
        .collect();
    let listed = |pairs: &[(&str, &str)]| as_set(ids(&deliveries(&host, pairs)));

    // By status.
    assert_eq!(
        listed(&[("status", "done")]),
        db_delivery_ids(&db, |d| d.plugin == "log")
    );
    assert_eq!(
        listed(&[("status", "dead")]),
        db_delivery_ids(&db, |d| d.plugin == "fail")
    );
    assert_eq!(
        listed(&[("status", "pending")]),
        db_delivery_ids(&db, |d| d.plugin == "stuck")
    );
    assert_eq!(listed(&[("status", "running")]), BTreeSet::new());
    assert_eq!(listed(&[("status", "skipped")]), BTreeSet::new());
    for dead in deliveries(&host, &[("status", "dead")]) {
        assert_eq!(dead["plugin"], "fail", "{dead}");
        assert_eq!(dead["attempts"], 1, "{dead}");
        assert!(
            dead["last_error"]
                .as_str()
                .unwrap_or("")
                .contains("permanent"),
            "{dead}"
        );
    }
    let pending = deliveries(&host, &[("status", "pending")]);
    let pending = &pending[0];
    assert_eq!(pending["attempts"], 1, "{pending}");
    assert!(
        pending["next_attempt_at"].as_i64().unwrap() > now_ms() + 30 * 60 * 1000,
        "due in an hour: {pending}"
    );
    assert!(
        pending["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("fault"),
        "{pending}"
    );

    // By plugin and by event type, and combined.
    for name in ["log", "fail", "stuck"] {
        assert_eq!(
            listed(&[("plugin", name)]),
            db_delivery_ids(&db, |d| d.plugin == name),
            "plugin={name}"
        );
    }
    assert_eq!(listed(&[("plugin", "nope")]), BTreeSet::new());
    for event_type in [
        "prospect.created",
        "prospect.updated",
        "activity.email.opened",
        "activity.email.replied",
    ] {
        assert_eq!(
            listed(&[("event_type", event_type)]),
            db_delivery_ids(&db, |d| types[&d.event_id] == event_type),
            "event_type={event_type}"
        );
    }
    assert_eq!(listed(&[("event_type", "prospect.updated")]).len(), 4);
    assert_eq!(
        listed(&[("event_type", "prospect.updated"), ("status", "done")]),
        db_delivery_ids(&db, |d| d.plugin == "log"
            && types[&d.event_id] == "prospect.updated")
    );
    assert_eq!(
        listed(&[("plugin", "log"), ("event_type", "activity.email.opened")]).len(),
        1
    );
    assert_eq!(
        listed(&[("plugin", "fail"), ("status", "done")]),
        BTreeSet::new()
    );

    // Every item says what it is.
    let all = deliveries(&host, &[]);
    assert_eq!(all.len(), 9);
    for item in &all {
        let event_id = item["event_id"].as_str().unwrap();
        assert_eq!(item["event_type"], types[event_id].as_str(), "{item}");
        assert_eq!(item["origin"], "ingest", "{item}");
        assert_eq!(item["replay_of"], Value::Null, "{item}");
        assert_eq!(item["replayed_by"], Value::Null, "{item}");
    }
    // Paged: newest first, each once.
    let (paged, pages) = list_pages(&host, "/api/v1/deliveries", &[], 4);
    assert_eq!(pages, 3);
    let paged_ids: Vec<i64> = paged
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect();
    assert!(
        paged_ids.windows(2).all(|pair| pair[0] > pair[1]),
        "{paged_ids:?}"
    );
    assert_eq!(ids(&paged), ids(&all));

    // Bad queries.
    let response = host.admin_get("/api/v1/deliveries?status=bogus");
    let problem = assert_problem(&response, 400, "invalid-query");
    assert!(
        problem["detail"].as_str().unwrap().contains("bogus"),
        "{problem}"
    );
    assert_problem(
        &host.admin_get("/api/v1/deliveries?limit=0"),
        400,
        "invalid-query",
    );

    // A pending delivery is not replayed: it runs anyway.
    let pending_id = pending["id"].as_i64().unwrap();
    let response = host.admin_post(&format!("/api/v1/deliveries/{pending_id}/replay"), None);
    assert_problem(&response, 409, "delivery-open");
    let response = host.admin_post("/api/v1/deliveries/999999/replay", None);
    assert_problem(&response, 404, "delivery-not-found");
    assert_eq!(db.deliveries().len(), 9, "a refused replay queues nothing");

    // The plugins.
    let list = plugins(&host);
    let names: Vec<&str> = list
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fail", "log", "stuck"], "by name");
    let info = |name: &str| {
        list.iter()
            .find(|item| item["name"] == name)
            .unwrap()
            .clone()
    };
    let log = info("log");
    assert_eq!(log["loaded"], true);
    assert_eq!(log["content_hash"], sha256_hex(&wasm("event_log")).as_str());
    assert!(
        log["description"]
            .as_str()
            .is_some_and(|text| !text.is_empty()),
        "{log}"
    );
    assert_eq!(log["subscriptions"], json!(["*"]));
    assert_eq!(log["limits"]["timeout_ms"], 10_000, "{log}");
    assert_eq!(log["limits"]["memory_mib"], 32, "{log}");
    assert_eq!(log["limits"]["max_concurrency"], 2, "{log}");
    assert!(log["limits"]["http_timeout_ms"].as_u64().is_some(), "{log}");
    assert!(
        log["limits"]["max_response_bytes"].as_u64().is_some(),
        "{log}"
    );
    assert_eq!(log["allowed_outbound_hosts"], json!([]));
    assert_eq!(
        log["delivery_counts"],
        json!({ "pending": 0, "running": 0, "done": 6, "skipped": 0, "dead": 0 })
    );
    assert_eq!(log["last_error"], Value::Null);

    let hostile_hash = sha256_hex(&wasm("hostile"));
    let fail = info("fail");
    assert_eq!(fail["loaded"], true);
    assert_eq!(fail["content_hash"], hostile_hash.as_str());
    assert_eq!(fail["subscriptions"], json!(["prospect.updated"]));
    assert_eq!(
        fail["delivery_counts"],
        json!({ "pending": 0, "running": 0, "done": 0, "skipped": 0, "dead": 2 })
    );
    let last_error = &fail["last_error"];
    assert_eq!(last_error["message"], "failed: permanent", "{fail}");
    let fail_ids = db_delivery_ids(&db, |d| d.plugin == "fail");
    assert!(
        fail_ids.contains(&id_of(&last_error["delivery_id"])),
        "{last_error}"
    );
    assert!(last_error["at"].as_i64().is_some(), "{last_error}");

    let stuck = info("stuck");
    assert_eq!(stuck["subscriptions"], json!(["activity.email.opened"]));
    assert_eq!(stuck["delivery_counts"]["pending"], 1, "{stuck}");
    assert!(
        stuck["last_error"]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("fault"),
        "{stuck}"
    );

    // Removed from the folder: listed from its deliveries, not loaded.
    env.remove_plugin_file("fail.wasm");
    env.remove_plugin_file("fail.toml");
    let fail = eventually_or("`fail` to be unloaded", SOON, || {
        let fail = plugin(&host, "fail").expect("a plugin with deliveries stays listed");
        if fail["loaded"] == false {
            Ok(fail)
        } else {
            Err(fail.to_string())
        }
    });
    assert_eq!(fail["content_hash"], Value::Null, "{fail}");
    assert_eq!(fail["limits"], Value::Null, "{fail}");
    assert_eq!(fail["subscriptions"], json!([]), "{fail}");
    assert_eq!(fail["delivery_counts"]["dead"], 2, "{fail}");
    assert_eq!(fail["last_error"]["message"], "failed: permanent", "{fail}");
    assert_eq!(plugin(&host, "log").unwrap()["loaded"], true);
    assert_eq!(
        listed(&[("plugin", "fail")]),
        fail_ids,
        "its deliveries stay listed"
    );
    drop(host);
}
