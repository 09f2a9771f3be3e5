//! Hostile outbound requests (issue 9, item 5): a plugin whose manifest allows a name that leads
//! into the operator's own network (`localhost:PORT` here; a vendor domain whose DNS answers
//! 127.0.0.1, 10.x or 169.254.169.254 in the attack) reaches nothing there. The host checks the
//! address it connects to, after resolution, and refuses loopback unless the operator lists it in
//! `outbound.allowed_networks`.
//!
//! Only loopback is used: nothing here sends to any other address. The other ranges are
//! unit-tested in `crates/plugin-runtime/src/address.rs` without connecting.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::io::ErrorKind;
use std::net::TcpListener;

use support::capture::CaptureServer;
use support::db::Attempt;
use support::host::{Config, Env};
use support::payload::single_event;
use support::plugins::manifest;

/// Connections the attack may make to the listener: none. Counted exactly, from the listener's
/// accept queue (the kernel completes a TCP handshake without `accept`).
const MAX_CONNECTIONS: usize = 0;

/// Accepts every connection waiting at `listener` and returns how many there were.
fn connections_waiting(listener: &TcpListener) -> usize {
    let mut count = 0;
    loop {
        match listener.accept() {
            Ok(_) => count += 1,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return count,
            Err(err) => panic!("accept: {err}"),
        }
    }
}

/// Installs the hostile plugin as `name`, allowed to reach `allowed` and fetching `url` on every
/// event. A short request timeout: should a connection get through to the silent listener, the
/// attempt ends soon as `fetch: timeout` and the test says so, instead of waiting for retries.
fn install_fetcher(env: &Env, name: &str, allowed: &str, url: &str) {
    env.install(
        name,
        "hostile",
        Some(&manifest(
            Some(allowed),
            &[("mode", "fetch"), ("url", url)],
            &[("http_timeout_ms", 1000)],
        )),
    );
}

/// The one attempt of `plugin`.
fn only_attempt(env: &Env, plugin: &str) -> Attempt {
    let attempts = env.db().attempts_of_plugin(plugin);
    let [attempt] = attempts.as_slice() else {
        panic!("{plugin}: expected one attempt, got {attempts:#?}")
    };
    attempt.clone()
}

#[test]
fn a_name_allowed_by_the_manifest_never_reaches_loopback() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();

    let env = SUITE.env();
    // By name (resolved: 127.0.0.1, and ::1 where the system has it) and by IP literal.
    install_fetcher(
        &env,
        "by-name",
        &format!("localhost:{port}"),
        &format!("http://localhost:{port}/internal"),
    );
    install_fetcher(
        &env,
        "by-literal",
        &format!("127.0.0.1:{port}"),
        &format!("http://127.0.0.1:{port}/internal"),
    );
    let host = env.start();
    let ingested = host.ingest(&single_event("prospect.created", 1, "ana@example.com"));
    assert_eq!(ingested.deliveries, 2);
    env.db().wait_webhook_finished(&ingested.webhook_id, 2);

    for plugin in ["by-name", "by-literal"] {
        let attempt = only_attempt(&env, plugin);
        // The plugin saw its request denied, and finished.
        assert_eq!(attempt.outcome, "skipped", "{plugin}: {attempt:#?}");
        assert_eq!(attempt.detail.as_deref(), Some("fetch: denied"), "{plugin}");
        // The record says why.
        let requests = attempt.requests.as_array().unwrap();
        assert_eq!(requests.len(), 1, "{plugin}: {requests:?}");
        assert_eq!(requests[0]["decision"], "address_denied", "{plugin}");
        let reason = requests[0]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("127.0.0.1 (loopback)")
                && reason.contains("add its network to the host's outbound.allowed_networks"),
            "{plugin}: {reason}"
        );
    }
    assert_eq!(
        connections_waiting(&listener),
        MAX_CONNECTIONS,
        "connections reached the loopback listener"
    );
    // The host is still serving.
    assert_eq!(host.get_with_token("/healthz", None).status, 200);
}

#[test]
fn loopback_in_allowed_networks_lets_the_request_through() {
    let capture = CaptureServer::start();
    // The operator's explicit opt-in: loopback, where the capture server listens.
    let env = SUITE.env_with(Config::default().reaching_loopback());
    let port = capture.addr.port();
    install_fetcher(
        &env,
        "by-name",
        &format!("localhost:{port}"),
        &format!("http://localhost:{port}/opted-in"),
    );
    let host = env.start();
    let ingested = host.ingest(&single_event("prospect.created", 1, "ana@example.com"));
    env.db().wait_webhook_finished(&ingested.webhook_id, 1);

    let attempt = only_attempt(&env, "by-name");
    assert_eq!(
        attempt.detail.as_deref(),
        Some("fetch: status 200, 2 bytes"),
        "{attempt:#?}"
    );
    assert_eq!(attempt.requests[0]["decision"], "sent");
    assert!(attempt.requests[0].get("reason").is_none());
    let paths: Vec<String> = capture.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/opted-in"]);
}

#[test]
fn a_bad_network_stops_the_start_naming_the_key_and_the_variable() {
    let env = SUITE.env();
    std::fs::write(env.config_path(), env.config_toml()).unwrap();
    let mut command = SUITE.command();
    let output = command
        .args(["serve", "--config"])
        .arg(env.config_path())
        .env(
            "SMARTREACH_HOOKS_OUTBOUND__ALLOWED_NETWORKS",
            r#"["10.20.0.0/16", "10.20.0.5/16"]"#,
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("outbound.allowed_networks[1]")
            && stderr.contains("SMARTREACH_HOOKS_OUTBOUND__ALLOWED_NETWORKS")
            && stderr.contains("10.20.0.0/16"),
        "{stderr}"
    );
}
