//! The bench's store, filled through the store's own API (`Store::ingest`, `claim`, `complete`):
//! N events over the last 100 minutes, each delivered to two plugins, part of the deliveries
//! attempted (done, retried, dead) in the last hour, the rest pending.

use std::sync::Arc;

use anyhow::{Context, Result};
use smartreach_store::{
    AttemptOutcome, AttemptRecord, ClaimRequest, Ingested, NewEvent, NewWebhook, Next, Store,
};
use tokio::task::JoinSet;

/// Items per webhook (the host's `ingest.max_items`).
const ITEMS_PER_WEBHOOK: u64 = 1000;

/// The plugins every event is delivered to.
pub const PLUGINS: [&str; 2] = ["crm-sync", "event-log"];

/// The 13 documented types, one per webhook in turn.
const TYPES: [&str; 13] = [
    "prospect.created",
    "prospect.updated",
    "prospect.created_or_updated",
    "activity.email.sent",
    "activity.email.opened",
    "activity.email.link_clicked",
    "activity.email.replied",
    "activity.email.bounced",
    "activity.email.invalid",
    "activity.email.auto_reply",
    "activity.email.out_of_office",
    "activity.prospect.opted_out",
    "activity.prospect.completed",
];

/// What was seeded.
pub struct Seeded {
    /// Events stored.
    pub events: u64,
    /// Deliveries queued.
    pub deliveries: u64,
    /// Attempts recorded.
    pub attempts: u64,
}

/// A time-ordered webhook id: 26 characters of Crockford's base32, as the host's are.
fn webhook_id(received_at: i64, sequence: u64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut value: u128 = ((received_at as u128) << 80) | u128::from(sequence);
    let mut id = [b'0'; 26];
    for slot in id.iter_mut().rev() {
        *slot = ALPHABET[(value & 31) as usize];
        value >>= 5;
    }
    String::from_utf8(id.to_vec()).expect("ASCII")
}

/// Fills `store` with `events` events received over the 100 minutes before `now`, then runs
/// about a third of the deliveries once (done; every 10th dead, every 20th retried later).
pub async fn fill(store: Arc<dyn Store>, events: u64, now: i64) -> Result<Seeded> {
    let webhooks = events.div_ceil(ITEMS_PER_WEBHOOK);
    let span = 100 * 60_000;
    let mut stored = 0;
    let mut deliveries = 0;
    for index in 0..webhooks {
        let received_at = now - span + (index as i64 * span) / webhooks as i64;
        let id = webhook_id(received_at, index);
        let event_type = TYPES[index as usize % TYPES.len()];
        let items = ITEMS_PER_WEBHOOK.min(events - stored);
        let new_events = (0..items)
            .map(|item| {
                let prospect = (index * ITEMS_PER_WEBHOOK + item) % 20_000;
                let email = format!("p{prospect}@example.com");
                NewEvent {
                    id: format!("{id}:{item}"),
                    index: item as u32,
                    event_type: event_type.to_owned(),
                    prospect_id: Some(prospect.to_string()),
                    email: Some(email.clone()),
                    occurred_at: Some(received_at - 1_000),
                    item: serde_json::json!({
                        "prospect": {
                            "prospect_id": prospect, "email": email, "first_name": "Ana",
                            "last_name": "Lopez", "company": "Acme", "city": "Lisbon",
                            "country": "PT", "custom_fields": { "tier": "gold" }
                        },
                        "activity": { "email_subject": "Re: our call", "campaign_name": "Q4" }
                    })
                    .to_string(),
                }
            })
            .collect();
        let webhook = NewWebhook {
            id: id.clone(),
            source: "smartreach".to_owned(),
            received_at,
            body: format!("bench webhook {index}").into_bytes(),
            body_sha256: format!("bench-{index}"),
            event_type: event_type.to_owned(),
            metadata: serde_json::json!({ "event_type": event_type, "webhook_id": id }).to_string(),
            events: new_events,
            plugins: PLUGINS.iter().map(|name| (*name).to_owned()).collect(),
        };
        match store
            .ingest(webhook, i64::MAX)
            .await
            .context("seeding a webhook")?
        {
            Ingested::Stored { .. } => {}
            other => anyhow::bail!("a seeded webhook was not stored: {other:?}"),
        }
        stored += items;
        deliveries += items * PLUGINS.len() as u64;
    }
    let attempts = attempt(store, deliveries / 3, now).await?;
    Ok(Seeded {
        events: stored,
        deliveries,
        attempts,
    })
}

/// Claims and completes up to `count` deliveries, with attempts spread over the last hour.
async fn attempt(store: Arc<dyn Store>, count: u64, now: i64) -> Result<u64> {
    let mut done = 0;
    while done < count {
        let claimed = store
            .claim(
                "bench-seed",
                now,
                now + 3_600_000,
                PLUGINS
                    .iter()
                    .map(|plugin| ClaimRequest {
                        plugin: (*plugin).to_owned(),
                        limit: 500,
                        rate: None,
                    })
                    .collect(),
            )
            .await
            .context("claiming seeded deliveries")?;
        if claimed.is_empty() {
            break;
        }
        let mut completions = JoinSet::new();
        for (offset, delivery) in claimed.into_iter().enumerate() {
            let number = done + offset as u64;
            let (outcome, next) = match number % 20 {
                0 | 10 => (
                    AttemptOutcome::Failed,
                    Next::Dead {
                        error: "failed: the CRM refused the contact".to_owned(),
                    },
                ),
                5 => (
                    AttemptOutcome::Retry,
                    Next::Retry {
                        at: now + 3_600_000,
                        error: "retry: 503 from the CRM".to_owned(),
                    },
                ),
                _ => (AttemptOutcome::Done, Next::Done),
            };
            let record = AttemptRecord {
                delivery_id: delivery.delivery_id,
                plugin_hash: "bench".to_owned(),
                started_at: now - 3_600_000 + (number as i64 * 3_600_000) / count.max(1) as i64,
                duration_us: 800 + (number as i64 % 7) * 300,
                outcome,
                detail: None,
                logs: r#"[{"level":"info","source":"host","message":"seeded"}]"#.to_owned(),
                requests:
                    r#"[{"method":"POST","origin":"https://crm.example:443","decision":"sent"}]"#
                        .to_owned(),
                next,
            };
            let store = Arc::clone(&store);
            completions.spawn(async move { store.complete("bench-seed", record, now).await });
        }
        while let Some(result) = completions.join_next().await {
            result
                .context("a seeding task")?
                .context("completing a seeded delivery")?;
            done += 1;
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::webhook_id;

    #[test]
    fn webhook_ids_look_like_the_host_s_and_sort_by_time() {
        let early = webhook_id(1_700_000_000_000, 1);
        let later = webhook_id(1_700_000_000_001, 0);
        assert_eq!(early.len(), 26);
        assert!(early < later);
    }
}
