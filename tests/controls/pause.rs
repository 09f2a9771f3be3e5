//! Pause and resume: a paused plugin's deliveries wait (visible, pending, never attempted), the
//! pause survives a restart, and after `plugins resume` they run in the order received.

use crate::support::admin::{assert_problem, ok_json, plugin};
use crate::support::capture::CaptureServer;
use crate::support::db::Db;
use crate::support::host::{Config, Host};
use crate::support::payload::prospect_event;
use crate::support::plugins::manifest;
use crate::support::{BATCH, SOON, eventually_or};
use crate::{SUITE, admin_command};

const PROSPECTS: i64 = 2;
const UPDATES: usize = 4;

fn marker(prospect: i64, seq: usize) -> String {
    format!("paused-{prospect}-{seq:02}")
}

/// Ingests update `seq` of every prospect; returns the webhook ids.
fn send_updates(host: &Host, seqs: std::ops::Range<usize>) -> Vec<String> {
    let mut ids = Vec::new();
    for seq in seqs {
        for prospect in 1..=PROSPECTS {
            let ingested = host.ingest(&prospect_event(
                "prospect.updated",
                7_100_000 + prospect,
                &format!("p{prospect}@example.com"),
                &marker(prospect, seq),
            ));
            ids.push(ingested.webhook_id);
        }
    }
    ids
}

/// Waits until the unpaused `event-log` finished its deliveries of `webhooks` (so the dispatcher
/// has had every chance to run crm-sync's too), then checks that crm-sync's wait, pending and
/// never attempted, and that the plugin list shows it paused with them.
fn assert_waiting(host: &Host, db: &Db, capture: &CaptureServer, webhooks: &[String]) {
    for webhook in webhooks {
        eventually_or(
            &format!("event-log to finish webhook {webhook}"),
            SOON,
            || {
                let log: Vec<_> = db
                    .deliveries_of_webhook(webhook)
                    .into_iter()
                    .filter(|delivery| delivery.plugin == "event-log")
                    .collect();
                if log.len() == 1 && log[0].status == "done" {
                    Ok(())
                } else {
                    Err(format!("{log:?}"))
                }
            },
        );
    }
    let crm = db.deliveries_of_plugin("crm-sync");
    assert!(!crm.is_empty());
    for delivery in &crm {
        assert_eq!(delivery.status, "pending", "{delivery:?}");
        assert_eq!(delivery.attempts, 0, "waiting is no attempt: {delivery:?}");
    }
    assert!(
        db.attempts_of_plugin("crm-sync").is_empty(),
        "nothing attempted while paused"
    );
    assert!(capture.is_empty(), "nothing sent: {:?}", capture.requests());
    let info = plugin(host, "crm-sync").expect("crm-sync listed");
    assert!(info["paused_since"].is_i64(), "{info}");
    assert_eq!(info["delivery_counts"]["pending"], crm.len(), "{info}");
    let listed = admin_command(host, &["plugins"]);
    assert!(
        listed.contains("crm-sync: paused since ")
            && listed.contains("until `plugins resume crm-sync`"),
        "{listed}"
    );
}

#[test]
fn a_paused_plugin_waits_across_a_restart_and_runs_in_order_after_resume() {
    let capture = CaptureServer::start();
    let env = SUITE.env_with(Config::with_admin().reaching_loopback());
    env.install_crm_sync(&capture);
    env.install("event-log", "event_log", Some(&manifest(None, &[], &[])));
    let mut host = env.start();
    let db = env.db();

    let paused = ok_json(
        &host.admin_post("/api/v1/plugins/crm-sync/pause", None),
        "pause",
    );
    assert_eq!(paused["plugin"], "crm-sync");
    assert!(paused["paused_since"].is_i64(), "{paused}");
    let first = send_updates(&host, 0..UPDATES - 1);
    assert_waiting(&host, &db, &capture, &first);

    // Still paused after a restart: the store keeps it.
    host.stop("TERM");
    let host = env.start();
    let last = send_updates(&host, UPDATES - 1..UPDATES);
    assert_waiting(&host, &db, &capture, &last);

    let resumed = admin_command(&host, &["plugins", "resume", "crm-sync"]);
    assert_eq!(
        resumed,
        "crm-sync running: its waiting deliveries run in order\n"
    );
    db.wait_idle(BATCH);
    for delivery in db.deliveries_of_plugin("crm-sync") {
        assert_eq!(delivery.status, "done", "{delivery:?}");
        assert_eq!(delivery.attempts, 1, "{delivery:?}");
    }
    let requests = capture.requests();
    assert_eq!(requests.len(), PROSPECTS as usize * UPDATES);
    for prospect in 1..=PROSPECTS {
        let sent: Vec<String> = requests
            .iter()
            .filter(|request| request.crm_prospect_id() == 7_100_000 + prospect)
            .map(|request| {
                request.body["custom_fields"]["marker"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned()
            })
            .collect();
        let expected: Vec<String> = (0..UPDATES).map(|seq| marker(prospect, seq)).collect();
        assert_eq!(sent, expected, "prospect {prospect}: in the order received");
    }
    let info = plugin(&host, "crm-sync").expect("crm-sync listed");
    assert!(info["paused_since"].is_null(), "{info}");
}

#[test]
fn pause_and_resume_are_refused_for_a_name_no_plugin_can_have() {
    let env = SUITE.env_with(Config::with_admin());
    let host = env.start();
    for action in ["pause", "resume"] {
        let response = host.admin_post(&format!("/api/v1/plugins/bad.name/{action}"), None);
        assert_problem(&response, 400, "invalid-path");
    }
    // A plugin not loaded (yet) may be paused: its deliveries will wait once it is.
    let paused = ok_json(
        &host.admin_post("/api/v1/plugins/later/pause", None),
        "pause",
    );
    assert!(paused["paused_since"].is_i64(), "{paused}");
    let printed = admin_command(&host, &["plugins", "pause", "later", "--json"]);
    let printed: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(
        printed["paused_since"], paused["paused_since"],
        "pausing again keeps the first time"
    );
    let info = plugin(&host, "later").expect("a paused plugin is listed, loaded or not");
    assert_eq!(info["loaded"], false, "{info}");
}
