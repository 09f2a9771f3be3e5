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
    /// Deliveries that may start at once after a quiet spell (the bucket's size). Default 1, so
    /// that starts are spread evenly.
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

impl Rate {
    /// The burst, default 1.
    pub fn burst(&self) -> u32 {
        self.burst.map_or(1, NonZeroU32::get)
    }
}
