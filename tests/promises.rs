//! README promises checked against the binary: readiness on a full filesystem.

mod support;

use support::admin::assert_problem;
use support::host::{Env, Host};
use support::payload::prospect_event;
use support::tmpfs::Tmpfs;
use support::{SOON, eventually_or};

/// `GET /readyz`: its status and its `store` field.
fn readiness(host: &Host) -> (u16, String) {
    let response = host.client().get("/readyz").expect("GET /readyz");
    let store = response.json()["store"].as_str().unwrap_or("").to_owned();
    (response.status, store)
}

/// Posts distinct webhooks until one is refused; returns that answer and how many were stored.
fn ingest_until_refused(host: &Host, first: i64) -> (support::host::Response, usize) {
    for index in 0..500 {
        let body = prospect_event(
            "prospect.created",
            first + index,
            "full@example.com",
            &format!("filler {first} {index} {}", "x".repeat(2000)),
        );
        let response = host.post_webhook(&body);
        if response.status != 202 {
            return (response, index as usize);
        }
    }
    panic!("500 webhooks were acknowledged on a full filesystem");
}

/// README: ingest answers 503 "the store could not commit: send again", and `/readyz` answers 200
/// only "when the store commits". On a full filesystem both refuse; both recover with space.
#[test]
fn a_full_filesystem_makes_ingest_and_readyz_answer_503_until_space_comes_back() {
    let env = Env::new();
    let Some(tmpfs) = Tmpfs::mount(&env.data_dir(), "24m") else {
        return;
    };
    let host = env.start();
    assert_eq!(readiness(&host), (200, "ok".to_owned()), "ready with room");
    for index in 0..3 {
        host.ingest(&prospect_event(
            "prospect.created",
            index,
            "a@example.com",
            "room",
        ));
    }

    let filler = tmpfs.fill("filler");
    let (refused, stored) = ingest_until_refused(&host, 1000);
    let problem = assert_problem(&refused, 503, "store-unavailable");
    eprintln!("refused after {stored} more webhooks: {problem}");
    let (status, store) = readiness(&host);
    assert_eq!(
        status, 503,
        "/readyz while the store cannot commit: {store}"
    );
    assert_ne!(store, "ok", "/readyz says why");

    std::fs::remove_file(&filler).unwrap();
    eventually_or(
        "/readyz to answer 200 once space is back",
        SOON,
        || match readiness(&host) {
            (200, store) if store == "ok" => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    let ingested = host.ingest(&prospect_event(
        "prospect.created",
        9999,
        "b@example.com",
        "back",
    ));
    assert_eq!(
        env.db()
            .webhooks()
            .iter()
            .filter(|w| w.id == ingested.webhook_id)
            .count(),
        1,
        "the webhook acknowledged after recovery is stored"
    );
    drop(host);
    drop(tmpfs);
}
