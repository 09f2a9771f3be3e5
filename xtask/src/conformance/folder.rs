//! The folder the host under test runs in: its configuration (an admin token, one source, the
//! loopback sink allowed), the example plugins with manifests that make every delivery state
//! happen, its data and its log. Removed on drop unless kept.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::host::toml_string;

/// The admin token the run authenticates with.
pub const ADMIN_TOKEN: &str = "conformance-admin-token-0123456789";

/// The ingest token of the one source.
pub const INGEST_TOKEN: &str = "conformance-ingest-token-0123456789";

/// An address the host refuses to connect plugins to (a private network not in
/// `outbound.allowed_networks`): a request to it fails at once, so its delivery is a dead letter.
const DENIED: &str = "10.0.0.1";

/// The plugins loaded from the start, and the one added later to be backfilled.
pub const STARTING_PLUGINS: [&str; 3] = ["event-log", "crm-sync", "suppression"];
/// Added once the events are stored, then backfilled.
pub const LATE_PLUGIN: &str = "slack-replies";

/// The host's folder.
pub struct Folder {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl Folder {
    /// Creates the folder and the configuration; the compiled plugins are cached in `cache`
    /// (kept across runs, so that a run compiles only changed plugins), and `sink` is where
    /// crm-sync's requests go.
    pub fn create(cache: &Path, sink: SocketAddr) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("smartreach-hooks-conformance-")
            .tempdir()
            .context("creating the conformance run's temp dir")?;
        let path = dir.path().to_owned();
        fs::create_dir_all(path.join("plugins")).context("creating the plugin folder")?;
        let config = format!(
            "listen = \"127.0.0.1:0\"\n\
             data_dir = {data}\n\
             plugin_dir = {plugins}\n\
             \n\
             [plugins]\n\
             cache_dir = {cache}\n\
             \n\
             [delivery]\n\
             # The breaker off: crm-sync's deliveries must all wait for their retry.\n\
             breaker_failures = 0\n\
             \n\
             [outbound]\n\
             allowed_networks = [{sink}]\n\
             \n\
             [admin]\n\
             token = {admin}\n\
             \n\
             [[sources]]\n\
             name = \"conformance\"\n\
             tokens = [{ingest}]\n",
            data = toml_string(&path.join("data").to_string_lossy()),
            plugins = toml_string(&path.join("plugins").to_string_lossy()),
            cache = toml_string(&cache.to_string_lossy()),
            sink = toml_string(&format!("{}/32", sink.ip())),
            admin = toml_string(ADMIN_TOKEN),
            ingest = toml_string(INGEST_TOKEN),
        );
        fs::write(path.join("smartreach-hooks.toml"), config)
            .context("writing the host's configuration")?;
        Ok(Self {
            dir: Some(dir),
            path,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The configuration file.
    pub fn config(&self) -> PathBuf {
        self.path.join("smartreach-hooks.toml")
    }

    /// Where the host's stderr (its log) goes.
    pub fn log(&self) -> PathBuf {
        self.path.join("host.log")
    }

    /// Installs plugin `name` from `build` (the folder of the `.wasm` files) with the manifest
    /// of this run: event-log with none (every event done); crm-sync on every event (the
    /// non-prospect ones skipped) against `sink`, which answers 503 (retried); suppression and
    /// slack-replies against a denied address (dead letters). The `.wasm` is copied in under a
    /// temporary name and renamed, so the host never loads half a file.
    pub fn install_plugin(&self, build: &Path, name: &str, sink: SocketAddr) -> Result<()> {
        let manifest = match name {
            "crm-sync" => format!(
                "events = [\"*\"]\n\
                 allowed_outbound_hosts = [{host}]\n\
                 [config]\n\
                 endpoint = {endpoint}\n",
                host = toml_string(&sink.to_string()),
                endpoint = toml_string(&format!("http://{sink}/api")),
            ),
            "suppression" => format!(
                "allowed_outbound_hosts = [{host}]\n\
                 [config]\n\
                 endpoint = {endpoint}\n",
                host = toml_string(DENIED),
                endpoint = toml_string(&format!("http://{DENIED}/v1/suppressions")),
            ),
            "slack-replies" => format!(
                "allowed_outbound_hosts = [{host}]\n\
                 [config]\n\
                 webhook_url = {url}\n",
                host = toml_string(DENIED),
                url = toml_string(&format!("http://{DENIED}/services/conformance")),
            ),
            _ => String::new(),
        };
        let plugins = self.path.join("plugins");
        if !manifest.is_empty() {
            fs::write(plugins.join(format!("{name}.toml")), manifest)
                .with_context(|| format!("writing the manifest of {name}"))?;
        }
        let wasm = build.join(format!("{}.wasm", name.replace('-', "_")));
        let partial = plugins.join(format!(".{name}.wasm"));
        fs::copy(&wasm, &partial).with_context(|| format!("copying {}", wasm.display()))?;
        fs::rename(&partial, plugins.join(format!("{name}.wasm")))
            .with_context(|| format!("installing {name}.wasm"))?;
        Ok(())
    }

    /// Keeps the folder after the run (to read the host's log and database), and returns it.
    pub fn keep(&mut self) -> &Path {
        if let Some(dir) = self.dir.take() {
            self.path = dir.keep();
        }
        &self.path
    }
}
