//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;

/// Receives SmartReach webhooks, stores every event, and runs your wasm plugins on it.
#[derive(Debug, Parser)]
#[command(name = "smartreach-hooks", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the host: receive webhooks and deliver them to the plugins in the plugin folder.
    Serve(ServeArgs),
}

/// Flags of `serve`; each overrides the configuration file and the environment.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML configuration file (see the configuration reference in README.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 0.0.0.0:8080 (key `listen`).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Folder of the state: the database, the compiled-plugin cache, the generated token (key `data_dir`).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder of the plugins, NAME.wasm with an optional NAME.toml manifest (key `plugin_dir`).
    #[arg(long, value_name = "DIR")]
    pub plugin_dir: Option<PathBuf>,
    /// Log format: text or json (key `log.format`).
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,
}

impl ServeArgs {
    /// The flags as the top configuration layer.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config_file: self.config.clone(),
            listen: self.listen.clone(),
            data_dir: self.data_dir.clone(),
            plugin_dir: self.plugin_dir.clone(),
            log_format: self.log_format.clone(),
        }
    }
}
