//! Histograms: cumulative buckets, a sum and a count per series.

use super::*;

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
