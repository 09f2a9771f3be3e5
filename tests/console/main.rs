//! The web console (`/console`) against the real binary, as a browser without script uses it:
//! off without `admin.token`; sign-in, the session cookie and sign-out; CSRF and cross-site
//! refusals; the pages (overview, events with filters and pages, an event, deliveries, plugins);
//! and the actions (replay, replay of every dead letter, backfill, pause and resume), which are the
//! admin API's.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

mod access;
mod actions;
mod pages;
mod pause;

use support::plugins::manifest_for;

/// The manifest of a `hostile` plugin in `mode`, receiving `events`, with more `config`.
fn hostile(events: &[&str], mode: &str, config: &[(&str, &str)]) -> String {
    let mut all = vec![("mode", mode)];
    all.extend_from_slice(config);
    manifest_for(events, None, &all, &[])
}
