//! [`Request`]: a builder that sends itself.

use serde::Serialize;

use super::{Error, Response, transport, url};

/// An HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

/// An HTTP request under construction; [`send`](Self::send) makes it and waits for the whole
/// response.
///
/// Building never fails: a problem (a body that does not serialise) is kept and returned by
/// `send`.
#[derive(Clone, Debug)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    error: Option<Error>,
}

impl Request {
    /// A request with `method` to the absolute `url` (already percent-encoded).
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            error: None,
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// A `POST` request.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }

    /// A `PUT` request.
    pub fn put(url: impl Into<String>) -> Self {
        Self::new(Method::Put, url)
    }

    /// A `PATCH` request.
    pub fn patch(url: impl Into<String>) -> Self {
        Self::new(Method::Patch, url)
    }

    /// A `DELETE` request.
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::Delete, url)
    }

    /// Adds a header. Repeating a name sends it several times.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body to `value` as JSON, and `Content-Type: application/json` unless a content
    /// type is already set.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => {
                if self.header_value("content-type").is_none() {
                    self = self.header("content-type", "application/json");
                }
                self.body = Some(body);
            }
            Err(err) => {
                self.error = Some(Error::InvalidRequest(format!(
                    "the JSON body does not serialise: {err}"
                )));
            }
        }
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The headers set so far, in order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of the header `name`, compared case-insensitively.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body, when one is set.
    pub fn body_bytes(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// Sends the request through the host and reads the whole response.
    ///
    /// Blocks until the response is complete, or the host's timeout ends it.
    pub fn send(self) -> Result<Response, Error> {
        if let Some(err) = self.error {
            return Err(err);
        }
        let target = url::parse(&self.url)?;
        let headers = self.headers_to_send();
        transport::send(self.method, &target, &headers, self.body.as_deref())
    }

    /// The headers plus `Content-Length` for a body, so the server needs no chunked encoding.
    fn headers_to_send(&self) -> Vec<(String, String)> {
        let mut headers = self.headers.clone();
        if let Some(body) = &self.body
            && self.header_value("content-length").is_none()
        {
            headers.push(("content-length".to_owned(), body.len().to_string()));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn builds_a_json_request() {
        let request = Request::put("https://crm.example/contacts/1")
            .header("Authorization", "Bearer t")
            .json(&serde_json::json!({ "email": "ana@example.com" }));
        assert_eq!(request.method(), Method::Put);
        assert_eq!(request.url(), "https://crm.example/contacts/1");
        assert_eq!(request.header_value("authorization"), Some("Bearer t"));
        assert_eq!(
            request.header_value("Content-Type"),
            Some("application/json")
        );
        assert_eq!(
            request.body_bytes(),
            Some(br#"{"email":"ana@example.com"}"#.as_slice())
        );
    }

    #[test]
    fn json_keeps_a_content_type_already_set() {
        let request = Request::post("https://x.example/")
            .header("Content-Type", "application/vnd.api+json")
            .json(&1);
        assert_eq!(request.headers().len(), 1);
        assert_eq!(
            request.header_value("content-type"),
            Some("application/vnd.api+json")
        );
    }

    #[test]
    fn adds_content_length_for_a_body_only() {
        let with_body = Request::post("https://x.example/").body("hello");
        assert!(
            with_body
                .headers_to_send()
                .contains(&("content-length".to_owned(), "5".to_owned()))
        );
        let without = Request::get("https://x.example/");
        assert!(without.headers_to_send().is_empty());
        let explicit = Request::post("https://x.example/")
            .header("Content-Length", "5")
            .body("hello");
        assert_eq!(explicit.headers_to_send().len(), 1);
    }

    #[test]
    fn a_body_that_does_not_serialise_fails_at_send() {
        // JSON object keys must be strings.
        let map = BTreeMap::from([((1, 2), "x")]);
        let err = Request::post("https://x.example/")
            .json(&map)
            .send()
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest(text) if text.starts_with("the JSON body does not serialise")),
            "{err}"
        );
    }

    #[test]
    fn an_invalid_url_fails_at_send_without_calling_the_host() {
        let err = Request::get("localhost:8080/x").send().unwrap_err();
        assert!(matches!(err, Error::InvalidUrl { .. }), "{err}");
    }
}
