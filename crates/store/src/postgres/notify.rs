//! Waking idle hosts when work is queued: a host that queued deliveries says so on a channel
//! (`NOTIFY`), at most once per [`QUIET`]; every host listens on a connection of its own and
//! wakes its dispatcher. A lost notification costs only latency: dispatchers also poll.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use deadpool_postgres::Object;
use tokio::sync::Notify;
use tokio_postgres::{AsyncMessage, NoTls};

use super::cause_chain;

/// The channel.
const CHANNEL: &str = "smartreach_hooks_work";

/// At most one notification per this many milliseconds per host: a burst of ingests wakes the
/// others once, and `NOTIFY` (which serialises the commits that send it) stays rare.
const QUIET: i64 = 20;

/// How long to wait before listening again after the connection dropped.
const RECONNECT: Duration = Duration::from_secs(1);

/// Sends the notifications of one host, spaced out.
#[derive(Debug, Default)]
pub(super) struct Announcer {
    /// When the last one was sent (Unix ms).
    last: AtomicI64,
}

impl Announcer {
    /// Says that deliveries were queued, unless it was said less than [`QUIET`] ago. Best
    /// effort: a failure is logged, never returned (what was queued is committed already).
    pub(super) async fn queued(&self, client: &Object) {
        let now = crate::now_ms();
        let last = self.last.load(Ordering::Relaxed);
        if now - last < QUIET
            || self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        if let Err(err) = client
            .execute("SELECT pg_notify($1, '')", &[&CHANNEL])
            .await
        {
            tracing::debug!(error = %cause_chain(&err), "store: could not notify other hosts");
        }
    }
}

/// Listens for notifications until aborted, waking `wake` on each; reconnects after a failure.
pub(super) async fn listen(config: tokio_postgres::Config, wake: Arc<Notify>) {
    loop {
        let Err(err) = listen_once(&config, &wake).await;
        tracing::warn!(
            error = %err,
            "store: not listening for other hosts' work; trying again in a second"
        );
        tokio::time::sleep(RECONNECT).await;
    }
}

/// Listens on one connection until it fails, and says why.
async fn listen_once(
    config: &tokio_postgres::Config,
    wake: &Arc<Notify>,
) -> Result<std::convert::Infallible, String> {
    let (client, mut connection) = config
        .connect(NoTls)
        .await
        .map_err(|err| cause_chain(&err))?;
    // The connection is driven by a task of its own, which reads the notifications; it ends with
    // the connection, or when this future is dropped (the store was).
    let woken = Arc::clone(wake);
    let mut driver = AbortOnDrop(tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(_))) => woken.notify_one(),
                Some(Ok(_)) => {}
                Some(Err(err)) => return cause_chain(&err),
                None => return "the server closed the connection".to_owned(),
            }
        }
    }));
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .await
        .map_err(|err| cause_chain(&err))?;
    // Work queued before the LISTEN took effect would otherwise wait for the next poll.
    wake.notify_one();
    let ended = (&mut driver.0).await;
    drop(client);
    Err(ended.unwrap_or_else(|err| err.to_string()))
}

/// A task stopped when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
