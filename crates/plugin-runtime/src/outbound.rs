//! Outbound HTTP of a plugin: only to the hosts its manifest allows, refused before any connection
//! for the rest, and only to addresses outside the operator's own networks (`connect.rs`, unless
//! the host's allowed networks include them), with a request timeout and a response-size cap.
//! Every attempt is recorded. In [`OutboundMode::RecordOnly`] allowed requests are recorded and
//! not sent (nor resolved); in [`OutboundMode::Fake`] they are answered by a fake upstream
//! (`fake_upstream.rs`), also without any network.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use smartreach_plugin_manifest::AllowedHost;

use crate::body_budget::{BUFFERED_CHUNKS, BodyBudget};
use crate::config::OutboundMode;
use crate::connect::{self, SendError};
use crate::fake_upstream;
use crate::text::{MAX_REASON_BYTES, cut_text};
use smartreach_network::Network;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// What the host did with one outbound request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboundDecision {
    /// Sent: the host is allowed, and so was an address it resolved to; a connection was made
    /// and a response came back (of any status; the body may still have failed to arrive).
    Sent,
    /// Allowed, but no response came back: the name did not resolve, the connection or TLS
    /// failed, or the answer did not come in time. [`OutboundRequest::reason`] says which; the
    /// plugin saw the same error.
    Failed,
    /// Refused before any connection: the host is not in `allowed_outbound_hosts`.
    Denied,
    /// Refused before any connection: the host is allowed, but every address it resolved to (or
    /// the IP address in the URL) is loopback, private, link-local or otherwise not public, and
    /// not in the host's allowed networks. [`OutboundRequest::reason`] says which addresses.
    /// The plugin saw `destination-IP-prohibited`.
    AddressDenied,
    /// Refused: the invocation already made the most requests one invocation may make.
    OverLimit,
    /// Allowed, but not sent: the runtime runs in [`OutboundMode::RecordOnly`]. The plugin saw
    /// the request fail with `connection-refused`.
    NotSent,
    /// Allowed, and answered by the runtime's fake upstream ([`OutboundMode::Fake`]): nothing
    /// left the machine. The plugin saw the fake's answer.
    Faked,
}

/// Requests one invocation may make; later ones fail with `connection-limit-reached`.
const MAX_REQUESTS: usize = 32;

/// One outbound request a plugin made. A host keeps only the origin: paths and queries often hold
/// secrets (a Slack webhook URL is one), and invocations are logged and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// `scheme://host[:port]` of the target.
    pub origin: String,
    /// The path and query of the target, kept only in [`OutboundMode::RecordOnly`] and
    /// [`OutboundMode::Fake`] (`None`, and not serialised, otherwise). Those modes run a plugin once for its author, who needs to see
    /// where it would have sent the request; nothing is stored, and the secrets in the URL are
    /// ones the author configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Whether it was sent.
    pub decision: OutboundDecision,
    /// Why it was refused or failed, when the decision alone does not say
    /// ([`OutboundDecision::AddressDenied`], [`OutboundDecision::Failed`], an oversized
    /// request); not serialised when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The outbound policy of one plugin, shared by its instances.
#[derive(Debug, Clone)]
pub(crate) struct OutboundPolicy {
    pub(crate) allowed: Arc<[AllowedHost]>,
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: u64,
    pub(crate) mode: OutboundMode,
    /// Networks the operator lets plugins reach although they are not public.
    pub(crate) networks: Arc<[Network]>,
}

/// The `wasi:http` hooks of one instance.
pub(crate) struct OutboundHooks {
    policy: OutboundPolicy,
    requests: Vec<OutboundRequest>,
    /// Requests refused by address or failed, by index into `requests`, with the decision and
    /// reason: filled in by the sending task, which runs after the request was recorded.
    outcomes: Arc<Mutex<Vec<(usize, OutboundDecision, String)>>>,
    bodies: BodyBudget,
}

impl OutboundHooks {
    pub(crate) fn new(policy: OutboundPolicy) -> Self {
        Self {
            policy,
            requests: Vec::new(),
            outcomes: Arc::default(),
            bodies: BodyBudget::new(0),
        }
    }

    /// Lets the instance's outgoing bodies hold `bytes` in host memory, together.
    pub(crate) fn with_body_budget(mut self, bytes: usize) -> Self {
        self.bodies = BodyBudget::new(bytes);
        self
    }

    pub(crate) fn take_requests(&mut self) -> Vec<OutboundRequest> {
        let mut requests = std::mem::take(&mut self.requests);
        let outcomes = std::mem::take(&mut *lock(&self.outcomes));
        for (index, decision, reason) in outcomes {
            if let Some(request) = requests.get_mut(index) {
                request.decision = decision;
                request.reason = Some(cut_text(reason, MAX_REASON_BYTES));
            }
        }
        requests
    }

    fn allows(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("https");
        // Userinfo is never allowed: the host checked and the host connected to must be the same.
        if uri
            .authority()
            .is_some_and(|authority| authority.as_str().contains('@'))
        {
            return false;
        }
        let Some(host) = uri.host() else { return false };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "http" { 80 } else { 443 });
        self.policy
            .allowed
            .iter()
            .any(|allowed| allowed.matches(scheme, host, port))
    }
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        drop(fut);
        let keeps_path = self.policy.mode.keeps_paths();
        let oversized = oversized(&request);
        let decision = if self.requests.len() >= MAX_REQUESTS {
            OutboundDecision::OverLimit
        } else if oversized.is_some() || !self.allows(request.uri()) {
            OutboundDecision::Denied
        } else if matches!(self.policy.mode, OutboundMode::RecordOnly) {
            OutboundDecision::NotSent
        } else if matches!(self.policy.mode, OutboundMode::Fake(_)) {
            OutboundDecision::Faked
        } else {
            OutboundDecision::Sent
        };
        // One record past the limit says that the limit was hit; no more than that.
        if self.requests.len() <= MAX_REQUESTS {
            // The method and the authority are the plugin's, of any length: recorded cut, like
            // every other plugin-controlled text that is logged and stored.
            self.requests.push(OutboundRequest {
                method: cut_text(request.method().to_string(), MAX_METHOD_BYTES + SHOWN_EXTRA),
                origin: cut_text(origin(request.uri()), MAX_AUTHORITY_BYTES + SHOWN_EXTRA),
                path: keeps_path.then(|| path_and_query(request.uri())),
                decision,
                reason: oversized.map(str::to_owned),
            });
        }
        match decision {
            OutboundDecision::Sent => {}
            // `AddressDenied` and `Failed` come after resolution, below, and are never the
            // decision here.
            OutboundDecision::Denied
            | OutboundDecision::AddressDenied
            | OutboundDecision::Failed => {
                return Box::new(async { Err(HttpError::HttpRequestDenied) });
            }
            OutboundDecision::OverLimit => {
                return Box::new(async { Err(HttpError::ConnectionLimitReached) });
            }
            // What a plugin would see were the service down: every plugin must handle that
            // already, so a dry run takes a path its author knows.
            OutboundDecision::NotSent => {
                return Box::new(async { Err(HttpError::ConnectionRefused) });
            }
            OutboundDecision::Faked => {
                if let OutboundMode::Fake(upstream) = &self.policy.mode {
                    let upstream = Arc::clone(upstream);
                    let max = self.policy.max_response_bytes;
                    return Box::new(async move {
                        let response = fake_upstream::answer(upstream, request, max).await?;
                        let done: Box<dyn Future<Output = Result<(), HttpError>> + Send> =
                            Box::new(async { Ok(()) });
                        Ok((response, done))
                    });
                }
            }
        }
        let options = capped_options(options, self.policy.timeout);
        let max = self.policy.max_response_bytes;
        let whole = self.policy.timeout;
        let networks = Arc::clone(&self.policy.networks);
        let outcomes = Arc::clone(&self.outcomes);
        let index = self.requests.len() - 1;
        Box::new(async move {
            let record = |decision, reason: String| lock(&outcomes).push((index, decision, reason));
            let sent =
                tokio::time::timeout(whole, connect::send(request, options, &networks)).await;
            let (response, io) = match sent {
                Ok(Ok(sent)) => sent,
                Ok(Err(SendError::Http(err))) => {
                    record(OutboundDecision::Failed, err.to_string());
                    return Err(err);
                }
                Ok(Err(SendError::Refused(reason))) => {
                    record(OutboundDecision::AddressDenied, reason);
                    return Err(HttpError::DestinationIpProhibited);
                }
                Err(_) => {
                    record(
                        OutboundDecision::Failed,
                        format!("no response within {whole:?} (timeout_ms)"),
                    );
                    return Err(HttpError::HttpResponseTimeout);
                }
            };
            if let Some(length) = content_length(&response)
                && length > max
            {
                return Err(HttpError::HttpResponseBodySize(Some(length)));
            }
            let response = response.map(|body| {
                CappedBody {
                    inner: body,
                    remaining: max,
                }
                .boxed_unsync()
            });
            Ok((response, Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }

    // Called for every new outgoing body, buffer_chunks first: see `body_budget.rs`.
    fn p2_outgoing_body_buffer_chunks(&mut self) -> usize {
        BUFFERED_CHUNKS
    }

    fn p2_outgoing_body_chunk_size(&mut self) -> usize {
        self.bodies.next_chunk_size()
    }
}

/// The lock of `mutex`, also when a panic poisoned it: the data is a list that is only pushed to.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The longest method a request may have: the standard ones are at most 7 bytes.
const MAX_METHOD_BYTES: usize = 32;
/// The longest authority (`host:port`) a request may have: a DNS name is at most 253 bytes.
const MAX_AUTHORITY_BYTES: usize = 300;
/// Room for the `…[N bytes cut]` suffix of an oversized method or origin in its record.
const SHOWN_EXTRA: usize = 48;

/// Why `request` is refused before anything else, if its method or authority is longer than any
/// real one: such a request can only be meant to make the host hold and store its text.
fn oversized<B>(request: &http::Request<B>) -> Option<&'static str> {
    if request.method().as_str().len() > MAX_METHOD_BYTES {
        Some("the method is longer than 32 bytes")
    } else if request
        .uri()
        .authority()
        .is_some_and(|authority| authority.as_str().len() > MAX_AUTHORITY_BYTES)
    {
        Some("the host and port are longer than 300 bytes")
    } else {
        None
    }
}

/// `scheme://authority` of a request target.
fn origin(uri: &http::Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("https");
    let authority = uri.authority().map_or("", |authority| authority.as_str());
    format!("{scheme}://{authority}")
}

/// `/path?query` of a request target (`/` when it has none).
fn path_and_query(uri: &http::Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| "/".to_owned(), |path| path.as_str().to_owned())
}

/// The guest's options, never beyond the plugin's request timeout.
fn capped_options(options: Option<RequestOptions>, timeout: Duration) -> RequestOptions {
    let options = options.unwrap_or_default();
    let cap = |value: Option<Duration>| Some(value.map_or(timeout, |v| v.min(timeout)));
    RequestOptions {
        connect_timeout: cap(options.connect_timeout),
        first_byte_timeout: cap(options.first_byte_timeout),
        between_bytes_timeout: cap(options.between_bytes_timeout),
    }
}

fn content_length<B>(response: &http::Response<B>) -> Option<u64> {
    response
        .headers()
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// A response body that fails once more than `remaining` bytes have come through.
struct CappedBody<B> {
    inner: B,
    remaining: u64,
}

impl<B> http_body::Body for CappedBody<B>
where
    B: http_body::Body<Data = Bytes, Error = HttpError> + Unpin,
{
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            let len = data.len() as u64;
            if len > self.remaining {
                return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(None))));
            }
            self.remaining -= len;
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hooks(allowed: &[&str]) -> OutboundHooks {
        OutboundHooks::new(OutboundPolicy {
            allowed: allowed
                .iter()
                .map(|h| AllowedHost::parse(h).unwrap())
                .collect(),
            timeout: Duration::from_secs(1),
            max_response_bytes: 10,
            mode: OutboundMode::Send,
            networks: Arc::new([]),
        })
    }

    #[test]
    fn only_listed_hosts_are_allowed() {
        let hooks = hooks(&["hooks.slack.com", "127.0.0.1:9000"]);
        assert!(hooks.allows(&"https://hooks.slack.com/services/x".parse().unwrap()));
        assert!(hooks.allows(&"http://127.0.0.1:9000/a".parse().unwrap()));
        assert!(!hooks.allows(&"http://127.0.0.1:9001/a".parse().unwrap()));
        assert!(!hooks.allows(&"https://example.com/".parse().unwrap()));
        assert!(!hooks.allows(&"https://x:y@hooks.slack.com/".parse().unwrap()));
        assert!(!hooks.allows(&"https://example.com:443@hooks.slack.com/".parse().unwrap()));
        assert!(!OutboundHooks::new(hooks.policy.clone()).allows(&"/relative".parse().unwrap()));
    }

    #[test]
    fn oversized_methods_and_authorities_are_refused() {
        let request = |method: &str, uri: &str| {
            http::Request::builder()
                .method(method)
                .uri(uri)
                .body(())
                .unwrap()
        };
        assert_eq!(
            oversized(&request("POST", "https://hooks.slack.com/x")),
            None
        );
        let long_method = "X".repeat(MAX_METHOD_BYTES + 1);
        assert!(oversized(&request(&long_method, "https://a.example/")).is_some());
        let long_host = format!("https://{}.example/", "a".repeat(MAX_AUTHORITY_BYTES));
        assert!(oversized(&request("GET", &long_host)).is_some());
        assert!(cut_text(long_host, MAX_AUTHORITY_BYTES + SHOWN_EXTRA).len() <= 348);
    }

    #[test]
    fn only_the_origin_is_recorded() {
        let uri = "https://hooks.slack.com/services/T0/B0/SECRET?token=x"
            .parse()
            .unwrap();
        assert_eq!(origin(&uri), "https://hooks.slack.com");
        assert_eq!(
            path_and_query(&uri),
            "/services/T0/B0/SECRET?token=x",
            "kept in record-only mode"
        );
        assert_eq!(path_and_query(&"https://a.example".parse().unwrap()), "/");
    }

    #[test]
    fn guest_timeouts_never_exceed_the_plugin_timeout() {
        let options = capped_options(
            Some(RequestOptions {
                connect_timeout: Some(Duration::from_secs(60)),
                first_byte_timeout: Some(Duration::from_millis(200)),
                between_bytes_timeout: None,
            }),
            Duration::from_secs(1),
        );
        assert_eq!(options.connect_timeout, Some(Duration::from_secs(1)));
        assert_eq!(options.first_byte_timeout, Some(Duration::from_millis(200)));
        assert_eq!(options.between_bytes_timeout, Some(Duration::from_secs(1)));
    }
}
