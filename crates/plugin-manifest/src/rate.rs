//! `limits.rate`: how many deliveries of a plugin may start per second or per minute, for the
//! upstream API it calls.

use std::num::NonZeroU32;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Deliveries (invocations) of the plugin that may start per `per`, across every host sharing
/// the store, with bursts of up to `burst`: `{ count = 100, per = "minute", burst = 10 }`.
/// Waiting for the limit is not an attempt: it never retries or dead-letters anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// Deliveries that may start per period.
    pub count: NonZeroU32,
    /// The period: `second` or `minute`.
    pub per: RatePeriod,
    /// Deliveries that may start at once after a quiet spell (the bucket's size). Default: what
    /// the rate gives in a quarter of a second (the host's claim rounds come at least every
    /// 250 ms), at least 1, so that the plugin can reach its rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<NonZeroU32>,
}

/// The period of a [`Rate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RatePeriod {
    /// One second.
    Second,
    /// One minute.
    Minute,
}

impl RatePeriod {
    /// Its length.
    pub fn duration(self) -> Duration {
        match self {
            Self::Second => Duration::from_secs(1),
            Self::Minute => Duration::from_secs(60),
        }
    }
}

/// The default burst is the rate over this window: the host's default `delivery.poll_interval`.
pub const DEFAULT_BURST_WINDOW: Duration = Duration::from_millis(250);

impl Rate {
    /// The burst: the manifest's, else what the rate gives in [`DEFAULT_BURST_WINDOW`] (at
    /// least 1). A bucket of one would start one delivery per claim round of the host (every
    /// 250 ms when idle), far below a rate of many per second; the rate over time is the same.
    pub fn burst(&self) -> u32 {
        self.burst.map_or_else(
            || {
                let window = DEFAULT_BURST_WINDOW.as_millis();
                let period = self.per.duration().as_millis();
                let per_window = (u128::from(self.count.get()) * window).div_ceil(period);
                u32::try_from(per_window).unwrap_or(u32::MAX).max(1)
            },
            NonZeroU32::get,
        )
    }
}
