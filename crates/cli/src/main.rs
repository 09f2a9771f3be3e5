//! The `smartreach-hooks` binary: the command line (`cli.rs`), then one command. `serve` wires
//! the library crates into a host (`serve.rs`); the other commands are the operator tools: the
//! admin client (`client/`), `new-plugin`, `trigger`, `check-plugin`, `test-plugin` and
//! `migrate-store`.
//!
//! ```text
//! smartreach-config ─> serve ─> smartreach-http (routes) ─┐
//!                         │                               ├─> smartreach-store
//!                         └───> smartreach-dispatch ──────┘   smartreach-plugin-runtime
//! ```

mod check_plugin;
mod cli;
mod client;
mod default_source;
mod folders;
mod logging;
mod migrate_store;
mod new_plugin;
mod serve;
mod store;
mod test_plugin;
mod trigger;

use std::fmt::Display;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use smartreach_config::Config;
use smartreach_dispatch::Shutdown;

use crate::cli::{CheckPluginArgs, Cli, Command, TestPluginArgs};

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let config = Config::load(&args.overrides(), std::env::vars())
                .context("invalid configuration")?;
            logging::init(&config.log).map_err(anyhow::Error::msg)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            let served = runtime.block_on(async {
                let shutdown = Shutdown::default();
                shutdown.on_signals();
                serve::serve(config, shutdown).await
            });
            // Work still on blocking threads (a plugin compile, a store read) must not hold the
            // exit: everything acknowledged is committed already.
            runtime.shutdown_timeout(std::time::Duration::from_secs(5));
            served?;
            Ok(ExitCode::SUCCESS)
        }
        Command::NewPlugin(args) => Ok(print(new_plugin::run(&args))),
        Command::Trigger(args) => Ok(print(trigger::run(&args))),
        Command::CheckPlugin(args) => check_plugin(&args),
        Command::TestPlugin(args) => test_plugin(&args),
        Command::Events(args) => Ok(print(client::events::run(&args))),
        Command::Deliveries(args) => Ok(print(client::deliveries::run(&args))),
        Command::Plugins(args) => Ok(print(client::plugins::run(&args))),
        Command::Replay(args) => Ok(print(client::replay::run_replay(&args))),
        Command::Backfill(args) => Ok(print(client::replay::run_backfill(&args))),
        Command::MigrateStore(args) => Ok(print(migrate_store::run(&args))),
        Command::Openapi => {
            print!("{}", smartreach_http::openapi::document());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `check-plugin`: exit 0 when the plugin loads and every run ends well, 1 otherwise.
fn check_plugin(args: &CheckPluginArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = match runtime.block_on(check_plugin::check(args)) {
        Ok(report) => report,
        Err(err) => return Ok(print(Err::<String, _>(err))),
    };
    let text = if args.json {
        serde_json::to_string_pretty(&report).context("writing the report as JSON")? + "\n"
    } else {
        report.to_text()
    };
    if print(Ok::<_, String>(text)) != ExitCode::SUCCESS {
        return Ok(ExitCode::FAILURE);
    }
    if !report.ok() {
        eprintln!(
            "error: {} loads, but a run failed or faulted (see its outcome above)",
            report.name
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `test-plugin`: exit 0 when every snapshot matches (or was accepted), 1 with the diff when one
/// differs or is new, or when the plugin cannot be tested.
fn test_plugin(args: &TestPluginArgs) -> Result<ExitCode> {
    let ci = std::env::var("CI").ok();
    let mode = match test_plugin::WriteMode::of(args.accept, ci.as_deref()) {
        Ok(mode) => mode,
        Err(err) => return Ok(print(Err::<String, _>(err))),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let summary = match runtime.block_on(test_plugin::run(args, mode)) {
        Ok(summary) => summary,
        Err(err) => return Ok(print(Err::<String, _>(err))),
    };
    if print(Ok::<_, String>(summary.to_text())) != ExitCode::SUCCESS {
        return Ok(ExitCode::FAILURE);
    }
    if !summary.passed() {
        eprintln!("error: {}", summary.advice(mode));
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a command's output to stdout, or its error as `error: ...` to stderr; the exit code
/// says which. A closed stdout (`| head`) ends the output quietly.
fn print<E: Display>(result: Result<String, E>) -> ExitCode {
    match result {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("error: cannot write the output: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
