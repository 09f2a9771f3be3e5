//! A stub HTTP server: an axum router served on a random loopback port from a small tokio runtime
//! of its own, so that the tests using it stay synchronous. The capture server
//! ([`crate::capture`]) and the command-line suites' stubs of the host's routes are built on it.

use std::net::SocketAddr;

use axum::Router;

/// A router being served; it stops when dropped.
pub struct StubServer {
    /// Where it listens (`127.0.0.1:PORT`).
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl StubServer {
    /// Serves `app` on a random loopback port, from a runtime whose threads are named `name`.
    /// Works from synchronous tests and from inside another runtime alike.
    pub fn start(name: &str, app: Router) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(name)
            .enable_all()
            .build()
            .unwrap_or_else(|err| panic!("starting the runtime of stub server {name}: {err}"));
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|err| panic!("binding stub server {name} to loopback: {err}"));
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener).unwrap()
        };
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            addr,
            runtime: Some(runtime),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        // Not `drop(runtime)`: that blocks, which a runtime refuses inside another runtime.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
