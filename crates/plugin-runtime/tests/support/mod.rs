//! Shared by the runtime's tests: the plugins built from `plugins/`, a runtime, fixtures, and a
//! local HTTP server that records what plugins send.

#![allow(dead_code)] // each test binary uses its own part

pub mod capture;
pub mod examples;

use std::path::{Path, PathBuf};
use std::time::Duration;

use smartreach_plugin_runtime::{Network, PluginEvent, Runtime, RuntimeConfig};

// The plugins built the one shared way (`smartreach_plugin_build`), as the black-box suites
// and `cargo xtask plugins` build them.
pub use smartreach_hooks_tests::plugins::wasm_path as plugin_wasm;

/// A plugin folder for one test.
pub struct PluginDir {
    pub dir: tempfile::TempDir,
}

impl PluginDir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Copies the plugin crate `crate_name` in as `name.wasm`, with `manifest` as `name.toml`
    /// when given. Returns the `.wasm` path.
    pub fn add(&self, name: &str, crate_name: &str, manifest: Option<&str>) -> PathBuf {
        let wasm = self.dir.path().join(format!("{name}.wasm"));
        std::fs::copy(plugin_wasm(crate_name), &wasm).unwrap();
        if let Some(manifest) = manifest {
            std::fs::write(self.dir.path().join(format!("{name}.toml")), manifest).unwrap();
        }
        wasm
    }

    /// Writes an arbitrary file into the folder.
    pub fn write(&self, file: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(file);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A runtime sized for tests, sharing one compile cache per test run. It lets plugins reach
/// loopback (`allowed_networks`), where the tests' [`capture::CaptureServer`] listens; a host
/// refuses loopback unless its operator allows it.
pub fn runtime() -> Runtime {
    runtime_with(RuntimeConfig {
        allowed_networks: Network::LOOPBACK.to_vec(),
        ..RuntimeConfig::default()
    })
}

/// A runtime sized for tests, sharing one compile cache per test run, with `config`'s outbound
/// settings.
pub fn runtime_with(config: RuntimeConfig) -> Runtime {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache");
    // The runtime refuses a cache folder group or others may write to (a umask of 002 would
    // make one).
    std::fs::create_dir_all(&cache).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    Runtime::new(RuntimeConfig {
        cache_dir: Some(cache),
        max_instances: 8,
        epoch_tick: Duration::from_millis(5),
        ..config
    })
    .unwrap()
}

/// The events of a fixture file under `tests/fixtures/`, e.g. `events/prospect.created.json`.
pub fn fixture_events(relative: &str) -> Vec<PluginEvent> {
    let payload = smartreach_models::parse(&smartreach_hooks_tests::fixture(relative))
        .unwrap_or_else(|err| panic!("fixture {relative}: {err}"));
    let stem = Path::new(relative)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    PluginEvent::from_payload(&format!("wh-{stem}"), &payload)
}

/// Every documented event fixture, by event type name.
pub fn documented_fixtures() -> Vec<(String, Vec<PluginEvent>)> {
    smartreach_models::DocumentedEventType::ALL
        .iter()
        .map(|ty| {
            (
                ty.as_str().to_owned(),
                fixture_events(&format!("events/{}.json", ty.as_str())),
            )
        })
        .collect()
}

/// A minimal event for hostile-plugin tests.
pub fn any_event() -> PluginEvent {
    fixture_events("events/prospect.created.json").remove(0)
}
