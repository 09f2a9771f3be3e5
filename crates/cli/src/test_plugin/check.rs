//! One snapshot checked against its file, what is written for it, and the summary of a run: a
//! line per snapshot, then the diff of every one that differs or is new.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::WriteMode;
use super::diff::unified;
use super::error::TestPluginError;
use super::snap_file::{SnapFile, body_of};

/// How one snapshot compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Same as the accepted snapshot.
    Matches,
    /// Differs from it; the diff of the accepted snapshot against this run.
    Differs {
        /// The unified diff.
        diff: String,
    },
    /// No accepted snapshot yet; this run's snapshot as a diff against nothing.
    New {
        /// The unified diff.
        diff: String,
    },
}

/// One snapshot's result.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The case: an event type, or `events-{file}`.
    pub case: String,
    /// The `.snap` file.
    pub path: PathBuf,
    /// How it compared.
    pub status: Status,
    /// The file written for it, if any (`.snap.new`, or `.snap` with `--accept`).
    pub written: Option<PathBuf>,
}

/// Compares `body` with `file` and writes what `mode` says.
pub fn check(
    file: &SnapFile,
    case: &str,
    body: &str,
    mode: WriteMode,
) -> Result<Checked, TestPluginError> {
    let shown = file.path.display().to_string();
    let status = match read(&file.path)? {
        None => Status::New {
            diff: unified(&shown, "", body),
        },
        Some(contents) => {
            let accepted = body_of(&contents).ok_or_else(|| TestPluginError::NotASnapshot {
                path: file.path.clone(),
            })?;
            if accepted.trim_end() == body.trim_end() {
                Status::Matches
            } else {
                Status::Differs {
                    diff: unified(&shown, accepted, body),
                }
            }
        }
    };
    let pending = file.pending_path();
    let written = match (mode, &status) {
        (WriteMode::Nothing, _) => None,
        (_, Status::Matches) => {
            remove_if_present(&pending)?;
            None
        }
        (WriteMode::Pending, _) => Some(write(&pending, &file.contents(body))?),
        (WriteMode::Accept, _) => {
            remove_if_present(&pending)?;
            Some(write(&file.path, &file.contents(body))?)
        }
    };
    Ok(Checked {
        case: case.to_owned(),
        path: file.path.clone(),
        status,
        written,
    })
}

fn read(path: &Path) -> Result<Option<String>, TestPluginError> {
    match std::fs::read_to_string(path) {
        Ok(contents) => Ok(Some(contents)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(TestPluginError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

fn write(path: &Path, contents: &str) -> Result<PathBuf, TestPluginError> {
    let failed = |source| TestPluginError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(path, contents).map_err(failed)?;
    Ok(path.to_owned())
}

fn remove_if_present(path: &Path) -> Result<(), TestPluginError> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(TestPluginError::Write {
            path: path.to_owned(),
            source: err,
        }),
        _ => Ok(()),
    }
}

/// The results of one run.
#[derive(Debug, Clone)]
pub struct Summary {
    plugin: String,
    dir: PathBuf,
    unsubscribed: Vec<String>,
    checked: Vec<Checked>,
}

impl Summary {
    /// An empty summary of `plugin`'s run against the snapshots of `dir`.
    pub fn new(plugin: &str, dir: &Path, unsubscribed: Vec<String>) -> Self {
        Self {
            plugin: plugin.to_owned(),
            dir: dir.to_owned(),
            unsubscribed,
            checked: Vec::new(),
        }
    }

    /// Adds one snapshot's result.
    pub fn push(&mut self, checked: Checked) {
        self.checked.push(checked);
    }

    /// Whether the run passes: every snapshot matched, or was accepted.
    pub fn passed(&self) -> bool {
        self.checked.iter().all(|checked| {
            checked.status == Status::Matches || checked.written.as_ref() == Some(&checked.path)
        })
    }

    /// A line per snapshot, then the diff of each that differs or is new, then what to do.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "test-plugin {}: {} snapshot{} in {}",
            self.plugin,
            self.checked.len(),
            if self.checked.len() == 1 { "" } else { "s" },
            self.dir.display()
        );
        for checked in &self.checked {
            let state = match (&checked.status, &checked.written) {
                (Status::Matches, _) => "ok",
                (_, Some(path)) if path == &checked.path => "accepted",
                (Status::Differs { .. }, _) => "DIFFERS",
                (Status::New { .. }, _) => "NEW",
            };
            let written = match &checked.written {
                Some(path) if path != &checked.path => format!(" (wrote {})", path.display()),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {state:<9}{}{written}", checked.case);
        }
        for file in &self.unsubscribed {
            let _ = writeln!(
                out,
                "  note: {file} is of an event type the plugin does not subscribe to; not run"
            );
        }
        if self.checked.is_empty() {
            let _ = writeln!(
                out,
                "  note: the plugin subscribes to no documented event type and --events gave none"
            );
        }
        for checked in &self.checked {
            if checked.written.as_ref() == Some(&checked.path) {
                continue;
            }
            match &checked.status {
                Status::Matches => {}
                Status::Differs { diff } => {
                    let _ = write!(out, "\n{} differs:\n{diff}", checked.case);
                }
                Status::New { diff } => {
                    let _ = write!(out, "\n{} is new:\n{diff}", checked.case);
                }
            }
        }
        out
    }

    /// What to do next when the run did not pass, for stderr.
    pub fn advice(&self, mode: WriteMode) -> String {
        let failing = self
            .checked
            .iter()
            .filter(|checked| checked.status != Status::Matches)
            .count();
        let what = format!(
            "{failing} snapshot{} of {} differ{} or {} new",
            if failing == 1 { "" } else { "s" },
            self.plugin,
            if failing == 1 { "s" } else { "" },
            if failing == 1 { "is" } else { "are" },
        );
        match mode {
            WriteMode::Nothing => format!(
                "{what} (CI=true: nothing written); run test-plugin on your machine, review \
                 the diff, accept with --accept and commit the snapshots"
            ),
            _ => format!(
                "{what}: review the diff above (or the .snap.new files with `cargo insta \
                 review`), then run again with --accept to accept them"
            ),
        }
    }
}
