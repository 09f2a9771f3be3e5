//! What a plugin costs in each language, as a release host loads and runs it: the Rust
//! `crm-sync`, the TypeScript `contact-upsert` (componentize-js) and the Python `lead-score`
//! (componentize-py), each with its own manifest and its requests answered `200 {}` in process.
//!
//! - cold compile: a load with an empty compile cache (read, hash, compile, write the cache
//!   entry, link, declare), as a host's first start with the plugin;
//! - cached load: the same load by a fresh runtime on that cache (deserialise instead of
//!   compile), as a restart; the median of 5;
//! - per event: instantiate, handle one event (its HTTP request included), drop, sequentially
//!   over `--events` events (1000) after 20 warm-up runs: median, p99 and max;
//! - of which instantiation: the median of as many instantiations that call nothing
//!   ([`smartreach_plugin_runtime::Plugin::probe`]), to tell the sandbox's share from the guest's.
//!
//! Run by `cargo xtask bench-plugins` (`cargo bench -p smartreach-plugin-runtime --bench
//! languages -- [--events N] [--json FILE]`); prints a Markdown table (the one in README) and
//! writes the numbers as JSON when asked. No criterion: a cold compile of an 18 MB component
//! takes seconds, so a statistical harness would spend minutes per number; the per-event
//! distribution is read directly instead.

#[path = "../tests/support/examples.rs"]
#[allow(dead_code)]
mod examples;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use examples::{Example, examples, fake_upstream};
use smartreach_plugin_runtime::{CacheStatus, Outcome, Runtime, RuntimeConfig};

/// Cached loads measured per language (the median is reported).
const CACHED_LOADS: usize = 5;
/// Invocations run before the measured ones.
const WARM_UP: usize = 20;

/// One language's numbers.
struct Measured {
    example: Example,
    wasm_bytes: u64,
    cold: Duration,
    cached: Duration,
    events: Vec<Duration>,
    instantiations: Vec<Duration>,
}

fn main() {
    let (events, json, only) = parse_args();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut measured = Vec::new();
    for example in examples() {
        if only.as_ref().is_some_and(|name| *name != example.name) {
            continue;
        }
        eprintln!("measuring {} ({})...", example.name, example.language);
        measured.push(tokio.block_on(measure(example, events)));
    }
    println!("{}", table(&measured));
    if let Some(path) = json {
        std::fs::write(&path, json_report(&measured)).unwrap_or_else(|err| {
            panic!("writing {}: {err}", path.display());
        });
        eprintln!("wrote {}", path.display());
    }
}

/// `--events N`, `--json FILE`, `--only PLUGIN` (one example, e.g. to profile it).
fn parse_args() -> (usize, Option<PathBuf>, Option<String>) {
    let mut events = 1000;
    let mut json = None;
    let mut only = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events" => {
                events = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .expect("--events takes a positive count");
            }
            "--json" => json = Some(PathBuf::from(args.next().expect("--json takes a file"))),
            "--only" => only = Some(args.next().expect("--only takes an example's name")),
            // cargo bench passes `--bench`; filters and other harness flags do not apply here.
            _ => {}
        }
    }
    (events, json, only)
}

fn runtime(cache: &std::path::Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_dir: Some(cache.to_owned()),
        outbound: fake_upstream(),
        ..RuntimeConfig::default()
    })
    .unwrap()
}

async fn measure(example: Example, events: usize) -> Measured {
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("cache");
    let wasm_bytes = std::fs::metadata(&example.wasm).unwrap().len();

    let cold_runtime = runtime(&cache_dir);
    let started = Instant::now();
    let (_, status) = example.load(&cold_runtime).await;
    let cold = started.elapsed();
    assert_eq!(status, CacheStatus::Compiled, "{}", example.name);
    drop(cold_runtime);

    let warm_runtime = runtime(&cache_dir);
    let mut loads = Vec::new();
    let mut plugin = None;
    for _ in 0..CACHED_LOADS {
        let started = Instant::now();
        let (loaded, status) = example.load(&warm_runtime).await;
        loads.push(started.elapsed());
        assert_eq!(status, CacheStatus::Cached, "{}", example.name);
        plugin = Some(loaded);
    }
    loads.sort();
    let plugin = plugin.unwrap();

    let event = example.event();
    for _ in 0..WARM_UP {
        let outcome = plugin.invoke(&event).await.outcome;
        assert_eq!(outcome, Outcome::Done, "{}", example.name);
    }
    let mut times = Vec::with_capacity(events);
    for _ in 0..events {
        let started = Instant::now();
        let invocation = plugin.invoke(&event).await;
        times.push(started.elapsed());
        assert_eq!(invocation.outcome, Outcome::Done, "{}", example.name);
    }
    times.sort();
    let mut instantiations = Vec::with_capacity(events);
    for _ in 0..events {
        let started = Instant::now();
        plugin.probe().await.unwrap();
        instantiations.push(started.elapsed());
    }
    instantiations.sort();
    Measured {
        example,
        wasm_bytes,
        cold,
        cached: loads[loads.len() / 2],
        events: times,
        instantiations,
    }
}

/// The value at quantile `q` of sorted `values`.
fn quantile(values: &[Duration], q: f64) -> Duration {
    let index = ((values.len() - 1) as f64 * q).round() as usize;
    values[index]
}

fn ms(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn table(measured: &[Measured]) -> String {
    let mut out = String::from(
        "| Language (example) | .wasm | Cold compile | Cached load | Per event: median | p99 | max | \
         Instantiation alone: median |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for m in measured {
        out.push_str(&format!(
            "| {} (`{}`) | {:.1} MB | {} | {} | {} | {} | {} | {} |\n",
            m.example.language,
            m.example.name,
            m.wasm_bytes as f64 / 1e6,
            ms(m.cold),
            ms(m.cached),
            ms(quantile(&m.events, 0.5)),
            ms(quantile(&m.events, 0.99)),
            ms(*m.events.last().unwrap()),
            ms(quantile(&m.instantiations, 0.5)),
        ));
    }
    out.push_str(&format!(
        "\n{} events per language, {} cached loads (median), release build.",
        measured.first().map_or(0, |m| m.events.len()),
        CACHED_LOADS
    ));
    out
}

fn json_report(measured: &[Measured]) -> String {
    let entries: Vec<serde_json::Value> = measured
        .iter()
        .map(|m| {
            serde_json::json!({
                "plugin": m.example.name,
                "language": m.example.language,
                "wasm_bytes": m.wasm_bytes,
                "cold_compile_ms": m.cold.as_secs_f64() * 1000.0,
                "cached_load_ms": m.cached.as_secs_f64() * 1000.0,
                "events": m.events.len(),
                "event_median_ms": quantile(&m.events, 0.5).as_secs_f64() * 1000.0,
                "event_p99_ms": quantile(&m.events, 0.99).as_secs_f64() * 1000.0,
                "event_max_ms": m.events.last().unwrap().as_secs_f64() * 1000.0,
                "instantiation_median_ms": quantile(&m.instantiations, 0.5).as_secs_f64() * 1000.0,
            })
        })
        .collect();
    serde_json::to_string_pretty(&entries).unwrap()
}
