//! What cargo tells a suite about itself when it compiles it: the host binary it built for the
//! suite, and the suite's scratch folder.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Config, Env};

/// One black-box suite: the `smartreach-hooks` binary it tests and its scratch folder. Each suite
/// declares its own, from what cargo sets while compiling an integration test of the binary's
/// package, so that cargo builds the binary before the suite and the suite never tests a stale one:
///
/// ```ignore
/// const SUITE: Suite = Suite::new(
///     env!("CARGO_BIN_EXE_smartreach-hooks"),
///     env!("CARGO_TARGET_TMPDIR"),
/// );
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Suite {
    binary: &'static str,
    scratch: &'static str,
}

impl Suite {
    /// A suite testing `binary`, with `scratch` (`CARGO_TARGET_TMPDIR`) for what outlives a test.
    pub const fn new(binary: &'static str, scratch: &'static str) -> Self {
        Self { binary, scratch }
    }

    /// The binary under test: `HOOKS_TEST_BIN` when set (to test another build), else the one
    /// cargo built for this suite.
    pub fn binary(&self) -> PathBuf {
        let path = match std::env::var_os("HOOKS_TEST_BIN") {
            Some(path) => PathBuf::from(path),
            None => PathBuf::from(self.binary),
        };
        assert!(
            path.exists(),
            "the binary under test {} does not exist: run the suites with `cargo test` (which \
             builds it), or point HOOKS_TEST_BIN at a build",
            path.display()
        );
        path
    }

    /// A command running the binary under test with none of the test's own `SMARTREACH_*`
    /// variables: the host reads `SMARTREACH_HOOKS_*` as configuration (and refuses unknown ones)
    /// and the tools read `SMARTREACH_ADMIN_TOKEN`; a test sets what it means to.
    pub fn command(&self) -> Command {
        let mut command = Command::new(self.binary());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SMARTREACH_") {
                command.env_remove(name);
            }
        }
        command
    }

    /// The compile cache every test host of the suite shares, so that a plugin is compiled once
    /// per test run rather than once per host. Created private: the host refuses a cache folder
    /// that group or others may write to, and a umask of 002 would give it mode 0775.
    pub fn plugin_cache(&self) -> PathBuf {
        let dir = Path::new(self.scratch).join("plugin-cache");
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|err| panic!("creating {}: {err}", dir.display()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        dir
    }

    /// A fresh host folder with an empty plugin folder and the default configuration.
    pub fn env(&self) -> Env {
        self.env_with(Config::default())
    }

    /// A fresh host folder with an empty plugin folder and `config`.
    pub fn env_with(&self, config: Config) -> Env {
        Env::new(*self, config)
    }
}
