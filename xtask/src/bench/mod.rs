//! `cargo xtask bench`: the host's throughput, latency, delivery rate and memory under load, set
//! against its targets.
//!
//! Builds the release binary and the plugins, starts the host on a temp dir (SQLite on the
//! defaults, `event-log` as the only plugin), drives it from this process over loopback with
//! hyper (a closed loop for throughput, then an open loop at a fixed rate for latency), reads
//! the deliveries from its database, samples its memory from `/proc`, stops it with SIGTERM,
//! runs the criterion bench of one sandboxed invocation, and prints a report. Nothing here
//! asserts a number: a missed target is reported, not failed.

mod delivery;
mod host;
mod load;
mod report;
mod sandbox;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::host::Host;
use crate::{cargo, plugins, workspace_root};
use host::{HostDir, RssSampler};
use load::{Bodies, Generator};
use report::Report;

/// Usage of the task.
const USAGE: &str = "usage: cargo xtask bench [--duration SECS] [--connections N] [--rate R] \
                     [--keep] [--json FILE] [--no-criterion]";

/// The body every request is made from (with its own `prospect_id`).
const FIXTURE: &str = "tests/fixtures/events/prospect.created.json";

/// How long the closed loop runs before the measured phases: connections opened, caches warm.
const WARMUP: Duration = Duration::from_secs(2);

/// How long to wait for the deliveries of a phase to finish before going on without them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);

/// The stages of a run, in order: memory and CPU are reported per stage.
pub const STAGES: [&str; 6] = [
    "start", "warm-up", "phase A", "drain A", "phase B", "drain B",
];

/// The flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// Length of each measured phase.
    pub duration: Duration,
    /// Connections of the closed loop (phase A).
    pub connections: usize,
    /// Offered rate of the open loop (phase B), requests per second.
    pub rate: f64,
    /// Keep the temp dir (database, log, config).
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
            keep: false,
            json: None,
            no_criterion: false,
        };
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
                "--keep" => options.keep = true,
                "--json" => options.json = Some(PathBuf::from(value()?)),
                "--no-criterion" => options.no_criterion = true,
                _ => bail!("unknown argument `{arg}`; {USAGE}"),
            }
        }
        Ok(options)
    }
}

/// CPU used in one stage, by the host and by this process (the load generator).
#[derive(Debug, Clone, Copy, Default)]
pub struct StageCpu {
    /// Wall-clock length of the stage.
    pub wall: Duration,
    /// CPU time of the host.
    pub host: Duration,
    /// CPU time of this process.
    pub generator: Duration,
}

/// Moves the run from stage to stage: tells the memory sampler and takes CPU times.
struct Stages {
    sampler: RssSampler,
    pid: u32,
    current: usize,
    since: (Instant, Duration, Duration),
    cpu: Vec<StageCpu>,
}

impl Stages {
    /// Starts at stage 0, sampling the host `pid`.
    fn new(pid: u32) -> Self {
        Self {
            sampler: RssSampler::start(pid, STAGES.len()),
            pid,
            current: 0,
            since: (
                Instant::now(),
                host::cpu_time(Some(pid)),
                host::cpu_time(None),
            ),
            cpu: vec![StageCpu::default(); STAGES.len()],
        }
    }

    /// Ends the current stage and starts `next`.
    fn enter(&mut self, next: usize) {
        self.close();
        self.current = next;
        self.sampler.set_stage(next);
        eprintln!("bench: {}", STAGES[next]);
    }

    /// Takes the CPU times of the current stage, up to now.
    fn close(&mut self) {
        let now = (
            Instant::now(),
            host::cpu_time(Some(self.pid)),
            host::cpu_time(None),
        );
        self.cpu[self.current] = StageCpu {
            wall: now.0 - self.since.0,
            host: now.1.saturating_sub(self.since.1),
            generator: now.2.saturating_sub(self.since.2),
        };
        self.since = now;
    }

    /// Ends the last stage; returns the CPU and the peak RSS of each stage.
    fn finish(mut self) -> (Vec<StageCpu>, Vec<u64>) {
        self.close();
        (self.cpu, self.sampler.finish())
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

    let mut dir = HostDir::create(&plugin_build, &root.join("plugins/event-log/manifest.toml"))?;
    if options.keep {
        dir.keep();
    }
    let bodies = Bodies::from_fixture(&root.join(FIXTURE))?;
    let body_bytes = bodies.size();
    let mut host = Host::start(&binary, dir.path(), &dir.config(), &dir.log(), &[])?;
    eprintln!(
        "bench: host pid {} listening on {} (started in {:.1} s); folder {}",
        host.pid,
        host.addr,
        host.started_in.as_secs_f64(),
        dir.path().display()
    );

    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the load generator's runtime")?;
    let generator = Generator::new(host.addr, host::TOKEN, bodies);
    tokio.block_on(generator.wait_ready(Duration::from_secs(60)))?;
    let db = delivery::open(&dir.database())?;

    let mut stages = Stages::new(host.pid);
    stages.enter(1);
    let warmup = tokio.block_on(generator.closed_loop(options.connections, WARMUP));
    let drain_warmup = tokio.block_on(delivery::wait_drained(&db, DRAIN_TIMEOUT))?;
    stages.enter(2);
    let throughput = tokio.block_on(generator.closed_loop(options.connections, options.duration));
    stages.enter(3);
    let drain_a = tokio.block_on(delivery::wait_drained(&db, DRAIN_TIMEOUT))?;
    stages.enter(4);
    let latency = tokio.block_on(generator.open_loop(options.rate, options.duration));
    stages.enter(5);
    let drain_b = tokio.block_on(delivery::wait_drained(&db, DRAIN_TIMEOUT))?;
    let (cpu, rss_peaks) = stages.finish();

    let snapshot = delivery::snapshot(&db)?;
    let peak_rss = host::peak_rss(host.pid)?;
    drop(db);
    // Close the client's connections before the host shuts down.
    drop(generator);
    drop(tokio);
    let stopped = host.stop()?;
    eprintln!(
        "bench: host {} with {} after {:.1} s",
        if stopped.killed {
            "did not exit after SIGTERM: killed"
        } else {
            "stopped"
        },
        stopped.status,
        stopped.took.as_secs_f64()
    );

    let sandbox = if options.no_criterion {
        None
    } else {
        Some(sandbox::run(&target_dir).map_err(|err| format!("{err:#}")))
    };

    let report = Report {
        delivery_a: delivery::phase(&snapshot, throughput.started_ms, throughput.ended_ms),
        delivery_b: delivery::phase(&snapshot, latency.started_ms, latency.ended_ms),
        drained_a: delivery::started_between(
            &snapshot,
            throughput.ended_ms + 1,
            throughput.ended_ms + drain_a.waited.as_millis() as i64,
        ),
        options: options.clone(),
        body_bytes,
        host_started_in: host.started_in,
        warmup,
        throughput,
        latency,
        drains: [drain_warmup, drain_a, drain_b],
        cpu,
        rss_peaks,
        peak_rss,
        snapshot,
        sandbox,
        stopped: (stopped.status.code(), stopped.took, stopped.killed),
        folder: options.keep.then(|| dir.path().to_owned()),
    };
    print!("{}", report.text());
    if let Some(path) = &options.json {
        std::fs::write(path, serde_json::to_string_pretty(&report.json())?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("JSON report: {}", path.display());
    }
    if stopped.killed {
        bail!(
            "the host did not exit within {:.0} s of SIGTERM and was killed; see {}",
            stopped.took.as_secs_f64(),
            dir.log().display()
        );
    }
    if !stopped.status.success() {
        bail!(
            "the host exited with {} after SIGTERM, not 0; see {}",
            stopped.status,
            dir.log().display()
        );
    }
    Ok(())
}
