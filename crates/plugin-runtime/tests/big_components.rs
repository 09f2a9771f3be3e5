//! The pooling allocator's defaults fit the big components: the TypeScript example
//! (componentize-js, ~12 MB, StarlingMonkey inside) and the Python one (componentize-py, ~18 MB,
//! CPython inside) load and run on `RuntimeConfig::default()` as a host runs them (the host
//! changes only the cache folder, the outbound networks and `plugins.max_instances`, 64 by
//! default like the runtime's), with no setting tuned for them: memory, tables, core instances,
//! memories and tables per component, and the pool's total slots, with both plugins running
//! their default concurrency at once.
//!
//! Needs the built examples: their toolchains come from npm and PyPI (see `plugins/README.md`);
//! a missing one fails this test, as `cargo xtask test` fails, never skips it.

mod support;

use std::sync::Arc;

use smartreach_plugin_runtime::{Outcome, Runtime, RuntimeConfig};
use support::examples::{examples, fake_upstream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_pool_loads_and_runs_the_typescript_and_python_examples_at_full_concurrency() {
    let cache = tempfile::tempdir().unwrap();
    let defaults = RuntimeConfig::default();
    let runtime = Runtime::new(RuntimeConfig {
        cache_dir: Some(cache.path().join("cache")),
        outbound: fake_upstream(),
        ..RuntimeConfig::default()
    })
    .unwrap();
    let big: Vec<_> = examples()
        .into_iter()
        .filter(|example| example.language != "Rust")
        .collect();
    assert_eq!(big.len(), 2, "the TypeScript and the Python example");

    let mut runs = Vec::new();
    for example in &big {
        let size = std::fs::metadata(&example.wasm).unwrap().len();
        assert!(
            size > 8 * 1024 * 1024,
            "{} is {size} bytes: not the big component this test is about",
            example.name
        );
        let (plugin, _) = example.load(&runtime).await;
        assert_eq!(
            plugin.limits().memory_bytes,
            defaults.defaults.memory_bytes,
            "{}: its manifest leaves the memory cap at the default",
            example.name
        );
        let plugin = Arc::new(plugin);
        let event = Arc::new(example.event());
        // As many instances at once as the plugin may run, both plugins together.
        for _ in 0..plugin.limits().max_concurrency {
            let plugin = Arc::clone(&plugin);
            let event = Arc::clone(&event);
            let name = example.name;
            runs.push(tokio::spawn(
                async move { (name, plugin.invoke(&event).await) },
            ));
        }
    }
    for run in runs {
        let (name, invocation) = run.await.unwrap();
        assert_eq!(
            invocation.outcome,
            Outcome::Done,
            "{name} on the default pool: {:?}\nlogs: {:?}",
            invocation.outcome,
            invocation.logs
        );
    }

    // A second runtime on the same cache loads them from it, as a restart does.
    let restarted = Runtime::new(RuntimeConfig {
        cache_dir: Some(cache.path().join("cache")),
        outbound: fake_upstream(),
        ..RuntimeConfig::default()
    })
    .unwrap();
    for example in &big {
        let (plugin, status) = example.load(&restarted).await;
        assert_eq!(
            status,
            smartreach_plugin_runtime::CacheStatus::Cached,
            "{}",
            example.name
        );
        let invocation = plugin.invoke(&example.event()).await;
        assert_eq!(invocation.outcome, Outcome::Done, "{}", example.name);
    }
}
