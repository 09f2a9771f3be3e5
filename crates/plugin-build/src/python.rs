//! The Python side of `plugins/`: the SDK in `plugins/sdk/python` and the Python examples, built
//! with componentize-py, which is installed with pip from PyPI, at the version pinned in
//! `plugins/sdk/python/requirements-build.txt`, into a virtualenv of its own under the plugins'
//! target folder (`{target}/python/build`) when it is missing or holds other versions. The
//! generator of the SDK's types (`cargo xtask codegen`) gets a virtualenv of its own
//! (`{target}/python/codegen`, `requirements-codegen.txt`): componentize-py bundles what its
//! virtualenv holds, so the build's holds nothing else.
//!
//! An example is rebuilt only when its inputs changed: its `.py` files, the SDK's, the WIT and
//! the requirements are hashed into `dist/{name}.wasm.inputs` beside the component.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Output;

/// The Python examples: their folder under `plugins/`; each builds `dist/{name}.wasm`.
pub const EXAMPLES: [&str; 1] = ["lead-score"];

/// A pinned Python toolchain, in a virtualenv of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toolchain {
    /// componentize-py: builds the components.
    Build,
    /// datamodel-code-generator: makes the SDK's types (`cargo xtask codegen`).
    Codegen,
}

impl Toolchain {
    fn name(self) -> &'static str {
        match self {
            Self::Build => "build",
            Self::Codegen => "codegen",
        }
    }

    /// The pinned requirements, relative to `plugins/`.
    fn requirements(self) -> String {
        format!("sdk/python/requirements-{}.txt", self.name())
    }
}
/// Inside the virtualenv: a copy of the requirements it was installed from.
const INSTALLED: &str = ".smartreach-installed-requirements";
/// The oldest Python componentize-py runs on.
const MIN_PYTHON: (u32, u32) = (3, 10);

/// Why the Python toolchain or a Python plugin could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `python3` is missing, too old, or has no `venv` module.
    #[error("{0}")]
    Python(String),
    /// A command ran and failed; its errors are on stderr above.
    #[error("`{command}` failed ({status}): {hint}")]
    Failed {
        /// The command line.
        command: String,
        /// How it exited.
        status: std::process::ExitStatus,
        /// What to try.
        hint: String,
    },
    /// A command could not be started.
    #[error("cannot run `{command}`: {source}")]
    Start {
        /// The command line.
        command: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The plugins' target folder could not be found.
    #[error(transparent)]
    Cargo(#[from] crate::Error),
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Runs `command`; an error naming it, with `hint`, when it fails.
fn run(command: &mut Command, hint: &str) -> Result<(), Error> {
    let line = format!("{command:?}").replace('"', "");
    let status = command.status().map_err(|source| Error::Start {
        command: line.clone(),
        source,
    })?;
    if !status.success() {
        return Err(Error::Failed {
            command: line,
            status,
            hint: hint.to_owned(),
        });
    }
    Ok(())
}

/// The virtualenv of `toolchain`: `{plugins target}/python/{build,codegen}`.
pub fn venv(plugins: &Path, toolchain: Toolchain) -> Result<PathBuf, Error> {
    Ok(crate::target_dir(&plugins.join("Cargo.toml"))?
        .join("python")
        .join(toolchain.name()))
}

/// Creates the virtualenv of `toolchain` and installs its pinned requirements, unless it holds
/// them already; returns its `bin` folder.
pub fn ensure_installed(
    plugins: &Path,
    toolchain: Toolchain,
    output: Output,
) -> Result<PathBuf, Error> {
    let venv = venv(plugins, toolchain)?;
    let bin = venv.join("bin");
    let requirements_path = plugins.join(toolchain.requirements());
    let requirements = read(&requirements_path)?;
    let stamp = venv.join(INSTALLED);
    if bin.join("python").exists()
        && std::fs::read(&stamp).is_ok_and(|installed| installed == requirements)
    {
        return Ok(bin);
    }
    if !bin.join("python").exists() {
        create(&venv)?;
    }
    let mut pip = Command::new(bin.join("pip"));
    pip.args(["install", "--disable-pip-version-check", "-r"])
        .arg(&requirements_path);
    if output == Output::Quiet {
        pip.arg("--quiet");
    }
    run(
        &mut pip,
        &format!(
            "PyPI must be reachable (set PIP_INDEX_URL for a mirror); delete {} to start over",
            venv.display()
        ),
    )?;
    write(&stamp, &requirements)?;
    Ok(bin)
}

/// `python3 -m venv VENV`, with errors that say what is missing and how to install it.
fn create(venv: &Path) -> Result<(), Error> {
    let version = Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    let Some(version) = version else {
        return Err(Error::Python(format!(
            "the Python plugins need python3 ({}.{} or newer) to install componentize-py, and \
             it is not on PATH: install it, e.g. `apt-get install python3 python3-venv`",
            MIN_PYTHON.0, MIN_PYTHON.1
        )));
    };
    let mut numbers = version
        .trim_start_matches("Python ")
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let found = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    if found < MIN_PYTHON {
        return Err(Error::Python(format!(
            "componentize-py needs Python {}.{} or newer; python3 is {version}: install a newer \
             one as `python3`",
            MIN_PYTHON.0, MIN_PYTHON.1
        )));
    }
    let _ = std::fs::remove_dir_all(venv);
    let output = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(venv)
        .output()
        .map_err(|source| Error::Start {
            command: "python3 -m venv".to_owned(),
            source,
        })?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(venv);
        return Err(Error::Python(format!(
            "`python3 -m venv {}` failed: python3's venv module (with ensurepip) is missing: \
             install it, e.g. `apt-get install python3-venv`\n{}",
            venv.display(),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(())
}

/// Installs the toolchain when needed, builds every Python example whose inputs changed, and
/// returns each one's name and `.wasm`.
pub fn build(plugins: &Path, output: Output) -> Result<Vec<(&'static str, PathBuf)>, Error> {
    let bin = ensure_installed(plugins, Toolchain::Build, output)?;
    let requirements = plugins.join(Toolchain::Build.requirements());
    let sdk = plugins.join("sdk/python");
    let mut built = Vec::new();
    for name in EXAMPLES {
        let source = plugins.join(name);
        let wasm = wasm_path(plugins, name);
        let stamp = wasm.with_extension("wasm.inputs");
        let hash = inputs_hash(&[&source, &sdk], &requirements)?;
        let current = std::fs::read_to_string(&stamp).is_ok_and(|stamp| stamp == hash);
        if !(current && wasm.exists()) {
            let dist = source.join("dist");
            std::fs::create_dir_all(&dist).map_err(|source| Error::Io {
                path: dist.clone(),
                source,
            })?;
            let mut componentize = Command::new(bin.join("componentize-py"));
            if output == Output::Quiet {
                componentize.arg("--quiet");
            }
            componentize
                .arg("--wit-path")
                .arg(sdk.join("wit"))
                .args(["--world", "plugin-python", "componentize"])
                .arg("smartreach_plugin_app")
                .arg("--python-path")
                .arg(&source)
                .arg("--python-path")
                .arg(&sdk)
                .arg("--output")
                .arg(&wasm)
                .current_dir(&source);
            run(
                &mut componentize,
                &format!("the errors of {name}'s plugin.py or of the SDK are above"),
            )?;
            write(&stamp, hash.as_bytes())?;
        }
        built.push((name, wasm));
    }
    Ok(built)
}

/// Where example `name`'s component is built: `plugins/{name}/dist/{name}.wasm`.
pub fn wasm_path(plugins: &Path, name: &str) -> PathBuf {
    plugins.join(name).join("dist").join(format!("{name}.wasm"))
}

/// A hash of every `.py` and `.wit` file under `folders` (not under `dist`) and of the
/// requirements: the inputs of a component.
fn inputs_hash(folders: &[&Path], requirements: &Path) -> Result<String, Error> {
    let mut files = Vec::new();
    for folder in folders {
        collect(folder, &mut files)?;
    }
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in files.iter().chain([&requirements.to_path_buf()]) {
        file.hash(&mut hasher);
        read(file)?.hash(&mut hasher);
    }
    Ok(format!("{:016x}", hasher.finish()))
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "dist" && name != "__pycache__" {
                collect(&path, files)?;
            }
        } else if path
            .extension()
            .is_some_and(|ext| ext == "py" || ext == "wit")
        {
            files.push(path);
        }
    }
    Ok(())
}

/// The hasher's output is stable for one build of this crate, which is all a stamp needs.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_changes_with_a_file() {
        let dir = tempdir();
        let requirements = dir.join("req.txt");
        std::fs::write(&requirements, "x==1\n").unwrap();
        std::fs::write(dir.join("plugin.py"), "a = 1\n").unwrap();
        let before = inputs_hash(&[&dir], &requirements).unwrap();
        assert_eq!(before, inputs_hash(&[&dir], &requirements).unwrap());
        std::fs::write(dir.join("plugin.py"), "a = 2\n").unwrap();
        assert_ne!(before, inputs_hash(&[&dir], &requirements).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("plugin-build-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
