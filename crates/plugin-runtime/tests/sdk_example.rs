//! The complete plugin in smartreach-plugin-sdk's crate documentation is real: the same source is
//! `plugins/testing/reply-forwarder`, built for wasm32-wasip2, loaded from a folder, and run.

mod support;

use std::path::Path;

use smartreach_plugin_runtime::Outcome;
use support::capture::CaptureServer;

/// The `no_run` block of the SDK's crate documentation, without its `//! ` prefixes.
fn documented_plugin() -> String {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-sdk/src/lib.rs");
    let text = std::fs::read_to_string(sdk).unwrap();
    let mut lines = text
        .lines()
        .skip_while(|line| !line.starts_with("//! ```no_run"))
        .skip(1);
    let block: Vec<&str> = lines
        .by_ref()
        .take_while(|line| *line != "//! ```")
        .map(|line| {
            line.strip_prefix("//! ")
                .or_else(|| line.strip_prefix("//!"))
                .unwrap()
        })
        .collect();
    assert!(
        !block.is_empty(),
        "the SDK documentation has no complete plugin"
    );
    block.join("\n") + "\n"
}

#[test]
fn the_documented_plugin_is_the_built_one() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/testing/reply-forwarder/src/lib.rs");
    assert_eq!(
        documented_plugin(),
        std::fs::read_to_string(source).unwrap(),
        "the SDK's documented plugin and plugins/testing/reply-forwarder differ"
    );
}

#[tokio::test]
async fn the_documented_plugin_loads_from_a_folder_and_runs_on_its_event_types() {
    let server = CaptureServer::start().await;
    let dir = support::PluginDir::new();
    let manifest = format!(
        "allowed_outbound_hosts = [\"{}\"]\n[config]\nurl = \"{}/replies\"\n",
        server.host(),
        server.url()
    );
    dir.add("reply-forwarder", "reply_forwarder", Some(&manifest));
    let report = support::runtime().load_dir(dir.path()).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let plugin = &report.plugins[0];
    assert!(plugin.handles("activity.email.replied"));
    assert!(!plugin.handles("activity.email.auto_replied"));

    let event = support::fixture_events("events/activity.email.replied.json").remove(0);
    let invocation = plugin.invoke(&event).await;
    assert_eq!(invocation.outcome, Outcome::Done, "{:?}", invocation.logs);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/replies");
    assert_eq!(
        requests[0].body["email"],
        "rachel.goldberg@hudsonridge.example"
    );
    assert!(
        requests[0]
            .headers
            .contains(&("idempotency-key".into(), event.id.clone()))
    );
}
