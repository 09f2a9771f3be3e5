//! The host under load: the temp dir the release `smartreach-hooks` binary runs in, and what
//! `/proc` tells about it while it runs (resident memory, CPU time). The process itself is
//! [`crate::host::Host`].

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use crate::host::toml_string;

/// The token of the one configured source; the load generator posts to `/hooks/smartreach/TOKEN`.
pub const TOKEN: &str = "bench-token-0123456789abcdef";

/// Clock ticks per second of `/proc/PID/stat` times (`USER_HZ`, 100 on every Linux platform).
const TICKS_PER_SECOND: f64 = 100.0;

/// The folder the host runs in: its configuration, data (SQLite file, plugin cache), plugins and
/// log. Removed on drop unless kept.
pub struct HostDir {
    /// The temp dir; `None` once kept.
    dir: Option<tempfile::TempDir>,
    /// Its path, valid after it was kept too.
    path: PathBuf,
}

impl HostDir {
    /// Creates the folder with `event-log.wasm` (from `plugin_build`, the folder holding
    /// `event_log.wasm`) and its manifest as the only plugin, and a configuration that sets only
    /// the listen address (a free loopback port), the folders, one source and, when given, the
    /// store's URL; everything else (without a URL the store too: SQLite in the data folder) stays
    /// on the defaults.
    pub fn create(plugin_build: &Path, manifest: &Path, store_url: Option<&str>) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("smartreach-hooks-bench-")
            .tempdir()
            .context("creating the bench's temp dir")?;
        let path = dir.path().to_owned();
        let plugins = path.join("plugins");
        fs::create_dir_all(&plugins).context("creating the plugin folder")?;
        let wasm = plugin_build.join("event_log.wasm");
        fs::copy(&wasm, plugins.join("event-log.wasm"))
            .with_context(|| format!("copying {}", wasm.display()))?;
        fs::copy(manifest, plugins.join("event-log.toml"))
            .with_context(|| format!("copying {}", manifest.display()))?;
        let mut config = format!(
            "listen = \"127.0.0.1:0\"\n\
             data_dir = {}\n\
             plugin_dir = {}\n\
             \n\
             [[sources]]\n\
             name = \"bench\"\n\
             tokens = [{}]\n",
            toml_string(&path.join("data").to_string_lossy()),
            toml_string(&plugins.to_string_lossy()),
            toml_string(TOKEN),
        );
        if let Some(url) = store_url {
            config.push_str(&format!("\n[store]\nurl = {}\n", toml_string(url)));
        }
        fs::write(path.join("smartreach-hooks.toml"), config)
            .context("writing the host's configuration")?;
        Ok(Self {
            dir: Some(dir),
            path,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The configuration file.
    pub fn config(&self) -> PathBuf {
        self.path.join("smartreach-hooks.toml")
    }

    /// The host's SQLite database (`store.path` on the defaults: `{data_dir}/smartreach-hooks.db`).
    pub fn database(&self) -> PathBuf {
        self.path.join("data").join("smartreach-hooks.db")
    }

    /// Where the host's stderr (its log) goes.
    pub fn log(&self) -> PathBuf {
        self.path.join("host.log")
    }

    /// Keeps the folder after the bench.
    pub fn keep(&mut self) {
        if let Some(dir) = self.dir.take() {
            self.path = dir.keep();
        }
    }
}

/// Peak resident set size of process `pid` so far (`VmHWM`), in bytes.
pub fn peak_rss(pid: u32) -> Result<u64> {
    status_field(pid, "VmHWM:")
}

/// A `kB` field of `/proc/PID/status` (`VmRSS:`, `VmHWM:`), in bytes.
fn status_field(pid: u32, field: &str) -> Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kib| kib * 1024)
        .ok_or_else(|| anyhow!("no {field} in /proc/{pid}/status"))
}

/// User + system CPU time a process has used so far (`/proc/PID/stat`, or `self`).
pub fn cpu_time(pid: Option<u32>) -> Duration {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let Ok(stat) = fs::read_to_string(path) else {
        return Duration::ZERO;
    };
    // The command name, in parentheses, may hold spaces: the fields that follow it start with
    // the state (field 3), so utime (14) and stime (15) are the 12th and 13th after it.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|value| value.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / TICKS_PER_SECOND)
}

/// User + system CPU time the processes `pids` have used so far, together.
pub fn cpu_time_of(pids: &[u32]) -> Duration {
    pids.iter().map(|&pid| cpu_time(Some(pid))).sum()
}

/// Samples each host's `VmRSS` every 100 ms on a thread of its own, keeping the largest of one
/// host per stage.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    stage: Arc<AtomicUsize>,
    peaks: Arc<Mutex<Vec<u64>>>,
    thread: Option<JoinHandle<()>>,
}

impl RssSampler {
    /// How often the sampler reads `/proc/PID/status`.
    const EVERY: Duration = Duration::from_millis(100);

    /// Starts sampling `pids`, with `stages` stages (indices `0..stages`), at stage 0.
    pub fn start(pids: Vec<u32>, stages: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stage = Arc::new(AtomicUsize::new(0));
        let largest = move || {
            pids.iter()
                .filter_map(|&pid| status_field(pid, "VmRSS:").ok())
                .max()
        };
        let mut first = vec![0; stages];
        // One sample now, so that stage 0 has one however soon the next stage starts.
        first[0] = largest().unwrap_or(0);
        let peaks = Arc::new(Mutex::new(first));
        let thread = {
            let (stop, stage, peaks) = (Arc::clone(&stop), Arc::clone(&stage), Arc::clone(&peaks));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(rss) = largest() {
                        let mut peaks = peaks.lock().unwrap_or_else(|poison| poison.into_inner());
                        let index = stage.load(Ordering::Relaxed).min(peaks.len() - 1);
                        peaks[index] = peaks[index].max(rss);
                    }
                    std::thread::sleep(Self::EVERY);
                }
            })
        };
        Self {
            stop,
            stage,
            peaks,
            thread: Some(thread),
        }
    }

    /// Attributes the samples from now on to `stage`.
    pub fn set_stage(&self, stage: usize) {
        self.stage.store(stage, Ordering::Relaxed);
    }

    /// Stops sampling; returns the peak `VmRSS` seen in each stage, in bytes (0: no sample).
    pub fn finish(mut self) -> Vec<u64> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peaks
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }
}
