//! A hostile plugin against the real host: floods of log lines and of output, huge outcome
//! reasons, and outgoing bodies the host would buffer. Each test asserts that the host stays up,
//! that ingest keeps answering during the attack, and that what the host holds (peak RSS), prints
//! (stderr, check-plugin's stdout) and stores (attempt logs and details) stays under a bound
//! derived from the runtime's documented caps.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use support::host::{Config, Env, Host};
use support::payload::prospect_event;
use support::plugins::{manifest, wasm_path};
use support::process::peak_rss_mib;
use support::{SOON, eventually, fixture_path};

// The runtime's caps (smartreach_plugin_runtime), restated: this suite sees only the binary.
/// `PluginDefaults::max_output_bytes`: what each of host log, stdout and stderr may cost.
const LOG_CAP_BYTES: usize = 16 * 1024;
/// `LOG_LINE_OVERHEAD_BYTES`: what each kept line costs on top of its text.
const LINE_OVERHEAD_BYTES: usize = 64;
/// `MAX_REASON_BYTES`: outcome reasons and trap messages, cut.
const MAX_REASON_BYTES: usize = 2 * 1024;
/// Lines one stream of one attempt can keep: the byte cap over the per-line cost, plus the marker.
const LINES_PER_STREAM: usize = LOG_CAP_BYTES / LINE_OVERHEAD_BYTES + 1;
/// The longest line the host prints to stderr for one plugin log line: the line's text (at most
/// the cap, but a flood's lines are empty) plus the JSON log record around it (timestamp, level,
/// target, the delivery's span: id, plugin, event type, attempt).
const STDERR_BYTES_PER_LINE: usize = 512;

/// The peak RSS, in MiB, a debug host may reach under these attacks. The host itself starts at
/// tens of MiB; the instances of one hostile plugin add their memory cap (64 MiB by default) and,
/// for outgoing bodies, at most that much again. Before the caps, a log flood took the host to
/// 3.2 GB and a body flood to more than 1 GB.
const PEAK_RSS_BOUND_MIB: u64 = 400;

/// Posts a webhook and expects it to be acknowledged: ingest answers during the attack.
fn assert_ingest_answers(host: &Host, n: i64) {
    let response = host.post_webhook(&prospect_event(
        "prospect.updated",
        1000 + n,
        "probe@example.com",
        &format!("probe-{n}"),
    ));
    assert_eq!(
        response.status, 202,
        "ingest during the attack: {response:?}"
    );
}

/// The attempts of `plugin`, waiting until it has at least `count`, probing ingest meanwhile.
fn wait_attempts(env: &Env, host: &Host, plugin: &str, count: usize) -> Vec<support::db::Attempt> {
    let db = env.db();
    let mut probes = 0;
    eventually(
        &format!("{count} attempts of {plugin}"),
        Duration::from_secs(120),
        || {
            probes += 1;
            if probes % 20 == 0 {
                assert_ingest_answers(host, probes);
            }
            let attempts = db.attempts_of_plugin(plugin);
            (attempts.len() >= count).then_some(attempts)
        },
    )
}

/// Checks an attempt's stored logs against the cap: per stream, lines and bytes.
fn assert_logs_capped(attempt: &support::db::Attempt) {
    let lines = attempt.logs.as_array().expect("logs are a JSON array");
    for source in ["host", "stdout", "stderr"] {
        let of_source: Vec<&str> = lines
            .iter()
            .filter(|line| line["source"] == source)
            .map(|line| line["message"].as_str().unwrap())
            .collect();
        let cost: usize = of_source
            .iter()
            .map(|message| message.len() + LINE_OVERHEAD_BYTES)
            .sum();
        assert!(
            of_source.len() <= LINES_PER_STREAM,
            "{source}: {} lines stored",
            of_source.len()
        );
        // The cap, plus the one marker line.
        assert!(cost <= LOG_CAP_BYTES + 300, "{source}: {cost} bytes stored");
    }
}

/// An empty-line log flood and a newline flood, each with a 10 s deadline: the host keeps a
/// capped prefix of each, prints a bounded number of lines, and stays small.
#[test]
fn log_and_output_floods_cost_the_host_only_the_cap() {
    let env = SUITE.env();
    for mode in ["log-flood", "newline-flood"] {
        env.install(
            &format!("hostile-{mode}"),
            "hostile",
            Some(&manifest(
                None,
                &[("mode", mode)],
                &[("timeout_ms", 10_000)],
            )),
        );
    }
    let host = env.start();
    let before = host.stderr().len();
    let ingested = host.ingest(&prospect_event(
        "prospect.created",
        1,
        "a@example.com",
        "flood",
    ));
    assert_eq!(ingested.deliveries, 2);

    let floods = wait_attempts(&env, &host, "hostile-log-flood", 1);
    let newlines = wait_attempts(&env, &host, "hostile-newline-flood", 1);
    // Read stderr first: attempts only grow, so counting them after can only loosen the bound.
    let printed = host.stderr().len() - before;
    let attempts = env.db().attempts().len();
    assert_ingest_answers(&host, 0);

    for attempt in floods.iter().chain(&newlines) {
        assert_eq!(attempt.outcome, "fault", "{attempt:?}");
        assert_logs_capped(attempt);
    }
    let first = floods[0].logs.as_array().unwrap();
    assert_eq!(first.len(), LINES_PER_STREAM, "the log flood fills the cap");
    assert!(
        first.last().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("more lines (0 bytes) dropped"),
        "{:?}",
        first.last()
    );
    assert!(
        newlines[0].logs.as_array().unwrap().is_empty(),
        "blank lines are not kept: {:?}",
        newlines[0].logs
    );

    // Each attempt prints at most its kept lines (3 streams) plus a few of the host's own.
    let bound = attempts * (3 * LINES_PER_STREAM + 10) * STDERR_BYTES_PER_LINE + 64 * 1024;
    assert!(
        printed <= bound,
        "the host printed {printed} bytes for {attempts} attempts, over {bound}"
    );
    let peak = peak_rss_mib(host.pid());
    assert!(
        peak <= PEAK_RSS_BOUND_MIB,
        "peak RSS {peak} MiB, over {PEAK_RSS_BOUND_MIB}"
    );
}

/// A 16 MiB `Failed` reason is stored, logged and served cut to MAX_REASON_BYTES.
#[test]
fn a_huge_reason_is_cut_before_the_store_and_the_api() {
    let env = SUITE.env_with(Config::with_admin());
    let bytes = 16 * 1024 * 1024;
    env.install(
        "hostile-huge-reason",
        "hostile",
        Some(&manifest(
            None,
            &[("mode", "huge-reason"), ("bytes", &bytes.to_string())],
            &[],
        )),
    );
    let host = env.start();
    host.ingest(&prospect_event(
        "prospect.created",
        1,
        "a@example.com",
        "huge",
    ));
    let attempts = wait_attempts(&env, &host, "hostile-huge-reason", 1);
    let detail = attempts[0].detail.clone().unwrap();
    assert_eq!(attempts[0].outcome, "failed");
    assert!(detail.len() <= MAX_REASON_BYTES, "{} bytes", detail.len());
    assert!(
        detail.ends_with(" bytes cut]"),
        "{}",
        &detail[detail.len() - 40..]
    );

    let delivery = eventually("the delivery is dead", SOON, || {
        env.db()
            .deliveries_of_plugin("hostile-huge-reason")
            .into_iter()
            .find(|delivery| delivery.status == "dead")
    });
    let last_error = delivery.last_error.unwrap();
    assert!(last_error.len() <= MAX_REASON_BYTES, "{}", last_error.len());

    let listed = host.admin_get("/api/v1/deliveries?plugin=hostile-huge-reason");
    assert_eq!(listed.status, 200, "{listed:?}");
    assert!(
        listed.body.len() < 4 * MAX_REASON_BYTES,
        "{} bytes from the admin API",
        listed.body.len()
    );
    assert!(host.stderr().len() < 1024 * 1024, "{}", host.stderr().len());
    assert!(peak_rss_mib(host.pid()) <= PEAK_RSS_BOUND_MIB);
}

/// A plugin that fills hundreds of outgoing bodies and never sends them: the host holds at most
/// the plugin's memory cap of body bytes, not 2 MiB per body.
#[test]
fn outgoing_bodies_cost_the_host_at_most_the_memory_cap() {
    let env = SUITE.env();
    let count = 600;
    env.install(
        "hostile-body-flood",
        "hostile",
        Some(&manifest(
            None,
            &[("mode", "body-flood"), ("count", &count.to_string())],
            &[("memory_mib", 64)],
        )),
    );
    let host = env.start();
    host.ingest(&prospect_event(
        "prospect.created",
        1,
        "a@example.com",
        "bodies",
    ));
    let attempts = wait_attempts(&env, &host, "hostile-body-flood", 1);
    let detail = attempts[0].detail.clone().unwrap();
    assert_eq!(attempts[0].outcome, "skipped", "{detail}");
    let taken: usize = detail
        .strip_prefix(&format!("body-flood: {count} bodies, "))
        .and_then(|rest| rest.strip_suffix(" bytes taken"))
        .unwrap_or_else(|| panic!("{detail}"))
        .parse()
        .unwrap();
    // The memory cap for all bodies, then 1-byte chunks (2 bytes a body).
    let bound = 64 * 1024 * 1024 + 2 * count;
    assert!(taken <= bound, "the host took {taken} bytes, over {bound}");
    assert_ingest_answers(&host, 0);
    let peak = peak_rss_mib(host.pid());
    assert!(
        peak <= PEAK_RSS_BOUND_MIB,
        "peak RSS {peak} MiB, over {PEAK_RSS_BOUND_MIB}"
    );
}

fn check_plugin(mode: &str, config: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("hostile.wasm");
    std::fs::copy(wasm_path("hostile"), &wasm).unwrap();
    std::fs::write(
        dir.path().join("hostile.toml"),
        format!("[config]\nmode = \"{mode}\"\n{config}"),
    )
    .unwrap();
    let fixture = fixture_path("events/prospect.created.json");
    let mut command = SUITE.command();
    command
        .arg("check-plugin")
        .arg(&wasm)
        .arg("--event")
        .arg(Path::new(&fixture))
        .output()
        .expect("running smartreach-hooks check-plugin")
}

/// `check-plugin` prints a bounded report for a log flood (11.2 million lines before the cap)
/// and a huge reason (all 48 MiB of it before the cut).
#[test]
fn check_plugin_prints_a_bounded_report() {
    // Kept lines of three streams, each printed with its level and source, plus the report.
    let bound = (3 * LINES_PER_STREAM) * 128 + 8 * 1024;
    let flood = check_plugin("log-flood", "");
    assert!(
        flood.stdout.len() <= bound,
        "log-flood: {} bytes printed, over {bound}",
        flood.stdout.len()
    );
    let text = String::from_utf8_lossy(&flood.stdout);
    assert!(text.contains("more lines (0 bytes) dropped"), "{text}");

    let huge = check_plugin("huge-reason", "bytes = \"33554432\"\n");
    assert!(
        huge.stdout.len() <= MAX_REASON_BYTES + 8 * 1024,
        "huge-reason: {} bytes printed",
        huge.stdout.len()
    );
    let text = String::from_utf8_lossy(&huge.stdout);
    assert!(text.contains(" bytes cut]"), "{text}");
}
