//! [`Response`]: a status, headers and the whole body.

use std::borrow::Cow;

use serde::de::DeserializeOwned;

/// An HTTP response, read in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers in the order received; names are lowercase, values decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first value of the header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text; invalid UTF-8 is replaced with U+FFFD.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body decoded from JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body as text, trimmed and cut to at most `max_chars` characters (with `…` when cut):
    /// for error messages.
    pub fn body_snippet(&self, max_chars: usize) -> String {
        let text = self.text();
        let text = text.trim();
        match text.char_indices().nth(max_chars) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text.to_owned(),
        }
    }

    /// The `Retry-After` delay in milliseconds, when the header holds a number of seconds. (The
    /// HTTP-date form is not read: `None`.)
    pub fn retry_after_ms(&self) -> Option<u64> {
        let seconds: u64 = self.header("retry-after")?.trim().parse().ok()?;
        Some(seconds.saturating_mul(1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn success_is_2xx_only() {
        assert!(response(200, &[], "").is_success());
        assert!(response(204, &[], "").is_success());
        assert!(!response(199, &[], "").is_success());
        assert!(!response(301, &[], "").is_success());
        assert!(!response(404, &[], "").is_success());
    }

    #[test]
    fn reads_retry_after_seconds() {
        assert_eq!(
            response(429, &[("retry-after", " 30 ")], "").retry_after_ms(),
            Some(30_000)
        );
        assert_eq!(
            response(503, &[("Retry-After", "0")], "").retry_after_ms(),
            Some(0)
        );
        assert_eq!(
            response(503, &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")], "").retry_after_ms(),
            None
        );
        assert_eq!(response(503, &[], "").retry_after_ms(), None);
        assert_eq!(
            response(503, &[("retry-after", "18446744073709551615")], "").retry_after_ms(),
            Some(u64::MAX)
        );
    }

    #[test]
    fn finds_headers_case_insensitively() {
        let r = response(200, &[("content-type", "application/json")], "");
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.header("x-missing"), None);
    }

    #[test]
    fn decodes_text_and_json() {
        let r = response(200, &[], r#"{"ok": true}"#);
        assert_eq!(r.text(), r#"{"ok": true}"#);
        let value: serde_json::Value = r.json().unwrap();
        assert_eq!(value["ok"], true);
        assert!(
            response(200, &[], "not json")
                .json::<serde_json::Value>()
                .is_err()
        );
    }

    #[test]
    fn snippets_cut_on_characters() {
        let r = response(400, &[], "  héllo wörld  ");
        assert_eq!(r.body_snippet(5), "héllo…");
        assert_eq!(r.body_snippet(100), "héllo wörld");
    }
}
