//! Graceful shutdown: SIGTERM (and SIGINT) stop the host with exit status 0, leaving no delivery
//! claimed, and whatever was acknowledged but not yet delivered is delivered after a restart. A
//! delivery still running at the end of the grace period goes back to pending; a second signal
//! stops the host at once (exit 130); new connections are refused while it shuts down.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::time::Duration;

use support::capture::CaptureServer;
use support::db::Delivery;
use support::host::{Config, Env, Host};
use support::payload::prospect_event;
use support::{BATCH, SOON, eventually, eventually_or};

const EVENTS: usize = 60;
const BASE: i64 = 6_000_000;

#[test]
fn sigterm_is_graceful_and_a_restart_delivers_the_rest() {
    let capture = CaptureServer::start();
    // Each delivery takes a while, so most are still waiting when the signal comes.
    capture.set_delay(Duration::from_millis(200));
    let env = SUITE.env_with(Config::default().reaching_loopback());
    env.install_crm_sync(&capture);
    let mut host = env.start();
    let db = env.db();

    let mut acknowledged = BTreeMap::new();
    for n in 0..EVENTS {
        let ingested = host.ingest(&prospect_event(
            "prospect.created",
            BASE + n as i64,
            &format!("graceful{n}@example.com"),
            &format!("graceful-{n:03}"),
        ));
        acknowledged.insert(BASE + n as i64, ingested.webhook_id);
    }

    let status = host.stop("TERM");
    assert!(status.success(), "SIGTERM: exit status 0, not {status:?}");
    let at_exit = db.status_counts();
    let delivered_before = capture.len();
    println!(
        "graceful shutdown: {delivered_before} of {EVENTS} delivered before the exit; deliveries at the exit: {at_exit:?}"
    );
    assert_eq!(
        at_exit.get("running"),
        None,
        "a graceful shutdown finishes or releases the deliveries it runs (the grace period is \
         longer than one delivery): {at_exit:?}"
    );
    assert_eq!(
        at_exit.values().sum::<i64>(),
        EVENTS as i64,
        "one delivery per acknowledged event: {at_exit:?}"
    );

    let mut host = env.start();
    db.wait_idle(BATCH);
    let mut delivered: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for request in capture.requests() {
        let prospect = request.crm_prospect_id();
        delivered
            .entry(prospect)
            .or_default()
            .push(request.header("idempotency-key").unwrap_or("").to_owned());
    }
    for (prospect, webhook_id) in &acknowledged {
        let keys = delivered
            .get(prospect)
            .unwrap_or_else(|| panic!("prospect {prospect} ({webhook_id}) was never delivered"));
        assert_eq!(
            keys,
            &[format!("{webhook_id}:0")],
            "prospect {prospect}: delivered once (nothing was cut off mid-run), with its event id"
        );
    }
    let counts = db.status_counts();
    assert_eq!(counts.get("done"), Some(&(EVENTS as i64)), "{counts:?}");

    let status = host.stop("INT");
    assert!(status.success(), "SIGINT: exit status 0, not {status:?}");
}

/// A host running crm-sync against `capture` and one webhook whose delivery the capture server
/// holds (no answer) until released: a delivery in flight for up to the host's 60 s ceiling of
/// `timeout_ms`. Returns the host and the webhook id once the held request has arrived.
fn host_with_a_held_delivery(env: &Env, capture: &CaptureServer, marker: &str) -> (Host, String) {
    capture.hold(marker);
    let manifest = support::plugins::manifest(
        Some(&capture.host()),
        &[("endpoint", &format!("{}/crm", capture.url()))],
        &[("timeout_ms", 60_000), ("http_timeout_ms", 60_000)],
    );
    env.install("crm-sync", "crm_sync", Some(&manifest));
    let host = env.start();
    let ingested = host.ingest(&prospect_event(
        "prospect.created",
        7_000_001,
        "held@example.com",
        marker,
    ));
    eventually("crm-sync's request to be held in flight", SOON, || {
        (capture.held_now() == 1).then_some(())
    });
    (host, ingested.webhook_id)
}

/// The one delivery of the test's one webhook.
fn only_delivery(env: &Env, webhook_id: &str) -> Delivery {
    let deliveries = env.db().deliveries_of_webhook(webhook_id);
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    deliveries.into_iter().next().unwrap()
}

/// README: "a delivery still running at the end of the grace period goes back to pending" and
/// runs after the restart. The delivery is held in flight past a 1 s grace period.
#[test]
fn a_delivery_running_past_the_grace_period_returns_to_pending_and_runs_after_restart() {
    let capture = CaptureServer::start();
    let env = SUITE.env_with(Config {
        grace_period: "1s".to_owned(),
        ..Config::default().reaching_loopback()
    });
    let (mut host, webhook_id) = host_with_a_held_delivery(&env, &capture, "held-past-grace");
    assert_eq!(only_delivery(&env, &webhook_id).status, "running");

    let status = host.stop("TERM");
    assert!(status.success(), "SIGTERM: exit status 0, not {status:?}");
    let delivery = only_delivery(&env, &webhook_id);
    assert_eq!(
        delivery.status, "pending",
        "returned to pending: {delivery:?}"
    );
    assert_eq!(delivery.lease_owner, None, "no lease kept: {delivery:?}");
    assert!(
        host.stderr().contains("go back to pending"),
        "the host says it released the delivery"
    );

    capture.release("held-past-grace");
    let before = capture.len();
    let _host = env.start();
    eventually_or(
        "the released delivery to run after the restart",
        SOON,
        || {
            let delivery = only_delivery(&env, &webhook_id);
            (delivery.status == "done")
                .then_some(())
                .ok_or(format!("{delivery:?}"))
        },
    );
    assert!(
        capture.len() > before,
        "crm-sync ran again after the restart"
    );
}

/// README: "a second signal stops at once" (exit 130), and the host stops accepting at the first
/// signal: a new connection is refused while the delivery in flight holds the shutdown open.
#[test]
fn a_second_signal_exits_130_and_new_connections_are_refused_while_shutting_down() {
    let capture = CaptureServer::start();
    let env = SUITE.env_with(Config {
        grace_period: "120s".to_owned(),
        ..Config::default().reaching_loopback()
    });
    let (mut host, webhook_id) = host_with_a_held_delivery(&env, &capture, "held-at-signal");

    let mark = host.stderr_mark();
    host.signal("TERM");
    host.wait_for_stderr("shutting down", mark, SOON);
    let addr = host.addr;
    eventually_or("new connections to be refused", SOON, || {
        // Refused by the running host, not by a host that has already exited.
        assert!(
            host.is_running(),
            "the first signal waits for the delivery in flight"
        );
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    assert!(
        host.is_running(),
        "the first signal waits for the delivery in flight"
    );

    let status = host.stop("TERM");
    assert_eq!(
        status.code(),
        Some(130),
        "second signal: exit 130, not {status:?}"
    );
    assert_eq!(
        only_delivery(&env, &webhook_id).status,
        "running",
        "the run cut off by the second signal is still claimed"
    );

    capture.release("held-at-signal");
    let _host = env.start();
    eventually_or(
        "the interrupted delivery to run again after the restart",
        SOON,
        || {
            let delivery = only_delivery(&env, &webhook_id);
            (delivery.status == "done")
                .then_some(())
                .ok_or(format!("{delivery:?}"))
        },
    );
}
