//! The web console in headless Chromium against the real binary: an operator's round (sign-in,
//! the lists and their filters, an event, replays, a backfill, sign-out) with every page checked
//! to load nothing from outside the host, and a forged cross-site form refused. Reading without
//! script is the `console` suite's, over plain HTTP.
//!
//! Needs Debian's `chromium` and `chromium-driver`: without them a test says it is skipped and how
//! to install them, except under CI, where it fails (`tools.rs`). With `SMARTREACH_SCREENSHOTS`
//! set to a folder, the operator's round saves a PNG of each page there (`cargo xtask
//! screenshots`).

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

mod forgery;
mod operator;
mod session;
mod tools;
