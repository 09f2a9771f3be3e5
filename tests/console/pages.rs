//! What the pages show: the overview's last hour, the event list with its filters and pages, an
//! event with its fields, payload, deliveries and attempts, the delivery list's filters, and the
//! plugins with their limits, hosts and config keys (never values).

use serde_json::{Value, json};

use super::hostile;
use crate::support::console::{Console, count, element_text};
use crate::support::host::Config;
use crate::support::payload::{fixture_json, prospect_event, reply};
use crate::support::plugins::manifest;

/// One `prospect.created` webhook of `items` items, prospects `1..=items` with emails
/// `p{n}@example.com`.
fn many_prospects(items: i64) -> Vec<u8> {
    let mut payload = fixture_json("events/prospect.created.json");
    let template = payload["data"][0].clone();
    let data: Vec<Value> = (1..=items)
        .map(|n| {
            let mut item = template.clone();
            item["prospect"]["prospect_id"] = json!(n);
            item["prospect"]["email"] = json!(format!("p{n}@example.com"));
            item
        })
        .collect();
    payload["data"] = Value::Array(data);
    serde_json::to_vec(&payload).unwrap()
}

/// The event rows of a list page.
fn event_rows(page: &str) -> usize {
    count(page, "<td><a href=\"/console/events/")
}

/// The event list: newest first, 50 to a page with a link to the older ones, filtered by type,
/// email and time range (UTC `datetime-local` values); a malformed time is a 400 page saying so.
#[test]
fn events_are_listed_newest_first_filtered_and_paged() {
    let env = crate::SUITE.env_with(Config::with_admin());
    let host = env.start();
    let db = env.db();
    host.ingest(&many_prospects(55));
    let replied = host.ingest(&reply(900, "ana@example.com", "hello"));
    db.wait_idle(crate::support::SOON);
    let console = Console::signed_in(&host);

    let first = console.page("/console/events");
    assert_eq!(event_rows(&first), 50, "{first}");
    let newest = format!("/console/events/{}:0", replied.webhook_id);
    assert!(
        first.find(&newest).unwrap() < first.find("p1@example.com").unwrap_or(usize::MAX),
        "the newest first"
    );
    let older = first
        .split("rel=\"next\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to older events")
        .replace("&amp;", "&");
    let second = console.page(&older);
    assert_eq!(event_rows(&second), 6, "{second}");
    assert!(!second.contains("rel=\"next\""), "the last page");

    let replies = console.page("/console/events?type=activity.email.replied");
    assert_eq!(event_rows(&replies), 1, "{replies}");
    assert!(replies.contains("ana@example.com"));
    let by_email = console.page("/console/events?email=p7%40example.com");
    assert_eq!(event_rows(&by_email), 1, "{by_email}");
    assert!(by_email.contains("p7@example.com"));
    let before = console.page("/console/events?until=2000-01-01T00%3A00");
    assert_eq!(event_rows(&before), 0);
    assert!(before.contains("No event matches."), "{before}");
    let since = console.page("/console/events?since=2000-01-01T00%3A00&type=prospect.created");
    assert_eq!(event_rows(&since), 50);
    assert!(
        since.contains("value=\"2000-01-01T00:00\""),
        "the form keeps the filter"
    );

    let bad = console.get("/console/events?since=yesterday");
    assert_eq!(bad.status, 400, "{bad:?}");
    assert!(
        bad.body
            .contains("since `yesterday` is not a date and time"),
        "{}",
        bad.body
    );
}

/// An event page: its fields labelled from the schema, the payload pretty-printed, each delivery
/// with its status, and every attempt with outcome, duration, the plugin's log lines and its
/// outbound requests (a request to a host it may not call, denied).
#[test]
fn an_event_shows_its_fields_payload_deliveries_and_attempts() {
    let env = crate::SUITE.env_with(Config::with_admin());
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    env.install(
        "fetcher",
        "hostile",
        Some(&hostile(
            &["*"],
            "fetch",
            &[("url", "https://blocked.example/secret-path")],
        )),
    );
    let host = env.start();
    let db = env.db();
    let ingested = host.ingest(&prospect_event(
        "prospect.created",
        4242,
        "eve@example.com",
        "m",
    ));
    db.wait_webhook_finished(&ingested.webhook_id, 2);
    let console = Console::signed_in(&host);
    let id = format!("{}:0", ingested.webhook_id);
    let page = console.page(&format!("/console/events/{id}"));

    assert_eq!(
        element_text(&page, "event-id").as_deref(),
        Some(id.as_str())
    );
    assert!(
        page.contains("Prospect&#39;s email.") || page.contains("Prospect's email."),
        "{page}"
    );
    assert!(page.contains("eve@example.com"));
    let item = element_text(&page, "payload-item")
        .expect("the data item")
        .replace("&quot;", "\"");
    assert!(item.contains("\n  \"prospect\": {"), "pretty: {item}");
    assert!(item.contains("\"prospect_id\": 4242"), "{item}");
    assert!(page.contains("<h3>log "), "{page}");
    assert!(page.contains("<h3>fetcher "), "{page}");
    assert!(page.contains("class=\"badge done\""), "{page}");
    assert!(
        page.contains(&format!("event=prospect.created id={id}")),
        "event-log's log line: {page}"
    );
    assert!(
        page.contains("https://blocked.example"),
        "the request's origin: {page}"
    );
    assert!(page.contains("denied"), "{page}");
    assert!(!page.contains("secret-path"), "never the path: {page}");
    assert!(
        page.contains(" µs</td>") || page.contains(" ms</td>"),
        "a duration: {page}"
    );

    let missing = console.get("/console/events/01AAAAAAAAAAAAAAAAAAAAAAAA:0");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("No such event"), "{}", missing.body);
}

/// The delivery list by status and plugin; the overview's counts, charts, dead letters and
/// plugins; the plugin page's limits, hosts and config keys, never a config value.
#[test]
fn deliveries_overview_and_plugins_show_the_store_s_state() {
    const SECRET: &str = "s3cr3t-value-never-shown";
    let env = crate::SUITE.env_with(Config::with_admin());
    env.install(
        "flaky",
        "hostile",
        Some(&hostile(&["*"], "fail", &[("secret", SECRET)])),
    );
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    let host = env.start();
    let db = env.db();
    for n in 1..=3 {
        let ingested = host.ingest(&prospect_event(
            "prospect.created",
            n,
            &format!("d{n}@example.com"),
            "d",
        ));
        db.wait_webhook_finished(&ingested.webhook_id, 2);
    }
    let console = Console::signed_in(&host);
    let rows = |page: &str| count(page, "<tr id=\"delivery-");

    let dead = console.page("/console/deliveries?status=dead");
    assert_eq!(rows(&dead), 3, "{dead}");
    assert_eq!(count(&dead, "<td>flaky</td>"), 3);
    assert_eq!(
        count(&dead, ">Replay</button>"),
        3,
        "a finished delivery can be replayed"
    );
    let log = console.page("/console/deliveries?plugin=log");
    assert_eq!(rows(&log), 3);
    assert_eq!(count(&log, "<td>log</td>"), 3);
    let none = console.page("/console/deliveries?status=dead&plugin=log");
    assert!(none.contains("No delivery matches."), "{none}");
    assert_eq!(console.get("/console/deliveries?status=lost").status, 400);

    let overview = console.page("/console");
    assert_eq!(
        element_text(&overview, "webhooks-last-hour").as_deref(),
        Some("3")
    );
    assert_eq!(
        element_text(&overview, "plugins-loaded").as_deref(),
        Some("2")
    );
    assert_eq!(element_text(&overview, "queue-depth").as_deref(), Some("0"));
    assert_eq!(count(&overview, "<svg"), 2, "two charts");
    assert_eq!(count(&overview, "class=\"slot\""), 120, "60 minutes each");
    assert!(
        count(&overview, "class=\"webhooks\"") >= 1,
        "a bar: {overview}"
    );
    assert!(
        count(&overview, "class=\"failed\"") >= 1,
        "a bar of failed attempts: {overview}"
    );
    assert!(
        overview.contains("failed</span> 3 "),
        "the attempts by outcome: {overview}"
    );
    assert!(
        overview.contains("<td>flaky</td><td class=\"num\">3</td>"),
        "the dead letters per plugin: {overview}"
    );

    let plugins = console.page("/console/plugins");
    assert!(plugins.contains("id=\"plugin-flaky\""), "{plugins}");
    assert!(plugins.contains("id=\"plugin-log\""));
    assert!(plugins.contains("10000 ms per event"), "limits: {plugins}");
    assert!(plugins.contains("mode, secret"), "config keys: {plugins}");
    assert!(!plugins.contains(SECRET), "never a config value: {plugins}");
    assert!(
        plugins.contains("failed: permanent"),
        "the last error: {plugins}"
    );
    assert!(plugins.contains("Replay 3 dead letter(s)"), "{plugins}");
    assert_eq!(
        count(&plugins, "/backfill\""),
        2,
        "a backfill form per loaded plugin"
    );
    assert_eq!(
        count(&plugins, "/pause\""),
        2,
        "a pause button per plugin, both running"
    );
}
