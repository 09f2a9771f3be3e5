//! The host on the PostgreSQL store (`store.url = "postgres://..."`), end to end through the
//! binary: start-up errors that say which problem it is and never echo the password; ingest and
//! delivery; a database that goes away and comes back; `migrate-store` from SQLite.
//!
//! The tests that need a server use a database of their own on `SMARTREACH_TEST_POSTGRES`
//! (default `postgres://root@127.0.0.1:5432/postgres`); `skip` skips them, saying so.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::process::Output;
use std::time::Duration;

use support::admin::assert_problem;
use support::closed_port::ClosedPort;
use support::exit::text;
use support::host::Config;
use support::payload::prospect_event;
use support::postgres::TestDb;
use support::{BATCH, SOON, eventually_or};

/// A password no output may show.
const PASSWORD: &str = "s3cret-pw-4711";

/// How long the lost-database test keeps the database away while counting the host's claim
/// errors.
const OUTAGE_LOG: Duration = Duration::from_secs(3);

/// How long a start that must fail may take (the connect timeout is 10 s).
const START_FAILS_WITHIN: Duration = Duration::from_secs(30);

/// Runs `serve` with `store.url = url` until it exits; checks that it failed and did not show
/// the password, and returns its stderr.
fn failed_start(url: &str) -> String {
    let env = SUITE.env_with(Config {
        store_url: Some(url.to_owned()),
        ..Config::default()
    });
    let output: Output = env.serve_until_exit(START_FAILS_WITHIN);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(
        !output.status.success(),
        "serve started on {url}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    );
    assert!(
        !stdout.contains("listening on"),
        "serve listened although its store failed: {stdout}"
    );
    for shown in [&stdout, &stderr] {
        assert!(!shown.contains(PASSWORD), "the password is shown: {shown}");
    }
    stderr
}

#[test]
fn a_bad_url_stops_the_start_and_names_what_is_wrong() {
    let stderr = failed_start(&format!(
        "postgres://hooks:{PASSWORD}@127.0.0.1:notaport/hooks"
    ));
    assert!(
        stderr.contains("store.url is not a PostgreSQL URL") && stderr.contains("port"),
        "{stderr}"
    );

    // Refused by the configuration, before anything is opened.
    let stderr = failed_start(&format!("mysql://hooks:{PASSWORD}@127.0.0.1/hooks"));
    assert!(
        stderr.contains("`store.url`") && stderr.contains("`mysql://` is not a store"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_server_stops_the_start_and_says_where_it_looked() {
    let closed = ClosedPort::bind();
    let port = closed.addr.port();
    let stderr = failed_start(&format!(
        "postgres://hooks:{PASSWORD}@127.0.0.1:{port}/hooks"
    ));
    assert!(
        stderr.contains(&format!(
            "cannot reach PostgreSQL at 127.0.0.1:{port}/hooks"
        )) && stderr.contains("is the server running"),
        "{stderr}"
    );
}

#[test]
fn a_database_the_server_refuses_stops_the_start() {
    let Some(db) = TestDb::create("a_database_the_server_refuses_stops_the_start") else {
        return;
    };
    let missing = format!(
        "postgres://root:{PASSWORD}@{}/{}_missing",
        db.host_port(),
        db.name()
    );
    let stderr = failed_start(&missing);
    assert!(
        stderr.contains("refused the connection") && stderr.contains("does not exist"),
        "{stderr}"
    );
}

#[test]
fn a_user_without_the_right_to_create_tables_is_told_how_to_grant_it() {
    let Some(mut db) =
        TestDb::create("a_user_without_the_right_to_create_tables_is_told_how_to_grant_it")
    else {
        return;
    };
    let role = db.create_role("reader");
    db.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    let stderr = failed_start(&db.url_as(&role, PASSWORD));
    assert!(
        stderr.contains(&format!(
            "the PostgreSQL user `{role}` may not create the store's tables"
        )) && stderr.contains(&format!("GRANT CREATE ON SCHEMA public TO \"{role}\"")),
        "{stderr}"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
        0,
        "nothing was created"
    );
}

/// A host configured for `db` (through a URL with a password, which no output may show), with
/// the admin API on and the example event-log installed.
fn host_env(db: &TestDb) -> support::host::Env {
    let env = SUITE.env_with(Config {
        store_url: Some(db.url_as("root", PASSWORD)),
        ..Config::with_admin()
    });
    env.install_event_log();
    env
}

/// Deliveries of the database in `status`.
fn deliveries_in(db: &TestDb, status: &str) -> i64 {
    db.scalar(&format!(
        "SELECT count(*) FROM deliveries WHERE status = '{status}'"
    ))
}

#[test]
fn a_host_on_postgresql_ingests_and_delivers_to_the_event_log() {
    let Some(db) = TestDb::create("a_host_on_postgresql_ingests_and_delivers_to_the_event_log")
    else {
        return;
    };
    let env = host_env(&db);
    let host = env.start();
    let stderr = host.stderr();
    assert!(
        stderr.contains("store open: PostgreSQL") && stderr.contains(db.name()),
        "the start says which store: {stderr}"
    );

    let mut ids = Vec::new();
    for prospect in 0..5 {
        let body = prospect_event("prospect.created", 7000 + prospect, "pg@example.com", "pg");
        ids.push(host.ingest(&body).webhook_id);
    }
    eventually_or("5 deliveries done", SOON, || {
        match deliveries_in(&db, "done") {
            5 => Ok(()),
            done => Err(format!("{done} done")),
        }
    });
    for id in &ids {
        host.wait_for_stderr(&format!("id={id}:0"), 0, SOON);
    }
    let events = support::admin::events(&host, &[]);
    assert_eq!(events.len(), 5, "{events:?}");
    let ready = host.client().get("/readyz").unwrap();
    assert_eq!(ready.status, 200, "{ready:?}");
    assert_eq!(ready.json()["store"], "ok");
    assert!(
        !host.stderr().contains(PASSWORD),
        "the log shows the password"
    );
}

/// README: a lost connection answers 503 problem documents, acknowledges nothing it did not
/// commit, and the host reconnects once the database is back.
#[test]
fn a_lost_database_answers_503_and_the_host_recovers_when_it_is_back() {
    let Some(db) =
        TestDb::create("a_lost_database_answers_503_and_the_host_recovers_when_it_is_back")
    else {
        return;
    };
    let env = host_env(&db);
    let host = env.start();
    let mut acknowledged = 0;
    let mut next = 0;
    let mut body = || {
        next += 1;
        prospect_event("prospect.created", 8000 + next, "lost@example.com", "lost")
    };
    for _ in 0..3 {
        host.ingest(&body());
        acknowledged += 1;
    }
    // Delivered first: an attempt whose outcome cannot be recorded runs again only when its
    // lease expires, which is not what this test is about.
    eventually_or("the first 3 delivered", SOON, || {
        match deliveries_in(&db, "done") {
            3 => Ok(()),
            done => Err(format!("{done} done")),
        }
    });

    // The database goes away: every connection ended, new ones refused.
    let (mark, gone) = (host.stderr_mark(), std::time::Instant::now());
    db.allow_connections(false);
    db.terminate_connections();
    for _ in 0..5 {
        let response = host.post_webhook(&body());
        let problem = assert_problem(&response, 503, "store-unavailable");
        assert!(!problem.to_string().contains(PASSWORD), "{problem}");
    }
    let ready = host.client().get("/readyz").unwrap();
    assert_eq!(ready.status, 503, "{ready:?}");
    assert!(
        ready.json()["store"]
            .as_str()
            .is_some_and(|store| store.contains(db.name()) && !store.contains(PASSWORD)),
        "{ready:?}"
    );

    // Meanwhile the workers' claims fail: said with a growing pause (on the 1st, 2nd, 4th, 8th...
    // failure), not once per poll interval (50 ms here: 60 lines in 3 s).
    let outage = OUTAGE_LOG.saturating_sub(gone.elapsed());
    std::thread::sleep(outage);
    let said = host.stderr()[mark..]
        .matches("cannot claim deliveries")
        .count();
    assert!(
        (1..=6).contains(&said),
        "{said} claim errors logged in {OUTAGE_LOG:?}: {}",
        &host.stderr()[mark..]
    );

    // Back: the host connects again; what it acknowledges is stored and delivered.
    db.allow_connections(true);
    eventually_or("a webhook acknowledged again", SOON, || {
        let response = host.post_webhook(&body());
        match response.status {
            202 => Ok(()),
            _ => Err(format!("{response:?}")),
        }
    });
    acknowledged += 1;
    for _ in 0..5 {
        host.ingest(&body());
        acknowledged += 1;
    }
    assert_eq!(
        db.scalar("SELECT count(*) FROM webhooks"),
        acknowledged,
        "every acknowledged webhook is stored, and none refused while the database was away"
    );
    eventually_or(
        "every acknowledged event delivered",
        BATCH,
        || match deliveries_in(&db, "done") {
            done if done == acknowledged => Ok(()),
            done => Err(format!("{done} of {acknowledged} done")),
        },
    );
    assert!(
        !host.stderr().contains(PASSWORD),
        "the log shows the password"
    );
}

/// README: `migrate-store` copies a stopped host's SQLite store into an empty PostgreSQL store,
/// keeping ids; a host on PostgreSQL then shows the same events, deliveries and attempts, and
/// gives new deliveries ids after the copied ones. A second copy into the same database, or a
/// copy of a store a host still runs on, is refused.
#[test]
fn migrate_store_moves_a_host_from_sqlite_to_postgresql() {
    let Some(db) = TestDb::create("migrate_store_moves_a_host_from_sqlite_to_postgresql") else {
        return;
    };
    let to = db.url_as("root", PASSWORD);

    // A host on SQLite: deliveries done, dead letters, and a replay of one.
    let sqlite = SUITE.env_with(Config::with_admin());
    sqlite.install_event_log();
    sqlite.install_hostile("failer", &["prospect.created"], "fail");
    let mut host = sqlite.start();
    for prospect in 0..4 {
        let body = prospect_event("prospect.created", 9000 + prospect, "mv@example.com", "mv");
        host.ingest(&body);
    }
    let db_file = sqlite.db();
    eventually_or("4 done and 4 dead", BATCH, || {
        let counts = db_file.status_counts();
        match (counts.get("done"), counts.get("dead")) {
            (Some(4), Some(4)) => Ok(()),
            _ => Err(format!("{counts:?}")),
        }
    });
    let dead = db_file.deliveries_of_plugin("failer")[0].id;
    let replay = host.admin_post(&format!("/api/v1/deliveries/{dead}/replay"), None);
    assert_eq!(replay.status, 202, "{replay:?}");
    eventually_or("the replay dead too", BATCH, || {
        match db_file.status_counts().get("dead") {
            Some(5) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });

    let from = db_file.path.to_str().unwrap().to_owned();
    let busy = migrate(&from, &to);
    assert!(
        !busy.status.success() && text(&busy.stderr).contains("in use by another"),
        "a store a host runs on is refused: {}",
        text(&busy.stderr)
    );

    let events = support::admin::events(&host, &[]);
    let deliveries = support::admin::deliveries(&host, &[]);
    let details: Vec<_> = support::admin::ids(&events)
        .iter()
        .map(|id| support::admin::event(&host, id))
        .collect();
    assert_eq!((events.len(), deliveries.len()), (4, 9));
    assert!(host.stop("TERM").success());

    let copied = migrate(&from, &to);
    let stdout = text(&copied.stdout);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    assert!(
        stdout.contains("webhooks    4\n")
            && stdout.contains("deliveries  9\n")
            && stdout.contains(db.name())
            && !stdout.contains(PASSWORD),
        "{stdout}"
    );

    let env = host_env(&db);
    env.install_hostile("failer", &["prospect.created"], "fail");
    let host = env.start();
    assert_eq!(support::admin::events(&host, &[]), events);
    assert_eq!(support::admin::deliveries(&host, &[]), deliveries);
    for detail in &details {
        let id = detail["id"].as_str().unwrap();
        assert_eq!(&support::admin::event(&host, id), detail, "event {id}");
    }

    // New work gets ids after the copied ones.
    let last = db.scalar("SELECT max(id) FROM deliveries");
    let last_attempt = db.scalar("SELECT max(id) FROM attempts");
    let new = host.ingest(&prospect_event(
        "prospect.created",
        9999,
        "new@example.com",
        "new",
    ));
    eventually_or(
        "the new webhook's deliveries finished",
        BATCH,
        || match db.scalar(&format!(
            "SELECT count(*) FROM deliveries d JOIN events e ON e.id = d.event_id
             WHERE e.webhook_id = '{}' AND d.status IN ('done', 'dead') AND d.id > {last}",
            new.webhook_id
        )) {
            2 => Ok(()),
            n => Err(format!("{n} of 2")),
        },
    );
    assert_eq!(
        db.scalar(&format!(
            "SELECT count(*) FROM attempts WHERE id > {last_attempt}"
        )),
        2,
        "the new deliveries' attempts get new ids"
    );

    // Twice into the same database: refused, and nothing changes.
    let again = migrate(&from, &to);
    let stderr = text(&again.stderr);
    assert!(
        !again.status.success() && stderr.contains("is not empty") && !stderr.contains(PASSWORD),
        "{stderr}"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM webhooks"), 5);
}

/// `migrate-store --from FROM --to TO`.
fn migrate(from: &str, to: &str) -> Output {
    SUITE
        .command()
        .args(["migrate-store", "--from", from, "--to", to])
        .output()
        .expect("running migrate-store")
}
