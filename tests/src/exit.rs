//! How a run of the binary as a command (`trigger`, `events`, `check-plugin`, ...) ended.

use std::process::Output;

/// `bytes` as text, invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Panics, showing both streams, unless the command exited with `code`; `what` names the run.
pub fn expect_exit(output: &Output, code: i32, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// The stdout of a command that must have succeeded (exit 0).
pub fn stdout_of_success(output: &Output) -> String {
    expect_exit(output, 0, "the command succeeds");
    text(&output.stdout)
}

/// The stderr of a command that must have failed with exit 1 (a refused or failed request).
pub fn stderr_of_failure(output: &Output) -> String {
    expect_exit(output, 1, "the command fails with exit 1");
    text(&output.stderr)
}
