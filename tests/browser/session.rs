//! One headless Chromium at one host's console, driven over WebDriver (fantoccini talking to a
//! chromedriver of the test's own). Chromium starts with the flags of issue 12, a fresh profile
//! in a temp folder, DNS answering nothing but loopback, and a fixed window size. Every call
//! blocks, so the tests stay synchronous like the other suites; the pages are read by running a
//! line of script in them, never by holding an element across htmx's swaps.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::support::host::Host;
use crate::support::{SOON, eventually_or};
use crate::tools::Tools;

/// The flags issue 12 asks for: no sandbox (the tests may run as root), no GPU, and nothing
/// started that would reach the network on its own.
const FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Any name Chromium would look up fails, so nothing can leave the machine by name; the host is
/// reached by its loopback address.
const RESOLVER_RULES: &str = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1";

/// The window every page is shown (and photographed) in.
pub const WINDOW: (u32, u32) = (1280, 900);

/// How long chromedriver may take to answer its first request (it starts in well under a second).
const DRIVER_START: Duration = Duration::from_secs(30);

/// Where `cargo xtask screenshots` wants a PNG of each page; unset, none is taken.
const SCREENSHOTS: &str = "SMARTREACH_SCREENSHOTS";

/// Every URL the current document loaded: itself, its navigation, and every resource (the style
/// sheet, the script, and each request htmx made for a link or a form).
const LOADED_URLS: &str = "return [location.href]
    .concat(performance.getEntriesByType('navigation').map(entry => entry.name))
    .concat(performance.getEntriesByType('resource').map(entry => entry.name));";

/// A browser showing one host's console.
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    driver_log: PathBuf,
    _profile: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`, the host's origin.
    origin: String,
    /// Every URL a page loaded so far, all checked to be the host's.
    loaded: BTreeSet<String>,
}

impl Browser {
    /// Starts chromedriver and a Chromium for `host`.
    pub fn start(tools: &Tools, host: &Host) -> Self {
        let profile = tempfile::Builder::new()
            .prefix("smartreach-chromium-")
            .tempdir()
            .expect("a temp folder for Chromium's profile");
        let driver_log = profile.path().join("chromedriver.log");
        let port = free_port();
        let driver = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", driver_log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("starting {}: {err}", tools.chromedriver.display()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the WebDriver client");
        let mut browser = Self {
            runtime,
            client: None,
            driver,
            driver_log,
            origin: format!("http://{}", host.addr),
            loaded: BTreeSet::new(),
            _profile: profile,
        };
        let capabilities = capabilities(&tools.chromium, browser._profile.path());
        let client = browser.connect(port, capabilities);
        browser
            .runtime
            .block_on(client.set_window_size(WINDOW.0, WINDOW.1))
            .expect("setting the window size");
        browser.client = Some(client);
        browser
    }

    /// A WebDriver session on chromedriver at `port`, retried while chromedriver starts.
    fn connect(&self, port: u16, capabilities: Capabilities) -> Client {
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(capabilities.clone());
            match self.runtime.block_on(builder.connect(&url)) {
                Ok(client) => return client,
                Err(_) if started.elapsed() < DRIVER_START => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(err) => panic!(
                    "no Chromium session from chromedriver at {url} after {DRIVER_START:?}: \
                     {err}\n--- chromedriver log ---\n{}",
                    self.driver_log_tail()
                ),
            }
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("a session")
    }

    /// `http://127.0.0.1:PORT`, the host's origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Opens `url` (a path of the host, or a whole URL).
    pub fn goto(&mut self, url: &str) {
        let url = if url.starts_with('/') {
            format!("{}{url}", self.origin)
        } else {
            url.to_owned()
        };
        self.runtime
            .block_on(self.client().goto(&url))
            .unwrap_or_else(|err| panic!("opening {url}: {err}"));
    }

    /// Runs `script` (a function body: `return ...`) in the page, with `args`.
    pub fn run(&self, script: &str, args: Vec<Value>) -> Value {
        self.runtime
            .block_on(self.client().execute(script, args))
            .unwrap_or_else(|err| panic!("running `{script}` in the page: {err}"))
    }

    /// The text of the first element matching `css`, or `None` when there is none.
    pub fn text(&self, css: &str) -> Option<String> {
        let value = self.run(
            "const found = document.querySelector(arguments[0]); \
             return found ? found.textContent.trim() : null;",
            vec![json!(css)],
        );
        value.as_str().map(str::to_owned)
    }

    /// How many elements match `css`.
    pub fn count(&self, css: &str) -> usize {
        let value = self.run(
            "return document.querySelectorAll(arguments[0]).length;",
            vec![json!(css)],
        );
        value
            .as_u64()
            .and_then(|count| usize::try_from(count).ok())
            .unwrap_or_else(|| panic!("a count of {css}, not {value}"))
    }

    /// The path and query of the page shown.
    pub fn path(&self) -> String {
        let value = self.run("return location.pathname + location.search;", vec![]);
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Clicks the first element matching `css`.
    pub fn click(&self, css: &str) {
        self.runtime
            .block_on(async { self.client().find(Locator::Css(css)).await?.click().await })
            .unwrap_or_else(|err| panic!("clicking {css} on {}: {err}", self.path()));
    }

    /// Types `text` into the (emptied) field matching `css`, as a person would.
    pub fn type_into(&self, css: &str, text: &str) {
        self.runtime
            .block_on(async {
                let field = self.client().find(Locator::Css(css)).await?;
                field.clear().await?;
                field.send_keys(text).await
            })
            .unwrap_or_else(|err| panic!("typing into {css} on {}: {err}", self.path()));
    }

    /// Sets the value of the field matching `css` (a date and time field, whose typing depends on
    /// the locale).
    pub fn set_value(&self, css: &str, value: &str) {
        let found = self.run(
            "const field = document.querySelector(arguments[0]); \
             if (!field) { return false; } field.value = arguments[1]; return true;",
            vec![json!(css), json!(value)],
        );
        assert_eq!(found, json!(true), "a field {css} on {}", self.path());
    }

    /// Waits until the page's heading is `title` and htmx has nothing under way; then checks what
    /// the page loaded (see [`Self::check_requests`]).
    pub fn wait_for_page(&mut self, title: &str) {
        eventually_or(&format!("the page `{title}`"), SOON, || {
            let heading = self.text("main h1");
            let busy = self.count(".htmx-request") > 0;
            if heading.as_deref() == Some(title) && !busy {
                Ok(())
            } else {
                Err(format!(
                    "{} shows {heading:?} (htmx busy: {busy})",
                    self.path()
                ))
            }
        });
        self.check_requests();
    }

    /// Waits until `check` holds for the page shown (e.g. a list after a filter was applied).
    pub fn wait_until(&self, what: &str, mut check: impl FnMut(&Self) -> Result<(), String>) {
        eventually_or(what, SOON, || check(self));
    }

    /// Checks that every URL the page loaded is the host's: nothing left the host.
    pub fn check_requests(&mut self) {
        let urls = self.run(LOADED_URLS, vec![]);
        let urls: Vec<String> = serde_json::from_value(urls).expect("a list of URLs");
        let own = format!("{}/", self.origin);
        let foreign: Vec<&String> = urls
            .iter()
            .filter(|url| !url.starts_with(&own) && **url != self.origin)
            .collect();
        assert!(
            foreign.is_empty(),
            "{} loaded URLs of other origins than the host's {}: {foreign:?}",
            self.path(),
            self.origin
        );
        self.loaded.extend(urls);
    }

    /// Every URL the pages loaded so far (each checked to be the host's).
    pub fn loaded(&self) -> &BTreeSet<String> {
        &self.loaded
    }

    /// Saves a PNG of the window as `{name}.png` in the folder `SMARTREACH_SCREENSHOTS` names;
    /// does nothing when it is unset.
    pub fn screenshot(&self, name: &str) {
        let Some(folder) = std::env::var_os(SCREENSHOTS) else {
            return;
        };
        let folder = PathBuf::from(folder);
        std::fs::create_dir_all(&folder)
            .unwrap_or_else(|err| panic!("creating {}: {err}", folder.display()));
        let png = self
            .runtime
            .block_on(self.client().screenshot())
            .unwrap_or_else(|err| panic!("a screenshot of {}: {err}", self.path()));
        let path = folder.join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|err| panic!("writing {}: {err}", path.display()));
    }

    fn driver_log_tail(&self) -> String {
        const TAIL: usize = 8 * 1024;
        let log = std::fs::read_to_string(&self.driver_log).unwrap_or_default();
        let start = log.len().saturating_sub(TAIL);
        let start = (start..log.len())
            .find(|&index| log.is_char_boundary(index))
            .unwrap_or(log.len());
        log[start..].to_owned()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Ends the session, which quits Chromium; chromedriver is killed after it.
            let _ = self.runtime.block_on(client.close());
        }
        if std::thread::panicking() {
            eprintln!(
                "--- chromedriver log (end) ---\n{}--- end of chromedriver log ---",
                self.driver_log_tail()
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// What chromedriver starts: `chromium` with [`FLAGS`], the resolver rules and a fresh profile.
fn capabilities(chromium: &Path, profile: &Path) -> Capabilities {
    let mut args: Vec<String> = FLAGS.iter().map(|flag| (*flag).to_owned()).collect();
    args.push(RESOLVER_RULES.to_owned());
    args.push(format!(
        "--user-data-dir={}",
        profile.join("chromium").display()
    ));
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.display().to_string(),
            "args": args,
        },
    });
    match capabilities {
        Value::Object(map) => map,
        _ => unreachable!("an object"),
    }
}

/// A loopback port nobody listens on now, for chromedriver.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}
