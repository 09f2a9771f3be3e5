//! The event list with its filters and paging, and one event with its deliveries and runs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};

use super::{as_set, hostile};
use crate::support::admin::{
    assert_problem, assert_unique_keys, event, event_deliveries, events, ids, list_pages,
};
use crate::support::host::Config;
use crate::support::payload::{all_items, prospect_event, reply, single_event};
use crate::support::plugins::{manifest, wasm};
use crate::support::{SOON, now_ms, sha256_hex};

/// The event list: by type, by time of receipt (`since` inclusive, `until` exclusive, Unix ms),
/// by email (exact, `+` and `@` encoded in the query), and combined; newest first; paging with
/// `limit` and `next_cursor` gives every event exactly once; bad queries are 400 problems.
#[test]
fn events_are_listed_by_type_time_and_email_and_paged() {
    let env = crate::SUITE.env_with(Config::with_admin());
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    let host = env.start();
    let db = env.db();
    const ANA: &str = "ana+crm@example.com";

    // Batch 1 (the `sent` fixture: one webhook with three events).
    let sent = all_items("activity.email.sent", 1);
    let first = [
        prospect_event("prospect.created", 101, ANA, "b1-1"),
        prospect_event("prospect.created", 102, "bo@example.com", "b1-2"),
        prospect_event("prospect.created", 103, "cy@example.com", "b1-3"),
        prospect_event("prospect.updated", 101, ANA, "b1-4"),
        sent,
    ]
    .map(|body| host.ingest(&body));
    assert_eq!(first[4].events, 3, "{:?}", first[4]);
    // A clear gap between the batches, so that a time between them separates them.
    std::thread::sleep(Duration::from_millis(50));
    let middle = now_ms();
    std::thread::sleep(Duration::from_millis(50));
    // Batch 2.
    let second = [
        reply(104, "dee@example.com", "hello"),
        reply(101, ANA, "re: hello"),
        single_event("activity.email.opened", 105, "eve@example.com"),
        prospect_event("prospect.updated", 102, "bo@example.com", "b2-4"),
    ]
    .map(|body| host.ingest(&body));
    let end = now_ms() + 1;
    db.wait_idle(SOON);

    let stored = db.events();
    assert_eq!(stored.len(), 11);
    let webhooks_of = |batch: &[crate::support::host::Ingested]| -> BTreeSet<String> {
        batch
            .iter()
            .map(|ingested| ingested.webhook_id.clone())
            .collect()
    };
    let (first, second) = (webhooks_of(&first), webhooks_of(&second));
    let expect = |keep: &dyn Fn(&crate::support::db::Event) -> bool| -> BTreeSet<String> {
        stored
            .iter()
            .filter(|event| keep(event))
            .map(|event| event.id.clone())
            .collect()
    };
    let listed = |pairs: &[(&str, &str)]| as_set(ids(&events(&host, pairs)));

    // Everything, newest first, each with its summary.
    let all = events(&host, &[]);
    assert_eq!(as_set(ids(&all)), expect(&|_| true));
    let received: Vec<i64> = all
        .iter()
        .map(|item| {
            item["received_at"]
                .as_i64()
                .expect("received_at is Unix ms")
        })
        .collect();
    assert!(
        received.windows(2).all(|pair| pair[0] >= pair[1]),
        "newest first: {received:?}"
    );
    for item in &all {
        let id = item["id"].as_str().unwrap();
        let row = stored.iter().find(|event| event.id == id).unwrap();
        assert_eq!(item["webhook_id"], row.webhook_id.as_str(), "{item}");
        assert_eq!(item["event_type"], row.event_type.as_str(), "{item}");
        assert_eq!(item["email"], json!(row.email), "{item}");
        assert_eq!(item["prospect_id"], json!(row.prospect_id), "{item}");
        assert_eq!(
            item["delivery_counts"],
            json!({ "pending": 0, "running": 0, "done": 1, "skipped": 0, "dead": 0 }),
            "one delivery to `log`, done: {item}"
        );
    }

    // By type.
    for event_type in [
        "prospect.created",
        "prospect.updated",
        "activity.email.sent",
        "activity.email.replied",
        "activity.email.opened",
    ] {
        assert_eq!(
            listed(&[("event_type", event_type)]),
            expect(&|event| event.event_type == event_type),
            "event_type={event_type}"
        );
    }
    assert_eq!(
        listed(&[("event_type", "activity.email.bounced")]),
        BTreeSet::new()
    );

    // By time of receipt.
    let middle_text = middle.to_string();
    let end_text = end.to_string();
    let in_first = expect(&|event| first.contains(&event.webhook_id));
    let in_second = expect(&|event| second.contains(&event.webhook_id));
    assert_eq!(in_first.len(), 7);
    assert_eq!(in_second.len(), 4);
    assert_eq!(
        listed(&[("since", &middle_text)]),
        in_second,
        "since = between the batches"
    );
    assert_eq!(
        listed(&[("until", &middle_text)]),
        in_first,
        "until = between the batches"
    );
    assert_eq!(
        listed(&[("since", "0"), ("until", &end_text)]),
        expect(&|_| true)
    );
    assert_eq!(
        listed(&[("since", &end_text)]),
        BTreeSet::new(),
        "since = after everything"
    );
    // `since` is inclusive and `until` exclusive: a window of one millisecond around one event.
    let one = &all[0];
    let at = one["received_at"].as_i64().unwrap();
    let window = listed(&[("since", &at.to_string()), ("until", &(at + 1).to_string())]);
    assert!(window.contains(one["id"].as_str().unwrap()), "{window:?}");
    assert!(
        !listed(&[("since", &(at + 1).to_string())]).contains(one["id"].as_str().unwrap()),
        "an event received at `since - 1` is not listed"
    );
    assert!(
        !listed(&[("until", &at.to_string())]).contains(one["id"].as_str().unwrap()),
        "an event received at `until` is not listed"
    );

    // By email (exact; the `+` must survive the query string).
    assert_eq!(
        listed(&[("email", ANA)]),
        expect(&|event| event.email.as_deref() == Some(ANA))
    );
    assert_eq!(
        listed(&[("email", ANA)]).len(),
        3,
        "created, updated and replied"
    );
    assert_eq!(
        listed(&[("email", "bo@example.com")]),
        expect(&|event| event.email.as_deref() == Some("bo@example.com"))
    );
    assert_eq!(listed(&[("email", "nobody@example.com")]), BTreeSet::new());

    // Combined.
    assert_eq!(
        listed(&[("event_type", "prospect.updated"), ("since", &middle_text)]),
        expect(
            &|event| event.event_type == "prospect.updated" && second.contains(&event.webhook_id)
        )
    );
    assert_eq!(
        listed(&[("email", ANA), ("until", &middle_text)]).len(),
        2,
        "ana's created and updated came in the first batch"
    );

    // Paging: every event exactly once, whatever the page size; pages in the same order as one
    // big page.
    let everything = ids(&all);
    for limit in [1, 2, 3, 10, 11, 500] {
        let (items, pages) = list_pages(&host, "/api/v1/events", &[], limit);
        assert_eq!(ids(&items), everything, "limit {limit}");
        assert_eq!(
            pages,
            everything.len().div_ceil(limit as usize).max(1),
            "limit {limit}"
        );
    }
    let (items, pages) = list_pages(
        &host,
        "/api/v1/events",
        &[("event_type", "prospect.created")],
        2,
    );
    assert_eq!((items.len(), pages), (3, 2));
    assert_eq!(
        as_set(ids(&items)),
        expect(&|event| event.event_type == "prospect.created")
    );

    // Bad queries.
    for bad in [
        "limit=0",
        "limit=501",
        "limit=-1",
        "limit=many",
        "since=yesterday",
        "until=1.5",
    ] {
        let response = host.admin_get(&format!("/api/v1/events?{bad}"));
        assert_problem(&response, 400, "invalid-query");
    }
    drop(host);
}

/// `GET /api/v1/events/{id}`: the event (its item and metadata) with every delivery, oldest
/// first, each with its runs (attempts, numbered from 1, with outcome, detail, build hash and the
/// plugin's log lines); an unknown id is a 404 problem.
#[test]
fn an_event_shows_its_deliveries_with_runs_and_log_lines() {
    let env = crate::SUITE.env_with(Config::with_admin());
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    env.install(
        "fail",
        "hostile",
        Some(&hostile(&["prospect.created"], "fail")),
    );
    env.install(
        "panicky",
        "hostile",
        Some(&hostile(&["prospect.created"], "panic")),
    );
    let host = env.start();
    let db = env.db();

    let ingested = host.ingest(&prospect_event(
        "prospect.created",
        4242,
        "detail@example.com",
        "detail",
    ));
    assert_eq!(ingested.deliveries, 3);
    db.wait_webhook_finished(&ingested.webhook_id, 3);
    let id = format!("{}:0", ingested.webhook_id);

    let detail = event(&host, &id);
    assert_eq!(detail["id"], id.as_str());
    assert_eq!(detail["webhook_id"], ingested.webhook_id.as_str());
    assert_eq!(detail["event_type"], "prospect.created");
    assert_eq!(detail["email"], "detail@example.com");
    assert_eq!(detail["prospect_id"], "4242");
    assert!(detail["received_at"].as_i64().is_some(), "{detail}");
    assert_eq!(
        detail["item"]["prospect"]["email"], "detail@example.com",
        "{detail}"
    );
    assert_eq!(
        detail["item"]["prospect"]["custom_fields"]["marker"], "detail",
        "{detail}"
    );
    assert_eq!(
        detail["metadata"]["event_type"], "prospect.created",
        "{detail}"
    );

    let deliveries = event_deliveries(&host, &id);
    let plugins: Vec<&str> = deliveries
        .iter()
        .map(|delivery| delivery["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(
        as_set(plugins.iter().map(|name| (*name).to_owned()).collect()),
        as_set(vec!["fail".into(), "log".into(), "panicky".into()])
    );
    let delivery_ids: Vec<i64> = deliveries
        .iter()
        .map(|delivery| delivery["id"].as_i64().unwrap())
        .collect();
    assert!(
        delivery_ids.windows(2).all(|pair| pair[0] < pair[1]),
        "oldest first"
    );
    let by_plugin: BTreeMap<&str, &Value> = plugins.iter().copied().zip(&deliveries).collect();
    let hostile_hash = sha256_hex(&wasm("hostile"));
    let log_hash = sha256_hex(&wasm("event_log"));

    for delivery in &deliveries {
        assert_eq!(delivery["event_id"], id.as_str(), "{delivery}");
        assert_eq!(delivery["event_type"], "prospect.created", "{delivery}");
        assert_eq!(delivery["origin"], "ingest", "{delivery}");
        assert_eq!(delivery["replay_of"], Value::Null, "{delivery}");
        assert_eq!(delivery["replayed_by"], Value::Null, "{delivery}");
        let runs = delivery["runs"].as_array().expect("runs");
        assert_eq!(
            delivery["attempts"],
            runs.len(),
            "one run per attempt: {delivery}"
        );
        for (index, run) in runs.iter().enumerate() {
            assert_eq!(run["attempt"], index + 1, "runs count from 1: {run}");
            assert!(run["started_at"].as_i64().is_some(), "{run}");
            assert!(run["duration_us"].as_i64().is_some(), "{run}");
        }
        // The same runs as the store holds.
        let stored = db.attempts_of(delivery["id"].as_i64().unwrap());
        assert_eq!(stored.len(), runs.len(), "{delivery}");
        for (run, attempt) in runs.iter().zip(&stored) {
            assert_eq!(run["outcome"], attempt.outcome.as_str());
            assert_eq!(run["plugin_hash"], attempt.plugin_hash.as_str());
            assert_eq!(run["logs"], attempt.logs);
        }
    }

    // Done at once, with event-log's line in the run's logs.
    let log = by_plugin["log"];
    assert_eq!(
        (log["status"].as_str(), log["attempts"].as_u64()),
        (Some("done"), Some(1))
    );
    let run = &log["runs"][0];
    assert_eq!(run["outcome"], "done");
    assert_eq!(run["plugin_hash"], log_hash.as_str());
    assert!(
        run["logs"].to_string().contains("event=prospect.created")
            && run["logs"].to_string().contains(&id),
        "event-log's line is in the run's logs: {}",
        run["logs"]
    );
    assert_eq!(log["last_error"], Value::Null);

    // A permanent failure: one run, dead.
    let fail = by_plugin["fail"];
    assert_eq!(fail["status"], "dead", "{fail}");
    assert_eq!(fail["runs"].as_array().unwrap().len(), 1);
    assert_eq!(fail["runs"][0]["outcome"], "failed");
    assert_eq!(fail["runs"][0]["detail"], "permanent");
    assert_eq!(fail["runs"][0]["plugin_hash"], hostile_hash.as_str());
    assert!(
        fail["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("permanent"),
        "{fail}"
    );

    // A panic on every attempt: retried on the schedule, then dead; each run has the panic
    // message in its logs.
    let panicky = by_plugin["panicky"];
    assert_eq!(panicky["status"], "dead", "{panicky}");
    let runs = panicky["runs"].as_array().unwrap();
    assert_eq!(
        runs.len(),
        1 + crate::support::host::RETRY_SCHEDULE.len(),
        "{panicky}"
    );
    for run in runs {
        assert_eq!(run["outcome"], "fault", "{run}");
        assert!(
            run["logs"]
                .to_string()
                .contains("hostile plugin panicked on purpose"),
            "{run}"
        );
    }

    // The summary counts them.
    let summary = events(&host, &[])
        .into_iter()
        .find(|item| item["id"] == id.as_str())
        .expect("the event is listed");
    assert_eq!(
        summary["delivery_counts"],
        json!({ "pending": 0, "running": 0, "done": 1, "skipped": 0, "dead": 2 })
    );

    // Unknown ids.
    for unknown in [
        format!("{}:1", ingested.webhook_id),
        "01ARZ3NDEKTSV4RRFFQ69G5FAV:0".to_owned(),
        "nonsense".to_owned(),
    ] {
        let response = host.admin_get(&format!("/api/v1/events/{unknown}"));
        assert_problem(&response, 404, "event-not-found");
    }
    drop(host);
}

/// The event document names each member once. (`serde_json::Value` keeps the last of repeated
/// keys, so the other tests would not see a repeated `deliveries`.)
#[test]
fn the_event_document_has_no_repeated_keys() {
    let env = crate::SUITE.env_with(Config::with_admin());
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    let host = env.start();
    let db = env.db();
    let ingested = host.ingest(&prospect_event(
        "prospect.created",
        7,
        "keys@example.com",
        "keys",
    ));
    db.wait_webhook_finished(&ingested.webhook_id, 1);
    let id = format!("{}:0", ingested.webhook_id);

    let list = host.admin_get("/api/v1/events");
    assert_unique_keys(&list.body, "GET /api/v1/events");
    let list = host.admin_get("/api/v1/deliveries");
    assert_unique_keys(&list.body, "GET /api/v1/deliveries");
    let list = host.admin_get("/api/v1/plugins");
    assert_unique_keys(&list.body, "GET /api/v1/plugins");
    let detail = host.admin_get(&format!("/api/v1/events/{id}"));
    assert_eq!(detail.status, 200, "{detail:?}");
    assert_unique_keys(&detail.body, &format!("GET /api/v1/events/{id}"));
    drop(host);
}
