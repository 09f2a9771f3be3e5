//! `smartreach-hooks new-plugin NAME --lang rust|ts|js|python [--dir DIR] [--sdk PATH]`: writes a
//! ready plugin project: the source (a handler that logs each event's type and email and returns
//! done), its manifest `NAME.toml`, a sample event, a test, a three-line README and `build.sh`,
//! the one command that builds `NAME.wasm` (installing the pinned toolchain when missing).
//!
//! `name.rs` checks the name, `template.rs` holds the templates of `crates/cli/templates/` and
//! renders them, `sdk.rs` the SDK copies (TypeScript/JavaScript, Python) and finds the Rust SDK.

mod name;
mod sdk;
mod template;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub use template::Lang;

use crate::cli::NewPluginArgs;

/// Why no project was written.
#[derive(Debug, thiserror::Error)]
pub enum NewPluginError {
    /// The name is not one a plugin can have.
    #[error("`{name}` cannot be a plugin name: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong, and what a name may be.
        reason: String,
    },
    /// The project folder exists and holds something.
    #[error(
        "{} already exists and is not empty: new-plugin writes a new project and never \
         overwrites files; pass --dir with a new or empty folder",
        dir.display()
    )]
    NotEmpty {
        /// The folder.
        dir: PathBuf,
    },
    /// The project folder is a file.
    #[error("{} exists and is not a folder: pass --dir with a new or empty folder", dir.display())]
    NotAFolder {
        /// The path.
        dir: PathBuf,
    },
    /// `--sdk` for a language whose SDK is copied.
    #[error(
        "--sdk is for --lang rust: a {lang} project gets its own copy of the SDK in sdk/, the one \
         built into this smartreach-hooks; leave --sdk out"
    )]
    SdkNotForLang {
        /// The language's name.
        lang: &'static str,
    },
    /// `--sdk` names no Rust SDK.
    #[error(
        "--sdk {}: no Rust plugin SDK there (a checkout of smartreach-hooks, holding \
         crates/plugin-sdk, or that crate's folder): pass the repository's folder",
        given.display()
    )]
    NotAnSdk {
        /// The path given.
        given: PathBuf,
    },
    /// No `--sdk`, and no checkout found.
    #[error(
        "a Rust plugin depends on the SDK crate smartreach-plugin-sdk, which is not on \
         crates.io, and no checkout of smartreach-hooks holding it was found (none above {}, and \
         {} where this binary was built is gone): pass --sdk with the path of a checkout (git \
         clone the smartreach-hooks repository)",
        searched.display(),
        built.display()
    )]
    NoRustSdk {
        /// Where the search up the folders started.
        searched: PathBuf,
        /// The checkout the binary was built from.
        built: PathBuf,
    },
    /// A path that cannot be written into `Cargo.toml`.
    #[error("{} is not valid UTF-8, so Cargo.toml cannot name it: move the SDK or the project", path.display())]
    NotUtf8 {
        /// The path.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// One file of the project to write.
#[derive(Debug)]
struct ProjectFile {
    /// Its path in the project.
    path: PathBuf,
    /// What it holds.
    contents: String,
    /// Whether it is a script.
    executable: bool,
}

/// Writes the project `args` describe and returns what to print: the files and what to do next.
pub fn run(args: &NewPluginArgs) -> Result<String, NewPluginError> {
    let name = args.name.as_str();
    name::validate(name, args.lang).map_err(|reason| NewPluginError::InvalidName {
        name: name.to_owned(),
        reason,
    })?;
    if args.sdk.is_some() && args.lang != Lang::Rust {
        return Err(NewPluginError::SdkNotForLang {
            lang: args.lang.title(),
        });
    }
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(name));
    check_free(&dir)?;
    let rust_sdk = match args.lang {
        Lang::Rust => Some(sdk::find_rust_sdk(args.sdk.as_deref(), &dir)?),
        _ => None,
    };
    std::fs::create_dir_all(&dir).map_err(|source| NewPluginError::Io {
        action: "create",
        path: dir.clone(),
        source,
    })?;
    let project = dir.canonicalize().map_err(|source| NewPluginError::Io {
        action: "read",
        path: dir.clone(),
        source,
    })?;
    let files = project_files(name, args.lang, &project, rust_sdk.as_ref())?;
    for file in &files {
        write(&project.join(&file.path), &file.contents, file.executable)?;
    }
    Ok(summary(name, args.lang, &dir, &files))
}

/// Refuses a `dir` that is a file or a folder with anything in it.
fn check_free(dir: &Path) -> Result<(), NewPluginError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(NewPluginError::NotEmpty {
                dir: dir.to_path_buf(),
            }),
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(_) if dir.exists() && !dir.is_dir() => Err(NewPluginError::NotAFolder {
            dir: dir.to_path_buf(),
        }),
        Err(source) => Err(NewPluginError::Io {
            action: "read",
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// Every file of the project `name` in `lang`, rendered; `project` is its canonical folder.
fn project_files(
    name: &str,
    lang: Lang,
    project: &Path,
    rust_sdk: Option<&sdk::RustSdk>,
) -> Result<Vec<ProjectFile>, NewPluginError> {
    let crate_name = name.replace('-', "_");
    let type_name = name::type_name(name);
    let entry = lang.source();
    let sdk_path = match rust_sdk {
        Some(sdk) => {
            let path = sdk::path_from(project, &sdk.crate_dir);
            let text = path
                .to_str()
                .ok_or_else(|| NewPluginError::NotUtf8 { path: path.clone() })?;
            // A TOML basic string: JSON's escapes are TOML's.
            serde_json::to_string(text).expect("a string serialises")
        }
        None => String::new(),
    };
    let values = [
        ("name", name),
        ("crate_name", crate_name.as_str()),
        ("type_name", type_name.as_str()),
        ("entry", entry),
        ("rust_sdk", sdk_path.as_str()),
        ("lang", lang.title()),
        ("version", env!("CARGO_PKG_VERSION")),
    ];
    let mut files: Vec<ProjectFile> = template::templates(lang)
        .into_iter()
        .map(|template| ProjectFile {
            path: PathBuf::from(template::render(template.path, &values)),
            contents: template::render(template.text, &values),
            executable: template.executable,
        })
        .collect();
    let copy = |sdk_files: &'static [sdk::SdkFile]| {
        sdk_files.iter().map(move |file| ProjectFile {
            path: Path::new("sdk").join(file.path),
            contents: if lang != Lang::Python && file.path == "package.json" {
                sdk::js_package_json()
            } else {
                file.contents.to_owned()
            },
            executable: false,
        })
    };
    match lang {
        Lang::Rust => {
            // The versions the examples are built and tested with: cargo keeps them, drops
            // what the project does not use, and adds the project itself.
            if let Some(lock) = rust_sdk.and_then(|sdk| sdk.lock.as_ref()) {
                let contents =
                    std::fs::read_to_string(lock).map_err(|source| NewPluginError::Io {
                        action: "read",
                        path: lock.clone(),
                        source,
                    })?;
                files.push(ProjectFile {
                    path: PathBuf::from("Cargo.lock"),
                    contents,
                    executable: false,
                });
            }
        }
        Lang::Ts | Lang::Js => files.extend(copy(sdk::JS)),
        Lang::Python => files.extend(copy(sdk::PYTHON)),
    }
    Ok(files)
}

/// Writes `contents` to `path`, creating its folder; a script is made executable.
fn write(path: &Path, contents: &str, executable: bool) -> Result<(), NewPluginError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |action, source| NewPluginError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| io("create the folder of", source))?;
    }
    std::fs::write(path, contents).map_err(|source| io("write", source))?;
    if executable {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(|source| io("make executable", source))?;
    }
    Ok(())
}

/// What `new-plugin` prints: the files written (the SDK copy as one line) and the next commands.
fn summary(name: &str, lang: Lang, dir: &Path, files: &[ProjectFile]) -> String {
    let mut out = format!(
        "Created the {} plugin {name} in {}:\n",
        lang.title(),
        dir.display()
    );
    let mut sdk_files = 0;
    for file in files {
        if file.path.starts_with("sdk") {
            sdk_files += 1;
        } else {
            let _ = writeln!(out, "  {}", file.path.display());
        }
    }
    if sdk_files > 0 {
        let _ = writeln!(
            out,
            "  sdk/  ({sdk_files} files: a copy of the {} SDK of smartreach-hooks {})",
            lang.title(),
            env!("CARGO_PKG_VERSION")
        );
    }
    let cd = shell_word(&dir.display().to_string());
    let _ = write!(
        out,
        "Next:\n  cd {cd}\n  ./build.sh                 # writes {name}.wasm\n  \
         smartreach-hooks check-plugin {name}.wasm --event events/activity.email.replied.json\n"
    );
    out
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(name: &str, lang: Lang, dir: &Path) -> NewPluginArgs {
        NewPluginArgs {
            name: name.to_owned(),
            lang,
            dir: Some(dir.to_path_buf()),
            sdk: None,
        }
    }

    fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("new-plugin-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn writes_a_python_project_with_its_sdk_and_an_executable_build_script() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("python");
        let printed = run(&args("lead-push", Lang::Python, &dir)).unwrap();
        assert!(printed.contains("src/plugin.py"), "{printed}");
        assert!(printed.contains("./build.sh"), "{printed}");
        let manifest = std::fs::read_to_string(dir.join("lead-push.toml")).unwrap();
        assert!(manifest.starts_with("# lead-push: "), "{manifest}");
        let build = dir.join("build.sh");
        assert_eq!(
            std::fs::metadata(&build).unwrap().permissions().mode() & 0o777,
            0o755
        );
        assert!(
            std::fs::read_to_string(build)
                .unwrap()
                .contains("lead-push.wasm")
        );
        assert!(dir.join("sdk/smartreach_plugin/_export.py").is_file());
        assert!(dir.join("sdk/wit/deps/http.wit").is_file());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_ts_project_depends_on_its_sdk_copy_as_a_workspace() {
        let dir = scratch("ts");
        run(&args("crm-push", Lang::Ts, &dir)).unwrap();
        let package: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap())
                .unwrap();
        assert_eq!(package["name"], "crm-push");
        assert_eq!(package["workspaces"][0], "sdk");
        let build = std::fs::read_to_string(dir.join("build.sh")).unwrap();
        assert!(
            build.contains("build src/plugin.ts --out dist/crm-push.wasm"),
            "{build}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_rust_project_names_the_sdk_and_starts_from_the_examples_lockfile() {
        let dir = scratch("rust");
        run(&args("crm-push", Lang::Rust, &dir)).unwrap();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let sdk = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../plugin-sdk")
            .canonicalize()
            .unwrap();
        assert!(
            manifest.contains(&format!("path = \"{}\"", sdk.display())),
            "{manifest}"
        );
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("export_plugin!(CrmPush);"), "{lib}");
        assert!(dir.join("Cargo.lock").is_file());
        assert!(!dir.join("sdk").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_a_folder_with_anything_in_it_and_writes_nothing() {
        let dir = scratch("full");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let err = run(&args("crm-push", Lang::Js, &dir)).unwrap_err();
        assert!(matches!(err, NewPluginError::NotEmpty { .. }), "{err}");
        assert!(err.to_string().contains("not empty"), "{err}");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_empty_folder_is_used() {
        let dir = scratch("empty");
        std::fs::create_dir_all(&dir).unwrap();
        run(&args("crm-push", Lang::Js, &dir)).unwrap();
        assert!(dir.join("src/plugin.js").is_file());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bad_name_or_a_misplaced_sdk_writes_nothing() {
        let dir = scratch("bad");
        let err = run(&args("Crm.Push", Lang::Ts, &dir)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("`Crm.Push` cannot be a plugin name: '.' at byte 3"),
            "{err}"
        );
        let mut with_sdk = args("crm-push", Lang::Python, &dir);
        with_sdk.sdk = Some(PathBuf::from("."));
        let err = run(&with_sdk).unwrap_err();
        assert!(
            err.to_string().starts_with("--sdk is for --lang rust"),
            "{err}"
        );
        assert!(!dir.exists());
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("plugins/crm-push"), "plugins/crm-push");
        assert_eq!(shell_word("my plugins/it's"), r"'my plugins/it'\''s'");
    }
}
