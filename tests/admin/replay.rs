//! Replays of dead letters after the plugin is fixed.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{hostile, wait_for_log};
use crate::support::admin::{deliveries, event_deliveries, plugin};
use crate::support::host::Config;
use crate::support::payload::{prospect_event, reply};
use crate::support::plugins::{manifest, manifest_for};
use crate::support::{SOON, eventually_or};

/// A plugin fails permanently: its deliveries are dead letters. After the fix (a new manifest)
/// is reloaded, replaying one queues a new delivery (origin `replay`, `replay_of` the dead letter,
/// which gets `replayed_by` and leaves the dead-letter list) that ends done; a done delivery can
/// be replayed too. `replay-dead` replays the remaining dead letters of the plugin, once.
#[test]
fn dead_letters_are_replayed_after_the_plugin_is_fixed() {
    let env = crate::SUITE.env_with(Config::with_admin());
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
        old["status"], "replayed",
        "the replayed dead letter no longer reads dead, as in the list and the counts: {old}"
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
