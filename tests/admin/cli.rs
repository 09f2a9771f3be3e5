//! Every admin command of the CLI against a live host whose store has data in every table: done
//! deliveries with log lines, dead letters, replays, a backfill, a plugin whose load failed. Each
//! table is read into the types the host sends (the ones the OpenAPI document is generated
//! from), so a table that shows is an answer the CLI decoded; each `--json` prints the API's
//! answer unchanged.

use std::process::Output;

use serde_json::Value;

use super::{hostile, wait_for_log};
use crate::support::admin::{deliveries, event, get_json, plugin};
use crate::support::exit::{expect_exit, text};
use crate::support::host::{ADMIN_TOKEN, Config, Host};
use crate::support::payload::{prospect_event, reply};
use crate::support::plugins::{manifest, manifest_for};
use crate::support::{SOON, eventually};

/// `smartreach-hooks ARGS --url HOST --admin-token TOKEN`.
fn admin_command(host: &Host, args: &[&str]) -> Output {
    crate::SUITE
        .command()
        .args(args)
        .args(["--url", &host.url(""), "--admin-token", ADMIN_TOKEN])
        .output()
        .expect("running smartreach-hooks")
}

/// The stdout of a command that must exit 0 and print nothing on stderr.
fn ok(host: &Host, args: &[&str]) -> String {
    let output = admin_command(host, args);
    expect_exit(&output, 0, &format!("smartreach-hooks {}", args.join(" ")));
    assert_eq!(text(&output.stderr), "", "{args:?} writes no error");
    text(&output.stdout)
}

/// The `--json` output of a command, which must be exactly the API's answer to `path`.
fn json_matches_api(host: &Host, args: &[&str], path: &str) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let printed: Value = serde_json::from_str(&ok(host, &args)).expect("--json prints JSON");
    assert_eq!(
        printed,
        get_json(host, path),
        "{args:?} prints {path} as is"
    );
    printed
}

#[test]
fn every_admin_command_reads_what_a_filled_host_answers() {
    let env = crate::SUITE.env_with(Config::with_admin());
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    env.install("flaky", "hostile", Some(&hostile(&["*"], "fail")));
    env.put_plugin_file("broken.wasm", b"not a component");
    let host = env.start();
    let db = env.db();

    let webhooks = [
        host.ingest(&prospect_event(
            "prospect.created",
            21,
            "c1@example.com",
            "c1",
        )),
        host.ingest(&reply(22, "c2@example.com", "c2")),
    ];
    for ingested in &webhooks {
        db.wait_webhook_finished(&ingested.webhook_id, 2);
    }
    let first_event = format!("{}:0", webhooks[0].webhook_id);
    let reply_event = format!("{}:0", webhooks[1].webhook_id);

    // `events`: one row per event, with its deliveries by status.
    let table = ok(&host, &["events"]);
    for id in [&first_event, &reply_event] {
        let row = table
            .lines()
            .find(|line| line.contains(id.as_str()))
            .unwrap_or_else(|| panic!("{id} in\n{table}"));
        assert!(row.contains("1 done, 1 dead"), "{row}");
    }
    assert!(table.contains("c1@example.com") && table.contains("c2@example.com"));
    json_matches_api(&host, &["events"], "/api/v1/events?limit=50");
    let filtered = ok(&host, &["events", "--type", "activity.email.replied"]);
    assert!(filtered.contains(&reply_event) && !filtered.contains(&first_event));

    // `events show`: the event, each delivery, its attempts and the plugin's log lines.
    let shown = ok(&host, &["events", "show", &first_event]);
    for needle in [
        format!("event     {first_event}"),
        "prospect  21 <c1@example.com>".to_owned(),
        "to log: done, 1 attempt (ingest)".to_owned(),
        "to flaky: dead, 1 attempt (ingest)".to_owned(),
        "last error: failed: permanent".to_owned(),
    ] {
        assert!(shown.contains(&needle), "{needle:?} in\n{shown}");
    }
    let attempts: Vec<&str> = shown
        .lines()
        .filter(|line| line.starts_with("  attempt 1  "))
        .collect();
    assert_eq!(attempts.len(), 2, "one attempt per delivery:\n{shown}");
    assert!(
        attempts.iter().any(|line| line.contains("  done  ")),
        "{shown}"
    );
    assert!(
        attempts.iter().any(|line| line.contains("  failed  ")),
        "{shown}"
    );
    let api_event = json_matches_api(
        &host,
        &["events", "show", &first_event],
        &format!("/api/v1/events/{first_event}"),
    );
    let logs: Vec<&Value> = api_event["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|delivery| delivery["runs"].as_array().unwrap())
        .flat_map(|run| run["logs"].as_array().unwrap())
        .collect();
    assert!(
        !logs.is_empty(),
        "the plugins logged something: {api_event}"
    );
    for log in logs {
        let line = format!(
            "    {:<5} {:<6} {}",
            log["level"].as_str().unwrap(),
            log["source"].as_str().unwrap(),
            log["message"].as_str().unwrap()
        );
        assert!(shown.contains(&line), "{line:?} in\n{shown}");
    }

    // `deliveries`: filtered by status and plugin.
    let dead = deliveries(&host, &[("status", "dead"), ("plugin", "flaky")]);
    assert_eq!(dead.len(), 2, "{dead:#?}");
    let table = ok(
        &host,
        &["deliveries", "--status", "dead", "--plugin", "flaky"],
    );
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{table}");
    for letter in &dead {
        let id = letter["id"].to_string();
        assert!(
            rows.iter()
                .any(|row| row.split_whitespace().next() == Some(id.as_str())
                    && row.contains("failed: permanent")),
            "dead letter {id} in\n{table}"
        );
    }
    json_matches_api(
        &host,
        &["deliveries", "--status", "dead", "--plugin", "flaky"],
        "/api/v1/deliveries?limit=50&status=dead&plugin=flaky",
    );

    // The fix (mode `done`, a manifest of another size so that the change is seen), then
    // `replay ID` and `replay --dead`: each names the new delivery, which ends done.
    let mark = host.stderr_mark();
    env.put_plugin_file(
        "flaky.toml",
        manifest_for(&["*"], None, &[("mode", "done"), ("secret", "fixed")], &[]).as_bytes(),
    );
    wait_for_log(&host, mark, &["plugin reloaded", "flaky"]);
    let first_dead = dead
        .iter()
        .find(|letter| letter["event_id"] == first_event.as_str())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let replayed = ok(&host, &["replay", &first_dead.to_string()]);
    let replay_id = replayed
        .strip_prefix("queued 1 delivery: ")
        .and_then(|rest| rest.trim().parse::<i64>().ok())
        .unwrap_or_else(|| panic!("one new delivery id: {replayed:?}"));
    let rest = ok(&host, &["replay", "--dead", "--plugin", "flaky"]);
    assert!(rest.starts_with("queued 1 delivery: "), "{rest}");
    for ingested in &webhooks {
        db.wait_webhook_finished(&ingested.webhook_id, 3);
    }
    let shown = ok(&host, &["events", "show", &first_event]);
    assert!(
        shown.contains(&format!("replayed by delivery {replay_id}"))
            && shown.contains(&format!("replay of delivery {first_dead}")),
        "{shown}"
    );
    let table = ok(&host, &["deliveries", "--plugin", "flaky"]);
    let replay_row = table
        .lines()
        .find(|line| line.split_whitespace().next() == Some(replay_id.to_string().as_str()))
        .unwrap_or_else(|| panic!("replay {replay_id} in\n{table}"));
    assert!(
        replay_row.contains(&format!("done (replay of {first_dead})")),
        "{table}"
    );

    // `backfill`: a plugin added later gets the stored events.
    env.install("late", "event_log", Some(&manifest(None, &[], &[])));
    eventually("late to be loaded", SOON, || {
        plugin(&host, "late")
            .is_some_and(|p| p["loaded"] == true)
            .then_some(())
    });
    let backfilled = ok(&host, &["backfill", "--plugin", "late", "--since", "0"]);
    assert!(
        backfilled.starts_with("queued 2 deliveries: "),
        "{backfilled}"
    );
    eventually("the backfill to run", SOON, || {
        let done = deliveries(&host, &[("status", "done"), ("plugin", "late")]);
        (done.len() == 2).then_some(())
    });

    // `plugins`: every plugin with its counts, the failed load below the table.
    let table = ok(&host, &["plugins"]);
    let row = |name: &str| -> Vec<String> {
        table
            .lines()
            .find(|line| line.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} in\n{table}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    // NAME LOADED HASH EVENTS PENDING RUNNING DONE SKIPPED DEAD
    assert_eq!(row("log")[1..2], ["yes"]);
    assert_eq!(row("log")[4..], ["0", "0", "2", "0", "0"]);
    assert_eq!(row("late")[4..], ["0", "0", "2", "0", "0"]);
    assert_eq!(row("broken")[1..4], ["no", "-", "-"]);
    assert!(
        table
            .lines()
            .any(|line| line.starts_with("broken: load failed ")),
        "{table}"
    );
    assert_eq!(
        row("flaky")[4..],
        ["0", "0", "2", "0", "0"],
        "replayed, done"
    );
    assert!(
        table.lines().any(
            |line| line.starts_with("flaky: last error ") && line.contains("failed: permanent")
        ),
        "{table}"
    );
    json_matches_api(&host, &["plugins"], "/api/v1/plugins");

    // What the tables showed is what the store holds.
    let stored = event(&host, &reply_event);
    assert_eq!(
        stored["deliveries"].as_array().unwrap().len(),
        4,
        "log, flaky, its replay and late: {stored}"
    );
}
