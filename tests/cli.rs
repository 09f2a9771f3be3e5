//! The command-line tools, end to end through the binary: `trigger` against a real host (every
//! documented type stored, signed sources, the generated token), and `check-plugin` on the built
//! plugins (a good one with an event, an outbound request recorded and not sent, and plugins that
//! do not load).

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use support::capture::CaptureServer;
use support::closed_port::ClosedPort;
use support::exit::{expect_exit, text};
use support::host::{ADMIN_TOKEN, Config, SOURCE, Source};
use support::payload::secret;
use support::plugins::{toml_string, wasm_path};
use support::{SOON, eventually, fixture_path};

/// The binary with `args`. The host's `SMARTREACH_HOOKS_*` variables are not needed by the
/// tools, and none leaks in from the test's environment.
fn run(args: &[&str]) -> Output {
    let mut command = SUITE.command();
    command
        .args(args)
        .output()
        .expect("running smartreach-hooks")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

#[test]
fn trigger_sends_every_documented_type_with_the_generated_token() {
    // No [[sources]]: the host generates data/ingest-token, which trigger reads with --data-dir.
    let env = SUITE.env_with(Config {
        sources: Vec::new(),
        ..Config::default()
    });
    let host = env.start();
    let url = format!("http://{}", host.addr);
    let data_dir = env.data_dir();

    let documented = documented_types();
    for name in &documented {
        let output = run(&[
            "trigger",
            name,
            "--url",
            &url,
            "--data-dir",
            path_str(&data_dir),
        ]);
        expect_exit(&output, 0, &format!("trigger {name}"));
        let stdout = text(&output.stdout);
        assert!(stdout.contains("202 Accepted"), "{name}: {stdout}");
        assert!(stdout.contains("\"duplicate\": false"), "{name}: {stdout}");
    }
    // The same type again is a new webhook, not a redelivery: each send is unique.
    let again = run(&[
        "trigger",
        "email_opened",
        "--url",
        &url,
        "--data-dir",
        path_str(&data_dir),
    ]);
    expect_exit(
        &again,
        0,
        "trigger email_opened (legacy name) a second time",
    );
    assert!(text(&again.stdout).contains("\"duplicate\": false"));

    let db = env.db();
    let webhooks = eventually("14 stored webhooks", SOON, || {
        let webhooks = db.webhooks();
        (webhooks.len() == 14).then_some(webhooks)
    });
    let stored: BTreeSet<&str> = webhooks.iter().map(|w| w.event_type.as_str()).collect();
    let expected: BTreeSet<&str> = documented.iter().copied().collect();
    assert_eq!(stored, expected);
    assert_eq!(
        webhooks
            .iter()
            .filter(|w| w.event_type == "activity.email.opened")
            .count(),
        2
    );
    // activity.email.sent has three items; every other sample one.
    assert_eq!(db.events().len(), 14 + 2);
}

/// The 13 documented event types (`the_list_matches_the_fixtures` ties them to the samples).
fn documented_types() -> Vec<&'static str> {
    vec![
        "prospect.created",
        "prospect.updated",
        "prospect.created_or_updated",
        "activity.email.sent",
        "activity.email.bounced",
        "activity.email.opened",
        "activity.email.link_clicked",
        "activity.email.invalid",
        "activity.email.replied",
        "activity.email.auto_replied",
        "activity.email.out_of_office_replied",
        "activity.prospect.opted_out",
        "activity.prospect.completed_campaign",
    ]
}

#[test]
fn the_list_matches_the_fixtures() {
    let output = run(&["trigger", "--list"]);
    expect_exit(&output, 0, "trigger --list");
    let listed: BTreeSet<String> = text(&output.stdout)
        .lines()
        .map(|line| line.split_whitespace().next().unwrap().to_owned())
        .collect();
    let fixtures: BTreeSet<String> = support::fixture_names("events").into_iter().collect();
    assert_eq!(listed, fixtures);
    assert_eq!(listed.len(), 13);
}

#[test]
fn trigger_signs_for_a_source_with_a_secret() {
    let token = "signed-token-0123456789abcdef";
    let signing_secret = secret(7);
    let env = SUITE.env_with(Config {
        sources: vec![Source {
            name: SOURCE.to_owned(),
            tokens: vec![token.to_owned()],
            signing_secrets: vec![signing_secret.clone()],
        }],
        ..Config::default()
    });
    let host = env.start();
    let url = format!("http://{}", host.addr);

    let signed = run(&[
        "trigger",
        "activity.email.replied",
        "--url",
        &url,
        "--token",
        token,
        "--secret",
        &signing_secret,
    ]);
    expect_exit(&signed, 0, "a signed trigger");
    assert!(text(&signed.stdout).contains("(1 item, signed)"));

    let unsigned = run(&[
        "trigger",
        "activity.email.replied",
        "--url",
        &url,
        "--token",
        token,
    ]);
    expect_exit(&unsigned, 1, "an unsigned trigger to a signed source");
    let stderr = text(&unsigned.stderr);
    assert!(
        stderr.starts_with("error: Invalid webhook signature: ") && stderr.contains("webhook-id"),
        "{stderr}"
    );
    assert!(unsigned.stdout.is_empty());
    assert_eq!(env.db().webhooks().len(), 1);
}

#[test]
fn trigger_to_no_host_says_so() {
    // A port held bound without listening: connections to it are refused.
    let closed = ClosedPort::bind();
    let url = closed.url();
    let output = run(&[
        "trigger",
        "prospect.created",
        "--url",
        &url,
        "--token",
        "t".repeat(20).as_str(),
    ]);
    expect_exit(&output, 1, "trigger to a closed port");
    assert!(
        text(&output.stderr).starts_with(&format!("error: the host isn't reachable at {url}")),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn check_plugin_runs_a_good_plugin_on_an_event() {
    let wasm = wasm_path("event_log");
    let fixture = fixture_path("events/activity.email.replied.json");
    let output = run(&[
        "check-plugin",
        path_str(&wasm),
        "--event",
        path_str(&fixture),
    ]);
    expect_exit(&output, 0, "check-plugin event_log --event");
    let stdout = text(&output.stdout);
    for needle in [
        "plugin       event_log",
        "contract     smartreach:plugin@0.1.0",
        "events       * (every event type",
        "limits       timeout 1000 ms, memory 64 MiB",
        "outbound     none",
        "run 1 of 1: event check:0 (activity.email.replied)",
        "outcome   done",
        "log       info  host   event=activity.email.replied id=check:0",
    ] {
        assert!(stdout.contains(needle), "{needle:?} in\n{stdout}");
    }
    assert!(stdout.contains(&support::sha256_hex(&std::fs::read(&wasm).unwrap())));

    let json = run(&[
        "check-plugin",
        path_str(&wasm),
        "--event",
        path_str(&fixture),
        "--json",
    ]);
    expect_exit(&json, 0, "check-plugin --json");
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["name"], "event_log");
    assert_eq!(report["runs"][0]["outcome"]["kind"], "done");
}

#[test]
fn check_plugin_shows_requests_without_sending_them() {
    let capture = CaptureServer::start();
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("hostile.wasm");
    std::fs::copy(wasm_path("hostile"), &wasm).unwrap();
    let target = format!("{}/hook/T0/B0/SECRET", capture.url());
    std::fs::write(
        dir.path().join("hostile.toml"),
        format!(
            "allowed_outbound_hosts = [{}]\n[config]\nmode = \"fetch\"\nurl = {}\n",
            toml_string(&capture.host()),
            toml_string(&target)
        ),
    )
    .unwrap();
    let fixture = fixture_path("events/prospect.created.json");
    let output = run(&[
        "check-plugin",
        path_str(&wasm),
        "--event",
        path_str(&fixture),
    ]);
    // The plugin reports the failed fetch as skipped: a good outcome.
    expect_exit(&output, 0, "check-plugin hostile (fetch)");
    let stdout = text(&output.stdout);
    // The path holds a secret: only its first segment is shown, as the host shows only origins.
    assert!(
        stdout.contains(&format!(
            "http      GET {}/hook/***  not sent",
            capture.url()
        )),
        "{stdout}"
    );
    assert!(
        !stdout.contains("SECRET"),
        "the secret path leaked:\n{stdout}"
    );
    let json = run(&[
        "check-plugin",
        path_str(&wasm),
        "--event",
        path_str(&fixture),
        "--json",
    ]);
    expect_exit(&json, 0, "check-plugin hostile (fetch) --json");
    assert!(
        !text(&json.stdout).contains("SECRET"),
        "the secret path leaked into --json:\n{}",
        text(&json.stdout)
    );
    // --show-paths shows it whole.
    let shown = run(&[
        "check-plugin",
        path_str(&wasm),
        "--event",
        path_str(&fixture),
        "--show-paths",
    ]);
    expect_exit(&shown, 0, "check-plugin hostile (fetch) --show-paths");
    let shown = text(&shown.stdout);
    assert!(
        shown.contains(&format!("http      GET {target}  not sent")),
        "{shown}"
    );
    assert!(
        stdout.contains(&format!("outbound     {}", capture.host())),
        "{stdout}"
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(capture.len(), 0, "check-plugin sent a request");
}

#[test]
fn check_plugin_refuses_plugins_that_do_not_load() {
    let old = wasm_path("old_contract");
    let output = run(&["check-plugin", path_str(&old)]);
    expect_exit(&output, 1, "check-plugin old_contract");
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: plugin ")
            && stderr.contains(path_str(&old))
            && stderr.contains("smartreach:plugin@0.1.0"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"this is not wasm").unwrap();
    let output = run(&["check-plugin", path_str(&garbage)]);
    expect_exit(&output, 1, "check-plugin garbage");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(path_str(&garbage)) && stderr.contains("not a valid wasm component"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");

    let missing = dir.path().join("missing.wasm");
    let output = run(&["check-plugin", path_str(&missing)]);
    expect_exit(&output, 1, "check-plugin on a missing file");
    assert!(text(&output.stderr).contains(path_str(&missing)));
}

#[test]
fn check_plugin_exits_1_when_a_run_faults() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("panics.wasm");
    std::fs::copy(wasm_path("hostile"), &wasm).unwrap();
    std::fs::write(
        dir.path().join("panics.toml"),
        "[config]\nmode = \"panic\"\n",
    )
    .unwrap();
    let fixture = fixture_path("events/prospect.created.json");
    let output = run(&[
        "check-plugin",
        path_str(&wasm),
        "--event",
        path_str(&fixture),
    ]);
    expect_exit(&output, 1, "check-plugin on a panicking plugin");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("outcome   fault: trapped"), "{stdout}");
    assert!(
        stdout.contains("hostile plugin panicked on purpose"),
        "{stdout}"
    );
    assert!(text(&output.stderr).contains("a run failed or faulted"));
}

/// `check-plugin --event-id`: a dead letter of a running host, fetched through the admin API,
/// shown with what the host did with it, and run on the fixed build (the same plugin file with a
/// manifest that fixes it); an id the host does not have is an error naming the host.
#[test]
fn check_plugin_replays_a_stored_event_against_a_fixed_build() {
    let env = SUITE.env_with(Config::with_admin());
    env.install(
        "flaky",
        "hostile",
        Some(&support::plugins::manifest_for(
            &["*"],
            None,
            &[("mode", "fail")],
            &[],
        )),
    );
    let host = env.start();
    let ingested = host.ingest(&support::payload::reply(31, "dead@example.com", "dead"));
    env.db().wait_webhook_finished(&ingested.webhook_id, 1);
    let event_id = format!("{}:0", ingested.webhook_id);

    // The fixed build: the same plugin, named as the host names it (its file stem), fixed by
    // its manifest.
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("flaky.wasm");
    std::fs::copy(wasm_path("hostile"), &wasm).unwrap();
    std::fs::write(dir.path().join("flaky.toml"), "[config]\nmode = \"done\"\n").unwrap();
    let url = host.url("");
    let check = |id: &str, json: bool| {
        let mut args = vec![
            "check-plugin",
            path_str(&wasm),
            "--event-id",
            id,
            "--url",
            &url,
            "--admin-token",
            ADMIN_TOKEN,
        ];
        if json {
            args.push("--json");
        }
        run(&args)
    };

    let output = check(&event_id, false);
    expect_exit(&output, 0, "check-plugin --event-id on the fixed build");
    let stdout = text(&output.stdout);
    for needle in [
        format!("event {event_id} (activity.email.replied) on {url}"),
        "to flaky (ingest): dead, 1 attempt".to_owned(),
        "  failed: permanent".to_owned(),
        format!("run 1 of 1: event {event_id} (activity.email.replied)"),
        "outcome   done".to_owned(),
    ] {
        assert!(stdout.contains(&needle), "{needle:?} in\n{stdout}");
    }

    let json = check(&event_id, true);
    expect_exit(&json, 0, "check-plugin --event-id --json");
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let history = &report["history"];
    assert_eq!(history["event_id"], event_id.as_str());
    assert_eq!(
        history["deliveries"].as_array().unwrap().len(),
        1,
        "{history}"
    );
    assert_eq!(history["deliveries"][0]["status"], "dead");
    assert_eq!(history["deliveries"][0]["runs"][0]["outcome"], "failed");
    assert_eq!(report["runs"][0]["event_id"], event_id.as_str());
    assert_eq!(report["runs"][0]["outcome"]["kind"], "done");

    let missing = format!("{}:7", ingested.webhook_id);
    let output = check(&missing, false);
    expect_exit(&output, 1, "check-plugin --event-id of an unknown event");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "cannot fetch event {missing} from {url} (--event-id)"
        )),
        "{stderr}"
    );
}
