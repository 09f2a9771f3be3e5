//! The console's actions, the admin API's own, posted from its pages' forms: a dead letter
//! replayed after the fix and seen done, every dead letter of a plugin after a confirmation with
//! the count, and a backfill that says how many deliveries it queued.

use super::hostile;
use crate::support::admin::{deliveries, event_deliveries};
use crate::support::console::{Console, element_text};
use crate::support::host::Config;
use crate::support::payload::prospect_event;
use crate::support::plugins::{manifest, manifest_for};
use crate::support::{SOON, eventually_or};

/// Three dead letters of a failing plugin. After the fix, one is replayed from the delivery list
/// and its event page shows the replay done; the plugin's remaining two are replayed after a
/// confirmation page that counts them; a second confirmation finds none.
#[test]
fn dead_letters_are_replayed_from_the_console_after_the_fix() {
    let env = crate::SUITE.env_with(Config::with_admin());
    env.install("flaky", "hostile", Some(&hostile(&["*"], "fail", &[])));
    let host = env.start();
    let db = env.db();
    for n in 1..=3 {
        let ingested = host.ingest(&prospect_event(
            "prospect.created",
            n,
            &format!("r{n}@example.com"),
            "r",
        ));
        db.wait_webhook_finished(&ingested.webhook_id, 1);
    }
    let dead = deliveries(&host, &[("status", "dead")]);
    assert_eq!(dead.len(), 3);
    let mark = host.stderr_mark();
    env.put_plugin_file(
        "flaky.toml",
        manifest_for(&["*"], None, &[("mode", "done"), ("fixed", "yes")], &[]).as_bytes(),
    );
    host.wait_for_stderr("plugin reloaded", mark, SOON);

    let console = Console::signed_in(&host);
    let letter = &dead[0];
    let (id, event) = (
        letter["id"].as_i64().unwrap(),
        letter["event_id"].as_str().unwrap(),
    );
    let response = console.submit(
        "/console/deliveries?status=dead",
        &format!("/console/deliveries/{id}/replay"),
        &[("back", event)],
    );
    assert_eq!(response.status, 200, "{response:?}");
    let new: i64 = element_text(&response.body, "new-delivery")
        .expect("the new delivery's id")
        .parse()
        .unwrap();
    assert!(
        response
            .body
            .contains(&format!("/console/events/{event}#delivery-{new}"))
    );
    eventually_or("the replay to be done", SOON, || {
        let page = console.page(&format!("/console/events/{event}"));
        let list = event_deliveries(&host, event);
        match list.iter().find(|d| d["id"] == new) {
            Some(replay) if replay["status"] == "done" && page.contains("badge replayed") => Ok(()),
            _ => Err(format!("{list:#?}")),
        }
    });
    let again = console.submit(
        &format!("/console/events/{event}"),
        &format!("/console/deliveries/{new}/replay"),
        &[],
    );
    assert_eq!(
        again.status, 200,
        "a done delivery can be replayed too: {again:?}"
    );

    let confirm = console.page("/console/plugins/flaky/replay-dead");
    assert!(
        confirm.contains("Replay <strong>2</strong> dead letter(s) of flaky?"),
        "the count to replay: {confirm}"
    );
    let response = console.submit(
        "/console/plugins/flaky/replay-dead",
        "/console/plugins/flaky/replay-dead",
        &[],
    );
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(
        element_text(&response.body, "queued-count").as_deref(),
        Some("2")
    );
    let confirm = console.page("/console/plugins/flaky/replay-dead");
    assert!(confirm.contains("has no dead letters"), "{confirm}");
    eventually_or("every replay done", SOON, || {
        let dead = deliveries(&host, &[("status", "dead")]);
        let pending = deliveries(&host, &[("status", "pending")]);
        if dead.is_empty() && pending.is_empty() {
            Ok(())
        } else {
            Err(format!("{dead:#?} {pending:#?}"))
        }
    });
}

/// A plugin added after events were stored is backfilled from its card on the plugin page: the
/// answer says how many deliveries were queued, and they are the events it had none of. A bad
/// time and a type it does not subscribe to are refused with what is wrong.
#[test]
fn a_backfill_from_the_plugin_page_says_how_many_it_queued() {
    let env = crate::SUITE.env_with(Config::with_admin());
    let host = env.start();
    let db = env.db();
    for n in 1..=3 {
        host.ingest(&prospect_event(
            "prospect.created",
            n,
            &format!("b{n}@example.com"),
            "b",
        ));
    }
    db.wait_idle(SOON);
    assert!(db.deliveries().is_empty());
    let mark = host.stderr_mark();
    env.install("late", "event_log", Some(&manifest(None, &[], &[])));
    host.wait_for_stderr("late", mark, SOON);
    let console = Console::signed_in(&host);
    eventually_or("late to be loaded", SOON, || {
        let page = console.page("/console/plugins");
        if page.contains("action=\"/console/plugins/late/backfill\"") {
            Ok(())
        } else {
            Err(page)
        }
    });

    let refused = console.submit(
        "/console/plugins",
        "/console/plugins/late/backfill",
        &[("since", "not a time")],
    );
    assert_eq!(refused.status, 400, "{refused:?}");
    assert!(
        refused.body.contains("since `not a time`"),
        "{}",
        refused.body
    );

    let response = console.submit(
        "/console/plugins",
        "/console/plugins/late/backfill",
        &[
            ("event_types", "prospect.created"),
            ("since", "2000-01-01T00:00"),
            ("until", ""),
        ],
    );
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(
        element_text(&response.body, "queued-count").as_deref(),
        Some("3")
    );
    eventually_or("the backfill to run", SOON, || {
        let done = deliveries(&host, &[("plugin", "late"), ("status", "done")]);
        if done.len() == 3 {
            Ok(())
        } else {
            Err(format!("{done:#?}"))
        }
    });
    let again = console.submit(
        "/console/plugins",
        "/console/plugins/late/backfill",
        &[("since", "2000-01-01T00:00")],
    );
    assert_eq!(
        element_text(&again.body, "queued-count").as_deref(),
        Some("0"),
        "once"
    );
}
