//! Storing a webhook with its events and deliveries, unless it is a redelivery, in one
//! transaction. The body's row in `webhook_bodies` is taken first: of two hosts receiving the
//! same body at once, the second waits on the unique key until the first commits, then finds it.

use deadpool_postgres::Object;

use super::{execute, failed, order, query_opt};
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

pub(super) async fn ingest(
    client: &mut Object,
    webhook: &NewWebhook,
    dedup_since: Timestamp,
) -> Result<Ingested, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(failed("starting an ingest"))?;
    let taken = query_opt(
        &tx,
        "take a webhook's body",
        TAKE_BODY,
        &[
            &webhook.source,
            &webhook.body_sha256,
            &webhook.id,
            &webhook.received_at,
            &dedup_since,
        ],
    )
    .await?;
    if taken.is_none() {
        // A webhook within the window has the body (committed: the insert above waited for it).
        let earlier = query_opt(
            &tx,
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

    if !webhook.plugins.is_empty() {
        order::lock_prospects(
            &tx,
            webhook
                .events
                .iter()
                .map(|event| (webhook.source.as_str(), event.prospect_id.as_deref())),
        )
        .await?;
    }
    execute(
        &tx,
        "insert a webhook",
        "INSERT INTO webhooks (id, source, received_at, body, body_sha256, event_type, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
    .await?;

    let events = &webhook.events;
    let ids: Vec<&str> = events.iter().map(|event| event.id.as_str()).collect();
    let indexes: Vec<i32> = events.iter().map(|event| event.index as i32).collect();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    let prospects: Vec<Option<&str>> = events.iter().map(|e| e.prospect_id.as_deref()).collect();
    let emails: Vec<Option<&str>> = events.iter().map(|e| e.email.as_deref()).collect();
    let occurred: Vec<Option<i64>> = events.iter().map(|e| e.occurred_at).collect();
    let items: Vec<&str> = events.iter().map(|e| e.item.as_str()).collect();
    execute(
        &tx,
        "insert a webhook's events",
        INSERT_EVENTS,
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
    .await?;
    let deliveries = if webhook.plugins.is_empty() || events.is_empty() {
        0
    } else {
        execute(
            &tx,
            "insert a webhook's deliveries",
            INSERT_DELIVERIES,
            &[
                &webhook.source,
                &webhook.received_at,
                &ids,
                &prospects,
                &webhook.plugins,
            ],
        )
        .await?
    };
    tx.commit().await.map_err(failed("committing an ingest"))?;
    Ok(Ingested::Stored {
        webhook_id: webhook.id.clone(),
        events: events.len() as u64,
        deliveries,
    })
}
