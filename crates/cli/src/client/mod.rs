//! The admin commands: a blocking client of a running host's admin API (`/api/v1`), and the
//! tables that show its answers.
//!
//! Each command prints the API's JSON as is with `--json`, or a readable table. Every error the
//! API answers is an RFC 9457 problem, shown as `error: {title}: {detail}`.

pub mod deliveries;
pub mod events;
mod http;
pub mod plugins;
pub mod replay;
pub mod table;
pub mod time;
pub(crate) mod view;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use http::{Answer, Http, path_segment};

use crate::cli::HostArgs;

/// Why a command that talks to a host failed. Each says what to check.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `--url` is not a plain `http://` URL.
    #[error(
        "`{url}` is not an http:// URL: this command speaks plain HTTP (no TLS); give the host's \
         address like http://127.0.0.1:8080, through an SSH tunnel for a remote host"
    )]
    UnsupportedUrl {
        /// The URL as given.
        url: String,
    },
    /// No connection, or no answer in time.
    #[error(
        "the host isn't reachable at {url} ({message}); is `smartreach-hooks serve` running \
         there? Give its address with --url"
    )]
    Unreachable {
        /// The base URL.
        url: String,
        /// The transport error.
        message: String,
    },
    /// The host answered with a problem (any non-2xx status).
    #[error("{title}: {detail}")]
    Problem {
        /// The HTTP status.
        status: u16,
        /// The problem's title (or `HTTP {status}` when the answer is not a problem document).
        title: String,
        /// What went wrong this time.
        detail: String,
    },
    /// A 2xx answer this command cannot read.
    #[error(
        "unexpected answer to {request}: {message}; is this command the same version as the host?"
    )]
    BadAnswer {
        /// `GET /api/v1/...`.
        request: String,
        /// What does not fit.
        message: String,
    },
    /// Neither `--admin-token` nor `SMARTREACH_ADMIN_TOKEN` is set.
    #[error(
        "no admin token: pass --admin-token or set SMARTREACH_ADMIN_TOKEN to the host's \
         admin.token (the admin API is off on a host without one)"
    )]
    NoAdminToken,
    /// A `--since`/`--until` value is not a time.
    #[error(transparent)]
    Time(#[from] time::TimeError),
}

/// An RFC 9457 problem document, as far as the CLI reads it.
#[derive(Debug, Deserialize)]
struct ProblemDocument {
    title: Option<String>,
    detail: Option<String>,
}

/// The problem in a non-2xx answer. An answer that is not a problem document (a proxy's HTML
/// page) still gives its status and the start of its body.
pub fn problem_of(answer: &Answer) -> ClientError {
    let document = serde_json::from_str::<ProblemDocument>(&answer.body).ok();
    let (title, detail) = match document {
        Some(ProblemDocument {
            title: Some(title),
            detail,
        }) => (title, detail.unwrap_or_default()),
        _ => {
            let start: String = answer.body.trim().chars().take(200).collect();
            (format!("HTTP {}", answer.status), start)
        }
    };
    ClientError::Problem {
        status: answer.status,
        title,
        detail,
    }
}

/// One page of a list endpoint.
#[derive(Debug, Clone, Deserialize)]
pub struct Page {
    /// The items, newest first.
    pub items: Vec<Value>,
    /// Pass back as `cursor` for the next page; `None` on the last.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

impl Page {
    /// The page as the API sends it, for `--json`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({ "items": self.items, "next_cursor": self.next_cursor })
    }
}

/// A client of one host's admin API.
#[derive(Debug, Clone)]
pub struct AdminClient {
    http: Http,
    authorization: String,
}

impl AdminClient {
    /// A client for `--url`, authenticated with `--admin-token` (or `SMARTREACH_ADMIN_TOKEN`).
    pub fn new(host: &HostArgs) -> Result<Self, ClientError> {
        let token = host
            .admin_token
            .as_deref()
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(ClientError::NoAdminToken)?;
        Ok(Self {
            http: Http::new(&host.url)?,
            authorization: format!("Bearer {token}"),
        })
    }

    /// `GET {path}?{query}`, its JSON answer read as `T`.
    pub fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        let answer = self.http.get(path, query, &self.headers())?;
        decode(&format!("GET {path}"), &answer)
    }

    /// `POST {path}` with a JSON body, its JSON answer read as `T`.
    pub fn post<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T, ClientError> {
        let mut headers = self.headers();
        headers.push(("Content-Type", "application/json".to_owned()));
        let answer = self
            .http
            .post(path, &headers, body.to_string().as_bytes())?;
        decode(&format!("POST {path}"), &answer)
    }

    /// The first page of a list endpoint, or with `all` every page (following `next_cursor`)
    /// merged into one whose `next_cursor` is `None`.
    pub fn list(
        &self,
        path: &str,
        query: &[(&str, String)],
        all: bool,
    ) -> Result<Page, ClientError> {
        let mut page: Page = self.get(path, query)?;
        while all && let Some(cursor) = page.next_cursor.take() {
            let mut query = query.to_vec();
            query.push(("cursor", cursor));
            let next: Page = self.get(path, &query)?;
            page.items.extend(next.items);
            page.next_cursor = next.next_cursor;
        }
        Ok(page)
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Authorization", self.authorization.clone()),
            ("Accept", "application/json".to_owned()),
        ]
    }
}

/// A 2xx answer's JSON as `T`; any other status as its problem.
fn decode<T: DeserializeOwned>(request: &str, answer: &Answer) -> Result<T, ClientError> {
    if !(200..300).contains(&answer.status) {
        return Err(problem_of(answer));
    }
    serde_json::from_str(&answer.body).map_err(|err| ClientError::BadAnswer {
        request: request.to_owned(),
        message: err.to_string(),
    })
}

/// `value` as pretty JSON with a final newline: what `--json` prints.
pub fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value always serialises");
    text.push('\n');
    text
}

/// Typed items of a page, for a table. An item that does not fit is reported, not skipped.
pub fn items_as<T: DeserializeOwned>(request: &str, page: &Page) -> Result<Vec<T>, ClientError> {
    page.items
        .iter()
        .map(|item| {
            T::deserialize(item).map_err(|err| ClientError::BadAnswer {
                request: request.to_owned(),
                message: format!("an item does not have the expected shape: {err}"),
            })
        })
        .collect()
}

/// The time flags of a list, resolved against the clock.
pub fn time_query(
    query: &mut Vec<(&'static str, String)>,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<(), ClientError> {
    let now = smartreach_store::now_ms();
    if let Some(since) = since {
        query.push(("since", time::parse_time(since, now)?.to_string()));
    }
    if let Some(until) = until {
        query.push(("until", time::parse_time(until, now)?.to_string()));
    }
    Ok(())
}

/// The line a table ends with when more pages exist.
pub fn more_hint(shown: usize, noun: &str) -> String {
    format!("({shown} {noun} shown; more exist: pass --all for every page, or --limit up to 500)\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.to_owned(),
        }
    }

    #[test]
    fn a_problem_shows_its_title_and_detail() {
        let err = problem_of(&answer(
            401,
            r#"{"type":"/problems/unauthorized","title":"Unauthorized","status":401,"detail":"the bearer token is wrong"}"#,
        ));
        assert_eq!(err.to_string(), "Unauthorized: the bearer token is wrong");
        assert!(matches!(err, ClientError::Problem { status: 401, .. }));
    }

    #[test]
    fn an_answer_that_is_no_problem_document_still_says_something() {
        let err = problem_of(&answer(502, "<html>Bad gateway</html>"));
        assert_eq!(err.to_string(), "HTTP 502: <html>Bad gateway</html>");
    }

    #[test]
    fn a_missing_or_blank_admin_token_is_named() {
        for token in [None, Some("  ".to_owned())] {
            let host = HostArgs {
                url: "http://127.0.0.1:1".into(),
                admin_token: token,
            };
            let err = AdminClient::new(&host).unwrap_err();
            assert!(err.to_string().contains("SMARTREACH_ADMIN_TOKEN"), "{err}");
        }
    }

    #[test]
    fn an_unreachable_host_is_named_with_its_url() {
        // Port 1 on loopback: nothing listens there.
        let host = HostArgs {
            url: "http://127.0.0.1:1".into(),
            admin_token: Some("t".into()),
        };
        let err = AdminClient::new(&host)
            .unwrap()
            .get::<Value>("/api/v1/plugins", &[])
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("the host isn't reachable at http://127.0.0.1:1"),
            "{text}"
        );
    }
}
