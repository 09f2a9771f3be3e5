//! The compile windows still to backfill, kept on disk: a new plugin whose subscriptions are not
//! known before it compiles gets the events received meanwhile by a backfill once it is loaded
//! (see [`super::background`]). A host killed before that backfill ran would otherwise forget
//! the window, and the events received in it would never reach the plugin: the window's start is
//! written to a file first (`DIR/NAME`, the Unix ms as text), the next load of the plugin
//! continues from it, and it is removed once the backfill is done, the load failed, or the
//! plugin is gone.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use smartreach_store::Timestamp;

/// The folder of compile windows (one file per plugin).
#[derive(Debug, Clone)]
pub(crate) struct CompileWindows {
    dir: PathBuf,
}

impl CompileWindows {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Opens `plugin`'s window at `since`, or continues the one a previous host left open: the
    /// earlier start is returned and kept. A file that cannot be written is logged; the window
    /// then lives in memory only, as it did before it was kept on disk.
    pub(crate) fn open(&self, plugin: &str, since: Timestamp) -> Timestamp {
        let path = self.dir.join(plugin);
        let since = match self.read(&path) {
            Some(earlier) if earlier < since => {
                tracing::info!(
                    plugin,
                    since = earlier,
                    "a previous run stopped while this plugin compiled: the events received since then are queued for it once it is loaded"
                );
                return earlier;
            }
            _ => since,
        };
        if let Err(err) = write(&self.dir, &path, since) {
            tracing::error!(
                plugin, file = %path.display(), error = %err,
                "cannot keep the start of the plugin's compile window on disk; if the host stops before the plugin is loaded, run `smartreach-hooks backfill --plugin {plugin} --since {since}` after the restart"
            );
        }
        since
    }

    /// Closes `plugin`'s window: its backfill is done, its load failed, or it is gone.
    pub(crate) fn close(&self, plugin: &str) {
        let path = self.dir.join(plugin);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => tracing::warn!(
                plugin, file = %path.display(), error = %err,
                "cannot remove the plugin's closed compile window; remove the file by hand"
            ),
        }
    }

    /// Closes the windows of plugins not in `present` (removed while the host was down).
    pub(crate) fn retain<'a>(&self, present: impl Iterator<Item = &'a String>) {
        let present: std::collections::BTreeSet<&String> = present.collect();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if let Some(name) = name.to_str()
                && super::is_plugin_name(name)
                && !present.contains(&name.to_owned())
            {
                self.close(name);
            }
        }
    }

    /// The start kept in `path`, if there is a readable one.
    fn read(&self, path: &Path) -> Option<Timestamp> {
        let text = std::fs::read_to_string(path).ok()?;
        match text.trim().parse() {
            Ok(since) => Some(since),
            Err(_) => {
                tracing::warn!(file = %path.display(), "ignored a compile window that is not a Unix ms timestamp");
                None
            }
        }
    }
}

/// Writes `since` to `path` whole (a temporary file, synced, renamed), creating `dir`.
fn write(dir: &Path, path: &Path, since: Timestamp) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let partial = path.with_extension("part");
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(since.to_string().as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&partial, path)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_left_open_is_continued_from_its_start_until_closed() {
        let dir = tempfile::tempdir().unwrap();
        let windows = CompileWindows::new(dir.path().join("windows"));
        assert_eq!(windows.open("crm", 1_000), 1_000);
        // The next run (after a kill) continues the window; a later start does not move it.
        let next = CompileWindows::new(dir.path().join("windows"));
        assert_eq!(next.open("crm", 5_000), 1_000);
        assert_eq!(next.open("other", 5_000), 5_000);
        next.close("crm");
        assert_eq!(next.open("crm", 9_000), 9_000);
        // Plugins gone while the host was down lose theirs.
        next.retain([String::from("crm")].iter());
        assert_eq!(next.open("other", 12_000), 12_000);
        assert_eq!(next.open("crm", 12_000), 9_000);
    }
}
