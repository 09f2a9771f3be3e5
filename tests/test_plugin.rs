//! `test-plugin` end to end through the binary, on the built example plugins: a matching run
//! passes, a changed request fails with a readable diff (and writes `.snap.new` for review), a
//! new snapshot under `CI=true` fails and writes nothing, `--accept` writes, a scripted 429 shows
//! the plugin's retry, secrets never reach a snapshot, `--events` adds the author's payloads, and
//! no request leaves the machine.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::path::{Path, PathBuf};
use std::process::Output;

use support::capture::CaptureServer;
use support::exit::{expect_exit, text};
use support::plugins::wasm_path;

/// The CRM manifest of the tests: the example's, with `endpoint` as given.
fn crm_manifest(dir: &Path, name: &str, endpoint: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "allowed_outbound_hosts = [\"crm.example.com\"]\n[config]\nendpoint = \"{endpoint}\"\n\
             api_token = {{ env = \"CRM_API_TOKEN\" }}\n[limits]\ntimeout_ms = 10000\n"
        ),
    )
    .unwrap();
    path
}

/// `test-plugin` on the built plugin crate `crate_name` with `args`, without `CI` or the
/// examples' secrets unless `env` sets them.
fn test_plugin(crate_name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = SUITE.command();
    command
        .arg("test-plugin")
        .arg(wasm_path(crate_name))
        .args(args)
        .env_remove("CI")
        .env_remove("CRM_API_TOKEN")
        .env_remove("SLACK_WEBHOOK_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("running smartreach-hooks")
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// The files of `dir`, by name (none when it does not exist).
fn files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_matching_run_passes_and_a_changed_request_fails_with_a_readable_diff() {
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snapshots");
    let manifest = crm_manifest(dir.path(), "v1", "https://crm.example.com/api/v1");
    let accept = [
        "--manifest",
        arg(&manifest),
        "--snapshots",
        arg(&snaps),
        "--accept",
    ];
    let accepted = test_plugin("crm_sync", &accept, &[]);
    expect_exit(&accepted, 0, "--accept writes the snapshots");
    assert_eq!(
        files(&snaps),
        [
            "crm_sync@prospect.created.snap",
            "crm_sync@prospect.created_or_updated.snap",
            "crm_sync@prospect.updated.snap",
        ]
    );

    let check = ["--manifest", arg(&manifest), "--snapshots", arg(&snaps)];
    let same = test_plugin("crm_sync", &check, &[]);
    expect_exit(&same, 0, "the same plugin on the same events matches");
    assert_eq!(
        text(&same.stdout).matches("\n  ok ").count(),
        3,
        "{}",
        text(&same.stdout)
    );

    // Another endpoint: every request's URL changes.
    let moved = crm_manifest(dir.path(), "v2", "https://crm.example.com/api/v2");
    let changed = test_plugin(
        "crm_sync",
        &["--manifest", arg(&moved), "--snapshots", arg(&snaps)],
        &[],
    );
    expect_exit(&changed, 1, "a changed request fails");
    let stdout = text(&changed.stdout);
    let created = snaps.join("crm_sync@prospect.created.snap");
    assert!(stdout.contains("DIFFERS  prospect.created"), "{stdout}");
    assert!(
        stdout.contains(&format!("--- {}\n+++ this run\n@@ ", created.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "\n-      url: https://crm.example.com/api/v1/contacts/smartreach-8102457\n\
             +      url: https://crm.example.com/api/v2/contacts/smartreach-8102457\n"
        ),
        "{stdout}"
    );
    let stderr = text(&changed.stderr);
    assert!(
        stderr.contains("3 snapshots of crm_sync differ"),
        "{stderr}"
    );
    assert!(stderr.contains("--accept"), "{stderr}");
    // For `cargo insta review`: the new version beside each differing snapshot.
    let pending = snaps.join("crm_sync@prospect.created.snap.new");
    let pending_text = std::fs::read_to_string(&pending).unwrap();
    assert!(
        pending_text.starts_with(
            "---\nsource: smartreach-hooks test-plugin\nexpression: crm_sync on prospect.created\n---\n"
        ),
        "{pending_text}"
    );
    assert!(pending_text.contains("/api/v2/"));

    // A snapshot edited by hand (a body field): the diff shows that line, and a matching run
    // removes the stale .snap.new files.
    let accepted_text = std::fs::read_to_string(&created).unwrap();
    let edited = accepted_text.replace("city: Tokyo", "city: Osaka");
    assert_ne!(edited, accepted_text, "{accepted_text}");
    std::fs::write(&created, edited).unwrap();
    let body_changed = test_plugin("crm_sync", &check, &[]);
    expect_exit(
        &body_changed,
        1,
        "a snapshot that no longer matches the body fails",
    );
    let stdout = text(&body_changed.stdout);
    assert!(
        stdout.contains("\n-        city: Osaka\n+        city: Tokyo\n"),
        "{stdout}"
    );
    assert!(stdout.contains("ok       prospect.updated"), "{stdout}");
    println!("{stdout}");
    assert!(!snaps.join("crm_sync@prospect.updated.snap.new").exists());
}

#[test]
fn a_new_snapshot_under_ci_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snapshots");
    let output = test_plugin(
        "event_log",
        &["--snapshots", arg(&snaps)],
        &[("CI", "true")],
    );
    expect_exit(&output, 1, "a missing snapshot under CI=true fails");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("NEW      activity.email.replied"),
        "{stdout}"
    );
    assert!(
        stdout.contains("activity.email.replied is new:\n--- "),
        "{stdout}"
    );
    assert!(text(&output.stderr).contains("CI=true: nothing written"));
    assert_eq!(
        files(&snaps),
        Vec::<String>::new(),
        "nothing is written under CI=true"
    );

    let refused = test_plugin(
        "event_log",
        &["--snapshots", arg(&snaps), "--accept"],
        &[("CI", "true")],
    );
    expect_exit(&refused, 1, "--accept under CI=true is refused");
    assert!(text(&refused.stderr).contains("CI never writes snapshots"));
    assert_eq!(files(&snaps), Vec::<String>::new());

    // Without CI the same run fails too, and leaves .snap.new files to review.
    let local = test_plugin("event_log", &["--snapshots", arg(&snaps)], &[]);
    expect_exit(&local, 1, "a missing snapshot fails");
    assert_eq!(files(&snaps).len(), 13, "{:?}", files(&snaps));
    assert!(files(&snaps).iter().all(|name| name.ends_with(".snap.new")));
}

#[test]
fn a_scripted_429_shows_the_retry_and_secrets_stay_out_of_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snapshots");
    std::fs::create_dir_all(&snaps).unwrap();
    std::fs::write(
        snaps.join("test-plugin.toml"),
        "[placeholders]\nSLACK_WEBHOOK_URL = \"https://hooks.slack.com/services/T0/B0/X0\"\n\
         [[responses]]\nhost = \"hooks.slack.com\"\nstatus = 429\n\
         headers = { retry-after = \"30\" }\nbody = \"slow down\"\n",
    )
    .unwrap();
    let manifest = dir.path().join("slack.toml");
    std::fs::write(
        &manifest,
        "allowed_outbound_hosts = [\"hooks.slack.com\"]\n\
         [config]\nwebhook_url = { env = \"SLACK_WEBHOOK_URL\" }\n[limits]\ntimeout_ms = 10000\n",
    )
    .unwrap();
    let args = [
        "--manifest",
        arg(&manifest),
        "--snapshots",
        arg(&snaps),
        "--accept",
    ];
    let secret = "https://hooks.slack.com/services/TSECRET1/BSECRET2/XSECRET3";
    let output = test_plugin("slack_replies", &args, &[("SLACK_WEBHOOK_URL", secret)]);
    expect_exit(&output, 0, "--accept");
    let snapshot =
        std::fs::read_to_string(snaps.join("slack_replies@activity.email.replied.snap")).unwrap();
    assert!(
        snapshot.contains("  outcome:\n    kind: retry\n"),
        "{snapshot}"
    );
    assert!(snapshot.contains("    delay_ms: 30000\n"), "{snapshot}");
    assert!(snapshot.contains("      response: 429\n"), "{snapshot}");
    assert!(
        snapshot.contains("      url: https://hooks.slack.com/services/***\n"),
        "{snapshot}"
    );
    assert!(!snapshot.contains("SECRET"), "{snapshot}");

    // Without the variable the script's placeholder stands in, and the snapshot is the same.
    let check = ["--manifest", arg(&manifest), "--snapshots", arg(&snaps)];
    let unset = test_plugin("slack_replies", &check, &[]);
    expect_exit(&unset, 0, "the same snapshot without the secret set");

    // A header secret: the CRM token.
    let crm = crm_manifest(dir.path(), "crm", "https://crm.example.com/api/v1");
    let crm_snaps = dir.path().join("crm");
    let token = [("CRM_API_TOKEN", "tok-very-secret-1234")];
    let crm_args = [
        "--manifest",
        arg(&crm),
        "--snapshots",
        arg(&crm_snaps),
        "--accept",
    ];
    expect_exit(&test_plugin("crm_sync", &crm_args, &token), 0, "--accept");
    let crm_snapshot =
        std::fs::read_to_string(crm_snaps.join("crm_sync@prospect.updated.snap")).unwrap();
    assert!(
        crm_snapshot.contains("authorization: Bearer ${CRM_API_TOKEN}\n"),
        "{crm_snapshot}"
    );
    assert!(!crm_snapshot.contains("very-secret"), "{crm_snapshot}");
}

#[test]
fn own_events_get_their_own_snapshots_and_nothing_leaves_the_machine() {
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snapshots");
    let events = dir.path().join("events");
    std::fs::create_dir_all(&events).unwrap();
    std::fs::copy(
        support::fixture_path("events/activity.email.bounced.json"),
        events.join("hard-bounce.json"),
    )
    .unwrap();
    std::fs::copy(
        support::fixture_path("events/prospect.created.json"),
        events.join("not-mine.json"),
    )
    .unwrap();
    // The plugin may reach a real server on loopback: the fake upstream answers instead, and
    // the server never hears a thing.
    let server = CaptureServer::start();
    let manifest = dir.path().join("suppression.toml");
    std::fs::write(
        &manifest,
        format!(
            "allowed_outbound_hosts = [\"{}\"]\n[config]\nendpoint = \"{}/do-not-contact\"\n",
            server.host(),
            server.url()
        ),
    )
    .unwrap();
    let args = [
        "--manifest",
        arg(&manifest),
        "--snapshots",
        arg(&snaps),
        "--events",
        arg(&events),
        "--accept",
    ];
    let output = test_plugin("suppression", &args, &[]);
    expect_exit(&output, 0, "--accept with --events");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("not-mine.json (prospect.created)"),
        "{stdout}"
    );
    assert!(files(&snaps).contains(&"suppression@events-hard-bounce.snap".to_owned()));
    let own = std::fs::read_to_string(snaps.join("suppression@events-hard-bounce.snap")).unwrap();
    assert!(
        own.contains("- event_id: test-events-hard-bounce:0\n"),
        "{own}"
    );
    assert!(
        own.contains(&format!("url: {}/do-not-contact", server.url())),
        "{own}"
    );
    assert!(own.contains("      response: 200\n"), "{own}");
    assert!(
        server.is_empty(),
        "a request reached the network: {:?}",
        server.requests()
    );
}
