//! Integers written as whole floats (`7854240.0`). JSON Schema counts them as integers, and so
//! does the OpenAPI document of the ingest route, so a sender that writes them (a JavaScript
//! `JSON.stringify` of a float, a generator working from the schema) is within the contract; serde
//! reads an `i64` only from an integer token. The parser reads such a body a second time through
//! [`integers_restored`], and only when the first, strict read failed: the common body costs
//! nothing more.

use serde_json::{Number, Value};

/// The magnitude from which a float no longer tells integers apart: `2^53 + 1` is read as the
/// same float as `2^53`, so from there on the integer the sender meant is not known.
const INEXACT_FROM: f64 = 9_007_199_254_740_992.0; // 2^53

/// `value` with every whole float of exact magnitude (`12.0`, `-3e2`) made an integer; `None`
/// when it has none, so that nothing would change.
pub(crate) fn integers_restored(mut value: Value) -> Option<Value> {
    restore(&mut value).then_some(value)
}

/// Restores in place; whether anything changed.
fn restore(value: &mut Value) -> bool {
    match value {
        Value::Number(number) => match whole(number) {
            Some(integer) => {
                *number = integer;
                true
            }
            None => false,
        },
        // Not `any`: every element is visited.
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| restore(item) | changed),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |changed, field| restore(field) | changed),
        Value::Null | Value::Bool(_) | Value::String(_) => false,
    }
}

/// The integer a float token stands for, when it is whole and exact.
fn whole(number: &Number) -> Option<Number> {
    if !number.is_f64() {
        return None;
    }
    let float = number.as_f64()?;
    if float.fract() != 0.0 || float.abs() >= INEXACT_FROM {
        return None;
    }
    // |float| < 2^53: the integer it was written as, and it fits an i64.
    Some(Number::from(float as i64))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn whole_floats_become_integers_and_nothing_else_changes() {
        let restored = integers_restored(json!({
            "id": 7854240.0, "neg": -3e2, "frac": 1.5, "int": 4, "text": "5.0",
            "list": [1.0, {"deep": 2.0}], "big": 1e300
        }))
        .unwrap();
        assert_eq!(
            restored,
            json!({
                "id": 7854240, "neg": -300, "frac": 1.5, "int": 4, "text": "5.0",
                "list": [1, {"deep": 2}], "big": 1e300
            })
        );
        assert_eq!(restored["id"].as_i64(), Some(7_854_240));
        assert!(
            restored["big"].is_f64(),
            "past 2^53 the integer is not known"
        );
    }

    #[test]
    fn a_value_without_whole_floats_is_not_read_again() {
        assert_eq!(integers_restored(json!({"a": 1, "b": [1.5, "x"]})), None);
    }
}
