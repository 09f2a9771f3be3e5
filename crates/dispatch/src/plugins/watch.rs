//! Hot reload: the plugin folder is scanned every `plugins.reload_interval`; a plugin whose
//! `.wasm` or manifest changed is loaded again, one whose `.wasm` is gone is unloaded. Loads run
//! in the background ([`super::background`]): a scan starts them and returns, so the first scan
//! at start does not hold the host back while a big component compiles.
//!
//! Polling rather than filesystem notifications: it behaves the same on every filesystem
//! (including network and container mounts). A file caught half-written fails to load, is
//! reported, and loads when the write completes and changes it again; copying to a temporary name
//! and renaming avoids that one error line.
//!
//! A change is told by the files' contents, not only their size and modification time: a
//! replacement of the same size can keep the time (`cp -p`, `touch -r`, a rewrite within the
//! timestamp granularity of the filesystem, one or two seconds on some). Each scan therefore reads
//! and hashes every plugin's files: about a millisecond per MiB, from the page cache.

use std::collections::BTreeMap;
use std::hash::Hasher as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use smartreach_plugin_runtime::Runtime;
use smartreach_store::Store;
use tokio::task::JoinHandle;

use super::Registry;
use super::background::{Load, Loader};
use super::compile_window::CompileWindows;
use super::registry::Compiling;

/// What identifies a version of a file: which file it is (device, inode), its size, its
/// modification time and its status-change time (which no tool can set back: every write and
/// rename moves it), and, while that change is recent, a hash of its contents.
///
/// The hash covers filesystems whose times are coarse: two same-size writes within one tick look
/// alike by their times, but they happen within [`RECENT`] of the change time, when the contents
/// are read. Older files are not read at all, so a scan costs a `stat` per file, not a read.
#[derive(Debug, Clone, Copy)]
struct Stamp {
    file: (u64, u64),
    len: u64,
    modified: Option<SystemTime>,
    changed: (i64, i64),
    contents: Option<u64>,
}

impl PartialEq for Stamp {
    /// The same version: the same file, size and times, and the same contents where both scans
    /// read them.
    fn eq(&self, other: &Self) -> bool {
        self.file == other.file
            && self.len == other.len
            && self.modified == other.modified
            && self.changed == other.changed
            && match (self.contents, other.contents) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// How long after its last change a file's contents are hashed on every scan: longer than the
/// coarsest timestamp tick (2 s on FAT) plus a scan interval.
const RECENT: std::time::Duration = std::time::Duration::from_secs(5);

/// A plugin's files as last seen.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    wasm: Stamp,
    manifest: Option<Stamp>,
}

/// Keeps the [`Registry`] in step with the plugin folder.
pub struct Watcher {
    dir: PathBuf,
    loader: Loader,
    seen: BTreeMap<String, Seen>,
    /// The load in progress of each plugin, to stop when its files change again or go.
    loads: BTreeMap<String, JoinHandle<()>>,
    /// One per load whose files are still being read (see [`Watcher::prepared`]).
    preparing: Vec<tokio::sync::oneshot::Receiver<()>>,
    generation: u64,
}

/// What one scan changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Plugins whose load (or reload) started in the background.
    pub loading: Vec<String>,
    /// Plugins unloaded.
    pub removed: Vec<String>,
}

impl Watcher {
    /// A watcher of `dir` that has seen nothing yet: its first [`Watcher::scan`] loads everything.
    /// Events received while a new plugin of unknown subscriptions compiles are not queued for it
    /// (see [`Watcher::backfill_into`]).
    pub fn new(dir: PathBuf, runtime: Arc<Runtime>, registry: Arc<Registry>) -> Self {
        Self {
            dir,
            loader: Loader {
                runtime,
                registry,
                compile_windows: None,
            },
            seen: BTreeMap::new(),
            loads: BTreeMap::new(),
            preparing: Vec::new(),
            generation: 0,
        }
    }

    /// Queues for a new plugin, in `store`, the events received while it compiled, when its
    /// subscriptions were not known before (see [`super::background`]); the start of each such
    /// window is kept in `windows_dir` until then, so that a restart continues it.
    pub fn backfill_into(mut self, store: Arc<dyn Store>, windows_dir: PathBuf) -> Self {
        self.loader.compile_windows = Some((store, CompileWindows::new(windows_dir)));
        self
    }

    /// Waits until every load started so far has read its plugin's files (a few tens of ms for
    /// 18 MB): from then on, the subscriptions known before compiling (the manifest's `events`, or
    /// the cache's remembered declaration) are in the registry, so ingest queues deliveries for
    /// those plugins while they compile. The host waits for this once, before it listens.
    pub async fn prepared(&mut self) {
        for preparing in self.preparing.drain(..) {
            let _ = preparing.await;
        }
    }

    /// Starts loading what is new or changed, in the background, and unloads what is gone.
    /// Returns at once; each load swaps its plugin in (or records its failure) when it is done.
    pub fn scan(&mut self) -> ScanReport {
        self.loads.retain(|_, load| !load.is_finished());
        self.preparing.retain_mut(|preparing| {
            matches!(
                preparing.try_recv(),
                Err(tokio::sync::oneshot::error::TryRecvError::Empty)
            )
        });
        let mut report = ScanReport::default();
        let now = match list(&self.dir) {
            Ok(now) => now,
            Err(err) => {
                tracing::error!(
                    dir = %self.dir.display(),
                    error = %err,
                    "cannot read the plugin folder; the loaded plugins stay as they are"
                );
                return report;
            }
        };
        if self.generation == 0
            && let Some((_, windows)) = &self.loader.compile_windows
        {
            // The first scan: windows of plugins removed while the host was down are closed.
            windows.retain(now.keys());
        }
        let gone: Vec<String> = self
            .seen
            .keys()
            .filter(|name| !now.contains_key(*name))
            .cloned()
            .collect();
        for name in gone {
            self.seen.remove(&name);
            let registry = &self.loader.registry;
            registry.clear_failure(&name);
            if let Some((_, windows)) = &self.loader.compile_windows {
                windows.close(&name);
            }
            let was_loading = self.loads.remove(&name).is_some_and(|load| {
                load.abort();
                true
            });
            if registry.remove(&name).is_some() || was_loading {
                tracing::info!(
                    plugin = %name,
                    "plugin unloaded: its .wasm was removed; its queued deliveries stay pending until it is back"
                );
                report.removed.push(name);
            }
        }
        for (name, seen) in now {
            if self.seen.get(&name) == Some(&seen) {
                continue;
            }
            self.seen.insert(name.clone(), seen);
            let path = self.dir.join(format!("{name}.wasm"));
            self.generation += 1;
            let (prepared, preparing) = tokio::sync::oneshot::channel();
            self.preparing.push(preparing);
            let load = Load {
                name: name.clone(),
                path,
                generation: self.generation,
                since: smartreach_store::now_ms(),
                prepared: Some(prepared),
            };
            self.loader.registry.start_compiling(
                &name,
                Compiling {
                    file: load.path.display().to_string(),
                    since: load.since,
                    subscriptions: None,
                    generation: load.generation,
                },
            );
            // A load of an older version still running is stopped: its result would be dropped
            // anyway (the registry keeps only the latest load's).
            if let Some(older) = self.loads.remove(&name) {
                older.abort();
            }
            let task = tokio::spawn(self.loader.clone().run(load));
            self.loads.insert(name.clone(), task);
            report.loading.push(name);
        }
        report
    }
}

/// The plugins in `dir`: every `NAME.wasm`, with the stamp of `NAME.toml` when there is one.
fn list(dir: &Path) -> std::io::Result<BTreeMap<String, Seen>> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|ext| ext != "wasm") {
            continue;
        }
        let Some(stem) = path.file_stem() else {
            continue;
        };
        let Some(name) = stem.to_str().filter(|name| is_plugin_name(name)) else {
            // Hidden files and names like `crm-sync.tmp` are an editor's or a copy's, not plugins.
            tracing::debug!(file = %path.display(), "ignored: not a plugin name ([A-Za-z0-9_-]+)");
            continue;
        };
        let Ok(wasm) = stamp(&path) else {
            continue;
        };
        let manifest = stamp(&path.with_extension("toml")).ok();
        found.insert(name.to_owned(), Seen { wasm, manifest });
    }
    Ok(found)
}

/// A plugin's name: letters, digits, `_` and `-`, so that a temporary copy (`.x.wasm`,
/// `x.tmp.wasm`) is never loaded as a plugin of its own. The admin API refuses other names.
pub fn is_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    use std::os::unix::fs::MetadataExt;
    // Followed through a symlink, but only a regular file is opened: a FIFO or a device named
    // `NAME.wasm` would block the watcher or never end.
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let changed = (metadata.ctime(), metadata.ctime_nsec());
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64);
    let recent = now.saturating_sub(changed.0) <= RECENT.as_secs() as i64;
    Ok(Stamp {
        file: (metadata.dev(), metadata.ino()),
        len: metadata.len(),
        modified: metadata.modified().ok(),
        changed,
        contents: if recent { Some(hash(path)?) } else { None },
    })
}

/// SipHash with fixed keys of the file at `path`: the same contents hash the same in every scan;
/// a collision needs a chosen pair of files, and whoever can write the plugin folder can change
/// plugins anyway.
fn hash(path: &Path) -> std::io::Result<u64> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = std::hash::DefaultHasher::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.write(&buffer[..read]);
    }
    Ok(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::{is_plugin_name, list};

    #[test]
    fn stamps_differ_by_contents_only_where_both_scans_read_them() {
        let stamp = |contents| super::Stamp {
            file: (1, 2),
            len: 3,
            modified: None,
            changed: (4, 5),
            contents,
        };
        // A same-size rewrite within one coarse tick: the times alike, the contents not.
        assert_ne!(stamp(Some(1)), stamp(Some(2)));
        // A file no longer recent is not read again; it is the version last read.
        assert_eq!(stamp(Some(1)), stamp(None));
        let mut moved = stamp(None);
        moved.changed.1 += 1;
        assert_ne!(stamp(None), moved);
    }

    #[test]
    fn only_regular_files_are_plugins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("folder.wasm")).unwrap();
        std::fs::write(dir.path().join("real.wasm"), b"x").unwrap();
        let found = list(dir.path()).unwrap();
        assert_eq!(found.keys().collect::<Vec<_>>(), ["real"]);
    }

    #[test]
    fn a_replacement_with_the_same_size_and_time_is_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("p.wasm");
        let manifest = dir.path().join("p.toml");
        std::fs::write(&wasm, b"version one").unwrap();
        std::fs::write(&manifest, b"timeout_ms = 100").unwrap();
        let before = list(dir.path()).unwrap();

        // Rewrite both in place with other bytes of the same length, and put the times back,
        // as `cp -p` or a same-second rewrite on a coarse filesystem would leave them.
        for (path, contents) in [
            (&wasm, &b"version two"[..]),
            (&manifest, b"timeout_ms = 200"),
        ] {
            let modified = std::fs::metadata(path).unwrap().modified().unwrap();
            std::fs::write(path, contents).unwrap();
            std::fs::File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(modified)
                .unwrap();
            assert_eq!(
                std::fs::metadata(path).unwrap().modified().unwrap(),
                modified
            );
        }
        let after = list(dir.path()).unwrap();
        assert_ne!(before["p"].wasm, after["p"].wasm);
        assert_ne!(before["p"].manifest, after["p"].manifest);
        assert_eq!(before["p"].wasm.len, after["p"].wasm.len);
        // Unchanged files compare equal scan after scan.
        assert_eq!(after, list(dir.path()).unwrap());
    }

    #[test]
    fn temporary_and_hidden_copies_are_not_plugins() {
        for name in ["crm-sync", "event_log", "A1"] {
            assert!(is_plugin_name(name), "{name}");
        }
        for name in ["", ".crm-sync", "crm-sync.tmp", "crm sync", "crm-sync~"] {
            assert!(!is_plugin_name(name), "{name:?}");
        }
    }
}
