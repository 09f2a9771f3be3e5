//! What `check-plugin` found, as text for people and as JSON for scripts.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;
use smartreach_http::LimitsView;
use smartreach_plugin_runtime::{
    ConfigKey, Fault, Invocation, LogLine, OutboundDecision, OutboundRequest, Outcome, Plugin,
    PluginEvent, Subscriptions,
};

use super::History;
use crate::client::time::{format_duration_us, format_time};
use crate::client::view::wire_name;

/// A loaded plugin and, with `--event`, its runs.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The plugin's name (its file name without `.wasm`).
    pub name: String,
    /// The `.wasm` file.
    pub file: PathBuf,
    /// The manifest read beside it, if any.
    pub manifest: Option<PathBuf>,
    /// SHA-256 of the `.wasm`, hex.
    pub content_hash: String,
    /// `smartreach:plugin@X` the plugin was built for (the host's: it loaded).
    pub contract: String,
    /// Its one-line description.
    pub description: String,
    /// `["*"]`, or the event types it runs on (the manifest's `events`, else its declaration).
    pub subscriptions: Vec<String>,
    /// The event types it declares (the manifest may override them).
    pub declared_event_types: Vec<String>,
    /// The configuration keys it declares.
    pub config_keys: Vec<ConfigKey>,
    /// The keys that have a value (declared defaults and the manifest's `[config]`); values are
    /// not shown, as some are secrets.
    pub config_set: Vec<String>,
    /// Its effective limits, in the units of the manifest's `[limits]` and of the admin API.
    pub limits: LimitsView,
    /// The hosts it may call.
    pub allowed_outbound_hosts: Vec<String>,
    /// Mistakes that do not stop it from loading.
    pub warnings: Vec<String>,
    /// With `--event-id`: what the host did with the event and this plugin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<History>,
    /// One run per data item of `--event` (one with `--event-id`); `None` without either.
    pub runs: Option<Vec<Run>>,
}

/// One run of the plugin on one data item.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The event id handed to the plugin (`check:{index}`).
    pub event_id: String,
    /// Its event type.
    pub event_type: String,
    /// What came of it.
    pub outcome: Outcome,
    /// Wall-clock time, instantiation included, in microseconds.
    pub duration_us: u128,
    /// What it logged.
    pub logs: Vec<LogLine>,
    /// The HTTP requests it tried: `not_sent` (allowed, recorded), `denied` or `over_limit`.
    pub requests: Vec<OutboundRequest>,
}

impl Report {
    /// What `plugin` declares and may do; no runs yet.
    pub fn of(plugin: &Plugin, manifest: Option<PathBuf>, contract_version: &str) -> Self {
        let limits = plugin.limits();
        Self {
            name: plugin.name().to_owned(),
            file: plugin.path().to_owned(),
            manifest,
            content_hash: plugin.content_hash().to_owned(),
            contract: format!("smartreach:plugin@{contract_version}"),
            description: plugin.declaration().description.clone(),
            subscriptions: match plugin.subscriptions() {
                Subscriptions::All => vec!["*".to_owned()],
                Subscriptions::Only(names) => names.clone(),
            },
            declared_event_types: plugin.declaration().event_types.clone(),
            config_keys: plugin.declaration().config.clone(),
            config_set: plugin
                .config_keys()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            limits: LimitsView::of(limits),
            allowed_outbound_hosts: plugin.allowed_outbound_hosts(),
            warnings: Vec::new(),
            history: None,
            runs: None,
        }
    }

    /// Whether every run ended well: done, skipped, or retry (with requests not sent, a plugin
    /// asking to be retried is often doing the right thing). A failure or a fault is not.
    pub fn ok(&self) -> bool {
        self.runs.iter().flatten().all(|run| {
            matches!(
                run.outcome,
                Outcome::Done | Outcome::Skipped { .. } | Outcome::Retry { .. }
            )
        })
    }

    /// The report for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, label: &str, value: &str| {
            let _ = writeln!(out, "{label:<12} {value}");
        };
        line(&mut out, "plugin", &self.name);
        line(&mut out, "file", &self.file.display().to_string());
        let manifest = self.manifest.as_ref().map_or_else(
            || "none (the host's defaults apply)".to_owned(),
            |path| path.display().to_string(),
        );
        line(&mut out, "manifest", &manifest);
        line(&mut out, "hash", &self.content_hash);
        line(&mut out, "contract", &self.contract);
        line(&mut out, "description", or_none(&self.description));
        let events = if self.subscriptions == ["*"] {
            "* (every event type, undocumented ones included)".to_owned()
        } else if self.subscriptions.is_empty() {
            "none".to_owned()
        } else {
            self.subscriptions.join(", ")
        };
        line(&mut out, "events", &events);
        if self.config_keys.is_empty() {
            line(&mut out, "config", "no keys declared");
        } else {
            out.push_str("config\n");
            for key in &self.config_keys {
                let state = if self.config_set.contains(&key.name) {
                    "set"
                } else if key.required {
                    "required, not set"
                } else {
                    "not set"
                };
                let default = key
                    .default
                    .as_ref()
                    .map(|default| format!(", default {default:?}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {} ({state}{default}): {}",
                    key.name,
                    or_none(&key.description)
                );
            }
        }
        let limits = &self.limits;
        line(
            &mut out,
            "limits",
            &(format!(
                "timeout {} ms, memory {} MiB, HTTP timeout {} ms, response at most {} bytes, \
                 {} at once",
                limits.timeout_ms,
                limits.memory_mib,
                limits.http_timeout_ms,
                limits.max_response_bytes,
                limits.max_concurrency
            ) + &match &limits.rate {
                Some(rate) => format!(
                    ", at most {} per {} (bursts of {})",
                    rate.count, rate.per, rate.burst
                ),
                None => String::new(),
            }),
        );
        let hosts = if self.allowed_outbound_hosts.is_empty() {
            "none (no outbound HTTP)".to_owned()
        } else {
            self.allowed_outbound_hosts.join(", ")
        };
        line(&mut out, "outbound", &hosts);
        for warning in &self.warnings {
            let _ = writeln!(out, "warning: {warning}");
        }
        if let Some(history) = &self.history {
            render_history(&mut out, &self.name, history);
        }
        if let Some(runs) = &self.runs {
            if runs.is_empty() {
                out.push_str("\nthe event has no data items: nothing ran\n");
            }
            for (index, run) in runs.iter().enumerate() {
                render_run(&mut out, index, runs.len(), run);
            }
        }
        out
    }
}

impl Run {
    /// The record of `invocation` on `event`.
    pub fn of(event: &PluginEvent, invocation: Invocation) -> Self {
        Self {
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            outcome: invocation.outcome,
            duration_us: invocation.duration.as_micros(),
            logs: invocation.logs,
            requests: invocation.requests,
        }
    }
}

fn or_none(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}

/// The plugin's deliveries of a stored event, each with its attempts.
fn render_history(out: &mut String, plugin: &str, history: &History) {
    let _ = writeln!(
        out,
        "\nevent {} ({}) on {}",
        history.event_id, history.event_type, history.url
    );
    if history.deliveries.is_empty() {
        let _ = writeln!(
            out,
            "  no delivery to {plugin}: it was not subscribed to this type when the event arrived"
        );
    }
    for delivery in &history.deliveries {
        let summary = &delivery.summary;
        let _ = writeln!(
            out,
            "  delivery {} to {plugin} ({}): {}, {} attempt{}",
            summary.id,
            summary.origin,
            summary.status.as_str(),
            summary.attempts,
            if summary.attempts == 1 { "" } else { "s" },
        );
        for run in &delivery.runs {
            let detail = run
                .detail
                .as_deref()
                .map(|detail| format!(": {detail}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    attempt {}  {}  {}{detail}",
                run.attempt,
                format_time(run.started_at),
                run.outcome
            );
        }
    }
}

fn render_run(out: &mut String, index: usize, total: usize, run: &Run) {
    let _ = writeln!(
        out,
        "\nrun {} of {total}: event {} ({})",
        index + 1,
        run.event_id,
        run.event_type
    );
    // A trap's message carries a wasm backtrace over many lines: keep them under the outcome.
    for (index, line) in outcome_text(&run.outcome).lines().enumerate() {
        let label = if index == 0 { "outcome" } else { "" };
        let _ = writeln!(out, "{}", format!("  {label:<9} {line}").trim_end());
    }
    let duration = i64::try_from(run.duration_us).unwrap_or(i64::MAX);
    let _ = writeln!(out, "  duration  {}", format_duration_us(duration));
    for log in &run.logs {
        let level = wire_name(&log.level);
        let source = wire_name(&log.source);
        let _ = writeln!(out, "  log       {level:<5} {source:<6} {}", log.message);
    }
    for request in &run.requests {
        let target = format!(
            "{}{}",
            request.origin,
            request.path.as_deref().unwrap_or_default()
        );
        let decision = match request.decision {
            OutboundDecision::NotSent => "not sent (allowed; check-plugin sends nothing)",
            OutboundDecision::Denied => "denied (host not in allowed_outbound_hosts)",
            OutboundDecision::AddressDenied => "denied (address not allowed)",
            OutboundDecision::OverLimit => "refused (over the requests-per-event limit)",
            OutboundDecision::Sent => "sent",
            // Never in check-plugin, which sends nothing; named for completeness.
            OutboundDecision::Failed => "failed (no response)",
            OutboundDecision::Faked => "answered by a fake upstream",
        };
        let _ = writeln!(out, "  http      {} {target}  {decision}", request.method);
    }
}

fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Done => "done".to_owned(),
        Outcome::Skipped { reason } => format!("skipped: {reason}"),
        Outcome::Retry { reason, delay } => match delay {
            Some(delay) => format!("retry in {} ms: {reason}", delay.as_millis()),
            None => format!("retry: {reason}"),
        },
        Outcome::Failed { reason } => format!("failed: {reason}"),
        Outcome::Fault(fault @ Fault::Trap { .. }) => {
            format!(
                "fault: {}\n(a Rust panic's message is in the stderr log lines)",
                fault.to_string().trim_end()
            )
        }
        Outcome::Fault(fault) => format!("fault: {fault}"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn outcomes_read_as_sentences() {
        assert_eq!(outcome_text(&Outcome::Done), "done");
        assert_eq!(
            outcome_text(&Outcome::Retry {
                reason: "slack down".into(),
                delay: Some(Duration::from_millis(1500))
            }),
            "retry in 1500 ms: slack down"
        );
        assert_eq!(
            outcome_text(&Outcome::Fault(Fault::Timeout {
                limit: Duration::from_secs(1)
            })),
            "fault: stopped after its deadline of 1000 ms (limits.timeout_ms)"
        );
    }

    #[test]
    fn a_run_shows_logs_and_the_full_url_of_requests() {
        let run = Run {
            event_id: "check:0".into(),
            event_type: "activity.email.replied".into(),
            outcome: Outcome::Failed {
                reason: "no".into(),
            },
            duration_us: 1_500,
            logs: vec![LogLine {
                level: smartreach_plugin_runtime::LogLevel::Info,
                source: smartreach_plugin_runtime::LogSource::Host,
                message: "hello".into(),
            }],
            requests: vec![OutboundRequest {
                method: "POST".into(),
                origin: "https://hooks.slack.com".into(),
                path: Some("/services/T/B/X".into()),
                decision: OutboundDecision::NotSent,
                reason: None,
            }],
        };
        let mut out = String::new();
        render_run(&mut out, 0, 1, &run);
        for needle in [
            "run 1 of 1: event check:0 (activity.email.replied)",
            "outcome   failed: no",
            "duration  1.5 ms",
            "log       info  host   hello",
            "http      POST https://hooks.slack.com/services/T/B/X  not sent",
        ] {
            assert!(out.contains(needle), "{needle:?} in\n{out}");
        }
    }
}
