//! The host under load: the release `smartreach-hooks` binary as a child process, started on a
//! temp dir of its own, and what `/proc` tells about it while it runs (resident memory, CPU time).

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

/// The token of the one configured source; the load generator posts to `/hooks/smartreach/TOKEN`.
pub const TOKEN: &str = "bench-token-0123456789abcdef";

/// The line the host prints on stdout once it listens; the address follows it.
const LISTENING: &str = "smartreach-hooks listening on http://";

/// How long a start may take: the first start compiles the plugin.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// How long the host may take to exit after SIGTERM (its default grace period is 30 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

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
    /// the listen address (a free loopback port), the folders and one source; everything else,
    /// the store included, stays on the defaults.
    pub fn create(plugin_build: &Path, manifest: &Path) -> Result<Self> {
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
        let config = format!(
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

/// A TOML basic string holding `value`.
fn toml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The running host process.
pub struct Host {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id.
    pub pid: u32,
    /// How long it took from spawn to the listening line.
    pub started_in: Duration,
    stopped: bool,
}

/// How the host ended after SIGTERM.
pub struct Stopped {
    /// Its exit status.
    pub status: ExitStatus,
    /// How long it took to exit after the signal (or until it was killed).
    pub took: Duration,
    /// Whether it was still running [`STOP_TIMEOUT`] after SIGTERM, and so was killed.
    pub killed: bool,
}

impl Host {
    /// Starts `binary serve --config FILE` in `dir` with no `SMARTREACH_HOOKS_*` variable in its
    /// environment (the host reads them as configuration and refuses unknown ones), its log in
    /// the folder's `host.log`, and returns once it printed the address it listens on.
    pub fn start(binary: &Path, dir: &HostDir) -> Result<Self> {
        let mut command = Command::new(binary);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SMARTREACH_HOOKS_") {
                command.env_remove(name);
            }
        }
        let log = File::create(dir.log()).context("creating the host's log file")?;
        let started = Instant::now();
        let mut child = command
            .arg("serve")
            .arg("--config")
            .arg(dir.config())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("the host's stdout")?;
        let (address_tx, address_rx) = mpsc::channel();
        // Reads stdout to its end, so that the host never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.trim().strip_prefix(LISTENING) {
                    let _ = address_tx.send(rest.trim_end_matches('/').to_owned());
                }
            }
        });
        let pid = child.id();
        let address = match address_rx.recv_timeout(START_TIMEOUT) {
            Ok(address) => address,
            Err(err) => {
                let _ = child.kill();
                let status = child.wait();
                bail!(
                    "the host did not print `{LISTENING}...` ({err}; {status:?}); see {}",
                    dir.log().display()
                );
            }
        };
        let addr = address
            .parse()
            .with_context(|| format!("the address in the listening line: {address:?}"))?;
        Ok(Self {
            child,
            addr,
            pid,
            started_in: started.elapsed(),
            stopped: false,
        })
    }

    /// Sends SIGTERM with `kill(1)` and waits for the host to exit; kills it (SIGKILL) when it is
    /// still running after [`STOP_TIMEOUT`].
    pub fn stop(&mut self) -> Result<Stopped> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .context("running kill -TERM")?;
        if !status.success() {
            bail!("kill -TERM {} failed ({status})", self.pid);
        }
        let signalled = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().context("waiting for the host")? {
                self.stopped = true;
                return Ok(Stopped {
                    status,
                    took: signalled.elapsed(),
                    killed: false,
                });
            }
            if signalled.elapsed() > STOP_TIMEOUT {
                self.child.kill().context("killing the host")?;
                let status = self.child.wait().context("waiting for the host")?;
                self.stopped = true;
                return Ok(Stopped {
                    status,
                    took: signalled.elapsed(),
                    killed: true,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Peak resident set size so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> Result<u64> {
        status_field(self.pid, "VmHWM:")
    }
}

impl Drop for Host {
    /// Kills a host still running, e.g. when the bench stopped on an error.
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
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

/// Samples the host's `VmRSS` every 100 ms on a thread of its own, keeping the peak per stage.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    stage: Arc<AtomicUsize>,
    peaks: Arc<Mutex<Vec<u64>>>,
    thread: Option<JoinHandle<()>>,
}

impl RssSampler {
    /// How often the sampler reads `/proc/PID/status`.
    const EVERY: Duration = Duration::from_millis(100);

    /// Starts sampling `pid`, with `stages` stages (indices `0..stages`), at stage 0.
    pub fn start(pid: u32, stages: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stage = Arc::new(AtomicUsize::new(0));
        let mut first = vec![0; stages];
        // One sample now, so that stage 0 has one however soon the next stage starts.
        first[0] = status_field(pid, "VmRSS:").unwrap_or(0);
        let peaks = Arc::new(Mutex::new(first));
        let thread = {
            let (stop, stage, peaks) = (Arc::clone(&stop), Arc::clone(&stage), Arc::clone(&peaks));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(rss) = status_field(pid, "VmRSS:") {
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
