//! Pausing and resuming a plugin from its card on the plugin page: the admin API's own pause, so
//! that the API and the CLI see it; its deliveries wait while it is paused and run once it is
//! resumed.

use serde_json::Value;

use crate::support::admin::{deliveries, plugin};
use crate::support::console::{Console, element_text};
use crate::support::host::Config;
use crate::support::payload::prospect_event;
use crate::support::{SOON, eventually_or};

/// The Pause button pauses the plugin (the admin API shows since when, the card says so and
/// offers Resume); an event received meanwhile waits, pending; Resume runs it.
#[test]
fn a_plugin_is_paused_and_resumed_from_the_plugin_page() {
    let env = crate::SUITE.env_with(Config::with_admin());
    env.install_event_log();
    // A second copy, never paused: once its delivery of an event is done, the dispatcher has had
    // its rounds, so the paused one's delivery of the same event is waiting, not just not yet run.
    env.install(
        "witness",
        "event_log",
        Some(&crate::support::plugins::manifest(None, &[], &[])),
    );
    let host = env.start();
    let console = Console::signed_in(&host);

    let page = console.page("/console/plugins");
    assert!(
        !page.contains("action=\"/console/plugins/event-log/resume\""),
        "a running plugin offers no Resume: {page}"
    );
    let paused = console.submit("/console/plugins", "/console/plugins/event-log/pause", &[]);
    assert_eq!(paused.status, 200, "{paused:?}");
    assert!(
        paused.body.contains("<h1>Plugin paused</h1>"),
        "{}",
        paused.body
    );
    assert!(
        element_text(&paused.body, "paused-since").is_some(),
        "{}",
        paused.body
    );
    let info = plugin(&host, "event-log").expect("event-log in the admin API's list");
    assert!(
        info["paused_since"].is_i64(),
        "the admin API sees the pause: {info:#}"
    );
    let page = console.page("/console/plugins");
    assert!(
        page.contains("action=\"/console/plugins/event-log/resume\""),
        "a paused plugin offers Resume: {page}"
    );
    assert!(page.contains("badge pending\">paused</span>"), "{page}");

    host.ingest(&prospect_event("prospect.created", 7, "p@example.com", "p"));
    eventually_or("the unpaused witness's delivery to run", SOON, || {
        let done = deliveries(&host, &[("plugin", "witness"), ("status", "done")]);
        if done.len() == 1 {
            Ok(())
        } else {
            Err(format!("{done:#?}"))
        }
    });
    let waiting = deliveries(&host, &[("plugin", "event-log")]);
    assert_eq!(waiting.len(), 1, "{waiting:#?}");
    assert_eq!(waiting[0]["status"], "pending", "{waiting:#?}");
    assert_eq!(waiting[0]["attempts"], 0, "never attempted: {waiting:#?}");

    let resumed = console.submit("/console/plugins", "/console/plugins/event-log/resume", &[]);
    assert_eq!(resumed.status, 200, "{resumed:?}");
    assert!(
        resumed.body.contains("<h1>Plugin resumed</h1>"),
        "{}",
        resumed.body
    );
    let info = plugin(&host, "event-log").expect("event-log in the admin API's list");
    assert_eq!(info["paused_since"], Value::Null, "{info:#}");
    eventually_or("the waiting delivery to run", SOON, || {
        let list = deliveries(&host, &[("plugin", "event-log"), ("status", "done")]);
        if list.len() == 1 {
            Ok(())
        } else {
            Err(format!(
                "{:#?}",
                deliveries(&host, &[("plugin", "event-log")])
            ))
        }
    });
    let page = console.page("/console/plugins");
    assert!(
        page.contains("action=\"/console/plugins/event-log/pause\""),
        "running again: {page}"
    );
}
