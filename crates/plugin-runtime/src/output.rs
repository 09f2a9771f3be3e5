//! The plugin's stdout and stderr: kept in memory up to a cap, then turned into log lines.
//!
//! Unlike wasmtime's `MemoryOutputPipe`, writing past the cap is not an error (a chatty plugin
//! must not trap): the excess is dropped and counted.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use crate::logs::{LogLevel, LogLine, LogSource};

/// One captured output stream. Clones share the buffer.
#[derive(Clone)]
pub(crate) struct CapturedOutput {
    inner: Arc<Mutex<Buffer>>,
}

struct Buffer {
    bytes: Vec<u8>,
    cap: usize,
    dropped: usize,
}

impl CapturedOutput {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Buffer {
                bytes: Vec::new(),
                cap,
                dropped: 0,
            })),
        }
    }

    fn append(&self, data: &[u8]) {
        let mut buffer = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let room = buffer.cap.saturating_sub(buffer.bytes.len());
        let kept = data.len().min(room);
        buffer.bytes.extend_from_slice(&data[..kept]);
        buffer.dropped += data.len() - kept;
    }

    /// The captured text as log lines of `level` from `source`, plus a note of what was dropped.
    pub(crate) fn to_lines(&self, level: LogLevel, source: LogSource) -> Vec<LogLine> {
        let buffer = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let text = String::from_utf8_lossy(&buffer.bytes);
        let mut lines: Vec<LogLine> = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| LogLine {
                level,
                source,
                message: line.to_owned(),
            })
            .collect();
        if buffer.dropped > 0 {
            lines.push(LogLine {
                level: LogLevel::Warn,
                source,
                message: format!(
                    "[{} more bytes dropped: over the output cap]",
                    buffer.dropped
                ),
            });
        }
        lines
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

/// How much the guest may write per call; writes never block.
const WRITE_BUDGET: usize = 64 * 1024;

#[async_trait::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

impl AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_past_the_cap_is_dropped_and_counted() {
        let output = CapturedOutput::new(16);
        output.append(b"first line\nsecond line\n");
        let lines = output.to_lines(LogLevel::Info, LogSource::Stdout);
        assert_eq!(lines[0].message, "first line");
        assert_eq!(lines[1].message, "secon");
        assert_eq!(
            lines[2].message,
            "[7 more bytes dropped: over the output cap]"
        );
        assert_eq!(lines[2].level, LogLevel::Warn);
    }
}
