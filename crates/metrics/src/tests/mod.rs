//! The exposition read back by a strict parser of the text format, as a scraper would read it: the
//! parser and the helpers here, the tests by topic in the submodules.

mod counters;
mod format;
mod gauges;
mod histograms;
mod threads;

use std::time::Duration;

use super::*;

/// Every family, sorted by name, with its type.
const FAMILIES: [(&str, &str); 13] = [
    ("smartreach_hooks_breaker_changes_total", "counter"),
    ("smartreach_hooks_dead_letters", "gauge"),
    ("smartreach_hooks_deliveries_running", "gauge"),
    ("smartreach_hooks_deliveries_total", "counter"),
    ("smartreach_hooks_deliveries_waiting", "gauge"),
    ("smartreach_hooks_ingest_duration_seconds", "histogram"),
    ("smartreach_hooks_ingest_rejected_total", "counter"),
    ("smartreach_hooks_oldest_pending_age_seconds", "gauge"),
    ("smartreach_hooks_plugin_duration_seconds", "histogram"),
    ("smartreach_hooks_plugins_loaded", "gauge"),
    ("smartreach_hooks_queue_depth", "gauge"),
    ("smartreach_hooks_webhooks_duplicate_total", "counter"),
    ("smartreach_hooks_webhooks_received_total", "counter"),
];

/// A scrape, parsed.
#[derive(Debug)]
struct Scrape {
    families: Vec<ParsedFamily>,
}

#[derive(Debug)]
struct ParsedFamily {
    name: String,
    help: String,
    kind: String,
    samples: Vec<Sample>,
}

#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

impl Sample {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(label, _)| label == name)
            .map(|(_, value)| value.as_str())
    }

    /// The labels other than `le`: which series of its family the sample belongs to.
    fn series(&self) -> Vec<(String, String)> {
        self.labels
            .iter()
            .filter(|(label, _)| label != "le")
            .cloned()
            .collect()
    }
}

/// Parses `text`, panicking on anything the format 0.0.4 does not allow or this module never
/// writes: a sample outside its family's `# HELP`/`# TYPE` block, an unknown escape, a missing
/// final newline.
fn parse(text: &str) -> Scrape {
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    let mut families: Vec<ParsedFamily> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP has a name and a text");
            let type_line = lines.next().expect("TYPE follows HELP");
            let (type_name, kind) = type_line
                .strip_prefix("# TYPE ")
                .and_then(|rest| rest.split_once(' '))
                .unwrap_or_else(|| panic!("expected TYPE after HELP of {name}, got {type_line:?}"));
            assert_eq!(
                type_name, name,
                "TYPE names the family of the HELP before it"
            );
            assert!(
                ["counter", "gauge", "histogram"].contains(&kind),
                "type {kind}"
            );
            families.push(ParsedFamily {
                name: name.to_owned(),
                help: unescape(help, false),
                kind: kind.to_owned(),
                samples: Vec::new(),
            });
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment {line:?}");
        let sample = parse_sample(line);
        let family = families
            .last_mut()
            .unwrap_or_else(|| panic!("sample before any family: {line:?}"));
        let allowed = if family.kind == "histogram" {
            ["_bucket", "_sum", "_count"]
                .iter()
                .any(|suffix| sample.name == format!("{}{suffix}", family.name))
        } else {
            sample.name == family.name
        };
        assert!(allowed, "{line:?} is not in family {}", family.name);
        family.samples.push(sample);
    }
    Scrape { families }
}

fn parse_sample(line: &str) -> Sample {
    let name_end = line
        .find(|char: char| !(char.is_ascii_alphanumeric() || char == '_' || char == ':'))
        .unwrap_or_else(|| panic!("no value in {line:?}"));
    let name = line[..name_end].to_owned();
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(after) = rest.strip_prefix('{') {
        rest = after;
        loop {
            let (label, after) = rest.split_once("=\"").expect("label=\"value\"");
            assert!(
                !label.is_empty()
                    && label
                        .chars()
                        .all(|char| char.is_ascii_alphanumeric() || char == '_'),
                "label name {label:?}"
            );
            let mut end = None;
            let mut escaped = false;
            for (index, char) in after.char_indices() {
                match (escaped, char) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        end = Some(index);
                        break;
                    }
                    (false, _) => {}
                }
            }
            let end = end.expect("closing quote");
            labels.push((label.to_owned(), unescape(&after[..end], true)));
            rest = &after[end + 1..];
            if let Some(after) = rest.strip_prefix(',') {
                rest = after;
            } else {
                rest = rest.strip_prefix('}').expect("`,` or `}` after a label");
                break;
            }
        }
    }
    let value = rest.strip_prefix(' ').expect("one space before the value");
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other
            .parse()
            .unwrap_or_else(|_| panic!("value {other:?} in {line:?}")),
    };
    Sample {
        name,
        labels,
        value,
    }
}

/// Undoes the escaping of a label value (`\\`, `\"`, `\n`) or a help text (`\\`, `\n`).
fn unescape(text: &str, label_value: bool) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(char) = chars.next() {
        if char != '\\' {
            assert!(char != '\n', "raw newline in {text:?}");
            assert!(!(label_value && char == '"'), "raw quote in {text:?}");
            out.push(char);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if label_value => out.push('"'),
            other => panic!("bad escape \\{other:?} in {text:?}"),
        }
    }
    out
}

impl Scrape {
    fn family(&self, name: &str) -> &ParsedFamily {
        self.families
            .iter()
            .find(|family| family.name == name)
            .unwrap_or_else(|| panic!("no family {name}"))
    }

    /// The value of the sample `name` with exactly `labels`, if there is one.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut wanted: Vec<(String, String)> = labels
            .iter()
            .map(|(label, value)| ((*label).to_owned(), (*value).to_owned()))
            .collect();
        wanted.sort();
        let found: Vec<f64> = self
            .families
            .iter()
            .flat_map(|family| &family.samples)
            .filter(|sample| {
                let mut have = sample.labels.clone();
                have.sort();
                sample.name == name && have == wanted
            })
            .map(|sample| sample.value)
            .collect();
        assert!(
            found.len() <= 1,
            "{name} {labels:?} appears {} times",
            found.len()
        );
        found.first().copied()
    }

    /// The buckets (bound, cumulative count) of one histogram series, in output order.
    fn buckets(&self, family: &str, labels: &[(&str, &str)]) -> Vec<(f64, f64)> {
        let bucket = format!("{family}_bucket");
        self.family(family)
            .samples
            .iter()
            .filter(|sample| sample.name == bucket)
            .filter(|sample| {
                labels
                    .iter()
                    .all(|(label, value)| sample.label(label) == Some(value))
                    && sample.labels.len() == labels.len() + 1
            })
            .map(|sample| {
                let le = sample.label("le").expect("le");
                let bound = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().expect("le is a number")
                };
                (bound, sample.value)
            })
            .collect()
    }
}

fn empty_queue() -> QueueSnapshot {
    QueueSnapshot::default()
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Feeds `metrics` the same calls, in an order that depends on `reversed`.
fn feed(metrics: &Metrics, reversed: bool) {
    let mut calls: Vec<fn(&Metrics)> = vec![
        (|m| m.webhook_received("zeta", "prospect.created")),
        (|m| m.webhook_received("alpha", "activity.email.opened")),
        (|m| m.webhook_received("alpha", "activity.email.bounced")),
        (|m| m.webhook_duplicate("zeta")),
        (|m| m.webhook_duplicate("alpha")),
        (|m| m.ingest_rejected("unknown-token")),
        (|m| m.ingest_rejected("body-too-large")),
        (|m| m.ingest_latency(ms(3))),
        (|m| m.delivery_finished("slack-replies", "done", ms(20))),
        (|m| m.delivery_finished("crm-sync", "retry", ms(400))),
        (|m| m.delivery_finished("crm-sync", "done", ms(30))),
    ];
    if reversed {
        calls.reverse();
    }
    for call in calls {
        call(metrics);
    }
}
