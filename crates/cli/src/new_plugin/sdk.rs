//! The SDKs a new project gets.
//!
//! The TypeScript/JavaScript and Python SDKs are not published to a registry. They are small
//! folders of source whose only dependencies are their pinned toolchains (componentize-js from
//! npm, componentize-py from PyPI), so a new project gets a copy in `sdk/`, built into this
//! binary from `plugins/sdk/`: the project builds anywhere with the registries alone, and with
//! the SDK of the host that made it (the contract version the host loads). The Rust SDK is a
//! crate with a second unpublished crate below it (the models): a new Rust project depends on it
//! by path, in a checkout of this repository ([`find_rust_sdk`]).

use std::path::{Path, PathBuf};

use super::NewPluginError;

/// One file of an SDK copy.
#[derive(Debug, Clone, Copy)]
pub struct SdkFile {
    /// Its path inside `sdk/`.
    pub path: &'static str,
    /// What it holds.
    pub contents: &'static str,
}

/// The files of `plugins/sdk/js` a project needs (not `scripts/`: the SDK's own codegen and
/// tests). The test below keeps the list complete.
pub const JS: &[SdkFile] = &[
    SdkFile {
        path: "package.json",
        contents: include_str!("../../../../plugins/sdk/js/package.json"),
    },
    SdkFile {
        path: "tsconfig.json",
        contents: include_str!("../../../../plugins/sdk/js/tsconfig.json"),
    },
    SdkFile {
        path: "bin/smartreach-plugin.mjs",
        contents: include_str!("../../../../plugins/sdk/js/bin/smartreach-plugin.mjs"),
    },
    SdkFile {
        path: "wit/plugin.wit",
        contents: include_str!("../../../../plugins/sdk/js/wit/plugin.wit"),
    },
    SdkFile {
        path: "src/config.ts",
        contents: include_str!("../../../../plugins/sdk/js/src/config.ts"),
    },
    SdkFile {
        path: "src/declaration.ts",
        contents: include_str!("../../../../plugins/sdk/js/src/declaration.ts"),
    },
    SdkFile {
        path: "src/event.ts",
        contents: include_str!("../../../../plugins/sdk/js/src/event.ts"),
    },
    SdkFile {
        path: "src/export.ts",
        contents: include_str!("../../../../plugins/sdk/js/src/export.ts"),
    },
    SdkFile {
        path: "src/generated/webhook.ts",
        contents: include_str!("../../../../plugins/sdk/js/src/generated/webhook.ts"),
    },
    SdkFile {
        path: "src/http.ts",
        contents: include_str!("../../../../plugins/sdk/js/src/http.ts"),
    },
    SdkFile {
        path: "src/index.ts",
        contents: include_str!("../../../../plugins/sdk/js/src/index.ts"),
    },
    SdkFile {
        path: "src/log.ts",
        contents: include_str!("../../../../plugins/sdk/js/src/log.ts"),
    },
    SdkFile {
        path: "src/outcome.ts",
        contents: include_str!("../../../../plugins/sdk/js/src/outcome.ts"),
    },
    SdkFile {
        path: "src/wit.d.ts",
        contents: include_str!("../../../../plugins/sdk/js/src/wit.d.ts"),
    },
];

/// The files of `plugins/sdk/python` a project needs (not `scripts/` nor the codegen's
/// requirements). The test below keeps the list complete.
pub const PYTHON: &[SdkFile] = &[
    SdkFile {
        path: "requirements-build.txt",
        contents: include_str!("../../../../plugins/sdk/python/requirements-build.txt"),
    },
    SdkFile {
        path: "smartreach_plugin_app.py",
        contents: include_str!("../../../../plugins/sdk/python/smartreach_plugin_app.py"),
    },
    SdkFile {
        path: "smartreach_plugin/__init__.py",
        contents: include_str!("../../../../plugins/sdk/python/smartreach_plugin/__init__.py"),
    },
    SdkFile {
        path: "smartreach_plugin/_config.py",
        contents: include_str!("../../../../plugins/sdk/python/smartreach_plugin/_config.py"),
    },
    SdkFile {
        path: "smartreach_plugin/_declaration.py",
        contents: include_str!("../../../../plugins/sdk/python/smartreach_plugin/_declaration.py"),
    },
    SdkFile {
        path: "smartreach_plugin/_event.py",
        contents: include_str!("../../../../plugins/sdk/python/smartreach_plugin/_event.py"),
    },
    SdkFile {
        path: "smartreach_plugin/_export.py",
        contents: include_str!("../../../../plugins/sdk/python/smartreach_plugin/_export.py"),
    },
    SdkFile {
        path: "smartreach_plugin/_outcome.py",
        contents: include_str!("../../../../plugins/sdk/python/smartreach_plugin/_outcome.py"),
    },
    SdkFile {
        path: "smartreach_plugin/http.py",
        contents: include_str!("../../../../plugins/sdk/python/smartreach_plugin/http.py"),
    },
    SdkFile {
        path: "smartreach_plugin/log.py",
        contents: include_str!("../../../../plugins/sdk/python/smartreach_plugin/log.py"),
    },
    SdkFile {
        path: "smartreach_plugin/models.py",
        contents: include_str!("../../../../plugins/sdk/python/smartreach_plugin/models.py"),
    },
    SdkFile {
        path: "wit/plugin.wit",
        contents: include_str!("../../../../plugins/sdk/python/wit/plugin.wit"),
    },
    SdkFile {
        path: "wit/python.wit",
        contents: include_str!("../../../../plugins/sdk/python/wit/python.wit"),
    },
    SdkFile {
        path: "wit/deps/cli.wit",
        contents: include_str!("../../../../plugins/sdk/python/wit/deps/cli.wit"),
    },
    SdkFile {
        path: "wit/deps/clocks.wit",
        contents: include_str!("../../../../plugins/sdk/python/wit/deps/clocks.wit"),
    },
    SdkFile {
        path: "wit/deps/filesystem.wit",
        contents: include_str!("../../../../plugins/sdk/python/wit/deps/filesystem.wit"),
    },
    SdkFile {
        path: "wit/deps/http.wit",
        contents: include_str!("../../../../plugins/sdk/python/wit/deps/http.wit"),
    },
    SdkFile {
        path: "wit/deps/io.wit",
        contents: include_str!("../../../../plugins/sdk/python/wit/deps/io.wit"),
    },
    SdkFile {
        path: "wit/deps/random.wit",
        contents: include_str!("../../../../plugins/sdk/python/wit/deps/random.wit"),
    },
    SdkFile {
        path: "wit/deps/sockets.wit",
        contents: include_str!("../../../../plugins/sdk/python/wit/deps/sockets.wit"),
    },
];

/// The SDK's `package.json` as a project's copy: without its `devDependencies`, which are the
/// SDK's own codegen (an npm workspace installs them too).
pub fn js_package_json() -> String {
    let source = JS
        .iter()
        .find(|file| file.path == "package.json")
        .expect("the JavaScript SDK has a package.json")
        .contents;
    let mut package: serde_json::Value =
        serde_json::from_str(source).expect("the SDK's package.json is JSON (a test checks)");
    if let Some(fields) = package.as_object_mut() {
        fields.remove("devDependencies");
    }
    serde_json::to_string_pretty(&package).expect("a JSON value serialises") + "\n"
}

/// Where the Rust SDK crate of a smartreach-hooks checkout is.
const RUST_SDK: &str = "crates/plugin-sdk";
/// The lockfile of the plugins workspace of a checkout: the versions the examples build with.
const PLUGINS_LOCK: &str = "plugins/Cargo.lock";

/// The Rust SDK a new Rust project depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustSdk {
    /// The SDK crate's folder (`crates/plugin-sdk`), canonical.
    pub crate_dir: PathBuf,
    /// The checkout's `plugins/Cargo.lock`, when there is one: the project starts from it, so
    /// that its crates.io dependencies are the versions the examples are built and tested with.
    pub lock: Option<PathBuf>,
}

/// Finds the Rust SDK: `--sdk` (a checkout of smartreach-hooks, or its `crates/plugin-sdk`), else
/// the first checkout above the project's folder, else the checkout this binary was built from,
/// when it is still there.
pub fn find_rust_sdk(given: Option<&Path>, project: &Path) -> Result<RustSdk, NewPluginError> {
    let built = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    find_rust_sdk_with(given, project, built)
}

/// [`find_rust_sdk`], with `built` as the checkout this binary was built from.
fn find_rust_sdk_with(
    given: Option<&Path>,
    project: &Path,
    built: &Path,
) -> Result<RustSdk, NewPluginError> {
    if let Some(given) = given {
        let canonical = given.canonicalize().map_err(|source| NewPluginError::Io {
            action: "read --sdk",
            path: given.to_path_buf(),
            source,
        })?;
        return sdk_at(&canonical)
            .or_else(|| {
                is_sdk_crate(&canonical).then(|| RustSdk {
                    lock: canonical
                        .ancestors()
                        .nth(2)
                        .map(|checkout| checkout.join(PLUGINS_LOCK))
                        .filter(|lock| lock.is_file()),
                    crate_dir: canonical.clone(),
                })
            })
            .ok_or_else(|| NewPluginError::NotAnSdk {
                given: given.to_path_buf(),
            });
    }
    // `./NAME` is searched from the working folder up.
    let project = std::path::absolute(project).unwrap_or_else(|_| project.to_path_buf());
    let start = project
        .ancestors()
        .find_map(|dir| dir.canonicalize().ok())
        .unwrap_or_default();
    if let Some(sdk) = start.ancestors().find_map(sdk_at) {
        return Ok(sdk);
    }
    built
        .canonicalize()
        .ok()
        .and_then(|checkout| sdk_at(&checkout))
        .ok_or_else(|| NewPluginError::NoRustSdk {
            searched: start,
            built: built.to_path_buf(),
        })
}

/// The SDK of the checkout at `checkout`, if it is one.
fn sdk_at(checkout: &Path) -> Option<RustSdk> {
    let crate_dir = checkout.join(RUST_SDK);
    is_sdk_crate(&crate_dir).then(|| RustSdk {
        crate_dir,
        lock: Some(checkout.join(PLUGINS_LOCK)).filter(|lock| lock.is_file()),
    })
}

/// Whether `dir` holds the crate `smartreach-plugin-sdk`.
fn is_sdk_crate(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|manifest| manifest.contains("name = \"smartreach-plugin-sdk\""))
}

/// How the project at `project` refers to `target` (both canonical): relative when the project
/// is inside the checkout that holds `target` (the checkout can move), else absolute.
pub fn path_from(project: &Path, target: &Path) -> PathBuf {
    let Some(checkout) = target.ancestors().nth(2) else {
        return target.to_path_buf();
    };
    let Ok(inside) = project.strip_prefix(checkout) else {
        return target.to_path_buf();
    };
    let mut relative: PathBuf = inside.components().map(|_| "..").collect();
    relative.push(target.strip_prefix(checkout).unwrap_or(target));
    relative
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every file of `dir`, relative to it, but those under `skip` folders.
    fn files_of(dir: &Path, skip: &[&str]) -> BTreeSet<String> {
        fn walk(root: &Path, dir: &Path, skip: &[&str], out: &mut BTreeSet<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if skip.contains(&name.as_str()) {
                    continue;
                }
                if path.is_dir() {
                    walk(root, &path, skip, out);
                } else {
                    let relative = path.strip_prefix(root).unwrap();
                    out.insert(relative.to_string_lossy().into_owned());
                }
            }
        }
        let mut out = BTreeSet::new();
        walk(dir, dir, skip, &mut out);
        out
    }

    fn sdk_dir(lang: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../plugins/sdk")
            .join(lang)
    }

    #[test]
    fn the_copies_hold_every_file_of_the_sdks() {
        let skip = [
            "scripts",
            "node_modules",
            "dist",
            "__pycache__",
            ".pytest_cache",
        ];
        let listed = |files: &[SdkFile]| -> BTreeSet<String> {
            files.iter().map(|f| f.path.to_owned()).collect()
        };
        assert_eq!(
            listed(JS),
            files_of(&sdk_dir("js"), &skip),
            "add a new file of plugins/sdk/js to new_plugin::sdk::JS (or skip it here)"
        );
        let mut python = files_of(&sdk_dir("python"), &skip);
        python.remove("requirements-codegen.txt");
        assert_eq!(
            listed(PYTHON),
            python,
            "add a new file of plugins/sdk/python to new_plugin::sdk::PYTHON (or skip it here)"
        );
    }

    #[test]
    fn the_js_copy_keeps_the_toolchain_and_drops_the_codegen() {
        let package: serde_json::Value = serde_json::from_str(&js_package_json()).unwrap();
        assert_eq!(package["name"], "@smartreach-hooks/plugin-sdk");
        assert!(package["dependencies"]["@bytecodealliance/componentize-js"].is_string());
        assert!(package.get("devDependencies").is_none());
    }

    #[test]
    fn finds_the_checkout_above_a_project_or_the_one_named() {
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .canonicalize()
            .unwrap();
        let above = find_rust_sdk(None, &checkout.join("plugins/not-yet/there")).unwrap();
        assert_eq!(above.crate_dir, checkout.join(RUST_SDK));
        assert_eq!(above.lock, Some(checkout.join(PLUGINS_LOCK)));
        assert_eq!(
            find_rust_sdk(Some(&checkout), Path::new("/")).unwrap(),
            above
        );
        let named_crate = find_rust_sdk(Some(&checkout.join(RUST_SDK)), Path::new("/")).unwrap();
        assert_eq!(named_crate, above);
        let err = find_rust_sdk(Some(&checkout.join("plugins")), Path::new("/")).unwrap_err();
        assert!(err.to_string().contains("--sdk"), "{err}");
    }

    #[test]
    fn without_a_checkout_it_says_to_pass_sdk() {
        let err =
            find_rust_sdk_with(None, Path::new("/"), Path::new("/no/such/checkout")).unwrap_err();
        assert!(matches!(err, NewPluginError::NoRustSdk { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("not on crates.io") && message.contains("pass --sdk"),
            "{message}"
        );
    }

    #[test]
    fn refers_to_the_sdk_relatively_only_from_inside_its_checkout() {
        let sdk = Path::new("/src/hooks/crates/plugin-sdk");
        assert_eq!(
            path_from(Path::new("/src/hooks/plugins/crm"), sdk),
            Path::new("../../crates/plugin-sdk")
        );
        assert_eq!(path_from(Path::new("/tmp/crm"), sdk), sdk);
    }
}
