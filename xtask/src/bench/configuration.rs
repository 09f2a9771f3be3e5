//! One configuration under load: a store and a number of hosts on it. Starts the hosts (each in a
//! folder of its own; on PostgreSQL on a database of the bench's own), runs the same phases on
//! each configuration (warm-up, closed loop, open loop, each followed by a drain), reads the
//! deliveries from the store, stops the hosts and returns what it measured.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

use super::delivery::{self, Losses, PhaseDelivery, Reader, Snapshot};
use super::host::{self, HostDir};
use super::load::{Bodies, Generator, PhaseResult};
use super::postgres::{self, BenchDatabase};
use super::stages::{StageCpu, Stages};
use super::{DRAIN_TIMEOUT, FIXTURE, Options, WARMUP, database_cpu};
use crate::host::Host;

/// Which store the hosts run on, and how many of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Configuration {
    /// One host on the default SQLite store.
    Sqlite,
    /// `hosts` hosts on one PostgreSQL database.
    Postgres {
        /// How many.
        hosts: usize,
    },
}

impl Configuration {
    /// How many hosts run.
    pub fn hosts(self) -> usize {
        match self {
            Self::Sqlite => 1,
            Self::Postgres { hosts } => hosts,
        }
    }

    /// Its name in the report.
    pub fn label(self) -> String {
        let hosts = self.hosts();
        let store = match self {
            Self::Sqlite => "SQLite",
            Self::Postgres { .. } => "PostgreSQL",
        };
        format!("{store}, {hosts} host{}", if hosts == 1 { "" } else { "s" })
    }
}

/// What the run needs that does not change from one configuration to the next.
pub struct Setup {
    /// The release binary.
    pub binary: PathBuf,
    /// The folder holding `event_log.wasm`.
    pub plugin_build: PathBuf,
    /// The workspace root.
    pub root: PathBuf,
    /// The flags.
    pub options: Options,
}

/// How one host ended after SIGTERM: exit code (`None`: ended by a signal), how long the exit
/// took, whether it had to be killed because it did not exit, and its log.
#[derive(Debug, Clone)]
pub struct HostStop {
    /// Exit code, `None` when a signal ended it.
    pub code: Option<i32>,
    /// From SIGTERM to the exit.
    pub took: Duration,
    /// Still running after the stop timeout: killed.
    pub killed: bool,
    /// Its log (gone with its folder unless kept).
    pub log: PathBuf,
}

/// Everything measured on one configuration.
pub struct Measured {
    /// What ran.
    pub configuration: Configuration,
    /// The store as the report describes it.
    pub store: String,
    /// Size of a request body, bytes.
    pub body_bytes: usize,
    /// From spawn to the listening line, the slowest host.
    pub host_started_in: Duration,
    /// The warm-up closed loop (not measured against a target).
    pub warmup: PhaseResult,
    /// Phase A: closed loop.
    pub throughput: PhaseResult,
    /// Phase B: open loop.
    pub latency: PhaseResult,
    /// Waiting for the deliveries after the warm-up, phase A and phase B.
    pub drains: [delivery::Drain; 3],
    /// Deliveries of the webhooks of phase A.
    pub delivery_a: PhaseDelivery,
    /// Deliveries of the webhooks of phase B.
    pub delivery_b: PhaseDelivery,
    /// Deliveries that started while draining after phase A (no ingest running).
    pub drained_a: u64,
    /// CPU per stage.
    pub cpu: Vec<StageCpu>,
    /// Peak sampled `VmRSS` of one host per stage, bytes.
    pub rss_peaks: Vec<u64>,
    /// `VmHWM` at the end, the largest host's, bytes.
    pub peak_rss: u64,
    /// Counts read from the store at the end.
    pub snapshot: Snapshot,
    /// Every acknowledged webhook of the run, looked up in the store.
    pub losses: Losses,
    /// How each host stopped.
    pub stopped: Vec<HostStop>,
    /// The kept folders, with `--keep`.
    pub folders: Vec<PathBuf>,
}

/// Runs the phases on `configuration`.
pub fn measure(setup: &Setup, configuration: Configuration) -> Result<Measured> {
    eprintln!("bench: === {} ===", configuration.label());
    let options = &setup.options;
    // Declared before the hosts, so dropped after them (on an error too).
    let database = match configuration {
        Configuration::Sqlite => None,
        Configuration::Postgres { hosts } => Some(BenchDatabase::create(&format!("{hosts}"))?),
    };
    let store_url = database.as_ref().map(BenchDatabase::url);
    let manifest = setup.root.join("plugins/event-log/manifest.toml");
    let mut dirs = Vec::new();
    let mut hosts = Vec::new();
    for _ in 0..configuration.hosts() {
        let mut dir = HostDir::create(&setup.plugin_build, &manifest, store_url.as_deref())?;
        if options.keep {
            dir.keep();
        }
        let host = Host::start(&setup.binary, dir.path(), &dir.config(), &dir.log(), &[])?;
        eprintln!(
            "bench: host pid {} listening on {} (started in {:.1} s); folder {}",
            host.pid,
            host.addr,
            host.started_in.as_secs_f64(),
            dir.path().display()
        );
        dirs.push(dir);
        hosts.push(host);
    }
    let pids: Vec<u32> = hosts.iter().map(|host| host.pid).collect();
    let addrs: Vec<_> = hosts.iter().map(|host| host.addr).collect();

    let bodies = Bodies::from_fixture(&setup.root.join(FIXTURE))?;
    let body_bytes = bodies.size();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the load generator's runtime")?;
    let generator = Generator::new(&addrs, host::TOKEN, bodies);
    tokio.block_on(generator.wait_ready(Duration::from_secs(60)))?;
    let (reader, probe) = match &database {
        None => (delivery::open(&dirs[0].database())?, None),
        Some(database) => tokio.block_on(async {
            let client = postgres::connect(&database.url()).await?;
            let own: i32 = client
                .query_one("SELECT pg_backend_pid()", &[])
                .await?
                .get(0);
            let probe = database_cpu::Probe::new(database.name(), u32::try_from(own).ok());
            Ok::<_, anyhow::Error>((Reader::Postgres(client), Some(probe)))
        })?,
    };

    let mut stages = Stages::new(pids.clone(), probe);
    stages.enter(1);
    let warmup = tokio.block_on(generator.closed_loop(options.connections, WARMUP));
    let drain_warmup = tokio.block_on(delivery::wait_drained(&reader, DRAIN_TIMEOUT))?;
    stages.enter(2);
    let throughput = tokio.block_on(generator.closed_loop(options.connections, options.duration));
    stages.enter(3);
    let drain_a = tokio.block_on(delivery::wait_drained(&reader, DRAIN_TIMEOUT))?;
    stages.enter(4);
    let latency = tokio.block_on(generator.open_loop(options.rate, options.duration));
    stages.enter(5);
    let drain_b = tokio.block_on(delivery::wait_drained(&reader, DRAIN_TIMEOUT))?;
    let (cpu, rss_peaks) = stages.finish();

    let snapshot = tokio
        .block_on(reader.snapshot())
        .context("reading the deliveries")?;
    let losses = snapshot.losses(
        warmup.acknowledged + throughput.acknowledged + latency.acknowledged,
        warmup
            .acknowledged_ids
            .iter()
            .chain(&throughput.acknowledged_ids)
            .chain(&latency.acknowledged_ids),
    );
    let peak_rss = pids
        .iter()
        .map(|&pid| host::peak_rss(pid))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
    drop(reader);
    // Close the client's connections before the hosts shut down.
    drop(generator);
    drop(tokio);
    let mut stopped = Vec::new();
    for (host, dir) in hosts.iter_mut().zip(&dirs) {
        let stop = host.stop()?;
        eprintln!(
            "bench: host {} {} with {} after {:.1} s",
            host.pid,
            if stop.killed {
                "did not exit after SIGTERM: killed"
            } else {
                "stopped"
            },
            stop.status,
            stop.took.as_secs_f64()
        );
        stopped.push(HostStop {
            code: stop.status.code(),
            took: stop.took,
            killed: stop.killed,
            log: dir.log(),
        });
    }

    // A host that did not stop cleanly: keep its log.
    if stopped
        .iter()
        .any(|stop| stop.killed || stop.code != Some(0))
    {
        for dir in &mut dirs {
            dir.keep();
        }
    }
    let kept = options.keep
        || stopped
            .iter()
            .any(|stop| stop.killed || stop.code != Some(0));

    Ok(Measured {
        configuration,
        store: match &database {
            None => "SQLite, the default (in the host's data folder)".to_owned(),
            Some(database) => format!(
                "PostgreSQL, store.url = database {} of the bench's own on {}, shared by the hosts",
                database.name(),
                server_of(&database.url())
            ),
        },
        delivery_a: delivery::phase(&snapshot, throughput.started_ms, throughput.ended_ms),
        delivery_b: delivery::phase(&snapshot, latency.started_ms, latency.ended_ms),
        drained_a: delivery::started_between(
            &snapshot,
            throughput.ended_ms + 1,
            throughput.ended_ms + drain_a.waited.as_millis() as i64,
        ),
        body_bytes,
        host_started_in: hosts
            .iter()
            .map(|host| host.started_in)
            .max()
            .unwrap_or_default(),
        warmup,
        throughput,
        latency,
        drains: [drain_warmup, drain_a, drain_b],
        cpu,
        rss_peaks,
        peak_rss,
        snapshot,
        losses,
        stopped,
        folders: if kept {
            dirs.iter().map(|dir| dir.path().to_owned()).collect()
        } else {
            Vec::new()
        },
    })
}

/// `host:port` of a database URL, without user and password.
fn server_of(url: &str) -> &str {
    let rest = url.split_once('@').map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}
