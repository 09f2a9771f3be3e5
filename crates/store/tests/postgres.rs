//! What only the PostgreSQL store does, against a real server (a database of its own per test,
//! see `store/test_db.rs`): its connection, its migrations, and what several hosts sharing one
//! database need. What every store promises is the conformance suite's (`tests/store/`), which
//! runs on this store too.

#[path = "store/test_db.rs"]
mod test_db;

#[allow(dead_code)] // This binary uses a few of the conformance suite's short forms.
#[path = "store/support.rs"]
mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smartreach_store::{AttemptOutcome, Ingested, Next, PostgresStore, Store, StoreError};
use support::{NOW, hook};
use test_db::TestDb;
use tokio::sync::Notify;

/// The newest schema version of the PostgreSQL store.
const LATEST: i64 = 3;

#[tokio::test]
async fn a_new_database_is_migrated_once_and_a_second_start_finds_nothing_to_do() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = PostgresStore::connect(&db.url()).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), LATEST);
    for table in [
        "webhooks",
        "events",
        "deliveries",
        "attempts",
        "plugin_controls",
    ] {
        let found = db
            .scalar(&format!(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = '{table}'"
            ))
            .await;
        assert_eq!(found, 1, "{table}");
    }
    let again = PostgresStore::connect(&db.url()).await.unwrap();
    assert_eq!(again.schema_version().await.unwrap(), LATEST);
    assert_eq!(
        db.scalar("SELECT count(*) FROM schema_migrations").await,
        LATEST
    );
    assert!(
        store.target().ends_with(&format!("/{}", db.name)),
        "{}",
        store.target()
    );
}

/// Hosts started together on a new database: one migrates, the others wait for it on the
/// advisory lock and find nothing to do (without it, all but one fail on CREATE TABLE).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hosts_started_at_once_migrate_once() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let url = db.url();
    let starts: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url).await })
        })
        .collect();
    for start in starts {
        let store = start.await.unwrap().unwrap();
        assert_eq!(store.schema_version().await.unwrap(), LATEST);
    }
    assert_eq!(
        db.scalar("SELECT count(*) FROM schema_migrations").await,
        LATEST
    );
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    PostgresStore::connect(&db.url()).await.unwrap();
    db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)")
        .await;
    let err = PostgresStore::connect(&db.url()).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NewerSchema {
                found: 99,
                known: LATEST
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_server_and_a_refusal_are_told_apart() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    // Nothing listens on port 1.
    let err = PostgresStore::connect("postgres://hooks:s3cret@127.0.0.1:1/events")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::PostgresUnreachable { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("cannot reach PostgreSQL at 127.0.0.1:1/events: ")
            && text.contains("is the server running"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");

    // The server answers, and there is no such database.
    let missing = db.url().replace(&db.name, "smartreach_no_such_database");
    let err = PostgresStore::connect(&missing).await.unwrap_err();
    assert!(matches!(err, StoreError::PostgresRefused { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("database \"smartreach_no_such_database\" does not exist"),
        "{err}"
    );
}

/// A user who may connect but not create tables is told what to grant; once the owner has
/// migrated, the same user starts.
#[tokio::test]
async fn a_user_without_the_right_to_create_tables_is_told_what_to_grant() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let user = format!("{}_reader", db.name);
    db.execute(&format!(
        "CREATE ROLE {user} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC"
    ))
    .await;
    let err = PostgresStore::connect(&db.url_as(&user)).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, StoreError::PostgresNoRights { .. }),
        "{err:?}"
    );
    assert!(
        text.contains(&format!("the PostgreSQL user `{user}` may not create"))
            && text.contains(&format!("GRANT CREATE ON SCHEMA public TO \"{user}\"")),
        "{text}"
    );

    PostgresStore::connect(&db.url()).await.unwrap();
    db.execute(&format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {user}"
    ))
    .await;
    let store = PostgresStore::connect(&db.url_as(&user)).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), LATEST);
    drop(store);
    db.execute(&format!("DROP OWNED BY {user}; DROP ROLE {user}"))
        .await;
}

/// Three stores on one database: three hosts.
async fn hosts(db: &TestDb, count: usize) -> Vec<Arc<PostgresStore>> {
    let mut hosts = Vec::new();
    for _ in 0..count {
        hosts.push(Arc::new(PostgresStore::connect(&db.url()).await.unwrap()));
    }
    hosts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hosts_receiving_one_body_at_once_store_it_once() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let hosts = hosts(&db, 3).await;
    let mut tasks = Vec::new();
    for attempt in 0..24 {
        let host = Arc::clone(&hosts[attempt % hosts.len()]);
        tasks.push(tokio::spawn(async move {
            let webhook = hook(&format!("W{attempt:02}"))
                .body("the same body")
                .plugins(&["p"])
                .build();
            host.ingest(webhook, NOW - 60_000).await.unwrap()
        }));
    }
    let mut stored = Vec::new();
    let mut duplicates = HashSet::new();
    for task in tasks {
        match task.await.unwrap() {
            Ingested::Stored { webhook_id, .. } => stored.push(webhook_id),
            Ingested::Duplicate { webhook_id, .. } => {
                duplicates.insert(webhook_id);
            }
        }
    }
    assert_eq!(stored.len(), 1, "stored: {stored:?}");
    assert_eq!(duplicates, HashSet::from([stored[0].clone()]));
    assert_eq!(db.scalar("SELECT count(*) FROM webhooks").await, 1);
    assert_eq!(db.scalar("SELECT count(*) FROM deliveries").await, 1);
}

/// Hosts claiming at once take disjoint deliveries, never two of one prospect at a time, and each
/// prospect's in the order they were received, while other hosts are still ingesting.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hosts_claiming_at_once_share_the_work_and_keep_each_prospect_in_order() {
    const PROSPECTS: usize = 12;
    const PER_PROSPECT: usize = 25;
    let Some(db) = TestDb::create().await else {
        return;
    };
    let hosts = hosts(&db, 3).await;
    // Each prospect's webhooks are sent one after the other (its order), the prospects at once,
    // spread over the hosts.
    let mut senders = Vec::new();
    for prospect in 0..PROSPECTS {
        let host = Arc::clone(&hosts[prospect % hosts.len()]);
        senders.push(tokio::spawn(async move {
            for n in 0..PER_PROSPECT {
                let id = format!("P{prospect:02}N{n:02}");
                let webhook = hook(&id)
                    .prospects(&[Some(&format!("prospect-{prospect}"))])
                    .plugins(&["p"])
                    .build();
                host.ingest(webhook, i64::MAX).await.unwrap();
            }
        }));
    }
    // prospect -> the host running it now; prospect -> the events it ran, in order.
    let running: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let seen: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
    let done: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let mut claimers = Vec::new();
    for (index, host) in hosts.iter().enumerate() {
        let (host, running, seen, done) = (
            Arc::clone(host),
            Arc::clone(&running),
            Arc::clone(&seen),
            Arc::clone(&done),
        );
        claimers.push(tokio::spawn(async move {
            let owner = format!("host-{index}");
            let mut idle = 0;
            while idle < 50 {
                let claimed = support::claim(&*host, &owner, NOW, NOW + 600_000, "p", 4).await;
                if claimed.is_empty() {
                    idle += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                idle = 0;
                for delivery in &claimed {
                    let prospect = delivery.prospect_id.clone().unwrap();
                    if let Some(other) = running.lock().unwrap().insert(prospect.clone(), index) {
                        panic!("{prospect} claimed by host {index} while host {other} runs it");
                    }
                    seen.lock()
                        .unwrap()
                        .entry(prospect)
                        .or_default()
                        .push(delivery.event_id.clone());
                    assert!(
                        done.lock().unwrap().insert(delivery.delivery_id),
                        "delivery {} claimed twice",
                        delivery.delivery_id
                    );
                }
                tokio::task::yield_now().await;
                for delivery in &claimed {
                    // Marked idle before the commit: the store may hand the next one out as soon
                    // as it commits.
                    running
                        .lock()
                        .unwrap()
                        .remove(delivery.prospect_id.as_ref().unwrap());
                    assert!(
                        support::complete(
                            &*host,
                            &owner,
                            delivery.delivery_id,
                            AttemptOutcome::Done,
                            Next::Done,
                            NOW
                        )
                        .await
                    );
                }
            }
        }));
    }
    for sender in senders {
        sender.await.unwrap();
    }
    for claimer in claimers {
        claimer.await.unwrap();
    }
    assert_eq!(done.lock().unwrap().len(), PROSPECTS * PER_PROSPECT);
    let seen = seen.lock().unwrap().clone();
    for prospect in 0..PROSPECTS {
        let expected: Vec<String> = (0..PER_PROSPECT)
            .map(|n| format!("P{prospect:02}N{n:02}:0"))
            .collect();
        assert_eq!(seen[&format!("prospect-{prospect}")], expected);
    }
    assert_eq!(
        db.scalar("SELECT count(*) FROM deliveries WHERE status = 'done'")
            .await,
        (PROSPECTS * PER_PROSPECT) as i64
    );
}

#[tokio::test]
async fn a_host_is_woken_when_another_queues_work() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let hosts = hosts(&db, 2).await;
    let wake = Arc::new(Notify::new());
    hosts[0].wake_on_work(Arc::clone(&wake));
    // Once listening, the listener wakes the host to look for what was queued before.
    tokio::time::timeout(Duration::from_secs(10), wake.notified())
        .await
        .expect("a first wake once listening");
    let webhook = hook("W1").plugins(&["p"]).build();
    hosts[1].ingest(webhook, i64::MAX).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), wake.notified())
        .await
        .expect("a wake after another host ingested");
}

/// Hosts claiming a rate-limited plugin at once spend one budget: together they take the burst
/// and no more, however their claims interleave (each locks the plugin's budget in turn).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hosts_claiming_at_once_share_one_rate_budget() {
    const BURST: u32 = 7;
    let Some(db) = TestDb::create().await else {
        return;
    };
    let hosts = hosts(&db, 3).await;
    let webhook = hook("W").prospects(&[None; 40]).plugins(&["slow", "other"]);
    support::ingest(&*hosts[0], webhook).await;
    let rate = smartreach_store::ClaimRate {
        count: 1,
        period_ms: 3_600_000,
        burst: BURST,
    };
    let mut claimers = Vec::new();
    for (index, host) in hosts.iter().enumerate() {
        let host = Arc::clone(host);
        claimers.push(tokio::spawn(async move {
            let mut taken = 0;
            for _ in 0..10 {
                // A rate-limited plugin and another one, in orders that differ by host.
                let mut requests = vec![
                    smartreach_store::ClaimRequest {
                        plugin: "slow".to_owned(),
                        limit: 2,
                        rate: Some(rate),
                    },
                    smartreach_store::ClaimRequest {
                        plugin: "other".to_owned(),
                        limit: 1,
                        rate: Some(rate),
                    },
                ];
                requests.rotate_left(index % 2);
                let claimed = host
                    .claim(&format!("host-{index}"), NOW, NOW + 600_000, requests)
                    .await
                    .unwrap();
                taken += claimed.iter().filter(|c| c.plugin == "slow").count() as u32;
            }
            taken
        }));
    }
    let mut total = 0;
    for claimer in claimers {
        total += claimer.await.unwrap();
    }
    assert_eq!(total, BURST, "the hosts together took the burst, no more");
}
