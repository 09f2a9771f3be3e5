//! `cargo xtask conformance`: checks that the host and its OpenAPI document agree, with
//! schemathesis (an OpenAPI fuzzer nobody here wrote) against a running debug host holding data
//! in every table.
//!
//! 1. schemathesis, pinned, in a virtualenv under the target folder (`venv.rs`);
//! 2. the debug host binary, built as `cargo test --workspace` builds it, and the plugins;
//! 3. the host started on a temp folder with an admin token and the example plugins
//!    (`folder.rs`), then filled through its own routes (`seed.rs`);
//! 4. `st run` against its `/api/v1/openapi.json` (`schemathesis.rs`): any failure fails the task.

mod folder;
pub(crate) mod http;
mod schemathesis;
mod seed;
mod sink;
mod venv;

use anyhow::{Context, Result, bail};

use crate::host::Host;
use crate::{cargo, plugins, target_dir, workspace_root};
use folder::{Folder, STARTING_PLUGINS};

/// Runs the task (`cargo xtask conformance [--keep]`).
pub fn run(args: &[&str]) -> Result<()> {
    match args {
        [] => check(false),
        ["--keep"] => check(true),
        _ => bail!("usage: cargo xtask conformance [--keep]"),
    }
}

/// The whole check; `keep` keeps the host's folder (configuration, database, log) afterwards.
/// The host binary is built as `cargo test --workspace` builds it (the same features, so
/// nothing is rebuilt after a test run), and the plugins as `cargo xtask plugins` builds them;
/// both are no-ops when fresh.
pub fn check(keep: bool) -> Result<()> {
    let target = target_dir()?;
    let st = venv::ensure(&venv::path(&target))?;
    cargo(&["test", "--workspace", "--no-run"])?;
    let plugin_build = plugins::build()?;
    let binary = target
        .join("debug")
        .join(format!("smartreach-hooks{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        bail!(
            "{} is missing: `cargo test --workspace --no-run` builds it",
            binary.display()
        );
    }
    let conformance = target.join("conformance");
    let sink = sink::start()?;
    let mut folder = Folder::create(&conformance.join("plugin-cache"), sink)?;
    for name in STARTING_PLUGINS {
        folder.install_plugin(&plugin_build, name, sink)?;
    }
    let mut host = Host::start(&binary, folder.path(), &folder.config(), &folder.log(), &[])?;
    println!(
        "conformance: host pid {} on {}, folder {}",
        host.pid,
        host.addr,
        folder.path().display()
    );
    let seeded = seed::Seeder {
        addr: host.addr,
        folder: &folder,
        plugin_build: &plugin_build,
        sink,
    }
    .fill(&workspace_root().join("tests/fixtures/events"));
    let result = seeded.and_then(|()| {
        schemathesis::run(&st, host.addr, folder.path(), &conformance.join("report"))
    });
    if let Some(status) = host.exited() {
        // A crash under the fuzzer is a finding of its own, whatever schemathesis said.
        let log = folder.keep().join("host.log");
        bail!(
            "the host exited during the run ({status}); its log: {}",
            log.display()
        );
    }
    host.stop().context("stopping the host")?;
    if keep || result.is_err() {
        println!(
            "conformance: the host's folder (log, database) is kept in {}",
            folder.keep().display()
        );
    }
    result
}
