//! The example plugins of each language, built the one shared way (`smartreach_plugin_build`,
//! as `cargo xtask plugins` builds them: a missing toolchain fails the build, it is never
//! skipped) and loaded as a host loads them: with their own manifests, placeholder secrets, and
//! their requests answered `200 {}` by a fake upstream, so nothing leaves the machine.
//!
//! Shared by the runtime's tests (`tests/big_components.rs`) and its bench of every language
//! (`benches/languages.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use smartreach_plugin_build::Output;
use smartreach_plugin_runtime::{
    CacheStatus, FakeRequest, FakeResponse, FakeUpstream, LoadOptions, OutboundMode, Plugin,
    PluginEvent, Runtime,
};

/// One example plugin.
#[derive(Debug, Clone)]
pub struct Example {
    /// Its folder under `plugins/`.
    pub name: &'static str,
    /// What it is written in.
    pub language: &'static str,
    /// The built component.
    pub wasm: PathBuf,
    /// An event fixture (under `tests/fixtures/events/`) it subscribes to and handles.
    pub event: &'static str,
}

impl Example {
    /// Its manifest, `plugins/NAME/manifest.toml`.
    pub fn manifest(&self) -> PathBuf {
        repo_root()
            .join("plugins")
            .join(self.name)
            .join("manifest.toml")
    }

    /// The first event of its fixture.
    pub fn event(&self) -> PluginEvent {
        let path = repo_root()
            .join("tests/fixtures/events")
            .join(format!("{}.json", self.event));
        let body = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let payload = smartreach_models::parse(&body).unwrap();
        PluginEvent::from_payload("wh-example", &payload).remove(0)
    }

    /// Loads it in `runtime` with its manifest, every `{ env = ... }` secret a placeholder.
    pub async fn load(&self, runtime: &Runtime) -> (Plugin, CacheStatus) {
        let manifest = self.manifest();
        let placeholder = |_: &str| Some("placeholder-secret".to_owned());
        let options = LoadOptions {
            manifest: Some(&manifest),
            env: Some(&placeholder),
        };
        runtime
            .load_file_with(&self.wasm, &options)
            .await
            .unwrap_or_else(|err| panic!("loading {}: {err}", self.name))
    }
}

/// The Rust `crm-sync` (an HTTP upsert, like the TypeScript one), the TypeScript
/// `contact-upsert` and the Python `lead-score`, built.
pub fn examples() -> Vec<Example> {
    let plugins = repo_root().join("plugins");
    let rust = smartreach_plugin_build::build(&plugins.join("Cargo.toml"), Output::Quiet)
        .unwrap_or_else(|err| panic!("{err}"));
    let js = smartreach_plugin_build::js::build(&plugins, Output::Quiet)
        .unwrap_or_else(|err| panic!("{err}"));
    let python = smartreach_plugin_build::python::build(&plugins, Output::Quiet)
        .unwrap_or_else(|err| panic!("{err}"));
    let built = |list: &[(&'static str, PathBuf)], name: &str| {
        list.iter()
            .find(|(built, _)| *built == name)
            .map(|(_, path)| path.clone())
            .unwrap_or_else(|| panic!("{name} was not built"))
    };
    vec![
        Example {
            name: "crm-sync",
            language: "Rust",
            wasm: rust.join("crm_sync.wasm"),
            event: "prospect.created",
        },
        Example {
            name: "contact-upsert",
            language: "TypeScript",
            wasm: built(&js, "contact-upsert"),
            event: "prospect.created",
        },
        Example {
            name: "lead-score",
            language: "Python",
            wasm: built(&python, "lead-score"),
            event: "activity.email.replied",
        },
    ]
}

/// Answers every request `200 {}`, as the examples' snapshots do.
#[derive(Debug)]
pub struct Ok200;

impl FakeUpstream for Ok200 {
    fn answer(&self, _request: FakeRequest) -> FakeResponse {
        FakeResponse {
            status: 200,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: b"{}".to_vec(),
        }
    }
}

/// The outbound mode of the examples' runs: [`Ok200`].
pub fn fake_upstream() -> OutboundMode {
    OutboundMode::Fake(Arc::new(Ok200))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
