//! schemathesis, pinned, in a virtualenv of its own under the cargo target folder: installed from
//! PyPI with `python3 -m venv` and pip when it is missing or at another version.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The schemathesis release the run is pinned to. A newer one may add checks or change how data
/// is generated, so it is taken on purpose: change this, run `cargo xtask conformance`, settle
/// what it finds.
pub const SCHEMATHESIS: &str = "4.32.5";

/// The oldest Python schemathesis [`SCHEMATHESIS`] runs on.
const MIN_PYTHON: (u32, u32) = (3, 11);

/// The virtualenv: `{target}/conformance/venv`.
pub fn path(target_dir: &Path) -> PathBuf {
    target_dir.join("conformance").join("venv")
}

/// The `st` command of a virtualenv holding schemathesis [`SCHEMATHESIS`], created or
/// reinstalled first when needed.
pub fn ensure(venv: &Path) -> Result<PathBuf> {
    let python = venv.join("bin").join("python");
    let st = venv.join("bin").join("st");
    match installed_version(&python) {
        Some(version) if version == SCHEMATHESIS && st.exists() => return Ok(st),
        Some(version) => println!(
            "conformance: {} holds schemathesis {version}; installing {SCHEMATHESIS}",
            venv.display()
        ),
        None => {
            println!(
                "conformance: installing schemathesis {SCHEMATHESIS} into {}",
                venv.display()
            );
            create(venv)?;
        }
    }
    let requirement = format!("schemathesis=={SCHEMATHESIS}");
    println!("$ {}/bin/pip install --quiet {requirement}", venv.display());
    let status = Command::new(venv.join("bin").join("pip"))
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &requirement,
        ])
        .status()
        .with_context(|| format!("running pip of {}", venv.display()))?;
    if !status.success() {
        bail!(
            "`pip install {requirement}` failed ({status}) in {}: PyPI must be reachable \
             (set PIP_INDEX_URL for a mirror); delete that folder to start over",
            venv.display()
        );
    }
    match installed_version(&python) {
        Some(version) if version == SCHEMATHESIS && st.exists() => Ok(st),
        other => bail!(
            "after `pip install {requirement}`, {} holds schemathesis {other:?} and st {}; \
             delete that folder and run `cargo xtask conformance` again",
            venv.display(),
            if st.exists() { "exists" } else { "is missing" }
        ),
    }
}

/// The schemathesis version installed for `python`, or `None` when there is no such Python or
/// no schemathesis.
fn installed_version(python: &Path) -> Option<String> {
    let output = Command::new(python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('schemathesis'))",
        ])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `python3 -m venv VENV`, with an error that names what is missing and how to install it.
fn create(venv: &Path) -> Result<()> {
    let version = Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    let Some(version) = version else {
        bail!(
            "the conformance run needs python3 ({}.{} or newer), which is not on PATH: \
             install it, e.g. `sudo apt-get install python3 python3-venv` (Debian, Ubuntu) or \
             `brew install python` (macOS)",
            MIN_PYTHON.0,
            MIN_PYTHON.1
        );
    };
    if !new_enough(&version) {
        bail!(
            "schemathesis {SCHEMATHESIS} needs Python {}.{} or newer; python3 is {version}: \
             install a newer one as `python3`",
            MIN_PYTHON.0,
            MIN_PYTHON.1
        );
    }
    let _ = std::fs::remove_dir_all(venv);
    println!("$ python3 -m venv {}", venv.display());
    let output = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(venv)
        .output()
        .context("running python3 -m venv")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let _ = std::fs::remove_dir_all(venv);
        bail!(
            "`python3 -m venv {}` failed ({}): python3's venv module (with ensurepip) is missing: \
             install it, e.g. `sudo apt-get install python3-venv` (Debian, Ubuntu), then run \
             `cargo xtask conformance` again\n{stderr}",
            venv.display(),
            output.status
        );
    }
    Ok(())
}

/// Whether `python3 --version` (`Python 3.11.7`) names at least [`MIN_PYTHON`].
fn new_enough(version: &str) -> bool {
    let mut numbers = version
        .trim_start_matches("Python ")
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let major = numbers.next().unwrap_or(0);
    let minor = numbers.next().unwrap_or(0);
    (major, minor) >= MIN_PYTHON
}

#[cfg(test)]
mod tests {
    use super::new_enough;

    #[test]
    fn python_versions_are_compared_by_number() {
        assert!(new_enough("Python 3.11.7"));
        assert!(new_enough("Python 3.13.0"));
        assert!(new_enough("Python 4.0"));
        assert!(!new_enough("Python 3.9.18"));
        assert!(!new_enough("Python 2.7.18"));
        assert!(!new_enough("something else"));
    }
}
