//! Per-prospect order across hosts. Deliveries of one (plugin, source, prospect) run in the order
//! of their ids, and a claim only takes the oldest open one. Ids come from a sequence, handed out
//! when a row is inserted, not when it commits: two transactions queueing deliveries of the same
//! prospect at once could commit in the other order, and a host could run the newer delivery
//! before the older one is even visible. So every transaction that queues deliveries first takes
//! a transaction-scoped advisory lock per (source, prospect) it touches: the second waits for the
//! first to commit, and its ids come after the first's.

use deadpool_postgres::GenericClient;
use sha2::{Digest, Sha256};

use super::execute;
use crate::StoreError;

/// Takes the locks of `$1`, the keys of [`keys`], until the transaction ends. The rows of
/// `unnest` come in the array's order, so the locks are taken in sorted order.
pub(super) const LOCK_PROSPECTS: &str =
    "SELECT pg_advisory_xact_lock(key) FROM unnest($1::bigint[]) AS key";

/// The lock keys of the (source, prospect)s of `prospects`, sorted, each once: taken in one order,
/// two transactions never wait for each other in a circle. Prospects that are `None` are ordered
/// with nothing and take no lock.
pub(super) fn keys<'a>(
    prospects: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Vec<i64> {
    let mut keys: Vec<i64> = prospects
        .into_iter()
        .filter_map(|(source, prospect)| prospect.map(|prospect| key(source, prospect)))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Locks the (source, prospect) keys of `prospects` until the transaction of `tx` ends.
pub(super) async fn lock_prospects<'a>(
    tx: &impl GenericClient,
    prospects: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Result<(), StoreError> {
    let keys = keys(prospects);
    if keys.is_empty() {
        return Ok(());
    }
    execute(
        tx,
        "locking prospects to keep their order",
        LOCK_PROSPECTS,
        &[&keys],
    )
    .await?;
    Ok(())
}

/// The lock key of a (source, prospect): 64 bits of a hash. Two prospects that share a key only
/// wait for each other.
fn key(source: &str, prospect: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(b"smartreach-hooks prospect order\0")
        .chain_update(source.as_bytes())
        .chain_update([0])
        .chain_update(prospect.as_bytes())
        .finalize();
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tell_sources_and_prospects_apart() {
        assert_eq!(key("a", "1"), key("a", "1"));
        assert_ne!(key("a", "1"), key("b", "1"));
        assert_ne!(key("a", "1"), key("a", "2"));
        // The separator keeps ("ab", "1") and ("a", "b1") apart.
        assert_ne!(key("ab", "1"), key("a", "b1"));
    }
}
