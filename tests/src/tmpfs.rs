//! A small tmpfs mounted over a test's folder, to fill a filesystem without filling the machine's.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of a fixed size mounted on a folder; unmounted (lazily, so a host still holding files
/// in it cannot block it) when dropped.
pub struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `"24m"`) on `dir`, mode 0700. `None` when this process may
    /// not mount (not root, no `CAP_SYS_ADMIN`): the caller skips, saying so; under `CI=true` a
    /// refused mount panics instead, so CI never skips silently.
    pub fn mount(dir: &Path, size: &str) -> Option<Self> {
        let output = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output()
            .expect("running mount");
        if output.status.success() {
            return Some(Self {
                dir: dir.to_path_buf(),
            });
        }
        let why = String::from_utf8_lossy(&output.stderr);
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and mounting a tmpfs on {} failed: {why}; CI must run this test as root",
            dir.display()
        );
        eprintln!(
            "SKIPPED: cannot mount a tmpfs on {} ({}): run as root to test a full filesystem",
            dir.display(),
            why.trim()
        );
        None
    }

    /// Writes `name` in the tmpfs until the filesystem is full; returns its path. Deleting it gives
    /// the space back.
    pub fn fill(&self, name: &str) -> PathBuf {
        use std::io::Write;
        let path = self.dir.join(name);
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0xa5_u8; 64 * 1024];
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) if err.raw_os_error() == Some(28) => break, // ENOSPC
                Err(err) => panic!("filling {}: {err}", path.display()),
            }
        }
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}
