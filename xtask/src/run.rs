//! `cargo xtask run [SERVE FLAGS]`: the one command from a fresh clone to a running host. Adds the
//! wasm target if missing, builds the example plugins into `data/plugins/`, and starts
//! `smartreach-hooks serve` on the defaults (127.0.0.1:8080, state in `data/`), which prints the
//! webhook URL to give SmartReach.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{plugins, workspace_root};

/// Config the example manifests read from the environment, with a stand-in used when unset, so
/// that every example loads on a first run. Their requests then go to the example hosts of the
/// manifests and fail (and are retried) until pointed at real services.
const PLACEHOLDERS: [(&str, &str); 4] = [
    ("CRM_API_TOKEN", "placeholder-crm-token"),
    ("HUBSPOT_API_TOKEN", "placeholder-hubspot-token"),
    ("SHEETS_API_TOKEN", "placeholder-sheets-token"),
    (
        "SLACK_WEBHOOK_URL",
        "https://hooks.slack.com/services/PLACEHOLDER",
    ),
];

/// Runs the task; `args` go to `smartreach-hooks serve`.
pub fn run(args: &[&str]) -> Result<()> {
    plugins::run(&[])?;
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command
        .current_dir(workspace_root())
        .args([
            "run",
            "--quiet",
            "--package",
            "smartreach-hooks",
            "--bin",
            "smartreach-hooks",
            "--",
            "serve",
        ])
        .args(args);
    for (name, value) in PLACEHOLDERS {
        if std::env::var_os(name).is_none() {
            println!("{name} is not set: the example plugins get a placeholder ({value})");
            command.env(name, value);
        }
    }
    println!(
        "$ cargo run --package smartreach-hooks -- serve {}",
        args.join(" ")
    );
    let status = command
        .status()
        .context("starting `cargo run --package smartreach-hooks`")?;
    if !status.success() {
        bail!("smartreach-hooks exited with {status}");
    }
    Ok(())
}
