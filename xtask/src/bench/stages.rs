//! The stages of one configuration's run, and what each cost: memory and CPU of the hosts, of the
//! load generator and, on PostgreSQL, of the database server.

use std::time::{Duration, Instant};

use super::database_cpu::{self, DatabaseCpu, Probe, Sample};
use super::host::{self, RssSampler};

/// The stages of a run, in order: memory and CPU are reported per stage.
pub const STAGES: [&str; 6] = [
    "start", "warm-up", "phase A", "drain A", "phase B", "drain B",
];

/// CPU used in one stage, by the hosts, by this process (the load generator) and by the database
/// server.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageCpu {
    /// Wall-clock length of the stage.
    pub wall: Duration,
    /// CPU time of the hosts, together.
    pub host: Duration,
    /// CPU time of this process.
    pub generator: Duration,
    /// CPU time of the PostgreSQL server (`None` on SQLite, in the hosts' processes).
    pub database: Option<DatabaseCpu>,
}

/// CPU times at one moment.
struct Mark {
    at: Instant,
    host: Duration,
    generator: Duration,
    database: Option<Sample>,
}

/// Moves the run from stage to stage: tells the memory sampler and takes CPU times.
pub struct Stages {
    sampler: RssSampler,
    pids: Vec<u32>,
    probe: Option<Probe>,
    current: usize,
    since: Mark,
    cpu: Vec<StageCpu>,
}

impl Stages {
    /// Starts at stage 0, sampling the hosts `pids` and, when given, the database server.
    pub fn new(pids: Vec<u32>, probe: Option<Probe>) -> Self {
        let since = mark(&pids, probe.as_ref());
        Self {
            sampler: RssSampler::start(pids.clone(), STAGES.len()),
            pids,
            probe,
            current: 0,
            since,
            cpu: vec![StageCpu::default(); STAGES.len()],
        }
    }

    /// Ends the current stage and starts `next`.
    pub fn enter(&mut self, next: usize) {
        self.close();
        self.current = next;
        self.sampler.set_stage(next);
        eprintln!("bench: {}", STAGES[next]);
    }

    /// Takes the CPU times of the current stage, up to now.
    fn close(&mut self) {
        let now = mark(&self.pids, self.probe.as_ref());
        self.cpu[self.current] = StageCpu {
            wall: now.at - self.since.at,
            host: now.host.saturating_sub(self.since.host),
            generator: now.generator.saturating_sub(self.since.generator),
            database: match (&self.since.database, &now.database) {
                (Some(before), Some(after)) => Some(database_cpu::between(before, after)),
                _ => None,
            },
        };
        self.since = now;
    }

    /// Ends the last stage; returns the CPU and the peak RSS (of one host) of each stage.
    pub fn finish(mut self) -> (Vec<StageCpu>, Vec<u64>) {
        self.close();
        (self.cpu, self.sampler.finish())
    }
}

/// The CPU times now.
fn mark(pids: &[u32], probe: Option<&Probe>) -> Mark {
    Mark {
        at: Instant::now(),
        host: host::cpu_time_of(pids),
        generator: host::cpu_time(None),
        database: probe.map(Probe::sample),
    }
}
