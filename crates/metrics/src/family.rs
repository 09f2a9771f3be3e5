//! A metric's series by label values: the one map behind the counters and the histograms.
//!
//! Every webhook and every delivery bumps a series, a scrape reads them all every few seconds, and
//! a new label set appears only a few times in the life of the process. So the map sits behind an
//! `RwLock` and the hot path takes only the read lock: find the series, bump its atomics, no
//! allocation. Readers never wait for each other, only (briefly) for the rare insert of a new label
//! set. A `Mutex` would line every request and delivery worker up on one lock; per-thread shards
//! would scale further but cost memory and a merge at every scrape, which thousands of updates a
//! second do not need.
//!
//! The map is keyed by a hash of the borrowed label values, and a hit compares the values
//! themselves: a `HashMap<[String; N], _>` can only be searched with an owned key, which would
//! mean an allocation per update.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{PoisonError, RwLock};

/// Series one family keeps at most. Label values come partly from senders (an undocumented event
/// type is kept as sent), so a misbehaving sender must not grow the memory and the scrape without
/// bound; updates of label sets past the cap go to the [`OVERFLOW`] series.
pub(super) const MAX_SERIES: usize = 1_000;

/// The value of every label of the series that takes the updates past [`MAX_SERIES`].
pub(super) const OVERFLOW: &str = "_overflow";

/// One series: its label values, in the order of the family's label names, and its cells.
struct Entry<S, const N: usize> {
    values: [Box<str>; N],
    series: S,
}

/// The series of one family, by hash of their label values; entries whose hashes collide share
/// a bucket.
struct Table<S, const N: usize> {
    by_hash: HashMap<u64, Vec<Entry<S, N>>>,
    len: usize,
}

impl<S, const N: usize> Table<S, N> {
    fn find(&self, hash: u64, values: &[&str; N]) -> Option<&S> {
        self.by_hash
            .get(&hash)?
            .iter()
            .find(|entry| same(&entry.values, values))
            .map(|entry| &entry.series)
    }

    fn find_or_insert(&mut self, hash: u64, values: &[&str; N], make: impl FnOnce() -> S) -> &S {
        let bucket = self.by_hash.entry(hash).or_default();
        let index = match bucket.iter().position(|entry| same(&entry.values, values)) {
            Some(index) => index,
            None => {
                bucket.push(Entry {
                    values: values.map(Box::from),
                    series: make(),
                });
                self.len += 1;
                bucket.len() - 1
            }
        };
        &bucket[index].series
    }
}

fn same<const N: usize>(stored: &[Box<str>; N], values: &[&str; N]) -> bool {
    stored.iter().zip(values).all(|(a, b)| **a == **b)
}

/// The series of one metric family with `N` labels, each holding cells of type `S` (atomics).
pub(super) struct Family<S, const N: usize> {
    hasher: RandomState,
    table: RwLock<Table<S, N>>,
}

impl<S, const N: usize> Family<S, N> {
    /// No series yet.
    pub(super) fn new() -> Self {
        Self {
            hasher: RandomState::new(),
            table: RwLock::new(Table {
                by_hash: HashMap::new(),
                len: 0,
            }),
        }
    }

    /// Runs `update` on the series of `values`, made by `make` if it is new.
    pub(super) fn update(
        &self,
        values: [&str; N],
        make: impl FnOnce() -> S,
        update: impl FnOnce(&S),
    ) {
        let hash = self.hasher.hash_one(values);
        {
            let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(series) = table.find(hash, &values) {
                update(series);
                return;
            }
        }
        let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
        // Another thread may have added the series between the two locks: then it is found, not
        // counted against the cap.
        let (hash, values) = if table.len >= MAX_SERIES && table.find(hash, &values).is_none() {
            let overflow = [OVERFLOW; N];
            (self.hasher.hash_one(overflow), overflow)
        } else {
            (hash, values)
        };
        update(table.find_or_insert(hash, &values, make));
    }

    /// Calls `visit` with every series, sorted by label values, so that the rendering is the same
    /// for the same counts whatever order the series were created in.
    pub(super) fn for_each_sorted(&self, mut visit: impl FnMut(&[Box<str>; N], &S)) {
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        let mut entries: Vec<&Entry<S, N>> = table.by_hash.values().flatten().collect();
        entries.sort_unstable_by(|a, b| a.values.cmp(&b.values));
        for entry in entries {
            visit(&entry.values, &entry.series);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    fn inc(family: &Family<AtomicU64, 2>, values: [&str; 2]) {
        family.update(values, AtomicU64::default, |count| {
            count.fetch_add(1, Ordering::Relaxed);
        });
    }

    fn collect(family: &Family<AtomicU64, 2>) -> Vec<(Vec<String>, u64)> {
        let mut seen = Vec::new();
        family.for_each_sorted(|values, count| {
            seen.push((
                values.iter().map(|value| value.to_string()).collect(),
                count.load(Ordering::Relaxed),
            ));
        });
        seen
    }

    #[test]
    fn values_that_concatenate_alike_are_distinct_series() {
        let family = Family::new();
        inc(&family, ["ab", "c"]);
        inc(&family, ["a", "bc"]);
        inc(&family, ["a", "bc"]);
        assert_eq!(
            collect(&family),
            [
                (vec!["a".to_owned(), "bc".to_owned()], 2),
                (vec!["ab".to_owned(), "c".to_owned()], 1),
            ]
        );
    }

    #[test]
    fn label_sets_past_the_cap_go_to_the_overflow_series() {
        let family = Family::new();
        for index in 0..MAX_SERIES + 10 {
            inc(&family, ["source", &format!("type-{index}")]);
        }
        // A series created before the cap was reached still counts as itself.
        inc(&family, ["source", "type-0"]);
        let seen = collect(&family);
        assert_eq!(seen.len(), MAX_SERIES + 1);
        let overflow = seen
            .iter()
            .find(|(values, _)| values == &[OVERFLOW, OVERFLOW])
            .expect("an overflow series");
        assert_eq!(overflow.1, 10);
        let type_0 = seen
            .iter()
            .find(|(values, _)| values == &["source", "type-0"])
            .expect("the first series");
        assert_eq!(type_0.1, 2);
        let total: u64 = seen.iter().map(|(_, count)| count).sum();
        assert_eq!(total, MAX_SERIES as u64 + 11);
    }
}
