//! A loopback HTTP server that answers every request `503 Service Unavailable`: where crm-sync
//! sends its contacts during the run, so that its deliveries fail transiently and wait for
//! their retry.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result};

/// Binds a free loopback port and serves it on a thread of its own until the process ends.
pub fn start() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the 503 sink")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    Ok(addr)
}

/// Reads the request's head and what arrives of its body for a moment, then answers 503 and
/// closes; a request that breaks off is dropped.
fn answer(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buffer = [0u8; 16 * 1024];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(read) => seen.extend_from_slice(&buffer[..read]),
        }
    }
    // The body (a contact of a few hundred bytes) follows the head or is already read; what is
    // left unread is discarded with the connection.
    let _ = stream.read(&mut buffer);
    let _ = stream.write_all(
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 28\r\n\
          connection: close\r\n\r\nconformance sink: try later\n",
    );
}
