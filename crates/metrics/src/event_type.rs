//! The `event_type` label: a sender chooses it, so it is bounded before it becomes a series.
//!
//! The 13 documented types are kept as they are. Other names are kept too, so that a type
//! SmartReach adds shows up in the metrics, but only the first [`MAX_OTHER_TYPES`] distinct ones,
//! each at most [`MAX_OTHER_LEN`] bytes of `[A-Za-z0-9._-]`; every other name is counted as
//! [`OTHER`]. A sender can therefore add at most `MAX_OTHER_TYPES + 1` event-type series per
//! source, of at most `MAX_OTHER_LEN` bytes each, whatever it sends.

use std::collections::HashSet;
use std::sync::{PoisonError, RwLock};

use smartreach_models::DocumentedEventType;

/// Undocumented event types that get a series of their own, per process.
pub const MAX_OTHER_TYPES: usize = 32;

/// The longest undocumented event type that gets a series of its own, in bytes (the longest
/// documented one, `prospect.created_or_updated`, has 27).
pub const MAX_OTHER_LEN: usize = 64;

/// The label of every event type past the bounds.
pub const OTHER: &str = "other";

/// The undocumented names given a series so far.
#[derive(Default)]
pub(super) struct EventTypeLabels {
    others: RwLock<HashSet<Box<str>>>,
}

impl EventTypeLabels {
    /// The label value that counts `name`: `name` itself, or [`OTHER`].
    pub(super) fn label<'a>(&self, name: &'a str) -> &'a str {
        if DocumentedEventType::ALL
            .iter()
            .any(|ty| ty.as_str() == name)
        {
            return name;
        }
        let plain = name.len() <= MAX_OTHER_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !plain {
            return OTHER;
        }
        if self
            .others
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(name)
        {
            return name;
        }
        let mut others = self.others.write().unwrap_or_else(PoisonError::into_inner);
        if others.len() < MAX_OTHER_TYPES {
            others.insert(name.into());
        }
        if others.contains(name) { name } else { OTHER }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_types_keep_their_name() {
        let labels = EventTypeLabels::default();
        for ty in DocumentedEventType::ALL {
            assert_eq!(labels.label(ty.as_str()), ty.as_str());
        }
        // They take none of the room of the others.
        assert!(labels.others.read().unwrap().is_empty());
    }

    #[test]
    fn other_names_are_bounded_in_count_length_and_characters() {
        let labels = EventTypeLabels::default();
        let long = "x".repeat(MAX_OTHER_LEN + 1);
        assert_eq!(labels.label(&long), OTHER);
        assert_eq!(labels.label("x\nFAKE"), OTHER);
        assert_eq!(labels.label("café.created"), OTHER);
        let names: Vec<String> = (0..MAX_OTHER_TYPES + 5)
            .map(|i| format!("prospect.new_{i}"))
            .collect();
        for name in &names[..MAX_OTHER_TYPES] {
            assert_eq!(labels.label(name), name);
        }
        for name in &names[MAX_OTHER_TYPES..] {
            assert_eq!(labels.label(name), OTHER);
        }
        // A name given a series keeps it.
        assert_eq!(labels.label(&names[0]), names[0]);
        assert_eq!(labels.label(&"y".repeat(MAX_OTHER_LEN)), OTHER);
    }
}
