//! The TypeScript/JavaScript side of `plugins/`: an npm workspace (`plugins/package.json`, the SDK
//! in `plugins/sdk/js`, the examples) whose toolchain (componentize-js, esbuild, TypeScript,
//! json-schema-to-typescript) is pinned in the committed `plugins/package-lock.json`.
//!
//! [`ensure_installed`] runs `npm ci` when `plugins/node_modules` is missing or was installed from
//! another lockfile (a copy of the lockfile it was installed from is kept in
//! `node_modules/.smartreach-installed-lock`); [`build`] then runs the examples' `npm run build`,
//! which rebuilds a component only when its bundle changed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Output;

/// The TypeScript examples: their folder under `plugins/`; each builds `dist/{name}.wasm`.
pub const EXAMPLES: [&str; 1] = ["contact-upsert"];

/// Where `node_modules` keeps the lockfile it was installed from.
const INSTALLED_LOCK: &str = "node_modules/.smartreach-installed-lock";

/// Why the JavaScript toolchain or a JavaScript plugin could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// npm (or node) is not on PATH.
    #[error(
        "cannot run `npm {action}` in {dir}: {source}; the TypeScript plugins need Node.js 20 or \
         newer with npm on PATH (e.g. `apt-get install nodejs npm`, or https://nodejs.org)"
    )]
    Start {
        /// What npm was asked to do.
        action: String,
        /// The folder it ran in.
        dir: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// npm ran and failed; its errors are on stderr above.
    #[error("`npm {action}` failed in {dir} ({status}){hint}")]
    Failed {
        /// What npm was asked to do.
        action: String,
        /// The folder it ran in.
        dir: PathBuf,
        /// How npm exited.
        status: std::process::ExitStatus,
        /// What to try.
        hint: &'static str,
    },
    /// Reading or writing the install stamp failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// `npm ci` in `plugins` unless `node_modules` was installed from the current lockfile.
pub fn ensure_installed(plugins: &Path, output: Output) -> Result<(), Error> {
    let lock_path = plugins.join("package-lock.json");
    let lock = std::fs::read(&lock_path).map_err(|source| Error::Io {
        path: lock_path,
        source,
    })?;
    let stamp = plugins.join(INSTALLED_LOCK);
    if std::fs::read(&stamp).is_ok_and(|installed| installed == lock) {
        return Ok(());
    }
    // --prefer-offline: what npm's cache holds is not asked for again.
    let mut args = vec!["ci", "--prefer-offline", "--no-audit", "--no-fund"];
    if output == Output::Quiet {
        args.push("--silent");
    }
    npm(
        plugins,
        &args,
        ": the npm registry must be reachable (or npm's cache hold the packages); if \
         package-lock.json is out of date, run `npm install` in plugins/ and commit it",
    )?;
    std::fs::write(&stamp, &lock).map_err(|source| Error::Io {
        path: stamp,
        source,
    })
}

/// Installs the toolchain when needed, builds every TypeScript example, and returns each one's
/// name and `.wasm`.
pub fn build(plugins: &Path, output: Output) -> Result<Vec<(&'static str, PathBuf)>, Error> {
    ensure_installed(plugins, output)?;
    let mut built = Vec::new();
    for name in EXAMPLES {
        let mut args = vec!["run", "build", "--workspace", name];
        if output == Output::Quiet {
            args.push("--silent");
        }
        npm(
            plugins,
            &args,
            ": the plugin's errors are above (type errors, or componentize-js)",
        )?;
        built.push((name, wasm_path(plugins, name)));
    }
    Ok(built)
}

/// Where example `name`'s component is built: `plugins/{name}/dist/{name}.wasm`.
pub fn wasm_path(plugins: &Path, name: &str) -> PathBuf {
    plugins.join(name).join("dist").join(format!("{name}.wasm"))
}

/// Runs `npm ARGS` in `dir`.
pub fn npm(dir: &Path, args: &[&str], hint: &'static str) -> Result<(), Error> {
    let action = args.join(" ");
    let status = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|source| Error::Start {
            action: action.clone(),
            dir: dir.to_path_buf(),
            source,
        })?;
    if !status.success() {
        return Err(Error::Failed {
            action,
            dir: dir.to_path_buf(),
            status,
            hint,
        });
    }
    Ok(())
}
