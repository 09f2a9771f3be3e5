//! Per-plugin resource limits.

use std::num::{NonZeroU32, NonZeroU64};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Resource limits of one plugin. Unset values take the host's defaults; zero is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Wall-clock deadline of one invocation, in milliseconds, outbound HTTP included. Default 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<NonZeroU64>,

    /// Linear memory cap of one instance, in MiB. Default 64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<NonZeroU64>,

    /// Timeout of one outbound HTTP request, in milliseconds (never beyond the invocation's
    /// deadline). Default 10000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_timeout_ms: Option<NonZeroU64>,

    /// Largest outbound HTTP response body the plugin may read, in bytes. Default 1048576 (1 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_response_bytes: Option<u64>,

    /// How many invocations of this plugin may run at once. Default 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<NonZeroU32>,

    /// Deliveries that may start per second or minute, across every host sharing the store, e.g.
    /// `{ count = 100, per = "minute", burst = 10 }`. Default: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<crate::Rate>,
}
