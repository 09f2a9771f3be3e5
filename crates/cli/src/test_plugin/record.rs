//! What a snapshot holds: per event of a case, the outcome, the log lines and each request (method,
//! URL, headers, body as JSON when it is JSON, and the status the fake upstream answered), with the
//! manifest's secrets masked. No durations or other measurements: the same plugin on the same
//! events gives the same text.

use std::collections::VecDeque;

use smartreach_plugin_runtime::{
    Invocation, LogLine, OutboundDecision, OutboundRequest, Outcome, PluginEvent,
};

use super::secrets::Secrets;
use super::upstream::Exchange;
use super::yaml::Node;

/// The snapshot text of one case: a list with one entry per event.
pub fn document(runs: &[Node]) -> String {
    Node::Seq(runs.to_vec()).to_yaml()
}

/// One event's entry: its id, outcome, log lines and requests.
pub fn run(
    event: &PluginEvent,
    invocation: &Invocation,
    exchanges: Vec<Exchange>,
    secrets: &Secrets,
) -> Node {
    let logs = invocation
        .logs
        .iter()
        .map(|line| Node::text(secrets.mask(&log_line(line))))
        .collect();
    Node::map([
        ("event_id", Node::text(event.id.clone())),
        ("outcome", outcome(&invocation.outcome, secrets)),
        ("logs", Node::Seq(logs)),
        (
            "requests",
            Node::Seq(requests(&invocation.requests, exchanges, secrets)),
        ),
    ])
}

fn log_line(line: &LogLine) -> String {
    let level = serde_json::to_value(line.level).unwrap_or_default();
    let source = serde_json::to_value(line.source).unwrap_or_default();
    format!(
        "{} ({}): {}",
        level.as_str().unwrap_or("?"),
        source.as_str().unwrap_or("?"),
        line.message
    )
}

fn outcome(outcome: &Outcome, secrets: &Secrets) -> Node {
    let reason = |reason: &str| Node::text(secrets.mask(reason));
    match outcome {
        Outcome::Done => Node::text("done"),
        Outcome::Skipped { reason: why } => {
            Node::map([("kind", Node::text("skipped")), ("reason", reason(why))])
        }
        Outcome::Retry { reason: why, delay } => {
            let mut entries = vec![("kind", Node::text("retry")), ("reason", reason(why))];
            if let Some(delay) = delay {
                entries.push(("delay_ms", Node::Raw(delay.as_millis().to_string())));
            }
            Node::map(entries)
        }
        Outcome::Failed { reason: why } => {
            Node::map([("kind", Node::text("failed")), ("reason", reason(why))])
        }
        Outcome::Fault(fault) => Node::map([
            ("kind", Node::text("fault")),
            ("reason", reason(&fault.to_string())),
        ]),
    }
}

/// The runtime's record of every request, in the order the plugin made them; those the fake
/// upstream answered are shown whole, from its exchanges.
fn requests(records: &[OutboundRequest], exchanges: Vec<Exchange>, secrets: &Secrets) -> Vec<Node> {
    let mut exchanges = VecDeque::from(exchanges);
    records
        .iter()
        .map(|record| {
            let url = secrets.mask_url(&record.origin, record.path.as_deref().unwrap_or(""));
            let mut entries = vec![
                ("method", Node::text(record.method.clone())),
                ("url", Node::text(url)),
            ];
            if record.decision == OutboundDecision::Faked
                && let Some(exchange) = exchanges.pop_front()
            {
                let request = exchange.request;
                let headers = request
                    .headers
                    .iter()
                    .map(|(name, value)| (name.clone(), Node::text(secrets.mask(value))))
                    .collect();
                entries.push(("headers", Node::Map(headers)));
                if let Some(body) = body(&request.body, secrets) {
                    entries.push(("body", body));
                }
                entries.push(("response", Node::Raw(exchange.status.to_string())));
            } else {
                entries.push(("decision", Node::text(decision_text(record.decision))));
                if let Some(reason) = &record.reason {
                    entries.push(("reason", Node::text(secrets.mask(reason))));
                }
            }
            Node::map(entries)
        })
        .collect()
}

/// The body as JSON when it is JSON, else as text, else its size; `None` when empty.
fn body(bytes: &[u8], secrets: &Secrets) -> Option<Node> {
    if bytes.is_empty() {
        return None;
    }
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) {
        return Some(mask_json(Node::from_json(&json), secrets));
    }
    Some(match std::str::from_utf8(bytes) {
        Ok(text) => Node::text(secrets.mask(text)),
        Err(_) => Node::text(format!("<{} bytes, not UTF-8>", bytes.len())),
    })
}

fn mask_json(node: Node, secrets: &Secrets) -> Node {
    match node {
        Node::Text(text) => Node::Text(secrets.mask(&text)),
        Node::Seq(items) => Node::Seq(items.into_iter().map(|n| mask_json(n, secrets)).collect()),
        Node::Map(entries) => Node::Map(
            entries
                .into_iter()
                .map(|(key, value)| (key, mask_json(value, secrets)))
                .collect(),
        ),
        other => other,
    }
}

fn decision_text(decision: OutboundDecision) -> &'static str {
    match decision {
        OutboundDecision::Denied => "denied: the host is not in allowed_outbound_hosts",
        OutboundDecision::OverLimit => "refused: over the requests-per-event limit",
        OutboundDecision::AddressDenied => "denied: the address is not allowed",
        OutboundDecision::Failed => "failed: no response",
        OutboundDecision::Faked => "answered by the fake upstream (body not recorded)",
        OutboundDecision::Sent | OutboundDecision::NotSent => "not sent",
    }
}
