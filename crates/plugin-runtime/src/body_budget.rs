//! Host memory behind a plugin's outgoing HTTP bodies.
//!
//! wasmtime-wasi-http keeps what a guest writes to an outgoing body (request or response) in a
//! channel of `buffer_chunks + 1` chunks of up to `chunk_size` bytes each, in host memory outside
//! the instance's linear memory, until the body is sent or dropped. Its defaults (1 buffered chunk
//! of 1 MiB) let one body hold 2 MiB, and a plugin may create a body per resource handle it can
//! hold. Here each body holds at most [`OUTGOING_BODY_HELD_BYTES`], and all the bodies of one
//! instance together at most the plugin's own memory cap: once that is spent, further bodies get
//! 1-byte chunks (they still work, slowly; a body holds 2 bytes).

/// The largest write wasmtime-wasi-http takes into an outgoing body (its default is 1 MiB). The
/// SDK writes 4 KiB at a time.
pub const OUTGOING_BODY_CHUNK_BYTES: usize = 64 * 1024;

/// Chunks one body holds at most: wasmtime-wasi-http's channel of `buffer_chunks + 1`, with
/// `buffer_chunks` = [`BUFFERED_CHUNKS`].
const CHUNKS_PER_BODY: usize = BUFFERED_CHUNKS + 1;

/// `p2_outgoing_body_buffer_chunks`: wasmtime-wasi-http's default, and its minimum.
pub(crate) const BUFFERED_CHUNKS: usize = 1;

/// The most bytes of an outgoing body the host holds before the body is sent.
pub const OUTGOING_BODY_HELD_BYTES: usize = CHUNKS_PER_BODY * OUTGOING_BODY_CHUNK_BYTES;

/// What the outgoing bodies of one instance may still hold.
#[derive(Debug)]
pub(crate) struct BodyBudget {
    remaining: usize,
}

impl BodyBudget {
    /// A budget of `total` bytes for all the bodies of one instance.
    pub(crate) fn new(total: usize) -> Self {
        Self { remaining: total }
    }

    /// The chunk size of one new body, charged for everything the body can hold.
    pub(crate) fn next_chunk_size(&mut self) -> usize {
        let chunk = (self.remaining / CHUNKS_PER_BODY).clamp(1, OUTGOING_BODY_CHUNK_BYTES);
        self.remaining = self.remaining.saturating_sub(chunk * CHUNKS_PER_BODY);
        chunk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_together_hold_at_most_the_budget() {
        let total = 1024 * 1024 + 1000;
        let mut budget = BodyBudget::new(total);
        let held: usize = (0..1_000)
            .map(|_| budget.next_chunk_size() * CHUNKS_PER_BODY)
            .sum();
        // Every body past the budget holds 2 bytes.
        assert!(held <= total + 1_000 * CHUNKS_PER_BODY, "{held}");
        assert_eq!(budget.next_chunk_size(), 1);
    }

    #[test]
    fn bodies_within_the_budget_get_full_chunks() {
        let mut budget = BodyBudget::new(64 * 1024 * 1024);
        for _ in 0..32 {
            assert_eq!(budget.next_chunk_size(), OUTGOING_BODY_CHUNK_BYTES);
        }
    }
}
