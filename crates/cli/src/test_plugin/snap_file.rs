//! Snapshot files in insta's on-disk format, so that `cargo insta review` (and `cargo insta
//! accept`) work on them: a YAML header between two `---` lines (`source`, `expression`), then
//! the snapshot's text. A run that differs writes `NAME.snap.new` beside `NAME.snap`, as insta
//! does, for review.

use std::path::{Path, PathBuf};

use super::yaml::scalar;

/// What a run compares and writes: `{plugin}@{case}.snap` in the snapshot folder.
#[derive(Debug, Clone)]
pub struct SnapFile {
    /// `DIR/{plugin}@{case}.snap`.
    pub path: PathBuf,
    /// The header's `expression`: what was run, e.g. `crm-sync on prospect.created`.
    pub expression: String,
}

impl SnapFile {
    /// The snapshot of `case` of `plugin` in `dir`.
    pub fn new(dir: &Path, plugin: &str, case: &str) -> Self {
        Self {
            path: dir.join(format!("{plugin}@{case}.snap")),
            expression: format!("{plugin} on {case}"),
        }
    }

    /// `NAME.snap.new`, where a differing or new snapshot waits for review.
    pub fn pending_path(&self) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(".new");
        PathBuf::from(name)
    }

    /// The whole file for `body`.
    pub fn contents(&self, body: &str) -> String {
        format!(
            "---\nsource: {}\nexpression: {}\n---\n{body}",
            scalar("smartreach-hooks test-plugin"),
            scalar(&self.expression)
        )
    }
}

/// The snapshot text of a `.snap` file's contents: everything after the header. `None` when the
/// file has no header (not a snapshot file).
pub fn body_of(contents: &str) -> Option<&str> {
    let rest = contents.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(&rest[end + "\n---\n".len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_reads_back_as_its_body() {
        let file = SnapFile::new(Path::new("snaps"), "crm-sync", "prospect.created");
        assert_eq!(file.path, Path::new("snaps/crm-sync@prospect.created.snap"));
        assert_eq!(
            file.pending_path(),
            Path::new("snaps/crm-sync@prospect.created.snap.new")
        );
        let contents = file.contents("- event_id: x\n");
        assert_eq!(
            contents,
            "---\nsource: smartreach-hooks test-plugin\nexpression: crm-sync on prospect.created\n\
             ---\n- event_id: x\n"
        );
        assert_eq!(body_of(&contents), Some("- event_id: x\n"));
        assert_eq!(body_of("- no header\n"), None);
    }
}
