//! The host's own folders: the data folder (the database, the ingest token) is created private
//! (0700) and checked at every start, and so are the database's folder and the plugin folder when
//! the host creates them.
//!
//! The check refuses a folder that other users can write to (they could replace the database, or
//! drop a plugin and a manifest that reads the host's environment), and warns when a data folder is
//! open to group or others in any other way (its files are 0600, but their names and sizes show).

use std::path::{Path, PathBuf};

/// The mode of a folder the host creates: owner only.
pub const FOLDER_MODE: u32 = 0o700;

/// A folder the host cannot use safely.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// It could not be created or read.
    #[error("cannot create or read the folder {} ({key}): {source}", path.display())]
    Io {
        /// The folder.
        path: PathBuf,
        /// The configuration key naming it.
        key: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Other users can write to it.
    #[error(
        "the folder {} ({key}) can be written by other users (mode {mode:03o}), who could replace \
         what the host keeps there; make it private with `chmod 700 {}`, then start again",
        path.display(),
        path.display()
    )]
    WritableByOthers {
        /// The folder.
        path: PathBuf,
        /// The configuration key naming it.
        key: &'static str,
        /// Its permission bits.
        mode: u32,
    },
}

/// What [`prepare`] expects of a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privacy {
    /// Holds personal data or secrets: warn when group or others have any access.
    Private,
    /// Holds code and configuration: only writing by others is refused.
    Shared,
}

/// Creates `path` (and missing parents) with [`FOLDER_MODE`] when it does not exist, then checks
/// the folder: refused when others can write to it; a [`Privacy::Private`] folder open to group or
/// others otherwise is logged as a warning with the `chmod` that fixes it.
pub fn prepare(path: &Path, key: &'static str, privacy: Privacy) -> Result<(), FolderError> {
    let io = |source| FolderError::Io {
        path: path.to_owned(),
        key,
        source,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, FOLDER_MODE);
    builder.create(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o002 != 0 {
            return Err(FolderError::WritableByOthers {
                path: path.to_owned(),
                key,
                mode,
            });
        }
        if privacy == Privacy::Private && mode & 0o077 != 0 {
            tracing::warn!(
                folder = %path.display(),
                key,
                mode = format!("{mode:03o}"),
                fix = format!("chmod 700 {}", path.display()),
                "the data folder is open to other users (its files are private, but their names and sizes show)"
            );
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_folder_and_its_new_parents_are_private() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("a/b");
        prepare(&path, "data_dir", Privacy::Private).unwrap();
        assert_eq!(mode(&path), FOLDER_MODE);
        assert_eq!(mode(&root.path().join("a")), FOLDER_MODE);
    }

    #[test]
    fn a_folder_others_can_write_is_refused_with_the_fix() {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        for privacy in [Privacy::Private, Privacy::Shared] {
            let err = prepare(root.path(), "plugin_dir", privacy).unwrap_err();
            let text = err.to_string();
            assert!(matches!(
                err,
                FolderError::WritableByOthers { mode: 0o777, .. }
            ));
            assert!(text.contains("plugin_dir"), "{text}");
            assert!(
                text.contains(&format!("chmod 700 {}", root.path().display())),
                "{text}"
            );
        }
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        prepare(root.path(), "data_dir", Privacy::Private).expect("readable by others: a warning");
    }
}
