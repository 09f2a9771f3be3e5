//! The exposition read back by a strict parser of the text format, as a scraper would read it.

use std::time::Duration;

use super::*;

/// Every family, sorted by name, with its type.
const FAMILIES: [(&str, &str); 11] = [
    ("smartreach_hooks_dead_letters", "gauge"),
    ("smartreach_hooks_deliveries_running", "gauge"),
    ("smartreach_hooks_deliveries_total", "counter"),
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

#[test]
fn metrics_are_shared_across_threads() {
    fn shared<T: Send + Sync + Default + 'static>() {}
    shared::<Metrics>();
}

#[test]
fn counters_count_the_calls() {
    let metrics = Metrics::default();
    for _ in 0..3 {
        metrics.webhook_received("main", "prospect.created");
    }
    metrics.webhook_received("main", "activity.email.opened");
    metrics.webhook_received("eu", "prospect.created");
    metrics.webhook_duplicate("main");
    metrics.webhook_duplicate("main");
    metrics.ingest_rejected("invalid-signature");
    metrics.delivery_finished("crm-sync", "done", ms(5));
    metrics.delivery_finished("crm-sync", "done", ms(6));
    metrics.delivery_finished("crm-sync", "fault", ms(1000));
    metrics.delivery_finished("event-log", "skipped", ms(1));
    let scrape = parse(&metrics.render(&empty_queue()));

    let received = "smartreach_hooks_webhooks_received_total";
    let of = |source, event_type| [("source", source), ("event_type", event_type)];
    assert_eq!(
        scrape.value(received, &of("main", "prospect.created")),
        Some(3.0)
    );
    assert_eq!(
        scrape.value(received, &of("main", "activity.email.opened")),
        Some(1.0)
    );
    assert_eq!(
        scrape.value(received, &of("eu", "prospect.created")),
        Some(1.0)
    );
    assert_eq!(
        scrape.value(received, &of("eu", "activity.email.opened")),
        None
    );
    assert_eq!(scrape.family(received).samples.len(), 3);
    assert_eq!(
        scrape.value(
            "smartreach_hooks_webhooks_duplicate_total",
            &[("source", "main")]
        ),
        Some(2.0)
    );
    assert_eq!(
        scrape.value(
            "smartreach_hooks_ingest_rejected_total",
            &[("reason", "invalid-signature")]
        ),
        Some(1.0)
    );
    let deliveries = "smartreach_hooks_deliveries_total";
    let of = |plugin, outcome| [("plugin", plugin), ("outcome", outcome)];
    assert_eq!(scrape.value(deliveries, &of("crm-sync", "done")), Some(2.0));
    assert_eq!(
        scrape.value(deliveries, &of("crm-sync", "fault")),
        Some(1.0)
    );
    assert_eq!(
        scrape.value(deliveries, &of("event-log", "skipped")),
        Some(1.0)
    );
    assert_eq!(scrape.family(deliveries).samples.len(), 3);
    let plugin = "smartreach_hooks_plugin_duration_seconds";
    assert_eq!(
        scrape.value(&format!("{plugin}_count"), &[("plugin", "crm-sync")]),
        Some(3.0)
    );
    assert_eq!(
        scrape.value(&format!("{plugin}_count"), &[("plugin", "event-log")]),
        Some(1.0)
    );
}

#[test]
fn label_values_are_escaped_and_read_back() {
    let metrics = Metrics::default();
    let source = "back\\slash \"quoted\"\nnew line, {braces}=é";
    metrics.webhook_received(source, "activity.email.replied");
    let text = metrics.render(&empty_queue());
    assert!(
        text.contains(
            r#"{source="back\\slash \"quoted\"\nnew line, {braces}=é",event_type="activity.email.replied"} 1"#
        ),
        "{text}"
    );
    let scrape = parse(&text);
    assert_eq!(
        scrape.value(
            "smartreach_hooks_webhooks_received_total",
            &[("source", source), ("event_type", "activity.email.replied")]
        ),
        Some(1.0)
    );
}

#[test]
fn histograms_have_cumulative_buckets_a_sum_and_a_count() {
    let metrics = Metrics::default();
    for millis in [0, 1, 2, 700, 5000] {
        metrics.ingest_latency(ms(millis));
    }
    metrics.ingest_latency(Duration::from_micros(300));
    for micros in [50, 100, 101, 9_000_000, 10_000_000, 60_000_000] {
        metrics.delivery_finished("crm-sync", "done", Duration::from_micros(micros));
    }
    metrics.delivery_finished("event-log", "done", ms(2));
    let scrape = parse(&metrics.render(&empty_queue()));

    let ingest = "smartreach_hooks_ingest_duration_seconds";
    let buckets = scrape.buckets(ingest, &[]);
    let bounds: Vec<f64> = buckets.iter().map(|(bound, _)| *bound).collect();
    let mut expected_bounds = INGEST_BUCKETS.to_vec();
    expected_bounds.push(f64::INFINITY);
    assert_eq!(bounds, expected_bounds);
    let at = |buckets: &[(f64, f64)], bound: f64| {
        buckets
            .iter()
            .find(|(le, _)| *le == bound)
            .map(|(_, count)| *count)
    };
    // 0 and 0.3 ms, then 1 ms on its bound, 2 ms, 700 ms, and 5 s above every bound.
    assert_eq!(at(&buckets, 0.0005), Some(2.0));
    assert_eq!(at(&buckets, 0.001), Some(3.0));
    assert_eq!(at(&buckets, 0.0025), Some(4.0));
    assert_eq!(at(&buckets, 0.5), Some(4.0));
    assert_eq!(at(&buckets, 1.0), Some(5.0));
    assert_eq!(at(&buckets, f64::INFINITY), Some(6.0));
    assert_eq!(scrape.value(&format!("{ingest}_count"), &[]), Some(6.0));
    let sum = scrape.value(&format!("{ingest}_sum"), &[]).expect("sum");
    assert!((sum - 5.7033).abs() < 1e-9, "sum {sum}");

    let plugin = "smartreach_hooks_plugin_duration_seconds";
    let crm = scrape.buckets(plugin, &[("plugin", "crm-sync")]);
    assert_eq!(crm.len(), PLUGIN_BUCKETS.len() + 1);
    assert_eq!(at(&crm, 0.0001), Some(2.0));
    assert_eq!(at(&crm, 0.00025), Some(3.0));
    assert_eq!(at(&crm, 5.0), Some(3.0));
    assert_eq!(at(&crm, 10.0), Some(5.0));
    assert_eq!(at(&crm, f64::INFINITY), Some(6.0));
    let sum = scrape
        .value(&format!("{plugin}_sum"), &[("plugin", "crm-sync")])
        .expect("sum");
    assert!((sum - 79.000251).abs() < 1e-9, "sum {sum}");

    // Every series of both families: bounds ascend, counts never fall, +Inf is the count.
    for family in [ingest, plugin] {
        let count_name = format!("{family}_count");
        for count in scrape
            .family(family)
            .samples
            .iter()
            .filter(|s| s.name == count_name)
        {
            let series = count.series();
            let labels: Vec<(&str, &str)> = series
                .iter()
                .map(|(label, value)| (label.as_str(), value.as_str()))
                .collect();
            let buckets = scrape.buckets(family, &labels);
            assert!(
                buckets.windows(2).all(|pair| pair[0].0 < pair[1].0),
                "{buckets:?}"
            );
            assert!(
                buckets.windows(2).all(|pair| pair[0].1 <= pair[1].1),
                "{buckets:?}"
            );
            assert_eq!(buckets.last(), Some(&(f64::INFINITY, count.value)));
        }
    }
}

#[test]
fn gauges_come_from_the_snapshot() {
    let metrics = Metrics::default();
    let queue = QueueSnapshot {
        by_plugin: vec![
            PluginQueue {
                plugin: "slack-replies".to_owned(),
                pending: 3,
                running: 1,
                dead: 0,
            },
            PluginQueue {
                plugin: "crm-sync".to_owned(),
                pending: 120,
                running: 4,
                dead: 2,
            },
            // The same plugin twice is one series.
            PluginQueue {
                plugin: "crm-sync".to_owned(),
                pending: 1,
                running: 0,
                dead: 1,
            },
        ],
        oldest_pending_age: Some(Duration::from_millis(90_250)),
        plugins_loaded: 4,
    };
    let scrape = parse(&metrics.render(&queue));
    let crm = [("plugin", "crm-sync")];
    let slack = [("plugin", "slack-replies")];
    assert_eq!(
        scrape.value("smartreach_hooks_queue_depth", &crm),
        Some(121.0)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_queue_depth", &slack),
        Some(3.0)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_deliveries_running", &crm),
        Some(4.0)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_deliveries_running", &slack),
        Some(1.0)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_dead_letters", &crm),
        Some(3.0)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_dead_letters", &slack),
        Some(0.0)
    );
    assert_eq!(
        scrape.family("smartreach_hooks_queue_depth").samples.len(),
        2
    );
    assert_eq!(
        scrape.value("smartreach_hooks_oldest_pending_age_seconds", &[]),
        Some(90.25)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_plugins_loaded", &[]),
        Some(4.0)
    );

    let idle = parse(&metrics.render(&empty_queue()));
    assert_eq!(
        idle.value("smartreach_hooks_oldest_pending_age_seconds", &[]),
        Some(0.0)
    );
    assert_eq!(
        idle.value("smartreach_hooks_plugins_loaded", &[]),
        Some(0.0)
    );
    assert!(
        idle.family("smartreach_hooks_queue_depth")
            .samples
            .is_empty()
    );
}

#[test]
fn every_family_has_help_and_type_once_sorted_by_name() {
    for metrics in [Metrics::default(), {
        let metrics = Metrics::default();
        feed(&metrics, false);
        metrics
    }] {
        let text = metrics.render(&empty_queue());
        let scrape = parse(&text);
        let found: Vec<(&str, &str)> = scrape
            .families
            .iter()
            .map(|family| (family.name.as_str(), family.kind.as_str()))
            .collect();
        assert_eq!(found, FAMILIES);
        for (name, _) in FAMILIES {
            assert_eq!(
                text.matches(&format!("# HELP {name} ")).count(),
                1,
                "{name}"
            );
            assert_eq!(
                text.matches(&format!("# TYPE {name} ")).count(),
                1,
                "{name}"
            );
            assert!(!scrape.family(name).help.is_empty(), "{name}");
        }
        for family in &scrape.families {
            if family.kind == "counter" {
                assert!(family.name.ends_with("_total"), "{}", family.name);
            }
        }
    }
}

#[test]
fn a_fresh_host_shows_its_label_less_series_at_zero() {
    let scrape = parse(&Metrics::default().render(&empty_queue()));
    let ingest = "smartreach_hooks_ingest_duration_seconds";
    let buckets = scrape.buckets(ingest, &[]);
    assert_eq!(buckets.len(), INGEST_BUCKETS.len() + 1);
    assert!(buckets.iter().all(|(_, count)| *count == 0.0));
    assert_eq!(scrape.value(&format!("{ingest}_sum"), &[]), Some(0.0));
    assert_eq!(scrape.value(&format!("{ingest}_count"), &[]), Some(0.0));
    for (name, _) in FAMILIES {
        let labelled = scrape
            .family(name)
            .samples
            .iter()
            .any(|s| !s.series().is_empty());
        assert!(!labelled, "{name} has a labelled series before any call");
    }
}

#[test]
fn the_output_depends_only_on_the_counts() {
    let forward = Metrics::default();
    feed(&forward, false);
    let backward = Metrics::default();
    feed(&backward, true);
    let queue = QueueSnapshot {
        by_plugin: vec![
            PluginQueue {
                plugin: "b".to_owned(),
                pending: 1,
                running: 0,
                dead: 0,
            },
            PluginQueue {
                plugin: "a".to_owned(),
                pending: 2,
                running: 0,
                dead: 0,
            },
        ],
        oldest_pending_age: None,
        plugins_loaded: 2,
    };
    let text = forward.render(&queue);
    assert_eq!(text, backward.render(&queue));
    assert_eq!(text, forward.render(&queue), "rendering changes nothing");

    // Within a family, series come sorted by their label values (in label-name order), and the
    // lines of one histogram series are together.
    let scrape = parse(&text);
    for family in &scrape.families {
        let mut series: Vec<Vec<String>> = Vec::new();
        for sample in &family.samples {
            let values: Vec<String> = sample
                .series()
                .into_iter()
                .map(|(_, value)| value)
                .collect();
            if series.last() != Some(&values) {
                series.push(values);
            }
        }
        let mut sorted = series.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            series, sorted,
            "series of {} out of order or split",
            family.name
        );
    }
    let sources: Vec<&str> = scrape
        .family("smartreach_hooks_webhooks_received_total")
        .samples
        .iter()
        .map(|sample| sample.label("source").expect("source"))
        .collect();
    assert_eq!(sources, ["alpha", "alpha", "zeta"]);
}

#[test]
fn increments_from_many_threads_all_count() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 5_000;
    let metrics = Metrics::default();
    let sources = ["main", "eu"];
    let types = [
        "prospect.created",
        "activity.email.sent",
        "activity.email.opened",
    ];
    let plugins = ["crm-sync", "event-log"];
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let metrics = &metrics;
            scope.spawn(move || {
                for round in 0..ROUNDS {
                    // Threads start at different label sets, so new series race to be created.
                    let turn = thread + round;
                    metrics.webhook_received(sources[turn % 2], types[turn % 3]);
                    metrics.ingest_latency(ms(1));
                    metrics.delivery_finished(plugins[turn % 2], "done", ms(1));
                }
            });
        }
    });
    let total = (THREADS * ROUNDS) as f64;
    let scrape = parse(&metrics.render(&empty_queue()));
    let received: f64 = scrape
        .family("smartreach_hooks_webhooks_received_total")
        .samples
        .iter()
        .map(|sample| sample.value)
        .sum();
    assert_eq!(received, total);
    assert_eq!(
        scrape
            .family("smartreach_hooks_webhooks_received_total")
            .samples
            .len(),
        6
    );
    let ingest = "smartreach_hooks_ingest_duration_seconds";
    assert_eq!(scrape.value(&format!("{ingest}_count"), &[]), Some(total));
    assert_eq!(
        scrape.value(&format!("{ingest}_sum"), &[]),
        Some(total / 1000.0)
    );
    let per_plugin = total / 2.0;
    for plugin in plugins {
        assert_eq!(
            scrape.value(
                "smartreach_hooks_deliveries_total",
                &[("plugin", plugin), ("outcome", "done")]
            ),
            Some(per_plugin)
        );
        assert_eq!(
            scrape.value(
                "smartreach_hooks_plugin_duration_seconds_count",
                &[("plugin", plugin)]
            ),
            Some(per_plugin)
        );
    }
}
