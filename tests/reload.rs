//! Hot reload of the plugin folder while webhooks flow: adding a plugin, changing its manifest,
//! replacing its `.wasm`, dropping broken files in, and removing it.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use support::admin;
use support::capture::{CaptureServer, Captured};
use support::db::{Attempt, Db};
use support::host::{Client, Config, Ingested};
use support::payload::reply;
use support::plugins::{manifest, wasm};
use support::{SOON, eventually, eventually_or, sha256_hex};

/// Not a wasm component.
const GARBAGE: &[u8] = b"\0asm this is not a wasm component, just bytes";

/// The manifest of `fwd` (reply-forwarder): POST each reply to `path` on the capture server.
fn fwd_manifest(capture: &CaptureServer, path: &str, limits: &[(&str, u64)]) -> String {
    manifest(
        Some(&capture.host()),
        &[("url", &format!("{}{path}", capture.url()))],
        limits,
    )
}

/// A client thread that posts a distinct reply every 100 ms until stopped, recording the webhook
/// id of each in order.
struct Feeder {
    stop: Arc<AtomicBool>,
    sent: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<Vec<String>>>,
}

impl Feeder {
    fn start(client: Client, base: i64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let stop = stop.clone();
            let sent = sent.clone();
            std::thread::spawn(move || {
                let mut errors = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let body = reply(
                        base + n,
                        &format!("flow{n}@example.com"),
                        &format!("flow {n}"),
                    );
                    match client.post_webhook(&body) {
                        Ok(response) if response.status == 202 => {
                            sent.lock()
                                .unwrap()
                                .push(Ingested::from_response(&response).webhook_id);
                        }
                        Ok(response) => errors.push(format!("reply {n}: {response:?}")),
                        Err(err) => errors.push(format!("reply {n}: {err}")),
                    }
                    n += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                errors
            })
        };
        Self {
            stop,
            sent,
            thread: Some(thread),
        }
    }

    /// Stops posting; returns the webhook ids sent, in order. Panics if a post was refused.
    fn stop(mut self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        let errors = self
            .thread
            .take()
            .unwrap()
            .join()
            .expect("the feeder thread");
        assert!(
            errors.is_empty(),
            "the host refused replies while reloading: {errors:#?}"
        );
        self.sent.lock().unwrap().clone()
    }
}

impl Drop for Feeder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Waits for an attempt of plugin `fwd` that ran the build `hash` and ended in `outcome`.
fn wait_for_attempt(db: &Db, what: &str, hash: &str, outcome: &str) -> Attempt {
    eventually_or(what, SOON, || {
        let attempts = db.attempts_of_plugin("fwd");
        attempts
            .iter()
            .find(|attempt| attempt.plugin_hash == hash && attempt.outcome == outcome)
            .cloned()
            .ok_or_else(|| {
                let seen: BTreeSet<(String, String)> = attempts
                    .iter()
                    .map(|a| (a.plugin_hash.clone(), a.outcome.clone()))
                    .collect();
                format!("fwd attempts so far (hash, outcome): {seen:?}")
            })
    })
}

/// Waits for a request of the capture server that satisfies `matches`.
fn wait_for_request(
    capture: &CaptureServer,
    what: &str,
    matches: impl Fn(&Captured) -> bool,
) -> Captured {
    eventually(what, SOON, || {
        capture.requests().into_iter().find(|r| matches(r))
    })
}

/// The webhook id in event id `{webhook_id}:{index}`.
fn webhook_of(event_id: &str) -> &str {
    event_id
        .rsplit_once(':')
        .map_or(event_id, |(webhook, _)| webhook)
}

/// A plugin added, its manifest changed, its `.wasm` replaced by another build, a broken new
/// file and a broken replacement, all while replies flow in: each change takes effect, the broken
/// files are reported by name and change nothing, the other plugin never stops, and no reply in
/// between misses the plugin.
#[test]
fn plugins_are_added_changed_replaced_and_broken_files_ignored() {
    let capture = CaptureServer::start();
    let env = SUITE.env_with(Config::default().reaching_loopback());
    env.install_event_log();
    let host = env.start();
    let db = env.db();
    let feeder = Feeder::start(host.client(), 7_000_000);

    // Added: reply-forwarder as `fwd`, posting to /v1/replies.
    let build_a = env.install(
        "fwd",
        "reply_forwarder",
        Some(&fwd_manifest(&capture, "/v1/replies", &[])),
    );
    let first = wait_for_attempt(&db, "the added plugin to run", &build_a, "done");
    let request = wait_for_request(&capture, "the added plugin's request", |r| {
        r.header("idempotency-key") == Some(first.event_id.as_str())
    });
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1/replies")
    );
    let first_webhook = webhook_of(&first.event_id).to_owned();

    // Manifest changed, same build: the new config applies. The new manifest is longer, so the
    // change shows in the file's size, which the reload rule reads on any filesystem (a change of
    // contents alone may hide behind coarse times once its five-second hash window is over).
    let old_manifest = fwd_manifest(&capture, "/v1/replies", &[]);
    let new_manifest = fwd_manifest(&capture, "/v2/moved-replies", &[]);
    assert_ne!(old_manifest.len(), new_manifest.len());
    env.put_plugin_file("fwd.toml", new_manifest.as_bytes());
    let moved = wait_for_request(&capture, "a request to the manifest's new url", |r| {
        r.path == "/v2/moved-replies"
    });
    let key = moved
        .header("idempotency-key")
        .expect("reply-forwarder sends the event id")
        .to_owned();
    let attempt = eventually("the attempt of the request to the new url", SOON, || {
        db.attempts_of_plugin("fwd")
            .into_iter()
            .find(|a| a.event_id == key)
    });
    assert_eq!(
        attempt.plugin_hash, build_a,
        "a manifest change keeps the build"
    );

    // Replaced by another build (event-log's code under the name `fwd`): it logs instead.
    let build_b = sha256_hex(&wasm("event_log"));
    assert_ne!(build_a, build_b);
    env.put_plugin_file("fwd.wasm", &wasm("event_log"));
    let replaced = wait_for_attempt(&db, "the replacement build to run", &build_b, "done");
    assert!(
        replaced
            .logs
            .to_string()
            .contains("event=activity.email.replied"),
        "the new build logged the reply: {:?}",
        replaced.logs
    );
    assert_eq!(
        replaced.requests,
        serde_json::json!([]),
        "the new build makes no request"
    );

    // A broken new file: reported by name; everything else goes on.
    let mark = host.stderr_mark();
    env.put_plugin_file("broken.wasm", GARBAGE);
    let line = host.wait_for_stderr("broken.wasm", mark, SOON);
    println!("the host on broken.wasm: {line}");
    let after = host.ingest(&reply(
        7_100_001,
        "after-broken@example.com",
        "after broken",
    ));
    assert_eq!(
        after.deliveries, 2,
        "event-log and fwd, nothing for broken.wasm"
    );
    for delivery in db.wait_webhook_finished(&after.webhook_id, 2) {
        assert_eq!(delivery.status, "done", "{delivery:?}");
    }

    // A broken replacement of `fwd`: reported by name; the previous build stays.
    let mark = host.stderr_mark();
    env.put_plugin_file("fwd.wasm", GARBAGE);
    let line = host.wait_for_stderr("fwd.wasm", mark, SOON);
    println!("the host on a broken fwd.wasm: {line}");
    let after = host.ingest(&reply(
        7_100_002,
        "after-broken-fwd@example.com",
        "after broken fwd",
    ));
    assert_eq!(after.deliveries, 2, "event-log and the previous fwd");
    let deliveries = db.wait_webhook_finished(&after.webhook_id, 2);
    let fwd = deliveries
        .iter()
        .find(|d| d.plugin == "fwd")
        .expect("a delivery to fwd");
    assert_eq!(fwd.status, "done", "{fwd:?}");
    let attempts = db.attempts_of(fwd.id);
    assert_eq!(attempts[0].plugin_hash, build_b, "the previous build ran");

    // Let the feeder go on for a few more reload rounds with the broken file in place.
    let mark = capture.len();
    let until = host.ingest(&reply(7_100_003, "last@example.com", "last"));
    db.wait_webhook_finished(&until.webhook_id, 2);
    let sent = feeder.stop();
    db.wait_idle(SOON);

    // event-log ran on every reply, whatever happened to `fwd`.
    for webhook_id in &sent {
        let deliveries = db.deliveries_of_webhook(webhook_id);
        let plugins: Vec<(&str, &str)> = deliveries
            .iter()
            .map(|d| (d.plugin.as_str(), d.status.as_str()))
            .collect();
        assert!(
            plugins.contains(&("event-log", "done")),
            "reply {webhook_id}: event-log ran: {plugins:?}"
        );
        assert!(
            plugins.iter().all(|(_, status)| *status == "done"),
            "reply {webhook_id}: {plugins:?}"
        );
    }
    // From the first reply `fwd` got on, every reply got it too: a reload never left a gap.
    let from = sent
        .iter()
        .position(|id| *id == first_webhook)
        .expect("the first fwd event came from the feeder");
    for webhook_id in &sent[from..] {
        assert!(
            db.deliveries_of_webhook(webhook_id)
                .iter()
                .any(|d| d.plugin == "fwd"),
            "reply {webhook_id}, after fwd was added, has no fwd delivery"
        );
    }
    // Only the two good builds ever ran; the broken bytes never did.
    let hashes: BTreeSet<String> = db
        .attempts_of_plugin("fwd")
        .into_iter()
        .map(|attempt| attempt.plugin_hash)
        .collect();
    assert_eq!(hashes, BTreeSet::from([build_a.clone(), build_b.clone()]));
    assert!(!hashes.contains(&sha256_hex(GARBAGE)));
    // The broken `fwd.wasm` did not bring reply-forwarder back: no request since.
    assert_eq!(capture.len(), mark, "{:?}", &capture.requests()[mark..]);
    drop(host);
}

/// Removing a plugin stops new deliveries to it; the ones already queued stay pending (neither
/// run nor dropped nor dead) and run, in order, when the plugin comes back.
#[test]
fn removing_a_plugin_keeps_its_pending_deliveries() {
    const HELD: &str = "held@hold.example";
    let capture = CaptureServer::start();
    // The first reply of the prospect is held at the capture server: it stays running, and the
    // prospect's later replies wait behind it.
    capture.hold(HELD);
    let env = SUITE.env_with(Config::default().reaching_loopback());
    // Roomy deadlines: the held request must not time out while the test removes the plugin.
    let limits: &[(&str, u64)] = &[("timeout_ms", 50_000), ("http_timeout_ms", 50_000)];
    env.install_event_log();
    env.install(
        "fwd",
        "reply_forwarder",
        Some(&fwd_manifest(&capture, "/replies", limits)),
    );
    let host = env.start();
    let db = env.db();

    let held: Vec<Ingested> = (0..4)
        .map(|n| host.ingest(&reply(424_242, HELD, &format!("held {n}"))))
        .collect();
    for ingested in &held {
        assert_eq!(ingested.deliveries, 2, "event-log and fwd");
    }
    let fwd_of = |ingested: &Ingested| {
        db.deliveries_of_webhook(&ingested.webhook_id)
            .into_iter()
            .find(|d| d.plugin == "fwd")
            .expect("a delivery to fwd")
    };
    eventually_or(
        "the first held reply to run and the others to wait",
        SOON,
        || {
            let statuses: Vec<String> = held.iter().map(|i| fwd_of(i).status).collect();
            if capture.held_now() == 1 && statuses == ["running", "pending", "pending", "pending"] {
                Ok(())
            } else {
                Err(format!(
                    "held requests {}, fwd deliveries {statuses:?}",
                    capture.held_now()
                ))
            }
        },
    );
    let subjects = |requests: Vec<Captured>| -> Vec<String> {
        requests
            .iter()
            .filter(|r| r.raw.contains(HELD))
            .map(|r| r.body["subject"].as_str().unwrap_or("?").to_owned())
            .collect()
    };
    assert_eq!(subjects(capture.requests()), ["held 0"]);

    // Removed: replies posted from now on get no delivery to fwd.
    env.remove_plugin_file("fwd.wasm");
    env.remove_plugin_file("fwd.toml");
    let mut probes = Vec::new();
    let mut next_probe = 0;
    let mut probe = |host: &support::host::Host| {
        next_probe += 1;
        host.ingest(&reply(
            600_000 + next_probe,
            &format!("probe{next_probe}@example.com"),
            &format!("probe {next_probe}"),
        ))
    };
    let unloaded_from = eventually("fwd to be unloaded", SOON, || {
        let ingested = probe(&host);
        let unloaded = ingested.deliveries == 1;
        probes.push(ingested);
        unloaded.then_some(probes.len() - 1)
    });
    // The held run finishes on the old version once its request is answered: done, in one
    // attempt (an invocation already running finishes on the version it started with).
    capture.release(HELD);
    eventually_or("the held run to finish", SOON, || {
        let delivery = fwd_of(&held[0]);
        if delivery.status == "running" {
            Err(format!("{delivery:?}"))
        } else {
            Ok(())
        }
    });
    let finished = fwd_of(&held[0]);
    assert_eq!(
        (finished.status.as_str(), finished.attempts),
        ("done", 1),
        "the held run ended done in its one attempt: {finished:?}"
    );
    // A few more replies, each processed to the end: the delivery workers went round several
    // times, and the removed plugin's queue did not move.
    for _ in 0..3 {
        let ingested = probe(&host);
        assert_eq!(
            ingested.deliveries, 1,
            "only event-log, fwd is gone: {ingested:?}"
        );
        db.wait_webhook_finished(&ingested.webhook_id, 1);
        probes.push(ingested);
    }
    for ingested in &held[1..] {
        let delivery = fwd_of(ingested);
        assert_eq!(
            (delivery.status.as_str(), delivery.attempts),
            ("pending", 0),
            "a removed plugin's queued delivery stays pending: {delivery:?}"
        );
    }
    assert_eq!(
        subjects(capture.requests()),
        ["held 0"],
        "nothing ran for the removed plugin"
    );

    // Back again: the queue runs, in order.
    env.install(
        "fwd",
        "reply_forwarder",
        Some(&fwd_manifest(&capture, "/replies", limits)),
    );
    eventually_or(
        "the queued deliveries to run after the plugin came back",
        SOON,
        || {
            let statuses: Vec<String> = held.iter().map(|i| fwd_of(i).status).collect();
            if statuses.iter().all(|s| s == "done") {
                Ok(())
            } else {
                Err(format!("{statuses:?}"))
            }
        },
    );
    // Each exactly once, in the order received: the held one did not run again.
    assert_eq!(
        subjects(capture.requests()),
        ["held 0", "held 1", "held 2", "held 3"],
        "in the order received, each once"
    );
    for ingested in &held {
        let delivery = fwd_of(ingested);
        assert_eq!(delivery.attempts, 1, "one attempt each: {delivery:?}");
    }
    // Replies that came while it was gone are not delivered to it retroactively.
    for ingested in &probes[unloaded_from..] {
        assert!(
            db.deliveries_of_webhook(&ingested.webhook_id)
                .iter()
                .all(|d| d.plugin != "fwd"),
            "{ingested:?}"
        );
    }
    db.wait_idle(SOON);
    drop(host);
}

/// A manifest that fails to load shows in `GET /api/v1/plugins` (file, message, when) while the
/// previous version stays loaded and active; a fixed manifest clears it.
#[test]
fn a_failed_load_shows_in_the_plugin_list_until_fixed() {
    let env = SUITE.env_with(Config::with_admin());
    let hash = env.install_event_log();
    let host = env.start();
    let loaded = eventually("event-log loaded", SOON, || {
        admin::plugin(&host, "event-log").filter(|p| p["loaded"] == true)
    });
    assert_eq!(loaded["load_error"], serde_json::Value::Null, "{loaded}");

    env.put_plugin_file(
        "event-log.toml",
        b"[limits]\ntimeout_ms = \"not a number\"\n",
    );
    let broken = eventually("the load error in the plugin list", SOON, || {
        admin::plugin(&host, "event-log").filter(|p| !p["load_error"].is_null())
    });
    let error = &broken["load_error"];
    assert!(
        error["file"]
            .as_str()
            .is_some_and(|file| file.ends_with("event-log.wasm")),
        "{broken}"
    );
    assert!(
        error["message"].as_str().is_some_and(
            |message| message.contains("event-log.toml") && message.contains("not a number")
        ),
        "the message says what is wrong: {broken}"
    );
    assert!(error["at"].as_i64().is_some_and(|at| at > 0), "{broken}");
    assert_eq!(error["active_hash"], hash.as_str(), "{broken}");
    assert_eq!(broken["loaded"], true, "the old version stays: {broken}");
    assert_eq!(broken["content_hash"], hash.as_str(), "{broken}");

    env.put_plugin_file("event-log.toml", manifest(None, &[], &[]).as_bytes());
    let fixed = eventually("the load error cleared", SOON, || {
        admin::plugin(&host, "event-log").filter(|p| p["load_error"].is_null())
    });
    assert_eq!(fixed["loaded"], true, "{fixed}");
    drop(host);
}
