//! Hot reload: the plugin folder is scanned every `plugins.reload_interval`; a plugin whose
//! `.wasm` or manifest changed is loaded again, one whose `.wasm` is gone is unloaded.
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

use super::{LoadFailure, Registry};

/// What identifies a version of a file: its size and time, and a hash of its contents, which
/// tells apart two versions whose size and time are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    contents: u64,
}

/// A plugin's files as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    wasm: Stamp,
    manifest: Option<Stamp>,
}

/// Keeps the [`Registry`] in step with the plugin folder.
pub struct Watcher {
    dir: PathBuf,
    runtime: Arc<Runtime>,
    registry: Arc<Registry>,
    seen: BTreeMap<String, Seen>,
}

/// What one scan changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Plugins loaded or reloaded.
    pub loaded: Vec<String>,
    /// Plugins unloaded.
    pub removed: Vec<String>,
    /// Files that failed to load.
    pub failed: Vec<PathBuf>,
}

impl Watcher {
    /// A watcher of `dir` that has seen nothing yet: its first [`Watcher::scan`] loads everything.
    pub fn new(dir: PathBuf, runtime: Arc<Runtime>, registry: Arc<Registry>) -> Self {
        Self {
            dir,
            runtime,
            registry,
            seen: BTreeMap::new(),
        }
    }

    /// Loads what is new or changed, unloads what is gone.
    pub async fn scan(&mut self) -> ScanReport {
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
        let gone: Vec<String> = self
            .seen
            .keys()
            .filter(|name| !now.contains_key(*name))
            .cloned()
            .collect();
        for name in gone {
            self.seen.remove(&name);
            self.registry.clear_failure(&name);
            if self.registry.remove(&name).is_some() {
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
            match self.runtime.load_file(&path).await {
                Ok((plugin, cache)) => {
                    let plugin = Arc::new(plugin);
                    let hash = plugin.content_hash().to_owned();
                    let subscriptions = format!("{:?}", plugin.subscriptions());
                    self.registry.clear_failure(&name);
                    match self.registry.insert(plugin) {
                        Some(old) => tracing::info!(
                            plugin = %name, hash = %hash, previous = %old.content_hash(), ?cache,
                            %subscriptions, "plugin reloaded"
                        ),
                        None => tracing::info!(
                            plugin = %name, hash = %hash, ?cache, %subscriptions, "plugin loaded"
                        ),
                    }
                    report.loaded.push(name);
                }
                Err(err) => {
                    let active = self.registry.snapshot().get(&name).map(|old| {
                        format!("the previous version {} stays active", old.content_hash())
                    });
                    tracing::error!(
                        plugin = %name,
                        file = %path.display(),
                        error = %err,
                        "plugin not loaded: {err}; {}",
                        active.as_deref().unwrap_or("no version of it is active")
                    );
                    self.registry.set_failure(
                        &name,
                        LoadFailure {
                            file: path.display().to_string(),
                            message: err.to_string(),
                            at: crate::clock::now_ms(),
                        },
                    );
                    report.failed.push(path);
                }
            }
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
        let (Some(stem), Ok(wasm)) = (path.file_stem(), stamp(&path)) else {
            continue;
        };
        let Some(name) = stem.to_str().filter(|name| is_plugin_name(name)) else {
            // Hidden files and names like `crm-sync.tmp` are an editor's or a copy's, not plugins.
            tracing::debug!(file = %path.display(), "ignored: not a plugin name ([A-Za-z0-9_-]+)");
            continue;
        };
        let manifest = stamp(&path.with_extension("toml")).ok();
        found.insert(name.to_owned(), Seen { wasm, manifest });
    }
    Ok(found)
}

/// A plugin's name: letters, digits, `_` and `-`, so that a temporary copy (`.x.wasm`,
/// `x.tmp.wasm`) is never loaded as a plugin of its own.
fn is_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let mut file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    // SipHash with fixed keys: the same contents hash the same in every scan; a collision needs a
    // chosen pair of files, and whoever can write the plugin folder can change plugins anyway.
    let mut hasher = std::hash::DefaultHasher::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.write(&buffer[..read]);
    }
    Ok(Stamp {
        modified: metadata.modified().ok(),
        len: metadata.len(),
        contents: hasher.finish(),
    })
}

#[cfg(test)]
mod tests {
    use super::{is_plugin_name, list};

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
