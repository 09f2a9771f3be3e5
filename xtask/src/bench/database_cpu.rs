//! CPU time of the PostgreSQL server the hosts share, read from `/proc` like the hosts' own: its
//! processes are those named `postgres` (readable here: the bench runs as root, or as the user
//! the server runs as). A backend shows its database in its process title (`postgres: 15/main:
//! USER DATABASE HOST(PORT) STATE`), which tells the bench database's backends from the rest of
//! the server (its WAL writer, checkpointer and background writer, and the backends of anyone else
//! using the same server, such as other tests running at the same time).

use std::collections::HashMap;
use std::fs;
use std::time::Duration;

use super::host::cpu_time;

/// CPU time of the server over some stretch of time.
#[derive(Debug, Clone, Copy, Default)]
pub struct DatabaseCpu {
    /// The backends of the bench database (the hosts' connections), bar the bench's own.
    pub backends: Duration,
    /// Every process of the server, the backends above included.
    pub server: Duration,
}

/// Reads the server's CPU times.
pub struct Probe {
    /// The bench database.
    database: String,
    /// The backend of the bench's own connection (its counting is not the hosts' work).
    own_backend: Option<u32>,
}

/// What each server process had used at one moment: whether it is a backend of the bench
/// database, and its CPU time.
pub type Sample = HashMap<u32, (bool, Duration)>;

impl Probe {
    /// A probe of the server's processes; `own_backend` is left out of the database's backends.
    pub fn new(database: &str, own_backend: Option<u32>) -> Self {
        Self {
            database: database.to_owned(),
            own_backend,
        }
    }

    /// The CPU time of every server process now.
    pub fn sample(&self) -> Sample {
        let Ok(entries) = fs::read_dir("/proc") else {
            return Sample::new();
        };
        entries
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|&pid| {
                fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|comm| comm.trim_end() == "postgres")
            })
            .map(|pid| (pid, (self.is_bench_backend(pid), cpu_time(Some(pid)))))
            .collect()
    }

    /// Whether `pid`'s process title names the bench database.
    fn is_bench_backend(&self, pid: u32) -> bool {
        if Some(pid) == self.own_backend {
            return false;
        }
        fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|title| {
            String::from_utf8_lossy(&title)
                .split(|c: char| c.is_whitespace() || c == '\0')
                .any(|word| word == self.database)
        })
    }
}

/// The CPU used from `before` to `after`. A process started in between counts from zero; one that
/// ended in between is missing (the hosts keep their connections open, so their backends last).
pub fn between(before: &Sample, after: &Sample) -> DatabaseCpu {
    let mut cpu = DatabaseCpu::default();
    for (pid, &(bench, now)) in after {
        let then = before.get(pid).map_or(Duration::ZERO, |&(_, then)| then);
        let used = now.saturating_sub(then);
        cpu.server += used;
        if bench {
            cpu.backends += used;
        }
    }
    cpu
}
