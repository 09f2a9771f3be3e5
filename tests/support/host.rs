//! The host under test: the `smartreach-hooks` binary, started with `serve --config FILE` on a
//! temp dir of its own ([`Env`]), on a random loopback port.
//!
//! [`Host`] reads the address from the `listening on` line of its stdout, keeps draining stdout
//! and stderr into buffers (stderr holds the logs the tests search), and prints the end of stderr
//! when the test that owns it fails. Dropping it SIGKILLs a host still running.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::db::Db;

/// The token of the default source, `smartreach`.
pub const TOKEN: &str = "test-token-0123456789abcdef";
/// The name of the default source.
pub const SOURCE: &str = "smartreach";
/// The admin token of a test host whose config sets `admin.token` (see [`Config::with_admin`]).
pub const ADMIN_TOKEN: &str = "admin-token-0123456789abcdef";
/// The retry schedule of every test host: attempts 2, 3 and 4 after these delays, then dead.
pub const RETRY_SCHEDULE: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(300),
];
/// How long the first start may take: it compiles the plugins.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a signalled host may take to exit (its grace period is 5 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// The line the host prints on stdout once it listens.
const LISTENING: &str = "smartreach-hooks listening on http://";

/// A configured source: a sender, known by the token in the URL it posts to
/// (`/hooks/smartreach/{token}`).
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub tokens: Vec<String>,
    /// `whsec_...` secrets; when any is set, a Standard Webhooks signature is required.
    pub signing_secrets: Vec<String>,
}

/// The host's configuration file, as the tests vary it.
#[derive(Debug, Clone)]
pub struct Config {
    pub sources: Vec<Source>,
    pub max_body_bytes: u64,
    pub dedup_window: String,
    pub signature_tolerance: String,
    pub workers: u32,
    pub retry_schedule: Vec<Duration>,
    pub poll_interval: String,
    pub reload_interval: String,
    pub grace_period: String,
    pub log_format: String,
    pub log_filter: String,
    /// `plugins.cache_dir`: one folder shared by every test host, so that a plugin is compiled
    /// once per test run rather than once per host.
    pub cache_dir: Option<PathBuf>,
    /// `admin.token`; `None` leaves the admin API off.
    pub admin_token: Option<String>,
    /// `retention.max_age` (e.g. `"1s"`); `None` keeps the host's default.
    pub retention_max_age: Option<String>,
    /// `retention.interval` (e.g. `"200ms"`); `None` keeps the host's default.
    pub retention_interval: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            sources: vec![Source {
                name: SOURCE.to_owned(),
                tokens: vec![TOKEN.to_owned()],
                signing_secrets: Vec::new(),
            }],
            max_body_bytes: 1024 * 1024,
            dedup_window: "24h".to_owned(),
            signature_tolerance: "5m".to_owned(),
            workers: 16,
            retry_schedule: RETRY_SCHEDULE.to_vec(),
            poll_interval: "50ms".to_owned(),
            reload_interval: "200ms".to_owned(),
            grace_period: "5s".to_owned(),
            log_format: "json".to_owned(),
            log_filter: "info".to_owned(),
            cache_dir: Some(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")),
            admin_token: None,
            retention_max_age: None,
            retention_interval: None,
        }
    }
}

fn toml_list(items: &[String]) -> String {
    let items: Vec<String> = items
        .iter()
        .map(|item| super::plugins::toml_string(item))
        .collect();
    format!("[{}]", items.join(", "))
}

impl Config {
    /// The default configuration with the admin API on, behind [`ADMIN_TOKEN`].
    pub fn with_admin() -> Self {
        Self {
            admin_token: Some(ADMIN_TOKEN.to_owned()),
            ..Self::default()
        }
    }

    /// The TOML file for a host whose data and plugins live under the given folders.
    pub fn to_toml(&self, data_dir: &Path, plugin_dir: &Path) -> String {
        let string = |value: &str| super::plugins::toml_string(value);
        let schedule: Vec<String> = self
            .retry_schedule
            .iter()
            .map(|delay| format!("{}ms", delay.as_millis()))
            .collect();
        let mut text = format!(
            "listen = \"127.0.0.1:0\"\n\
             data_dir = {}\n\
             plugin_dir = {}\n\
             \n[log]\nformat = {}\nfilter = {}\n\
             \n[ingest]\nmax_body_bytes = {}\ndedup_window = {}\nsignature_tolerance = {}\n",
            string(&data_dir.to_string_lossy()),
            string(&plugin_dir.to_string_lossy()),
            string(&self.log_format),
            string(&self.log_filter),
            self.max_body_bytes,
            string(&self.dedup_window),
            string(&self.signature_tolerance),
        );
        for source in &self.sources {
            text.push_str(&format!(
                "\n[[sources]]\nname = {}\ntokens = {}\n",
                string(&source.name),
                toml_list(&source.tokens)
            ));
            if !source.signing_secrets.is_empty() {
                text.push_str(&format!(
                    "signing_secrets = {}\n",
                    toml_list(&source.signing_secrets)
                ));
            }
        }
        text.push_str(&format!(
            "\n[delivery]\nworkers = {}\nretry_schedule = {}\njitter = 0.0\npoll_interval = {}\n\
             \n[plugins]\nreload_interval = {}\n",
            self.workers,
            toml_list(&schedule),
            string(&self.poll_interval),
            string(&self.reload_interval),
        ));
        if let Some(cache_dir) = &self.cache_dir {
            text.push_str(&format!(
                "cache_dir = {}\n",
                string(&cache_dir.to_string_lossy())
            ));
        }
        text.push_str(&format!(
            "\n[shutdown]\ngrace_period = {}\n",
            string(&self.grace_period)
        ));
        if self.retention_max_age.is_some() || self.retention_interval.is_some() {
            text.push_str("\n[retention]\n");
            if let Some(max_age) = &self.retention_max_age {
                text.push_str(&format!("max_age = {}\n", string(max_age)));
            }
            if let Some(interval) = &self.retention_interval {
                text.push_str(&format!("interval = {}\n", string(interval)));
            }
        }
        if let Some(token) = &self.admin_token {
            text.push_str(&format!("\n[admin]\ntoken = {}\n", string(token)));
        }
        text
    }
}

/// The binary under test: `HOOKS_TEST_BIN`, else `smartreach-hooks` in the cargo target
/// folder this test runs from (`target/debug/deps/TEST` → `target/debug/smartreach-hooks`).
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HOOKS_TEST_BIN") {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "HOOKS_TEST_BIN={} does not exist",
            path.display()
        );
        return path;
    }
    let exe = std::env::current_exe().expect("the test's own path");
    let mut dir = exe.parent().expect("the test's folder").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir.join(format!("smartreach-hooks{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} does not exist: build it first: cargo build -p smartreach-hooks \
         (or point HOOKS_TEST_BIN at it)",
        bin.display()
    );
    bin
}

/// The temp dir of one test's host: config file, data dir, plugin dir and a staging folder for
/// writing plugin files atomically. It outlives restarts of the host.
pub struct Env {
    root: tempfile::TempDir,
    pub config: Config,
}

impl Env {
    /// An empty plugin folder and the default configuration.
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// An empty plugin folder and `config`.
    pub fn with_config(config: Config) -> Self {
        let root = tempfile::Builder::new()
            .prefix("smartreach-hooks-test-")
            .tempdir()
            .unwrap();
        for dir in ["data", "plugins", "staging"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        Self { root, config }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root().join("data")
    }

    pub fn plugin_dir(&self) -> PathBuf {
        self.root().join("plugins")
    }

    pub fn config_path(&self) -> PathBuf {
        self.root().join("smartreach-hooks.toml")
    }

    /// The host's database.
    pub fn db(&self) -> Db {
        Db {
            path: self.data_dir().join("smartreach-hooks.db"),
        }
    }

    /// Writes `file` into the plugin folder atomically (written beside it, then renamed), so the
    /// host never reads half a file.
    pub fn put_plugin_file(&self, file: &str, bytes: &[u8]) -> PathBuf {
        let staged = self.root().join("staging").join(file);
        std::fs::write(&staged, bytes).unwrap();
        let path = self.plugin_dir().join(file);
        std::fs::rename(&staged, &path).unwrap();
        path
    }

    /// Installs plugin crate `crate_name` as `name.wasm`, with `manifest` as `name.toml` when
    /// given (written first, so the host never sees the new `.wasm` without it). Returns the
    /// SHA-256 of the `.wasm`.
    pub fn install(&self, name: &str, crate_name: &str, manifest: Option<&str>) -> String {
        if let Some(manifest) = manifest {
            self.put_plugin_file(&format!("{name}.toml"), manifest.as_bytes());
        }
        let bytes = super::plugins::wasm(crate_name);
        self.put_plugin_file(&format!("{name}.wasm"), &bytes);
        super::sha256_hex(&bytes)
    }

    /// Deletes `file` from the plugin folder.
    pub fn remove_plugin_file(&self, file: &str) {
        std::fs::remove_file(self.plugin_dir().join(file)).unwrap();
    }

    /// Writes the configuration file and starts a host on this folder.
    pub fn start(&self) -> Host {
        std::fs::write(
            self.config_path(),
            self.config.to_toml(&self.data_dir(), &self.plugin_dir()),
        )
        .unwrap();
        Host::start(self)
    }
}

/// An HTTP answer of the host.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
    /// Every header, names in lowercase, in the order received.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON; panics naming the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| {
            panic!(
                "status {} body is not JSON ({err}): {}",
                self.status, self.body
            )
        })
    }
}

/// The answer to an accepted webhook (202) or a recognised redelivery (200).
#[derive(Debug, Clone)]
pub struct Ingested {
    pub status: u16,
    pub webhook_id: String,
    pub events: u64,
    pub deliveries: u64,
    pub duplicate: bool,
}

impl Ingested {
    /// Reads the JSON answer of an accepted webhook; panics when it is not one. A redelivery's
    /// answer (200) may leave out `events` and `deliveries` (read as 0).
    pub fn from_response(response: &Response) -> Self {
        assert!(
            matches!(response.status, 200 | 202),
            "webhook not accepted: {response:?}"
        );
        let json = response.json();
        let field = |name: &str| {
            json.get(name)
                .unwrap_or_else(|| panic!("no `{name}` in the answer {json}"))
                .clone()
        };
        let count = |name: &str| match json.get(name) {
            None if response.status == 200 => 0,
            _ => field(name)
                .as_u64()
                .unwrap_or_else(|| panic!("`{name}` is a count in {json}")),
        };
        Self {
            status: response.status,
            webhook_id: field("webhook_id")
                .as_str()
                .expect("webhook_id is a string")
                .to_owned(),
            events: count("events"),
            deliveries: count("deliveries"),
            duplicate: field("duplicate")
                .as_bool()
                .expect("duplicate is a boolean"),
        }
    }
}

/// An HTTP client for one host; cheap to clone and to send to another thread.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    fn new(base: String) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            // Well under the server's keep-alive limits: a POST is never sent on a connection
            // the server is closing (POSTs are not retried).
            .max_idle_age(Duration::from_secs(5))
            .build()
            .into();
        Self { agent, base }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<Response, String> {
        let response = self.agent.get(&self.url(path)).call();
        read(response)
    }

    /// `GET path` with more headers.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Result<Response, String> {
        let mut request = self.agent.get(&self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.call())
    }

    /// `POST path` with `body`, a `Content-Type` when given, and more headers.
    pub fn post(
        &self,
        path: &str,
        content_type: Option<&str>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, String> {
        let mut request = self.agent.post(&self.url(path));
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send(body))
    }

    /// `POST /hooks/smartreach/TOKEN` with a JSON body: what SmartReach sends.
    pub fn post_webhook(&self, body: &[u8]) -> Result<Response, String> {
        self.post(&hook_path(TOKEN), Some("application/json"), &[], body)
    }
}

fn read(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Response, String> {
    let mut response = response.map_err(|err| err.to_string())?;
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap_or("<binary>").to_owned());
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                value.to_str().unwrap_or("<binary>").to_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|err| format!("reading the answer's body: {err}"))?;
    Ok(Response {
        status,
        content_type,
        body,
        headers,
    })
}

/// `/hooks/smartreach/{token}`: the URL of the source whose token it is.
pub fn hook_path(token: &str) -> String {
    format!("/hooks/smartreach/{token}")
}

/// A running (or stopped) host process.
pub struct Host {
    child: Child,
    exited: Option<ExitStatus>,
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
    fn start(env: &Env) -> Self {
        let mut command = Command::new(binary());
        // The host reads SMARTREACH_HOOKS_* variables as configuration (and refuses unknown
        // ones, such as HOOKS_TEST_BIN): the config file alone configures it here.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SMARTREACH_HOOKS_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .arg("serve")
            .arg("--config")
            .arg(env.config_path())
            .current_dir(env.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("starting {}: {err}", binary().display()));
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

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A client for this host, e.g. for another thread.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

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
