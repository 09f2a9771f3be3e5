//! Compiled components on disk, keyed by the wasm's content hash and the engine's compatibility
//! hash, so a restart deserialises instead of compiling.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where a loaded component came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheStatus {
    /// Compiled now (no cache, or nothing cached for this content and engine).
    Compiled,
    /// Deserialised from the cache.
    Cached,
}

/// The cache folder.
#[derive(Debug, Clone)]
pub(crate) struct CompileCache {
    dir: PathBuf,
    engine_key: String,
    /// The user the folder belonged to when it was checked at start: an entry is loaded only
    /// while the folder and the file still belong to it (see [`entry_is_ours`]).
    owner: u32,
}

impl CompileCache {
    /// The cache in `dir`: created private when missing, refused when others could write to it
    /// (its files are loaded as trusted machine code). The error says what is wrong and the fix.
    pub(crate) fn open(dir: PathBuf, engine: &Engine) -> Result<Self, String> {
        create_private_dir(&dir).map_err(|err| {
            format!(
                "cannot create the compiled-plugin cache folder {}: {err}; create it with \
                 `mkdir -m 700 {0}`, or choose another folder",
                dir.display()
            )
        })?;
        let owner = check_private(&dir)?;
        // Stable within one host build: a new wasmtime or new settings give new keys, and old
        // entries are simply never read again.
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(Self {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
            owner,
        })
    }

    fn path_for(&self, content_hash: &str) -> PathBuf {
        self.dir
            .join(format!("{content_hash}-{}.cwasm", self.engine_key))
    }

    /// The cached component for `content_hash`, if a usable one is on disk.
    pub(crate) fn load(&self, engine: &Engine, content_hash: &str) -> Option<Component> {
        let path = self.path_for(content_hash);
        if !path.exists() {
            return None;
        }
        // Checked again before every load, not only at start: someone who may write to the folder
        // above could swap the cache folder or an entry while the host runs.
        if let Err(problem) = entry_is_ours(&self.dir, &path, self.owner) {
            tracing::warn!(path = %path.display(), problem, "not loading a compiled plugin cache entry; compiling instead");
            return None;
        }
        // SAFETY: `deserialize_file` trusts the file to be wasmtime's own output. The cache folder
        // belongs to the host (created with mode 0700, and refused at start when another user owns
        // it or group or others may write to it: `check_private`), files (mode 0600) are written by `store` below under a
        // name derived from the content hash and the engine's compatibility hash, and wasmtime
        // itself checks the header's version and settings, refusing a mismatch with an error.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize_file(engine, &path) };
        match loaded {
            Ok(component) => Some(component),
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "ignoring unusable compiled plugin cache entry");
                None
            }
        }
    }

    /// Writes `component` for `content_hash`, atomically; failures only cost a recompile later.
    pub(crate) fn store(&self, component: &Component, content_hash: &str) {
        if let Err(err) = self.try_store(component, content_hash) {
            tracing::warn!(dir = %self.dir.display(), error = %err, "cannot write compiled plugin cache");
        }
    }

    fn try_store(&self, component: &Component, content_hash: &str) -> std::io::Result<()> {
        // Created at start; again here in case it was removed while the host runs.
        create_private_dir(&self.dir)?;
        let bytes = component.serialize().map_err(std::io::Error::other)?;
        // A temporary name of its own, so that concurrent writers never truncate a file another
        // loader may have mapped; the rename is atomic.
        write_private(&self.path_for(content_hash), &bytes)
    }
}

impl CompileCache {
    fn declared_path(&self, content_hash: &str) -> PathBuf {
        self.dir
            .join(format!("{content_hash}.declared-events.json"))
    }

    /// Remembers the event types the plugin of `content_hash` declared, so that its next load
    /// knows its subscriptions before compiling it. Failures are logged: they only cost that.
    pub(crate) fn remember_declared_events(&self, content_hash: &str, event_types: &[String]) {
        let path = self.declared_path(content_hash);
        let written = serde_json::to_vec(event_types)
            .map_err(std::io::Error::other)
            .and_then(|json| write_private(&path, &json));
        if let Err(err) = written {
            tracing::warn!(path = %path.display(), error = %err, "cannot remember a plugin's declared event types");
        }
    }

    /// The event types the plugin of `content_hash` declared when it was last loaded, if
    /// remembered (the entry checked as a compiled entry is: a private regular file of ours).
    pub(crate) fn declared_events(&self, content_hash: &str) -> Option<Vec<String>> {
        let path = self.declared_path(content_hash);
        if !path.exists() || entry_is_ours(&self.dir, &path, self.owner).is_err() {
            return None;
        }
        let text = std::fs::read(&path).ok()?;
        serde_json::from_slice(&text).ok()
    }
}

/// Writes `bytes` to `path` (mode 0600) through a temporary file and an atomic rename.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let unique = WRITES.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp-{}-{unique}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    std::io::Write::write_all(&mut file, bytes)?;
    drop(file);
    std::fs::rename(&tmp, path)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Whether the cache folder and the entry at `path` still are what [`check_private`] accepted:
/// a real folder and a regular file (no symlinks), both owned by `owner`, neither writable by group
/// or others. A folder or file planted by another user fails the owner check.
#[cfg(unix)]
fn entry_is_ours(dir: &Path, path: &Path, owner: u32) -> Result<(), &'static str> {
    use std::os::unix::fs::MetadataExt;
    let folder = std::fs::symlink_metadata(dir).map_err(|_| "the cache folder cannot be read")?;
    if !folder.is_dir() || folder.uid() != owner || folder.mode() & 0o022 != 0 {
        return Err("the cache folder was replaced, or changed owner or mode, since start");
    }
    let file = std::fs::symlink_metadata(path).map_err(|_| "the entry cannot be read")?;
    if !file.is_file() || file.uid() != owner || file.mode() & 0o022 != 0 {
        return Err("the entry is not a regular file of the host's user, private to it");
    }
    Ok(())
}

#[cfg(not(unix))]
fn entry_is_ours(_dir: &Path, _path: &Path, _owner: u32) -> Result<(), &'static str> {
    Ok(())
}

/// Refuses a cache folder that another user owns or that group or others may write to: whoever
/// can write there can make the host run their code. Returns the folder's owner.
#[cfg(unix)]
fn check_private(dir: &Path) -> Result<u32, String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let shown = dir.display();
    let meta = std::fs::metadata(dir)
        .map_err(|err| format!("cannot read the compiled-plugin cache folder {shown}: {err}"))?;
    if !meta.is_dir() {
        return Err(format!(
            "the compiled-plugin cache folder {shown} is not a folder; remove it or choose another \
             path"
        ));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
            (true, true) => "group and others",
            (true, false) => "its group",
            _ => "others",
        };
        return Err(format!(
            "the compiled-plugin cache folder {shown} is writable by {who} (mode {mode:04o}): \
             whoever can write there can make the host run their code; run `chmod 700 {shown}`"
        ));
    }
    let own = own_uid(dir)?;
    if meta.uid() != own {
        return Err(format!(
            "the compiled-plugin cache folder {shown} is owned by uid {}, not by the host's user \
             (uid {own}): its files are loaded as trusted code; run `chown {own} {shown}` (as \
             root), or choose a folder of the host's user",
            meta.uid()
        ));
    }
    Ok(own)
}

#[cfg(not(unix))]
fn check_private(_dir: &Path) -> Result<u32, String> {
    Ok(0)
}

/// The user this process creates files as, read from a file it creates in `dir` (std has no
/// `geteuid`, and the workspace allows no `unsafe` for one): also shows the host can write there.
#[cfg(unix)]
fn own_uid(dir: &Path) -> Result<u32, String> {
    use std::os::unix::fs::MetadataExt;
    // A name of its own per call: two runtimes of one process (tests make many) must not remove
    // or collide with each other's probe.
    static PROBES: AtomicU64 = AtomicU64::new(0);
    let unique = PROBES.fetch_add(1, Ordering::Relaxed);
    let probe = dir.join(format!(".owner-probe-{}-{unique}", std::process::id()));
    let _ = std::fs::remove_file(&probe);
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|file| file.metadata());
    let _ = std::fs::remove_file(&probe);
    created.map(|meta| meta.uid()).map_err(|err| {
        format!(
            "the host cannot write to the compiled-plugin cache folder {}: {err}; it must belong \
             to the host's user: `chown USER {0}` and `chmod 700 {0}`",
            dir.display()
        )
    })
}

/// SHA-256 of `bytes`, lowercase hex.
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    use super::*;

    fn engine() -> Engine {
        Engine::default()
    }

    #[test]
    fn a_missing_folder_is_created_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/cache");
        CompileCache::open(dir.clone(), &engine()).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    /// Runtimes opened at once on one folder (a test binary makes many) each check it without
    /// tripping over the others' write probes.
    #[test]
    fn caches_opened_at_once_on_one_folder_all_open() {
        let root = tempfile::tempdir().unwrap();
        let engine = engine();
        std::thread::scope(|scope| {
            let opened: Vec<_> = (0..16)
                .map(|_| scope.spawn(|| CompileCache::open(root.path().to_owned(), &engine)))
                .collect();
            for open in opened {
                open.join().unwrap().unwrap();
            }
        });
    }

    #[test]
    fn a_folder_others_can_write_to_is_refused_with_the_fix() {
        let root = tempfile::tempdir().unwrap();
        for mode in [0o777, 0o770, 0o702] {
            std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(mode)).unwrap();
            let err = CompileCache::open(root.path().to_owned(), &engine()).unwrap_err();
            assert!(
                err.contains(&format!("chmod 700 {}", root.path().display())),
                "{err}"
            );
            assert!(err.contains(&format!("mode {mode:04o}")), "{err}");
        }
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        CompileCache::open(root.path().to_owned(), &engine()).unwrap();
    }

    #[test]
    fn a_folder_of_another_user_is_refused_when_root_can_tell() {
        let root = tempfile::tempdir().unwrap();
        // Only root can give a folder away; as another user the probe below is not root.
        let me = own_uid(root.path()).unwrap();
        if me != 0 {
            eprintln!("not root: cannot chown a folder to another user; skipped");
            return;
        }
        std::os::unix::fs::chown(root.path(), Some(4242), None).unwrap();
        assert_eq!(std::fs::metadata(root.path()).unwrap().uid(), 4242);
        let err = CompileCache::open(root.path().to_owned(), &engine()).unwrap_err();
        assert!(err.contains("owned by uid 4242"), "{err}");
        assert!(
            err.contains(&format!("chown 0 {}", root.path().display())),
            "{err}"
        );
    }

    #[test]
    fn cache_files_are_private() {
        let root = tempfile::tempdir().unwrap();
        let engine = engine();
        let cache = CompileCache::open(root.path().join("c"), &engine).unwrap();
        // The smallest component: magic, version 0x0d, layer 1, no sections.
        let component = Component::new(&engine, b"\0asm\x0d\0\x01\0").unwrap();
        cache.store(&component, "abc");
        let path = cache.path_for("abc");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(cache.load(&engine, "abc").is_some());
    }

    #[test]
    fn an_entry_or_folder_swapped_after_start_is_not_loaded() {
        let root = tempfile::tempdir().unwrap();
        let engine = engine();
        let dir = root.path().join("c");
        let cache = CompileCache::open(dir.clone(), &engine).unwrap();
        let component = Component::new(&engine, b"\0asm\x0d\0\x01\0").unwrap();
        cache.store(&component, "abc");
        assert!(cache.load(&engine, "abc").is_some());

        // An entry others may write to is not trusted.
        let path = cache.path_for("abc");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(cache.load(&engine, "abc").is_none());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(cache.load(&engine, "abc").is_some());

        // A symlink in its place is not followed.
        let elsewhere = root.path().join("planted.cwasm");
        std::fs::rename(&path, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        assert!(cache.load(&engine, "abc").is_none());
        std::fs::remove_file(&path).unwrap();
        std::fs::rename(&elsewhere, &path).unwrap();

        // The folder swapped for one of another user's (only root can make one to test with).
        if cache.owner == 0 {
            std::os::unix::fs::chown(&path, Some(4242), None).unwrap();
            assert!(cache.load(&engine, "abc").is_none());
            std::os::unix::fs::chown(&path, Some(0), None).unwrap();
            std::os::unix::fs::chown(&dir, Some(4242), None).unwrap();
            assert!(cache.load(&engine, "abc").is_none());
        }
    }
}
