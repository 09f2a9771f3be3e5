//! The configurations side by side (`--store postgres`): one table, a column per configuration,
//! then PostgreSQL's targets (issue 10: with one host, at least 5,000 acknowledged webhooks/s and
//! 5,000 deliveries/s, nothing lost). A missed target is reported, not failed.

use std::fmt::Write;
use std::time::Duration;

use serde_json::{Value, json};

use super::configuration::{Configuration, Measured};
use super::load::percentile;
use super::report::{Report, ms, per_webhook, thousands};

/// PostgreSQL, one host: acknowledged webhooks per second in the closed loop, at least.
const TARGET_ACK_RATE: f64 = 5_000.0;
/// PostgreSQL, one host: deliveries per second in the closed loop, at least.
const TARGET_DELIVERY_RATE: f64 = 5_000.0;

/// One row of the table: its name and its cell for a configuration.
type Row = (&'static str, fn(&Measured) -> String);

/// Host CPU of stages `stages` per webhook acknowledged in the phase.
fn host_cpu(run: &Measured, stages: &[usize], acknowledged: u64) -> String {
    let cpu: Duration = stages.iter().map(|&stage| run.cpu[stage].host).sum();
    per_webhook(cpu, acknowledged)
}

/// Database CPU (the bench database's backends, or the whole server) of `stages` per webhook.
fn database_cpu(run: &Measured, stages: &[usize], acknowledged: u64, server: bool) -> String {
    let mut cpu = Duration::ZERO;
    for &stage in stages {
        match run.cpu[stage].database {
            Some(db) => cpu += if server { db.server } else { db.backends },
            None => return "(in the host)".to_owned(),
        }
    }
    per_webhook(cpu, acknowledged)
}

/// The rows, in order.
const ROWS: [Row; 19] = [
    ("A: acknowledged/s (closed loop)", |run| {
        format!("{}/s", thousands(run.throughput.ack_rate().round() as u64))
    }),
    ("A: p99 latency", |run| {
        ms(percentile(&run.throughput.latencies_us, 99.0))
    }),
    ("A: errors", |run| thousands(run.throughput.errors())),
    ("A: deliveries/s while ingesting", |run| {
        format!("{}/s", thousands(run.delivery_a.rate().round() as u64))
    }),
    ("A: deliveries/s draining after", |run| {
        let wall = run.cpu[3].wall.as_secs_f64().max(1e-9);
        format!(
            "{}/s",
            thousands((run.drained_a as f64 / wall).round() as u64)
        )
    }),
    ("A: receipt → delivery p99", |run| {
        format!("{} ms", run.delivery_a.delay(99.0))
    }),
    ("A: host CPU/webhook, phase", |run| {
        host_cpu(run, &[2], run.throughput.acknowledged)
    }),
    ("A: host CPU/webhook, + drain", |run| {
        host_cpu(run, &[2, 3], run.throughput.acknowledged)
    }),
    ("A: database CPU/webhook, + drain", |run| {
        database_cpu(run, &[2, 3], run.throughput.acknowledged, false)
    }),
    ("A: whole server CPU/webhook, + drain", |run| {
        database_cpu(run, &[2, 3], run.throughput.acknowledged, true)
    }),
    ("B: acknowledged/s (open loop)", |run| {
        format!("{}/s", thousands(run.latency.ack_rate().round() as u64))
    }),
    ("B: p99 latency", |run| {
        ms(percentile(&run.latency.latencies_us, 99.0))
    }),
    ("B: errors", |run| thousands(run.latency.errors())),
    ("B: deliveries/s", |run| {
        format!("{}/s", thousands(run.delivery_b.rate().round() as u64))
    }),
    ("B: host CPU/webhook, + drain", |run| {
        host_cpu(run, &[4, 5], run.latency.acknowledged)
    }),
    ("B: database CPU/webhook, + drain", |run| {
        database_cpu(run, &[4, 5], run.latency.acknowledged, false)
    }),
    ("peak RSS of a host", |run| {
        let peak = run.rss_peaks.iter().copied().max().unwrap_or(0);
        format!(
            "{:.1} MiB",
            peak.max(run.peak_rss) as f64 / (1024.0 * 1024.0)
        )
    }),
    ("acknowledged / stored / lost", |run| {
        let losses = &run.losses;
        format!(
            "{} / {} / {}",
            thousands(losses.acknowledged),
            thousands(losses.stored),
            thousands(losses.lost())
        )
    }),
    ("stored, not all delivered", |run| {
        thousands(run.losses.undelivered())
    }),
];

/// The table and the targets, as text.
pub fn text(reports: &[Report]) -> String {
    let mut out = String::new();
    let rate = reports.first().map_or(0.0, |report| report.options.rate);
    let connections = reports
        .first()
        .map_or(0, |report| report.options.connections);
    let _ = writeln!(
        out,
        "\n=== Side by side (A: closed loop, {connections} connections; B: open loop, {}/s offered; \
         CPU/webhook: per webhook acknowledged in the phase; database: the bench database's \
         backends) ===",
        thousands(rate.round() as u64)
    );
    let name_width = ROWS
        .iter()
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or(0);
    let cells: Vec<Vec<String>> = reports
        .iter()
        .map(|report| ROWS.iter().map(|(_, cell)| cell(&report.run)).collect())
        .collect();
    let widths: Vec<usize> = reports
        .iter()
        .zip(&cells)
        .map(|(report, column)| {
            column
                .iter()
                .map(|cell| cell.chars().count())
                .chain([report.run.configuration.label().chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let _ = write!(out, "{:<name_width$}", "");
    for (report, width) in reports.iter().zip(&widths) {
        let _ = write!(out, "  {:>width$}", report.run.configuration.label());
    }
    out.push('\n');
    for (index, (name, _)) in ROWS.iter().enumerate() {
        let _ = write!(out, "{name:<name_width$}");
        for (column, width) in cells.iter().zip(&widths) {
            let _ = write!(out, "  {:>width$}", column[index]);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\nPostgreSQL targets (issue 10)");
    for (target, measured, met) in targets(reports) {
        let _ = writeln!(
            out,
            "  {target:<44} {measured:<40} {}",
            if met { "met" } else { "NOT MET" }
        );
    }
    out
}

/// Each target of PostgreSQL: what it says, what was measured, whether it is met.
fn targets(reports: &[Report]) -> Vec<(String, String, bool)> {
    let mut targets = Vec::new();
    if let Some(one) = reports
        .iter()
        .find(|report| report.run.configuration == Configuration::Postgres { hosts: 1 })
    {
        let acks = one.run.throughput.ack_rate();
        targets.push((
            "≥ 5,000 acknowledged webhooks/s, 1 host".to_owned(),
            format!("{}/s (phase A)", thousands(acks.round() as u64)),
            acks >= TARGET_ACK_RATE,
        ));
        let deliveries = one.run.delivery_a.rate();
        targets.push((
            "≥ 5,000 deliveries/s, 1 host".to_owned(),
            format!("{}/s (phase A)", thousands(deliveries.round() as u64)),
            deliveries >= TARGET_DELIVERY_RATE,
        ));
    }
    for report in reports {
        if report.run.configuration == Configuration::Sqlite {
            continue;
        }
        let losses = &report.run.losses;
        targets.push((
            format!("nothing lost, {}", report.run.configuration.label()),
            format!(
                "{} lost of {} acknowledged, {} undelivered",
                thousands(losses.lost()),
                thousands(losses.acknowledged),
                thousands(losses.undelivered())
            ),
            losses.lost() == 0 && losses.undelivered() == 0,
        ));
    }
    targets
}

/// The table and the targets, for scripts.
pub fn json(reports: &[Report]) -> Value {
    json!({
        "configurations": reports.iter().map(Report::json).collect::<Vec<_>>(),
        "postgres_targets": targets(reports).into_iter().map(|(target, measured, met)| json!({
            "target": target,
            "measured": measured,
            "verdict": if met { "met" } else { "NOT MET" },
        })).collect::<Vec<_>>(),
    })
}
