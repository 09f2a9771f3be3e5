//! The store's files are private: the database holds personal data (prospects' names, addresses,
//! email bodies), so it, its `-wal` and `-shm` files and its lock file are created readable and
//! writable by the owner only (0600), and a store whose files other users can read or write is
//! refused at open, with the `chmod` that fixes it.
//!
//! SQLite creates `-wal` and `-shm` with the mode of the database file, so creating the database
//! file 0600 before SQLite opens it makes them 0600 too.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::StoreError;

/// The mode of every file of the store: read and write for the owner only.
const FILE_MODE: u32 = 0o600;

/// The files of the store at `db`: the database, its WAL, its shared-memory index, its lock.
pub(super) fn store_files(db: &Path) -> [PathBuf; 4] {
    let with_suffix = |suffix: &str| {
        let mut name = db.file_name().unwrap_or_default().to_owned();
        name.push(suffix);
        db.with_file_name(name)
    };
    [
        db.to_owned(),
        with_suffix("-wal"),
        with_suffix("-shm"),
        with_suffix(".lock"),
    ]
}

/// Refuses a store whose existing files are readable or writable by group or others.
pub(super) fn check_private(db: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let exposed: Vec<(PathBuf, u32)> = store_files(db)
            .into_iter()
            .filter_map(|path| {
                let mode = std::fs::metadata(&path).ok()?.permissions().mode() & 0o777;
                (mode & 0o077 != 0).then_some((path, mode))
            })
            .collect();
        if !exposed.is_empty() {
            return Err(StoreError::Exposed { files: exposed });
        }
    }
    #[cfg(not(unix))]
    let _ = db;
    Ok(())
}

/// Opens `path` for writing, creating it with [`FILE_MODE`] when it does not exist; an existing
/// file is neither truncated nor changed.
pub(super) fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options.open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_is_private_and_an_existing_one_keeps_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        create_private(&path).unwrap();
        assert_eq!(mode(&path), FILE_MODE);
        std::fs::write(&path, b"kept").unwrap();
        create_private(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
    }

    #[test]
    fn a_file_others_can_read_is_named_with_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        create_private(&db).unwrap();
        check_private(&db).unwrap();
        let wal = dir.path().join("db-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o640)).unwrap();
        match check_private(&db) {
            Err(StoreError::Exposed { files }) => assert_eq!(files, [(wal, 0o640)]),
            other => panic!("expected Exposed, got {other:?}"),
        }
    }
}
