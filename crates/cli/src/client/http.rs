//! Plain HTTP to a running host, for the commands that talk to one (`trigger` and the admin
//! commands): one blocking request at a time, every answer read whole, any status returned as is.

use std::time::Duration;

use crate::client::ClientError;

/// How long one request may take, connecting included: the host answers in milliseconds, so
/// anything longer is a host that is stuck or a wrong address.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer read: a `--limit 500` page of deliveries with long errors is a few MiB.
const MAX_ANSWER_BYTES: u64 = 256 * 1024 * 1024;

/// A host's base URL and a connection pool.
#[derive(Debug, Clone)]
pub struct Http {
    agent: ureq::Agent,
    base: String,
}

/// An answer of the host: the status and the body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The body, as text (the host answers JSON).
    pub body: String,
}

impl Http {
    /// A client for the host at `base` (`http://127.0.0.1:8080`; a trailing `/` is dropped).
    /// Only `http://` is supported: this build has no TLS, so reach a remote host through a
    /// tunnel or a proxy that terminates TLS.
    pub fn new(base: &str) -> Result<Self, ClientError> {
        let base = base.trim_end_matches('/').to_owned();
        if !base.starts_with("http://") {
            return Err(ClientError::UnsupportedUrl { url: base });
        }
        let agent = ureq::Agent::config_builder()
            // Problems (4xx, 5xx) are answers to show, not transport errors.
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .build()
            .into();
        Ok(Self { agent, base })
    }

    /// The base URL, as given without its trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET {base}{path}?{query}` with `headers`.
    pub fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
        headers: &[(&str, String)],
    ) -> Result<Answer, ClientError> {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        for (name, value) in query {
            request = request.query(*name, value);
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        self.read(path, request.call())
    }

    /// `POST {base}{path}` with `headers` and `body`.
    pub fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Answer, ClientError> {
        let mut request = self.agent.post(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        self.read(path, request.send(body))
    }

    fn read(
        &self,
        path: &str,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Answer, ClientError> {
        let unreachable = |err: ureq::Error| ClientError::Unreachable {
            url: self.base.clone(),
            message: err.to_string(),
        };
        let mut response = response.map_err(unreachable)?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|err| ClientError::BadAnswer {
                request: path.to_owned(),
                message: format!("reading the body: {err}"),
            })?;
        Ok(Answer { status, body })
    }
}

/// `text` as one URL path segment: letters, digits and `-_~:` stay, the rest is percent-encoded,
/// so an id or a name can never add a segment, a query, or a `..` (dots are encoded too).
pub fn path_segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_~:".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_cannot_escape() {
        assert_eq!(path_segment("01JABC:0"), "01JABC:0");
        assert_eq!(path_segment("crm-sync"), "crm-sync");
        assert_eq!(path_segment("../admin?x=1"), "%2E%2E%2Fadmin%3Fx%3D1");
        assert_eq!(path_segment("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn only_plain_http_is_accepted() {
        assert_eq!(
            Http::new("http://127.0.0.1:8080/").unwrap().base(),
            "http://127.0.0.1:8080"
        );
        for url in ["https://hooks.example.com", "127.0.0.1:8080", "ftp://x"] {
            let err = Http::new(url).unwrap_err();
            assert!(
                matches!(err, ClientError::UnsupportedUrl { .. }),
                "{url}: {err}"
            );
        }
    }
}
