//! The memory cap of one instance.

use wasmtime::ResourceLimiter;

/// Refuses linear-memory growth that would take the instance's memories, together, past `limit`
/// bytes, trapping the guest, and remembers that it did.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    limit: u64,
    /// Bytes of linear memory the instance holds, across all its memories.
    total: u64,
    pub(crate) exceeded: bool,
}

/// Table growth past this many elements is refused; the pool's table slots are sized to match.
pub(crate) const MAX_TABLE_ELEMENTS: usize = 20_000;

impl MemoryLimiter {
    pub(crate) fn new(limit: u64) -> Self {
        Self {
            limit,
            total: 0,
            exceeded: false,
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Called at creation too (current = 0), so `total` covers every memory of the instance.
        let grown = self.total + (desired - current) as u64;
        if grown > self.limit {
            self.exceeded = true;
            wasmtime::bail!(
                "memory would grow to {grown} bytes, over the plugin's limit of {} bytes",
                self.limit
            );
        }
        self.total = grown;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_covers_all_memories_of_the_instance() {
        let mut limiter = MemoryLimiter::new(100);
        assert!(limiter.memory_growing(0, 60, None).unwrap());
        // A second memory may not take the instance past the cap.
        assert!(limiter.memory_growing(0, 60, None).is_err());
        assert!(limiter.exceeded);
        assert!(limiter.memory_growing(0, 40, None).unwrap());
    }
}
