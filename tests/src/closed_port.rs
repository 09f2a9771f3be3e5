//! A loopback address that refuses connections, held for as long as a test needs it.

use std::net::SocketAddr;

/// A loopback port bound but not listening: a connection to it is refused, and no other process
/// can take the port while this lives (unlike a port picked by binding and dropping a listener,
/// which another test may take in between).
pub struct ClosedPort {
    /// `127.0.0.1:PORT`.
    pub addr: SocketAddr,
    _socket: tokio::net::TcpSocket,
}

impl ClosedPort {
    /// Binds a random loopback port without listening on it.
    pub fn bind() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind("127.0.0.1:0".parse().unwrap())
            .expect("binding a loopback port");
        let addr = socket.local_addr().unwrap();
        Self {
            addr,
            _socket: socket,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
