//! A histogram family of durations: fixed buckets per label set, with their sum and count.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::family::Family;
use super::text::{self, Kind};

/// The cells of one histogram series.
///
/// Each bucket counts only the observations that fell in it (not cumulative), so an observation
/// costs two atomic additions: its bucket and the sum. The cumulative `_bucket` lines and `_count`
/// are added up at render time, which also keeps `_count` equal to the `+Inf` bucket even while
/// observations land during a scrape.
pub(super) struct Buckets {
    /// One per bound, then one for what lies above the last bound (`+Inf`).
    counts: Box<[AtomicU64]>,
    /// Sum of the observations in nanoseconds: an integer adds up atomically where an `f64` would
    /// need a compare-and-swap loop, and 2^64 ns is 584 years of summed durations.
    sum_nanos: AtomicU64,
}

impl Buckets {
    fn new(bounds: usize) -> Self {
        Self {
            counts: (0..=bounds).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn observe(&self, bounds: &[f64], elapsed: Duration) {
        // The first bucket whose bound is not below the value: a bucket counts values <= its bound.
        let seconds = elapsed.as_secs_f64();
        let index = bounds.partition_point(|&bound| bound < seconds);
        self.counts[index].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// A histogram family of durations in seconds with `N` labels (besides `le`).
pub(super) struct Histogram<const N: usize> {
    name: &'static str,
    help: &'static str,
    labels: [&'static str; N],
    /// Upper bounds of the buckets in seconds, ascending; `+Inf` is implied.
    bounds: &'static [f64],
    family: Family<Buckets, N>,
}

impl<const N: usize> Histogram<N> {
    /// A histogram family. Without labels its one series exists (all zeros) from the start, as a
    /// label-less metric is expected to; with labels a series appears at its first observation.
    pub(super) fn new(
        name: &'static str,
        help: &'static str,
        labels: [&'static str; N],
        bounds: &'static [f64],
    ) -> Self {
        debug_assert!(
            bounds.windows(2).all(|pair| pair[0] < pair[1]),
            "the bounds of `{name}` must ascend"
        );
        let histogram = Self {
            name,
            help,
            labels,
            bounds,
            family: Family::new(),
        };
        if N == 0 {
            histogram.family.update(
                std::array::from_fn(|_| ""),
                || Buckets::new(bounds.len()),
                |_| {},
            );
        }
        histogram
    }

    /// Records `elapsed` in the series of `values` (in the order of the label names).
    pub(super) fn observe(&self, values: [&str; N], elapsed: Duration) {
        self.family.update(
            values,
            || Buckets::new(self.bounds.len()),
            |buckets| buckets.observe(self.bounds, elapsed),
        );
    }

    /// Writes the family: per series, the cumulative `_bucket` lines up to `le="+Inf"`, `_sum`
    /// (seconds) and `_count`.
    pub(super) fn render(&self, out: &mut String) {
        text::header(out, self.name, Kind::Histogram, self.help);
        let bucket = format!("{}_bucket", self.name);
        let sum = format!("{}_sum", self.name);
        let count = format!("{}_count", self.name);
        let bounds: Vec<String> = self
            .bounds
            .iter()
            .map(|bound| bound.to_string())
            .chain(["+Inf".to_owned()])
            .collect();
        self.family.for_each_sorted(|values, buckets| {
            let labels = || self.labels.iter().copied().zip(values.iter().map(|v| &**v));
            let mut cumulative = 0u64;
            for (cell, le) in buckets.counts.iter().zip(&bounds) {
                cumulative += cell.load(Ordering::Relaxed);
                text::sample(
                    out,
                    &bucket,
                    labels().chain([("le", le.as_str())]),
                    cumulative,
                );
            }
            let seconds = buckets.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            text::sample(out, &sum, labels(), seconds);
            text::sample(out, &count, labels(), cumulative);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(buckets: &Buckets) -> Vec<u64> {
        buckets
            .counts
            .iter()
            .map(|cell| cell.load(Ordering::Relaxed))
            .collect()
    }

    #[test]
    fn a_value_on_a_bound_falls_in_that_bucket() {
        let bounds = [0.001, 0.01, 0.1];
        let buckets = Buckets::new(bounds.len());
        buckets.observe(&bounds, Duration::ZERO);
        buckets.observe(&bounds, Duration::from_millis(1));
        buckets.observe(&bounds, Duration::from_micros(1_001));
        buckets.observe(&bounds, Duration::from_millis(100));
        buckets.observe(&bounds, Duration::from_secs(3600));
        assert_eq!(counts(&buckets), [2, 1, 1, 1]);
        assert_eq!(
            buckets.sum_nanos.load(Ordering::Relaxed),
            1_000_000 + 1_001_000 + 100_000_000 + 3_600_000_000_000
        );
    }
}
