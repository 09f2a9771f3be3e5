//! The admin API (`/api/v1`): the bearer token, the event and delivery lists with their filters
//! and paging, an event's deliveries with their runs and log lines, the plugin list, replays of
//! dead letters after a fix, and backfills of a new plugin over stored events.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

mod access;
mod backfill;
mod cli;
mod contract;
mod deliveries;
mod events;
mod replay;

use std::collections::BTreeSet;

use support::db::Db;
use support::host::Host;
use support::plugins::manifest_for;
use support::{SOON, eventually};

/// The manifest of a `hostile` plugin in `mode`, receiving `events`.
fn hostile(events: &[&str], mode: &str) -> String {
    manifest_for(events, None, &[("mode", mode)], &[])
}

/// Waits for a log line of the host (after `mark`) that contains all of `needles`.
fn wait_for_log(host: &Host, mark: usize, needles: &[&str]) -> String {
    eventually(
        &format!("a host log line containing {needles:?}"),
        SOON,
        || {
            let stderr = host.stderr();
            stderr[mark..]
                .lines()
                .find(|line| needles.iter().all(|needle| line.contains(needle)))
                .map(str::to_owned)
        },
    )
}

/// The ids of the deliveries in the store matching `keep`, sorted.
fn db_delivery_ids(db: &Db, keep: impl Fn(&support::db::Delivery) -> bool) -> BTreeSet<String> {
    db.deliveries()
        .iter()
        .filter(|delivery| keep(delivery))
        .map(|delivery| delivery.id.to_string())
        .collect()
}

fn as_set(ids: Vec<String>) -> BTreeSet<String> {
    ids.into_iter().collect()
}
