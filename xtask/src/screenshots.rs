//! `cargo xtask screenshots`: runs the console's browser tests with `SMARTREACH_SCREENSHOTS`
//! naming `docs/screenshots/`, so that the operator's round saves a PNG of each page there, in a
//! 1280x900 window (`tests/browser/session.rs`). The PNGs are committed and shown in README.

use anyhow::{Result, bail};

use crate::{browser, cargo_with_env, workspace_root};

/// Where the PNGs go, from the workspace root.
const FOLDER: &str = "docs/screenshots";

/// The pages the round photographs, in its order.
const PAGES: [&str; 7] = [
    "sign-in",
    "overview",
    "events",
    "event",
    "deliveries",
    "replay-dead",
    "plugins",
];

/// Takes the screenshots; fails when a page's PNG was not written.
pub fn run(args: &[&str]) -> Result<()> {
    if !args.is_empty() {
        bail!("cargo xtask screenshots takes no arguments (it wrote {FOLDER}/)");
    }
    browser::require("cargo xtask screenshots")?;
    let folder = workspace_root().join(FOLDER);
    let started = std::time::SystemTime::now();
    let folder_text = folder.display().to_string();
    cargo_with_env(
        &[
            "test",
            "--workspace",
            "--test",
            "browser",
            "--",
            "an_operator",
        ],
        &[("SMARTREACH_SCREENSHOTS", folder_text.as_str())],
    )?;
    for page in PAGES {
        let path = folder.join(format!("{page}.png"));
        let written = std::fs::metadata(&path)
            .and_then(|metadata| metadata.modified())
            .is_ok_and(|modified| modified >= started);
        if !written {
            bail!(
                "{} was not written by the browser test: see its output above",
                path.display()
            );
        }
        let size = std::fs::metadata(&path)?.len();
        println!("{} ({} KB)", path.display(), size.div_ceil(1024));
    }
    Ok(())
}
