//! Where Chromium and chromedriver are, and what a test does when they are not: outside CI it
//! says that it is skipped and how to install them; under CI (`CI` set) it fails, so that a CI
//! machine without them never passes by skipping. `cargo xtask test` checks the same before it
//! starts and sets [`VARIABLE`] to `skip` outside CI (see `xtask/src/browser.rs`).

use std::path::{Path, PathBuf};

/// Set to `skip` to skip the browser tests (what `cargo xtask test` does when they are missing).
pub const VARIABLE: &str = "SMARTREACH_TEST_BROWSER";

/// The command that installs both on Debian.
pub const INSTALL: &str = "apt-get install chromium chromium-driver";

/// The Chromium binary itself, behind Debian's `/usr/bin/chromium` launcher: the launcher adds
/// flags of its own (`/etc/chromium.d`), and the tests start Chromium with theirs only.
const DEBIAN_BINARY: &str = "/usr/lib/chromium/chromium";

/// The two programs a browser test drives.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The browser.
    pub chromium: PathBuf,
    /// The WebDriver server that starts and drives it.
    pub chromedriver: PathBuf,
}

/// The tools, or `None` after saying why `test` is skipped; panics under CI when one is missing.
pub fn find(test: &str) -> Option<Tools> {
    if std::env::var(VARIABLE).as_deref() == Ok("skip") {
        eprintln!(
            "{test}: skipped, {VARIABLE}=skip (chromium or chromedriver missing); install them \
             ({INSTALL}) to run it"
        );
        return None;
    }
    match locate() {
        Ok(tools) => Some(tools),
        Err(missing) if std::env::var_os("CI").is_some() => panic!(
            "{test}: {missing}, and CI is set: the console's browser tests must run in CI. \
             Install them with `{INSTALL}` (.ci/run does when they are missing)"
        ),
        Err(missing) => {
            eprintln!("{test}: skipped: {missing}. Install them to run it: sudo {INSTALL}");
            None
        }
    }
}

fn locate() -> Result<Tools, String> {
    let chromium = on_path("chromium");
    let chromedriver = on_path("chromedriver");
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => {
            let debian = Path::new(DEBIAN_BINARY);
            let chromium = if debian.is_file() {
                debian.to_path_buf()
            } else {
                chromium
            };
            Ok(Tools {
                chromium,
                chromedriver,
            })
        }
        (None, None) => Err("neither `chromium` nor `chromedriver` is on PATH".to_owned()),
        (None, Some(_)) => Err("`chromium` is not on PATH".to_owned()),
        (Some(_), None) => Err("`chromedriver` is not on PATH".to_owned()),
    }
}

/// The first `name` in a folder of `PATH` that is a file.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
