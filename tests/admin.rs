//! The admin API (`/api/v1`): the bearer token, the event and delivery lists with their filters
//! and paging, an event's deliveries with their runs and log lines, the plugin list, replays of
//! dead letters after a fix, and backfills of a new plugin over stored events.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};
use support::admin::{
    assert_problem, assert_unique_keys, deliveries, event, event_deliveries, events, get_json,
    id_of, ids, list_pages, plugin, plugins,
};
use support::capture::CaptureServer;
use support::db::Db;
use support::host::{ADMIN_TOKEN, Config, Env, Host};
use support::payload::{all_items, prospect_event, reply, single_event};
use support::plugins::{manifest, manifest_for, wasm};
use support::{BATCH, SOON, eventually, eventually_or, now_ms, sha256_hex};

/// The manifest of a `hostile` plugin in `mode`, receiving `events`.
fn hostile(events: &[&str], mode: &str) -> String {
    manifest_for(events, None, &[("mode", mode)], &[])
}

/// Waits for a log line of the host (after `mark`) that contains all of `needles`.
fn wait_for_log(host: &Host, mark: usize, needles: &[&str]) -> String {
    eventually(
        &format!("a host log line containing {needles:?}"),
        SOON,
        || {
            let stderr = host.stderr();
            stderr[mark..]
                .lines()
                .find(|line| needles.iter().all(|needle| line.contains(needle)))
                .map(str::to_owned)
        },
    )
}

/// The ids of the deliveries in the store matching `keep`, sorted.
fn db_delivery_ids(db: &Db, keep: impl Fn(&support::db::Delivery) -> bool) -> BTreeSet<String> {
    db.deliveries()
        .iter()
        .filter(|delivery| keep(delivery))
        .map(|delivery| delivery.id.to_string())
        .collect()
}

fn as_set(ids: Vec<String>) -> BTreeSet<String> {
    ids.into_iter().collect()
}

/// `GET` of every admin route without a token, with a wrong one, and with the right one: only
/// the right token gets through; the others get 401 problems that ask for a bearer token. The
/// host's other routes need no token.
#[test]
fn the_admin_api_needs_the_admin_token() {
    let env = Env::with_config(Config::with_admin());
    let host = env.start();

    let check_unauthorized = |response: &support::host::Response, what: &str| {
        let problem = assert_problem(response, 401, "unauthorized");
        assert_eq!(
            response.header("www-authenticate"),
            Some("Bearer"),
            "{what}: a 401 names the scheme: {response:?}"
        );
        assert!(
            !response.body.contains(ADMIN_TOKEN),
            "{what}: the answer never shows the token: {problem}"
        );
    };

    let reads = [
        "/api/v1/events",
        "/api/v1/events/01JAAAAAAAAAAAAAAAAAAAAAAA:0",
        "/api/v1/deliveries",
        "/api/v1/deliveries?status=dead",
        "/api/v1/plugins",
    ];
    let wrong = [
        "Bearer wrong-token-0123456789abcdef".to_owned(),
        format!("Bearer {ADMIN_TOKEN}x"),
        format!("Bearer {}", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1]),
        "Bearer ".to_owned(),
        // The token without the scheme, and another scheme.
        ADMIN_TOKEN.to_owned(),
        format!("Basic {ADMIN_TOKEN}"),
    ];
    for path in reads {
        let response = host.get_with_token(path, None);
        check_unauthorized(&response, &format!("GET {path} without a token"));
        for authorization in &wrong {
            let response = host
                .client()
                .get_with(path, &[("Authorization", authorization)])
                .unwrap();
            check_unauthorized(
                &response,
                &format!("GET {path} with Authorization: {authorization}"),
            );
        }
    }
    let writes = [
        ("/api/v1/deliveries/1/replay", None),
        ("/api/v1/plugins/event-log/replay-dead", None),
        (
            "/api/v1/plugins/event-log/backfill",
            Some(json!({ "since": 0 })),
        ),
    ];
    for (path, body) in &writes {
        let body = body.as_ref().map(Value::to_string).unwrap_or_default();
        let response = host.post(path, Some("application/json"), &[], body.as_bytes());
        check_unauthorized(&response, &format!("POST {path} without a token"));
        let response = host.post(
            path,
            Some("application/json"),
            &[("Authorization", "Bearer wrong-token-0123456789abcdef")],
            body.as_bytes(),
        );
        check_unauthorized(&response, &format!("POST {path} with a wrong token"));
    }

    // The right token.
    let page = get_json(&host, "/api/v1/events");
    assert_eq!(page, json!({ "items": [], "next_cursor": null }));
    let page = get_json(&host, "/api/v1/deliveries");
    assert_eq!(page, json!({ "items": [], "next_cursor": null }));
    assert_eq!(plugins(&host), Vec::<Value>::new());

    // Not behind the token: ingest, health and metrics.
    for path in ["/healthz", "/readyz", "/metrics"] {
        let response = host.get_with_token(path, None);
        assert_eq!(
            response.status, 200,
            "GET {path} needs no token: {response:?}"
        );
    }
    host.ingest(&prospect_event(
        "prospect.created",
        1,
        "token@example.com",
        "token",
    ));
    drop(host);
}

/// The authentication scheme is case-insensitive (RFC 7235 section 2.1, which RFC 6750's `Bearer`
/// follows): `bearer TOKEN` and `BEARER TOKEN` are the right token too.
#[test]
fn the_bearer_scheme_is_case_insensitive() {
    let env = Env::with_config(Config::with_admin());
    let host = env.start();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let authorization = format!("{scheme} {ADMIN_TOKEN}");
        let response = host
            .client()
            .get_with("/api/v1/events", &[("Authorization", &authorization)])
            .unwrap();
        assert_eq!(
            response.status, 200,
            "Authorization: {scheme} <the admin token>: {response:?}"
        );
    }
    drop(host);
}

/// Without `admin.token` the admin API is off: every route answers 404 `admin-disabled`, whatever
/// token is sent; the rest of the host works.
#[test]
fn without_an_admin_token_the_admin_api_is_off() {
    let env = Env::new();
    let host = env.start();
    for token in [None, Some(ADMIN_TOKEN)] {
        for path in ["/api/v1/events", "/api/v1/deliveries", "/api/v1/plugins"] {
            let response = host.get_with_token(path, token);
            assert_problem(&response, 404, "admin-disabled");
        }
        let authorization = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        let response = host.post(
            "/api/v1/plugins/event-log/backfill",
            Some("application/json"),
            &headers,
            br#"{"since": 0}"#,
        );
        assert_problem(&response, 404, "admin-disabled");
        let response = host.post("/api/v1/deliveries/1/replay", None, &headers, b"");
        assert_problem(&response, 404, "admin-disabled");
    }
    host.ingest(&prospect_event(
        "prospect.created",
        1,
        "off@example.com",
        "off",
    ));
    let health = host.get_with_token("/healthz", None);
    assert_eq!(health.status, 200);
    drop(host);
}

/// The event list: by type, by time of receipt (`since` inclusive, `until` exclusive, Unix ms),
/// by email (exact, `+` and `@` encoded in the query), and combined; newest first; paging with
/// `limit` and `next_cursor` gives every event exactly once; bad queries are 400 problems.
#[test]
fn events_are_listed_by_type_time_and_email_and_paged() {
    let env = Env::with_config(Config::with_admin());
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
    let webhooks_of = |batch: &[support::host::Ingested]| -> BTreeSet<String> {
        batch
            .iter()
            .map(|ingested| ingested.webhook_id.clone())
            .collect()
    };
    let (first, second) = (webhooks_of(&first), webhooks_of(&second));
    let expect = |keep: &dyn Fn(&support::db::Event) -> bool| -> BTreeSet<String> {
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
    let env = Env::with_config(Config::with_admin());
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
        1 + support::host::RETRY_SCHEDULE.len(),
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
    let env = Env::with_config(Config::with_admin());
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
    let env = Env::with_config(config);
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

/// A plugin fails permanently: its deliveries are dead letters. After the fix (a new manifest)
/// is reloaded, replaying one queues a new delivery (origin `replay`, `replay_of` the dead letter,
/// which gets `replayed_by` and leaves the dead-letter list) that ends done; a done delivery can
/// be replayed too. `replay-dead` replays the remaining dead letters of the plugin, once.
#[test]
fn dead_letters_are_replayed_after_the_plugin_is_fixed() {
    let env = Env::with_config(Config::with_admin());
    env.install("flaky", "hostile", Some(&hostile(&["*"], "fail")));
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    let host = env.start();
    let db = env.db();

    let webhooks = [
        host.ingest(&prospect_event(
            "prospect.created",
            11,
            "r1@example.com",
            "r1",
        )),
        host.ingest(&prospect_event(
            "prospect.updated",
            12,
            "r2@example.com",
            "r2",
        )),
        host.ingest(&reply(13, "r3@example.com", "r3")),
    ];
    for ingested in &webhooks {
        assert_eq!(ingested.deliveries, 2, "flaky and log");
        db.wait_webhook_finished(&ingested.webhook_id, 2);
    }
    let dead = deliveries(&host, &[("status", "dead"), ("plugin", "flaky")]);
    assert_eq!(dead.len(), 3, "{dead:#?}");
    for letter in &dead {
        assert_eq!(letter["last_error"], "failed: permanent", "{letter}");
    }
    let first_event = format!("{}:0", webhooks[0].webhook_id);
    let dead_of_first = dead
        .iter()
        .find(|letter| letter["event_id"] == first_event.as_str())
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    // Replaying before the fix is allowed (the delivery is finished), but would only fail again;
    // the fix first: the same build, mode `done` (a manifest of another size, so the change is
    // seen whatever the file system's timestamp resolution).
    let mark = host.stderr_mark();
    env.put_plugin_file(
        "flaky.toml",
        manifest_for(&["*"], None, &[("mode", "done"), ("secret", "fixed")], &[]).as_bytes(),
    );
    wait_for_log(&host, mark, &["plugin reloaded", "flaky"]);

    // One dead letter.
    let response = host.admin_post(&format!("/api/v1/deliveries/{dead_of_first}/replay"), None);
    assert_eq!(response.status, 202, "{response:?}");
    let queued = response.json();
    assert_eq!(queued["count"], 1, "{queued}");
    let replay_id = queued["deliveries"][0]
        .as_i64()
        .expect("the new delivery's id");
    assert_ne!(replay_id, dead_of_first);

    let (old, new) = eventually_or("the replay to be done", SOON, || {
        let list = event_deliveries(&host, &first_event);
        let find = |id: i64| list.iter().find(|d| d["id"] == id).cloned();
        match (find(dead_of_first), find(replay_id)) {
            (Some(old), Some(new)) if new["status"] == "done" => Ok((old, new)),
            _ => Err(format!("{list:#?}")),
        }
    });
    assert_eq!(new["plugin"], "flaky");
    assert_eq!(new["origin"], "replay");
    assert_eq!(new["replay_of"], dead_of_first);
    assert_eq!(new["replayed_by"], Value::Null);
    assert_eq!(new["attempts"], 1);
    assert_eq!(new["runs"][0]["outcome"], "done");
    assert_eq!(new["runs"][0]["attempt"], 1);
    assert_eq!(
        old["status"], "dead",
        "the dead letter itself stays as it was: {old}"
    );
    assert_eq!(old["replayed_by"], replay_id, "{old}");
    assert_eq!(old["runs"][0]["outcome"], "failed", "{old}");

    let dead_now = deliveries(&host, &[("status", "dead"), ("plugin", "flaky")]);
    assert_eq!(dead_now.len(), 2);
    assert!(
        dead_now.iter().all(|letter| letter["id"] != dead_of_first),
        "a replayed dead letter is no longer a dead letter: {dead_now:#?}"
    );
    let flaky = plugin(&host, "flaky").unwrap();
    assert_eq!(
        flaky["delivery_counts"],
        json!({ "pending": 0, "running": 0, "done": 1, "skipped": 0, "dead": 2 }),
        "{flaky}"
    );

    // A done delivery may be replayed too.
    let log_of_first = event_deliveries(&host, &first_event)
        .into_iter()
        .find(|d| d["plugin"] == "log")
        .unwrap();
    let response = host.admin_post(
        &format!("/api/v1/deliveries/{}/replay", log_of_first["id"]),
        None,
    );
    assert_eq!(response.status, 202, "{response:?}");
    let log_replay = response.json()["deliveries"][0].as_i64().unwrap();
    eventually_or("the replay of a done delivery to run", SOON, || {
        let list = event_deliveries(&host, &first_event);
        match list.iter().find(|d| d["id"] == log_replay) {
            Some(d) if d["status"] == "done" && d["origin"] == "replay" => Ok(()),
            _ => Err(format!("{list:#?}")),
        }
    });

    // Every remaining dead letter of the plugin, once.
    let remaining: BTreeSet<i64> = dead_now.iter().map(|d| d["id"].as_i64().unwrap()).collect();
    let response = host.admin_post("/api/v1/plugins/flaky/replay-dead", None);
    assert_eq!(response.status, 202, "{response:?}");
    let queued = response.json();
    assert_eq!(queued["count"], 2, "{queued}");
    let replays: BTreeSet<i64> = queued["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_i64().unwrap())
        .collect();
    assert_eq!(replays.len(), 2);
    db.wait_idle(SOON);
    let replayed = deliveries(&host, &[("plugin", "flaky"), ("status", "done")]);
    let replayed_of: BTreeSet<i64> = replayed
        .iter()
        .filter(|d| replays.contains(&d["id"].as_i64().unwrap()))
        .map(|d| {
            assert_eq!(d["origin"], "replay", "{d}");
            d["replay_of"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(
        replayed_of, remaining,
        "each remaining dead letter replayed once, and done"
    );
    assert_eq!(
        deliveries(&host, &[("status", "dead"), ("plugin", "flaky")]),
        Vec::<Value>::new()
    );
    let again = host.admin_post("/api/v1/plugins/flaky/replay-dead", None);
    assert_eq!(again.status, 202, "{again:?}");
    assert_eq!(again.json(), json!({ "count": 0, "deliveries": [] }));
    // A plugin without dead letters, or unknown: nothing to replay.
    for name in ["log", "nope"] {
        let none = host.admin_post(&format!("/api/v1/plugins/{name}/replay-dead"), None);
        assert_eq!(none.status, 202, "{none:?}");
        assert_eq!(none.json()["count"], 0, "{name}");
    }

    // In the store: three dead letters, each replayed by a done delivery of the fixed build.
    let flaky_rows = db.deliveries_of_plugin("flaky");
    assert_eq!(flaky_rows.len(), 6, "{flaky_rows:#?}");
    assert_eq!(flaky_rows.iter().filter(|d| d.status == "dead").count(), 3);
    assert_eq!(flaky_rows.iter().filter(|d| d.status == "done").count(), 3);
    let flaky = plugin(&host, "flaky").unwrap();
    assert_eq!(
        flaky["delivery_counts"],
        json!({ "pending": 0, "running": 0, "done": 3, "skipped": 0, "dead": 0 }),
        "{flaky}"
    );
    drop(host);
}

/// A plugin added after events were stored has no deliveries of them; a backfill queues one
/// delivery per stored event of the given types (and time window) it has none of, which run and
/// end done; a second backfill queues nothing; a backfill for a plugin that is not loaded is a
/// 404 problem, a bad body a 400 one.
#[test]
fn a_new_plugin_is_backfilled_over_stored_events() {
    let capture = CaptureServer::start();
    let env = Env::with_config(Config::with_admin());
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    let host = env.start();
    let db = env.db();

    // Batch 1, then batch 2.
    let created = [
        host.ingest(&prospect_event(
            "prospect.created",
            21,
            "c1@example.com",
            "c1",
        )),
        host.ingest(&prospect_event(
            "prospect.created",
            22,
            "c2@example.com",
            "c2",
        )),
    ];
    let sent = host.ingest(&all_items("activity.email.sent", 100));
    std::thread::sleep(Duration::from_millis(50));
    let middle = now_ms();
    std::thread::sleep(Duration::from_millis(50));
    let replies = [
        host.ingest(&reply(23, "r1@example.com", "first reply")),
        host.ingest(&reply(24, "r2@example.com", "second reply")),
    ];
    let opened = host.ingest(&single_event("activity.email.opened", 25, "o@example.com"));
    db.wait_idle(SOON);
    assert_eq!(db.totals().events, 8);
    assert_eq!(db.deliveries().len(), 8, "only `log` so far");
    let event_of = |ingested: &support::host::Ingested| format!("{}:0", ingested.webhook_id);
    let reply_events: BTreeSet<String> = replies.iter().map(event_of).collect();

    // Added: reply-forwarder as `fwd`, and event-log again as `audit`.
    env.install(
        "fwd",
        "reply_forwarder",
        Some(&manifest(
            Some(&capture.host()),
            &[("url", &format!("{}/replies", capture.url()))],
            &[],
        )),
    );
    env.install("audit", "event_log", Some(&manifest(None, &[], &[])));
    eventually("fwd and audit to be loaded", SOON, || {
        let list = plugins(&host);
        let loaded = |name: &str| {
            list.iter()
                .any(|p| p["name"] == name && p["loaded"] == true)
        };
        (loaded("fwd") && loaded("audit")).then_some(())
    });
    assert_eq!(deliveries(&host, &[("plugin", "fwd")]), Vec::<Value>::new());
    assert_eq!(
        deliveries(&host, &[("plugin", "audit")]),
        Vec::<Value>::new()
    );
    assert_eq!(capture.len(), 0);

    // fwd over the stored replies.
    let response = host.admin_post(
        "/api/v1/plugins/fwd/backfill",
        Some(&json!({ "event_types": ["activity.email.replied"], "since": 0 })),
    );
    assert_eq!(response.status, 202, "{response:?}");
    let queued = response.json();
    assert_eq!(queued["count"], 2, "{queued}");
    assert_eq!(
        queued["deliveries"].as_array().unwrap().len(),
        2,
        "{queued}"
    );
    let done = eventually_or("the backfilled fwd deliveries to be done", SOON, || {
        let list = deliveries(&host, &[("plugin", "fwd")]);
        if list.len() == 2 && list.iter().all(|d| d["status"] == "done") {
            Ok(list)
        } else {
            Err(format!("{list:#?}"))
        }
    });
    let backfilled: BTreeSet<String> = done
        .iter()
        .map(|d| {
            assert_eq!(d["origin"], "backfill", "{d}");
            assert_eq!(d["replay_of"], Value::Null, "{d}");
            d["event_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(backfilled, reply_events);
    let keys: BTreeSet<String> = eventually("fwd's two requests", SOON, || {
        let requests = capture.requests();
        (requests.len() >= 2).then_some(requests)
    })
    .iter()
    .map(|request| {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/replies")
        );
        request.header("idempotency-key").unwrap_or("").to_owned()
    })
    .collect();
    assert_eq!(keys, reply_events, "one request per stored reply");
    // Again: nothing left, with the types given or the plugin's own.
    for body in [
        json!({ "event_types": ["activity.email.replied"], "since": 0 }),
        json!({ "since": 0 }),
    ] {
        let response = host.admin_post("/api/v1/plugins/fwd/backfill", Some(&body));
        assert_eq!(response.status, 202, "{response:?}");
        assert_eq!(
            response.json(),
            json!({ "count": 0, "deliveries": [] }),
            "{body}"
        );
    }

    // audit (every event) in three steps: several types within a window, several types, then
    // its own subscriptions (all); each event once.
    let step = |body: Value, expected: usize| {
        let response = host.admin_post("/api/v1/plugins/audit/backfill", Some(&body));
        assert_eq!(response.status, 202, "{body}: {response:?}");
        let queued = response.json();
        assert_eq!(queued["count"], expected, "{body}: {queued}");
        db.wait_idle(SOON);
    };
    step(
        json!({
            "event_types": ["prospect.created", "activity.email.replied"],
            "since": 0,
            "until": middle,
        }),
        2,
    );
    let audit_events = || -> BTreeSet<String> {
        deliveries(&host, &[("plugin", "audit")])
            .iter()
            .map(|d| d["event_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        audit_events(),
        created.iter().map(event_of).collect::<BTreeSet<_>>(),
        "only the created events before `until`"
    );
    step(
        json!({
            "event_types": ["prospect.created", "activity.email.replied", "activity.email.sent"],
            "since": 0,
        }),
        5,
    );
    step(json!({ "since": 0 }), 1);
    step(json!({ "since": 0 }), 0);
    let audit = deliveries(&host, &[("plugin", "audit")]);
    assert_eq!(audit.len(), 8);
    let all_events: BTreeSet<String> = db.events().into_iter().map(|event| event.id).collect();
    assert_eq!(audit_events(), all_events, "every stored event once");
    for delivery in &audit {
        assert_eq!(delivery["status"], "done", "{delivery}");
        assert_eq!(delivery["origin"], "backfill", "{delivery}");
    }
    assert!(all_events.contains(&event_of(&opened)));
    assert!(all_events.contains(&format!("{}:2", sent.webhook_id)));

    // Not loaded, and bad bodies.
    let response = host.admin_post(
        "/api/v1/plugins/nope/backfill",
        Some(&json!({ "since": 0 })),
    );
    assert_problem(&response, 404, "plugin-not-loaded");
    for bad in [
        "{}",
        "not json",
        r#"{"since": "yesterday"}"#,
        r#"{"since": 0, "event_types": "prospect.created"}"#,
    ] {
        let response = host.post(
            "/api/v1/plugins/fwd/backfill",
            Some("application/json"),
            &[("Authorization", &format!("Bearer {ADMIN_TOKEN}"))],
            bad.as_bytes(),
        );
        assert_problem(&response, 400, "invalid-body");
    }
    db.wait_idle(BATCH);
    assert_eq!(
        db.deliveries().len(),
        8 + 2 + 8,
        "log, fwd's backfill and audit's"
    );
    drop(host);
}

/// `"event_types": []` in a backfill cannot widen what a plugin receives: reply-forwarder
/// subscribes to replies only, so a backfill with an empty list of types queues at most replies
/// (or is refused), never every stored event.
#[test]
fn a_backfill_with_an_empty_type_list_stays_within_the_subscriptions() {
    let capture = CaptureServer::start();
    let env = Env::with_config(Config::with_admin());
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    let host = env.start();
    let db = env.db();
    host.ingest(&prospect_event(
        "prospect.created",
        31,
        "e1@example.com",
        "e1",
    ));
    host.ingest(&single_event("activity.email.opened", 32, "e2@example.com"));
    host.ingest(&reply(33, "e3@example.com", "e3"));
    db.wait_idle(SOON);
    env.install(
        "fwd",
        "reply_forwarder",
        Some(&manifest(
            Some(&capture.host()),
            &[("url", &format!("{}/replies", capture.url()))],
            &[],
        )),
    );
    eventually("fwd to be loaded", SOON, || {
        plugin(&host, "fwd")
            .is_some_and(|p| p["loaded"] == true)
            .then_some(())
    });

    let response = host.admin_post(
        "/api/v1/plugins/fwd/backfill",
        Some(&json!({ "event_types": [], "since": 0 })),
    );
    db.wait_idle(SOON);
    let queued: Vec<String> = deliveries(&host, &[("plugin", "fwd")])
        .iter()
        .map(|d| d["event_type"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        queued
            .iter()
            .all(|event_type| event_type == "activity.email.replied"),
        "a backfill of `fwd` (subscribed to activity.email.replied) with \"event_types\": [] \
         queued deliveries of other types: {queued:?} (answer: {response:?})"
    );
    assert!(
        matches!(response.status, 202 | 400),
        "an empty list of types is queued or refused: {response:?}"
    );
    drop(host);
}
