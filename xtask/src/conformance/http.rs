//! A minimal blocking HTTP/1.1 client for filling the host before the run: one request per
//! connection (`Connection: close`), the answer read to its end.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// How long one request may take; the host answers the admin API and ingest in milliseconds.
const TIMEOUT: Duration = Duration::from_secs(30);

/// An answer: its status and body.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, as text.
    pub body: String,
    /// The headers, names in lowercase.
    pub headers: Vec<(String, String)>,
}

impl Answer {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON, or an error naming `what` and the answer.
    pub fn json(&self, what: &str) -> Result<Value> {
        serde_json::from_str(&self.body)
            .with_context(|| format!("{what}: the answer is not JSON: {}", self.body))
    }

    /// The JSON body of an answer with `status`, or an error naming `what` and the answer.
    pub fn expect(&self, status: u16, what: &str) -> Result<Value> {
        if self.status != status {
            bail!(
                "{what}: expected {status}, got {}: {}",
                self.status,
                self.body
            );
        }
        self.json(what)
    }
}

/// Sends `method path` to `addr` with `headers` and `body`, and reads the answer.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Answer> {
    let what = format!("{method} {path}");
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .with_context(|| format!("{what}: connecting"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.write_all(body))
        .with_context(|| format!("{what}: sending"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .with_context(|| format!("{what}: reading the answer"))?;
    parse(&raw).with_context(|| format!("{what}: the answer"))
}

/// The status and body of a whole HTTP/1.1 answer. The host sends a `Content-Length` with every
/// answer of the routes used here, so a chunked body is not decoded but refused.
fn parse(raw: &[u8]) -> Result<Answer> {
    let text = String::from_utf8_lossy(raw);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        bail!("no end of the headers in {text:?}");
    };
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .with_context(|| format!("no status in {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    if headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked"))
    {
        bail!("a chunked answer, which this client does not decode");
    }
    Ok(Answer {
        status,
        body: body.to_owned(),
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_split_into_status_and_body() {
        let answer = parse(
            b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 9\r\n\r\n{\"a\": 1}\n",
        )
        .unwrap();
        assert_eq!(answer.status, 202);
        assert_eq!(answer.body, "{\"a\": 1}\n");
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(answer.expect(202, "x").unwrap()["a"], 1);
        assert!(answer.expect(200, "x").is_err());
    }

    #[test]
    fn a_chunked_or_cut_answer_is_refused() {
        assert!(
            parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                .is_err()
        );
        assert!(parse(b"HTTP/1.1 200 OK\r\ncontent-length: 4").is_err());
    }
}
