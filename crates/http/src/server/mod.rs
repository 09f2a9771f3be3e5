//! The HTTP/1.1 server: our own accept loop over hyper, because `axum::serve` bounds neither how
//! long a client may take to send its headers, nor how long it may idle, nor how many connections
//! it may hold, and each held connection is a file descriptor.
//!
//! - `http.max_connections`: a connection is accepted only when a slot is free; past the limit new
//!   clients wait in the kernel's listen backlog (they are not refused), and are served in turn as
//!   held connections close.
//! - `http.header_read_timeout`, `http.idle_timeout`: `deadline.rs`. Held connections are the ones
//!   that time out, and while the server is full idle ones get the shorter header timeout, so a
//!   flood of slow clients cannot hold a slot for longer than that. A sender queued behind a
//!   flood still waits about (connections ahead of it / `max_connections`) x the header timeout;
//!   there is no per-address limit yet.
//! - Shutdown: stop accepting, let each connection finish its request in progress (idle ones close
//!   at once), and return when all are closed; `serve` bounds the wait by the grace period.

mod deadline;
pub mod open_files;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use smartreach_config::HttpConfig;
use smartreach_dispatch::Shutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use deadline::{Activity, Timeouts, Watched};

/// How long to wait before accepting again after an error such as running out of file
/// descriptors (`EMFILE`): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `shutdown` triggers and every connection has closed.
pub async fn run(listener: TcpListener, router: Router, limits: &HttpConfig, shutdown: Shutdown) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let timeouts = Timeouts {
        header: limits.header_read_timeout,
        idle: limits.idle_timeout,
    };
    // Every connection holds a receiver; the server has closed when all are dropped.
    let (closed_tx, closed_rx) = watch::channel(());
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
            () = shutdown.wait() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(&err).await;
                    continue;
                }
            },
            () = shutdown.wait() => break,
        };
        let connection = Connection {
            router: router.clone(),
            timeouts,
            slots: Arc::clone(&slots),
            shutdown: shutdown.clone(),
            _slot: slot,
            _open: closed_rx.clone(),
        };
        tokio::spawn(connection.serve(stream, peer));
    }
    drop(listener);
    drop(closed_rx);
    closed_tx.closed().await;
}

/// Errors of one connection (reset before it was accepted) are that connection's; others (out of
/// file descriptors) are the server's, logged, and retried after a pause.
async fn accept_failed(err: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(%err, "cannot accept a connection; trying again in a second");
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

/// One accepted connection and what it holds until it closes.
struct Connection {
    router: Router,
    timeouts: Timeouts,
    slots: Arc<Semaphore>,
    shutdown: Shutdown,
    /// Its place under `http.max_connections`, given back on drop.
    _slot: OwnedSemaphorePermit,
    /// Dropped when the connection closes; shutdown waits for all of them.
    _open: watch::Receiver<()>,
}

impl Connection {
    async fn serve(self, stream: TcpStream, peer: SocketAddr) {
        // Small responses go out at once instead of waiting for Nagle's timer.
        let _ = stream.set_nodelay(true);
        let activity = Activity::new();
        let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity)));
        let inner = TowerToHyperService::new(self.router.clone());
        let service = hyper::service::service_fn({
            let activity = Arc::clone(&activity);
            move |request: hyper::Request<Incoming>| {
                let busy = activity.begin();
                let response = hyper::service::Service::call(&inner, request);
                async move {
                    let response: Result<_, Infallible> = response.await;
                    drop(busy);
                    response
                }
            }
        });
        // hyper's own header timer stays off (no timer is set): `deadline.rs` keeps both limits.
        let mut conn = pin!(
            hyper::server::conn::http1::Builder::new()
                .header_read_timeout(None)
                .serve_connection(io, service)
        );
        let slots = Arc::clone(&self.slots);
        let full = move || slots.available_permits() == 0;
        let mut expired = pin!(deadline::expired(&activity, self.timeouts, full));
        let mut draining = false;
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(%peer, %err, "connection ended with an error");
                    }
                    return;
                }
                phase = expired.as_mut() => {
                    tracing::debug!(%peer, ?phase, "connection closed: timed out");
                    return;
                }
                () = self.shutdown.wait(), if !draining => {
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
