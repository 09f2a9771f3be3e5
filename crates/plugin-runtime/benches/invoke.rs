//! Per-event cost of the sandbox, measured with criterion (`cargo bench -p smartreach-plugin-runtime`).
//!
//! - `sandboxed_event`: instantiate + call + drop of the `event-log` plugin on a ~1.5 KB event;
//! - `instantiate_only`: a fresh instance, dropped without a call;
//! - `native_event`: the same work as `event-log` (decode the JSON into the typed models, format the
//!   line) run natively, the floor the sandbox is compared with;
//! - `cold_compile` and `cached_load`: loading the plugin without and with the compile cache.
//!
//! Builds the plugins first when they are not up to date.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use smartreach_models::{DataItem, Metadata};
use smartreach_plugin_runtime::{Outcome, PluginEvent, Runtime, RuntimeConfig};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn event_log_wasm() -> PathBuf {
    // Built the one shared way (as `cargo xtask plugins` and the tests build it).
    let release = smartreach_plugin_build::build(
        &root().join("plugins/Cargo.toml"),
        smartreach_plugin_build::Output::Quiet,
    )
    .unwrap_or_else(|err| panic!("{err}"));
    release.join("event_log.wasm")
}

fn replied_event() -> PluginEvent {
    let body =
        std::fs::read(root().join("tests/fixtures/events/activity.email.replied.json")).unwrap();
    let payload = smartreach_models::parse(&body).unwrap();
    PluginEvent::from_payload("bench", &payload).remove(0)
}

/// What `event-log` does, natively: decode, then format one line.
fn native_event_log(event: &PluginEvent) -> String {
    let metadata: Metadata = serde_json::from_str(&event.metadata).unwrap();
    let item: DataItem = serde_json::from_str(&event.item).unwrap();
    let campaign = item
        .activity
        .as_ref()
        .and_then(|a| a.campaign_name.as_deref())
        .unwrap_or("-");
    format!(
        "event={} id={} prospect_id={} email={} campaign={:?} attempt={}",
        metadata.event_type,
        event.id,
        item.prospect.prospect_id,
        item.prospect.email.as_deref().unwrap_or("-"),
        campaign,
        event.attempt
    )
}

fn runtime(cache_dir: Option<PathBuf>) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_dir,
        ..RuntimeConfig::default()
    })
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let wasm = event_log_wasm();
    let event = replied_event();
    eprintln!(
        "event: metadata {} B + item {} B; event-log.wasm {} KiB",
        event.metadata.len(),
        event.item.len(),
        std::fs::metadata(&wasm).unwrap().len() / 1024
    );
    let runtime = runtime(None);
    let plugin = tokio.block_on(runtime.load_file(&wasm)).unwrap().0;
    assert_eq!(tokio.block_on(plugin.invoke(&event)).outcome, Outcome::Done);

    c.bench_function("sandboxed_event", |b| {
        b.to_async(&tokio)
            .iter(|| async { plugin.invoke(&event).await })
    });
    c.bench_function("instantiate_only", |b| {
        b.to_async(&tokio)
            .iter(|| async { plugin.probe().await.unwrap() })
    });
    c.bench_function("native_event", |b| {
        b.iter(|| native_event_log(std::hint::black_box(&event)))
    });

    let mut loads = c.benchmark_group("load");
    loads
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    loads.bench_function("cold_compile", |b| {
        b.to_async(&tokio)
            .iter(|| async { runtime.load_file(&wasm).await.unwrap() })
    });
    let cache = tempfile::tempdir().unwrap();
    let cached = runtime_with_warm_cache(&tokio, cache.path(), &wasm);
    loads.bench_function("cached_load", |b| {
        b.to_async(&tokio)
            .iter(|| async { cached.load_file(&wasm).await.unwrap() })
    });
    loads.finish();
}

fn runtime_with_warm_cache(tokio: &tokio::runtime::Runtime, dir: &Path, wasm: &Path) -> Runtime {
    let runtime = runtime(Some(dir.to_owned()));
    tokio.block_on(runtime.load_file(wasm)).unwrap();
    runtime
}

criterion_group!(benches, bench);
criterion_main!(benches);
