//! Big plugins compile in the background: a host whose plugin folder holds the TypeScript example
//! (`contact-upsert`, a ~12 MB component) on a cold compile cache listens at once, `/readyz`
//! answers 200 naming the plugin as compiling, webhooks are acknowledged and stored, a small
//! plugin delivers meanwhile, and once the big one is compiled it receives every event it
//! subscribes to, each once. A restart loads it from the compile cache.
//!
//! The compile is slow by nature, not by a sleep: the real component, compiled cold by a debug
//! build, takes seconds. Needs the built TypeScript example (Node.js and npm; under CI=true, as
//! everywhere, a missing toolchain fails the test).

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::time::{Duration, Instant};

use support::admin;
use support::capture::{CaptureServer, Captured};
use support::host::{Config, Host};
use support::payload::prospect_event;
use support::plugins::{js_wasm_path, manifest};
use support::{SOON, eventually};

/// How long a debug host may take to compile the 12 MB component on a loaded machine.
const COMPILE: Duration = Duration::from_secs(300);

const BIG: &str = "contact-upsert";

/// The requests contact-upsert made for the event `{webhook_id}:0`.
fn upserts_of(capture: &CaptureServer, webhook_id: &str) -> Vec<Captured> {
    let event = format!("{webhook_id}:0");
    capture
        .requests()
        .into_iter()
        .filter(|request| {
            request
                .path
                .ends_with("/crm/v3/objects/contacts/batch/upsert")
                && request.header("idempotency-key") == Some(event.as_str())
        })
        .collect()
}

fn compiling(host: &Host) -> Vec<String> {
    host.compiling()
}

#[test]
fn a_big_plugin_compiles_in_the_background_while_webhooks_are_taken_and_others_deliver() {
    let capture = CaptureServer::start();
    let env = SUITE.env_with(Config {
        own_cache: true,
        ..Config::with_admin().reaching_loopback()
    });
    env.install_event_log();
    // The example's own manifest keys, pointed at the capture server. No `events`: its
    // subscriptions are what it declares, known only once it is compiled.
    env.put_plugin_file(
        &format!("{BIG}.toml"),
        manifest(
            Some(&capture.host()),
            &[("endpoint", &capture.url()), ("api_token", "test-token")],
            &[],
        )
        .as_bytes(),
    );
    let wasm = std::fs::read(js_wasm_path(BIG)).unwrap();
    assert!(wasm.len() > 8_000_000, "{BIG} is {} bytes", wasm.len());
    env.put_plugin_file(&format!("{BIG}.wasm"), &wasm);

    let launched = Instant::now();
    let host = env.launch();
    let listening = launched.elapsed();

    // /readyz answers at once: ready (ingest is durable), naming the plugin still compiling.
    let ready = host.client().get("/readyz").unwrap();
    assert_eq!(ready.status, 200, "{ready:?}");
    let ready = ready.json();
    assert_eq!(ready["status"], "ready", "{ready}");
    assert!(
        ready["compiling"]
            .as_array()
            .is_some_and(|names| names.iter().any(|name| name == BIG)),
        "/readyz names {BIG} as compiling: {ready}"
    );
    println!("listening after {listening:?}; /readyz: {ready}");
    // The admin API lists it as compiling, not loaded, its file named.
    let listed = admin::plugin(&host, BIG).expect("the compiling plugin is listed");
    assert_eq!(listed["loaded"], false, "{listed}");
    assert!(
        listed["compiling"]["file"]
            .as_str()
            .is_some_and(|file| file.ends_with(&format!("{BIG}.wasm"))),
        "{listed}"
    );

    // A webhook posted at once is acknowledged while the plugin compiles.
    let first = host.ingest(&prospect_event(
        "prospect.created",
        8_100_001,
        "first@example.com",
        "posted at once",
    ));
    assert_eq!(first.status, 202, "{first:?}");
    assert!(
        compiling(&host).contains(&BIG.to_owned()),
        "{BIG} was still compiling when the webhook was acknowledged"
    );

    // The small plugin loads and delivers meanwhile.
    eventually("event-log to be loaded", Duration::from_secs(60), || {
        (!compiling(&host).contains(&"event-log".to_owned())).then_some(())
    });
    let second = host.ingest(&prospect_event(
        "prospect.created",
        8_100_002,
        "second@example.com",
        "posted while it compiles",
    ));
    assert_eq!(second.status, 202, "{second:?}");
    let db = env.db();
    for webhook in [&first.webhook_id, &second.webhook_id] {
        eventually(
            "event-log to deliver while the big plugin compiles",
            SOON,
            || {
                db.deliveries_of_webhook(webhook)
                    .into_iter()
                    .find(|delivery| delivery.plugin == "event-log" && delivery.status == "done")
            },
        );
    }
    assert!(
        compiling(&host).contains(&BIG.to_owned()),
        "{BIG} still compiles while event-log delivered (the compile is too fast to show \
         anything: {:?} since the start)",
        launched.elapsed()
    );
    assert!(
        upserts_of(&capture, &first.webhook_id).is_empty(),
        "nothing runs on {BIG} before it is compiled"
    );

    // Once compiled, it gets both webhooks, each once; nothing was dead-lettered.
    host.wait_until_compiled(COMPILE);
    println!("{BIG} compiled after {:?}", launched.elapsed());
    let listed = admin::plugin(&host, BIG).expect("the loaded plugin is listed");
    assert_eq!(listed["loaded"], true, "{listed}");
    assert_eq!(listed["compiling"], serde_json::Value::Null, "{listed}");
    for (webhook, email) in [
        (&first.webhook_id, "first@example.com"),
        (&second.webhook_id, "second@example.com"),
    ] {
        let upsert = eventually(
            "the upsert of a webhook taken while compiling",
            SOON,
            || upserts_of(&capture, webhook).pop(),
        );
        assert_eq!(upsert.body["inputs"][0]["id"], email, "{upsert:?}");
        let deliveries = db.wait_webhook_finished(webhook, 2);
        for delivery in &deliveries {
            assert_eq!(delivery.status, "done", "{delivery:?}");
        }
    }
    std::thread::sleep(Duration::from_secs(3));
    for webhook in [&first.webhook_id, &second.webhook_id] {
        assert_eq!(upserts_of(&capture, webhook).len(), 1, "each event once");
        assert_eq!(db.deliveries_of_webhook(webhook).len(), 2, "{webhook}");
    }

    // A restart loads it from the compile cache, its subscriptions known before it is loaded:
    // a webhook posted at once is queued for it.
    let mut host = host;
    assert!(host.stop("TERM").success());
    let host = env.launch();
    let third = host.ingest(&prospect_event(
        "prospect.created",
        8_100_003,
        "third@example.com",
        "posted at once after a restart",
    ));
    assert_eq!(third.status, 202, "{third:?}");
    assert_eq!(
        third.deliveries, 2,
        "event-log and {BIG}, whose subscriptions the cache remembered"
    );
    host.wait_until_compiled(SOON);
    let log = host.stderr();
    let loaded = log
        .lines()
        .find(|line| line.contains("plugin loaded") && line.contains(BIG))
        .unwrap_or_else(|| panic!("no `plugin loaded` line for {BIG}:\n{log}"));
    assert!(loaded.contains("Cached"), "{loaded}");
    eventually(
        "the upsert of the webhook taken at the restart",
        SOON,
        || upserts_of(&capture, &third.webhook_id).pop(),
    );
}

/// A host killed while a new plugin of unknown subscriptions compiles has acknowledged webhooks
/// that no delivery was queued for yet: the start of that compile window is on disk, so the next
/// run backfills it once the plugin is loaded, and closes it.
#[test]
fn a_host_killed_while_a_new_plugin_compiles_backfills_its_window_after_the_restart() {
    let capture = CaptureServer::start();
    let env = SUITE.env_with(Config {
        own_cache: true,
        ..Config::default().reaching_loopback()
    });
    // No `events` in the manifest, a cold cache: its subscriptions are known once compiled.
    env.put_plugin_file(
        &format!("{BIG}.toml"),
        manifest(
            Some(&capture.host()),
            &[("endpoint", &capture.url()), ("api_token", "test-token")],
            &[],
        )
        .as_bytes(),
    );
    env.put_plugin_file(
        &format!("{BIG}.wasm"),
        &std::fs::read(js_wasm_path(BIG)).unwrap(),
    );
    let window = env.data_dir().join("compile-windows").join(BIG);

    let mut host = env.launch();
    let posted = host.ingest(&prospect_event(
        "prospect.created",
        8_200_001,
        "killed@example.com",
        "posted while it compiled, before a kill",
    ));
    assert_eq!(posted.status, 202, "{posted:?}");
    assert_eq!(posted.deliveries, 0, "nothing is queued for it yet");
    assert!(window.is_file(), "the window's start is kept on disk");
    assert!(
        compiling(&host).contains(&BIG.to_owned()),
        "{BIG} was still compiling at the kill"
    );
    host.kill();

    let host = env.launch();
    host.wait_until_compiled(COMPILE);
    let upsert = eventually(
        "the upsert of the webhook taken before the kill",
        SOON,
        || upserts_of(&capture, &posted.webhook_id).pop(),
    );
    assert_eq!(
        upsert.body["inputs"][0]["id"], "killed@example.com",
        "{upsert:?}"
    );
    eventually("the window to be closed", SOON, || {
        (!window.exists()).then_some(())
    });
    let log = host.stderr();
    assert!(
        log.contains("a previous run stopped while this plugin compiled"),
        "{log}"
    );
}
