//! The host under test: the `smartreach-hooks` binary, started with `serve --config FILE` on a
//! temp dir of its own ([`Env`]), on a random loopback port.
//!
//! [`Host`] reads the address from the `listening on` line of its stdout, keeps draining stdout
//! and stderr into buffers (stderr holds the logs the tests search), and prints the end of stderr
//! when the test that owns it fails. Dropping it SIGKILLs a host still running.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) mod client;
mod config;
mod env;
mod suite;

pub use client::{Client, Ingested, Response, hook_path};
pub use config::{ADMIN_TOKEN, Config, RETRY_SCHEDULE, SOURCE, Source, TOKEN};
pub use env::Env;
pub use suite::Suite;

/// How long the first start may take: it compiles the plugins (in the background: the host
/// listens at once, [`Host::wait_until_compiled`] waits for them).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the plugins of a start may take to compile: a debug host compiles the 12-18 MB
/// TypeScript and Python examples in tens of seconds on a loaded machine.
const COMPILE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a signalled host may take to exit (its grace period is 5 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// The line the host prints on stdout once it listens.
const LISTENING: &str = "smartreach-hooks listening on http://";

/// A running (or stopped) host process.
pub struct Host {
    child: Child,
    exited: Option<ExitStatus>,
    /// The address it printed in its `listening on` line.
    pub addr: SocketAddr,
    client: Client,
    /// The configured `admin.token`, sent by [`Host::admin_get`] and [`Host::admin_post`].
    admin_token: Option<String>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

/// Appends every line of `stream` to `buffer`; hands each line to `on_line`.
fn drain(
    stream: impl Read + Send + 'static,
    buffer: Arc<Mutex<String>>,
    mut on_line: impl FnMut(&str) + Send + 'static,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line);
                    on_line(&text);
                    buffer.lock().unwrap().push_str(&text);
                }
            }
        }
    });
}

impl Host {
    /// Starts a host on `env` and waits until none of its plugins is compiling, as a host before
    /// background loading did before it listened.
    fn start(env: &Env) -> Self {
        let host = Self::launch(env);
        host.wait_until_compiled(COMPILE_TIMEOUT);
        host
    }

    /// Waits until `/readyz` names no plugin as compiling; panics with the host's log after
    /// `timeout`.
    pub fn wait_until_compiled(&self, timeout: Duration) {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let compiling = self.compiling();
            if compiling.is_empty() {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "plugins {compiling:?} still compiling after {timeout:?}\n--- stderr ---\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The plugins `/readyz` names as compiling (none when it does not answer with them).
    pub fn compiling(&self) -> Vec<String> {
        let Ok(response) = self.client.get("/readyz") else {
            return Vec::new();
        };
        serde_json::from_str::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|body| body.get("compiling").cloned())
            .and_then(|compiling| serde_json::from_value(compiling).ok())
            .unwrap_or_default()
    }

    /// Starts a host on `env` and returns once it listens, with its plugins possibly still
    /// compiling.
    fn launch(env: &Env) -> Self {
        let binary = env.suite().binary();
        // The config file alone configures the host.
        let mut command = env.suite().command();
        let mut child = command
            .arg("serve")
            .arg("--config")
            .arg(env.config_path())
            .current_dir(env.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("starting {}: {err}", binary.display()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (address_tx, address_rx) = mpsc::channel();
        drain(child.stdout.take().unwrap(), stdout.clone(), move |line| {
            if let Some(rest) = line.trim().strip_prefix(LISTENING) {
                let _ = address_tx.send(rest.trim_end_matches('/').to_owned());
            }
        });
        drain(child.stderr.take().unwrap(), stderr.clone(), |_| {});
        let address = match address_rx.recv_timeout(START_TIMEOUT) {
            Ok(address) => address,
            Err(err) => {
                let why = match err {
                    mpsc::RecvTimeoutError::Timeout => {
                        let _ = child.kill();
                        format!("did not print `{LISTENING}...` within {START_TIMEOUT:?}")
                    }
                    mpsc::RecvTimeoutError::Disconnected => "closed stdout".to_owned(),
                };
                let status = child.wait();
                // Give the stderr thread a moment to read what is left.
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "the host {why} ({status:?})\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    stdout.lock().unwrap(),
                    stderr.lock().unwrap()
                );
            }
        };
        let addr: SocketAddr = address
            .parse()
            .unwrap_or_else(|err| panic!("bad address in the listening line {address:?}: {err}"));
        let host = Self {
            child,
            exited: None,
            addr,
            client: Client::new(format!("http://{addr}")),
            admin_token: env.config.admin_token.clone(),
            stdout,
            stderr,
        };
        let health = host.client.get("/healthz");
        assert!(
            matches!(&health, Ok(response) if response.status == 200),
            "GET /healthz: {health:?}"
        );
        host
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A client for this host, e.g. for another thread.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        self.client.url(path)
    }

    /// `POST path`; panics on a transport error.
    pub fn post(
        &self,
        path: &str,
        content_type: Option<&str>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.client
            .post(path, content_type, headers, body)
            .unwrap_or_else(|err| panic!("POST {path}: {err}"))
    }

    /// `POST /hooks/smartreach/TOKEN` with a JSON body; panics on a transport error.
    pub fn post_webhook(&self, body: &[u8]) -> Response {
        self.client
            .post_webhook(body)
            .unwrap_or_else(|err| panic!("POST webhook: {err}"))
    }

    /// Posts a new webhook and checks it was accepted as new (202, not a duplicate).
    pub fn ingest(&self, body: &[u8]) -> Ingested {
        let response = self.post_webhook(body);
        assert_eq!(
            response.status, 202,
            "a new webhook is accepted: {response:?}"
        );
        let ingested = Ingested::from_response(&response);
        assert!(!ingested.duplicate, "{response:?}");
        ingested
    }

    /// `GET path` with a bearer token, when given; panics on a transport error.
    pub fn get_with_token(&self, path: &str, token: Option<&str>) -> Response {
        let authorization = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        self.client
            .get_with(path, &headers)
            .unwrap_or_else(|err| panic!("GET {path}: {err}"))
    }

    /// `GET path` of the admin API, with the configured admin token; panics on a transport error.
    pub fn admin_get(&self, path: &str) -> Response {
        let token = self
            .admin_token
            .as_deref()
            .expect("admin_get needs a host with admin.token configured");
        self.get_with_token(path, Some(token))
    }

    /// `POST path` of the admin API with the configured admin token and `body` as JSON (an empty
    /// body when `None`); panics on a transport error.
    pub fn admin_post(&self, path: &str, body: Option<&Value>) -> Response {
        let token = self
            .admin_token
            .as_deref()
            .expect("admin_post needs a host with admin.token configured");
        let authorization = format!("Bearer {token}");
        let headers = [("Authorization", authorization.as_str())];
        match body {
            Some(body) => self.post(
                path,
                Some("application/json"),
                &headers,
                body.to_string().as_bytes(),
            ),
            None => self.post(path, None, &headers, b""),
        }
    }

    /// Everything the host wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Everything the host wrote to stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// How many bytes of stderr there are so far: a mark for [`Self::wait_for_stderr`].
    pub fn stderr_mark(&self) -> usize {
        self.stderr.lock().unwrap().len()
    }

    /// Waits for a stderr line written after `mark` that contains `needle`; returns it.
    pub fn wait_for_stderr(&self, needle: &str, mark: usize, timeout: Duration) -> String {
        super::eventually(
            &format!("a log line (stderr) containing {needle:?}"),
            timeout,
            || {
                let stderr = self.stderr.lock().unwrap();
                stderr[mark..]
                    .lines()
                    .find(|line| line.contains(needle))
                    .map(str::to_owned)
            },
        )
    }

    /// Sends `signal` (`TERM`, `INT`, ...) with `kill(1)`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -{signal} {} failed", self.pid());
    }

    /// Sends `signal` and waits for the host to exit; returns how it exited.
    pub fn stop(&mut self, signal: &str) -> ExitStatus {
        self.signal(signal);
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.exited = Some(status);
                return status;
            }
            if Instant::now() >= deadline {
                panic!("the host did not exit within {STOP_TIMEOUT:?} of SIG{signal}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILLs the host and reaps it.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the host");
        self.exited = Some(self.child.wait().unwrap());
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.exited.is_none() && self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            // Let the reader threads catch up with what the process wrote last.
            std::thread::sleep(Duration::from_millis(100));
            const TAIL: usize = 64 * 1024;
            let stderr = self.stderr.lock().unwrap();
            let start = stderr.len().saturating_sub(TAIL);
            let start = (start..stderr.len())
                .find(|&index| stderr.is_char_boundary(index))
                .unwrap_or(stderr.len());
            eprintln!(
                "--- host {} (pid {}) stdout ---\n{}--- host stderr{} ---\n{}--- end of host stderr ---",
                self.addr,
                self.child.id(),
                self.stdout.lock().unwrap(),
                if start > 0 { " (last 64 KiB)" } else { "" },
                &stderr[start..]
            );
        }
    }
}
