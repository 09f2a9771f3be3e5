//! When a connection has to be closed: its request line and headers must arrive within
//! `http.header_read_timeout`, and between requests it may wait `http.idle_timeout` (only
//! `header_read_timeout` while the server is full). While a request is being handled no deadline
//! runs here: the handlers bound themselves (the ingest body's 30 s).
//!
//! hyper's own header timer also runs during a keep-alive wait, so it cannot tell a stalled head
//! from an idle connection; this module tracks the phase from the two places that know it: the
//! socket (the first byte of a request) and the service (a request handed over, answered).

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// Where a connection is, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading a request's line and headers (from the accept, or from the request's first byte).
    Head,
    /// A request is being handled.
    Busy,
    /// Between requests, waiting for the next one.
    Idle,
}

/// The phase of one connection, shared by its socket, its service and its watchdog.
#[derive(Debug)]
pub struct Activity(Mutex<(Phase, Instant)>);

impl Activity {
    /// A connection just accepted: its first request's head is due.
    pub fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new((Phase::Head, Instant::now()))))
    }

    fn set(&self, phase: Phase) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = (phase, Instant::now());
    }

    /// The phase now and since when.
    pub fn get(&self) -> (Phase, Instant) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes arrived: between requests, they start the next head.
    fn read(&self) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if state.0 == Phase::Idle {
            *state = (Phase::Head, Instant::now());
        }
    }

    /// A request's head was read and handed to the service; the phase is `Busy` until the
    /// returned guard is dropped (the handler answered, or the connection went away).
    pub fn begin(self: &Arc<Self>) -> Busy {
        self.set(Phase::Busy);
        Busy(Arc::clone(self))
    }
}

/// Held while a request is handled.
pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.set(Phase::Idle);
    }
}

/// The timeouts of one server.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// `http.header_read_timeout`.
    pub header: Duration,
    /// `http.idle_timeout`.
    pub idle: Duration,
}

impl Timeouts {
    /// How long a connection may stay in `phase`; `None` while it is busy.
    pub fn limit(&self, phase: Phase, full: bool) -> Option<Duration> {
        match phase {
            Phase::Head => Some(self.header),
            Phase::Busy => None,
            Phase::Idle if full => Some(self.idle.min(self.header)),
            Phase::Idle => Some(self.idle),
        }
    }
}

/// Resolves, with the phase that ran out, when the connection has overstayed it. `full` says
/// whether the server is at its connection limit now; it is asked again at least every header
/// timeout, so an idle connection learns of it in time.
pub async fn expired(activity: &Activity, timeouts: Timeouts, full: impl Fn() -> bool) -> Phase {
    loop {
        let (phase, since) = activity.get();
        let now = Instant::now();
        let wake = match timeouts.limit(phase, full()) {
            Some(limit) if now >= since + limit => return phase,
            Some(limit) => (since + limit).min(now + timeouts.header),
            None => now + timeouts.header,
        };
        tokio::time::sleep_until(wake).await;
    }
}

/// A socket that tells its [`Activity`] when bytes arrive.
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.read();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUTS: Timeouts = Timeouts {
        header: Duration::from_secs(10),
        idle: Duration::from_secs(60),
    };

    #[test]
    fn phases_follow_bytes_and_requests() {
        let activity = Activity::new();
        assert_eq!(activity.get().0, Phase::Head);
        let busy = activity.begin();
        activity.read(); // body bytes change nothing
        assert_eq!(activity.get().0, Phase::Busy);
        drop(busy);
        assert_eq!(activity.get().0, Phase::Idle);
        activity.read();
        assert_eq!(activity.get().0, Phase::Head);
    }

    #[test]
    fn idle_connections_get_the_header_timeout_when_the_server_is_full() {
        assert_eq!(TIMEOUTS.limit(Phase::Idle, false), Some(TIMEOUTS.idle));
        assert_eq!(TIMEOUTS.limit(Phase::Idle, true), Some(TIMEOUTS.header));
        assert_eq!(TIMEOUTS.limit(Phase::Head, false), Some(TIMEOUTS.header));
        assert_eq!(TIMEOUTS.limit(Phase::Busy, true), None);
    }

    #[tokio::test]
    async fn a_stalled_head_expires_after_the_header_timeout_and_a_busy_one_never() {
        let timeouts = Timeouts {
            header: Duration::from_millis(50),
            idle: Duration::from_millis(200),
        };
        let activity = Activity::new();
        let start = Instant::now();
        assert_eq!(expired(&activity, timeouts, || false).await, Phase::Head);
        assert!(start.elapsed() >= timeouts.header);

        let busy = activity.begin();
        let waited =
            tokio::time::timeout(timeouts.idle * 3, expired(&activity, timeouts, || false)).await;
        assert!(waited.is_err(), "a busy connection expired");
        drop(busy);
        let start = Instant::now();
        assert_eq!(expired(&activity, timeouts, || false).await, Phase::Idle);
        assert!(start.elapsed() >= timeouts.idle);

        // Full: an idle connection is given only the header timeout, not its ten minutes.
        let long_idle = Timeouts {
            idle: Duration::from_secs(600),
            ..timeouts
        };
        let idle = Activity::new();
        drop(idle.begin());
        let phase =
            tokio::time::timeout(Duration::from_secs(60), expired(&idle, long_idle, || true)).await;
        assert_eq!(phase, Ok(Phase::Idle));
    }
}
