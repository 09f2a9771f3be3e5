//! The example plugins' snapshot tests, through `smartreach-hooks test-plugin` as a plugin author
//! runs it in CI: each example (`plugins/NAME`, its `manifest.toml`) against the reviewed
//! snapshots in `plugins/NAME/snapshots/` (every documented event it subscribes to, its
//! requests answered 200 `{}`; the TypeScript example contact-upsert too, built with npm, and
//! the Python example lead-score, built with componentize-py), and
//! slack-replies once more against a Slack that answers 429
//! (`plugins/slack-replies/snapshots/rate-limited/`).
//!
//! `CI` passes through: under `cargo xtask test` (CI=true) a changed or missing snapshot fails and
//! nothing is written; locally the run leaves `.snap.new` files to review (`cargo insta review`,
//! or the diff printed here). `INSTA_UPDATE=always` runs the command with `--accept`.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::path::Path;

use support::exit::text;
use support::plugins::{js_wasm_path, python_wasm_path, wasm_path};
use support::repo_root;

/// Runs `test-plugin` on Rust example `name` (crate `crate_name`) against `snapshots` (relative to
/// `plugins/NAME`); fails with the command's output when it does.
fn check(name: &str, crate_name: &str, snapshots: &str) {
    check_built(name, &wasm_path(crate_name), snapshots);
}

/// [`check`] of the example `name` built at `built`, whatever its language.
fn check_built(name: &str, built: &Path, snapshots: &str) {
    let example = repo_root().join("plugins").join(name);
    // The plugin takes its name from its file: `crm-sync.wasm`, as `cargo xtask plugins`
    // installs it, so that the snapshots are `crm-sync@{event type}.snap`.
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join(format!("{name}.wasm"));
    std::fs::copy(built, &wasm).unwrap();
    let mut command = SUITE.command();
    command
        .arg("test-plugin")
        .arg(&wasm)
        .arg("--manifest")
        .arg(example.join("manifest.toml"))
        .arg("--snapshots")
        .arg(example.join(snapshots))
        // The examples' secrets come from their placeholders, whatever this machine has set.
        .env_remove("CRM_API_TOKEN")
        .env_remove("SLACK_WEBHOOK_URL")
        .env_remove("HUBSPOT_API_TOKEN")
        .env_remove("SHEETS_API_TOKEN");
    if std::env::var("INSTA_UPDATE").as_deref() == Ok("always") {
        command.arg("--accept");
    }
    let output = command.output().expect("running smartreach-hooks");
    assert!(
        output.status.success(),
        "the snapshots of {name} in {} do not match:\n{}\n{}",
        Path::new("plugins").join(name).join(snapshots).display(),
        text(&output.stdout),
        text(&output.stderr)
    );
}

#[test]
fn slack_replies() {
    check("slack-replies", "slack_replies", "snapshots");
}

#[test]
fn slack_replies_when_slack_answers_429() {
    check("slack-replies", "slack_replies", "snapshots/rate-limited");
}

#[test]
fn crm_sync() {
    check("crm-sync", "crm_sync", "snapshots");
}

#[test]
fn suppression() {
    check("suppression", "suppression", "snapshots");
}

#[test]
fn event_log() {
    check("event-log", "event_log", "snapshots");
}

#[test]
fn contact_upsert_typescript() {
    check_built(
        "contact-upsert",
        &js_wasm_path("contact-upsert"),
        "snapshots",
    );
}

#[test]
fn contact_upsert_typescript_when_the_crm_answers_429() {
    check_built(
        "contact-upsert",
        &js_wasm_path("contact-upsert"),
        "snapshots/rate-limited",
    );
}

#[test]
fn lead_score_python() {
    check_built("lead-score", &python_wasm_path("lead-score"), "snapshots");
}

#[test]
fn lead_score_python_when_the_sheet_answers_429() {
    check_built(
        "lead-score",
        &python_wasm_path("lead-score"),
        "snapshots/rate-limited",
    );
}
