//! Storing a webhook with its events and deliveries, unless it is a redelivery, in one
//! transaction. The body's row in `webhook_bodies` is taken first: of two hosts receiving the
//! same body at once, the second waits on the unique key until the first commits, then finds it.
//!
//! The statements of the transaction are pipelined: sent together, in order, and run by the
//! server one after the other, so that an ingest waits for three round trips (begin, the
//! statements, commit) instead of seven. They are all sent before the body's row is known to be
//! taken: a redelivery (rare) rolls the rest back.
//!
//! Concurrent ingests of a host are stored in groups, one transaction each (`ingest/batcher.rs`
//! collects them, `ingest/batch.rs` stores them); this single ingest is the fallback when a
//! group fails.

mod batch;
mod batcher;

pub(super) use batcher::Batcher;

use deadpool_postgres::{GenericClient, Object, Transaction};
use tokio_postgres::Statement;

use super::{failed, order, query_opt};
use crate::model::{Ingested, NewWebhook};
use crate::{StoreError, Timestamp};

/// Takes the body for this webhook: inserted, or taken over from a webhook received before the
/// window; no row when a webhook within the window has it.
const TAKE_BODY: &str = "
    INSERT INTO webhook_bodies (source, body_sha256, webhook_id, received_at)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (source, body_sha256) DO UPDATE
        SET webhook_id = EXCLUDED.webhook_id, received_at = EXCLUDED.received_at
        WHERE webhook_bodies.received_at < $5
    RETURNING webhook_id";

const INSERT_EVENTS: &str = "
    INSERT INTO events (id, webhook_id, item_index, event_type, prospect_id, email, occurred_at,
                        received_at, item)
    SELECT id, $1, item_index, event_type, prospect_id, email, occurred_at, $2, item
    FROM unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::bigint[],
                $9::text[])
         AS e(id, item_index, event_type, prospect_id, email, occurred_at, item)";

/// One delivery per event and plugin, ids in (event, plugin) order as the SQLite store gives them.
const INSERT_DELIVERIES: &str = "
    INSERT INTO deliveries (event_id, plugin, source, prospect_id, status, origin, attempts,
                            next_attempt_at, created_at, updated_at)
    SELECT e.id, p.plugin, $1, e.prospect_id, 'pending', 'ingest', 0, $2, $2, $2
    FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS e(id, prospect_id, n)
         CROSS JOIN unnest($5::text[]) WITH ORDINALITY AS p(plugin, m)
    ORDER BY e.n, p.m";

/// The statements of an ingest, prepared on the connection (once: they are cached).
struct Prepared {
    take_body: Statement,
    lock_prospects: Statement,
    insert_webhook: Statement,
    insert_events: Statement,
    insert_deliveries: Statement,
}

const INSERT_WEBHOOK: &str = "
    INSERT INTO webhooks (id, source, received_at, body, body_sha256, event_type, metadata)
    VALUES ($1, $2, $3, $4, $5, $6, $7)";

impl Prepared {
    /// Prepares every statement before any runs: a statement prepared while the others were
    /// already sent would run after them, and the prospects' locks must come before the
    /// deliveries take their ids.
    async fn on(tx: &Transaction<'_>) -> Result<Self, StoreError> {
        let prepare = |operation: &'static str, sql: &'static str| async move {
            tx.prepare_cached(sql).await.map_err(failed(operation))
        };
        let (take_body, lock_prospects, insert_webhook, insert_events, insert_deliveries) = tokio::try_join!(
            prepare("take a webhook's body", TAKE_BODY),
            prepare(
                "locking prospects to keep their order",
                order::LOCK_PROSPECTS
            ),
            prepare("insert a webhook", INSERT_WEBHOOK),
            prepare("insert a webhook's events", INSERT_EVENTS),
            prepare("insert a webhook's deliveries", INSERT_DELIVERIES),
        )?;
        Ok(Self {
            take_body,
            lock_prospects,
            insert_webhook,
            insert_events,
            insert_deliveries,
        })
    }
}

/// Stores `webhook` in a transaction of its own (a group that failed is stored this way, one
/// webhook at a time).
async fn ingest(
    client: &mut Object,
    webhook: &NewWebhook,
    dedup_since: Timestamp,
) -> Result<Ingested, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(failed("starting an ingest"))?;
    let prepared = Prepared::on(&tx).await?;

    let events = &webhook.events;
    let queues = !webhook.plugins.is_empty() && !events.is_empty();
    let keys = if queues {
        order::keys(
            events
                .iter()
                .map(|event| (webhook.source.as_str(), event.prospect_id.as_deref())),
        )
    } else {
        Vec::new()
    };
    let ids: Vec<&str> = events.iter().map(|event| event.id.as_str()).collect();
    let indexes: Vec<i32> = events.iter().map(|event| event.index as i32).collect();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    let prospects: Vec<Option<&str>> = events.iter().map(|e| e.prospect_id.as_deref()).collect();
    let emails: Vec<Option<&str>> = events.iter().map(|e| e.email.as_deref()).collect();
    let occurred: Vec<Option<i64>> = events.iter().map(|e| e.occurred_at).collect();
    let items: Vec<&str> = events.iter().map(|e| e.item.as_str()).collect();

    // Each future sends its statement when first polled, and `join!` polls them first in this
    // order: the server runs them in this order.
    let (taken, locked, stored, inserted, queued) = tokio::join!(
        async {
            tx.query_opt(
                &prepared.take_body,
                &[
                    &webhook.source,
                    &webhook.body_sha256,
                    &webhook.id,
                    &webhook.received_at,
                    &dedup_since,
                ],
            )
            .await
        },
        async {
            if keys.is_empty() {
                return Ok(0);
            }
            tx.execute(&prepared.lock_prospects, &[&keys]).await
        },
        async {
            tx.execute(
                &prepared.insert_webhook,
                &[
                    &webhook.id,
                    &webhook.source,
                    &webhook.received_at,
                    &webhook.body,
                    &webhook.body_sha256,
                    &webhook.event_type,
                    &webhook.metadata,
                ],
            )
            .await
        },
        async {
            tx.execute(
                &prepared.insert_events,
                &[
                    &webhook.id,
                    &webhook.received_at,
                    &ids,
                    &indexes,
                    &types,
                    &prospects,
                    &emails,
                    &occurred,
                    &items,
                ],
            )
            .await
        },
        async {
            if !queues {
                return Ok(0);
            }
            tx.execute(
                &prepared.insert_deliveries,
                &[
                    &webhook.source,
                    &webhook.received_at,
                    &ids,
                    &prospects,
                    &webhook.plugins,
                ],
            )
            .await
        },
    );
    // A redelivery: a webhook within the window has the body (committed: the insert above waited
    // for it). What was sent after the body's row is undone.
    if let Ok(None) = taken {
        tx.rollback()
            .await
            .map_err(failed("rolling back a redelivery"))?;
        let earlier = query_opt(
            &*client,
            "find a redelivered webhook",
            "SELECT webhook_id, received_at FROM webhook_bodies
             WHERE source = $1 AND body_sha256 = $2",
            &[&webhook.source, &webhook.body_sha256],
        )
        .await?
        .ok_or_else(|| StoreError::Postgres {
            operation: "find a redelivered webhook",
            message: "its body was taken and then gone; try again".to_owned(),
        })?;
        return Ok(Ingested::Duplicate {
            webhook_id: earlier.get(0),
            received_at: earlier.get(1),
        });
    }
    // The first failure is the cause: the statements after it fail because the transaction was
    // aborted. The transaction is rolled back when dropped.
    taken.map_err(failed("take a webhook's body"))?;
    locked.map_err(failed("locking prospects to keep their order"))?;
    stored.map_err(failed("insert a webhook"))?;
    inserted.map_err(failed("insert a webhook's events"))?;
    let deliveries = queued.map_err(failed("insert a webhook's deliveries"))?;
    tx.commit().await.map_err(failed("committing an ingest"))?;
    Ok(Ingested::Stored {
        webhook_id: webhook.id.clone(),
        events: events.len() as u64,
        deliveries,
    })
}
