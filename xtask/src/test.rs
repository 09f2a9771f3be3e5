//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use anyhow::Result;

use crate::{
    browser, cargo, cargo_with_env, codegen, conformance, fuzz, plugins, postgres, wasm_target,
};

const PLUGINS: &str = "plugins/Cargo.toml";

/// Seconds each fuzz target runs in CI: a bounded smoke run over the committed corpus (which
/// replays every earlier finding), not a search; `cargo xtask fuzz --seconds N` searches longer.
const FUZZ_SECONDS: u32 = 20;

/// Runs formatting, lints, codegen drift, the wasm builds, every test of both workspaces, the
/// OpenAPI conformance run, and each fuzz target for a bounded time.
pub fn run() -> Result<()> {
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&["fmt", "--all", "--check", "--manifest-path", PLUGINS])?;
    println!("$ cargo xtask codegen --check");
    codegen::run(codegen::Mode::Check)?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    wasm_target::ensure_installed()?;
    let wasm = wasm_target::TRIPLE;
    cargo(&["build", "--package", "smartreach-models", "--target", wasm])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--locked",
        "--manifest-path",
        PLUGINS,
        "--target",
        wasm,
        "--",
        "-D",
        "warnings",
    ])?;
    plugins::build()?;
    plugins::build_js()?;
    plugins::build_python()?;
    // CI=true makes insta, and `smartreach-hooks test-plugin` (the example plugins' snapshots in
    // plugins/*/snapshots/, through the suite tests/plugin_snapshots.rs), fail on a missing or
    // changed snapshot instead of writing it.
    let ci = [("CI", "true")];
    let mut workspace_env = ci.to_vec();
    workspace_env.extend(postgres::test_env()?);
    // The console's browser tests (tests/browser/) need chromium and chromedriver.
    workspace_env.extend(browser::test_env()?);
    cargo_with_env(&["test", "--workspace"], &workspace_env)?;
    // The plugins' own unit tests run natively.
    cargo_with_env(
        &[
            "test",
            "--workspace",
            "--locked",
            "--manifest-path",
            PLUGINS,
        ],
        &ci,
    )?;
    println!("$ cargo xtask conformance");
    conformance::check(false)?;
    cargo(&["fmt", "--check", "--manifest-path", "fuzz/Cargo.toml"])?;
    fuzz::fuzz(&fuzz::TARGETS, FUZZ_SECONDS)
}
