//! A crash: the host is SIGKILLed while a client streams webhooks at it. Nothing it acknowledged
//! may be lost: on restart, every acknowledged event is delivered, and only the deliveries that
//! were running at the kill may run twice.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::capture::CaptureServer;
use support::host::{Config, Ingested};
use support::payload::prospect_event;
use support::{BATCH, eventually};

/// Webhooks the client sends.
const EVENTS: usize = 1_000;
/// The kill comes after this many acknowledgements.
const KILL_AFTER: usize = 400;
/// Prospect ids of the stream: `BASE + n` for webhook n.
const BASE: i64 = 5_000_000;

/// What the client saw for one webhook.
#[derive(Debug, Clone)]
enum Sent {
    /// 2xx: the host acknowledged it, with this webhook id.
    Acknowledged(String),
    /// A transport error or another status.
    Failed(String),
}

fn body(n: usize) -> Vec<u8> {
    prospect_event(
        "prospect.created",
        BASE + n as i64,
        &format!("stream{n}@example.com"),
        &format!("crash-{n:04}"),
    )
}

#[test]
fn a_sigkill_loses_no_acknowledged_event() {
    let capture = CaptureServer::start();
    let env = SUITE.env_with(Config::default().reaching_loopback());
    // crm-sync PUTs each prospect to /crm/contacts/smartreach-{prospect_id}, with the event id as
    // Idempotency-Key: the capture server sees which events were delivered, and how often.
    env.install_crm_sync(&capture);
    let mut host = env.start();

    // The client: sends every webhook once, in order, and records what it got.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let client = {
        let client = host.client();
        let acknowledged = acknowledged.clone();
        std::thread::spawn(move || {
            (0..EVENTS)
                .map(|n| match client.post_webhook(&body(n)) {
                    Ok(response) if (200..300).contains(&response.status) => {
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                        Sent::Acknowledged(Ingested::from_response(&response).webhook_id)
                    }
                    Ok(response) => {
                        Sent::Failed(format!("status {}: {}", response.status, response.body))
                    }
                    Err(err) => Sent::Failed(err),
                })
                .collect::<Vec<Sent>>()
        })
    };
    eventually(&format!("{KILL_AFTER} acknowledgements"), BATCH, || {
        (acknowledged.load(Ordering::SeqCst) >= KILL_AFTER).then_some(())
    });
    host.kill();
    let sent = client.join().expect("the client thread");

    // The store as the kill left it.
    let db = env.db();
    let at_kill = db.status_counts();
    let running_at_kill = *at_kill.get("running").unwrap_or(&0);
    let stored_at_kill: BTreeMap<String, ()> = db
        .webhooks()
        .into_iter()
        .map(|webhook| (webhook.id, ()))
        .collect();
    let acked: Vec<(usize, &String)> = sent
        .iter()
        .enumerate()
        .filter_map(|(n, sent)| match sent {
            Sent::Acknowledged(id) => Some((n, id)),
            Sent::Failed(_) => None,
        })
        .collect();
    let failed: Vec<(usize, &String)> = sent
        .iter()
        .enumerate()
        .filter_map(|(n, sent)| match sent {
            Sent::Failed(why) => Some((n, why)),
            Sent::Acknowledged(_) => None,
        })
        .collect();
    for (n, id) in &acked {
        assert!(
            stored_at_kill.contains_key(*id),
            "webhook {n} was acknowledged as {id} but is not in the store after the kill"
        );
    }
    let delivered_before_restart = capture.len();

    // Restart on the same data dir, and send again what failed, as SmartReach would.
    let host = env.start();
    let mut stored_unacknowledged = 0;
    for &(n, _) in &failed {
        let response = host.post_webhook(&body(n));
        let ingested = Ingested::from_response(&response);
        if ingested.duplicate {
            // Stored before the kill, but the client never heard so.
            stored_unacknowledged += 1;
        }
    }
    db.wait_idle(BATCH);

    // Which prospects reached the capture server, and how often.
    let mut deliveries_per_event: BTreeMap<i64, usize> = BTreeMap::new();
    let mut keys: BTreeMap<i64, String> = BTreeMap::new();
    for request in capture.requests() {
        let prospect = request.crm_prospect_id();
        *deliveries_per_event.entry(prospect).or_default() += 1;
        keys.insert(
            prospect,
            request.header("idempotency-key").unwrap_or("").to_owned(),
        );
    }
    let duplicated: Vec<(i64, usize)> = deliveries_per_event
        .iter()
        .filter(|(_, count)| **count > 1)
        .map(|(prospect, count)| (*prospect, *count))
        .collect();
    let extra_runs: usize = duplicated.iter().map(|(_, count)| count - 1).sum();

    println!(
        "crash test: {} acknowledged, {} failed (first: {:?}; {} of them stored before the kill), \
         {} delivered before the restart, {} events delivered in all, {} delivered more than \
         once ({} extra runs), {} running at the kill; deliveries at the kill: {:?}",
        acked.len(),
        failed.len(),
        failed.first().map(|(n, why)| format!("webhook {n}: {why}")),
        stored_unacknowledged,
        delivered_before_restart,
        deliveries_per_event.len(),
        duplicated.len(),
        extra_runs,
        running_at_kill,
        at_kill,
    );

    assert!(acked.len() >= KILL_AFTER, "{} acknowledged", acked.len());
    // None lost: every acknowledged event reached the plugin's endpoint, with its event id.
    for (n, id) in &acked {
        let prospect = BASE + *n as i64;
        assert!(
            deliveries_per_event.contains_key(&prospect),
            "webhook {n} ({id}) was acknowledged but never delivered"
        );
        assert_eq!(
            keys[&prospect],
            format!("{id}:0"),
            "webhook {n}: the idempotency key is its event id"
        );
    }
    // And after the resend, every webhook of the stream was delivered.
    let missing: Vec<usize> = (0..EVENTS)
        .filter(|n| !deliveries_per_event.contains_key(&(BASE + *n as i64)))
        .collect();
    assert!(missing.is_empty(), "never delivered: {missing:?}");
    // Each webhook is stored once, the resent ones included.
    assert_eq!(
        db.webhooks().len(),
        EVENTS,
        "one stored webhook per distinct body"
    );
    // Only what was running at the kill may have run twice.
    assert!(
        extra_runs <= running_at_kill as usize,
        "{extra_runs} extra deliveries ({duplicated:?}), but only {running_at_kill} were running \
         at the kill"
    );
    let counts = db.status_counts();
    assert_eq!(
        counts.keys().map(String::as_str).collect::<Vec<_>>(),
        ["done"],
        "every delivery ended done: {counts:?}"
    );
    assert_eq!(counts["done"], EVENTS as i64);
    drop(host);
}
