//! The plugins of `plugins/`, built for wasm32-wasip2 the one way the xtask and the runtime's tests build them, and
//! the manifests the tests write for them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Builds the plugins workspace the one shared way ([`smartreach_plugin_build::build`], as
/// `cargo xtask plugins` does: `--locked`, into the target folder cargo resolves, which honours
/// `CARGO_TARGET_DIR`), once per test binary, and returns its release folder.
pub fn built_plugins() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let manifest = crate::repo_root().join("plugins/Cargo.toml");
        smartreach_plugin_build::build(&manifest, smartreach_plugin_build::Output::Quiet)
            .unwrap_or_else(|err| panic!("{err}"))
    })
}

/// The TypeScript examples of `plugins/` (`plugins/package.json`), built the one shared way
/// ([`smartreach_plugin_build::js::build`], as `cargo xtask plugins` does: `npm ci` from the
/// committed lockfile when needed, then each example's `npm run build`), once per test binary:
/// each one's name and `.wasm`.
pub fn built_js_plugins() -> &'static [(&'static str, PathBuf)] {
    static BUILT: OnceLock<Vec<(&'static str, PathBuf)>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let plugins = crate::repo_root().join("plugins");
        smartreach_plugin_build::js::build(&plugins, smartreach_plugin_build::Output::Quiet)
            .unwrap_or_else(|err| panic!("{err}"))
    })
}

/// The Python examples of `plugins/`, built the one shared way
/// ([`smartreach_plugin_build::python::build`], as `cargo xtask plugins` does: componentize-py,
/// pinned, installed with pip into a virtualenv under the plugins' target folder when needed),
/// once per test binary: each one's name and `.wasm`.
pub fn built_python_plugins() -> &'static [(&'static str, PathBuf)] {
    static BUILT: OnceLock<Vec<(&'static str, PathBuf)>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let plugins = crate::repo_root().join("plugins");
        smartreach_plugin_build::python::build(&plugins, smartreach_plugin_build::Output::Quiet)
            .unwrap_or_else(|err| panic!("{err}"))
    })
}

/// The built `.wasm` of the TypeScript example `name` (e.g. `contact-upsert`).
pub fn js_wasm_path(name: &str) -> PathBuf {
    find(
        built_js_plugins(),
        name,
        "a TypeScript example of plugins/package.json",
    )
}

/// The built `.wasm` of the Python example `name` (e.g. `lead-score`).
pub fn python_wasm_path(name: &str) -> PathBuf {
    find(
        built_python_plugins(),
        name,
        "a Python example (smartreach_plugin_build::python::EXAMPLES)",
    )
}

fn find(built: &[(&str, PathBuf)], name: &str, what: &str) -> PathBuf {
    let (_, path) = built
        .iter()
        .find(|(built, _)| *built == name)
        .unwrap_or_else(|| panic!("{name} is not {what}"));
    path.clone()
}

/// The built `.wasm` of the plugin crate `crate_name` (e.g. `event_log`).
pub fn wasm_path(crate_name: &str) -> PathBuf {
    let path = built_plugins().join(format!("{crate_name}.wasm"));
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// The bytes of the built plugin crate `crate_name`.
pub fn wasm(crate_name: &str) -> Vec<u8> {
    std::fs::read(wasm_path(crate_name)).unwrap()
}

/// A manifest granting `allowed_host` (`127.0.0.1:PORT`, when given), with `config` values under
/// `[config]` and `limits` under `[limits]`. `timeout_ms` defaults to 10 s: a debug host on a
/// loaded machine must not turn slowness into timeouts.
pub fn manifest(
    allowed_host: Option<&str>,
    config: &[(&str, &str)],
    limits: &[(&str, u64)],
) -> String {
    let mut text = String::new();
    if let Some(host) = allowed_host {
        text.push_str(&format!(
            "allowed_outbound_hosts = [{}]\n",
            toml_string(host)
        ));
    }
    text.push_str("\n[config]\n");
    for (key, value) in config {
        text.push_str(&format!("{key} = {}\n", toml_string(value)));
    }
    text.push_str("\n[limits]\n");
    if !limits.iter().any(|(key, _)| *key == "timeout_ms") {
        text.push_str("timeout_ms = 10000\n");
    }
    for (key, value) in limits {
        text.push_str(&format!("{key} = {value}\n"));
    }
    text
}

/// `value` as a TOML basic string (JSON string escapes are valid TOML ones).
pub fn toml_string(value: &str) -> String {
    serde_json::to_string(value).unwrap()
}

/// [`manifest`] that also replaces the plugin's subscriptions with `events` (the manifest's
/// top-level `events` key: event type names, or `"*"`).
pub fn manifest_for(
    events: &[&str],
    allowed_host: Option<&str>,
    config: &[(&str, &str)],
    limits: &[(&str, u64)],
) -> String {
    let events: Vec<String> = events.iter().map(|event| toml_string(event)).collect();
    format!(
        "events = [{}]\n{}",
        events.join(", "),
        manifest(allowed_host, config, limits)
    )
}
