//! Loading plugins from a folder: `NAME.wasm`, and an optional `NAME.toml` manifest beside it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use smartreach_models::EventType;
use smartreach_plugin_manifest::{Manifest, ManifestError};
use wasmtime::component::Component;

use crate::bindings::PluginPre;
use crate::cache::CacheStatus;
use crate::contract::{CONTRACT_VERSION, Contract, contract_of};
use crate::engine::Runtime;
use crate::invoke::Fault;
use crate::outbound::OutboundPolicy;
use crate::plugin::{Declaration, Limits, Plugin, Subscriptions};
use crate::prepared::{self, PreparedPlugin};

/// A plugin that could not be loaded. Each names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The plugin folder cannot be listed.
    #[error("cannot read the plugin folder {}: {source}", dir.display())]
    ReadDir {
        /// The folder.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The `.wasm` file cannot be read.
    #[error("cannot read plugin {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The manifest beside it is unreadable or invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The file is not a wasm component wasmtime can compile.
    #[error(
        "plugin {} is not a valid wasm component: {message}; build it with \
         `cargo build --release --target wasm32-wasip2`",
        path.display()
    )]
    Compile {
        /// The file.
        path: PathBuf,
        /// wasmtime's error.
        message: String,
    },
    /// The component does not export the plugin contract.
    #[error(
        "{} is not a smartreach-hooks plugin: it exports no `smartreach:plugin/handler` \
         (its exports: {}); build it with smartreach-plugin-sdk",
        path.display(), if exports.is_empty() { "none".to_owned() } else { exports.join(", ") }
    )]
    NotAPlugin {
        /// The file.
        path: PathBuf,
        /// What it exports instead.
        exports: Vec<String>,
    },
    /// The component was built for another contract version.
    #[error(
        "plugin {} was built for contract smartreach:plugin@{plugin_version}, but this host speaks \
         smartreach:plugin@{host_version}; rebuild it with smartreach-plugin-sdk {host_version}",
        path.display()
    )]
    ContractVersion {
        /// The file.
        path: PathBuf,
        /// The version the plugin was built for.
        plugin_version: String,
        /// The version this host speaks.
        host_version: &'static str,
    },
    /// The component imports something the host does not provide.
    #[error("plugin {} cannot be linked: {message}", path.display())]
    Link {
        /// The file.
        path: PathBuf,
        /// wasmtime's error, naming the import.
        message: String,
    },
    /// No thread could be started to read or compile it.
    #[error(
        "cannot start a thread to load plugin {}: {source}; the host is out of threads or \
         memory: raise its limits (`ulimit -u`, the container's pids limit) or free memory",
        path.display()
    )]
    Thread {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Its `declare` export did not return.
    #[error("plugin {} failed while declaring itself: {fault}", path.display())]
    Declare {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        fault: Fault,
    },
    /// What it declared is out of bounds (too many or too long names).
    #[error(
        "plugin {} declares itself out of bounds: {message}; fix its `declare` and rebuild it",
        path.display()
    )]
    Declaration {
        /// The file.
        path: PathBuf,
        /// Which bound, and by how much.
        message: String,
    },
    /// Its configuration is incomplete.
    #[error("plugin {} is not configured: {message}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// Which key, and how to set it.
        message: String,
    },
    /// Its manifest asks for more than the host allows.
    #[error("plugin {} asks for too much: {message}", path.display())]
    Limits {
        /// The file.
        path: PathBuf,
        /// Which limit.
        message: String,
    },
}

/// The result of loading a folder: what loaded, and what did not (the rest still loads).
#[derive(Debug, Default)]
pub struct LoadReport {
    /// The plugins that loaded, sorted by name.
    pub plugins: Vec<Arc<Plugin>>,
    /// One error per file that did not.
    pub errors: Vec<LoadError>,
}

impl Runtime {
    /// Loads every `*.wasm` in `dir`. A broken plugin or manifest is reported and skipped.
    pub async fn load_dir(&self, dir: &Path) -> LoadReport {
        let mut report = LoadReport::default();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(source) => {
                report.errors.push(LoadError::ReadDir {
                    dir: dir.to_owned(),
                    source,
                });
                return report;
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "wasm"))
            .collect();
        files.sort();
        for path in files {
            match self.load_file(&path).await {
                Ok((plugin, _)) => report.plugins.push(Arc::new(plugin)),
                Err(err) => report.errors.push(err),
            }
        }
        report
    }

    /// Loads one plugin, and its manifest `NAME.toml` when there is one.
    pub async fn load_file(&self, path: &Path) -> Result<(Plugin, CacheStatus), LoadError> {
        self.load_file_with(path, &LoadOptions::default()).await
    }

    /// Loads one plugin as [`Runtime::load_file`] does, with its manifest and its environment
    /// taken from `options`.
    pub async fn load_file_with(
        &self,
        path: &Path,
        options: &LoadOptions<'_>,
    ) -> Result<(Plugin, CacheStatus), LoadError> {
        let prepared = self.prepare_load(path, options).await?;
        self.finish_load(prepared, options).await
    }

    /// The second half of a load begun by [`Runtime::prepare_load`]: compiles the component (or
    /// takes it from the compile cache) on a thread of its own, links it, and calls its `declare`.
    /// `options` must be the ones the load was prepared with.
    pub async fn finish_load(
        &self,
        prepared: PreparedPlugin,
        options: &LoadOptions<'_>,
    ) -> Result<(Plugin, CacheStatus), LoadError> {
        let PreparedPlugin {
            path,
            bytes,
            hash,
            manifest,
            manifest_path,
            known_subscriptions: _,
        } = prepared;
        let path = path.as_path();
        let (component, status) = self.compile(path, bytes, &hash).await?;

        match contract_of(&self.engine, &component) {
            Contract::Compatible => {}
            Contract::Incompatible { plugin_version } => {
                return Err(LoadError::ContractVersion {
                    path: path.to_owned(),
                    plugin_version,
                    host_version: CONTRACT_VERSION,
                });
            }
            Contract::Missing { exports } => {
                return Err(LoadError::NotAPlugin {
                    path: path.to_owned(),
                    exports,
                });
            }
        }
        let pre = self
            .linker
            .instantiate_pre(&component)
            .and_then(PluginPre::new)
            .map_err(|err| LoadError::Link {
                path: path.to_owned(),
                message: format!("{err:?}"),
            })?;

        let limits = self.limits(path, &manifest)?;
        let mut plugin = Plugin {
            name: plugin_name(path),
            path: path.to_owned(),
            hash,
            declaration: Declaration {
                event_types: Vec::new(),
                description: String::new(),
                config: Vec::new(),
            },
            subscriptions: Subscriptions::Only(Vec::new()),
            limits,
            config: Arc::default(),
            outbound: OutboundPolicy {
                allowed: manifest.allowed_outbound_hosts.clone().into(),
                timeout: limits.http_timeout,
                max_response_bytes: limits.max_response_bytes,
                mode: self.config.outbound.clone(),
                networks: self.config.allowed_networks.clone().into(),
            },
            pre,
            max_output_bytes: self.config.defaults.max_output_bytes,
            epoch_tick: self.config.epoch_tick,
            fixed_wall_clock: self.config.fixed_wall_clock,
            permits: Arc::new(tokio::sync::Semaphore::new(limits.max_concurrency as usize)),
            _clock: Arc::clone(&self.clock),
        };
        plugin.declaration = declare(&plugin).await?;
        if let Some(cache) = &self.cache {
            // So that the next load of this file knows its subscriptions before compiling it.
            cache.remember_declared_events(&plugin.hash, &plugin.declaration.event_types);
        }
        plugin.config = Arc::new(resolve_config(
            path,
            &manifest_path,
            &plugin.declaration,
            &manifest,
            options.env,
        )?);
        let names = manifest
            .events
            .clone()
            .unwrap_or_else(|| plugin.declaration.event_types.clone());
        plugin.subscriptions = Subscriptions::from_names(&names);
        warn_about(&plugin, &manifest);
        Ok((plugin, status))
    }

    async fn compile(
        &self,
        path: &Path,
        bytes: Vec<u8>,
        hash: &str,
    ) -> Result<(Component, CacheStatus), LoadError> {
        let engine = self.engine.clone();
        let cache = self.cache.clone();
        let hash = hash.to_owned();
        let shown = path.to_owned();
        // Deserialising a cached component maps and checks a file of tens of MB; compiling one
        // takes seconds of CPU: neither is work for an async worker.
        prepared::on_own_thread(path, "compile", move || {
            if let Some(component) = cache.as_ref().and_then(|c| c.load(&engine, &hash)) {
                return Ok((component, CacheStatus::Cached));
            }
            // A pool of its own: wasmtime compiles a component's functions in parallel in the
            // current rayon pool, and in the global one a small plugin's functions would queue
            // behind the thousands of a big component compiling at the same time. With a pool
            // each, the compiles share the cores.
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("plugin-compile-{i}"))
                .build()
                .map_err(|err| LoadError::Thread {
                    path: shown.clone(),
                    source: std::io::Error::other(err),
                })?;
            let component = pool
                .install(|| Component::from_binary(&engine, &bytes))
                .map_err(|err| LoadError::Compile {
                    path: shown,
                    message: one_line(&format!("{err:#}")),
                })?;
            if let Some(cache) = &cache {
                cache.store(&component, &hash);
            }
            Ok((component, CacheStatus::Compiled))
        })
        .await
    }

    fn limits(&self, path: &Path, manifest: &Manifest) -> Result<Limits, LoadError> {
        let defaults = &self.config.defaults;
        let set = &manifest.limits;
        let too_much = |message: String| LoadError::Limits {
            path: path.to_owned(),
            message,
        };
        let memory_bytes = match set.memory_mib {
            None => defaults.memory_bytes,
            Some(mib) => mib.get().saturating_mul(1024 * 1024),
        };
        if memory_bytes > self.config.max_memory_mib * 1024 * 1024 {
            return Err(too_much(format!(
                "limits.memory_mib = {} is over the host's ceiling of {ceiling} MiB; set it to \
                 {ceiling} or less in the manifest",
                set.memory_mib.map_or(0, |mib| mib.get()),
                ceiling = self.config.max_memory_mib
            )));
        }
        let timeout = set
            .timeout_ms
            .map_or(defaults.timeout, |ms| Duration::from_millis(ms.get()));
        if timeout > self.config.max_timeout {
            return Err(too_much(format!(
                "limits.timeout_ms = {} is over the host's ceiling of {ceiling} ms; set it to \
                 {ceiling} or less in the manifest",
                timeout.as_millis(),
                ceiling = self.config.max_timeout.as_millis()
            )));
        }
        Ok(Limits {
            timeout,
            memory_bytes,
            // A request cannot outlive the invocation that made it: the effective HTTP timeout
            // is never above the deadline, and is shown as such.
            http_timeout: set
                .http_timeout_ms
                .map_or(defaults.http_timeout, |ms| Duration::from_millis(ms.get()))
                .min(timeout),
            max_response_bytes: set
                .max_response_bytes
                .unwrap_or(defaults.max_response_bytes),
            max_concurrency: set
                .max_concurrency
                .map_or(defaults.max_concurrency, |n| n.get()),
            rate: set.rate,
        })
    }
}

/// Looks up an environment variable a manifest's `{ env = "VAR" }` names: its value, if set.
pub type EnvLookup<'a> = dyn Fn(&str) -> Option<String> + Send + Sync + 'a;

/// How [`Runtime::load_file_with`] finds what a plugin is loaded with. The default is what the
/// host does: `NAME.toml` beside `NAME.wasm`, and the process's environment.
#[derive(Default)]
pub struct LoadOptions<'a> {
    /// The manifest to read instead of `NAME.toml` beside the plugin (it must exist).
    pub manifest: Option<&'a Path>,
    /// Where `{ env = "VAR" }` values come from instead of the process's environment: the
    /// value of the variable named, if it is set.
    pub env: Option<&'a EnvLookup<'a>>,
}

impl std::fmt::Debug for LoadOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("manifest", &self.manifest)
            .field("env", &self.env.map(|_| "custom"))
            .finish()
    }
}

/// `text` with its line breaks and their indentation folded into single spaces: wasmparser
/// pretty-prints byte lists over several lines, and a load error is one line of a log or a CLI.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `NAME` of `NAME.wasm`.
fn plugin_name(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Calls the plugin's `declare` export in a fresh instance, under its limits.
async fn declare(plugin: &Plugin) -> Result<Declaration, LoadError> {
    let mut store = plugin.new_store();
    let result = plugin
        .with_deadline(async {
            let instance = plugin.pre.instantiate_async(&mut store).await?;
            instance
                .smartreach_plugin_handler()
                .call_declare(&mut store)
                .await
        })
        .await;
    match result {
        Ok(declared) => Declaration::from_wit(declared).map_err(|message| LoadError::Declaration {
            path: plugin.path.clone(),
            message,
        }),
        Err(err) => Err(LoadError::Declare {
            path: plugin.path.clone(),
            fault: plugin.classify(&store, err),
        }),
    }
}

/// Declared defaults, overridden by the manifest; every required key must end up with a value.
fn resolve_config(
    path: &Path,
    manifest_path: &Path,
    declaration: &Declaration,
    manifest: &Manifest,
    env: Option<&EnvLookup<'_>>,
) -> Result<BTreeMap<String, String>, LoadError> {
    let mut values = BTreeMap::new();
    for key in &declaration.config {
        if let Some(default) = &key.default {
            values.insert(key.name.clone(), default.clone());
        }
    }
    for (key, value) in &manifest.config {
        let value = value
            .resolve(key, |var| match env {
                Some(lookup) => lookup(var),
                None => std::env::var(var).ok(),
            })
            .map_err(|err| LoadError::Config {
                path: path.to_owned(),
                message: err.to_string(),
            })?;
        values.insert(key.clone(), value);
    }
    for key in declaration.config.iter().filter(|key| key.required) {
        if !values.contains_key(&key.name) {
            return Err(LoadError::Config {
                path: path.to_owned(),
                message: format!(
                    "required config key `{}` ({}) has no value; set it under [config] in {}",
                    key.name,
                    key.description,
                    manifest_path.display()
                ),
            });
        }
    }
    Ok(values)
}

/// Mistakes that do not stop a plugin from loading, but that its author wants to hear about.
fn warn_about(plugin: &Plugin, manifest: &Manifest) {
    if let Subscriptions::Only(names) = &plugin.subscriptions {
        if names.is_empty() {
            tracing::warn!(plugin = %plugin.name, "plugin subscribes to no event type; it will never run");
        }
        for name in names {
            if let Ok(EventType::Other(other)) = name.parse::<EventType>() {
                tracing::warn!(plugin = %plugin.name, event_type = %other,
                    "plugin subscribes to an event type SmartReach does not document; check the spelling");
            }
        }
    }
    for key in manifest.config.keys() {
        if !plugin
            .declaration
            .config
            .iter()
            .any(|declared| &declared.name == key)
        {
            tracing::warn!(plugin = %plugin.name, key = %key, "manifest sets a config key the plugin does not declare");
        }
    }
}
