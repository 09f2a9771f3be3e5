//! Per-event cost of a sandboxed plugin invocation against the same work done natively: the
//! criterion bench `crates/plugin-runtime/benches/invoke.rs`, run in quick mode on the three
//! per-event benchmarks, and its estimates read back from `criterion/*/new/estimates.json`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

use super::cargo;

/// The per-event benchmarks of `invoke.rs` (its `load` group, compiling plugins, is left out).
pub const BENCHMARKS: [&str; 3] = ["sandboxed_event", "instantiate_only", "native_event"];

/// Arguments of `cargo bench` selecting the bench target.
const BENCH: [&str; 5] = [
    "bench",
    "--package",
    "smartreach-plugin-runtime",
    "--bench",
    "invoke",
];

/// One benchmark's estimate.
#[derive(Debug, Clone)]
pub struct Estimate {
    /// Its name.
    pub name: &'static str,
    /// Mean time per iteration, ns.
    pub mean_ns: f64,
    /// Lower and upper bound of the mean's 95% confidence interval, ns.
    pub interval_ns: (f64, f64),
}

/// Builds the bench without running it, so that running it later measures only.
pub fn build() -> Result<()> {
    let mut args = BENCH.to_vec();
    args.push("--no-run");
    cargo(&args)
}

/// Runs the three per-event benchmarks in criterion's quick mode and reads their estimates.
pub fn run(target_dir: &Path) -> Result<Vec<Estimate>> {
    let started = SystemTime::now();
    let filter = format!("^({})$", BENCHMARKS.join("|"));
    let mut args = BENCH.to_vec();
    args.extend(["--", "--quick", &filter]);
    cargo(&args)?;
    BENCHMARKS
        .iter()
        .map(|name| read_estimate(&estimates_path(target_dir, name), name, started))
        .collect()
}

/// Where criterion writes the estimates of benchmark `name`.
fn estimates_path(target_dir: &Path, name: &str) -> PathBuf {
    target_dir
        .join("criterion")
        .join(name)
        .join("new")
        .join("estimates.json")
}

/// Reads the mean of one benchmark, refusing a file older than this run.
fn read_estimate(path: &Path, name: &'static str, not_before: SystemTime) -> Result<Estimate> {
    let modified = std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .with_context(|| format!("{} (did criterion run `{name}`?)", path.display()))?;
    if modified < not_before {
        bail!("{} was not rewritten by this run", path.display());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let mean = &json["mean"];
    let number = |value: &serde_json::Value| {
        value
            .as_f64()
            .with_context(|| format!("a number at mean in {}", path.display()))
    };
    Ok(Estimate {
        name,
        mean_ns: number(&mean["point_estimate"])?,
        interval_ns: (
            number(&mean["confidence_interval"]["lower_bound"])?,
            number(&mean["confidence_interval"]["upper_bound"])?,
        ),
    })
}
