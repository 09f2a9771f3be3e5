//! The admin commands (`events`, `deliveries`, `plugins`, `replay`, `backfill`) run as the real
//! binary against a stub of the admin API, which checks the bearer token, records every request
//! and answers canned JSON shaped like the API's contract.

mod stub;

use std::process::Command;

use serde_json::{Value, json};

use smartreach_hooks_tests::closed_port::ClosedPort;
use smartreach_hooks_tests::exit::{stderr_of_failure, stdout_of_success as stdout};
use smartreach_hooks_tests::host::Suite;
use smartreach_hooks_tests::now_ms;
use stub::{Api, TOKEN, event_summary};

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: Suite = Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

/// The binary, with no admin token (nor any other `SMARTREACH_*` variable) in its environment
/// unless a test sets one.
fn cli() -> Command {
    SUITE.command()
}

/// The row of a table whose first cells are `starts`.
fn row<'a>(table: &'a str, contains: &str) -> &'a str {
    table
        .lines()
        .find(|line| line.contains(contains))
        .unwrap_or_else(|| panic!("no row with {contains:?} in\n{table}"))
}

#[test]
fn events_prints_a_table_and_sends_the_filters() {
    let api = Api::start();
    let before = now_ms();
    let output = api.run(&[
        "events",
        "--type",
        "activity.email.replied",
        "--since",
        "2h",
        "--until",
        "2026-11-27T10:00:00Z",
        "--email",
        "aisha@gulfline.example",
        "--limit",
        "20",
    ]);
    let table = stdout(&output);
    assert!(table.starts_with("RECEIVED"), "{table}");
    let line = row(&table, "01JNEWER:0");
    for cell in [
        "2026-11-27T10:00:00Z",
        "activity.email.replied",
        "7854240",
        "aisha@gulfline.example",
        "2 done, 1 dead",
    ] {
        assert!(line.contains(cell), "{cell:?} in {line:?}");
    }
    // Only the first page without --all, and a hint that there is more.
    assert!(!table.contains("01JOLDER:0"), "{table}");
    assert!(table.contains("pass --all"), "{table}");

    let seen = api.seen();
    assert_eq!(seen.len(), 1);
    let query = &seen[0].query;
    assert_eq!(query["event_type"], "activity.email.replied");
    assert_eq!(query["email"], "aisha@gulfline.example");
    assert_eq!(query["limit"], "20");
    assert_eq!(query["until"], "1795773600000");
    let since: i64 = query["since"].parse().unwrap();
    let two_hours = 2 * 3_600_000;
    assert!(
        (before - two_hours - 5_000..=now_ms() - two_hours).contains(&since),
        "since {since} is not two hours ago"
    );
}

#[test]
fn events_all_follows_the_cursor() {
    let api = Api::start();
    let table = stdout(&api.run(&["events", "--all"]));
    row(&table, "01JNEWER:0");
    row(&table, "old@example.com");
    assert!(!table.contains("pass --all"), "{table}");
    let seen = api.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].query.get("cursor"), None);
    assert_eq!(seen[1].query["cursor"], "page-2");
    assert_eq!(seen[1].query["limit"], "50");
}

#[test]
fn json_passes_the_api_answer_through() {
    let api = Api::start();
    let page: Value = serde_json::from_slice(&api.run(&["events", "--json"]).stdout).unwrap();
    assert_eq!(page["next_cursor"], "page-2");
    assert_eq!(
        page["items"][0],
        event_summary("01JNEWER:0", "aisha@gulfline.example", 2)
    );

    let plugins: Value = serde_json::from_slice(&api.run(&["plugins", "--json"]).stdout).unwrap();
    assert_eq!(
        plugins["items"][0]["allowed_outbound_hosts"],
        json!(["hooks.slack.com"])
    );
    assert_eq!(plugins["items"][0]["limits"]["memory_mib"], 64);

    let detail: Value =
        serde_json::from_slice(&api.run(&["events", "show", "01JNEWER:0", "--json"]).stdout)
            .unwrap();
    assert_eq!(
        detail["deliveries"][0]["runs"][0]["logs"][0]["message"],
        "slack answered 500"
    );
}

#[test]
fn events_show_prints_the_event_its_deliveries_attempts_and_logs() {
    let api = Api::start();
    let text = stdout(&api.run(&["events", "show", "01JNEWER:0"]));
    for needle in [
        "event     01JNEWER:0",
        "type      activity.email.replied",
        "prospect  7854240 <aisha@gulfline.example>",
        "\"version\": \"v2\"",
        "delivery 41 to slack-replies: dead, 2 attempts (ingest)",
        "last error: status 500 from hooks.slack.com",
        "attempt 1  2026-11-27T10:00:00Z  retry  2.4 ms  plugin 0123456789ab",
        "warn  host   slack answered 500",
        "http  POST https://hooks.slack.com sent",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    let missing = api.run(&["events", "show", "nope"]);
    let stderr = stderr_of_failure(&missing);
    assert_eq!(stderr.trim(), "error: No such event: no event has id nope");
}

#[test]
fn deliveries_prints_a_table_and_sends_the_filters() {
    let api = Api::start();
    let table = stdout(&api.run(&[
        "deliveries",
        "--status",
        "dead",
        "--plugin",
        "slack-replies",
        "--type",
        "activity.email.replied",
    ]));
    let line = row(&table, "slack-replies");
    for cell in [
        "41",
        "01JNEWER:0",
        "dead",
        "4",
        "status 500 from hooks.slack.com",
    ] {
        assert!(line.contains(cell), "{cell:?} in {line:?}");
    }
    let query = &api.seen()[0].query;
    assert_eq!(query["status"], "dead");
    assert_eq!(query["plugin"], "slack-replies");
    assert_eq!(query["event_type"], "activity.email.replied");
}

#[test]
fn plugins_prints_counts_and_the_last_error() {
    let api = Api::start();
    let table = stdout(&api.run(&["plugins"]));
    let cells: Vec<&str> = row(&table, "slack-replies").split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "slack-replies",
            "yes",
            "fedcba987654",
            "activity.email.replied",
            "3",
            "1",
            "120",
            "0",
            "2"
        ]
    );
    assert!(
        table.contains("slack-replies: last error 2026-11-27T10:00:05Z (delivery 41): status 500"),
        "{table}"
    );
}

#[test]
fn replay_and_backfill_post_to_their_routes() {
    let api = Api::start();
    assert_eq!(
        stdout(&api.run(&["replay", "41"])),
        "queued 1 delivery: 57\n"
    );
    assert_eq!(
        stdout(&api.run(&["replay", "--dead", "--plugin", "slack-replies"])),
        "queued 2 deliveries: 58 59\n"
    );
    assert_eq!(
        stdout(&api.run(&[
            "backfill",
            "--plugin",
            "crm-sync",
            "--type",
            "prospect.created",
            "--type",
            "prospect.updated",
            "--since",
            "2026-11-20",
            "--until",
            "1795773600000",
        ])),
        "queued 3 deliveries: 60 61 62\n"
    );
    let seen = api.seen();
    let routes: Vec<(&str, &str)> = seen.iter().map(|s| (s.method, s.path.as_str())).collect();
    assert_eq!(
        routes,
        [
            ("POST", "/api/v1/deliveries/41/replay"),
            ("POST", "/api/v1/plugins/slack-replies/replay-dead"),
            ("POST", "/api/v1/plugins/crm-sync/backfill"),
        ]
    );
    assert_eq!(
        seen[2].body,
        json!({
            "event_types": ["prospect.created", "prospect.updated"],
            "since": 1_795_132_800_000_i64,
            "until": 1_795_773_600_000_i64,
        })
    );

    // Without --type and --until, the host's defaults apply: neither is sent.
    stdout(&api.run(&["backfill", "--plugin", "crm-sync", "--since", "7d"]));
    let body = &api.seen()[3].body;
    assert!(
        body.get("event_types").is_none() && body.get("until").is_none(),
        "{body}"
    );
}

#[test]
fn a_problem_is_printed_as_title_and_detail_with_exit_1() {
    let api = Api::start();
    let conflict = api.run(&["replay", "7"]);
    assert_eq!(
        stderr_of_failure(&conflict).trim(),
        "error: Delivery not finished: delivery 7 is still pending; replay it once it is done, \
         skipped or dead"
    );
    assert!(conflict.stdout.is_empty());

    for args in [&["events"][..], &["plugins", "--json"], &["replay", "41"]] {
        let output = api.run_with_token(args, Some("wrong-token"));
        let stderr = stderr_of_failure(&output);
        assert_eq!(
            stderr.trim(),
            "error: Unauthorized: the admin token is missing or wrong; send Authorization: \
             Bearer <admin.token>",
            "{args:?}"
        );
    }
}

#[test]
fn the_token_comes_from_smartreach_admin_token_and_is_required() {
    let api = Api::start();
    let output = cli()
        .args(["plugins", "--url", &api.url])
        .env("SMARTREACH_ADMIN_TOKEN", TOKEN)
        .output()
        .unwrap();
    row(&stdout(&output), "slack-replies");

    let stderr = stderr_of_failure(&api.run_with_token(&["plugins"], None));
    assert!(
        stderr.contains("--admin-token") && stderr.contains("SMARTREACH_ADMIN_TOKEN"),
        "{stderr}"
    );
    assert_eq!(api.seen().len(), 1, "no request without a token");
}

#[test]
fn a_host_that_is_not_there_is_named() {
    // A port held bound without listening: connections to it are refused.
    let closed = ClosedPort::bind();
    let url = closed.url();
    let output = cli()
        .args(["events", "--url", &url, "--admin-token", TOKEN])
        .output()
        .unwrap();
    let stderr = stderr_of_failure(&output);
    assert!(
        stderr.starts_with(&format!("error: the host isn't reachable at {url}")),
        "{stderr}"
    );

    let output = cli()
        .args([
            "events",
            "--url",
            "https://example.com",
            "--admin-token",
            TOKEN,
        ])
        .output()
        .unwrap();
    assert!(stderr_of_failure(&output).contains("not an http:// URL"));
}

#[test]
fn a_bad_time_is_refused_before_any_request() {
    let api = Api::start();
    let stderr = stderr_of_failure(&api.run(&["events", "--since", "last tuesday"]));
    assert!(
        stderr.starts_with("error: `last tuesday` is not a time"),
        "{stderr}"
    );
    assert!(api.seen().is_empty());
}
