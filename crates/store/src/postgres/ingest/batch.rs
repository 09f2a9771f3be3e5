//! Storing a group of webhooks in one transaction (group commit): one statement per table for
//! the whole group instead of five per webhook, and one commit.
//!
//! The bodies' rows are taken first, in one statement, in (source, body hash) order: two
//! transactions taking the same bodies wait for each other in one order, never in a circle. The
//! webhooks whose body was taken are stored; the others are redeliveries, answered with the
//! webhook that holds the body (committed: the insert waited for it). Then the (source,
//! prospect) locks of the whole group are taken in one sorted statement (`order.rs`), before the
//! deliveries take their ids, and the webhooks, events and deliveries are inserted, pipelined.
//!
//! The group must hold each body (source, hash) at most once: a second webhook with the same
//! body waits for a later group (see `batcher.rs`), as a second caller waits today.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::{GenericClient, Object};

use super::super::{failed, order};
use crate::model::{Ingested, NewWebhook};
use crate::{StoreError, Timestamp};

/// Takes the bodies of the group, in the order given: `$1..$4` are source, hash, webhook id and
/// received time per webhook, `$5` each webhook's `dedup_since`. A body seen before the
/// webhook's `dedup_since` is taken over; one seen since is left alone (a redelivery).
const TAKE_BODIES: &str = "
    INSERT INTO webhook_bodies (source, body_sha256, webhook_id, received_at)
    SELECT source, body_sha256, webhook_id, received_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY
         AS b(source, body_sha256, webhook_id, received_at, n)
    ORDER BY n
    ON CONFLICT (source, body_sha256) DO UPDATE
        SET webhook_id = EXCLUDED.webhook_id, received_at = EXCLUDED.received_at
        WHERE webhook_bodies.received_at < (
            SELECT since FROM unnest($3::text[], $5::bigint[]) AS d(webhook_id, since)
            WHERE d.webhook_id = EXCLUDED.webhook_id)
    RETURNING webhook_id";

/// The webhooks holding the bodies `$1`/`$2` (source, hash): those the redeliveries repeat.
const FIND_EARLIER: &str = "
    SELECT b.source, b.body_sha256, b.webhook_id, b.received_at
    FROM webhook_bodies b
    JOIN unnest($1::text[], $2::text[]) AS r(source, body_sha256)
      ON b.source = r.source AND b.body_sha256 = r.body_sha256";

const INSERT_WEBHOOKS: &str = "
    INSERT INTO webhooks (id, source, received_at, body, body_sha256, event_type, metadata)
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[], $5::text[],
                         $6::text[], $7::text[])";

const INSERT_EVENTS: &str = "
    INSERT INTO events (id, webhook_id, item_index, event_type, prospect_id, email, occurred_at,
                        received_at, item)
    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[],
                         $7::bigint[], $8::bigint[], $9::text[])";

/// One row per delivery, ids handed out in the arrays' order: webhook by webhook, then (event,
/// plugin) as a single ingest gives them.
const INSERT_DELIVERIES: &str = "
    INSERT INTO deliveries (event_id, plugin, source, prospect_id, status, origin, attempts,
                            next_attempt_at, created_at, updated_at)
    SELECT event_id, plugin, source, prospect_id, 'pending', 'ingest', 0, at, at, at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY
         AS d(event_id, plugin, source, prospect_id, at, n)
    ORDER BY n";

/// One webhook of a group and its `dedup_since`.
pub(super) struct Member<'a> {
    /// The webhook.
    pub(super) webhook: &'a NewWebhook,
    /// Bodies seen at or after this are redeliveries.
    pub(super) dedup_since: Timestamp,
}

/// Stores the webhooks of `group` in one transaction; the answer of each, in the group's order.
/// An `Err` means nothing of the group was stored. An `Ok` answer may still be an `Err` for one
/// webhook: a redelivery whose earlier webhook could not be found.
pub(super) async fn ingest(
    client: &mut Object,
    group: &[Member<'_>],
) -> Result<Vec<Result<Ingested, StoreError>>, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(failed("starting a group of ingests"))?;
    let prepare = |operation: &'static str, sql: &'static str| {
        let tx = &tx;
        async move { tx.prepare_cached(sql).await.map_err(failed(operation)) }
    };
    let (take_bodies, find_earlier, lock, insert_webhooks, insert_events, insert_deliveries) = tokio::try_join!(
        prepare("take the bodies of a group of webhooks", TAKE_BODIES),
        prepare("find redelivered webhooks", FIND_EARLIER),
        prepare(
            "locking prospects to keep their order",
            order::LOCK_PROSPECTS
        ),
        prepare("insert a group of webhooks", INSERT_WEBHOOKS),
        prepare("insert the events of a group of webhooks", INSERT_EVENTS),
        prepare(
            "insert the deliveries of a group of webhooks",
            INSERT_DELIVERIES
        ),
    )?;

    // The bodies, in (source, hash) order.
    let mut sorted: Vec<&Member> = group.iter().collect();
    sorted.sort_unstable_by(|a, b| {
        (&a.webhook.source, &a.webhook.body_sha256)
            .cmp(&(&b.webhook.source, &b.webhook.body_sha256))
    });
    let sources: Vec<&str> = sorted.iter().map(|m| m.webhook.source.as_str()).collect();
    let hashes: Vec<&str> = sorted
        .iter()
        .map(|m| m.webhook.body_sha256.as_str())
        .collect();
    let ids: Vec<&str> = sorted.iter().map(|m| m.webhook.id.as_str()).collect();
    let received: Vec<Timestamp> = sorted.iter().map(|m| m.webhook.received_at).collect();
    let since: Vec<Timestamp> = sorted.iter().map(|m| m.dedup_since).collect();
    let taken: HashSet<String> = tx
        .query(&take_bodies, &[&sources, &hashes, &ids, &received, &since])
        .await
        .map_err(failed("take the bodies of a group of webhooks"))?
        .iter()
        .map(|row| row.get(0))
        .collect();

    let rows = Rows::of(
        group
            .iter()
            .map(|m| m.webhook)
            .filter(|w| taken.contains(&w.id)),
    );
    let redelivered: Vec<&NewWebhook> = group
        .iter()
        .map(|m| m.webhook)
        .filter(|w| !taken.contains(&w.id))
        .collect();
    let redelivered_sources: Vec<&str> = redelivered.iter().map(|w| w.source.as_str()).collect();
    let redelivered_hashes: Vec<&str> =
        redelivered.iter().map(|w| w.body_sha256.as_str()).collect();

    // Each future sends its statement when first polled, and `join!` polls them in this order:
    // the server runs them in this order, the locks before the deliveries take their ids.
    let (locked, stored, inserted, queued, earlier) = tokio::join!(
        async {
            if rows.lock_keys.is_empty() {
                return Ok(0);
            }
            tx.execute(&lock, &[&rows.lock_keys]).await
        },
        async {
            if rows.webhook_ids.is_empty() {
                return Ok(0);
            }
            let r = &rows;
            tx.execute(
                &insert_webhooks,
                &[
                    &r.webhook_ids,
                    &r.webhook_sources,
                    &r.webhook_received,
                    &r.bodies,
                    &r.body_hashes,
                    &r.webhook_types,
                    &r.metadata,
                ],
            )
            .await
        },
        async {
            if rows.event_ids.is_empty() {
                return Ok(0);
            }
            let r = &rows;
            tx.execute(
                &insert_events,
                &[
                    &r.event_ids,
                    &r.event_webhooks,
                    &r.event_indexes,
                    &r.event_types,
                    &r.event_prospects,
                    &r.event_emails,
                    &r.event_occurred,
                    &r.event_received,
                    &r.event_items,
                ],
            )
            .await
        },
        async {
            if rows.delivery_events.is_empty() {
                return Ok(0);
            }
            let r = &rows;
            tx.execute(
                &insert_deliveries,
                &[
                    &r.delivery_events,
                    &r.delivery_plugins,
                    &r.delivery_sources,
                    &r.delivery_prospects,
                    &r.delivery_due,
                ],
            )
            .await
        },
        async {
            if redelivered.is_empty() {
                return Ok(Vec::new());
            }
            tx.query(&find_earlier, &[&redelivered_sources, &redelivered_hashes])
                .await
        },
    );
    // The first failure is the cause: the statements after it fail because the transaction was
    // aborted. The transaction is rolled back when dropped.
    locked.map_err(failed("locking prospects to keep their order"))?;
    stored.map_err(failed("insert a group of webhooks"))?;
    inserted.map_err(failed("insert the events of a group of webhooks"))?;
    queued.map_err(failed("insert the deliveries of a group of webhooks"))?;
    let earlier: HashMap<(String, String), (String, Timestamp)> = earlier
        .map_err(failed("find redelivered webhooks"))?
        .iter()
        .map(|row| ((row.get(0), row.get(1)), (row.get(2), row.get(3))))
        .collect();
    tx.commit()
        .await
        .map_err(failed("committing a group of ingests"))?;

    Ok(group
        .iter()
        .map(|member| {
            let webhook = member.webhook;
            if taken.contains(&webhook.id) {
                return Ok(Ingested::Stored {
                    webhook_id: webhook.id.clone(),
                    events: webhook.events.len() as u64,
                    deliveries: deliveries_of(webhook) as u64,
                });
            }
            let key = (webhook.source.clone(), webhook.body_sha256.clone());
            match earlier.get(&key) {
                Some((webhook_id, received_at)) => Ok(Ingested::Duplicate {
                    webhook_id: webhook_id.clone(),
                    received_at: *received_at,
                }),
                None => Err(StoreError::Postgres {
                    operation: "find a redelivered webhook",
                    message: "its body was taken and then gone; try again".to_owned(),
                }),
            }
        })
        .collect())
}

/// How many deliveries `webhook` queues: one per event and plugin.
fn deliveries_of(webhook: &NewWebhook) -> usize {
    webhook.events.len() * webhook.plugins.len()
}

/// The columns of the rows a group stores, one array per column.
#[derive(Default)]
struct Rows<'a> {
    lock_keys: Vec<i64>,
    webhook_ids: Vec<&'a str>,
    webhook_sources: Vec<&'a str>,
    webhook_received: Vec<Timestamp>,
    bodies: Vec<&'a [u8]>,
    body_hashes: Vec<&'a str>,
    webhook_types: Vec<&'a str>,
    metadata: Vec<&'a str>,
    event_ids: Vec<&'a str>,
    event_webhooks: Vec<&'a str>,
    event_indexes: Vec<i32>,
    event_types: Vec<&'a str>,
    event_prospects: Vec<Option<&'a str>>,
    event_emails: Vec<Option<&'a str>>,
    event_occurred: Vec<Option<i64>>,
    event_received: Vec<Timestamp>,
    event_items: Vec<&'a str>,
    delivery_events: Vec<&'a str>,
    delivery_plugins: Vec<&'a str>,
    delivery_sources: Vec<&'a str>,
    delivery_prospects: Vec<Option<&'a str>>,
    delivery_due: Vec<Timestamp>,
}

impl<'a> Rows<'a> {
    /// The rows of `webhooks`, in their order.
    fn of(webhooks: impl Iterator<Item = &'a NewWebhook>) -> Self {
        let mut rows = Self::default();
        let mut prospects = Vec::new();
        for webhook in webhooks {
            rows.webhook_ids.push(&webhook.id);
            rows.webhook_sources.push(&webhook.source);
            rows.webhook_received.push(webhook.received_at);
            rows.bodies.push(&webhook.body);
            rows.body_hashes.push(&webhook.body_sha256);
            rows.webhook_types.push(&webhook.event_type);
            rows.metadata.push(&webhook.metadata);
            for event in &webhook.events {
                rows.event_ids.push(&event.id);
                rows.event_webhooks.push(&webhook.id);
                rows.event_indexes.push(event.index as i32);
                rows.event_types.push(&event.event_type);
                rows.event_prospects.push(event.prospect_id.as_deref());
                rows.event_emails.push(event.email.as_deref());
                rows.event_occurred.push(event.occurred_at);
                rows.event_received.push(webhook.received_at);
                rows.event_items.push(&event.item);
                if !webhook.plugins.is_empty() {
                    prospects.push((webhook.source.as_str(), event.prospect_id.as_deref()));
                }
                for plugin in &webhook.plugins {
                    rows.delivery_events.push(&event.id);
                    rows.delivery_plugins.push(plugin);
                    rows.delivery_sources.push(&webhook.source);
                    rows.delivery_prospects.push(event.prospect_id.as_deref());
                    rows.delivery_due.push(webhook.received_at);
                }
            }
        }
        rows.lock_keys = order::keys(prospects);
        rows
    }
}
