//! Counting a body's data items without building them, so that the host can refuse an oversized
//! batch before it spends memory on typed items (a 1 MiB body holds some 30,000 minimal ones).

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The number of elements of the body's top-level `data` array, read without allocating them.
/// `None` when the body is not a JSON object with a `data` array: [`crate::parse`] then says what
/// is wrong.
pub fn count_items(body: &[u8]) -> Option<usize> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    deserializer.deserialize_map(TopLevel).ok().flatten()
}

/// The top-level object: skips every member but `data`.
struct TopLevel;

impl<'de> Visitor<'de> for TopLevel {
    type Value = Option<usize>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a webhook object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut count = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "data" {
                // A body may repeat `data`: the largest count is the one that can cost memory.
                let items = map.next_value::<Count>()?.0;
                count = Some(count.map_or(items, |seen: usize| seen.max(items)));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(count)
    }
}

/// The length of an array whose elements are skipped.
struct Count(usize);

impl<'de> serde::Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(CountVisitor)
    }
}

struct CountVisitor;

impl<'de> Visitor<'de> for CountVisitor {
    type Value = Count;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut count = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            count += 1;
        }
        Ok(Count(count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_data_array_wherever_it_is_in_the_object() {
        let body = br#"{"data": [{"prospect": {"prospect_id": 1}}, {}, [1, 2]],
                        "metadata": {"event_type": "x", "data": [1]}}"#;
        assert_eq!(count_items(body), Some(3));
        assert_eq!(count_items(br#"{"metadata": {}, "data": []}"#), Some(0));
    }

    #[test]
    fn a_repeated_data_member_counts_its_largest() {
        assert_eq!(count_items(br#"{"data": [1, 2, 3], "data": []}"#), Some(3));
        assert_eq!(count_items(br#"{"data": [], "data": [1, 2]}"#), Some(2));
    }

    #[test]
    fn anything_else_is_left_to_the_parser() {
        for body in [
            &br#"{"metadata": {}}"#[..],
            br#"{"data": {}}"#,
            br#"[1, 2]"#,
            br#"{"data": [1, 2"#,
            b"not json",
        ] {
            assert_eq!(count_items(body), None, "{}", String::from_utf8_lossy(body));
        }
    }
}
