//! Whether the PostgreSQL store's tests can run: they need a server (the project's machines run
//! PostgreSQL 15 on 127.0.0.1:5432). Without one, `cargo xtask test` says that they are skipped
//! and how to run them; under `CI=true` a missing server is a failure, never a silent skip.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Result, bail};

/// The variable the tests read: a server URL, or `skip`.
const VARIABLE: &str = "SMARTREACH_TEST_POSTGRES";

/// Where the tests look when the variable is not set.
const DEFAULT_ADDRESS: &str = "127.0.0.1:5432";

/// The environment of the workspace tests: nothing when a server is there (or the variable says
/// where, or to skip), `SMARTREACH_TEST_POSTGRES=skip` when none is and this is not CI.
pub fn test_env() -> Result<Vec<(&'static str, &'static str)>> {
    if std::env::var_os(VARIABLE).is_some() {
        return Ok(Vec::new());
    }
    let address: SocketAddr = DEFAULT_ADDRESS.parse().expect("a socket address");
    if TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok() {
        return Ok(Vec::new());
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        bail!(
            "PostgreSQL is not running on {DEFAULT_ADDRESS}, and CI=true: the PostgreSQL store's \
             tests need it. Start it (pg_ctlcluster --skip-systemctl-redirect 15 main start; \
             .ci/run does), or set {VARIABLE} to a server's URL"
        );
    }
    println!(
        "xtask: the PostgreSQL store's tests are skipped: no server on {DEFAULT_ADDRESS}. Start \
         PostgreSQL there (trust authentication for the current user), or set {VARIABLE} to \
         the URL of a user that may create databases"
    );
    Ok(vec![(VARIABLE, "skip")])
}
