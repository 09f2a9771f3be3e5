//! Hostile clients at the HTTP edge, against the real binary: connections that send a request
//! line and one header and then stall, more connections than the server takes, event types
//! chosen to flood the metrics, and control characters meant to forge log lines; and a plugin
//! replaced by another of the same size and modification time.
//!
//! Nothing here asserts how fast the host is: the stalled connections must be closed (EOF or
//! reset) within a generous deadline, and the bounds are counts (descriptors, series, lines).

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use support::host::{Config, Host, TOKEN, hook_path};
use support::payload::prospect_event;
use support::plugins::manifest_for;
use support::{BATCH, SOON, eventually};

/// `http.header_read_timeout` of the test hosts: short, so that the stalled connections go soon.
const HEADER_TIMEOUT: &str = "\"2s\"";
/// How long a test waits for the host to close every stalled connection: the header timeout and
/// a wide margin for a loaded 2-core machine.
const CLOSE_DEADLINE: Duration = Duration::from_secs(60);
/// How long a fresh request may wait for its answer behind a flood (in the listen backlog).
const ANSWER_DEADLINE: Duration = Duration::from_secs(120);

/// A connection that sent a request line and one header, then nothing.
fn stall(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connecting to the host");
    let head = format!("POST {} HTTP/1.1\r\nHost: attacker\r\n", hook_path(TOKEN));
    stream.write_all(head.as_bytes()).expect("sending a head");
    stream
}

/// Waits until every stream is closed by the host (EOF or reset), until `deadline`; the error
/// names how many are still open.
fn wait_closed(streams: &mut [TcpStream], deadline: Instant) -> Result<(), String> {
    let mut buffer = [0u8; 1024];
    let total = streams.len();
    for (index, stream) in streams.iter_mut().enumerate() {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "connection #{index} of {total} (and maybe later ones) still open"
                ));
            }
            stream.set_read_timeout(Some(left)).unwrap();
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(_) => continue, // an answer before the close is fine; wait for the close
                Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue;
                }
                Err(_) => break, // reset
            }
        }
    }
    Ok(())
}

/// `POST` a new webhook on a fresh connection (`Connection: close`), waiting at most
/// [`ANSWER_DEADLINE`]; returns the status code.
fn post_fresh(addr: SocketAddr, body: &[u8]) -> Result<u16, String> {
    let mut stream = TcpStream::connect(addr).map_err(|err| format!("connect: {err}"))?;
    stream.set_read_timeout(Some(ANSWER_DEADLINE)).unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: sender\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        hook_path(TOKEN),
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .map_err(|err| format!("send: {err}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|err| format!("read: {err}"))?;
    let answer = String::from_utf8_lossy(&answer);
    answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {answer:?}"))
}

/// The host's open file descriptors, from `/proc/PID/fd`.
fn open_fds(host: &Host) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", host.pid()))
        .expect("reading /proc/PID/fd")
        .count()
}

fn http_config(keys: &[(&'static str, &str)]) -> Config {
    Config {
        http: keys.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        ..Config::default()
    }
}

#[test]
fn stalled_heads_are_closed_within_the_header_timeout_while_webhooks_are_acknowledged() {
    const STALLED: usize = 300;
    let env = SUITE.env_with(http_config(&[("header_read_timeout", HEADER_TIMEOUT)]));
    let mut host = env.start();
    let mut stalled: Vec<TcpStream> = (0..STALLED).map(|_| stall(host.addr)).collect();

    // While they are held, a sender's webhooks are acknowledged.
    for n in 0..5 {
        let body = prospect_event("prospect.created", 71_000 + n, "held@example.com", "held");
        assert_eq!(post_fresh(host.addr, &body), Ok(202), "webhook {n}");
    }

    wait_closed(&mut stalled, Instant::now() + CLOSE_DEADLINE)
        .unwrap_or_else(|err| panic!("stalled connections not closed by the host: {err}"));
    assert!(host.is_running());
    let body = prospect_event("prospect.created", 71_100, "after@example.com", "after");
    assert_eq!(post_fresh(host.addr, &body), Ok(202));
}

#[test]
fn the_connection_limit_bounds_descriptors_and_lets_waiting_senders_through() {
    /// `http.max_connections` of this host.
    const MAX_CONNECTIONS: usize = 16;
    /// Connections the attacker opens: many more than the limit (they wait in the backlog).
    const ATTACKERS: usize = 200;
    /// Descriptors the host may open besides client connections during the test (a SQLite
    /// journal, a plugin-folder listing, a blocking thread's file).
    const OTHER_FDS: usize = 8;

    let env = SUITE.env_with(http_config(&[
        ("header_read_timeout", HEADER_TIMEOUT),
        ("max_connections", &MAX_CONNECTIONS.to_string()),
    ]));
    let mut host = env.start();
    let baseline = open_fds(&host);

    let attackers: Vec<TcpStream> = (0..ATTACKERS).map(|_| stall(host.addr)).collect();
    // A sender arriving behind the flood waits its turn in the backlog and is answered.
    let addr = host.addr;
    let sender = std::thread::spawn(move || {
        let body = prospect_event("prospect.created", 72_000, "queued@example.com", "queued");
        post_fresh(addr, &body)
    });
    let mut most = 0;
    while !sender.is_finished() {
        most = most.max(open_fds(&host));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        sender.join().unwrap(),
        Ok(202),
        "the sender behind the flood"
    );
    let bound = baseline + MAX_CONNECTIONS + OTHER_FDS;
    assert!(
        most <= bound,
        "the host held {most} descriptors under the flood; baseline {baseline}, bound {bound}"
    );
    // The flood did reach the limit (so the bound above was tested).
    assert!(
        most >= baseline + MAX_CONNECTIONS / 2,
        "the flood never filled the server: at most {most} descriptors, baseline {baseline}"
    );

    // The attackers go away; service goes on as before.
    drop(attackers);
    for n in 0..3 {
        let body = prospect_event("prospect.created", 72_100 + n, "later@example.com", "later");
        assert_eq!(
            post_fresh(host.addr, &body),
            Ok(202),
            "webhook {n} after the flood"
        );
    }
    assert!(host.is_running());
}

/// Undocumented event types that get a series of their own (`MAX_OTHER_TYPES` in
/// `crates/metrics/src/event_type.rs`, documented in README).
const MAX_OTHER_TYPES: usize = 32;
/// The longest such type, in bytes (`MAX_OTHER_LEN`).
const MAX_OTHER_LEN: usize = 64;

#[test]
fn undocumented_event_types_make_a_bounded_number_of_short_series() {
    let env = SUITE.env();
    let host = env.start();
    const SENT: usize = 500;
    for n in 0..SENT {
        let event_type = if n % 2 == 0 {
            format!("custom.type_{n}")
        } else {
            format!("custom.{}_{n}", "long".repeat(500))
        };
        let body = prospect_event(&event_type, 73_000 + n as i64, "t@example.com", "types");
        host.ingest(&body);
    }
    let metrics = host.client().get("/metrics").unwrap();
    assert_eq!(metrics.status, 200);
    let series: Vec<&str> = metrics
        .body
        .lines()
        .filter(|line| line.starts_with("smartreach_hooks_webhooks_received_total{"))
        .collect();
    // Every undocumented type past the bounds is counted as `other`.
    assert_eq!(series.len(), MAX_OTHER_TYPES + 1, "{series:#?}");
    let total: u64 = series
        .iter()
        .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, SENT as u64, "every webhook is counted once");
    let other = series
        .iter()
        .find(|line| line.contains("event_type=\"other\""))
        .expect("an `other` series");
    assert!(
        other.ends_with(&format!(" {}", SENT - MAX_OTHER_TYPES)),
        "{other}"
    );
    // A series line: the name, `source="smartreach"`, the label and the count.
    let longest = series.iter().map(|line| line.len()).max().unwrap();
    assert!(
        longest <= 100 + MAX_OTHER_LEN,
        "a series line of {longest} bytes"
    );
    // The log lines name the type cut to 128 bytes (`MAX_LOGGED_EVENT_TYPE`): a 2,000-byte type
    // does not make a 2,000-byte line.
    let stderr = host.stderr();
    let longest = stderr.lines().map(str::len).max().unwrap();
    assert!(longest <= 512, "a log line of {longest} bytes");
}

/// A sender's event type and a plugin's log line and reason that try to start lines of their own
/// and colour the terminal.
const FORGED_TYPE: &str = "x\nFAKE LINE\u{1b}[31m";
const FORGED_PLUGIN: &str = "plugin says\nFAKE PLUGIN LINE\r\u{1b}[2J";

/// Starts a host logging in `format`, with the hostile plugin logging and returning
/// [`FORGED_PLUGIN`] on every event, sends it a webhook of [`FORGED_TYPE`] and waits until the
/// plugin ran; returns the host's stderr.
fn forged_logs(format: &str) -> String {
    let env = SUITE.env_with(Config {
        log_format: format.to_owned(),
        ..Config::default()
    });
    let manifest = manifest_for(
        &["*"],
        None,
        &[("mode", "log-secret"), ("secret", FORGED_PLUGIN)],
        &[],
    );
    env.install("hostile", "hostile", Some(&manifest));
    let host = env.start();
    let mark = host.stderr_mark();
    let ingested = host.ingest(&prospect_event(
        FORGED_TYPE,
        74_000,
        "f@example.com",
        "forged",
    ));
    assert_eq!(ingested.deliveries, 1, "{ingested:?}");
    // The condition, not a guess at how long a loaded machine takes: the delivery is finished in
    // the store (its log lines are written as it runs), then both lines are there.
    env.db().wait_idle(BATCH);
    host.wait_for_stderr("delivery attempt finished", mark, SOON);
    eventually("the plugin's log line", SOON, || {
        host.stderr().contains("plugin says").then_some(())
    });
    host.stderr()
}

#[test]
fn text_logs_escape_control_characters_from_senders_and_plugins() {
    let stderr = forged_logs("text");
    assert!(
        !stderr.contains('\u{1b}'),
        "a raw ESC in the text log (a sender's, a plugin's, or colours on a pipe)"
    );
    assert!(!stderr.contains('\r'), "a raw CR in the text log");
    for line in stderr.lines().filter(|line| !line.is_empty()) {
        // Every line is the host's: a timestamp first (`2026-12-02T02:33:39.123456Z  INFO ...`).
        assert!(
            line.starts_with(|c: char| c.is_ascii_digit()),
            "a line that is not the host's: {line:?}"
        );
    }
    // The forged values are there, escaped.
    assert!(stderr.contains(r"x\nFAKE LINE\u{1b}[31m"), "{stderr}");
    assert!(
        stderr.contains(r"plugin says\nFAKE PLUGIN LINE"),
        "{stderr}"
    );
}

#[test]
fn json_logs_keep_forged_values_inside_their_strings() {
    let stderr = forged_logs("json");
    for line in stderr.lines().filter(|line| !line.is_empty()) {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|err| panic!("not a JSON line ({err}): {line:?}"));
    }
    assert!(!stderr.contains('\u{1b}'));
    assert!(stderr.contains("FAKE PLUGIN LINE"));
}

#[test]
fn a_plugin_replaced_with_the_same_size_and_time_is_reloaded() {
    let env = SUITE.env();
    let manifest = manifest_for(&["*"], None, &[("mode", "done")], &[]);
    env.install("hostile", "hostile", Some(&manifest));
    let host = env.start();
    let path = env.plugin_dir().join("hostile.wasm");
    let before = std::fs::read(&path).unwrap();
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();

    // Another version of the same length: one byte of a panic message (data, not code) changed.
    let message = b"hostile plugin panicked on purpose";
    let at = before
        .windows(message.len())
        .position(|window| window == message)
        .expect("the panic message in the plugin's data");
    let mut after = before.clone();
    after[at] = b'H';
    // Staged with the old time, then renamed in: the folder never shows another size or time.
    let staged = env.root().join("staging").join("hostile.wasm");
    std::fs::write(&staged, &after).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&staged)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let mark = host.stderr_mark();
    std::fs::rename(&staged, &path).unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (meta.len(), meta.modified().unwrap()),
        (before.len() as u64, modified)
    );

    let line = host.wait_for_stderr("plugin reloaded", mark, SOON);
    assert!(
        line.contains(&support::sha256_hex(&after)),
        "the new version is active: {line}"
    );
}

/// Writes one byte of a 100-byte body every 200 ms, for 12 s, until the host closes.
fn trickle(mut stream: TcpStream) {
    std::thread::spawn(move || {
        for _ in 0..60 {
            if stream.write_all(b" ").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
}

/// An HTTP/1.1 answer read to the end of a `Connection: close` stream.
fn parse_answer(answer: &[u8]) -> support::host::Response {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let content_type = headers
        .iter()
        .find(|(name, _)| name == "content-type")
        .map(|(_, value)| value.clone());
    support::host::Response {
        status,
        content_type,
        body: body.to_owned(),
        headers,
    }
}

/// README: 408 when "the body took longer than `ingest.body_timeout` to arrive", nothing stored. A
/// body trickled a byte at a time never completes; the host answers 408 (body-timeout) once the
/// configured 1 s is up, and the connection is closed.
#[test]
fn a_body_trickled_past_the_body_timeout_gets_408_and_nothing_is_stored() {
    let env = SUITE.env_with(Config {
        body_timeout: Some("1s".to_owned()),
        ..Config::default()
    });
    let host = env.start();
    let mut stream = TcpStream::connect(host.addr).expect("connecting to the host");
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\nConnection: close\r\n\r\n{{",
        hook_path(TOKEN)
    );
    stream.write_all(head.as_bytes()).expect("sending the head");
    trickle(stream.try_clone().unwrap());
    stream.set_read_timeout(Some(CLOSE_DEADLINE)).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer); // a reset after the answer is fine
    let problem = support::admin::assert_problem(&parse_answer(&answer), 408, "body-timeout");
    assert_eq!(problem["timeout_ms"], 1000, "{problem}");
    assert!(env.db().webhooks().is_empty(), "nothing stored");
    // The host still serves.
    host.ingest(&prospect_event(
        "prospect.created",
        1,
        "a@example.com",
        "after",
    ));
}
