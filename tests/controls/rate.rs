//! `limits.rate`: a backlog is sent at the plugin's rate, not as fast as the workers allow, on
//! one host and on two hosts sharing a PostgreSQL database (one budget for both); waiting for the
//! limit is no attempt (nothing retried or dead-lettered) and each prospect's order holds.
//!
//! The rate is measured where the upstream sees it (the capture server's arrival times), over
//! every window between two requests, with a tolerance for the time between a claim and its
//! request reaching the upstream. Nothing asserts that the host is fast: only that it is never
//! faster than the limit.

use std::time::Instant;

use crate::SUITE;
use crate::support::capture::{CaptureServer, Captured};
use crate::support::db::Delivery;
use crate::support::host::{Config, Env, Host};
use crate::support::payload::prospect_event;
use crate::support::plugins::manifest;
use crate::support::postgres::TestDb;
use crate::support::{BATCH, eventually_or};

/// Deliveries per second the plugin may start.
const PER_SECOND: u32 = 5;
/// And at once, after a quiet spell.
const BURST: u32 = 2;
const PROSPECTS: usize = 4;
const UPDATES: usize = 10;

/// crm-sync sending to `capture`, limited to [`PER_SECOND`] in bursts of [`BURST`].
fn install_limited_crm_sync(env: &Env, capture: &CaptureServer) {
    let mut text = manifest(
        Some(&capture.host()),
        &[("endpoint", &format!("{}/crm", capture.url()))],
        &[],
    );
    text.push_str(&format!(
        "rate = {{ count = {PER_SECOND}, per = \"second\", burst = {BURST} }}\n"
    ));
    env.install("crm-sync", "crm_sync", Some(&text));
}

fn marker(prospect: usize, seq: usize) -> String {
    format!("rate-{prospect}-{seq:02}")
}

/// Sends the backlog, update by update over the prospects, round-robin over `hosts`.
fn send_backlog(hosts: &[&Host]) {
    let mut next = 0;
    for seq in 0..UPDATES {
        for prospect in 0..PROSPECTS {
            hosts[next % hosts.len()].ingest(&prospect_event(
                "prospect.updated",
                7_200_000 + prospect as i64,
                &format!("r{prospect}@example.com"),
                &marker(prospect, seq),
            ));
            next += 1;
        }
    }
}

/// The measured rate: every request (sorted by arrival) against each later one. Between
/// requests i and j (arrived `s` seconds apart) the limit allows `BURST + PER_SECOND * s`; the
/// tolerance is one second's worth more, for the spread of the time from a claim to its request
/// arriving (a sandbox to instantiate on a loaded machine). Returns the requests per second
/// over the whole run, for the report.
fn assert_within_rate(requests: &[Captured]) -> f64 {
    let mut arrivals: Vec<Instant> = requests.iter().map(|request| request.received).collect();
    arrivals.sort();
    let tolerance = f64::from(PER_SECOND);
    let mut busiest = (0.0_f64, 0usize, 0.0_f64);
    for (i, first) in arrivals.iter().enumerate() {
        for (offset, last) in arrivals[i..].iter().enumerate() {
            let seconds = last.duration_since(*first).as_secs_f64();
            let count = offset + 1;
            let allowed = f64::from(BURST) + f64::from(PER_SECOND) * seconds + tolerance;
            assert!(
                count as f64 <= allowed,
                "{count} requests arrived within {seconds:.3} s: more than {BURST} + \
                 {PER_SECOND}/s allow (with a tolerance of {tolerance})"
            );
            let excess = count as f64 - f64::from(PER_SECOND) * seconds;
            if excess > busiest.0 {
                busiest = (excess, count, seconds);
            }
        }
    }
    let span = arrivals
        .last()
        .unwrap()
        .duration_since(arrivals[0])
        .as_secs_f64();
    let rate = (arrivals.len() - 1) as f64 / span;
    eprintln!(
        "rate limit {PER_SECOND}/s (burst {BURST}): {} requests over {span:.2} s, {rate:.2}/s; \
         the most over the rate: {} requests in {:.3} s",
        arrivals.len(),
        busiest.1,
        busiest.2
    );
    rate
}

/// Every delivery done in one attempt (waiting was none).
fn assert_done_once(deliveries: &[Delivery]) {
    assert_eq!(deliveries.len(), PROSPECTS * UPDATES);
    for delivery in deliveries {
        assert_eq!(delivery.status, "done", "{delivery:?}");
        assert_eq!(delivery.attempts, 1, "waiting is no attempt: {delivery:?}");
    }
}

/// One request per event, each prospect's in the order received.
fn assert_in_order(requests: &[Captured]) {
    assert_eq!(requests.len(), PROSPECTS * UPDATES);
    for prospect in 0..PROSPECTS {
        let sent: Vec<&str> = requests
            .iter()
            .filter(|request| request.crm_prospect_id() == 7_200_000 + prospect as i64)
            .map(|request| {
                request.body["custom_fields"]["marker"]
                    .as_str()
                    .unwrap_or("?")
            })
            .collect();
        let expected: Vec<String> = (0..UPDATES).map(|seq| marker(prospect, seq)).collect();
        assert_eq!(sent, expected, "prospect {prospect}: in the order received");
    }
}

#[test]
fn a_backlog_is_sent_at_the_plugin_s_rate() {
    let capture = CaptureServer::start();
    let env = SUITE.env_with(Config::with_admin().reaching_loopback());
    install_limited_crm_sync(&env, &capture);
    let host = env.start();
    let db = env.db();
    send_backlog(&[&host]);
    db.wait_idle(BATCH);
    let requests = capture.requests();
    assert_done_once(&db.deliveries_of_plugin("crm-sync"));
    assert_in_order(&requests);
    assert_within_rate(&requests);
    let info = crate::support::admin::plugin(&host, "crm-sync").expect("crm-sync listed");
    assert_eq!(
        info["limits"]["rate"],
        serde_json::json!({ "count": PER_SECOND, "per": "second", "burst": BURST }),
        "{info}"
    );
}

#[test]
fn two_hosts_on_one_database_share_the_plugin_s_rate() {
    let Some(db) = TestDb::create("controls_rate") else {
        return;
    };
    let capture = CaptureServer::start();
    let envs: Vec<Env> = (0..2)
        .map(|_| {
            let env = SUITE.env_with(
                Config {
                    store_url: Some(db.url()),
                    ..Config::with_admin()
                }
                .reaching_loopback(),
            );
            install_limited_crm_sync(&env, &capture);
            env
        })
        .collect();
    let hosts: Vec<Host> = envs.iter().map(Env::start).collect();
    send_backlog(&hosts.iter().collect::<Vec<_>>());
    eventually_or("every delivery to be finished", BATCH, || {
        let open =
            db.scalar("SELECT count(*) FROM deliveries WHERE status IN ('pending', 'running')");
        if open == 0 {
            Ok(())
        } else {
            Err(format!("{open} open"))
        }
    });
    let requests = capture.requests();
    let attempts = db.column(
        "SELECT attempts::BIGINT FROM deliveries WHERE plugin = 'crm-sync' AND status = 'done'",
    );
    assert_eq!(attempts.len(), PROSPECTS * UPDATES, "all done");
    assert!(
        attempts.iter().all(|attempts| *attempts == 1),
        "waiting is no attempt: {attempts:?}"
    );
    assert_in_order(&requests);
    assert_within_rate(&requests);
    drop(hosts);
}
