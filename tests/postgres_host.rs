//! The host on the PostgreSQL store (`store.url = "postgres://..."`), end to end through the
//! binary: start-up errors that say which problem it is and never echo the password.
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

use support::closed_port::ClosedPort;
use support::exit::text;
use support::host::Config;
use support::postgres::TestDb;

/// A password no output may show.
const PASSWORD: &str = "s3cret-pw-4711";

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
