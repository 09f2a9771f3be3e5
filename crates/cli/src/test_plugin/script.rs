//! `test-plugin.toml`, the optional file beside the snapshots that sets up a run: what the fake
//! upstream answers, per host and path, and the values of the manifest's `{ env = "VAR" }`
//! secrets when `VAR` is not set.
//!
//! ```toml
//! [placeholders]
//! SLACK_WEBHOOK_URL = "https://hooks.slack.com/services/T000/B000/XXXX"
//!
//! [[responses]]            # the first that matches answers; none: 200 `{}`
//! host = "hooks.slack.com" # optional, like method and path (a prefix of the path)
//! status = 429
//! headers = { retry-after = "30" }
//! body = "slow down"       # or json = { ... }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use smartreach_plugin_runtime::{FakeRequest, FakeResponse};

use super::error::TestPluginError;

/// The file's name, in the snapshot folder.
pub const FILE_NAME: &str = "test-plugin.toml";

/// What `test-plugin.toml` says; empty when there is none.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Values of `{ env = "VAR" }` config when `VAR` is unset, by variable name.
    #[serde(default)]
    pub placeholders: BTreeMap<String, String>,
    /// The scripted answers, in order.
    #[serde(default)]
    pub responses: Vec<Response>,
}

/// One scripted answer and the requests it is for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// Only requests to this host (no port).
    pub host: Option<String>,
    /// Only requests whose path starts with this.
    pub path: Option<String>,
    /// Only requests of this method.
    pub method: Option<String>,
    /// The status; default 200.
    #[serde(default = "ok")]
    pub status: u16,
    /// Its headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A text body.
    pub body: Option<String>,
    /// A JSON body (sent with `content-type: application/json` unless `headers` sets one).
    pub json: Option<toml::Value>,
}

fn ok() -> u16 {
    200
}

impl Script {
    /// Reads `DIR/test-plugin.toml`, or an empty script when there is none.
    pub fn read(dir: &Path) -> Result<Self, TestPluginError> {
        let path = dir.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => return Err(TestPluginError::Read { path, source }),
        };
        let script: Self = toml::from_str(&text).map_err(|err| invalid(&path, err.to_string()))?;
        for (index, response) in script.responses.iter().enumerate() {
            let at = |message: &str| {
                invalid(
                    &path,
                    format!("[[responses]] number {}: {message}", index + 1),
                )
            };
            if !(100..=599).contains(&response.status) {
                return Err(at(&format!(
                    "status {} is not an HTTP status; give one from 100 to 599",
                    response.status
                )));
            }
            if response.body.is_some() && response.json.is_some() {
                return Err(at("has both `body` and `json`; keep one"));
            }
            for (name, value) in &response.headers {
                if http::HeaderName::try_from(name.as_str()).is_err()
                    || http::HeaderValue::try_from(value.as_str()).is_err()
                {
                    return Err(at(&format!(
                        "header `{name}: {value}` is not a valid header"
                    )));
                }
            }
        }
        Ok(script)
    }

    /// The answer to `request`: the first response that matches it, else 200 `{}`.
    pub fn answer(&self, request: &FakeRequest) -> FakeResponse {
        let uri: Option<http::Uri> = request.url.parse().ok();
        let host = uri.as_ref().and_then(http::Uri::host).unwrap_or_default();
        let path = uri.as_ref().map_or("/", http::Uri::path);
        self.responses
            .iter()
            .find(|response| {
                response
                    .host
                    .as_deref()
                    .is_none_or(|want| want.eq_ignore_ascii_case(host))
                    && response
                        .path
                        .as_deref()
                        .is_none_or(|want| path.starts_with(want))
                    && response
                        .method
                        .as_deref()
                        .is_none_or(|want| want.eq_ignore_ascii_case(&request.method))
            })
            .map_or_else(default_answer, Response::to_fake)
    }
}

impl Response {
    fn to_fake(&self) -> FakeResponse {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
            .collect();
        let body = match (&self.body, &self.json) {
            (Some(text), _) => text.clone().into_bytes(),
            (None, Some(json)) => {
                if !headers.iter().any(|(name, _)| name == "content-type") {
                    headers.push(("content-type".to_owned(), "application/json".to_owned()));
                }
                serde_json::to_vec(json).expect("a TOML value serialises as JSON")
            }
            (None, None) => Vec::new(),
        };
        FakeResponse {
            status: self.status,
            headers,
            body,
        }
    }
}

/// What an unscripted request gets: 200 `{}`.
fn default_answer() -> FakeResponse {
    FakeResponse {
        status: 200,
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: b"{}".to_vec(),
    }
}

fn invalid(path: &Path, message: String) -> TestPluginError {
    TestPluginError::Script {
        path: PathBuf::from(path),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, url: &str) -> FakeRequest {
        FakeRequest {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    #[test]
    fn the_first_matching_response_answers_and_the_rest_get_200() {
        let script: Script = toml::from_str(
            "[[responses]]\nhost = \"a.example\"\npath = \"/v1/\"\nstatus = 429\n\
             headers = { Retry-After = \"3\" }\nbody = \"slow\"\n\
             [[responses]]\nmethod = \"put\"\nstatus = 500\njson = { error = \"x\" }\n",
        )
        .unwrap();
        let slow = script.answer(&request("POST", "https://a.example/v1/items"));
        assert_eq!(slow.status, 429);
        assert_eq!(slow.headers, [("retry-after".to_owned(), "3".to_owned())]);
        assert_eq!(slow.body, b"slow");
        let broken = script.answer(&request("PUT", "https://b.example/"));
        assert_eq!(
            (broken.status, broken.body),
            (500, br#"{"error":"x"}"#.to_vec())
        );
        let fine = script.answer(&request("POST", "https://a.example/v2"));
        assert_eq!((fine.status, fine.body), (200, b"{}".to_vec()));
    }

    #[test]
    fn a_bad_script_names_the_file_and_the_response() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "[[responses]]\nstatus = 42\n").unwrap();
        let err = Script::read(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(FILE_NAME) && err.contains("number 1") && err.contains("42"),
            "{err}"
        );
        std::fs::write(dir.path().join(FILE_NAME), "[[responses]]\nstatuss = 500\n").unwrap();
        let err = Script::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("statuss"), "{err}");
    }
}
