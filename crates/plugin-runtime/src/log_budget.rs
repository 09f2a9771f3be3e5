//! The one cap on what an invocation may log, shared by the host `log` import and by stdout and
//! stderr: lines count by number and by bytes together, and each line costs its text plus a fixed
//! overhead, so that empty lines are not free. Past the cap nothing is kept; one marker line says
//! how much was dropped.

use crate::logs::{LogLevel, LogLine, LogSource};

/// What one kept line costs on top of its text: the `LogLine` itself (level, source, `String`
/// header, allocation) and its share of the stored JSON (`{"level":..,"source":..,"message":..}`),
/// rounded up.
pub const LOG_LINE_OVERHEAD_BYTES: usize = 64;

/// The most lines kept per stream (host log, stdout, stderr) and invocation, whatever the byte cap.
pub const MAX_LOG_LINES: usize = 1_000;

/// Lines and bytes of one stream of one invocation: what was kept, what was dropped.
#[derive(Debug, Default)]
pub(crate) struct LineBudget {
    /// Bytes the stream may cost: texts plus [`LOG_LINE_OVERHEAD_BYTES`] per line.
    max_bytes: usize,
    used_bytes: usize,
    lines: usize,
    dropped_lines: u64,
    dropped_bytes: u64,
}

impl LineBudget {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            ..Self::default()
        }
    }

    /// Whether a line of `len` bytes fits. Charges it when it does; counts it as dropped when not.
    pub(crate) fn admit(&mut self, len: usize) -> bool {
        let cost = len.saturating_add(LOG_LINE_OVERHEAD_BYTES);
        if self.lines >= MAX_LOG_LINES || self.used_bytes.saturating_add(cost) > self.max_bytes {
            self.reject(len);
            return false;
        }
        self.lines += 1;
        self.used_bytes += cost;
        true
    }

    /// Counts a line of `len` bytes as dropped.
    pub(crate) fn reject(&mut self, len: usize) {
        self.dropped_lines += 1;
        self.dropped_bytes += len as u64;
    }

    /// The longest text one more line could have and still fit (0 when no line fits).
    pub(crate) fn room(&self) -> usize {
        if self.lines >= MAX_LOG_LINES {
            return 0;
        }
        self.max_bytes
            .saturating_sub(self.used_bytes)
            .saturating_sub(LOG_LINE_OVERHEAD_BYTES)
    }

    /// Counts `bytes` cut from a line that was kept shortened.
    pub(crate) fn cut(&mut self, bytes: usize) {
        self.dropped_bytes += bytes as u64;
    }

    /// The one line that says what was dropped, when anything was.
    pub(crate) fn marker(&self, source: LogSource) -> Option<LogLine> {
        (self.dropped_lines > 0 || self.dropped_bytes > 0).then(|| LogLine {
            level: LogLevel::Warn,
            source,
            message: format!(
                "[{} more lines ({} bytes) dropped: over the log cap of {} lines or {} bytes \
                 ({} bytes per line counted)]",
                self.dropped_lines,
                self.dropped_bytes,
                MAX_LOG_LINES,
                self.max_bytes,
                LOG_LINE_OVERHEAD_BYTES
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_lines_cost_their_overhead() {
        let mut budget = LineBudget::new(10 * LOG_LINE_OVERHEAD_BYTES);
        let kept = (0..1_000).filter(|_| budget.admit(0)).count();
        assert_eq!(kept, 10);
        let marker = budget.marker(LogSource::Host).unwrap();
        assert!(
            marker
                .message
                .starts_with("[990 more lines (0 bytes) dropped"),
            "{}",
            marker.message
        );
    }

    #[test]
    fn the_line_count_caps_even_a_large_byte_budget() {
        let mut budget = LineBudget::new(usize::MAX);
        let kept = (0..MAX_LOG_LINES * 3).filter(|_| budget.admit(1)).count();
        assert_eq!(kept, MAX_LOG_LINES);
        assert_eq!(budget.room(), 0);
    }

    #[test]
    fn text_counts_with_the_overhead() {
        let mut budget = LineBudget::new(2 * LOG_LINE_OVERHEAD_BYTES + 10);
        assert!(budget.admit(10));
        assert_eq!(budget.room(), 0);
        assert!(!budget.admit(1));
        assert!(budget.admit(0));
        assert!(budget.marker(LogSource::Stdout).is_some());
    }

    #[test]
    fn nothing_dropped_means_no_marker() {
        let mut budget = LineBudget::new(1024);
        assert!(budget.admit(5));
        assert!(budget.marker(LogSource::Host).is_none());
    }
}
