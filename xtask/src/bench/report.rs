//! The bench's report: the numbers of every phase, then each target beside its measurement with a
//! verdict; as text for people and as JSON for scripts.

use std::fmt::Write;
use std::time::Duration;

use serde_json::{Value, json};

use super::Options;
use super::configuration::{Configuration, Measured};
use super::database_cpu::DatabaseCpu;
use super::delivery::{Drain, PhaseDelivery};
use super::load::{OPEN_LOOP_MAX_IN_FLIGHT, PhaseResult, REQUEST_TIMEOUT, percentile};
use super::sandbox::Estimate;
use super::stages::{STAGES, StageCpu};

/// Target: acknowledged webhooks per second in the closed loop, at least.
const TARGET_ACK_RATE: f64 = 10_000.0;
/// Target: p99 latency at 5,000 requests/s offered, below (ms).
const TARGET_P99_MS: f64 = 20.0;
/// Target: deliveries per second end to end, at least.
const TARGET_DELIVERY_RATE: f64 = 5_000.0;
/// Target: peak resident memory of the host, below (MiB).
const TARGET_RSS_MIB: f64 = 150.0;

/// One configuration's run, with the flags it ran with and, for the first, the criterion
/// estimates.
pub struct Report {
    /// The flags it ran with.
    pub options: Options,
    /// What it measured.
    pub run: Measured,
    /// The criterion estimates, unless skipped or measured beside another configuration, or why
    /// they are missing.
    pub sandbox: Option<Result<Vec<Estimate>, String>>,
}

/// `1234567` as `1,234,567`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Microseconds as milliseconds, with precision that suits the size.
pub fn ms(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// Nanoseconds as microseconds (or ns below 1 µs).
fn ns(value: f64) -> String {
    if value < 1000.0 {
        format!("{value:.0} ns")
    } else {
        format!("{:.2} µs", value / 1000.0)
    }
}

/// Bytes as MiB.
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// CPU time over wall time, as a percentage of one core.
fn share(cpu: Duration, wall: Duration) -> f64 {
    100.0 * cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9)
}

/// CPU time per webhook, in µs.
pub fn per_webhook(cpu: Duration, webhooks: u64) -> String {
    format!("{:.0} µs", cpu.as_secs_f64() * 1e6 / webhooks.max(1) as f64)
}

/// How a measurement compares with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The target is met.
    Met,
    /// The target is not met.
    NotMet,
    /// The run did not measure what the target names (e.g. a lower offered rate).
    NotComparable,
}

impl Verdict {
    /// `Met` when `met`, else `NotMet`.
    fn of(met: bool) -> Self {
        if met { Self::Met } else { Self::NotMet }
    }

    /// The word in the report.
    fn word(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::NotMet => "NOT MET",
            Self::NotComparable => "not comparable",
        }
    }
}

impl Report {
    /// The closed loop's rate, checked against its target.
    fn ack_rate(&self) -> f64 {
        self.run.throughput.ack_rate()
    }

    /// The open loop's p99, ms.
    fn p99_ms(&self) -> f64 {
        percentile(&self.run.latency.latencies_us, 99.0) as f64 / 1000.0
    }

    /// Whether phase A's deliveries fell behind ingest (more than 100 ms of it waiting at once),
    /// so that their rate is the dispatcher's capacity rather than the ingest rate.
    fn delivery_saturated(&self) -> bool {
        self.run.delivery_a.peak_backlog as f64 > self.ack_rate() * 0.1
    }

    /// Each target: what it says, what was measured, and the verdict.
    fn targets(&self) -> [(&'static str, String, f64, Verdict); 4] {
        let b = &self.run.latency;
        let rate = self.options.rate;
        [
            (
                "≥ 10,000 acknowledged events/s",
                format!("{}/s (phase A)", thousands(self.ack_rate().round() as u64)),
                self.ack_rate(),
                Verdict::of(self.ack_rate() >= TARGET_ACK_RATE),
            ),
            (
                "p99 < 20 ms at 5,000/s offered",
                format!(
                    "{} at {}/s offered{}",
                    ms(percentile(&b.latencies_us, 99.0)),
                    thousands(rate.round() as u64),
                    if b.errors() > 0 {
                        format!(", {} errors", thousands(b.errors()))
                    } else {
                        String::new()
                    }
                ),
                self.p99_ms(),
                if rate < 5000.0 {
                    Verdict::NotComparable
                } else {
                    Verdict::of(self.p99_ms() < TARGET_P99_MS && b.errors() == 0)
                },
            ),
            (
                "≥ 5,000 deliveries/s end to end",
                format!(
                    "{}/s (phase A{})",
                    thousands(self.run.delivery_a.rate().round() as u64),
                    if self.delivery_saturated() {
                        ", backlogged: capacity"
                    } else {
                        ", kept up with ingest: a lower bound"
                    }
                ),
                self.run.delivery_a.rate(),
                Verdict::of(self.run.delivery_a.rate() >= TARGET_DELIVERY_RATE),
            ),
            (
                "RSS < 150 MiB at that load",
                format!("{:.1} MiB peak", mib(self.rss())),
                mib(self.rss()),
                Verdict::of(mib(self.rss()) < TARGET_RSS_MIB),
            ),
        ]
    }

    /// Peak resident memory: the larger of `VmHWM` and the sampled peaks.
    fn rss(&self) -> u64 {
        self.run
            .rss_peaks
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .max(self.run.peak_rss)
    }

    /// The error, latency and CPU lines of a load phase.
    fn load_section(out: &mut String, result: &PhaseResult, cpu: &StageCpu, hosts: usize) {
        let refused: Vec<String> = result
            .refused
            .iter()
            .map(|(code, count)| format!("{} × {code}", thousands(*count)))
            .collect();
        let non_2xx: u64 = result.refused.iter().map(|(_, count)| count).sum();
        let _ = writeln!(
            out,
            "  errors            {} ({} non-2xx{}{}, {} without answer within {} s{})",
            thousands(result.errors()),
            thousands(non_2xx),
            if refused.is_empty() { "" } else { ": " },
            refused.join(", "),
            thousands(result.failed),
            REQUEST_TIMEOUT.as_secs(),
            if result.unsent > 0 {
                format!(
                    ", {} never sent: the phase's time ran out with {OPEN_LOOP_MAX_IN_FLIGHT} unanswered",
                    thousands(result.unsent)
                )
            } else {
                String::new()
            },
        );
        let lat = &result.latencies_us;
        let _ = writeln!(
            out,
            "  latency           p50 {}   p90 {}   p99 {}   p99.9 {}   max {}",
            ms(percentile(lat, 50.0)),
            ms(percentile(lat, 90.0)),
            ms(percentile(lat, 99.0)),
            ms(percentile(lat, 99.9)),
            ms(lat.last().copied().unwrap_or(0)),
        );
        let _ = writeln!(
            out,
            "  CPU               host{} {:.0}% of a core, load generator {:.0}%{}",
            if hosts == 1 { "" } else { "s" },
            share(cpu.host, cpu.wall),
            share(cpu.generator, cpu.wall),
            match cpu.database {
                None => String::new(),
                Some(db) => format!(
                    ", database server {:.0}% (the bench database's backends {:.0}%)",
                    share(db.server, cpu.wall),
                    share(db.backends, cpu.wall)
                ),
            },
        );
        let _ = writeln!(
            out,
            "  CPU per webhook   host {}{}, during the phase, per acknowledged webhook",
            per_webhook(cpu.host, result.acknowledged),
            match cpu.database {
                None => String::new(),
                Some(db) => format!(
                    ", database {} (whole server {})",
                    per_webhook(db.backends, result.acknowledged),
                    per_webhook(db.server, result.acknowledged)
                ),
            },
        );
    }

    /// The lines of the deliveries of one phase's webhooks.
    fn delivery_line(out: &mut String, name: &str, delivery: &PhaseDelivery, drain: &Drain) {
        if delivery.ran == 0 {
            let _ = writeln!(
                out,
                "  {name:<17} {} deliveries, none ran; {} still open {:.1} s after the phase",
                thousands(delivery.deliveries),
                thousands(drain.left),
                drain.waited.as_secs_f64(),
            );
            return;
        }
        let _ = writeln!(
            out,
            "  {name:<17} {} deliveries, {} ran in {:.1} s → {}/s; backlog peaked at {}",
            thousands(delivery.deliveries),
            thousands(delivery.ran),
            delivery.window_ms as f64 / 1000.0,
            thousands(delivery.rate().round() as u64),
            thousands(delivery.peak_backlog),
        );
        let _ = writeln!(
            out,
            "  {:<17} receipt → delivery start: p50 {} ms   p99 {} ms   max {} ms",
            "",
            delivery.delay(50.0),
            delivery.delay(99.0),
            delivery.delays_ms.last().copied().unwrap_or(0),
        );
        let _ = writeln!(
            out,
            "  {:<17} {} after the phase: {}",
            "",
            format_args!("{:.1} s", drain.waited.as_secs_f64()),
            if drain.left == 0 {
                "none open".to_owned()
            } else {
                format!("{} still open (gave up waiting)", thousands(drain.left))
            },
        );
    }

    /// The report for people.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let o = &self.options;
        let a = &self.run.throughput;
        let b = &self.run.latency;
        let hosts = self.run.configuration.hosts();
        let _ = writeln!(
            out,
            "\n=== smartreach-hooks bench: {} ===",
            self.run.configuration.label()
        );
        let _ = writeln!(
            out,
            "host:  {}release build; configuration on the defaults but for listen 127.0.0.1:0, the \
             folders, one source{}; one plugin, event-log (every event type, its own manifest); \
             started in {:.1} s{}",
            if hosts == 1 {
                String::new()
            } else {
                format!("{hosts} hosts, each a ")
            },
            if self.run.configuration == Configuration::Sqlite {
                ""
            } else {
                " and store.url"
            },
            self.run.host_started_in.as_secs_f64(),
            if hosts == 1 { "" } else { " (the slowest)" },
        );
        let _ = writeln!(out, "store: {}", self.run.store);
        let _ = writeln!(
            out,
            "load:  this process, one tokio thread, hyper 1 client, HTTP/1.1 keep-alive over loopback; \
             {} B bodies (prospect.created, a unique prospect_id each){}; hosts, load{} share {} cores",
            self.run.body_bytes,
            if hosts == 1 {
                String::new()
            } else {
                format!(", connections and requests round-robin over the {hosts} hosts' ports")
            },
            if self.run.configuration == Configuration::Sqlite {
                ""
            } else {
                " and database"
            },
            std::thread::available_parallelism().map_or(0, |n| n.get()),
        );
        let _ = writeln!(
            out,
            "warm-up: {:.1} s closed loop, {} acknowledged, {} errors; its deliveries {} after {:.1} s",
            self.run.warmup.elapsed.as_secs_f64(),
            thousands(self.run.warmup.acknowledged),
            thousands(self.run.warmup.errors()),
            if self.run.drains[0].left == 0 {
                "all done".to_owned()
            } else {
                format!(
                    "{} still open (gave up waiting)",
                    thousands(self.run.drains[0].left)
                )
            },
            self.run.drains[0].waited.as_secs_f64(),
        );

        let _ = writeln!(
            out,
            "\nPhase A: throughput, closed loop, {} connections, {:.1} s",
            o.connections,
            a.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "  acknowledged      {}/s ({} of {} sent; {} as duplicates)",
            thousands(self.ack_rate().round() as u64),
            thousands(a.acknowledged),
            thousands(a.sent),
            thousands(a.duplicates),
        );
        Self::load_section(&mut out, a, &self.run.cpu[2], hosts);

        let _ = writeln!(
            out,
            "\nPhase B: latency, open loop, {}/s offered for {:.1} s (latency from the scheduled send time)",
            thousands(o.rate.round() as u64),
            o.duration.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "  achieved          {}/s acknowledged ({} of {} sent; {} sends > 5 ms behind schedule)",
            thousands(b.ack_rate().round() as u64),
            thousands(b.acknowledged),
            thousands(b.sent),
            thousands(b.late_sends),
        );
        Self::load_section(&mut out, b, &self.run.cpu[4], hosts);

        let _ = writeln!(
            out,
            "\nDelivery: event-log on every webhook; receipt = webhooks.received_at (stamped just \
             before the commit that precedes the ack), start = attempts.started_at of attempt 1"
        );
        Self::delivery_line(
            &mut out,
            "phase A webhooks",
            &self.run.delivery_a,
            &self.run.drains[1],
        );
        Self::delivery_line(
            &mut out,
            "phase B webhooks",
            &self.run.delivery_b,
            &self.run.drains[2],
        );
        let drain_cpu = &self.run.cpu[3];
        let _ = writeln!(
            out,
            "  draining A        host {:.0}% of a core over {:.1} s with no ingest: {} deliveries started, {:.1} µs host CPU each",
            share(drain_cpu.host, drain_cpu.wall),
            drain_cpu.wall.as_secs_f64(),
            thousands(self.run.drained_a),
            drain_cpu.host.as_secs_f64() * 1e6 / self.run.drained_a.max(1) as f64,
        );
        let total_host_cpu: Duration = self.run.cpu.iter().map(|stage| stage.host).sum();
        let total_deliveries = self.run.snapshot.rows.len().max(1) as f64;
        let _ = writeln!(
            out,
            "  host CPU          {:.1} µs per webhook over the whole run (ingest + delivery), {} webhooks stored",
            total_host_cpu.as_secs_f64() * 1e6 / total_deliveries,
            thousands(self.run.snapshot.webhooks),
        );
        let counts = |counts: &[(String, u64)]| {
            counts
                .iter()
                .map(|(name, count)| format!("{name} {}", thousands(*count)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let database_cpu = self.run.cpu.iter().filter_map(|stage| stage.database);
        if let Some(db) = database_cpu.reduce(|total, stage| DatabaseCpu {
            backends: total.backends + stage.backends,
            server: total.server + stage.server,
        }) {
            let _ = writeln!(
                out,
                "  database CPU      {:.1} µs per webhook over the whole run, the bench database's backends \
                 ({:.1} µs the whole server: its WAL writer, checkpointer, background writer and \
                 whatever else uses it)",
                db.backends.as_secs_f64() * 1e6 / total_deliveries,
                db.server.as_secs_f64() * 1e6 / total_deliveries,
            );
        }
        let _ = writeln!(
            out,
            "  attempts          {}; deliveries: {}",
            counts(&self.run.snapshot.outcomes),
            counts(&self.run.snapshot.statuses)
        );
        let losses = &self.run.losses;
        let _ = writeln!(
            out,
            "  nothing lost?     {} acknowledged over the run (warm-up, A, B): {} stored with their events, \
             {} lost; {} with every delivery done, {} not",
            thousands(losses.acknowledged),
            thousands(losses.stored),
            thousands(losses.lost()),
            thousands(losses.delivered),
            thousands(losses.undelivered()),
        );

        let _ = writeln!(
            out,
            "\nMemory of {} (VmRSS sampled every 100 ms)",
            if hosts == 1 {
                "the host"
            } else {
                "a host, the largest"
            }
        );
        let peaks: Vec<String> = STAGES
            .iter()
            .zip(&self.run.rss_peaks)
            .map(|(stage, peak)| format!("{stage} {:.1}", mib(*peak)))
            .collect();
        let _ = writeln!(out, "  peak per stage    {} MiB", peaks.join(", "));
        let _ = writeln!(out, "  VmHWM at the end  {:.1} MiB", mib(self.run.peak_rss));

        match &self.sandbox {
            None if self.run.configuration != Configuration::Sqlite => {}
            None => {
                let _ = writeln!(out, "\nSandbox vs native: skipped (--no-criterion)");
            }
            Some(Err(err)) => {
                let _ = writeln!(out, "\nSandbox vs native: not measured: {err}");
            }
            Some(Ok(estimates)) => {
                let _ = writeln!(
                    out,
                    "\nSandbox vs native per event (criterion --quick, crates/plugin-runtime/benches/invoke.rs, event-log on a ~1.5 KB event)"
                );
                for estimate in estimates {
                    let _ = writeln!(
                        out,
                        "  {:<17} {:>10}   (95% CI {} – {})",
                        estimate.name,
                        ns(estimate.mean_ns),
                        ns(estimate.interval_ns.0),
                        ns(estimate.interval_ns.1),
                    );
                }
                let find =
                    |name: &str| estimates.iter().find(|e| e.name == name).map(|e| e.mean_ns);
                if let (Some(sandboxed), Some(native)) =
                    (find("sandboxed_event"), find("native_event"))
                {
                    let _ = writeln!(
                        out,
                        "  → sandboxed / native {:.1}×; the sandbox adds {} per event; one core runs at most {}/s sandboxed, {}/s native",
                        sandboxed / native,
                        ns(sandboxed - native),
                        thousands((1e9 / sandboxed).round() as u64),
                        thousands((1e9 / native).round() as u64),
                    );
                }
            }
        }

        for stop in &self.run.stopped {
            let _ = writeln!(
                out,
                "{}Host stop: SIGTERM → {} after {:.1} s",
                if std::ptr::eq(stop, &self.run.stopped[0]) {
                    "\n"
                } else {
                    ""
                },
                match (stop.killed, stop.code) {
                    (true, _) => "still running, killed (SIGKILL)".to_owned(),
                    (false, Some(code)) => format!("exit code {code}"),
                    (false, None) => "ended by a signal".to_owned(),
                },
                stop.took.as_secs_f64()
            );
        }
        for folder in &self.run.folders {
            let _ = writeln!(
                out,
                "Kept: {} (host.log{})",
                folder.display(),
                if self.run.configuration == Configuration::Sqlite {
                    ", data/smartreach-hooks.db"
                } else {
                    "; the database is dropped"
                }
            );
        }

        let _ = writeln!(out, "\nTargets");
        for (target, measured, _, verdict) in self.targets() {
            let _ = writeln!(out, "  {target:<34} {measured:<52} {}", verdict.word());
        }
        out
    }

    /// The report for scripts.
    pub fn json(&self) -> Value {
        let load = |result: &PhaseResult| {
            let lat = &result.latencies_us;
            json!({
                "sent": result.sent,
                "acknowledged": result.acknowledged,
                "acknowledged_per_s": result.ack_rate(),
                "duplicates": result.duplicates,
                "errors": result.errors(),
                "failed": result.failed,
                "refused": result.refused.iter().map(|(code, count)| json!({"status": code, "count": count})).collect::<Vec<_>>(),
                "late_sends": result.late_sends,
                "unsent": result.unsent,
                "elapsed_s": result.elapsed.as_secs_f64(),
                "latency_us": {
                    "p50": percentile(lat, 50.0),
                    "p90": percentile(lat, 90.0),
                    "p99": percentile(lat, 99.0),
                    "p999": percentile(lat, 99.9),
                    "max": lat.last().copied().unwrap_or(0),
                },
            })
        };
        let delivery = |delivery: &PhaseDelivery, drain: &Drain| {
            json!({
                "deliveries": delivery.deliveries,
                "ran": delivery.ran,
                "window_s": delivery.window_ms as f64 / 1000.0,
                "per_s": delivery.rate(),
                "peak_backlog": delivery.peak_backlog,
                "delay_ms": {
                    "p50": delivery.delay(50.0),
                    "p99": delivery.delay(99.0),
                    "max": delivery.delays_ms.last().copied().unwrap_or(0),
                },
                "drain_s": drain.waited.as_secs_f64(),
                "left_open": drain.left,
            })
        };
        let stages: Vec<Value> = STAGES
            .iter()
            .zip(&self.run.cpu)
            .zip(&self.run.rss_peaks)
            .map(|((name, cpu), rss)| {
                json!({
                    "stage": name,
                    "wall_s": cpu.wall.as_secs_f64(),
                    "host_cpu_s": cpu.host.as_secs_f64(),
                    "generator_cpu_s": cpu.generator.as_secs_f64(),
                    "database_backends_cpu_s": cpu.database.map(|db| db.backends.as_secs_f64()),
                    "database_server_cpu_s": cpu.database.map(|db| db.server.as_secs_f64()),
                    "peak_rss_bytes": rss,
                })
            })
            .collect();
        let sandbox = match &self.sandbox {
            None => Value::Null,
            Some(Err(err)) => json!({ "error": err }),
            Some(Ok(estimates)) => Value::Array(
                estimates
                    .iter()
                    .map(|e| {
                        json!({
                            "name": e.name,
                            "mean_ns": e.mean_ns,
                            "ci95_ns": [e.interval_ns.0, e.interval_ns.1],
                        })
                    })
                    .collect(),
            ),
        };
        let losses = &self.run.losses;
        json!({
            "configuration": self.run.configuration.label(),
            "hosts": self.run.configuration.hosts(),
            "store": self.run.store,
            "options": {
                "duration_s": self.options.duration.as_secs_f64(),
                "connections": self.options.connections,
                "rate": self.options.rate,
            },
            "body_bytes": self.run.body_bytes,
            "throughput": load(&self.run.throughput),
            "latency": load(&self.run.latency),
            "delivery": {
                "phase_a": delivery(&self.run.delivery_a, &self.run.drains[1]),
                "phase_b": delivery(&self.run.delivery_b, &self.run.drains[2]),
                "warmup_drain_s": self.run.drains[0].waited.as_secs_f64(),
                "warmup_left_open": self.run.drains[0].left,
                "webhooks_stored": self.run.snapshot.webhooks,
            },
            "losses": {
                "acknowledged": losses.acknowledged,
                "stored": losses.stored,
                "lost": losses.lost(),
                "delivered": losses.delivered,
                "undelivered": losses.undelivered(),
            },
            "stages": stages,
            "vm_hwm_bytes": self.run.peak_rss,
            "sandbox": sandbox,
            "hosts_stopped": self.run.stopped.iter().map(|stop| json!({
                "exit_code": stop.code,
                "killed_after_sigterm": stop.killed,
                "took_s": stop.took.as_secs_f64(),
            })).collect::<Vec<_>>(),
            "targets": self.targets().iter().zip([TARGET_ACK_RATE, TARGET_P99_MS, TARGET_DELIVERY_RATE, TARGET_RSS_MIB]).map(|((target, _, measured, verdict), goal)| json!({
                "target": target,
                "goal": goal,
                "measured": measured,
                "verdict": verdict.word(),
            })).collect::<Vec<_>>(),
        })
    }
}
