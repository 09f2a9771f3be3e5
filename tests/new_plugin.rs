//! `new-plugin` end to end through the binary: a project made in each language (Rust,
//! TypeScript, JavaScript, Python) builds with its one command, `./build.sh`, into `NAME.wasm`,
//! which `check-plugin` loads unchanged (with the `NAME.toml` written beside it) and runs on the
//! project's sample event: `done`, with the log line the template writes. The Rust project's
//! own `cargo test` passes.
//!
//! The toolchains come from the caches CI fills before the tests (`cargo xtask test` builds the
//! examples first): the Rust build shares the plugins' target folder, so the SDK and its crates
//! are compiled once; the Python build uses the componentize-py of the plugins' virtualenv
//! (`COMPONENTIZE_PY`, which build.sh accepts at the pinned version); npm installs from its cache
//! (`--prefer-offline`). A missing toolchain (the wasm32-wasip2 target, node and npm, python3)
//! skips a test, saying so; under `CI=true` it fails it instead, so CI never skips silently.
//! Each test prints how long the build took.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use smartreach_plugin_build::Output;
use support::exit::{expect_exit, text};
use support::repo_root;

/// The sample event every project holds, and what the template logs for its one item.
const SAMPLE: &str = "events/activity.email.replied.json";
const EMAIL: &str = "rachel.goldberg@hudsonridge.example";

/// Returns `false` (and says so) when `what` is missing outside CI; panics under `CI=true`.
fn toolchain(present: bool, what: &str) -> bool {
    if present {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true and {what} is missing: CI must have every plugin toolchain"
    );
    eprintln!("skipped: {what} is missing");
    false
}

/// Whether `program --version` runs.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// `new-plugin NAME --lang LANG --dir DIR` with `extra` flags; panics unless it succeeds.
fn new_plugin(name: &str, lang: &str, dir: &Path, extra: &[&str]) {
    let output = SUITE
        .command()
        .args(["new-plugin", name, "--lang", lang, "--dir"])
        .arg(dir)
        .args(extra)
        .output()
        .expect("running smartreach-hooks");
    expect_exit(&output, 0, "new-plugin writes the project");
    let printed = text(&output.stdout);
    assert!(printed.contains("./build.sh"), "{printed}");
}

/// Runs the project's `./build.sh` with `env`; panics with its output unless it succeeds and
/// wrote `NAME.wasm`. Prints how long it took.
fn build(dir: &Path, name: &str, env: &[(&str, &Path)]) {
    let started = Instant::now();
    let mut command = Command::new(dir.join("build.sh"));
    command.current_dir(dir);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("running build.sh");
    expect_exit(
        &output,
        0,
        &format!("{name}: ./build.sh builds the project"),
    );
    assert!(dir.join(format!("{name}.wasm")).is_file());
    eprintln!(
        "{name}: ./build.sh took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// `check-plugin NAME.wasm --event SAMPLE --json` in the project: it loads with its manifest,
/// subscribes to every event, and its one run is `done` with the template's log line.
fn check(dir: &Path, name: &str) {
    let output = SUITE
        .command()
        .current_dir(dir)
        .arg("check-plugin")
        .arg(format!("{name}.wasm"))
        .args(["--event", SAMPLE, "--json"])
        .output()
        .expect("running smartreach-hooks");
    expect_exit(&output, 0, &format!("check-plugin runs {name}"));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["name"], name);
    assert!(
        report["manifest"]
            .as_str()
            .is_some_and(|path| path.ends_with(&format!("{name}.toml"))),
        "the manifest beside it is read: {report:#}"
    );
    assert_eq!(
        report["subscriptions"],
        serde_json::json!(["*"]),
        "{report:#}"
    );
    let run = &report["runs"][0];
    assert_eq!(run["outcome"]["kind"], "done", "{report:#}");
    let logged = run["logs"][0]["message"].as_str().unwrap_or_default();
    assert!(
        logged.starts_with("activity.email.replied ") && logged.ends_with(EMAIL),
        "the handler logs the event type and the email: {report:#}"
    );
}

#[test]
fn a_rust_plugin_builds_and_runs() {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .map(|output| text(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    let target = Path::new(&sysroot).join("lib/rustlib/wasm32-wasip2");
    if !toolchain(
        target.is_dir(),
        "the Rust target wasm32-wasip2 (`rustup target add wasm32-wasip2`)",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("rust-hello");
    let repo = repo_root();
    new_plugin(
        "rust-hello",
        "rust",
        &project,
        &["--sdk", repo.to_str().unwrap()],
    );
    // The plugins' target folder: the SDK and its crates, built by the examples' build with
    // the same lockfile and release profile, are not compiled again.
    let target_dir = smartreach_plugin_build::target_dir(&repo.join("plugins/Cargo.toml"))
        .unwrap_or_else(|err| panic!("{err}"));
    build(&project, "rust-hello", &[("CARGO_TARGET_DIR", &target_dir)]);
    check(&project, "rust-hello");
    // The project's own test, as its README says: `cargo test`, on the machine's target.
    let started = Instant::now();
    let output = Command::new("cargo")
        .args(["test", "--quiet"])
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .expect("running cargo test");
    expect_exit(&output, 0, "rust-hello: cargo test passes");
    let printed = text(&output.stdout);
    assert!(
        printed.contains("1 passed"),
        "the template's one test ran: {printed}"
    );
    eprintln!(
        "rust-hello: cargo test took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// A TypeScript or JavaScript project (`lang`): npm installs its toolchain from the cache.
fn node_plugin(lang: &str, name: &str) {
    if !toolchain(
        runs("node") && runs("npm"),
        "Node.js with npm (node and npm on PATH)",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join(name);
    new_plugin(name, lang, &project, &[]);
    build(&project, name, &[]);
    check(&project, name);
}

#[test]
fn a_typescript_plugin_builds_and_runs() {
    node_plugin("ts", "ts-hello");
}

#[test]
fn a_javascript_plugin_builds_and_runs() {
    node_plugin("js", "js-hello");
}

#[test]
fn a_python_plugin_builds_and_runs() {
    if !toolchain(runs("python3"), "python3 (3.10 or newer, with venv)") {
        return;
    }
    // componentize-py at the pinned version, installed once for the examples (the one shared
    // way); build.sh takes it instead of installing its own into .venv/.
    let plugins = repo_root().join("plugins");
    let bin = smartreach_plugin_build::python::ensure_installed(
        &plugins,
        smartreach_plugin_build::python::Toolchain::Build,
        Output::Quiet,
    )
    .unwrap_or_else(|err| panic!("{err}"));
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("py-hello");
    new_plugin("py-hello", "python", &project, &[]);
    build(
        &project,
        "py-hello",
        &[("COMPONENTIZE_PY", &bin.join("componentize-py"))],
    );
    check(&project, "py-hello");
}

#[test]
fn an_existing_project_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plugin.py"), "# mine\n").unwrap();
    let output = SUITE
        .command()
        .args(["new-plugin", "mine", "--lang", "python", "--dir"])
        .arg(dir.path())
        .output()
        .expect("running smartreach-hooks");
    expect_exit(&output, 1, "new-plugin refuses a folder with files");
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("is not empty"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("plugin.py")).unwrap(),
        "# mine\n"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_bad_name_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let output = SUITE
        .command()
        .args(["new-plugin", "crm.push", "--lang", "ts", "--dir"])
        .arg(dir.path().join("x"))
        .output()
        .expect("running smartreach-hooks");
    expect_exit(&output, 1, "new-plugin refuses the name");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("`crm.push` cannot be a plugin name: '.' at byte 3 is not allowed"),
        "{stderr}"
    );
    assert!(!dir.path().join("x").exists());
}
