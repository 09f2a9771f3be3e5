//! The ids the admin API takes in paths and cursors, and the patterns the OpenAPI document
//! declares for them; a value that does not match is refused, never looked up.

/// An event id: its webhook's id (a ULID: 26 characters of Crockford's base32), `:`, and the
/// item's index in the webhook.
pub const EVENT_ID_PATTERN: &str = "^[0-9A-HJKMNP-TV-Z]{26}:[0-9]{1,10}$";

/// A delivery id as `cursor` of the delivery list: a positive integer, no sign, no leading zero.
pub const DELIVERY_CURSOR_PATTERN: &str = "^[1-9][0-9]{0,17}$";

/// A plugin name: the stem of its `.wasm` (see [`smartreach_dispatch::plugins::is_plugin_name`]).
pub const PLUGIN_NAME_PATTERN: &str = "^[A-Za-z0-9_-]+$";

/// Crockford's base32 alphabet, as webhook ids use it.
const ULID_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Whether `text` matches [`EVENT_ID_PATTERN`].
pub fn is_event_id(text: &str) -> bool {
    let Some((webhook, index)) = text.split_once(':') else {
        return false;
    };
    webhook.len() == 26
        && webhook.bytes().all(|byte| ULID_ALPHABET.contains(&byte))
        && (1..=10).contains(&index.len())
        && index.bytes().all(|byte| byte.is_ascii_digit())
}

/// Whether `text` matches [`DELIVERY_CURSOR_PATTERN`].
pub fn is_delivery_cursor(text: &str) -> bool {
    (1..=18).contains(&text.len())
        && !text.starts_with('0')
        && text.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_a_ulid_a_colon_and_an_index() {
        for id in [
            "01JAAAAAAAAAAAAAAAAAAAAAAA:0",
            "7ZZZZZZZZZZZZZZZZZZZZZZZZZ:4294967295",
        ] {
            assert!(is_event_id(id), "{id}");
        }
        for id in [
            "",
            ":0",
            "01JAAAAAAAAAAAAAAAAAAAAAAA",
            "01JAAAAAAAAAAAAAAAAAAAAAAA:",
            "01JAAAAAAAAAAAAAAAAAAAAAAA:x",
            "01JAAAAAAAAAAAAAAAAAAAAAAA:12345678901",
            "01JAAAAAAAAAAAAAAAAAAAAAA:0",
            "01jaaaaaaaaaaaaaaaaaaaaaaa:0",
            "01JAAAAAAAAAAAAAAAAAAAAAAI:0",
            "01JAAAAAAAAAAAAAAAAAAAAAAA:0:1",
        ] {
            assert!(!is_event_id(id), "{id:?}");
        }
    }

    #[test]
    fn delivery_cursors_are_positive_integers_without_sign_or_leading_zero() {
        for cursor in ["1", "42", "999999999999999999"] {
            assert!(is_delivery_cursor(cursor), "{cursor}");
        }
        for cursor in [
            "",
            "0",
            "007",
            "-5",
            "+5",
            "1.0",
            "1e3",
            "1000000000000000000",
            " 1",
        ] {
            assert!(!is_delivery_cursor(cursor), "{cursor:?}");
        }
    }
}
