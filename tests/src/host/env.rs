//! The temp dir of a test host, which outlives its restarts.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use super::{Config, Host, Suite};

use crate::db::Db;

/// The temp dir of one test's host: config file, data dir, plugin dir and a staging folder for
/// writing plugin files atomically. It outlives restarts of the host.
pub struct Env {
    root: tempfile::TempDir,
    suite: Suite,
    /// The configuration [`Env::start`] writes; a test may change it between restarts.
    pub config: Config,
}

impl Env {
    /// An empty plugin folder and `config`, for a host of `suite` (see [`Suite::env`]).
    pub fn new(suite: Suite, config: Config) -> Self {
        let root = tempfile::Builder::new()
            .prefix("smartreach-hooks-test-")
            .tempdir()
            .unwrap();
        for dir in ["data", "plugins", "staging"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        Self {
            root,
            suite,
            config,
        }
    }

    /// The suite this host belongs to (its binary, its compile cache).
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The configuration file the host starts with: [`Config::to_toml`] with this folder's data
    /// and plugin folders and the suite's shared compile cache (or, with [`Config::own_cache`],
    /// `{data_dir}/cache`).
    pub fn config_toml(&self) -> String {
        let cache = if self.config.own_cache {
            self.data_dir().join("cache")
        } else {
            self.suite.plugin_cache()
        };
        self.config
            .to_toml(&self.data_dir(), &self.plugin_dir(), &cache)
    }

    /// The folder holding everything of this host.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// `data_dir`: the database lives here.
    pub fn data_dir(&self) -> PathBuf {
        self.root().join("data")
    }

    /// `plugin_dir`: the plugins the host loads.
    pub fn plugin_dir(&self) -> PathBuf {
        self.root().join("plugins")
    }

    /// The configuration file, written by [`Env::start`].
    pub fn config_path(&self) -> PathBuf {
        self.root().join("smartreach-hooks.toml")
    }

    /// The host's database.
    pub fn db(&self) -> Db {
        Db {
            path: self.data_dir().join("smartreach-hooks.db"),
        }
    }

    /// Writes `file` into the plugin folder atomically (written beside it, then renamed), so the
    /// host never reads half a file.
    pub fn put_plugin_file(&self, file: &str, bytes: &[u8]) -> PathBuf {
        let staged = self.root().join("staging").join(file);
        std::fs::write(&staged, bytes).unwrap();
        let path = self.plugin_dir().join(file);
        std::fs::rename(&staged, &path).unwrap();
        path
    }

    /// Installs plugin crate `crate_name` as `name.wasm`, with `manifest` as `name.toml` when
    /// given (written first, so the host never sees the new `.wasm` without it). Returns the
    /// SHA-256 of the `.wasm`.
    pub fn install(&self, name: &str, crate_name: &str, manifest: Option<&str>) -> String {
        if let Some(manifest) = manifest {
            self.put_plugin_file(&format!("{name}.toml"), manifest.as_bytes());
        }
        let bytes = crate::plugins::wasm(crate_name);
        self.put_plugin_file(&format!("{name}.wasm"), &bytes);
        crate::sha256_hex(&bytes)
    }

    /// Installs the example event-log (every event, one log line each) with a default manifest.
    pub fn install_event_log(&self) -> String {
        self.install(
            "event-log",
            "event_log",
            Some(&crate::plugins::manifest(None, &[], &[])),
        )
    }

    /// Installs the test plugin `hostile` as `name`, subscribed to `events` (event type names, or
    /// `"*"`), doing `mode` on each (`done`, `fail`, `retry`, `panic`, ...; see its crate's docs).
    pub fn install_hostile(&self, name: &str, events: &[&str], mode: &str) -> String {
        let manifest = crate::plugins::manifest_for(events, None, &[("mode", mode)], &[]);
        self.install(name, "hostile", Some(&manifest))
    }

    /// Installs the example crm-sync, sending to `{capture}/crm`, the one host it may reach.
    pub fn install_crm_sync(&self, capture: &crate::capture::CaptureServer) -> String {
        let manifest = crate::plugins::manifest(
            Some(&capture.host()),
            &[("endpoint", &format!("{}/crm", capture.url()))],
            &[],
        );
        self.install("crm-sync", "crm_sync", Some(&manifest))
    }

    /// Deletes `file` from the plugin folder.
    pub fn remove_plugin_file(&self, file: &str) {
        std::fs::remove_file(self.plugin_dir().join(file)).unwrap();
    }

    /// Writes the configuration file and runs `serve` on this folder to its end, for a start
    /// that must fail; panics, stopping it, when it still runs after `timeout`.
    pub fn serve_until_exit(&self, timeout: Duration) -> Output {
        std::fs::write(self.config_path(), self.config_toml()).unwrap();
        let mut child = self
            .suite
            .command()
            .arg("serve")
            .arg("--config")
            .arg(self.config_path())
            .current_dir(self.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the host");
        let deadline = Instant::now() + timeout;
        while child.try_wait().unwrap().is_none() {
            if Instant::now() >= deadline {
                let _ = child.kill();
                let output = child.wait_with_output().unwrap();
                panic!(
                    "serve still ran after {timeout:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    }

    /// Writes the configuration file and starts a host on this folder; returns once it listens
    /// and none of its plugins is compiling.
    pub fn start(&self) -> Host {
        std::fs::write(self.config_path(), self.config_toml()).unwrap();
        Host::start(self)
    }

    /// Writes the configuration file and starts a host on this folder; returns once it listens,
    /// its plugins possibly still compiling in the background.
    pub fn launch(&self) -> Host {
        std::fs::write(self.config_path(), self.config_toml()).unwrap();
        Host::launch(self)
    }
}
