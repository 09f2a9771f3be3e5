//! A counter family: one monotonic count per label set.

use std::sync::atomic::{AtomicU64, Ordering};

use super::family::Family;
use super::text::{self, Kind};

/// A counter family with `N` labels. Its name ends in `_total`.
pub(super) struct Counter<const N: usize> {
    name: &'static str,
    help: &'static str,
    labels: [&'static str; N],
    family: Family<AtomicU64, N>,
}

impl<const N: usize> Counter<N> {
    /// A counter family. Without labels its one series exists (at 0) from the start, as a
    /// label-less metric is expected to; with labels a series appears at its first increment.
    pub(super) fn new(name: &'static str, help: &'static str, labels: [&'static str; N]) -> Self {
        debug_assert!(
            name.ends_with("_total"),
            "counter `{name}` must end in _total"
        );
        let counter = Self {
            name,
            help,
            labels,
            family: Family::new(),
        };
        if N == 0 {
            counter
                .family
                .update(std::array::from_fn(|_| ""), AtomicU64::default, |_| {});
        }
        counter
    }

    /// Adds one to the series of `values` (in the order of the label names).
    pub(super) fn inc(&self, values: [&str; N]) {
        // Relaxed: a count orders nothing else; a scrape may see it a moment late.
        self.family.update(values, AtomicU64::default, |count| {
            count.fetch_add(1, Ordering::Relaxed);
        });
    }

    /// Writes the family.
    pub(super) fn render(&self, out: &mut String) {
        text::header(out, self.name, Kind::Counter, self.help);
        self.family.for_each_sorted(|values, count| {
            let labels = self.labels.iter().copied().zip(values.iter().map(|v| &**v));
            text::sample(out, self.name, labels, count.load(Ordering::Relaxed));
        });
    }
}
