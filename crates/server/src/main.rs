//! The `smartreach-hooks` binary: the command line, then the library.

use anyhow::{Context, Result};
use clap::Parser;
use smartreach_hooks::cli::{Cli, Command};
use smartreach_hooks::config::Config;
use smartreach_hooks::shutdown::Shutdown;
use smartreach_hooks::{logging, serve};

fn main() -> Result<()> {
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
            runtime.block_on(async {
                let shutdown = Shutdown::default();
                shutdown.on_signals();
                serve::serve(config, shutdown).await
            })?;
            Ok(())
        }
    }
}
