//! The temp dir of a test host, which outlives its restarts.

use std::path::{Path, PathBuf};

use super::{Config, Host};

use crate::support::db::Db;

/// The temp dir of one test's host: config file, data dir, plugin dir and a staging folder for
/// writing plugin files atomically. It outlives restarts of the host.
pub struct Env {
    root: tempfile::TempDir,
    pub config: Config,
}

impl Env {
    /// An empty plugin folder and the default configuration.
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// An empty plugin folder and `config`.
    pub fn with_config(config: Config) -> Self {
        let root = tempfile::Builder::new()
            .prefix("smartreach-hooks-test-")
            .tempdir()
            .unwrap();
        for dir in ["data", "plugins", "staging"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        Self { root, config }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root().join("data")
    }

    pub fn plugin_dir(&self) -> PathBuf {
        self.root().join("plugins")
    }

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
        let bytes = crate::support::plugins::wasm(crate_name);
        self.put_plugin_file(&format!("{name}.wasm"), &bytes);
        crate::support::sha256_hex(&bytes)
    }

    /// Installs the example crm-sync, sending to `{capture}/crm`, the one host it may reach.
    pub fn install_crm_sync(&self, capture: &crate::support::capture::CaptureServer) -> String {
        let manifest = crate::support::plugins::manifest(
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

    /// Writes the configuration file and starts a host on this folder.
    pub fn start(&self) -> Host {
        std::fs::write(
            self.config_path(),
            self.config.to_toml(&self.data_dir(), &self.plugin_dir()),
        )
        .unwrap();
        Host::start(self)
    }
}
