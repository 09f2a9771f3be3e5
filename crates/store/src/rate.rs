//! The shared budget of a rate-limited plugin's claims: a token bucket kept in the store (in
//! `plugin_controls`), so that every host claiming from the store spends the same budget.

use crate::Timestamp;

/// A limit on how many deliveries of one plugin may be claimed: `count` per `period_ms`, in bursts
/// of up to `burst` (the bucket holds at most `burst` tokens, a claimed delivery spends one, and
/// `count` come back per period, evenly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimRate {
    /// Deliveries per period.
    pub count: u32,
    /// The period, in milliseconds.
    pub period_ms: i64,
    /// The most that may be claimed at once after a quiet spell.
    pub burst: u32,
}

impl ClaimRate {
    /// The tokens in a bucket that held `stored` (`None`: never used, full) at `stored_at`, at
    /// `now`. A `now` before `stored_at` (another host's clock ahead of this one) refills nothing.
    pub(crate) fn tokens(&self, stored: Option<(f64, Timestamp)>, now: Timestamp) -> f64 {
        let burst = f64::from(self.burst.max(1));
        match stored {
            None => burst,
            Some((tokens, at)) => {
                let elapsed = (now - at).max(0) as f64;
                let per_ms = f64::from(self.count) / self.period_ms.max(1) as f64;
                (tokens + elapsed * per_ms).min(burst)
            }
        }
    }

    /// How many of `wanted` deliveries the bucket allows now.
    pub(crate) fn allowed(tokens: f64, wanted: u32) -> u32 {
        // A token spent is one delivery; a fraction waits for the rest of its token.
        let whole = tokens.max(0.0).floor();
        if whole >= f64::from(wanted) {
            wanted
        } else {
            whole as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE_PER_SECOND: ClaimRate = ClaimRate {
        count: 5,
        period_ms: 1000,
        burst: 2,
    };

    #[test]
    fn a_new_bucket_is_full_and_refills_at_the_rate_up_to_the_burst() {
        assert_eq!(FIVE_PER_SECOND.tokens(None, 0), 2.0);
        assert_eq!(FIVE_PER_SECOND.tokens(Some((0.0, 1000)), 1100), 0.5);
        assert_eq!(
            FIVE_PER_SECOND.tokens(Some((0.0, 1000)), 1400),
            2.0,
            "capped"
        );
        assert_eq!(
            FIVE_PER_SECOND.tokens(Some((1.0, 1000)), 900),
            1.0,
            "a clock behind refills nothing"
        );
    }

    #[test]
    fn only_whole_tokens_are_spent() {
        assert_eq!(ClaimRate::allowed(0.99, 10), 0);
        assert_eq!(ClaimRate::allowed(2.5, 10), 2);
        assert_eq!(ClaimRate::allowed(2.5, 1), 1);
        assert_eq!(ClaimRate::allowed(-1.0, 1), 0);
    }
}
