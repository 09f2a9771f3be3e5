//! Whether the console's browser tests can run: they need Debian's `chromium` and
//! `chromium-driver` (`tests/browser/`). Without them, `cargo xtask test` says that they are
//! skipped and how to install them; under `CI=true` a missing browser is a failure, never a
//! silent skip (`.ci/run` installs them first). `cargo xtask screenshots` needs them always.

use anyhow::{Result, bail};

/// The variable the tests read: `skip` skips them (they say so).
const VARIABLE: &str = "SMARTREACH_TEST_BROWSER";

/// The command that installs both.
const INSTALL: &str = "apt-get install chromium chromium-driver";

/// The programs the tests run.
const PROGRAMS: [&str; 2] = ["chromium", "chromedriver"];

/// The environment of the workspace tests: nothing when both programs are on PATH (or the
/// variable is set already), `SMARTREACH_TEST_BROWSER=skip` when one is missing outside CI.
pub fn test_env() -> Result<Vec<(&'static str, &'static str)>> {
    if std::env::var_os(VARIABLE).is_some() {
        return Ok(Vec::new());
    }
    let Some(missing) = missing() else {
        return Ok(Vec::new());
    };
    if std::env::var("CI").as_deref() == Ok("true") {
        bail!(
            "{missing} not on PATH, and CI=true: the console's browser tests need them. Install \
             them ({INSTALL}; .ci/run does)"
        );
    }
    println!(
        "xtask: the console's browser tests are skipped: {missing} not on PATH. Install them \
         (sudo {INSTALL}) to run them"
    );
    Ok(vec![(VARIABLE, "skip")])
}

/// An error saying how to install the programs when one is missing.
pub fn require(task: &str) -> Result<()> {
    match missing() {
        None => Ok(()),
        Some(missing) => {
            bail!("{task} needs {missing} on PATH: install them with `sudo {INSTALL}`")
        }
    }
}

/// The missing programs, named, or `None` when both are there.
fn missing() -> Option<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let missing: Vec<&str> = PROGRAMS
        .into_iter()
        .filter(|program| !std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .map(|program| match program {
            "chromium" => "`chromium`",
            _ => "`chromedriver` (package chromium-driver)",
        })
        .collect();
    (!missing.is_empty()).then(|| missing.join(" and "))
}
