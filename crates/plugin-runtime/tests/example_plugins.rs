//! The example plugins of `plugins/` over real connections. Their snapshot tests (every documented
//! event, with requests answered by the runtime's fake upstream) run through
//! `smartreach-hooks test-plugin` (`tests/plugin_snapshots.rs`); what stays here is what that
//! command cannot show: that the fake upstream sees what a real service receives, and how the
//! examples map real error answers to outcomes.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use smartreach_plugin_runtime::{
    FakeRequest, FakeResponse, FakeUpstream, OutboundMode, Outcome, Plugin, RuntimeConfig,
};
use support::capture::CaptureServer;

/// Loads example plugin `name` with a manifest whose outbound host is `server`.
async fn load(
    dir: &support::PluginDir,
    name: &str,
    server: &CaptureServer,
    config: &str,
    runtime: &smartreach_plugin_runtime::Runtime,
) -> Plugin {
    let manifest = format!(
        "allowed_outbound_hosts = [\"{}\"]\n[config]\n{config}\n[limits]\ntimeout_ms = 5000\n",
        server.host()
    );
    let wasm = dir.add(name, &name.replace('-', "_"), Some(&manifest));
    runtime.load_file(&wasm).await.unwrap().0
}

/// A fake upstream that keeps what it receives and answers 200 `{}`.
#[derive(Debug, Default)]
struct Keeper(Mutex<Vec<FakeRequest>>);

impl FakeUpstream for Keeper {
    fn answer(&self, request: FakeRequest) -> FakeResponse {
        self.0.lock().unwrap().push(request);
        FakeResponse {
            status: 200,
            headers: Vec::new(),
            body: b"{}".to_vec(),
        }
    }
}

#[tokio::test]
async fn the_fake_upstream_sees_what_a_real_service_receives() {
    let server = CaptureServer::start().await;
    let config = format!(
        "endpoint = \"{}/crm\"\napi_token = \"test-token\"",
        server.url()
    );
    let event = support::fixture_events("events/prospect.created.json").remove(0);

    let real_dir = support::PluginDir::new();
    let real = load(&real_dir, "crm-sync", &server, &config, &support::runtime()).await;
    assert_eq!(real.invoke(&event).await.outcome, Outcome::Done);

    let keeper = Arc::new(Keeper::default());
    let fake_runtime = support::runtime_with(RuntimeConfig {
        outbound: OutboundMode::Fake(keeper.clone()),
        ..RuntimeConfig::default()
    });
    let fake_dir = support::PluginDir::new();
    let fake = load(&fake_dir, "crm-sync", &server, &config, &fake_runtime).await;
    let invocation = fake.invoke(&event).await;
    assert_eq!(invocation.outcome, Outcome::Done);
    assert_eq!(
        server.requests().len(),
        1,
        "the fake run reached the server"
    );

    let received = server.requests().remove(0);
    let faked = keeper.0.lock().unwrap().remove(0);
    assert_eq!(faked.method, received.method);
    assert_eq!(faked.url, format!("{}{}", server.url(), received.path));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&faked.body).unwrap(),
        received.body
    );
    // The capture server keeps the headers the plugin chose, without transport headers.
    let chosen: Vec<(String, String)> = faked
        .headers
        .iter()
        .filter(|(name, _)| name != "host" && name != "content-length")
        .cloned()
        .collect();
    let mut received_headers = received.headers.clone();
    let mut chosen_sorted = chosen.clone();
    received_headers.sort();
    chosen_sorted.sort();
    assert_eq!(chosen_sorted, received_headers);
    assert!(
        chosen
            .iter()
            .any(|(name, value)| name == "authorization" && value == "Bearer test-token")
    );
    assert_eq!(
        invocation.requests[0].decision,
        smartreach_plugin_runtime::OutboundDecision::Faked
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
        let plugin = load(&dir, "slack-replies", &server, &config, &support::runtime()).await;
        let outcome = plugin.invoke(&replied).await.outcome;
        let kind = match outcome {
            Outcome::Retry { .. } => "retry",
            Outcome::Failed { .. } => "failed",
            ref other => panic!("{status}: unexpected {other:?}"),
        };
        assert_eq!(kind, expected, "{status}: {outcome:?}");
    }
}
