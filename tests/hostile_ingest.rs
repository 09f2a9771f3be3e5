//! Hostile webhooks against the real host: what one request can make it store and hold is bounded.
//!
//! - an oversized batch (more than `ingest.max_items` items) is refused whole, counted, and other
//!   webhooks keep being acknowledged meanwhile;
//! - what one accepted webhook stores (database + WAL growth) and holds (peak RSS) stays under the
//!   bound documented in README ("Limits and defences");
//! - deliveries are ordered per (source, prospect): one account's held prospect does not hold back
//!   another account's prospect of the same id;
//! - the data folder and the database are private, and a database others can read is refused.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::path::Path;
use std::process::Output;
use std::thread;

use serde_json::{Value, json};
use support::admin::assert_problem;
use support::capture::CaptureServer;
use support::exposition::Exposition;
use support::host::{Config, Env, Host, Source, hook_path};
use support::payload::prospect_event;
use support::plugins::manifest;
use support::process::status_kib;
use support::{SOON, eventually};

/// `ingest.max_items`' default.
const MAX_ITEMS: usize = 1_000;
/// `ingest.max_body_bytes`' default.
const MAX_BODY: usize = 1024 * 1024;

/// The documented bound on what one accepted webhook adds to the database file and its WAL
/// (README, "Limits and defences"): `STORED_PER_BODY_BYTE` bytes per body byte (the body is kept
/// as received and each item's JSON once more: twice the body, and the WAL holds each written page
/// once more until it is checkpointed), plus, per item, `STORED_PER_ITEM` bytes and
/// `STORED_PER_ITEM_PER_PLUGIN` bytes per subscribed plugin (an event row, one delivery row per
/// plugin, their index entries; WAL included), plus `STORED_SLACK`: the WAL is checkpointed at
/// 1000 pages (about 4 MiB) and keeps its size, so it may grow by that much whatever is written.
const STORED_PER_BODY_BYTE: u64 = 4;
const STORED_PER_ITEM: u64 = 1024;
const STORED_PER_ITEM_PER_PLUGIN: u64 = 512;
const STORED_SLACK: u64 = 5 * 1024 * 1024;

/// The documented bound on the host's peak memory while it takes one webhook and starts its
/// deliveries (VmHWM above the resident size before): `HELD_PER_BODY_BYTE` bytes per body byte
/// (the body, the parsed payload, the metadata's and items' JSON, SQLite's copies of what it
/// writes, the metadata read back with each claimed delivery and handed to a plugin),
/// `HELD_PER_ITEM` bytes per item, plus `HELD_SLACK` for the allocator's arenas and SQLite's page
/// cache.
const HELD_PER_BODY_BYTE: u64 = 10;
const HELD_PER_ITEM: u64 = 2 * 1024;
const HELD_SLACK: u64 = 8 * 1024 * 1024;

/// A webhook body: `metadata` with an `extra` field of `extra_bytes` characters, and `items`
/// minimal data items (a one-digit prospect id, and a `note` of `note_bytes` characters when not 0;
/// 31 bytes each without). `seed` makes bodies distinct.
fn body(seed: u64, extra_bytes: usize, items: usize, note_bytes: usize) -> Vec<u8> {
    let data: Vec<Value> = (0..items)
        .map(|index| {
            let mut prospect = json!({ "prospect_id": index % 10 });
            if note_bytes > 0 {
                prospect["custom_fields"] = json!({ "note": "n".repeat(note_bytes) });
            }
            json!({ "prospect": prospect })
        })
        .collect();
    serde_json::to_vec(&json!({
        "metadata": {
            "event_type": "prospect.updated",
            "received_at": 1_700_000_000_000u64 + seed,
            "extra": "x".repeat(extra_bytes),
        },
        "data": data,
    }))
    .unwrap()
}

/// The attack: a ~950 KB body of a 20 KB metadata field and 30,000 minimal items.
fn amplification_body(seed: u64) -> Vec<u8> {
    body(seed, 20_000, 30_000, 0)
}

/// A line of `/proc/PID/status`, in bytes (`VmHWM`, `VmRSS`).
fn proc_status_bytes(pid: u32, field: &str) -> u64 {
    status_kib(pid, field) * 1024
}

/// Resets the host's peak RSS to its current RSS (`/proc/PID/clear_refs`), so that the next
/// `VmHWM` is the peak of what follows. Returns the current RSS.
fn reset_peak(pid: u32) -> u64 {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    proc_status_bytes(pid, "VmRSS")
}

/// The size of the database file and its WAL.
fn db_and_wal_bytes(db: &Path) -> u64 {
    let wal = db.with_file_name(format!("{}-wal", db.file_name().unwrap().to_string_lossy()));
    [db, wal.as_path()]
        .iter()
        .map(|path| std::fs::metadata(path).map_or(0, |meta| meta.len()))
        .sum()
}

#[test]
fn a_batch_over_max_items_is_refused_whole_while_other_webhooks_are_acknowledged() {
    let env = SUITE.env();
    env.install(
        "log",
        "hostile",
        Some(&manifest(None, &[("mode", "done")], &[])),
    );
    let host = env.start();
    let attack = amplification_body(1);
    assert!(
        attack.len() < MAX_BODY,
        "the attack fits in the body limit: {} bytes",
        attack.len()
    );

    // Ordinary webhooks from another thread all along.
    let client = host.client();
    let ordinary = thread::spawn(move || {
        (0..20)
            .map(|index| {
                let response = client
                    .post_webhook(&prospect_event(
                        "prospect.created",
                        100 + index,
                        "a@example.com",
                        &format!("ordinary-{index}"),
                    ))
                    .unwrap();
                response.status
            })
            .collect::<Vec<u16>>()
    });
    let rss_before = reset_peak(host.pid());
    for seed in 1..=3 {
        let response = host.post_webhook(&amplification_body(seed));
        let problem = assert_problem(&response, 413, "too-many-items");
        let detail = problem["detail"].as_str().unwrap();
        for needle in ["30000", "1000", "ingest.max_items"] {
            assert!(detail.contains(needle), "{needle} in {detail}");
        }
        assert_eq!(problem["items"], 30_000);
        assert_eq!(problem["limit"], MAX_ITEMS);
    }
    let held = proc_status_bytes(host.pid(), "VmHWM").saturating_sub(rss_before);
    let held_bound = HELD_PER_BODY_BYTE * attack.len() as u64 + HELD_SLACK;
    eprintln!(
        "refusing {} bytes of 30,000 items: peak RSS +{held} B",
        attack.len()
    );
    assert!(
        held <= held_bound,
        "refusing the batch raised the peak RSS by {held} bytes, over {held_bound}"
    );
    let statuses = ordinary.join().unwrap();
    assert!(statuses.iter().all(|status| *status == 202), "{statuses:?}");

    let db = env.db();
    let totals = db.totals();
    assert_eq!(
        totals.webhooks, 20,
        "only the ordinary webhooks: {totals:?}"
    );
    assert_eq!(totals.events, 20, "{totals:?}");
    assert_eq!(
        Exposition::scrape(&host).get(
            "smartreach_hooks_ingest_rejected_total",
            &[("reason", "too-many-items")]
        ),
        Some(3.0)
    );
    // At the limit, the same shape is accepted.
    let at_limit = host.ingest(&body(9, 20_000, MAX_ITEMS, 0));
    assert_eq!(at_limit.events, MAX_ITEMS as u64);
}

/// What one webhook of `body` (with `items` items) adds to the store and to the host's peak RSS,
/// with `plugins` plugins subscribed; checked against the documented bounds.
fn measure(env: &Env, host: &Host, body: &[u8], items: u64, plugins: u64) -> (u64, u64) {
    let db = env.db().path;
    let stored_before = db_and_wal_bytes(&db);
    let rss_before = reset_peak(host.pid());
    let ingested = host.ingest(body);
    let peak = proc_status_bytes(host.pid(), "VmHWM");
    let stored = db_and_wal_bytes(&db).saturating_sub(stored_before);
    let held = peak.saturating_sub(rss_before);
    let body_len = body.len() as u64;
    assert_eq!(ingested.events, items);
    assert_eq!(ingested.deliveries, items * plugins);
    let stored_bound = STORED_PER_BODY_BYTE * body_len
        + items * (STORED_PER_ITEM + plugins * STORED_PER_ITEM_PER_PLUGIN)
        + STORED_SLACK;
    let held_bound = HELD_PER_BODY_BYTE * body_len + items * HELD_PER_ITEM + HELD_SLACK;
    eprintln!(
        "body {body_len} B, {items} items, {plugins} plugins: stored {stored} B (bound \
         {stored_bound}, {:.2} per body byte), peak RSS +{held} B (bound {held_bound}, {:.2} per \
         body byte)",
        stored as f64 / body_len as f64,
        held as f64 / body_len as f64,
    );
    assert!(
        stored <= stored_bound,
        "database + WAL grew by {stored} bytes for a {body_len}-byte body of {items} items, over \
         the documented {stored_bound}"
    );
    assert!(
        held <= held_bound,
        "peak RSS grew by {held} bytes for a {body_len}-byte body of {items} items, over the \
         documented {held_bound}"
    );
    (stored, held)
}

#[test]
fn what_one_webhook_makes_the_host_store_and_hold_is_a_small_multiple_of_its_body() {
    const PLUGINS: u64 = 3;
    let env = SUITE.env_with(Config {
        // Few deliveries run beside the measurements; their rows are not the webhook's.
        workers: 1,
        ..Config::default()
    });
    for index in 0..PLUGINS {
        env.install(
            &format!("sink-{index}"),
            "hostile",
            Some(&manifest(None, &[("mode", "done")], &[])),
        );
    }
    let host = env.start();
    // Warm up: the plugins compiled, the store's pages and the allocator in use.
    host.ingest(&body(1, 100, 10, 0));
    env.db().wait_idle(SOON);

    // max_items minimal items: the most rows per body byte.
    measure(
        &env,
        &host,
        &body(2, 0, MAX_ITEMS, 0),
        MAX_ITEMS as u64,
        PLUGINS,
    );
    // The shape cut to max_items: a 20 KB metadata field, stored once.
    measure(
        &env,
        &host,
        &body(3, 20_000, MAX_ITEMS, 0),
        MAX_ITEMS as u64,
        PLUGINS,
    );
    // A max-size body: one item and a metadata field filling it.
    let big_metadata = body(4, MAX_BODY - 200, 1, 0);
    assert!(big_metadata.len() <= MAX_BODY);
    measure(&env, &host, &big_metadata, 1, PLUGINS);
    // A max-size body of max_items items of ~1 KB each.
    let big_items = body(5, 0, MAX_ITEMS, MAX_BODY / MAX_ITEMS - 61);
    assert!(big_items.len() <= MAX_BODY, "{}", big_items.len());
    measure(&env, &host, &big_items, MAX_ITEMS as u64, PLUGINS);
}

#[test]
fn a_held_prospect_of_one_source_does_not_hold_back_the_same_prospect_id_of_another() {
    const OTHER_TOKEN: &str = "other-token-0123456789abcdef";
    let capture = CaptureServer::start();
    // crm-sync sends to the capture server on loopback, which the host allows only when asked.
    let mut config = Config::default().reaching_loopback();
    config.sources.push(Source {
        name: "account-b".to_owned(),
        tokens: vec![OTHER_TOKEN.to_owned()],
        signing_secrets: Vec::new(),
    });
    let env = SUITE.env_with(config);
    env.install_crm_sync(&capture);
    let host = env.start();
    // Account A's first event of prospect 7 is held (its request gets no answer), so its second
    // event of prospect 7 waits behind it.
    capture.hold("a-first");
    host.ingest(&prospect_event(
        "prospect.updated",
        7,
        "a@example.com",
        "a-first",
    ));
    eventually("account A's first event to be in flight", SOON, || {
        (capture.held_now() == 1).then_some(())
    });
    host.ingest(&prospect_event(
        "prospect.updated",
        7,
        "a@example.com",
        "a-second",
    ));
    // Account B's prospect 7 is someone else: delivered meanwhile.
    let response = host.post(
        &hook_path(OTHER_TOKEN),
        Some("application/json"),
        &[],
        &prospect_event("prospect.updated", 7, "b@example.com", "b-first"),
    );
    assert_eq!(response.status, 202, "{response:?}");
    let bodies = || {
        capture
            .requests()
            .into_iter()
            .map(|request| request.raw)
            .collect::<Vec<_>>()
    };
    eventually("account B's event to be delivered", SOON, || {
        bodies()
            .iter()
            .any(|body| body.contains("b-first"))
            .then_some(())
    });
    assert!(
        !bodies().iter().any(|body| body.contains("a-second")),
        "account A's second event still waits behind its first"
    );
    capture.release("a-first");
    eventually("account A's second event, after its first", SOON, || {
        bodies()
            .iter()
            .any(|body| body.contains("a-second"))
            .then_some(())
    });
}

/// Runs `serve` on `env`'s configuration to its end (a start that is refused).
fn serve_once(env: &Env) -> Output {
    let mut command = SUITE.command();
    command
        .arg("serve")
        .arg("--config")
        .arg(env.config_path())
        .current_dir(env.root())
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn the_data_folder_and_database_are_private_and_an_exposed_database_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let env = SUITE.env();
    // The host creates the data folder itself.
    std::fs::remove_dir(env.data_dir()).unwrap();
    let mut host = env.start();
    host.ingest(&prospect_event("prospect.created", 1, "a@example.com", "m"));
    assert_eq!(mode(&env.data_dir()), 0o700, "the data folder");
    for name in [
        "smartreach-hooks.db",
        "smartreach-hooks.db-wal",
        "smartreach-hooks.db-shm",
        "smartreach-hooks.db.lock",
    ] {
        assert_eq!(mode(&env.data_dir().join(name)), 0o600, "{name}");
    }
    host.stop("TERM");

    // A database others can read: refused at start, with the command that fixes it.
    let db = env.data_dir().join("smartreach-hooks.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = serve_once(&env);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "refused: {stderr}");
    assert!(
        stderr.contains(&format!("chmod 600 {}", db.display())),
        "{stderr}"
    );

    // A data folder others can write: refused too.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(env.data_dir(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = serve_once(&env);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "refused: {stderr}");
    assert!(
        stderr.contains(&format!("chmod 700 {}", env.data_dir().display())),
        "{stderr}"
    );
    std::fs::set_permissions(env.data_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
}
