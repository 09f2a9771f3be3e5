//! The data of one instance's store: its WASI context (which grants nothing), its HTTP hooks, its
//! memory limiter, and what it logged.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::smartreach::plugin::{host, types};
use crate::limiter::MemoryLimiter;
use crate::logs::{HostLog, LogLevel, LogLine, LogSource};
use crate::outbound::{OutboundHooks, OutboundPolicy, OutboundRequest};
use crate::output::CapturedOutput;

/// Resource handles one instance may hold at once.
const MAX_RESOURCES: usize = 2_000;
/// Bytes of headers (in memory) of one `wasi:http` fields resource.
const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Store data of one instance.
pub(crate) struct InstanceState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: OutboundHooks,
    pub(crate) limiter: MemoryLimiter,
    log: HostLog,
    stdout: CapturedOutput,
    stderr: CapturedOutput,
    config: Arc<BTreeMap<String, String>>,
}

impl InstanceState {
    pub(crate) fn new(
        config: Arc<BTreeMap<String, String>>,
        outbound: OutboundPolicy,
        memory_bytes: u64,
        max_output_bytes: usize,
        fixed_wall_clock: Option<Duration>,
    ) -> Self {
        let stdout = CapturedOutput::new(max_output_bytes);
        let stderr = CapturedOutput::new(max_output_bytes);
        // No preopened directories, no environment, no arguments, closed stdin; sockets and name
        // lookup refused. Outbound HTTP goes through wasi:http and `OutboundHooks` only.
        let mut wasi = WasiCtx::builder();
        wasi.stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }));
        if let Some(now) = fixed_wall_clock {
            wasi.wall_clock(FixedWallClock(now));
        }
        let wasi = wasi.build();
        // Host-side memory a plugin can make the host allocate: bounded resource handles (fields,
        // requests, streams) and header sizes.
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_RESOURCES);
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(MAX_HEADER_BYTES);
        Self {
            wasi,
            http,
            table,
            // Outgoing bodies may hold, in host memory, as much as the instance's own memory cap.
            hooks: OutboundHooks::new(outbound)
                .with_body_budget(usize::try_from(memory_bytes).unwrap_or(usize::MAX)),
            limiter: MemoryLimiter::new(memory_bytes),
            log: HostLog::new(max_output_bytes),
            stdout,
            stderr,
            config,
        }
    }

    /// Everything the instance logged: host log lines first, then stdout, then stderr.
    pub(crate) fn take_output(&mut self) -> (Vec<LogLine>, Vec<OutboundRequest>) {
        let mut lines = std::mem::take(&mut self.log).into_lines();
        lines.extend(self.stdout.to_lines(LogLevel::Info, LogSource::Stdout));
        lines.extend(self.stderr.to_lines(LogLevel::Warn, LogSource::Stderr));
        (lines, self.hooks.take_requests())
    }
}

/// A wall clock that always reads the same Unix time.
struct FixedWallClock(Duration);

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        self.0
    }
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

impl types::Host for InstanceState {}

impl host::Host for InstanceState {
    fn log(&mut self, level: types::Level, message: String) {
        self.log.push(LogLevel::from_wit(level), message);
    }

    fn config(&mut self, name: String) -> Option<String> {
        self.config.get(&name).cloned()
    }
}
