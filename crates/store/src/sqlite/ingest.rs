//! Storing a webhook with its events and deliveries, unless it is a redelivery.

use rusqlite::{Connection, OptionalExtension};

use crate::model::{Ingested, NewWebhook};
use crate::{StoreError, Timestamp};

pub(super) fn ingest(
    conn: &Connection,
    webhook: &NewWebhook,
    dedup_since: Timestamp,
) -> Result<Ingested, StoreError> {
    let earlier = conn
        .prepare_cached(
            "SELECT id, received_at FROM webhooks
             WHERE body_sha256 = ?1 AND received_at >= ?2 AND source = ?3
             ORDER BY received_at LIMIT 1",
        )
        .and_then(|mut statement| {
            statement
                .query_row(
                    (&webhook.body_sha256, dedup_since, &webhook.source),
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
                )
                .optional()
        })
        .map_err(StoreError::query("find a redelivered webhook"))?;
    if let Some((webhook_id, received_at)) = earlier {
        return Ok(Ingested::Duplicate {
            webhook_id,
            received_at,
        });
    }

    conn.prepare_cached(
        "INSERT INTO webhooks (id, source, received_at, body, body_sha256, event_type, metadata)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut statement| {
        statement.execute((
            &webhook.id,
            &webhook.source,
            webhook.received_at,
            &webhook.body,
            &webhook.body_sha256,
            &webhook.event_type,
            &webhook.metadata,
        ))
    })
    .map_err(StoreError::query("insert a webhook"))?;

    let mut insert_event = conn
        .prepare_cached(
            "INSERT INTO events (id, webhook_id, item_index, event_type, prospect_id, email,
                                 occurred_at, received_at, item)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(StoreError::query("insert an event"))?;
    let mut insert_delivery = conn
        .prepare_cached(
            "INSERT INTO deliveries (event_id, plugin, source, prospect_id, status, origin,
                                     attempts, next_attempt_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'pending', 'ingest', 0, ?5, ?5, ?5)",
        )
        .map_err(StoreError::query("insert a delivery"))?;
    let mut deliveries = 0;
    for event in &webhook.events {
        insert_event
            .execute((
                &event.id,
                &webhook.id,
                event.index,
                &event.event_type,
                &event.prospect_id,
                &event.email,
                event.occurred_at,
                webhook.received_at,
                &event.item,
            ))
            .map_err(StoreError::query("insert an event"))?;
        for plugin in &webhook.plugins {
            insert_delivery
                .execute((
                    &event.id,
                    plugin,
                    &webhook.source,
                    &event.prospect_id,
                    webhook.received_at,
                ))
                .map_err(StoreError::query("insert a delivery"))?;
            deliveries += 1;
        }
    }
    Ok(Ingested::Stored {
        webhook_id: webhook.id.clone(),
        events: webhook.events.len() as u64,
        deliveries,
    })
}
