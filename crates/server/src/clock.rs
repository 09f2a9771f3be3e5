//! Wall-clock time as the store keeps it.

use smartreach_store::Timestamp;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as Timestamp)
}
