//! The plugin's stdout and stderr, split into log lines as they are written and kept under the
//! same cap as the host log ([`LineBudget`]).
//!
//! Unlike wasmtime's `MemoryOutputPipe`, writing past the cap is not an error (a chatty plugin
//! must not trap): the excess is dropped and counted. Blank lines are skipped as they end: they
//! are neither kept nor counted, so a flood of newlines holds nothing. The line being written is
//! held only up to what the cap still has room for.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use crate::log_budget::LineBudget;
use crate::logs::{LogLevel, LogLine, LogSource};
use crate::text::truncate_at_char;

/// One captured output stream. Clones share the buffer.
#[derive(Clone)]
pub(crate) struct CapturedOutput {
    inner: Arc<Mutex<Buffer>>,
}

struct Buffer {
    /// Lines kept so far.
    lines: Vec<String>,
    /// The line being written (no newline yet): at most what the budget still has room for.
    partial: Vec<u8>,
    /// Bytes of the line being written that did not fit.
    partial_cut: usize,
    budget: LineBudget,
}

impl Buffer {
    fn extend_partial(&mut self, bytes: &[u8]) {
        let room = self.budget.room().saturating_sub(self.partial.len());
        let kept = bytes.len().min(room);
        self.partial.extend_from_slice(&bytes[..kept]);
        self.partial_cut += bytes.len() - kept;
    }

    fn end_line(&mut self) {
        let bytes = std::mem::take(&mut self.partial);
        let mut cut = std::mem::take(&mut self.partial_cut);
        let mut text = String::from_utf8_lossy(&bytes).into_owned();
        if text.ends_with('\r') {
            text.pop();
        }
        if text.trim().is_empty() {
            if cut > 0 {
                self.budget.reject(text.len() + cut);
            }
            return;
        }
        // Lossy decoding can lengthen invalid bytes (one byte becomes U+FFFD, three bytes).
        cut += truncate_at_char(&mut text, self.budget.room());
        if self.budget.admit(text.len()) {
            self.budget.cut(cut);
            self.lines.push(text);
        } else {
            self.budget.cut(cut);
        }
    }
}

impl CapturedOutput {
    /// A stream that may cost `max_bytes` ([`LineBudget`]).
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Buffer {
                lines: Vec::new(),
                partial: Vec::new(),
                partial_cut: 0,
                budget: LineBudget::new(max_bytes),
            })),
        }
    }

    fn append(&self, data: &[u8]) {
        let mut buffer = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut rest = data;
        while let Some(end) = rest.iter().position(|&byte| byte == b'\n') {
            buffer.extend_partial(&rest[..end]);
            buffer.end_line();
            rest = &rest[end + 1..];
        }
        buffer.extend_partial(rest);
    }

    /// The captured text as log lines of `level` from `source`, plus a note of what was dropped.
    /// An unterminated last line counts as a line.
    pub(crate) fn to_lines(&self, level: LogLevel, source: LogSource) -> Vec<LogLine> {
        let mut buffer = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !buffer.partial.is_empty() || buffer.partial_cut > 0 {
            buffer.end_line();
        }
        let mut lines: Vec<LogLine> = std::mem::take(&mut buffer.lines)
            .into_iter()
            .map(|message| LogLine {
                level,
                source,
                message,
            })
            .collect();
        lines.extend(buffer.budget.marker(source));
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
    use crate::log_budget::{LOG_LINE_OVERHEAD_BYTES, MAX_LOG_LINES};

    #[test]
    fn output_past_the_cap_is_dropped_and_counted() {
        // Room for "first line" and 5 bytes of the next one.
        let output = CapturedOutput::new(2 * LOG_LINE_OVERHEAD_BYTES + 15);
        output.append(b"first line\nsecond line\nthird\n");
        let lines = output.to_lines(LogLevel::Info, LogSource::Stdout);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].message, "first line");
        assert_eq!(lines[1].message, "secon");
        assert!(
            lines[2]
                .message
                .starts_with("[1 more lines (11 bytes) dropped"),
            "{}",
            lines[2].message
        );
        assert_eq!(lines[2].level, LogLevel::Warn);
    }

    #[test]
    fn a_flood_of_newlines_keeps_nothing() {
        let output = CapturedOutput::new(16 * 1024);
        for _ in 0..1_000 {
            output.append(&[b'\n'; 64 * 1024]);
        }
        output.append(b"  \r\n\t\n");
        assert!(
            output
                .to_lines(LogLevel::Info, LogSource::Stdout)
                .is_empty()
        );
    }

    #[test]
    fn short_lines_are_capped_by_count_and_overhead() {
        let output = CapturedOutput::new(usize::MAX);
        for _ in 0..10 * MAX_LOG_LINES {
            output.append(b"x\n");
        }
        let lines = output.to_lines(LogLevel::Info, LogSource::Stdout);
        assert_eq!(lines.len(), MAX_LOG_LINES + 1);
        assert!(lines[MAX_LOG_LINES].message.starts_with(&format!(
            "[{} more lines ({} bytes) dropped",
            9 * MAX_LOG_LINES,
            9 * MAX_LOG_LINES
        )));
    }

    #[test]
    fn one_endless_line_holds_at_most_the_cap() {
        let cap = 4 * 1024;
        let output = CapturedOutput::new(cap);
        for _ in 0..100 {
            output.append(&[b'a'; 64 * 1024]);
        }
        {
            let buffer = output.inner.lock().unwrap();
            assert_eq!(buffer.partial.len(), cap - LOG_LINE_OVERHEAD_BYTES);
        }
        let lines = output.to_lines(LogLevel::Info, LogSource::Stdout);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].message.len(), cap - LOG_LINE_OVERHEAD_BYTES);
    }
}
