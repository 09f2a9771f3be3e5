//! Several hosts on one PostgreSQL database, end to end through the binary (README, "Scaling
//! out"): 3,000 distinct webhooks spread over three hosts, one of them `kill -9`'d mid-stream,
//! lose nothing, run again only what the killed host held, and reach the plugin in each
//! prospect's order; a host started while another runs takes a share of the work.
//!
//! The plugin is the example crm-sync, sending each prospect to a capture server: what the
//! capture server saw, in the order it saw it, is the order the plugin ran in. Each body carries
//! a marker (`p{prospect}-s{sequence}`) that crm-sync forwards as a custom field.
//!
//! A database of the tests' own on `SMARTREACH_TEST_POSTGRES` (see `support::postgres`).

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::capture::{CaptureServer, Captured};
use support::host::{Client, Config, Env, Host};
use support::payload::prospect_event;
use support::postgres::TestDb;
use support::{BATCH, SOON, eventually_or};

/// Webhooks in the crash test, each for one of [`PROSPECTS`] prospects.
const WEBHOOKS: usize = 3_000;
/// Prospects of the crash test: each gets `WEBHOOKS / PROSPECTS` events, in order.
const PROSPECTS: usize = 100;
/// Acknowledged webhooks after which one host is killed.
const KILL_AFTER: usize = 1_000;
/// The hosts' lease: what the killed host held is run again this long after the kill. Renewed
/// every third of it, so a host stalled on a busy machine for less than two thirds of it keeps
/// its runs.
const LEASE: &str = "5s";

/// A host's environment on `db`, with crm-sync sending to `capture` under `limits`.
fn host_env(db: &TestDb, capture: &CaptureServer, workers: u32, limits: &[(&str, u64)]) -> Env {
    host_env_leasing(db, capture, workers, limits, LEASE)
}

/// [`host_env`] with `delivery.lease = lease`.
fn host_env_leasing(
    db: &TestDb,
    capture: &CaptureServer,
    workers: u32,
    limits: &[(&str, u64)],
    lease: &str,
) -> Env {
    let env = SUITE.env_with(
        Config {
            store_url: Some(db.url()),
            lease: Some(lease.to_owned()),
            workers,
            ..Config::with_admin()
        }
        .reaching_loopback(),
    );
    let manifest = support::plugins::manifest(
        Some(&capture.host()),
        &[("endpoint", &format!("{}/crm", capture.url()))],
        limits,
    );
    env.install("crm-sync", "crm_sync", Some(&manifest));
    env
}

/// The marker of the `sequence`-th event of `prospect`.
fn marker(prospect: usize, sequence: usize) -> String {
    format!("p{prospect}-s{sequence:04}-")
}

/// The (prospect, sequence) a captured crm-sync request was made for.
fn parse_marker(request: &Captured) -> (usize, usize) {
    let marker = request.body["custom_fields"]["marker"]
        .as_str()
        .unwrap_or_else(|| panic!("no marker in {request:?}"));
    let (prospect, sequence) = marker
        .strip_prefix('p')
        .and_then(|rest| rest.strip_suffix('-'))
        .and_then(|rest| rest.split_once("-s"))
        .unwrap_or_else(|| panic!("not a marker: {marker}"));
    (prospect.parse().unwrap(), sequence.parse().unwrap())
}

/// Deliveries of `db` held (`running`) by the host with process id `pid`.
fn held_by(db: &TestDb, pid: u32) -> Vec<i64> {
    db.column(&format!(
        "SELECT id FROM deliveries WHERE status = 'running' AND lease_owner LIKE 'pid{pid}-%' \
         ORDER BY id"
    ))
}

/// Posts `body` to the hosts, starting at `first` and going on to the next one while a host
/// does not answer (it was killed): the webhook is acknowledged once a host answers 2xx. A post
/// whose answer was lost may have been stored: sent again, it is recognised as a redelivery.
fn post_until_acknowledged(clients: &[Client], first: usize, body: &[u8]) {
    let mut answers = Vec::new();
    for turn in 0..clients.len() * 20 {
        let client = &clients[(first + turn) % clients.len()];
        match client.post_webhook(body) {
            Ok(response) if matches!(response.status, 200 | 202) => return,
            Ok(response) if response.status == 503 => {
                answers.push(format!("{response:?}"));
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(response) => panic!("webhook refused: {response:?}"),
            // The killed host: try the next one.
            Err(err) => answers.push(err),
        }
    }
    panic!("no host acknowledged a webhook: {answers:#?}");
}

#[test]
fn three_hosts_lose_nothing_and_keep_each_prospect_in_order_when_one_is_killed() {
    let Some(db) = TestDb::create(
        "three_hosts_lose_nothing_and_keep_each_prospect_in_order_when_one_is_killed",
    ) else {
        return;
    };
    let capture = CaptureServer::start();
    // Every run takes a while, so that runs are in flight when the host is killed.
    capture.set_delay(Duration::from_millis(30));
    let envs: Vec<Env> = (0..3)
        .map(|_| host_env(&db, &capture, 16, &[("max_concurrency", 8)]))
        .collect();
    let mut hosts: Vec<Host> = envs.iter().map(Env::start).collect();
    let clients: Vec<Client> = hosts.iter().map(Host::client).collect();

    // Three senders, each owning a third of the prospects and sending each prospect's events one
    // after another (each acknowledged before the next is sent, so that the order of a
    // prospect's events is the order they were sent in), over all three hosts in turn.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let per_prospect = WEBHOOKS / PROSPECTS;
    let senders: Vec<_> = (0..3)
        .map(|sender| {
            let clients = clients.clone();
            let acknowledged = Arc::clone(&acknowledged);
            std::thread::spawn(move || {
                let prospects: Vec<usize> = (sender..PROSPECTS).step_by(3).collect();
                let mut turn = sender;
                for sequence in 0..per_prospect {
                    for &prospect in &prospects {
                        let body = prospect_event(
                            "prospect.updated",
                            50_000 + prospect as i64,
                            &format!("scale{prospect}@example.com"),
                            &marker(prospect, sequence),
                        );
                        post_until_acknowledged(&clients, turn, &body);
                        turn += 1;
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();

    // Kill the second host mid-stream, while it runs deliveries.
    eventually_or(
        "the first webhooks acknowledged",
        BATCH,
        || match acknowledged.load(Ordering::SeqCst) {
            n if n >= KILL_AFTER => Ok(()),
            n => Err(format!("{n} acknowledged")),
        },
    );
    let victim = hosts[1].pid();
    eventually_or(
        "the host to kill running deliveries",
        SOON,
        || match held_by(&db, victim).len() {
            0 => Err("none held".to_owned()),
            _ => Ok(()),
        },
    );
    hosts[1].kill();
    let held_at_kill = held_by(&db, victim);
    assert!(
        !held_at_kill.is_empty(),
        "the killed host held no delivery: the test proves nothing"
    );
    for sender in senders {
        sender.join().expect("a sender failed");
    }
    assert_eq!(acknowledged.load(Ordering::SeqCst), WEBHOOKS);

    // Nothing lost: every acknowledged webhook stored once, and delivered.
    assert_eq!(db.scalar("SELECT count(*) FROM webhooks"), WEBHOOKS as i64);
    eventually_or("every delivery done", BATCH, || {
        let done = db.scalar("SELECT count(*) FROM deliveries WHERE status = 'done'");
        match done {
            n if n == WEBHOOKS as i64 => Ok(()),
            n => Err(format!("{n} of {WEBHOOKS} done")),
        }
    });
    assert_eq!(
        db.scalar("SELECT count(*) FROM deliveries"),
        WEBHOOKS as i64
    );

    // Run again: exactly what the killed host held (taken over, so counted twice), nothing else.
    let run_twice: Vec<i64> = db.column("SELECT id FROM deliveries WHERE attempts > 1 ORDER BY id");
    assert_eq!(
        run_twice, held_at_kill,
        "the deliveries with a second attempt are those the killed host held"
    );

    // Each prospect's events reached the plugin in order; a repeat (a run the kill cut short,
    // run again) follows its first run directly.
    let mut seen: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for request in capture.requests() {
        let (prospect, sequence) = parse_marker(&request);
        let order = seen.entry(prospect).or_default();
        if order.last() != Some(&sequence) {
            order.push(sequence);
        }
    }
    let in_order: Vec<usize> = (0..per_prospect).collect();
    for prospect in 0..PROSPECTS {
        assert_eq!(
            seen.get(&prospect),
            Some(&in_order),
            "prospect {prospect}'s events reached the plugin out of order or not at all"
        );
    }
    let requests = capture.len();
    let repeats = requests - WEBHOOKS;
    assert!(
        repeats <= held_at_kill.len(),
        "{repeats} requests sent twice, but the killed host held only {}",
        held_at_kill.len()
    );
    eprintln!(
        "crash test: {WEBHOOKS} acknowledged, {WEBHOOKS} delivered, {} held by the killed host, \
         {} run twice, {repeats} requests repeated",
        held_at_kill.len(),
        run_twice.len(),
    );
    for host in &mut hosts {
        if host.is_running() {
            host.stop("TERM");
        }
    }
}

#[test]
fn a_host_started_while_another_runs_takes_a_share_of_the_work() {
    let Some(db) = TestDb::create("a_host_started_while_another_runs_takes_a_share_of_the_work")
    else {
        return;
    };
    let capture = CaptureServer::start();
    // Runs hang until released: what a host claimed stays held by it.
    capture.hold("join-");
    let limits = [("max_concurrency", 2)];
    let first_env = host_env(&db, &capture, 4, &limits);
    let first = first_env.start();
    let webhooks = 20;
    for prospect in 0..webhooks {
        let body = prospect_event(
            "prospect.created",
            60_000 + prospect,
            "join@example.com",
            &format!("join-{prospect}-"),
        );
        first.ingest(&body);
    }
    // The first host holds what its limits let it (2 running, 2 claimed ahead); the rest waits.
    eventually_or(
        "the first host holding deliveries",
        SOON,
        || match held_by(&db, first.pid()).len() {
            0 => Err("none held".to_owned()),
            _ => Ok(()),
        },
    );
    let pending = db.scalar("SELECT count(*) FROM deliveries WHERE status = 'pending'");
    assert!(pending > 0, "the first host took everything");

    let second_env = host_env(&db, &capture, 4, &limits);
    let second = second_env.start();
    eventually_or(
        "the second host holding deliveries",
        SOON,
        || match held_by(&db, second.pid()).len() {
            0 => Err("none held".to_owned()),
            n => Ok(n),
        },
    );
    let held: BTreeSet<i64> = held_by(&db, first.pid())
        .into_iter()
        .chain(held_by(&db, second.pid()))
        .collect();
    assert_eq!(
        held.len(),
        held_by(&db, first.pid()).len() + held_by(&db, second.pid()).len(),
        "a delivery held by both hosts"
    );

    capture.release("join-");
    eventually_or("every delivery done", BATCH, || {
        let done = db.scalar("SELECT count(*) FROM deliveries WHERE status = 'done'");
        match done {
            n if n == webhooks => Ok(()),
            n => Err(format!("{n} of {webhooks} done")),
        }
    });
    assert_eq!(
        db.scalar("SELECT count(*) FROM deliveries WHERE attempts > 1"),
        0,
        "a delivery ran twice"
    );
}

/// README, "Leases": a host renews the leases of what it runs, so a run longer than
/// `delivery.lease` is not taken over by another host (which would run it a second time).
#[test]
fn a_run_longer_than_the_lease_stays_with_its_host() {
    let Some(db) = TestDb::create("a_run_longer_than_the_lease_stays_with_its_host") else {
        return;
    };
    let capture = CaptureServer::start();
    capture.hold("long-");
    // The run may take 30 s, its request too: longer than the whole test holds it.
    let limits = [("timeout_ms", 30_000), ("http_timeout_ms", 30_000)];
    let first_env = host_env_leasing(&db, &capture, 4, &limits, "3s");
    let first = first_env.start();
    first.ingest(&prospect_event(
        "prospect.created",
        70_000,
        "long@example.com",
        "long-run-",
    ));
    eventually_or("the run under way", SOON, || match capture.held_now() {
        1 => Ok(()),
        n => Err(format!("{n} requests held")),
    });
    let second_env = host_env_leasing(&db, &capture, 4, &limits, "3s");
    let second = second_env.start();
    // Over two leases (3 s each) pass while the run hangs: without renewals the second host
    // would have taken it over after the first.
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(
        held_by(&db, first.pid()).len(),
        1,
        "the first host no longer holds its run"
    );
    assert!(held_by(&db, second.pid()).is_empty());
    assert_eq!(capture.len(), 1, "the event was sent twice");
    capture.release("long-");
    eventually_or("the delivery done", SOON, || {
        match db.scalar("SELECT count(*) FROM deliveries WHERE status = 'done' AND attempts = 1") {
            1 => Ok(()),
            n => Err(format!("{n} done once")),
        }
    });
    assert_eq!(capture.len(), 1, "the event was sent twice");
}
