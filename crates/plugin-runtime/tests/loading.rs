//! Loading a plugin folder: bare `.wasm` files, manifests, broken files, the contract version and
//! the compile cache.

mod support;

use std::time::Duration;

use smartreach_plugin_runtime::{CacheStatus, LoadError, Outcome, Subscriptions};

#[tokio::test]
async fn a_bare_wasm_runs_on_what_it_declares() {
    let dir = support::PluginDir::new();
    let wasm = dir.add("log-everything", "event_log", None);
    let (plugin, _) = support::runtime().load_file(&wasm).await.unwrap();
    assert_eq!(plugin.name(), "log-everything");
    assert_eq!(plugin.declaration().event_types, ["*"]);
    assert_eq!(plugin.subscriptions(), &Subscriptions::All);
    assert!(plugin.handles("activity.linkedin.connection_accepted"));
    assert_eq!(plugin.content_hash().len(), 64);
}

#[tokio::test]
async fn a_manifest_overrides_the_declared_event_types() {
    let dir = support::PluginDir::new();
    let wasm = dir.add(
        "opens",
        "event_log",
        Some("events = [\"activity.email.opened\"]\n"),
    );
    let (plugin, _) = support::runtime().load_file(&wasm).await.unwrap();
    assert_eq!(
        plugin.subscriptions(),
        &Subscriptions::Only(vec!["activity.email.opened".into()])
    );
    assert!(plugin.handles("activity.email.opened"));
    assert!(!plugin.handles("activity.email.sent"));
}

#[tokio::test]
async fn broken_plugins_are_reported_by_file_and_the_others_still_load() {
    let dir = support::PluginDir::new();
    dir.add("good", "event_log", None);
    dir.write("garbage.wasm", b"this is not wasm");
    // A core module, not a component.
    dir.write("core-module.wasm", b"\0asm\x01\0\0\0");
    dir.add("bad-manifest", "event_log", Some("evnts = [\"*\"]\n"));
    dir.add("old", "old_contract", None);
    dir.add("unconfigured", "slack_replies", Some(""));

    let report = support::runtime().load_dir(dir.path()).await;
    let loaded: Vec<&str> = report.plugins.iter().map(|p| p.name()).collect();
    assert_eq!(loaded, ["good"]);

    let messages: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    let find = |file: &str| {
        messages
            .iter()
            .find(|m| m.contains(file))
            .unwrap_or_else(|| panic!("no error names {file}: {messages:#?}"))
            .clone()
    };
    assert!(find("garbage.wasm").contains("is not a valid wasm component"));
    assert!(find("core-module.wasm").contains("is not a valid wasm component"));
    let manifest = find("bad-manifest.toml");
    assert!(
        manifest.contains("line 1") && manifest.contains("unknown field `evnts`"),
        "{manifest}"
    );
    let old = find("old.wasm");
    assert!(
        old.contains("smartreach:plugin@0.0.9") && old.contains("smartreach:plugin@0.1.0"),
        "{old}"
    );
    let unconfigured = find("unconfigured.wasm");
    assert!(
        unconfigured.contains("required config key `webhook_url`"),
        "{unconfigured}"
    );
    assert_eq!(report.errors.len(), 5, "{messages:#?}");
    assert!(matches!(
        report
            .errors
            .iter()
            .find(|e| e.to_string().contains("old.wasm")),
        Some(LoadError::ContractVersion { .. })
    ));
}

#[tokio::test]
async fn a_memory_cap_over_the_host_ceiling_is_refused() {
    let dir = support::PluginDir::new();
    let wasm = dir.add(
        "greedy",
        "event_log",
        Some("[limits]\nmemory_mib = 100000\n"),
    );
    let err = support::runtime()
        .load_file(&wasm)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("limits.memory_mib = 100000") && err.contains("ceiling"),
        "{err}"
    );
}

/// An HTTP timeout above the deadline is not what the plugin gets: the effective limit, as shown
/// by `check-plugin` and the admin API, is the deadline.
#[tokio::test]
async fn an_http_timeout_above_the_deadline_is_the_deadline() {
    let dir = support::PluginDir::new();
    let wasm = dir.add(
        "patient",
        "event_log",
        Some("[limits]\ntimeout_ms = 1500\nhttp_timeout_ms = 30000\n"),
    );
    let (plugin, _) = support::runtime().load_file(&wasm).await.unwrap();
    assert_eq!(plugin.limits().timeout, Duration::from_millis(1500));
    assert_eq!(plugin.limits().http_timeout, Duration::from_millis(1500));

    let wasm = dir.add(
        "quick",
        "event_log",
        Some("[limits]\ntimeout_ms = 1500\nhttp_timeout_ms = 400\n"),
    );
    let (plugin, _) = support::runtime().load_file(&wasm).await.unwrap();
    assert_eq!(plugin.limits().http_timeout, Duration::from_millis(400));
}

#[tokio::test]
async fn the_compile_cache_serves_a_second_load_and_misses_on_new_content() {
    let cache = tempfile::tempdir().unwrap();
    let runtime =
        smartreach_plugin_runtime::Runtime::new(smartreach_plugin_runtime::RuntimeConfig {
            cache_dir: Some(cache.path().to_owned()),
            max_instances: 4,
            ..Default::default()
        })
        .unwrap();
    let dir = support::PluginDir::new();
    let wasm = dir.add("event-log", "event_log", None);
    let (_, first) = runtime.load_file(&wasm).await.unwrap();
    let (plugin, second) = runtime.load_file(&wasm).await.unwrap();
    assert_eq!(
        (first, second),
        (CacheStatus::Compiled, CacheStatus::Cached)
    );
    // The cached component runs.
    assert_eq!(
        plugin.invoke(&support::any_event()).await.outcome,
        Outcome::Done
    );
    // One compiled entry (beside it, what the component declared, for the next start).
    let compiled = std::fs::read_dir(cache.path())
        .unwrap()
        .filter(|entry| {
            let path = entry.as_ref().unwrap().path();
            path.extension().is_some_and(|ext| ext == "cwasm")
        })
        .count();
    assert_eq!(compiled, 1);

    let other = dir.add("hostile", "hostile", None);
    let (_, status) = runtime.load_file(&other).await.unwrap();
    assert_eq!(status, CacheStatus::Compiled);
}

#[tokio::test]
async fn a_corrupt_cache_entry_is_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    let config = || smartreach_plugin_runtime::RuntimeConfig {
        cache_dir: Some(cache.path().to_owned()),
        max_instances: 4,
        ..Default::default()
    };
    let dir = support::PluginDir::new();
    let wasm = dir.add("event-log", "event_log", None);
    let runtime = smartreach_plugin_runtime::Runtime::new(config()).unwrap();
    runtime.load_file(&wasm).await.unwrap();
    for entry in std::fs::read_dir(cache.path()).unwrap() {
        std::fs::write(entry.unwrap().path(), b"corrupted").unwrap();
    }
    let (plugin, status) = runtime.load_file(&wasm).await.unwrap();
    assert_eq!(status, CacheStatus::Compiled);
    assert_eq!(
        plugin.invoke(&support::any_event()).await.outcome,
        Outcome::Done
    );
}
