//! hostile: a test-only plugin that misbehaves on purpose, for the host's sandbox tests.
//!
//! Config `mode` picks the behaviour; most modes report what they observed as
//! `Outcome::Skipped(report)`, so a test reads the sandbox's answer from the outcome:
//!
//! | mode | does | outcome |
//! |---|---|---|
//! | `loop` | spins forever | never returns |
//! | `hog` | allocates and touches 1 MiB chunks forever, keeping them | never returns |
//! | `read-file` | reads `/etc/passwd` | `read-file: error: ERR` / `read-file: ok: FIRST LINE` |
//! | `list-dir` | lists `/` | `list-dir: error: ERR` / `list-dir: ok: N entries` |
//! | `env` | counts environment variables | `env: N vars, HOME=VALUE` (`HOME=unset`) |
//! | `socket` | TCP-connects to 127.0.0.1:`port` | `socket: error: ERR` / `socket: connected` |
//! | `panic` | panics | a trap |
//! | `chatter` | 20 000 lines each to stdout and stderr | `Done` |
//! | `counter` | bumps a static counter | `counter: N` |
//! | `fetch` | GETs config `url` | `fetch: status CODE, LEN bytes` / `fetch: denied` / `fetch: timeout` / `fetch: too-large` / `fetch: error: ERR` |
//! | `config` | reads config `secret` | `config: VALUE` / `config: unset` |
//! | `log` | one host log line per level | `Done` |
//! | `log-secret` | logs config `secret` as it is (control characters and all) at info | `Skipped(SECRET)` |
//! | `log-flood` | `log(info, "")` forever | never returns |
//! | `newline-flood` | newlines to stdout forever | never returns |
//! | `huge-reason` | | `Failed` with a reason of config `bytes` bytes (default 1 MiB) of `x` |
//! | `body-flood` | config `count` (default 600) outgoing requests, each with a body written until the host takes no more, none sent | `body-flood: N bodies, M bytes taken` |
//! | `many-requests` | GETs config `url` config `count` (default 40) times, one after another | `many-requests: ` and each run of equal `fetch` reports as `N × REPORT`, joined by `; ` |
//! | `many-handles` | creates config `count` (default 3000) header fields resources and keeps them all | `many-handles: N fields` |
//! | `big-headers` | GETs config `url` with config `count` (default 40) headers `x-big-N` of 1000 bytes each | the `fetch` report |
//! | `retry` | | `Retry { reason: "try again", delay_ms: Some(1500) }` |
//! | `fail` | | `Failed("permanent")` |
//! | `done` | | `Done` |
//! | other or unset | | `Failed("unknown mode ...")` |

use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering};

use smartreach_plugin_sdk::{
    ConfigKey, Declaration, Event, Outcome, Plugin, config, config_parse, export_plugin, http, log,
};

/// The modes, for the error message of an unknown one.
const MODES: &str = "loop, hog, read-file, list-dir, env, socket, panic, chatter, counter, fetch, \
                     config, log, log-secret, log-flood, newline-flood, huge-reason, body-flood, \
                     many-requests, many-handles, big-headers, retry, fail, done";

/// The plugin.
struct Hostile;

impl Plugin for Hostile {
    fn declare() -> Declaration {
        Declaration::new([Declaration::ALL_EVENTS])
            .description("Test-only: misbehaves on purpose, as config `mode` says")
            .config(ConfigKey::optional("mode", MODES, None))
            .config(ConfigKey::optional(
                "port",
                "TCP port for mode `socket`",
                None,
            ))
            .config(ConfigKey::optional(
                "url",
                "URL for modes `fetch`, `many-requests` and `big-headers`",
                None,
            ))
            .config(ConfigKey::optional(
                "secret",
                "Value reported by mode `config`",
                None,
            ))
            .config(ConfigKey::optional(
                "bytes",
                "Reason length for mode `huge-reason`",
                None,
            ))
            .config(ConfigKey::optional(
                "count",
                "How many for modes `body-flood`, `many-requests`, `many-handles` and `big-headers`",
                None,
            ))
    }

    fn handle(_event: Event) -> Outcome {
        let Some(mode) = config("mode") else {
            return Outcome::failed(format!(
                "unknown mode: config `mode` is not set; expected one of {MODES}"
            ));
        };
        match mode.as_str() {
            "loop" => spin(),
            "hog" => hog(),
            "read-file" => Outcome::Skipped(read_file()),
            "list-dir" => Outcome::Skipped(list_dir()),
            "env" => Outcome::Skipped(env()),
            "socket" => socket(),
            "panic" => panic!("hostile plugin panicked on purpose"),
            "chatter" => chatter(),
            "counter" => Outcome::Skipped(counter()),
            "fetch" => fetch(),
            "config" => Outcome::Skipped(format!(
                "config: {}",
                config("secret").unwrap_or_else(|| "unset".to_owned())
            )),
            "log" => log_each_level(),
            "log-secret" => {
                let secret = config("secret").unwrap_or_default();
                log::info(&secret);
                Outcome::Skipped(secret)
            }
            "log-flood" => log_flood(),
            "newline-flood" => newline_flood(),
            "huge-reason" => huge_reason(),
            "body-flood" => body_flood(),
            "many-requests" => many_requests(),
            "many-handles" => many_handles(),
            "big-headers" => big_headers(),
            "retry" => Outcome::retry_after("try again", 1500),
            "fail" => Outcome::failed("permanent"),
            "done" => Outcome::Done,
            other => Outcome::failed(format!("unknown mode `{other}`; expected one of {MODES}")),
        }
    }
}

export_plugin!(Hostile);

/// Never returns; `black_box` keeps the optimiser from removing the loop.
fn spin() -> ! {
    let mut turns: u64 = 0;
    loop {
        turns = black_box(turns.wrapping_add(1));
    }
}

/// Allocates 1 MiB chunks forever, writing to every page so the memory is really used.
fn hog() -> ! {
    const CHUNK: usize = 1 << 20;
    let mut kept: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; CHUNK];
        for page in chunk.chunks_mut(4096) {
            page[0] = 1;
        }
        kept.push(black_box(chunk));
        black_box(&kept);
    }
}

fn read_file() -> String {
    match std::fs::read_to_string("/etc/passwd") {
        Ok(text) => format!("read-file: ok: {}", text.lines().next().unwrap_or("")),
        Err(err) => format!("read-file: error: {err}"),
    }
}

fn list_dir() -> String {
    match std::fs::read_dir("/") {
        Ok(entries) => format!("list-dir: ok: {} entries", entries.count()),
        Err(err) => format!("list-dir: error: {err}"),
    }
}

fn env() -> String {
    let count = std::env::vars().count();
    let home = std::env::var("HOME").unwrap_or_else(|_| "unset".to_owned());
    format!("env: {count} vars, HOME={home}")
}

fn socket() -> Outcome {
    let port: u16 = match config_parse("port") {
        Ok(Some(port)) => port,
        Ok(None) => return Outcome::failed("mode `socket` needs config `port`"),
        Err(err) => return Outcome::failed(err.to_string()),
    };
    Outcome::Skipped(match std::net::TcpStream::connect(("127.0.0.1", port)) {
        Ok(_) => "socket: connected".to_owned(),
        Err(err) => format!("socket: error: {err}"),
    })
}

fn chatter() -> Outcome {
    for n in 0..20_000 {
        println!("stdout line {n}");
    }
    for n in 0..20_000 {
        eprintln!("stderr line {n}");
    }
    Outcome::Done
}

/// Counts calls in this instance: 1 on every call when each event gets a fresh instance.
fn counter() -> String {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let n = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
    format!("counter: {n}")
}

fn fetch() -> Outcome {
    let Some(url) = config("url") else {
        return Outcome::failed("mode `fetch` needs config `url`");
    };
    Outcome::Skipped(fetch_report(&http::Request::get(url).send()))
}

fn fetch_report(result: &Result<http::Response, http::Error>) -> String {
    match result {
        Ok(response) => format!(
            "fetch: status {}, {} bytes",
            response.status,
            response.body.len()
        ),
        Err(http::Error::Denied) => "fetch: denied".to_owned(),
        Err(http::Error::Timeout(_)) => "fetch: timeout".to_owned(),
        Err(http::Error::TooLarge { .. }) => "fetch: too-large".to_owned(),
        Err(err) => format!("fetch: error: {err}"),
    }
}

fn log_each_level() -> Outcome {
    log::trace("hostile log at trace");
    log::debug("hostile log at debug");
    log::info("hostile log at info");
    log::warn("hostile log at warn");
    log::error("hostile log at error");
    Outcome::Done
}

/// Empty host log lines forever: each costs the host a call, and must cost it its share of the cap.
fn log_flood() -> ! {
    loop {
        log::info("");
    }
}

/// Newlines to stdout forever: blank lines that the host must not keep.
fn newline_flood() -> ! {
    let newlines = [b'\n'; 4096];
    let mut stdout = std::io::stdout().lock();
    loop {
        // A full capture is the host's business; errors only end a write.
        let _ = std::io::Write::write_all(&mut stdout, black_box(&newlines));
    }
}

fn huge_reason() -> Outcome {
    let bytes = match config_parse::<usize>("bytes") {
        Ok(bytes) => bytes.unwrap_or(1 << 20),
        Err(err) => return Outcome::failed(err.to_string()),
    };
    Outcome::failed("x".repeat(bytes))
}

/// Creates outgoing requests with bodies and writes into each body until the host takes no more
/// (its buffer is full: nothing reads it, since no request is sent). Keeps them all alive, so the
/// host holds every byte it took; reports how many bytes that was.
fn body_flood() -> Outcome {
    use wasip2::http::types::{Fields, OutgoingRequest};

    let count = match config_parse::<usize>("count") {
        Ok(count) => count.unwrap_or(600),
        Err(err) => return Outcome::failed(err.to_string()),
    };
    let data = vec![b'x'; 1 << 20];
    let mut taken: u64 = 0;
    // (stream, body, request): dropped in this order, a stream before its body.
    let mut kept = Vec::with_capacity(count);
    for _ in 0..count {
        let request = OutgoingRequest::new(Fields::new());
        let Ok(body) = request.body() else {
            return Outcome::failed("body-flood: the host refused a body");
        };
        let Ok(stream) = body.write() else {
            return Outcome::failed("body-flood: the host refused a body stream");
        };
        loop {
            let permit = match stream.check_write() {
                Ok(0) | Err(_) => break,
                Ok(permit) => usize::try_from(permit)
                    .unwrap_or(usize::MAX)
                    .min(data.len()),
            };
            if stream.write(&data[..permit]).is_err() {
                break;
            }
            taken += permit as u64;
        }
        kept.push((stream, body, request));
    }
    Outcome::Skipped(format!(
        "body-flood: {} bodies, {taken} bytes taken",
        kept.len()
    ))
}

/// Config `count`, or `default` when it is unset.
fn count_or(default: usize) -> Result<usize, Outcome> {
    match config_parse::<usize>("count") {
        Ok(count) => Ok(count.unwrap_or(default)),
        Err(err) => Err(Outcome::failed(err.to_string())),
    }
}

/// Config `url`, which `mode` needs.
fn url_for(mode: &str) -> Result<String, Outcome> {
    config("url").ok_or_else(|| Outcome::failed(format!("mode `{mode}` needs config `url`")))
}

/// Sends `count` requests, one after another, and reports what each got back: the host lets an
/// invocation make a bounded number.
fn many_requests() -> Outcome {
    let (count, url) = match (count_or(40), url_for("many-requests")) {
        (Ok(count), Ok(url)) => (count, url),
        (Err(outcome), _) | (_, Err(outcome)) => return outcome,
    };
    let reports = (0..count).map(|_| fetch_report(&http::Request::get(url.as_str()).send()));
    Outcome::Skipped(format!("many-requests: {}", runs(reports)))
}

/// `N × TEXT` for each run of equal texts, joined by `; `.
fn runs(texts: impl IntoIterator<Item = String>) -> String {
    let mut runs: Vec<(usize, String)> = Vec::new();
    for text in texts {
        match runs.last_mut() {
            Some((n, last)) if *last == text => *n += 1,
            _ => runs.push((1, text)),
        }
    }
    runs.iter()
        .map(|(n, text)| format!("{n} × {text}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Creates `count` header fields resources and keeps them all: each is a handle the host holds.
fn many_handles() -> Outcome {
    use wasip2::http::types::Fields;

    let count = match count_or(3000) {
        Ok(count) => count,
        Err(outcome) => return outcome,
    };
    let kept: Vec<Fields> = (0..count).map(|_| Fields::new()).collect();
    Outcome::Skipped(format!("many-handles: {} fields", kept.len()))
}

/// Sends one request with `count` headers of 1000 bytes each: the host holds a request's headers
/// in memory, and bounds them.
fn big_headers() -> Outcome {
    let (count, url) = match (count_or(40), url_for("big-headers")) {
        (Ok(count), Ok(url)) => (count, url),
        (Err(outcome), _) | (_, Err(outcome)) => return outcome,
    };
    let value = "x".repeat(1000);
    let request = (0..count).fold(http::Request::get(url), |request, n| {
        request.header(format!("x-big-{n}"), value.as_str())
    });
    Outcome::Skipped(fetch_report(&request.send()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_counts_calls_in_one_instance() {
        let first = counter();
        let second = counter();
        let n: u32 = first.strip_prefix("counter: ").unwrap().parse().unwrap();
        assert_eq!(second, format!("counter: {}", n + 1));
    }

    #[test]
    fn runs_counts_each_run_of_equal_texts() {
        let texts = ["a", "a", "b", "a"].map(str::to_owned);
        assert_eq!(runs(texts), "2 × a; 1 × b; 1 × a");
        assert_eq!(runs(Vec::new()), "");
    }

    #[test]
    fn fetch_reports_each_kind_of_result() {
        let ok = Ok(http::Response {
            status: 204,
            headers: Vec::new(),
            body: b"abc".to_vec(),
        });
        assert_eq!(fetch_report(&ok), "fetch: status 204, 3 bytes");
        assert_eq!(fetch_report(&Err(http::Error::Denied)), "fetch: denied");
        assert_eq!(
            fetch_report(&Err(http::Error::Timeout("t".into()))),
            "fetch: timeout"
        );
        assert_eq!(
            fetch_report(&Err(http::Error::TooLarge { limit: Some(1) })),
            "fetch: too-large"
        );
        assert_eq!(
            fetch_report(&Err(http::Error::Transport(
                "ErrorCode::ConnectionRefused".into()
            ))),
            "fetch: error: HTTP transport error: ErrorCode::ConnectionRefused"
        );
    }
}
