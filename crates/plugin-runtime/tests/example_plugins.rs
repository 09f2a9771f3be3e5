//! The example plugins of `plugins/`, run through the runtime on every documented event they
//! subscribe to, with their outbound HTTP captured by a local server. Each snapshot holds the
//! requests the plugin made, its outcome and its log lines.

mod support;

use std::time::Duration;

use serde::Serialize;
use smartreach_plugin_runtime::{LogLine, Outcome, Plugin};
use support::capture::{CaptureServer, Captured};

/// What one snapshot shows.
#[derive(Serialize)]
struct Run {
    event_id: String,
    outcome: Outcome,
    requests: Vec<Captured>,
    logs: Vec<LogLine>,
}

/// Loads example plugin `name` with a manifest whose outbound host is `server`.
async fn load(
    dir: &support::PluginDir,
    name: &str,
    server: &CaptureServer,
    config: &str,
) -> Plugin {
    let manifest = format!(
        "allowed_outbound_hosts = [\"{}\"]\n[config]\n{config}\n[limits]\ntimeout_ms = 5000\n",
        server.host()
    );
    let wasm = dir.add(name, &name.replace('-', "_"), Some(&manifest));
    support::runtime().load_file(&wasm).await.unwrap().0
}

/// Runs `plugin` on every documented fixture it subscribes to; one snapshot per event.
async fn snapshot_all(plugin: &Plugin, server: &CaptureServer, expected_types: &[&str]) {
    let mut seen = Vec::new();
    for (event_type, events) in support::documented_fixtures() {
        if !plugin.handles(&event_type) {
            continue;
        }
        seen.push(event_type.clone());
        let mut runs = Vec::new();
        for event in &events {
            let before = server.requests().len();
            let invocation = plugin.invoke(event).await;
            runs.push(Run {
                event_id: event.id.clone(),
                outcome: invocation.outcome,
                requests: server.requests()[before..].to_vec(),
                logs: invocation.logs,
            });
        }
        insta::assert_yaml_snapshot!(format!("{}@{event_type}", plugin.name()), runs);
    }
    assert_eq!(
        seen,
        expected_types,
        "{} subscribes to other types than expected",
        plugin.name()
    );
}

#[tokio::test]
async fn slack_replies() {
    let server = CaptureServer::start().await;
    let dir = support::PluginDir::new();
    let config = format!("webhook_url = \"{}/services/T000/B000/XXXX\"", server.url());
    let plugin = load(&dir, "slack-replies", &server, &config).await;
    snapshot_all(&plugin, &server, &["activity.email.replied"]).await;
}

#[tokio::test]
async fn crm_sync() {
    let server = CaptureServer::start().await;
    let dir = support::PluginDir::new();
    let config = format!(
        "endpoint = \"{}/crm\"\napi_token = \"test-token\"",
        server.url()
    );
    let plugin = load(&dir, "crm-sync", &server, &config).await;
    snapshot_all(
        &plugin,
        &server,
        &[
            "prospect.created",
            "prospect.updated",
            "prospect.created_or_updated",
        ],
    )
    .await;
}

#[tokio::test]
async fn suppression() {
    let server = CaptureServer::start().await;
    let dir = support::PluginDir::new();
    let config = format!("endpoint = \"{}/do-not-contact\"", server.url());
    let plugin = load(&dir, "suppression", &server, &config).await;
    snapshot_all(
        &plugin,
        &server,
        &[
            "activity.email.bounced",
            "activity.email.invalid",
            "activity.prospect.opted_out",
        ],
    )
    .await;
}

#[tokio::test]
async fn event_log() {
    let server = CaptureServer::start().await;
    let dir = support::PluginDir::new();
    let plugin = load(&dir, "event-log", &server, "").await;
    let all: Vec<&str> = smartreach_models::DocumentedEventType::ALL
        .iter()
        .map(|ty| ty.as_str())
        .collect();
    snapshot_all(&plugin, &server, &all).await;
    assert!(
        server.requests().is_empty(),
        "event-log makes no HTTP requests"
    );
}

#[tokio::test]
async fn a_failing_endpoint_maps_to_retry_or_failure() {
    let replied = support::fixture_events("events/activity.email.replied.json").remove(0);
    let cases = [
        (http::StatusCode::INTERNAL_SERVER_ERROR, "retry"),
        (http::StatusCode::TOO_MANY_REQUESTS, "retry"),
        (http::StatusCode::BAD_REQUEST, "failed"),
    ];
    for (status, expected) in cases {
        let server = CaptureServer::start_with(status, b"nope".to_vec(), Duration::ZERO).await;
        let dir = support::PluginDir::new();
        let config = format!("webhook_url = \"{}/hook\"", server.url());
        let plugin = load(&dir, "slack-replies", &server, &config).await;
        let outcome = plugin.invoke(&replied).await.outcome;
        let kind = match outcome {
            Outcome::Retry { .. } => "retry",
            Outcome::Failed { .. } => "failed",
            ref other => panic!("{status}: unexpected {other:?}"),
        };
        assert_eq!(kind, expected, "{status}: {outcome:?}");
    }
}
