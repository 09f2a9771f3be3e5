//! Where the shared webhook fixtures live (`tests/fixtures/` at the workspace root).

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};

use smartreach_models::WebhookPayload;

/// `tests/fixtures/<folder>` at the workspace root.
pub fn fixture_dir(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(folder)
}

/// The `.json` files of a fixture folder, sorted.
pub fn fixtures(folder: &str) -> Vec<PathBuf> {
    let dir = fixture_dir(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

/// Every fixture that must parse: `events/` and `quirks/`.
pub fn valid_fixtures() -> Vec<PathBuf> {
    let mut files = fixtures("events");
    files.extend(fixtures("quirks"));
    files
}

/// Reads and parses a fixture that must parse.
pub fn parse_fixture(path: &Path) -> WebhookPayload {
    let body = std::fs::read(path).unwrap();
    smartreach_models::parse(&body)
        .unwrap_or_else(|err| panic!("{} should parse: {err}", path.display()))
}

/// Reads a quirk fixture by file name.
pub fn quirk(name: &str) -> WebhookPayload {
    parse_fixture(&fixture_dir("quirks").join(name))
}
