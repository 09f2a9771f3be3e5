//! The load generator: HTTP/1.1 keep-alive POSTs of distinct webhooks over loopback with the
//! hyper client, in a closed loop (a fixed number of connections, each sending its next request
//! when the last one is answered) or an open loop (requests scheduled on a fixed timeline,
//! whatever the answers do). With several hosts, connections (closed loop) and requests (open
//! loop) go to them round-robin, each host on its own port: no load balancer in between. The id
//! of every acknowledged webhook is kept, to look for it in the store afterwards.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// A request not answered within this is counted as an error.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Requests in flight at most in the open loop (and so connections): past it, a send waits for
/// an answer, and its lateness counts in its latency.
pub const OPEN_LOOP_MAX_IN_FLIGHT: usize = 1024;

/// A send this far behind its scheduled time counts as late: the generator, not the host,
/// could not keep the timeline.
const LATE: Duration = Duration::from_millis(5);

/// The placeholder `prospect_id` in the body template, replaced by a unique number per request.
const PLACEHOLDER_ID: i64 = 987_654_321_012_345;

/// Makes the request bodies: the fixture with a unique `prospect_id` in each, so that no two bodies
/// are byte-identical (redelivery detection would acknowledge a repeat without storing it) and no
/// two deliveries wait on each other (a prospect's deliveries run in order).
pub struct Bodies {
    prefix: Vec<u8>,
    suffix: Vec<u8>,
    next: AtomicU64,
}

impl Bodies {
    /// Bodies from `fixture` (a webhook with one data item); ids start at a value unique to this
    /// run.
    pub fn from_fixture(fixture: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(fixture)
            .with_context(|| format!("reading {}", fixture.display()))?;
        let mut json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", fixture.display()))?;
        let items = json["data"].as_array().map_or(0, Vec::len);
        if items != 1 {
            bail!("{} has {items} data items, not 1", fixture.display());
        }
        json["data"][0]["prospect"]["prospect_id"] = PLACEHOLDER_ID.into();
        let body = serde_json::to_string(&json)?;
        let (prefix, suffix) = body
            .split_once(&PLACEHOLDER_ID.to_string())
            .context("the placeholder id in the body")?;
        let start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |now| now.as_millis() as u64)
            * 1000;
        Ok(Self {
            prefix: prefix.as_bytes().to_vec(),
            suffix: suffix.as_bytes().to_vec(),
            next: AtomicU64::new(start),
        })
    }

    /// The next body.
    pub fn next(&self) -> Bytes {
        let id = self.next.fetch_add(1, Ordering::Relaxed).to_string();
        let mut body = Vec::with_capacity(self.prefix.len() + id.len() + self.suffix.len());
        body.extend_from_slice(&self.prefix);
        body.extend_from_slice(id.as_bytes());
        body.extend_from_slice(&self.suffix);
        Bytes::from(body)
    }

    /// The size of a body, in bytes.
    pub fn size(&self) -> usize {
        self.prefix.len() + 16 + self.suffix.len()
    }
}

/// The client side of the bench: one hyper client (its pool holds the keep-alive connections) and
/// the bodies.
#[derive(Clone)]
pub struct Generator {
    client: Client<HttpConnector, Full<Bytes>>,
    /// The ingest URL of each host.
    urls: Arc<[Uri]>,
    /// `http://ADDR` of each host.
    bases: Arc<[String]>,
    bodies: Arc<Bodies>,
}

/// What one request came to.
#[derive(Debug, Clone)]
enum Answer {
    /// A 2xx: stored (202) or recognised as a redelivery (200), with the `webhook_id` answered.
    Acknowledged(StatusCode, Option<Box<str>>),
    /// Any other status.
    Refused(StatusCode),
    /// No answer: connection failure or timeout.
    Failed,
}

/// The outcome of one load phase.
#[derive(Debug, Default, Clone)]
pub struct PhaseResult {
    /// Requests sent.
    pub sent: u64,
    /// 2xx answers.
    pub acknowledged: u64,
    /// Of those, 200 (a redelivery, acknowledged without storing): none expected.
    pub duplicates: u64,
    /// Non-2xx answers, by status.
    pub refused: Vec<(u16, u64)>,
    /// Requests with no answer (connection error or timeout).
    pub failed: u64,
    /// Latency of every answered request, in microseconds, sorted.
    pub latencies_us: Vec<u64>,
    /// The `webhook_id` of every acknowledged webhook (a 2xx without one counts in
    /// `acknowledged` only, and so as lost when the store is checked).
    pub acknowledged_ids: Vec<Box<str>>,
    /// From the first send (or scheduled send) to the last answer.
    pub elapsed: Duration,
    /// Open loop: sends more than [`LATE`] behind their schedule.
    pub late_sends: u64,
    /// Open loop: requests never sent, because the generator was still blocked on unanswered
    /// requests when the phase's time was up (counted as errors).
    pub unsent: u64,
    /// Wall-clock bounds of the phase, ms since the Unix epoch (the host stamps webhooks with the
    /// same clock).
    pub started_ms: i64,
    /// See `started_ms`.
    pub ended_ms: i64,
}

impl PhaseResult {
    /// Acknowledged webhooks per second over the phase.
    pub fn ack_rate(&self) -> f64 {
        self.acknowledged as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Non-2xx answers and failed requests.
    pub fn errors(&self) -> u64 {
        self.failed + self.unsent + self.refused.iter().map(|(_, count)| count).sum::<u64>()
    }

    /// Counts one answer; keeps its latency unless there was none.
    fn record(&mut self, answer: Answer, latency: Duration) {
        match answer {
            Answer::Acknowledged(status, id) => {
                self.acknowledged += 1;
                if status == StatusCode::OK {
                    self.duplicates += 1;
                }
                self.acknowledged_ids.extend(id);
            }
            Answer::Refused(status) => {
                let code = status.as_u16();
                match self.refused.iter_mut().find(|(c, _)| *c == code) {
                    Some((_, count)) => *count += 1,
                    None => self.refused.push((code, 1)),
                }
            }
            Answer::Failed => {
                self.failed += 1;
                return;
            }
        }
        self.latencies_us.push(latency.as_micros() as u64);
    }

    /// Adds the counts and latencies of another sender (not its times).
    fn merge(&mut self, other: PhaseResult) {
        self.sent += other.sent;
        self.acknowledged += other.acknowledged;
        self.duplicates += other.duplicates;
        self.failed += other.failed;
        for (code, count) in other.refused {
            match self.refused.iter_mut().find(|(c, _)| *c == code) {
                Some((_, total)) => *total += count,
                None => self.refused.push((code, count)),
            }
        }
        self.latencies_us.extend(other.latencies_us);
        self.acknowledged_ids.extend(other.acknowledged_ids);
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |now| now.as_millis() as i64)
}

impl Generator {
    /// A generator posting to the hosts at `addrs` (at least one) with `token`.
    pub fn new(addrs: &[SocketAddr], token: &str, bodies: Bodies) -> Self {
        assert!(!addrs.is_empty(), "a generator needs a host");
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(usize::MAX)
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Self {
            client,
            urls: addrs
                .iter()
                .map(|addr| {
                    format!("http://{addr}/hooks/smartreach/{token}")
                        .parse()
                        .expect("a valid URL")
                })
                .collect(),
            bases: addrs.iter().map(|addr| format!("http://{addr}")).collect(),
            bodies: Arc::new(bodies),
        }
    }

    /// Waits until `GET /readyz` of every host answers 200 (store answering, plugins loaded).
    pub async fn wait_ready(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        for base in self.bases.iter() {
            self.wait_host_ready(base, deadline, timeout).await?;
        }
        Ok(())
    }

    /// Waits until `GET BASE/readyz` answers 200, or `deadline`.
    async fn wait_host_ready(
        &self,
        base: &str,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<()> {
        let uri: hyper::Uri = format!("{base}/readyz").parse()?;
        loop {
            let request = Request::get(uri.clone()).body(Full::new(Bytes::new()))?;
            if let Ok(response) = self.client.request(request).await {
                let status = response.status();
                let _ = response.into_body().collect().await;
                if status == StatusCode::OK {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("GET {uri} did not answer 200 within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Posts one webhook to host `host` (round-robin: any index) and reads the whole answer.
    async fn post(&self, host: usize) -> Answer {
        let url = &self.urls[host % self.urls.len()];
        let request = Request::post(url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(self.bodies.next()))
            .expect("a valid request");
        let exchange = async {
            let response = self.client.request(request).await.ok()?;
            let status = response.status();
            let body = response.into_body().collect().await.ok()?.to_bytes();
            Some((status, body))
        };
        match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
            Ok(Some((status, body))) if status.is_success() => {
                Answer::Acknowledged(status, webhook_id(&body))
            }
            Ok(Some((status, _))) => Answer::Refused(status),
            Ok(None) | Err(_) => Answer::Failed,
        }
    }

    /// Closed loop: `connections` senders, each posting its next webhook as soon as the last one
    /// is answered, for `duration`. Latency runs from the send to the end of the answer.
    pub async fn closed_loop(&self, connections: usize, duration: Duration) -> PhaseResult {
        let started_ms = now_ms();
        let start = Instant::now();
        let deadline = start + duration;
        let mut senders = tokio::task::JoinSet::new();
        for connection in 0..connections {
            let generator = self.clone();
            senders.spawn(async move {
                let mut result = PhaseResult::default();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let answer = generator.post(connection).await;
                    result.sent += 1;
                    let failed = matches!(answer, Answer::Failed);
                    result.record(answer, sent.elapsed());
                    if failed {
                        // A host that is gone refuses at once: do not spin.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                result
            });
        }
        let mut total = PhaseResult::default();
        while let Some(result) = senders.join_next().await {
            total.merge(result.expect("a sender task"));
        }
        total.elapsed = start.elapsed();
        total.started_ms = started_ms;
        total.ended_ms = now_ms();
        total.latencies_us.sort_unstable();
        total
    }

    /// Open loop: `rate` webhooks per second for `duration`, each sent at its time on a fixed
    /// timeline whether or not earlier ones were answered. Latency runs from the scheduled send
    /// time, so a stall delays the measured answers of every request scheduled during it rather
    /// than hiding them (no coordinated omission); it includes the generator's timer granularity
    /// (about 1 ms).
    pub async fn open_loop(&self, rate: f64, duration: Duration) -> PhaseResult {
        let total_requests = (rate * duration.as_secs_f64()).round() as u64;
        let started_ms = now_ms();
        let start = Instant::now() + Duration::from_millis(10);
        let in_flight = Arc::new(Semaphore::new(OPEN_LOOP_MAX_IN_FLIGHT));
        // Past this, nothing more is sent: a host that stopped answering does not keep the
        // generator waiting for ever.
        let give_up = start + duration + REQUEST_TIMEOUT;
        let mut requests = Vec::with_capacity(total_requests as usize);
        let mut late_sends = 0;
        let mut unsent = 0;
        for index in 0..total_requests {
            let at = start + Duration::from_secs_f64(index as f64 / rate);
            if at > Instant::now() {
                tokio::time::sleep_until(at).await;
            }
            let permit = match tokio::time::timeout_at(
                give_up,
                Arc::clone(&in_flight).acquire_owned(),
            )
            .await
            {
                Ok(permit) => permit.expect("the semaphore is never closed"),
                Err(_) => {
                    unsent = total_requests - index;
                    break;
                }
            };
            if at.elapsed() > LATE {
                late_sends += 1;
            }
            let generator = self.clone();
            requests.push(tokio::spawn(async move {
                let answer = generator.post(index as usize).await;
                drop(permit);
                (answer, at.elapsed())
            }));
        }
        let mut total = PhaseResult {
            sent: total_requests - unsent,
            late_sends,
            unsent,
            ..PhaseResult::default()
        };
        for request in requests {
            let (answer, latency) = request.await.expect("a request task");
            total.record(answer, latency);
        }
        total.elapsed = start.elapsed();
        total.started_ms = started_ms;
        total.ended_ms = now_ms();
        total.latencies_us.sort_unstable();
        total
    }
}

/// The `webhook_id` of a 2xx answer's JSON body, if it has one.
fn webhook_id(body: &[u8]) -> Option<Box<str>> {
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    answer.get("webhook_id")?.as_str().map(Box::from)
}

/// The `p`-th percentile (0..=100) of sorted `values`, by nearest rank; 0 when empty.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
