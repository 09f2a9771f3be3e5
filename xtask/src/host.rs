//! A `smartreach-hooks` binary as a child process, for the tasks that drive a real host (`bench`,
//! `conformance`): started with `serve --config FILE` in a folder of its own, stopped with SIGTERM.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The line the host prints on stdout once it listens; the address follows it.
const LISTENING: &str = "smartreach-hooks listening on http://";

/// How long a start may take: the first start compiles the plugins.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// How long the host may take to exit after SIGTERM (its default grace period is 30 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// A TOML basic string holding `value`.
pub fn toml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The running host process.
pub struct Host {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id.
    pub pid: u32,
    /// How long it took from spawn to the listening line.
    pub started_in: Duration,
    stopped: bool,
}

/// How the host ended after SIGTERM.
pub struct Stopped {
    /// Its exit status.
    pub status: ExitStatus,
    /// How long it took to exit after the signal (or until it was killed).
    pub took: Duration,
    /// Whether it was still running [`STOP_TIMEOUT`] after SIGTERM, and so was killed.
    pub killed: bool,
}

impl Host {
    /// Starts `binary serve --config CONFIG` in `workdir` with `env` and no other
    /// `SMARTREACH_HOOKS_*` variable in its environment (the host reads them as configuration and
    /// refuses unknown ones), its stderr (the log) written to `log`, and returns once it printed
    /// the address it listens on.
    pub fn start(
        binary: &Path,
        workdir: &Path,
        config: &Path,
        log: &Path,
        env: &[(&str, &str)],
    ) -> Result<Self> {
        let mut command = Command::new(binary);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SMARTREACH_HOOKS_") {
                command.env_remove(name);
            }
        }
        let log_file = File::create(log).context("creating the host's log file")?;
        let started = Instant::now();
        let mut child = command
            .arg("serve")
            .arg("--config")
            .arg(config)
            .envs(env.iter().copied())
            .current_dir(workdir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("the host's stdout")?;
        let (address_tx, address_rx) = mpsc::channel();
        // Reads stdout to its end, so that the host never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.trim().strip_prefix(LISTENING) {
                    let _ = address_tx.send(rest.trim_end_matches('/').to_owned());
                }
            }
        });
        let pid = child.id();
        let address = match address_rx.recv_timeout(START_TIMEOUT) {
            Ok(address) => address,
            Err(err) => {
                let _ = child.kill();
                let status = child.wait();
                bail!(
                    "the host did not print `{LISTENING}...` ({err}; {status:?}); see {}",
                    log.display()
                );
            }
        };
        let addr = address
            .parse()
            .with_context(|| format!("the address in the listening line: {address:?}"))?;
        Ok(Self {
            child,
            addr,
            pid,
            started_in: started.elapsed(),
            stopped: false,
        })
    }

    /// Sends SIGTERM with `kill(1)` and waits for the host to exit; kills it (SIGKILL) when it is
    /// still running after [`STOP_TIMEOUT`].
    pub fn stop(&mut self) -> Result<Stopped> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .context("running kill -TERM")?;
        if !status.success() {
            bail!("kill -TERM {} failed ({status})", self.pid);
        }
        let signalled = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().context("waiting for the host")? {
                self.stopped = true;
                return Ok(Stopped {
                    status,
                    took: signalled.elapsed(),
                    killed: false,
                });
            }
            if signalled.elapsed() > STOP_TIMEOUT {
                self.child.kill().context("killing the host")?;
                let status = self.child.wait().context("waiting for the host")?;
                self.stopped = true;
                return Ok(Stopped {
                    status,
                    took: signalled.elapsed(),
                    killed: true,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process has exited (without being stopped by [`Host::stop`]), and how.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Host {
    /// Kills a host still running, e.g. when a task stopped on an error.
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
