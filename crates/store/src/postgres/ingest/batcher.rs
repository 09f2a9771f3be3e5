//! Group commit of the ingests of one host: concurrent [`Batcher::ingest`] calls are handed to a
//! task that stores what arrived while the groups before were committing as one group, in one
//! transaction (`batch.rs`), and answers each caller once that transaction committed.
//!
//! - A group holds at most [`MAX_WEBHOOKS`] webhooks and (unless a single webhook is larger)
//!   [`MAX_BYTES`] of bodies and items; at most [`IN_FLIGHT`] groups commit at once, each on a
//!   pooled connection. Under light load a group is one webhook, sent at once.
//! - Two webhooks with the same body (source and hash) never share a group: the second waits for
//!   the next group, where it finds the first committed (or rolled back) as a second caller
//!   finds it on its own.
//! - When a group fails as a whole (one webhook the server refuses, a lost connection), its
//!   webhooks are ingested again one by one (`ingest.rs`), so that each caller gets its own
//!   answer and the others are stored.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::super::connect;
use super::super::notify::Announcer;
use super::batch::{self, Member};
use crate::model::{Ingested, NewWebhook};
use crate::{StoreError, Timestamp};

/// Most webhooks in one group.
const MAX_WEBHOOKS: usize = 256;

/// Most bytes of bodies, items and metadata in one group (a larger webhook goes alone).
const MAX_BYTES: usize = 4 << 20;

/// Groups committing at once.
const IN_FLIGHT: usize = 2;

/// One caller's ingest, waiting for its group.
struct Waiting {
    webhook: NewWebhook,
    dedup_since: Timestamp,
    answer: oneshot::Sender<Result<Ingested, StoreError>>,
}

/// Hands ingests to the group-commit task; the task ends when this is dropped, after the groups
/// it started.
#[derive(Debug)]
pub(in crate::postgres) struct Batcher {
    waiting: mpsc::UnboundedSender<Waiting>,
}

impl Batcher {
    /// Starts the task, storing on connections of `pool` and telling other hosts of new work
    /// through `announce`.
    pub(in crate::postgres) fn start(pool: Pool, announce: Arc<Announcer>) -> Self {
        let (waiting, arrived) = mpsc::unbounded_channel();
        tokio::spawn(run(arrived, pool, announce));
        Self { waiting }
    }

    /// Ingests `webhook` in the next group; answers once that group committed.
    pub(in crate::postgres) async fn ingest(
        &self,
        webhook: NewWebhook,
        dedup_since: Timestamp,
    ) -> Result<Ingested, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.waiting
            .send(Waiting {
                webhook,
                dedup_since,
                answer,
            })
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

/// The error of an ingest whose group was never answered (its task ended: a bug).
fn stopped() -> StoreError {
    StoreError::Postgres {
        operation: "ingest",
        message: "the group-commit task of this host stopped; restart the host".to_owned(),
    }
}

/// Collects groups from `arrived` until every sender is gone.
async fn run(mut arrived: mpsc::UnboundedReceiver<Waiting>, pool: Pool, announce: Arc<Announcer>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    // Webhooks whose body was already in the group they arrived for.
    let mut later: VecDeque<Waiting> = VecDeque::new();
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let first = match later.pop_front() {
            Some(waiting) => waiting,
            None => match arrived.recv().await {
                Some(waiting) => waiting,
                None => return,
            },
        };
        let mut bodies = HashSet::new();
        bodies.insert(body_key(&first));
        let mut bytes = size(&first.webhook);
        let mut group = vec![first];
        let mut deferred = Vec::new();
        while group.len() < MAX_WEBHOOKS && bytes < MAX_BYTES {
            let next = match later.pop_front() {
                Some(waiting) => waiting,
                None => match arrived.try_recv() {
                    Ok(waiting) => waiting,
                    Err(_) => break,
                },
            };
            if !bodies.insert(body_key(&next)) {
                deferred.push(next);
                continue;
            }
            bytes += size(&next.webhook);
            group.push(next);
        }
        later.extend(deferred);
        let pool = pool.clone();
        let announce = announce.clone();
        tokio::spawn(async move {
            commit(&pool, &announce, group).await;
            drop(slot);
        });
    }
}

/// What tells a redelivery: the source and the body's hash.
fn body_key(waiting: &Waiting) -> (String, String) {
    (
        waiting.webhook.source.clone(),
        waiting.webhook.body_sha256.clone(),
    )
}

/// The bytes a webhook adds to a group's statements.
fn size(webhook: &NewWebhook) -> usize {
    webhook.body.len()
        + webhook.metadata.len()
        + webhook
            .events
            .iter()
            .map(|event| event.item.len())
            .sum::<usize>()
}

/// Stores `group` in one transaction and answers its callers; when that fails, one by one.
async fn commit(pool: &Pool, announce: &Announcer, group: Vec<Waiting>) {
    let members: Vec<Member> = group
        .iter()
        .map(|waiting| Member {
            webhook: &waiting.webhook,
            dedup_since: waiting.dedup_since,
        })
        .collect();
    let stored = async {
        let mut client = connect::get(pool).await?;
        let answers = batch::ingest(&mut client, &members).await?;
        Ok::<_, StoreError>((client, answers))
    }
    .await;
    drop(members);
    match stored {
        Ok((client, answers)) => {
            if answers
                .iter()
                .any(|answer| answer.as_ref().is_ok_and(queued))
            {
                announce.queued(&client).await;
            }
            drop(client);
            for (waiting, answer) in group.into_iter().zip(answers) {
                // A caller that stopped waiting (its request was cancelled) is not told.
                let _ = waiting.answer.send(answer);
            }
        }
        // One webhook alone: its own failure is its answer.
        Err(err) if group.len() == 1 => {
            if let Some(waiting) = group.into_iter().next() {
                let _ = waiting.answer.send(Err(err));
            }
        }
        Err(err) => {
            tracing::warn!(
                error = %err,
                webhooks = group.len(),
                "store: a group of ingests failed; ingesting its webhooks one by one (nothing was \
                 stored of the group; each webhook is answered by its own attempt)"
            );
            for waiting in group {
                let answer = alone(pool, announce, &waiting.webhook, waiting.dedup_since).await;
                let _ = waiting.answer.send(answer);
            }
        }
    }
}

/// Ingests one webhook in a transaction of its own.
async fn alone(
    pool: &Pool,
    announce: &Announcer,
    webhook: &NewWebhook,
    dedup_since: Timestamp,
) -> Result<Ingested, StoreError> {
    let mut client = connect::get(pool).await?;
    let ingested = super::ingest(&mut client, webhook, dedup_since).await?;
    if queued(&ingested) {
        announce.queued(&client).await;
    }
    Ok(ingested)
}

/// Whether `answer` queued deliveries.
fn queued(answer: &Ingested) -> bool {
    matches!(answer, Ingested::Stored { deliveries, .. } if *deliveries > 0)
}
