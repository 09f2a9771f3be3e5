//! The first half of a load: a plugin's files read, its content hashed, its manifest parsed, and
//! the event types it will subscribe to when they are known before it is compiled. The second
//! half ([`crate::Runtime::finish_load`]) compiles, links and declares it.
//!
//! Splitting the two lets a host make a plugin's subscriptions known while it compiles (a 12 MB
//! component takes seconds), so that webhooks arriving meanwhile get its deliveries, queued in
//! order until it runs.

use std::path::{Path, PathBuf};

use smartreach_plugin_manifest::Manifest;

use crate::cache::content_hash;
use crate::engine::Runtime;
use crate::load::{LoadError, LoadOptions};
use crate::plugin::Subscriptions;

/// A plugin's files, read and checked, not compiled yet.
pub struct PreparedPlugin {
    pub(crate) path: PathBuf,
    pub(crate) bytes: Vec<u8>,
    pub(crate) hash: String,
    pub(crate) manifest: Manifest,
    pub(crate) manifest_path: PathBuf,
    pub(crate) known_subscriptions: Option<Subscriptions>,
}

impl PreparedPlugin {
    /// The `.wasm` file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SHA-256 of the `.wasm` file, hex.
    pub fn content_hash(&self) -> &str {
        &self.hash
    }

    /// The event types the plugin will run on, when known before compiling it: its manifest's
    /// `events`, else what this very file (by content hash) declared when it was last loaded with
    /// the compile cache. `None` for a new file whose manifest lists no `events`.
    pub fn known_subscriptions(&self) -> Option<&Subscriptions> {
        self.known_subscriptions.as_ref()
    }

    /// The size of the `.wasm` file, in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the `.wasm` file is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl std::fmt::Debug for PreparedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedPlugin")
            .field("path", &self.path)
            .field("hash", &self.hash)
            .field("bytes", &self.bytes.len())
            .field("known_subscriptions", &self.known_subscriptions)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Reads `path` and its manifest (as `options` says), and hashes the file, on a thread of its
    /// own (reading and hashing 18 MB is not work for an async worker).
    pub async fn prepare_load(
        &self,
        path: &Path,
        options: &LoadOptions<'_>,
    ) -> Result<PreparedPlugin, LoadError> {
        let manifest_path = options
            .manifest
            .map_or_else(|| path.with_extension("toml"), Path::to_owned);
        let manifest_given = options.manifest.is_some();
        let owned = path.to_owned();
        let cache = self.cache.clone();
        on_own_thread(path, "read", move || {
            let bytes = std::fs::read(&owned).map_err(|source| LoadError::Read {
                path: owned.clone(),
                source,
            })?;
            let manifest = if manifest_given || manifest_path.exists() {
                Manifest::from_file(&manifest_path)?
            } else {
                Manifest::default()
            };
            let hash = content_hash(&bytes);
            let known = match &manifest.events {
                Some(names) => Some(names.clone()),
                None => cache.and_then(|cache| cache.declared_events(&hash)),
            };
            Ok(PreparedPlugin {
                path: owned,
                bytes,
                hash,
                manifest,
                manifest_path,
                known_subscriptions: known.map(|names| Subscriptions::from_names(&names)),
            })
        })
        .await
    }
}

/// Runs `work` on a new OS thread and waits for it without blocking the async worker. A thread
/// rather than `spawn_blocking`: compiling a big component takes seconds of CPU, and a shutdown
/// must not wait for it (the tokio runtime waits for its blocking tasks when it is dropped; the
/// process does not wait for a plain thread).
pub(crate) async fn on_own_thread<T: Send + 'static>(
    path: &Path,
    what: &'static str,
    work: impl FnOnce() -> Result<T, LoadError> + Send + 'static,
) -> Result<T, LoadError> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(format!("plugin-{what}"))
        .spawn(move || {
            let _ = done.send(work());
        })
        .map_err(|source| LoadError::Thread {
            path: path.to_owned(),
            source,
        })?;
    result.await.unwrap_or_else(|_| {
        Err(LoadError::Compile {
            path: path.to_owned(),
            message: format!("the {what} thread panicked; this is a bug of the host, report it"),
        })
    })
}
