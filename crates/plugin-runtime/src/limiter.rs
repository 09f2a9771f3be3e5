//! The memory cap of one instance.

use wasmtime::ResourceLimiter;

/// Refuses linear-memory growth past `limit` bytes, trapping the guest, and remembers that it did.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    limit: u64,
    pub(crate) exceeded: bool,
}

/// Table growth past this many elements is refused.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl MemoryLimiter {
    pub(crate) fn new(limit: u64) -> Self {
        Self {
            limit,
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
        if desired as u64 > self.limit {
            self.exceeded = true;
            wasmtime::bail!(
                "memory would grow from {current} to {desired} bytes, over the plugin's limit of {} bytes",
                self.limit
            );
        }
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
