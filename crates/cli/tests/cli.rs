//! The binary's command line: a bad configuration stops it at start with the key named, before it
//! opens a store or a port. (The host's behaviour end to end is tested by the suites of the
//! top-level `tests/` folder, integration tests of this same package and binary.)

use std::process::Command;

use smartreach_hooks_tests::host::Suite;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: Suite = Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

/// The binary, with none of the test's `SMARTREACH_*` variables.
fn host() -> Command {
    SUITE.command()
}

#[test]
fn a_bad_config_key_is_named_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hooks.toml");
    std::fs::write(&config, "[ingest]\nmax_body_bytes = \"lots\"\n").unwrap();
    let output = host()
        .current_dir(dir.path())
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ingest.max_body_bytes"), "{stderr}");
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created before the configuration is valid"
    );
}

#[test]
fn an_environment_variable_overrides_the_file_and_a_flag_overrides_both() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hooks.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:1\"\n").unwrap();
    let output = host()
        .current_dir(dir.path())
        .env("SMARTREACH_HOOKS_LISTEN", "not an address")
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("listen"), "{stderr}");
    assert!(stderr.contains("SMARTREACH_HOOKS_LISTEN"), "{stderr}");

    // The flag wins over the bad environment value; the bad log format then stops it.
    let output = host()
        .current_dir(dir.path())
        .env("SMARTREACH_HOOKS_LISTEN", "not an address")
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "xml",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(!stderr.contains("SMARTREACH_HOOKS_LISTEN"), "{stderr}");
    assert!(stderr.contains("log.format"), "{stderr}");
}
