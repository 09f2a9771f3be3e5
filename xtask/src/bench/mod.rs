//! `cargo xtask bench`: the host's throughput, latency, delivery rate and memory under load, set
//! against its targets.
//!
//! Builds the release binary and the plugins, starts the host on a temp dir (SQLite on the
//! defaults, `event-log` as the only plugin), drives it from this process over loopback with
//! hyper (a closed loop for throughput, then an open loop at a fixed rate for latency), reads
//! the deliveries from its database, samples its memory from `/proc`, stops it with SIGTERM,
//! runs the criterion bench of one sandboxed invocation, and prints a report. With `--store
//! postgres` the same phases then run on PostgreSQL, with one host and with `--hosts N` (default
//! 2) sharing a database of the bench's own, and a table sets the configurations side by side
//! against PostgreSQL's targets. Nothing here asserts a number: a missed target is reported, not
//! failed.

mod compare;
mod configuration;
mod database_cpu;
mod delivery;
mod host;
mod load;
pub(crate) mod postgres;
mod report;
mod sandbox;
mod stages;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::{cargo, plugins, workspace_root};
use configuration::{Configuration, Setup};
use report::Report;

/// Usage of the task.
const USAGE: &str = "usage: cargo xtask bench [--duration SECS] [--connections N] [--rate R] \
                     [--store sqlite|postgres] [--hosts N] [--keep] [--json FILE] [--no-criterion]";

/// The body every request is made from (with its own `prospect_id`).
const FIXTURE: &str = "tests/fixtures/events/prospect.created.json";

/// How long the closed loop runs before the measured phases: connections opened, caches warm.
const WARMUP: Duration = Duration::from_secs(2);

/// How long to wait for the deliveries of a phase to finish before going on without them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);

/// Which stores to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stores {
    /// SQLite only (the default).
    Sqlite,
    /// SQLite, then PostgreSQL with one host and with [`Options::hosts`] hosts.
    Postgres,
}

/// The flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// Length of each measured phase.
    pub duration: Duration,
    /// Connections of the closed loop (phase A).
    pub connections: usize,
    /// Offered rate of the open loop (phase B), requests per second.
    pub rate: f64,
    /// Which stores.
    pub stores: Stores,
    /// Hosts of the second PostgreSQL configuration.
    pub hosts: usize,
    /// Keep the temp dirs (SQLite database, logs, config).
    pub keep: bool,
    /// Also write the report as JSON to this file.
    pub json: Option<PathBuf>,
    /// Skip the criterion bench of one sandboxed invocation.
    pub no_criterion: bool,
}

impl Options {
    /// Parses the task's arguments.
    fn parse(args: &[&str]) -> Result<Self> {
        let mut options = Self {
            duration: Duration::from_secs(10),
            connections: 64,
            rate: 5000.0,
            stores: Stores::Sqlite,
            hosts: 2,
            keep: false,
            json: None,
            no_criterion: false,
        };
        let mut hosts_given = false;
        let mut args = args.iter();
        while let Some(&arg) = args.next() {
            let mut value = || {
                args.next()
                    .copied()
                    .with_context(|| format!("{arg} needs a value; {USAGE}"))
            };
            match arg {
                "--duration" => {
                    let secs: f64 = value()?.parse().context("--duration: seconds")?;
                    if !(secs.is_finite() && secs > 0.0) {
                        bail!("--duration must be positive");
                    }
                    options.duration = Duration::from_secs_f64(secs);
                }
                "--connections" => {
                    options.connections = value()?.parse().context("--connections: a count")?;
                    if options.connections == 0 {
                        bail!("--connections must be at least 1");
                    }
                }
                "--rate" => {
                    options.rate = value()?.parse().context("--rate: requests per second")?;
                    if !(options.rate.is_finite() && options.rate > 0.0) {
                        bail!("--rate must be positive");
                    }
                }
                "--store" => {
                    options.stores = match value()? {
                        "sqlite" => Stores::Sqlite,
                        "postgres" => Stores::Postgres,
                        other => bail!("--store: `sqlite` or `postgres`, not `{other}`"),
                    };
                }
                "--hosts" => {
                    options.hosts = value()?.parse().context("--hosts: a count")?;
                    if options.hosts == 0 {
                        bail!("--hosts must be at least 1");
                    }
                    hosts_given = true;
                }
                "--keep" => options.keep = true,
                "--json" => options.json = Some(PathBuf::from(value()?)),
                "--no-criterion" => options.no_criterion = true,
                _ => bail!("unknown argument `{arg}`; {USAGE}"),
            }
        }
        if hosts_given && options.stores != Stores::Postgres {
            bail!("--hosts is for --store postgres (SQLite runs one host per database file)");
        }
        Ok(options)
    }

    /// The configurations to measure, in order.
    fn configurations(&self) -> Vec<Configuration> {
        let mut configurations = vec![Configuration::Sqlite];
        if self.stores == Stores::Postgres {
            configurations.push(Configuration::Postgres { hosts: 1 });
            if self.hosts != 1 {
                configurations.push(Configuration::Postgres { hosts: self.hosts });
            }
        }
        configurations
    }
}

/// Runs the task with its arguments.
pub fn run(args: &[&str]) -> Result<()> {
    let options = Options::parse(args)?;
    let root = workspace_root();
    let target_dir = crate::target_dir()?;

    cargo(&["build", "--release", "--package", "smartreach-hooks"])?;
    let binary = target_dir
        .join("release")
        .join(format!("smartreach-hooks{}", std::env::consts::EXE_SUFFIX));
    let plugin_build = plugins::build()?;
    if !options.no_criterion {
        sandbox::build()?;
    }
    let setup = Setup {
        binary,
        plugin_build,
        root,
        options: options.clone(),
    };

    let mut reports = Vec::new();
    for configuration in options.configurations() {
        let run = configuration::measure(&setup, configuration)?;
        reports.push(Report {
            options: options.clone(),
            run,
            sandbox: None,
        });
    }
    if !options.no_criterion {
        let sandbox = sandbox::run(&target_dir).map_err(|err| format!("{err:#}"));
        reports[0].sandbox = Some(sandbox);
    }

    for report in &reports {
        print!("{}", report.text());
    }
    let several = reports.len() > 1;
    if several {
        print!("{}", compare::text(&reports));
    }
    if let Some(path) = &options.json {
        let json = if several {
            compare::json(&reports)
        } else {
            reports[0].json()
        };
        std::fs::write(path, serde_json::to_string_pretty(&json)?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("JSON report: {}", path.display());
    }
    for report in &reports {
        for stop in &report.run.stopped {
            if stop.killed {
                bail!(
                    "a host ({}) did not exit within {:.0} s of SIGTERM and was killed; see {}",
                    report.run.configuration.label(),
                    stop.took.as_secs_f64(),
                    stop.log.display()
                );
            }
            if stop.code != Some(0) {
                bail!(
                    "a host ({}) exited with {:?} after SIGTERM, not 0; see {}",
                    report.run.configuration.label(),
                    stop.code,
                    stop.log.display()
                );
            }
        }
    }
    Ok(())
}
