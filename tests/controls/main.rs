//! Delivery controls, from outside: pausing and resuming a plugin (its deliveries wait, visible,
//! across restarts, then run in order), its rate limit (`limits.rate`: the send rate measured at
//! the upstream stays within it, on one host and on two sharing a PostgreSQL database, and
//! nothing that only had to wait is retried or dead-lettered), an upstream's `Retry-After`
//! holding the whole plugin back, and the circuit breaker.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

mod breaker;
mod pause;
mod rate;
mod upstream;

use support::exit::{expect_exit, text};
use support::host::{ADMIN_TOKEN, Host};

/// `smartreach-hooks ARGS --url HOST --admin-token TOKEN`, which must exit 0; its stdout.
fn admin_command(host: &Host, args: &[&str]) -> String {
    let output = SUITE
        .command()
        .args(args)
        .args(["--url", &host.url(""), "--admin-token", ADMIN_TOKEN])
        .output()
        .expect("running smartreach-hooks");
    expect_exit(&output, 0, &format!("smartreach-hooks {}", args.join(" ")));
    text(&output.stdout)
}
