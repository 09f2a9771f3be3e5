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
}

impl CompileCache {
    pub(crate) fn new(dir: PathBuf, engine: &Engine) -> Self {
        // Stable within one host build: a new wasmtime or new settings give new keys, and old
        // entries are simply never read again.
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Self {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
        }
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
        // SAFETY: `deserialize_file` trusts the file to be wasmtime's own output. The cache folder
        // belongs to the host (created with mode 0700), files are written by `store` below under a
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
        create_private_dir(&self.dir)?;
        let bytes = component.serialize().map_err(std::io::Error::other)?;
        let path = self.path_for(content_hash);
        // A temporary name of its own, so that concurrent writers never truncate a file another
        // loader may have mapped; the rename is atomic.
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let unique = WRITES.fetch_add(1, Ordering::Relaxed);
        let tmp = path.with_extension(format!("tmp-{}-{unique}", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        std::io::Write::write_all(&mut file, &bytes)?;
        drop(file);
        std::fs::rename(&tmp, &path)
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// SHA-256 of `bytes`, lowercase hex.
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
