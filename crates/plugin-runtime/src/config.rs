//! What the runtime is configured with: engine-wide ceilings and per-plugin defaults.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use smartreach_network::Network;

use crate::fake_upstream::FakeUpstream;

/// Engine-wide settings of a [`crate::Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where compiled plugins are kept, keyed by content hash and engine compatibility, so that a
    /// restart loads in milliseconds. `None` compiles on every load. Created with mode 0700 (files
    /// 0600) when missing; [`crate::Runtime::new`] refuses a folder that group or others may write
    /// to, or that another user owns, since its files are loaded as trusted machine code.
    pub cache_dir: Option<PathBuf>,
    /// The most instances alive at once, across all plugins (slots of the pooling allocator).
    pub max_instances: u32,
    /// The largest memory cap a manifest may ask for, in MiB.
    pub max_memory_mib: u64,
    /// The longest deadline a manifest may ask for.
    pub max_timeout: Duration,
    /// How often the deadline clock ticks; deadlines are enforced to within one tick.
    pub epoch_tick: Duration,
    /// Limits of plugins whose manifest does not set them.
    pub defaults: PluginDefaults,
    /// Whether allowed outbound requests are sent, or only recorded (to try a plugin locally).
    pub outbound: OutboundMode,
    /// Networks plugins may reach although they are not public (loopback, private, link-local,
    /// ...): the host's `outbound.allowed_networks`. Empty by default: a plugin allowed to reach a
    /// host name gets no further than the public addresses it resolves to.
    pub allowed_networks: Vec<Network>,
    /// The Unix time every plugin's wall clock reads, instead of the system's: for runs whose
    /// output must not depend on when they ran (`smartreach-hooks test-plugin`). `None` in a host.
    pub fixed_wall_clock: Option<Duration>,
}

/// What happens to an outbound request the plugin's manifest allows. Requests it does not allow
/// are refused in every mode.
#[derive(Debug, Clone, Default)]
pub enum OutboundMode {
    /// Send it: what a host does.
    #[default]
    Send,
    /// Record it, with its path and query, as [`crate::OutboundDecision::NotSent`], and fail it
    /// for the plugin as `connection-refused`: for trying a plugin on an event without touching
    /// the services it calls (`smartreach-hooks check-plugin`).
    RecordOnly,
    /// Record it, with its path and query, as [`crate::OutboundDecision::Faked`], and answer it
    /// with the [`FakeUpstream`], which sees the whole request: for testing a plugin against
    /// scripted answers without any network (`smartreach-hooks test-plugin`).
    Fake(Arc<dyn FakeUpstream>),
}

impl OutboundMode {
    /// Whether requests are recorded with their path and query (every mode but [`Self::Send`]).
    pub(crate) fn keeps_paths(&self) -> bool {
        !matches!(self, Self::Send)
    }
}

/// Limits that apply to a plugin whose manifest does not set them.
#[derive(Debug, Clone, Copy)]
pub struct PluginDefaults {
    /// Wall-clock deadline of one invocation.
    pub timeout: Duration,
    /// Linear-memory cap of one instance, in bytes.
    pub memory_bytes: u64,
    /// Timeout of one outbound HTTP request.
    pub http_timeout: Duration,
    /// Largest outbound response body a plugin may read, in bytes.
    pub max_response_bytes: u64,
    /// Invocations of one plugin that may run at once.
    pub max_concurrency: u32,
    /// What each of the host log, stdout and stderr may cost per invocation: the text of its lines
    /// plus [`crate::LOG_LINE_OVERHEAD_BYTES`] per line, and at most [`crate::MAX_LOG_LINES`]
    /// lines; the rest is dropped and counted in one marker line.
    pub max_output_bytes: usize,
}

impl Default for PluginDefaults {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1),
            memory_bytes: 64 * 1024 * 1024,
            http_timeout: Duration::from_secs(10),
            max_response_bytes: 1024 * 1024,
            max_concurrency: 4,
            max_output_bytes: 16 * 1024,
        }
    }
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            max_instances: 64,
            max_memory_mib: 512,
            max_timeout: Duration::from_secs(60),
            epoch_tick: Duration::from_millis(10),
            defaults: PluginDefaults::default(),
            outbound: OutboundMode::Send,
            allowed_networks: Vec::new(),
            fixed_wall_clock: None,
        }
    }
}
