//! Sends one outbound request over a connection to a checked address.
//!
//! `wasmtime_wasi_http::default_send_request` hands `host:port` to the system resolver and
//! connects to whatever it answers, so an allowed name could lead anywhere. Here the name is
//! resolved once, every answer goes through [`address::check`], and the TCP connection is made to
//! one of the addresses that passed: a DNS answer that changes between the check and the connect
//! cannot matter, because nothing is resolved again. An IP literal in the URL is checked the same
//! way.
//!
//! The rest behaves as wasmtime's sender does, so plugins see the same `wasi:http`: HTTP/1.1,
//! TLS with rustls and the webpki roots, the server name (SNI, certificate check) taken from the
//! URL's host, the guest's connect, first-byte and between-bytes timeouts, and the same error
//! codes.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::uri::Scheme;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, ClientConfig, pki_types::ServerName};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

use crate::address::{self, Range, Refused};
use smartreach_network::Network;

/// The guest's timeouts when it sets none (wasmtime's defaults). The runtime always passes the
/// plugin's request timeout, so these apply only to direct callers.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Addresses named in a refusal; a name with more answers than this is summarised with a count.
const MAX_NAMED: usize = 4;

/// Why a request got no response.
#[derive(Debug)]
pub(crate) enum SendError {
    /// Every address of the target is off limits; the text says which and why.
    Refused(String),
    /// Anything else, as `wasi:http` reports it.
    Http(HttpError),
}

impl From<HttpError> for SendError {
    fn from(err: HttpError) -> Self {
        SendError::Http(err)
    }
}

/// The response of a request and what is left to drive of its connection.
pub(crate) type Sent = (
    http::Response<ResponseBody>,
    Pin<Box<dyn Future<Output = Result<(), HttpError>> + Send>>,
);

/// Sends `request` to an address of its host that [`address::check`] allows with `allowed`.
pub(crate) async fn send(
    mut request: http::Request<WasiBody>,
    options: RequestOptions,
    allowed: &[Network],
) -> Result<Sent, SendError> {
    let timeout = |value: Option<Duration>| value.unwrap_or(DEFAULT_TIMEOUT);
    let connect_timeout = timeout(options.connect_timeout);
    let first_byte_timeout = timeout(options.first_byte_timeout);
    let between_bytes_timeout = timeout(options.between_bytes_timeout);

    let uri = request.uri();
    let host = uri
        .host()
        .ok_or(HttpError::HttpRequestUriInvalid)?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let tls = uri.scheme() == Some(&Scheme::HTTPS);
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });

    let tcp = tokio::time::timeout(connect_timeout, connect(&host, port, allowed))
        .await
        .map_err(|_| HttpError::ConnectionTimeout)??;
    let stream: Box<dyn Stream> = if tls {
        let name = server_name(&host)?;
        let connector = tokio_rustls::TlsConnector::from(tls_config());
        let handshake = connector.connect(name, tcp);
        let stream = tokio::time::timeout(connect_timeout, handshake)
            .await
            .map_err(|_| HttpError::ConnectionTimeout)?
            .map_err(HttpError::Tls)?;
        Box::new(stream)
    } else {
        Box::new(tcp)
    };
    let (mut sender, connection) = tokio::time::timeout(
        connect_timeout,
        hyper::client::conn::http1::handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| HttpError::ConnectionTimeout)?
    .map_err(HttpError::Hyper)?;

    // On a direct connection the request line carries the path only; scheme and authority are
    // for proxies (the Host header has the authority).
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    let target = http::Uri::try_from(path).map_err(|_| HttpError::HttpRequestUriInvalid)?;
    *request.uri_mut() = target;

    let head = async {
        tokio::time::timeout(first_byte_timeout, sender.send_request(request))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?
            .map_err(HttpError::Hyper)
    };
    let (response, connection) = drive_until(head, Box::pin(connection)).await?;
    let response = response.map(|incoming| ResponseBody {
        incoming,
        idle: Box::pin(tokio::time::sleep(between_bytes_timeout)),
        between_bytes_timeout,
    });
    let rest: Pin<Box<dyn Future<Output = Result<(), HttpError>> + Send>> = match connection {
        None => Box::pin(async { Ok(()) }),
        Some(connection) => Box::pin(async move {
            connection.await.map_err(|err| {
                if err.is_timeout() {
                    HttpError::HttpResponseTimeout
                } else {
                    HttpError::Hyper(err)
                }
            })
        }),
    };
    Ok((response, rest))
}

/// A TCP connection to `host:port` at an address `allowed` lets through, trying them in the
/// resolver's order.
async fn connect(host: &str, port: u16, allowed: &[Network]) -> Result<TcpStream, SendError> {
    // An IP literal comes back as itself, without a lookup.
    // A failed lookup is the plugin's `DNS-error`, with the resolver's words.
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|err| HttpError::DnsError {
            rcode: Some(format!("{host}: {err}")),
            info_code: None,
        })?
        .collect();
    let mut refused = Vec::new();
    let mut last_error = None;
    for addr in resolved {
        if let Err(why) = address::check(addr.ip(), allowed) {
            refused.push(why);
            continue;
        }
        match TcpStream::connect(addr).await {
            Ok(stream) if is_own_address(&stream, allowed) => {
                refused.push(Refused {
                    ip: addr.ip(),
                    range: Range::ThisHost,
                    via: None,
                });
            }
            Ok(stream) => return Ok(stream),
            Err(err) => last_error = Some(err),
        }
    }
    if let Some(err) = last_error {
        return Err(HttpError::Connect(err).into());
    }
    if refused.is_empty() {
        return Err(HttpError::DnsError {
            rcode: Some("address not available".to_owned()),
            info_code: None,
        }
        .into());
    }
    Err(SendError::Refused(refusal(host, &refused)))
}

/// Whether `stream` connected this machine to itself at an address no allowed network names: a
/// public address of the host passes [`address::check`], yet reaches its own services.
fn is_own_address(stream: &TcpStream, allowed: &[Network]) -> bool {
    match (stream.local_addr(), stream.peer_addr()) {
        (Ok(local), Ok(peer)) => {
            local.ip() == peer.ip() && !allowed.iter().any(|network| network.contains(peer.ip()))
        }
        // Cannot tell: refuse rather than guess.
        _ => true,
    }
}

/// Says which addresses were refused and how an operator allows them.
fn refusal(host: &str, refused: &[Refused]) -> String {
    let literal = host.parse::<IpAddr>().is_ok();
    let mut named: Vec<String> = refused
        .iter()
        .take(MAX_NAMED)
        .map(ToString::to_string)
        .collect();
    if refused.len() > MAX_NAMED {
        named.push(format!("{} more", refused.len() - MAX_NAMED));
    }
    let what = if literal {
        format!("{} is an address", named.join(", "))
    } else {
        format!("{host} resolved to {}", named.join(", "))
    };
    format!(
        "{what} that plugins may not reach; to allow it, add its network to the host's \
         outbound.allowed_networks"
    )
}

/// The name the server's certificate must match: the URL's host, a DNS name or an IP address.
fn server_name(host: &str) -> Result<ServerName<'static>, HttpError> {
    match host.parse::<IpAddr>() {
        Ok(ip) => Ok(ServerName::from(ip)),
        Err(_) => Ok(ServerName::try_from(host.to_owned())?),
    }
}

/// One TLS configuration for every request: the webpki roots, no client certificate.
fn tls_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    Arc::clone(CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Arc::new(
            ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }))
}

/// A plain or TLS connection.
trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T> Stream for T where T: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

/// Waits for `head` while driving `connection`, which does the I/O. Returns the head and the
/// connection when it still has work (the body), `None` when it finished first.
async fn drive_until<T, C>(
    head: impl Future<Output = Result<T, HttpError>>,
    mut connection: Pin<Box<C>>,
) -> Result<(T, Option<Pin<Box<C>>>), HttpError>
where
    C: Future<Output = Result<(), hyper::Error>>,
{
    let mut head = std::pin::pin!(head);
    let mut finished = false;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(head) = head.as_mut().poll(cx) {
            return Poll::Ready(head);
        }
        if !finished && let Poll::Ready(result) = connection.as_mut().poll(cx) {
            finished = true;
            if let Err(err) = result {
                return Poll::Ready(Err(HttpError::Hyper(err)));
            }
            // A clean close may have delivered the head just now.
            return head.as_mut().poll(cx);
        }
        Poll::Pending
    })
    .await
    .map(|head| (head, (!finished).then_some(connection)))
}

/// A response body that fails when no data comes for `between_bytes_timeout`.
pub(crate) struct ResponseBody {
    incoming: hyper::body::Incoming,
    idle: Pin<Box<tokio::time::Sleep>>,
    between_bytes_timeout: Duration,
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let deadline = tokio::time::Instant::now() + self.between_bytes_timeout;
                self.idle.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(err))) if err.is_timeout() => {
                Poll::Ready(Some(Err(HttpError::HttpResponseTimeout)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(HttpError::Hyper(err)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.idle.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ips: &[&str]) -> Vec<Refused> {
        ips.iter()
            .map(|ip| address::check(ip.parse().unwrap(), &[]).unwrap_err())
            .collect()
    }

    #[test]
    fn a_refusal_names_the_addresses_and_the_key_that_allows_them() {
        assert_eq!(
            refusal("localhost", &refused(&["127.0.0.1", "::1"])),
            "localhost resolved to 127.0.0.1 (loopback), ::1 (loopback) that plugins may not \
             reach; to allow it, add its network to the host's outbound.allowed_networks"
        );
        assert_eq!(
            refusal("169.254.169.254", &refused(&["169.254.169.254"])),
            "169.254.169.254 (link-local) is an address that plugins may not reach; to allow \
             it, add its network to the host's outbound.allowed_networks"
        );
        let many = refusal("x.example", &refused(&["10.0.0.1"; 7]));
        assert_eq!(many.matches("10.0.0.1 (private)").count(), MAX_NAMED);
        assert!(many.contains("3 more that"), "{many}");
    }

    #[test]
    fn the_server_name_is_the_url_host() {
        assert_eq!(
            server_name("hooks.slack.com").unwrap(),
            ServerName::try_from("hooks.slack.com").unwrap()
        );
        assert_eq!(
            server_name("::1").unwrap(),
            ServerName::from("::1".parse::<IpAddr>().unwrap())
        );
        assert!(server_name("bad name").is_err());
    }

    #[tokio::test]
    async fn a_refused_address_is_never_connected_to() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();

        let err = connect("127.0.0.1", port, &[]).await.unwrap_err();
        let SendError::Refused(why) = err else {
            panic!("{err:?}")
        };
        assert!(
            why.starts_with("127.0.0.1 (loopback) is an address"),
            "{why}"
        );
        assert!(listener.accept().is_err(), "nothing connected");

        connect("127.0.0.1", port, &Network::LOOPBACK)
            .await
            .unwrap();
        assert!(listener.accept().is_ok(), "allowed: connected");
    }

    /// A public address of the host itself passes the range check; the connection shows it is the
    /// host's own (the same address at both ends). Only loopback can stand in for it here.
    #[tokio::test]
    async fn a_connection_to_the_host_itself_is_told_apart() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stream = TcpStream::connect(addr).await.unwrap();
        assert!(is_own_address(&stream, &[]), "same address at both ends");
        assert!(
            !is_own_address(&stream, &Network::LOOPBACK),
            "unless its network is allowed"
        );
    }
}
