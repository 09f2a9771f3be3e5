//! Whether the store's filesystem has room for one more webhook: part of `/readyz`.
//!
//! A full filesystem lets a small write through (SQLite reuses its WAL) while the next webhook
//! fails to commit, so a round trip through the writer alone would call a full host ready.

use std::path::{Path, PathBuf};

/// Bytes of database and WAL growth that one webhook may need (README, "What one webhook costs"):
/// 4 B + N × (1 KiB + P × 0.5 KiB) + 5 MiB of WAL, for the largest body B and item count N the
/// host accepts and P loaded plugins.
pub fn needed_for_one_webhook(max_body_bytes: usize, max_items: usize, plugins: usize) -> u64 {
    let per_item = 1024 + plugins as u64 * 512;
    4 * max_body_bytes as u64 + max_items as u64 * per_item + 5 * 1024 * 1024
}

/// Checks that the filesystem holding `store_path` has at least `needed` bytes free to this
/// process; the error says how much is free and what to do.
pub fn check(store_path: &Path, needed: u64) -> Result<(), String> {
    let folder = folder_of(store_path);
    let stats = rustix::fs::statvfs(&folder)
        .map_err(|err| format!("cannot read the free space of {}: {err}", folder.display()))?;
    let free = stats.f_bavail.saturating_mul(stats.f_frsize);
    if free < needed {
        return Err(format!(
            "{} bytes free on the filesystem of {}, one webhook may need {needed}: free space there",
            free,
            folder.display()
        ));
    }
    Ok(())
}

fn folder_of(store_path: &Path) -> PathBuf {
    match store_path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_grows_with_body_items_and_plugins() {
        let base = needed_for_one_webhook(1024 * 1024, 1000, 0);
        assert_eq!(base, 4 * 1024 * 1024 + 1000 * 1024 + 5 * 1024 * 1024);
        assert_eq!(
            needed_for_one_webhook(1024 * 1024, 1000, 2),
            base + 1000 * 1024
        );
    }

    #[test]
    fn a_folder_with_room_passes_and_an_impossible_need_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        check(&path, 1).unwrap();
        let err = check(&path, u64::MAX).unwrap_err();
        assert!(err.contains("free space there"), "{err}");
    }
}
