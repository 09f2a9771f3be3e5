//! The sandbox's numbered promises (README, "The sandbox"): the host ceiling of the deadline, the
//! outbound requests one invocation may make, the resource handles one instance may hold and the
//! header bytes one set of fields may hold. The hostile plugin (`plugins/testing/hostile`) goes
//! past each; the tests check what it saw and what the host recorded.

mod support;

use std::time::Duration;

use smartreach_plugin_runtime::{
    Fault, Invocation, LoadError, OutboundDecision, OutboundRequest, Outcome, Plugin, RuntimeConfig,
};
use support::capture::CaptureServer;

/// The deadline's host ceiling a runtime has unless configured otherwise.
const CEILING: Duration = Duration::from_secs(60);

/// A deadline long enough for a debug host on a loaded machine to make many requests; the tests
/// are about counts, not time.
const ROOMY: &str = "timeout_ms = 20000";

/// The hostile plugin's manifest: `mode`, the `config` pairs, allowed to reach `server` (if any),
/// with `limits` lines.
fn manifest(
    mode: &str,
    server: Option<&CaptureServer>,
    config: &[(&str, String)],
    limits: &str,
) -> String {
    let hosts: Vec<String> = server.iter().map(|server| server.host()).collect();
    let mut manifest = format!("allowed_outbound_hosts = {hosts:?}\n[config]\nmode = {mode:?}\n");
    for (key, value) in config {
        manifest.push_str(&format!("{key} = {value:?}\n"));
    }
    manifest + "[limits]\n" + limits + "\n"
}

/// Loads the hostile plugin with `manifest` into the tests' runtime.
async fn load(manifest: &str) -> (support::PluginDir, Plugin) {
    let dir = support::PluginDir::new();
    let wasm = dir.add("hostile", "hostile", Some(manifest));
    let (plugin, _) = support::runtime().load_file(&wasm).await.unwrap();
    (dir, plugin)
}

/// The plugin's report (`Outcome::Skipped`).
fn report(invocation: &Invocation) -> &str {
    match &invocation.outcome {
        Outcome::Skipped { reason } => reason,
        other => panic!(
            "expected the hostile plugin's report, got {other:?} (logs: {:?})",
            invocation.logs
        ),
    }
}

/// The trap message of an invocation that must have trapped.
fn trap(invocation: &Invocation) -> &str {
    match &invocation.outcome {
        Outcome::Fault(Fault::Trap { message }) => message,
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[tokio::test]
async fn a_deadline_up_to_the_60_s_ceiling_is_granted() {
    assert_eq!(RuntimeConfig::default().max_timeout, CEILING);
    let (_dir, plugin) = load(&manifest("done", None, &[], "timeout_ms = 60000")).await;
    assert_eq!(plugin.limits().timeout, CEILING);
}

#[tokio::test]
async fn a_deadline_over_the_ceiling_is_refused_at_load_naming_the_key_and_the_ceiling() {
    let dir = support::PluginDir::new();
    let wasm = dir.add(
        "patient",
        "hostile",
        Some(&manifest("done", None, &[], "timeout_ms = 60001")),
    );
    let err = support::runtime().load_file(&wasm).await.unwrap_err();
    assert!(matches!(err, LoadError::Limits { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "plugin {} asks for too much: limits.timeout_ms = 60001 is over the host's ceiling \
             of 60000 ms; set it to 60000 or less in the manifest",
            wasm.display()
        )
    );

    // A host with a lower ceiling refuses what is over its own.
    let strict = support::runtime_with(RuntimeConfig {
        max_timeout: Duration::from_secs(2),
        ..RuntimeConfig::default()
    });
    std::fs::write(
        dir.path().join("patient.toml"),
        manifest("done", None, &[], "timeout_ms = 2001"),
    )
    .unwrap();
    let err = strict.load_file(&wasm).await.unwrap_err().to_string();
    assert!(
        err.contains(
            "limits.timeout_ms = 2001 is over the host's ceiling of 2000 ms; set it to \
                      2000 or less"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_invocation_makes_at_most_32_requests_and_the_rest_fail_over_the_limit() {
    let server = CaptureServer::start().await;
    let config = [
        ("url", format!("{}/hook", server.url())),
        ("count", "40".into()),
    ];
    let (_dir, plugin) = load(&manifest("many-requests", Some(&server), &config, ROOMY)).await;

    // The limit is per invocation: the second starts afresh.
    for run in 1..=2 {
        let invocation = plugin.invoke(&support::any_event()).await;
        assert_eq!(
            report(&invocation),
            "many-requests: 32 × fetch: status 200, 2 bytes; \
             8 × fetch: error: HTTP transport error: ErrorCode::ConnectionLimitReached",
            "run {run}"
        );
        assert_eq!(server.requests().len(), 32 * run, "run {run}");

        // Each sent request is recorded, then one record says that the limit was hit.
        let sent = OutboundRequest {
            method: "GET".into(),
            origin: server.url(),
            path: None,
            decision: OutboundDecision::Sent,
            reason: None,
        };
        let mut expected = vec![sent.clone(); 32];
        expected.push(OutboundRequest {
            decision: OutboundDecision::OverLimit,
            ..sent
        });
        assert_eq!(invocation.requests, expected, "run {run}");
    }
}

#[tokio::test]
async fn an_instance_holds_at_most_2000_resource_handles() {
    let (_dir, within) = load(&manifest(
        "many-handles",
        None,
        &[("count", "2000".into())],
        ROOMY,
    ))
    .await;
    let invocation = within.invoke(&support::any_event()).await;
    assert_eq!(report(&invocation), "many-handles: 2000 fields");

    // One more handle than the host holds ends the invocation: the plugin cannot go on without it.
    let (_dir, over) = load(&manifest(
        "many-handles",
        None,
        &[("count", "2001".into())],
        ROOMY,
    ))
    .await;
    let invocation = over.invoke(&support::any_event()).await;
    let message = trap(&invocation);
    assert!(
        message.contains("resource table has no free keys"),
        "{message}"
    );
}

#[tokio::test]
async fn a_set_of_header_fields_holds_at_most_32_kib() {
    let server = CaptureServer::start().await;
    let url = ("url", format!("{}/headers", server.url()));

    // 28 headers of 1000 bytes, with the host's per-header overhead, stay under 32 KiB: sent.
    let (_dir, within) = load(&manifest(
        "big-headers",
        Some(&server),
        &[url.clone(), ("count", "28".into())],
        ROOMY,
    ))
    .await;
    let invocation = within.invoke(&support::any_event()).await;
    assert_eq!(report(&invocation), "fetch: status 200, 2 bytes");
    let [received] = server.requests().try_into().unwrap();
    let big: Vec<_> = received
        .headers
        .iter()
        .filter(|(name, _)| name.starts_with("x-big-"))
        .collect();
    assert_eq!(big.len(), 28);
    assert!(big.iter().all(|(_, value)| value.len() == 1000));

    // 33 of them are over 32 KiB by their values alone: the plugin traps while adding them, and
    // nothing is recorded or sent.
    let (_dir, over) = load(&manifest(
        "big-headers",
        Some(&server),
        &[url, ("count", "33".into())],
        ROOMY,
    ))
    .await;
    let invocation = over.invoke(&support::any_event()).await;
    let message = trap(&invocation);
    assert!(
        message.contains("total size of fields exceeds limit"),
        "{message}"
    );
    assert!(invocation.requests.is_empty(), "{:?}", invocation.requests);
    assert_eq!(server.requests().len(), 1, "a second request arrived");
}
