//! The shape of the exposition: one `# HELP` and `# TYPE` per family, sorted, and output that
//! depends only on the counts, not on the order of the calls.

use super::*;

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
                waiting_on: None,
            },
            PluginQueue {
                plugin: "a".to_owned(),
                pending: 2,
                running: 0,
                dead: 0,
                waiting_on: None,
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
