//! Webhook ids: sortable by arrival, unique without coordination.

use smartreach_store::Timestamp;

/// Crockford's base32 alphabet, as ULIDs use it.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A ULID: 48 bits of milliseconds then 80 random bits, 26 characters, so that ids sort by
/// arrival time and event ids (`{webhook_id}:{index}`) stay short.
pub fn webhook_id(received_at: Timestamp) -> String {
    let value = ((received_at as u128 & 0xFFFF_FFFF_FFFF) << 80)
        | (u128::from(fastrand::u64(..)) << 16)
        | u128::from(fastrand::u16(..));
    (0..26)
        .rev()
        .map(|position| ALPHABET[((value >> (position * 5)) & 0x1F) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_differ() {
        let early = webhook_id(1_700_000_000_000);
        let late = webhook_id(1_700_000_000_001);
        assert_eq!(early.len(), 26);
        assert!(early < late);
        assert_ne!(webhook_id(5), webhook_id(5));
        assert!(early.bytes().all(|byte| ALPHABET.contains(&byte)));
    }
}
