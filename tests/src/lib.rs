//! The harness of the black-box suites of `tests/`, one library they all share: the host process
//! ([`host`], started from the binary cargo built for the suite: [`host::Suite`]), a capture server
//! standing in for the services plugins call ([`capture`]), a read-only view of the host's
//! database ([`db`]), the built plugins ([`plugins`]), webhook bodies ([`payload`]), the
//! admin API's pages and problems ([`admin`]), the web console as a browser without script
//! sees it ([`console`]), what a process holds in memory ([`process`]) and
//! a PostgreSQL database of a test's own ([`postgres`]).
//!
//! Everything waits by polling with a generous deadline ([`eventually`]); nothing asserts on how
//! long something took, so the tests hold on a loaded 2-core machine.

pub mod admin;
pub mod capture;
pub mod closed_port;
pub mod console;
pub mod db;
pub mod exit;
pub mod exposition;
pub mod host;
pub mod payload;
pub mod plugins;
pub mod postgres;
pub mod process;
pub mod stub;
pub mod tmpfs;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a test waits for something the host should do "soon" (a delivery, a reload).
pub const SOON: Duration = Duration::from_secs(20);
/// How long a test waits for a long batch of work (hundreds of deliveries) to finish.
pub const BATCH: Duration = Duration::from_secs(120);

/// The repository root (the workspace holding `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The path of a fixture under `tests/fixtures/`, e.g. `events/prospect.created.json`.
pub fn fixture_path(relative: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(relative)
}

/// The bytes of a fixture under `tests/fixtures/`, e.g. `events/prospect.created.json`.
pub fn fixture(relative: &str) -> Vec<u8> {
    let path = fixture_path(relative);
    std::fs::read(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}

/// The file names (without `.json`) of the fixtures in `tests/fixtures/{folder}`, sorted.
pub fn fixture_names(folder: &str) -> Vec<String> {
    let dir = fixture_path(folder);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `timeout`; panics naming `what`
/// when the time runs out.
pub fn eventually<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    eventually_or(what, timeout, || check().ok_or_else(String::new))
}

/// Polls `check` every 50 ms until it returns `Ok`, for at most `timeout`; panics naming `what`
/// and the last `Err` (the state that was still wrong) when the time runs out.
pub fn eventually_or<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match check() {
            Ok(value) => return value,
            Err(last) => last,
        };
        if Instant::now() >= deadline {
            if last.is_empty() {
                panic!("timed out after {timeout:?} waiting for {what}");
            }
            panic!("timed out after {timeout:?} waiting for {what}; last state: {last}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Milliseconds since the Unix epoch, as the store writes timestamps.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .try_into()
        .unwrap()
}

/// Lowercase hex SHA-256, the format of the runtime's plugin content hash.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
