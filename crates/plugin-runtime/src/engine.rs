//! The [`Runtime`]: one wasmtime engine, one linker, the deadline clock, and the compile cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings;
use crate::cache::CompileCache;
use crate::config::RuntimeConfig;
use crate::limiter::MAX_TABLE_ELEMENTS;
use crate::state::InstanceState;

/// The engine could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the plugin runtime: {message}")]
pub struct RuntimeError {
    message: String,
}

impl RuntimeError {
    fn new(context: &str, err: wasmtime::Error) -> Self {
        Self {
            message: format!("{context}: {err:?}"),
        }
    }
}

/// Loads and runs plugins. Create one per process and share it.
pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<InstanceState>,
    pub(crate) config: RuntimeConfig,
    pub(crate) cache: Option<CompileCache>,
    pub(crate) clock: Arc<EpochTicker>,
}

impl Runtime {
    /// Builds the engine (pooling allocator, epoch interruption, async) and links the host side of
    /// the contract and of WASI once.
    pub fn new(config: RuntimeConfig) -> Result<Self, RuntimeError> {
        let engine = Engine::new(&engine_config(&config))
            .map_err(|err| RuntimeError::new("configuring wasmtime", err))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|err| RuntimeError::new("linking WASI", err))?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(|err| RuntimeError::new("linking wasi:http", err))?;
        bindings::Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .map_err(|err| RuntimeError::new("linking the plugin contract", err))?;
        let cache = config
            .cache_dir
            .clone()
            .map(|dir| CompileCache::open(dir, &engine))
            .transpose()
            .map_err(|message| RuntimeError { message })?;
        let clock =
            EpochTicker::start(engine.clone(), config.epoch_tick).map_err(|err| RuntimeError {
                message: format!("starting the deadline clock thread: {err}"),
            })?;
        let clock = Arc::new(clock);
        Ok(Self {
            engine,
            linker,
            config,
            cache,
            clock,
        })
    }

    /// The configuration the runtime was built with.
    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }
}

/// Bytes of each memory slot kept resident between instances.
const KEEP_RESIDENT_BYTES: usize = 2 * 1024 * 1024;

/// Core instances one component may create. Measured on the examples: a Rust plugin creates a
/// handful, the TypeScript one (componentize-js 0.23) 4, the Python one (componentize-py 0.25)
/// 14: CPython, libc and the WASI adapters are separate modules, and every native extension a
/// Python plugin bundles adds one. Twice that leaves room for extensions without the operator
/// tuning anything; the pool's core-instance limits are counters, not reserved memory.
const CORE_INSTANCES_PER_COMPONENT: u32 = 32;

/// Linear memories one component may define: one in each of the examples of every language
/// (the TypeScript one starts at 9.1 MiB, the Python one at 12.3 MiB, under the 64 MiB default
/// cap); each is a slot of the pool (address space reserved up to the memory ceiling).
const MEMORIES_PER_COMPONENT: u32 = 2;

/// Tables one component may define: two in the TypeScript and the Python examples (the
/// interpreter's function table, 7,690 and 5,762 elements, under [`MAX_TABLE_ELEMENTS`], and
/// the adapters' small one).
const TABLES_PER_COMPONENT: u32 = 4;

fn engine_config(config: &RuntimeConfig) -> Config {
    let instances = config.max_instances;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        .total_core_instances(instances * CORE_INSTANCES_PER_COMPONENT)
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .total_memories(instances * MEMORIES_PER_COMPONENT)
        .max_memories_per_component(MEMORIES_PER_COMPONENT)
        .total_tables(instances * TABLES_PER_COMPONENT)
        .max_tables_per_component(TABLES_PER_COMPONENT)
        .table_elements(MAX_TABLE_ELEMENTS)
        // Reset a freed slot by zeroing only the pages the instance dirtied (PAGEMAP_SCAN, Linux
        // 6.7+; madvise elsewhere), keeping them resident: a fresh instance per event then takes no
        // page faults and no TLB shootdowns for its stack and small heap.
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_BYTES / 16)
        .total_stacks(instances)
        .max_memory_size(
            usize::try_from(config.max_memory_mib * 1024 * 1024).unwrap_or(usize::MAX),
        );

    let mut wasm = Config::new();
    wasm.wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    wasm
}

/// A thread that advances the engine's epoch every tick: the clock of invocation deadlines. The
/// runtime and every plugin hold it; the thread stops when the last of them is dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: Engine, tick: std::time::Duration) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })?;
        Ok(Self { stop })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
