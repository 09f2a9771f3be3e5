//! The sandbox, each part tested with the hostile plugin (`plugins/testing/hostile`), whose
//! behaviour its manifest's `mode` selects.

mod support;

use std::time::Duration;

use smartreach_plugin_runtime::{
    Fault, Invocation, LOG_LINE_OVERHEAD_BYTES, LogSource, MAX_LOG_LINES, MAX_REASON_BYTES,
    OUTGOING_BODY_HELD_BYTES, OutboundDecision, OutboundMode, OutboundRequest, Outcome, Plugin,
    PluginDefaults,
};
use support::capture::CaptureServer;

/// A manifest for the hostile plugin.
#[derive(Default)]
struct Hostile {
    hosts: Vec<String>,
    config: Vec<(String, String)>,
    limits: Vec<String>,
}

impl Hostile {
    fn allow(mut self, host: String) -> Self {
        self.hosts.push(host);
        self
    }

    fn config(mut self, key: &str, value: impl Into<String>) -> Self {
        self.config.push((key.to_owned(), value.into()));
        self
    }

    fn limit(mut self, line: &str) -> Self {
        self.limits.push(line.to_owned());
        self
    }

    /// Loads the hostile plugin in `mode` with this manifest.
    async fn load(self, mode: &str) -> (support::PluginDir, Plugin) {
        let mut manifest = format!(
            "allowed_outbound_hosts = {:?}\n[config]\nmode = {mode:?}\n",
            self.hosts
        );
        for (key, value) in &self.config {
            manifest.push_str(&format!("{key} = {value:?}\n"));
        }
        manifest.push_str("[limits]\n");
        for line in &self.limits {
            manifest.push_str(line);
            manifest.push('\n');
        }
        let dir = support::PluginDir::new();
        let wasm = dir.add(&format!("hostile-{mode}"), "hostile", Some(&manifest));
        let (plugin, _) = support::runtime().load_file(&wasm).await.unwrap();
        (dir, plugin)
    }
}

async fn hostile(mode: &str) -> (support::PluginDir, Plugin) {
    Hostile::default().load(mode).await
}

async fn run(plugin: &Plugin) -> Invocation {
    plugin.invoke(&support::any_event()).await
}

fn skipped_reason(invocation: &Invocation) -> &str {
    match &invocation.outcome {
        Outcome::Skipped { reason } => reason,
        other => panic!(
            "expected a skipped report, got {other:?} (logs: {:?})",
            invocation.logs
        ),
    }
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_at_the_deadline_and_the_next_event_runs() {
    let (_dir, looping) = Hostile::default()
        .limit("timeout_ms = 200")
        .load("loop")
        .await;
    let first = run(&looping).await;
    assert_eq!(
        first.outcome,
        Outcome::Fault(Fault::Timeout {
            limit: Duration::from_millis(200)
        })
    );

    // The same plugin is stopped again, and a healthy plugin next to it runs normally.
    let again = run(&looping).await;
    assert!(matches!(
        again.outcome,
        Outcome::Fault(Fault::Timeout { .. })
    ));
    let (_dir, healthy) = hostile("done").await;
    assert_eq!(run(&healthy).await.outcome, Outcome::Done);
}

#[tokio::test]
async fn the_default_deadline_is_one_second() {
    let (_dir, looping) = hostile("loop").await;
    assert_eq!(looping.limits().timeout, Duration::from_secs(1));
    let invocation = run(&looping).await;
    assert_eq!(
        invocation.outcome,
        Outcome::Fault(Fault::Timeout {
            limit: Duration::from_secs(1)
        })
    );
}

#[tokio::test]
async fn unbounded_allocation_traps_at_the_memory_cap() {
    let (_dir, hog) = Hostile::default()
        .limit("memory_mib = 16")
        .limit("timeout_ms = 5000")
        .load("hog")
        .await;
    let invocation = run(&hog).await;
    assert_eq!(
        invocation.outcome,
        Outcome::Fault(Fault::MemoryExhausted {
            limit_bytes: 16 * 1024 * 1024
        })
    );
    // The next instance starts from a clean memory.
    let (_dir, healthy) = hostile("done").await;
    assert_eq!(run(&healthy).await.outcome, Outcome::Done);
}

#[tokio::test]
async fn the_default_memory_cap_is_64_mib() {
    let (_dir, hog) = Hostile::default()
        .limit("timeout_ms = 10000")
        .load("hog")
        .await;
    assert_eq!(hog.limits().memory_bytes, 64 * 1024 * 1024);
    let invocation = run(&hog).await;
    assert_eq!(
        invocation.outcome,
        Outcome::Fault(Fault::MemoryExhausted {
            limit_bytes: 64 * 1024 * 1024
        })
    );
}

#[tokio::test]
async fn the_filesystem_is_not_there() {
    let (_dir, reader) = hostile("read-file").await;
    let invocation = run(&reader).await;
    let report = skipped_reason(&invocation);
    assert!(report.starts_with("read-file: error"), "{report}");
    assert!(!report.contains("root:"), "{report}");

    let (_dir, lister) = hostile("list-dir").await;
    let invocation = run(&lister).await;
    assert!(skipped_reason(&invocation).starts_with("list-dir: error"));
}

#[tokio::test]
async fn the_environment_is_empty() {
    // The host has a HOME; the plugin must not see it.
    assert!(std::env::var("HOME").is_ok() || std::env::var("PATH").is_ok());
    let (_dir, env) = hostile("env").await;
    let invocation = run(&env).await;
    let report = skipped_reason(&invocation);
    assert!(report.starts_with("env: 0 vars"), "{report}");
    assert!(report.contains("HOME=unset"), "{report}");
}

#[tokio::test]
async fn sockets_are_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_dir, socket) = Hostile::default()
        .config("port", port.to_string())
        .load("socket")
        .await;
    let invocation = run(&socket).await;
    let report = skipped_reason(&invocation);
    assert!(report.starts_with("socket: error"), "{report}");
    // Nothing reached the listener.
    let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
    assert!(accepted.is_err(), "the plugin opened a connection");
}

#[tokio::test]
async fn a_panic_is_a_fault_of_that_invocation_only() {
    let (_dir, panicking) = hostile("panic").await;
    let invocation = run(&panicking).await;
    assert!(
        matches!(&invocation.outcome, Outcome::Fault(Fault::Trap { .. })),
        "{:?}",
        invocation.outcome
    );
    let stderr: Vec<&str> = invocation
        .logs
        .iter()
        .filter(|line| line.source == LogSource::Stderr)
        .map(|line| line.message.as_str())
        .collect();
    assert!(
        stderr
            .iter()
            .any(|line| line.contains("hostile plugin panicked on purpose")),
        "{stderr:?}"
    );

    let (_dir, healthy) = hostile("done").await;
    assert_eq!(run(&healthy).await.outcome, Outcome::Done);
    assert!(matches!(
        run(&panicking).await.outcome,
        Outcome::Fault(Fault::Trap { .. })
    ));
}

#[tokio::test]
async fn stdout_and_stderr_become_capped_log_lines() {
    // 40,000 writes take a debug host on a loaded machine more than the default second.
    let (_dir, chatter) = Hostile::default()
        .limit("timeout_ms = 20000")
        .load("chatter")
        .await;
    let invocation = run(&chatter).await;
    assert_eq!(invocation.outcome, Outcome::Done);
    let stdout: Vec<_> = invocation
        .logs
        .iter()
        .filter(|l| l.source == LogSource::Stdout)
        .collect();
    let stderr: Vec<_> = invocation
        .logs
        .iter()
        .filter(|l| l.source == LogSource::Stderr)
        .collect();
    assert_eq!(stdout[0].message, "stdout line 0");
    assert_eq!(stderr[0].message, "stderr line 0");
    // 20,000 lines each were written; the cap keeps a prefix and says how much it dropped.
    assert!(stdout.len() < 20_000 && stderr.len() < 20_000);
    for lines in [&stdout, &stderr] {
        let marker = &lines.last().unwrap().message;
        assert!(marker.contains("more lines ("), "{marker}");
        assert!(
            marker.contains("bytes) dropped: over the log cap"),
            "{marker}"
        );
    }
}

#[tokio::test]
async fn every_event_gets_a_fresh_instance() {
    let (_dir, counter) = hostile("counter").await;
    for _ in 0..3 {
        assert_eq!(skipped_reason(&run(&counter).await), "counter: 1");
    }
}

#[tokio::test]
async fn host_log_lines_keep_their_level() {
    let (_dir, logger) = hostile("log").await;
    let invocation = run(&logger).await;
    let levels: Vec<String> = invocation
        .logs
        .iter()
        .filter(|l| l.source == LogSource::Host)
        .map(|l| format!("{:?}", l.level))
        .collect();
    assert_eq!(levels, ["Trace", "Debug", "Info", "Warn", "Error"]);
}

#[tokio::test]
async fn outcomes_cross_the_boundary_unchanged() {
    let (_dir, retry) = hostile("retry").await;
    assert_eq!(
        run(&retry).await.outcome,
        Outcome::Retry {
            reason: "try again".into(),
            delay: Some(Duration::from_millis(1500))
        }
    );
    let (_dir, fail) = hostile("fail").await;
    assert_eq!(
        run(&fail).await.outcome,
        Outcome::Failed {
            reason: "permanent".into()
        }
    );
}

#[tokio::test]
async fn outbound_http_reaches_only_allowed_hosts() {
    let server = CaptureServer::start().await;
    let url = format!("{}/ping", server.url());

    let (_dir, fetcher) = Hostile::default()
        .allow(server.host())
        .config("url", &url)
        .load("fetch")
        .await;
    let invocation = run(&fetcher).await;
    assert_eq!(skipped_reason(&invocation), "fetch: status 200, 2 bytes");
    assert_eq!(server.requests().len(), 1);

    let (_dir, denied) = Hostile::default().config("url", &url).load("fetch").await;
    let invocation = run(&denied).await;
    assert_eq!(skipped_reason(&invocation), "fetch: denied");
    assert_eq!(
        server.requests().len(),
        1,
        "a denied request reached the server"
    );
    assert_eq!(invocation.requests.len(), 1);
    assert_eq!(format!("{:?}", invocation.requests[0].decision), "Denied");

    // Another port of the same address is another host.
    let other_port = format!("127.0.0.1:{}", server.addr.port() + 1);
    let (_dir, wrong_port) = Hostile::default()
        .allow(other_port)
        .config("url", &url)
        .load("fetch")
        .await;
    assert_eq!(skipped_reason(&run(&wrong_port).await), "fetch: denied");
}

#[tokio::test]
async fn a_response_over_the_size_cap_is_refused() {
    let server =
        CaptureServer::start_with(http::StatusCode::OK, vec![b'x'; 64 * 1024], Duration::ZERO)
            .await;
    let (_dir, fetcher) = Hostile::default()
        .allow(server.host())
        .config("url", format!("{}/big", server.url()))
        .limit("max_response_bytes = 1024")
        .load("fetch")
        .await;
    assert_eq!(skipped_reason(&run(&fetcher).await), "fetch: too-large");
}

#[tokio::test]
async fn a_slow_server_hits_the_request_timeout() {
    let server = CaptureServer::start_with(
        http::StatusCode::OK,
        b"late".to_vec(),
        Duration::from_secs(5),
    )
    .await;
    let (_dir, fetcher) = Hostile::default()
        .allow(server.host())
        .config("url", format!("{}/slow", server.url()))
        .limit("http_timeout_ms = 200")
        .limit("timeout_ms = 3000")
        .load("fetch")
        .await;
    // Without the request timeout the request would wait for the server until the deadline, and
    // the invocation would end as a timeout fault rather than with the plugin's own report.
    let invocation = run(&fetcher).await;
    assert_eq!(skipped_reason(&invocation), "fetch: timeout");
    // No response came back in time: recorded as failed, with the reason.
    let request = &invocation.requests[0];
    assert_eq!(request.decision, OutboundDecision::Failed);
    let reason = request.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("timeout") || reason.contains("within"),
        "{reason}"
    );
}

/// Loads the hostile `loop` plugin with `manifest_limits` into a runtime of `max_instances` slots.
async fn looping_in(max_instances: u32, manifest_limits: &str) -> (support::PluginDir, Plugin) {
    let dir = support::PluginDir::new();
    let manifest = format!("[config]\nmode = \"loop\"\n[limits]\n{manifest_limits}\n");
    let wasm = dir.add("looping", "hostile", Some(&manifest));
    let runtime =
        smartreach_plugin_runtime::Runtime::new(smartreach_plugin_runtime::RuntimeConfig {
            max_instances,
            epoch_tick: Duration::from_millis(5),
            ..Default::default()
        })
        .unwrap();
    let (plugin, _) = runtime.load_file(&wasm).await.unwrap();
    (dir, plugin)
}

#[tokio::test]
async fn a_full_instance_pool_is_a_capacity_fault_not_a_trap() {
    let (_dir, plugin) = looping_in(1, "timeout_ms = 300").await;
    let event = support::any_event();
    let (first, second) = tokio::join!(plugin.invoke(&event), plugin.invoke(&event));
    let mut outcomes = [first.outcome, second.outcome];
    outcomes.sort_by_key(|outcome| format!("{outcome:?}"));
    assert_eq!(
        outcomes,
        [
            Outcome::Fault(Fault::Capacity),
            Outcome::Fault(Fault::Timeout {
                limit: Duration::from_millis(300)
            })
        ]
    );
}

#[tokio::test]
async fn max_concurrency_queues_invocations_of_one_plugin() {
    // One instance slot: were the second invocation not queued behind the first, it would find the
    // slot taken and end as a capacity fault (as in the test above).
    let (_dir, plugin) = looping_in(1, "timeout_ms = 200\nmax_concurrency = 1").await;
    let event = support::any_event();
    let (first, second) = tokio::join!(plugin.invoke(&event), plugin.invoke(&event));
    let timeout = Outcome::Fault(Fault::Timeout {
        limit: Duration::from_millis(200),
    });
    assert_eq!([first.outcome, second.outcome], [timeout.clone(), timeout]);
}

#[tokio::test]
async fn record_only_mode_records_allowed_requests_and_sends_none() {
    let server = CaptureServer::start().await;
    let manifest = format!(
        "allowed_outbound_hosts = [{:?}]\n[config]\nmode = \"fetch\"\nurl = \"{}/hook/SECRET?x=1\"\n",
        server.host(),
        server.url()
    );
    let dir = support::PluginDir::new();
    let wasm = dir.add("dry-run", "hostile", Some(&manifest));
    let runtime =
        smartreach_plugin_runtime::Runtime::new(smartreach_plugin_runtime::RuntimeConfig {
            max_instances: 4,
            epoch_tick: Duration::from_millis(5),
            outbound: OutboundMode::RecordOnly,
            ..Default::default()
        })
        .unwrap();
    let (plugin, _) = runtime.load_file(&wasm).await.unwrap();
    let invocation = run(&plugin).await;

    // The plugin saw a failed request, as if the service were down.
    let report = skipped_reason(&invocation);
    assert!(report.starts_with("fetch: error"), "{report}");
    assert_eq!(
        invocation.requests,
        [OutboundRequest {
            method: "GET".into(),
            origin: server.url(),
            path: Some("/hook/SECRET?x=1".into()),
            decision: OutboundDecision::NotSent,
            reason: None,
        }]
    );
    // Give a request that slipped through time to arrive before concluding none did.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    // A host the manifest does not allow is still denied, not recorded as not sent.
    let denied = dir.add(
        "dry-run-denied",
        "hostile",
        Some("[config]\nmode = \"fetch\"\nurl = \"https://example.com/\"\n"),
    );
    let (plugin, _) = runtime.load_file(&denied).await.unwrap();
    let invocation = run(&plugin).await;
    assert_eq!(skipped_reason(&invocation), "fetch: denied");
    assert_eq!(invocation.requests[0].decision, OutboundDecision::Denied);
}

#[tokio::test]
async fn send_mode_keeps_only_the_origin() {
    let server = CaptureServer::start().await;
    let (_dir, fetcher) = Hostile::default()
        .allow(server.host())
        .config("url", format!("{}/hook/SECRET", server.url()))
        .load("fetch")
        .await;
    let invocation = run(&fetcher).await;
    assert_eq!(invocation.requests[0].decision, OutboundDecision::Sent);
    assert_eq!(invocation.requests[0].path, None);
    let record = serde_json::to_string(&invocation.requests[0]).unwrap();
    assert!(!record.contains("SECRET"), "{record}");
}

/// What the lines of `source` cost under the log cap: text plus the per-line overhead.
fn cost(invocation: &Invocation, source: LogSource) -> (usize, usize) {
    let lines: Vec<_> = invocation
        .logs
        .iter()
        .filter(|line| line.source == source)
        .collect();
    let bytes = lines
        .iter()
        .map(|line| line.message.len() + LOG_LINE_OVERHEAD_BYTES)
        .sum();
    (lines.len(), bytes)
}

/// The most one stream may cost: the cap, plus the one marker line.
fn stream_bound() -> usize {
    PluginDefaults::default().max_output_bytes + 200 + LOG_LINE_OVERHEAD_BYTES
}

#[tokio::test]
async fn a_flood_of_empty_host_log_lines_is_capped_by_count_and_bytes() {
    let (_dir, flood) = Hostile::default()
        .limit("timeout_ms = 300")
        .load("log-flood")
        .await;
    let invocation = run(&flood).await;
    assert!(matches!(
        invocation.outcome,
        Outcome::Fault(Fault::Timeout { .. })
    ));
    let (lines, bytes) = cost(&invocation, LogSource::Host);
    // Each empty line costs its overhead: the 16 KiB cap keeps 256 of them, and one marker.
    let cap = PluginDefaults::default().max_output_bytes;
    assert_eq!(lines, cap / LOG_LINE_OVERHEAD_BYTES + 1);
    assert!(lines <= MAX_LOG_LINES + 1);
    assert!(bytes <= stream_bound(), "{bytes} bytes");
    let marker = &invocation.logs.last().unwrap().message;
    assert!(marker.contains("more lines (0 bytes) dropped"), "{marker}");
}

#[tokio::test]
async fn a_flood_of_newlines_keeps_nothing() {
    let (_dir, flood) = Hostile::default()
        .limit("timeout_ms = 300")
        .load("newline-flood")
        .await;
    let invocation = run(&flood).await;
    assert!(matches!(
        invocation.outcome,
        Outcome::Fault(Fault::Timeout { .. })
    ));
    assert_eq!(cost(&invocation, LogSource::Stdout), (0, 0));
}

#[tokio::test]
async fn a_huge_reason_is_cut_to_the_documented_size() {
    let bytes = 4 * 1024 * 1024;
    let (_dir, huge) = Hostile::default()
        .config("bytes", bytes.to_string())
        .load("huge-reason")
        .await;
    let Outcome::Failed { reason } = run(&huge).await.outcome else {
        panic!("expected a failure");
    };
    assert!(reason.len() <= MAX_REASON_BYTES, "{} bytes", reason.len());
    let kept = reason.find('…').unwrap();
    assert_eq!(&reason[..kept], "x".repeat(kept));
    assert!(
        reason.ends_with(&format!("…[{} bytes cut]", bytes - kept)),
        "{}",
        &reason[kept..]
    );
}

#[tokio::test]
async fn outgoing_bodies_hold_at_most_the_memory_cap_in_the_host() {
    let count = 600;
    let (_dir, flood) = Hostile::default()
        .config("count", count.to_string())
        .limit("memory_mib = 16")
        .limit("timeout_ms = 20000")
        .load("body-flood")
        .await;
    let invocation = run(&flood).await;
    let report = skipped_reason(&invocation);
    let taken: usize = report
        .strip_prefix(&format!("body-flood: {count} bodies, "))
        .and_then(|rest| rest.strip_suffix(" bytes taken"))
        .unwrap_or_else(|| panic!("{report}"))
        .parse()
        .unwrap();
    // The memory cap for all bodies together, then 2 bytes per body (1-byte chunks).
    let bound = 16 * 1024 * 1024 + 2 * count;
    assert!(taken <= bound, "the host took {taken} bytes, over {bound}");
    // Up to the cap, bodies got full chunks.
    assert!(
        taken >= 16 * 1024 * 1024 - OUTGOING_BODY_HELD_BYTES,
        "{taken}"
    );
}
