//! Graceful shutdown: SIGTERM (and SIGINT) stop the host with exit status 0, leaving no delivery
//! claimed, and whatever was acknowledged but not yet delivered is delivered after a restart.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::BATCH;
use support::capture::CaptureServer;
use support::host::{Config, Env};
use support::payload::prospect_event;

const EVENTS: usize = 60;
const BASE: i64 = 6_000_000;

#[test]
fn sigterm_is_graceful_and_a_restart_delivers_the_rest() {
    let capture = CaptureServer::start();
    // Each delivery takes a while, so most are still waiting when the signal comes.
    capture.set_delay(Duration::from_millis(200));
    let env = Env::with_config(Config::default().reaching_loopback());
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
        let prospect: i64 = request
            .path
            .strip_prefix("/crm/contacts/smartreach-")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("unexpected request {request:?}"));
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
