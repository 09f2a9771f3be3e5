//! The capture server of the black-box suites (`smartreach_hooks_tests::capture`: it records
//! every request and answers what the test chose), with the async constructors these tests call.

use std::net::SocketAddr;
use std::time::Duration;

pub use smartreach_hooks_tests::capture::Captured;

/// The running server; stops when dropped.
pub struct CaptureServer {
    /// Where it listens (`127.0.0.1:PORT`).
    pub addr: SocketAddr,
    server: smartreach_hooks_tests::capture::CaptureServer,
}

impl CaptureServer {
    /// Answers 200 with an empty JSON object.
    pub async fn start() -> Self {
        let server = smartreach_hooks_tests::capture::CaptureServer::start();
        Self {
            addr: server.addr,
            server,
        }
    }

    /// Answers every request with `status` and `body` after `delay`.
    pub async fn start_with(status: http::StatusCode, body: Vec<u8>, delay: Duration) -> Self {
        let started = Self::start().await;
        started.server.answer(status.as_u16(), &body);
        started.server.set_delay(delay);
        started
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `127.0.0.1:PORT`, for `allowed_outbound_hosts`.
    pub fn host(&self) -> String {
        self.server.host()
    }

    /// What has been received so far, in arrival order.
    pub fn requests(&self) -> Vec<Captured> {
        self.server.requests()
    }
}
