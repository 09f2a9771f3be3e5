//! The PostgreSQL store, for several hosts on one database.
//!
//! - `url.rs` reads `store.url`; `connect.rs` makes the pool and tells an unreachable server, a
//!   refusal and a user without rights apart; `migrate.rs` runs the versioned migrations, one
//!   host at a time under an advisory lock.
//! - The operations are the SQLite store's, written for many writers: a redelivery is refused by
//!   a unique key (`ingest.rs`; concurrent ingests of a host commit in groups, `ingest/`), claims lock the rows they take and skip the ones others are
//!   taking (`claim.rs`), and every transaction that queues deliveries first takes an advisory
//!   lock per (source, prospect) it touches (`order.rs`), so that deliveries of one prospect get
//!   their ids in the order their transactions commit.
//! - `notify.rs` wakes idle hosts when another host queued work.

mod activity;
mod claim;
mod complete;
mod connect;
mod control;
mod counts;
pub(crate) mod import;
mod ingest;
mod lease;
mod migrate;
mod notify;
mod order;
mod read;
mod replay;
mod retention;
mod url;

use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Object, Pool};
use tokio::sync::Notify;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::control::PluginControl;
use crate::model::{AttemptRecord, ClaimRequest, Claimed, Ingested, NewWebhook};
use crate::view::{
    DeliveryFilter, DeliverySummary, EventDetail, EventFilter, EventSummary, MinuteActivity, Page,
    PluginActivity, Pruned, QueueStats, Queued, ReplayRefused,
};
use crate::{Store, StoreError, Timestamp};

/// A connection pool to the store's database, migrated to the newest schema.
pub struct PostgresStore {
    pool: Pool,
    /// `host:port/database`, for messages (no user, no password).
    target: String,
    /// How to connect, for the listening connection of [`PostgresStore::wake_on_work`].
    config: tokio_postgres::Config,
    /// Tells other hosts that work was queued.
    announce: Arc<notify::Announcer>,
    /// Stores concurrent ingests in groups, one commit each.
    ingests: ingest::Batcher,
    /// The listening task, stopped with the store.
    listener: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        let listener = self
            .listener
            .get_mut()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some(task) = listener.take() {
            task.abort();
        }
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`) and
    /// brings its schema to the newest version.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let target = url::Target::parse(url)?;
        let pool = connect::pool(&target)?;
        let mut client = connect::first(&pool, &target).await?;
        migrate::run(&mut client, &target).await?;
        let announce = Arc::new(notify::Announcer::default());
        Ok(Self {
            ingests: ingest::Batcher::start(pool.clone(), announce.clone()),
            pool,
            target: target.describe(),
            config: target.config,
            announce,
            listener: std::sync::Mutex::new(None),
        })
    }

    /// The schema version of the database: the newest migration applied.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(failed("reading the schema version"))?;
        Ok(row.get(0))
    }

    /// `host:port/database` of the store.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Wakes `wake` (once per burst) whenever a host sharing the database queues deliveries
    /// (ingest, replay, backfill, a requeue or a release), so that an idle host starts on them
    /// without polling fast. Listens on a connection of its own, reconnecting when it drops; the
    /// dispatcher's own poll interval covers the time it is down. Replaces an earlier listener.
    pub fn wake_on_work(&self, wake: Arc<Notify>) {
        let task = tokio::spawn(notify::listen(self.config.clone(), wake));
        let mut listener = self
            .listener
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some(old) = listener.replace(task) {
            old.abort();
        }
    }

    async fn client(&self) -> Result<Object, StoreError> {
        connect::get(&self.pool).await
    }
}

/// Runs `sql` (prepared once per connection) with `params`; its rows.
async fn query(
    client: &impl GenericClient,
    operation: &'static str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, StoreError> {
    let statement = client
        .prepare_cached(sql)
        .await
        .map_err(failed(operation))?;
    client
        .query(&statement, params)
        .await
        .map_err(failed(operation))
}

/// [`query`] for at most one row.
async fn query_opt(
    client: &impl GenericClient,
    operation: &'static str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, StoreError> {
    let statement = client
        .prepare_cached(sql)
        .await
        .map_err(failed(operation))?;
    client
        .query_opt(&statement, params)
        .await
        .map_err(failed(operation))
}

/// [`query`] for a statement without rows; how many rows it changed.
async fn execute(
    client: &impl GenericClient,
    operation: &'static str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, StoreError> {
    let statement = client
        .prepare_cached(sql)
        .await
        .map_err(failed(operation))?;
    client
        .execute(&statement, params)
        .await
        .map_err(failed(operation))
}

/// Maps a failed statement of `operation` to a [`StoreError`].
fn failed(operation: &'static str) -> impl Fn(tokio_postgres::Error) -> StoreError {
    move |err| StoreError::Postgres {
        operation,
        message: cause_chain(&err),
    }
}

/// `err` and its causes, `: `-joined: tokio-postgres's own text is only the kind ("error
/// connecting to server", "invalid connection string"); the cause says what ("Connection
/// refused", "invalid value for option `port`").
fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[async_trait]
impl Store for PostgresStore {
    async fn ingest(
        &self,
        webhook: NewWebhook,
        dedup_since: Timestamp,
    ) -> Result<Ingested, StoreError> {
        self.ingests.ingest(webhook, dedup_since).await
    }

    async fn claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        requests: Vec<ClaimRequest>,
    ) -> Result<Vec<Claimed>, StoreError> {
        if requests.iter().all(|request| request.limit == 0) {
            return Ok(Vec::new());
        }
        let mut client = self.client().await?;
        claim::claim(&mut client, owner, now, lease_until, &requests).await
    }

    async fn complete(
        &self,
        owner: &str,
        attempt: AttemptRecord,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        complete::complete(&client, owner, &attempt, now).await
    }

    async fn requeue(
        &self,
        owner: &str,
        delivery_ids: Vec<i64>,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        if delivery_ids.is_empty() {
            return Ok(0);
        }
        let client = self.client().await?;
        let requeued = complete::requeue(&client, owner, &delivery_ids, at, now).await?;
        if requeued > 0 {
            self.announce.queued(&client).await;
        }
        Ok(requeued)
    }

    async fn renew(
        &self,
        owner: &str,
        delivery_ids: Vec<i64>,
        until: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        if delivery_ids.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        lease::renew(&client, owner, &delivery_ids, until).await
    }

    async fn release(&self, owner: &str, now: Timestamp) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let released = complete::release(&client, owner, now).await?;
        if released > 0 {
            self.announce.queued(&client).await;
        }
        Ok(released)
    }

    async fn list_events(
        &self,
        filter: EventFilter,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<Page<EventSummary>, StoreError> {
        let client = self.client().await?;
        read::list_events(&client, &filter, limit, cursor.as_deref()).await
    }

    async fn event(&self, id: String) -> Result<Option<EventDetail>, StoreError> {
        let client = self.client().await?;
        read::event(&client, &id).await
    }

    async fn list_deliveries(
        &self,
        filter: DeliveryFilter,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<Page<DeliverySummary>, StoreError> {
        // A cursor that is not a delivery id matches nothing rather than everything.
        let cursor = cursor.map(|cursor| cursor.parse::<i64>().unwrap_or(i64::MIN));
        let client = self.client().await?;
        read::list_deliveries(&client, &filter, limit, cursor).await
    }

    async fn plugin_activity(&self) -> Result<Vec<PluginActivity>, StoreError> {
        let client = self.client().await?;
        read::plugin_activity(&client).await
    }

    async fn queue_stats(&self, now: Timestamp) -> Result<QueueStats, StoreError> {
        let client = self.client().await?;
        read::queue_stats(&client, now).await
    }

    async fn activity_by_minute(
        &self,
        since: Timestamp,
    ) -> Result<Vec<MinuteActivity>, StoreError> {
        let client = self.client().await?;
        activity::by_minute(&client, since).await
    }

    async fn replay(
        &self,
        delivery_id: i64,
        now: Timestamp,
    ) -> Result<Result<i64, ReplayRefused>, StoreError> {
        let mut client = self.client().await?;
        let replayed = replay::replay(&mut client, delivery_id, now).await?;
        if replayed.is_ok() {
            self.announce.queued(&client).await;
        }
        Ok(replayed)
    }

    async fn replay_dead(&self, plugin: String, now: Timestamp) -> Result<Queued, StoreError> {
        let mut client = self.client().await?;
        let mut queued = Queued::default();
        loop {
            let chunk = replay::replay_dead(&mut client, &plugin, now, replay::CHUNK).await?;
            let done = (chunk.len() as u64) < replay::CHUNK;
            if !chunk.is_empty() {
                self.announce.queued(&client).await;
            }
            queued.add(chunk);
            if done {
                return Ok(queued);
            }
        }
    }

    async fn backfill(
        &self,
        plugin: String,
        event_types: Option<Vec<String>>,
        since: Timestamp,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Queued, StoreError> {
        let mut client = self.client().await?;
        let mut queued = Queued::default();
        loop {
            let chunk = replay::backfill(
                &mut client,
                &plugin,
                event_types.as_deref(),
                since,
                until,
                now,
                replay::CHUNK,
            )
            .await?;
            let done = (chunk.len() as u64) < replay::CHUNK;
            if !chunk.is_empty() {
                self.announce.queued(&client).await;
            }
            queued.add(chunk);
            if done {
                return Ok(queued);
            }
        }
    }

    async fn prune(&self, before: Timestamp) -> Result<Pruned, StoreError> {
        let mut client = self.client().await?;
        retention::prune_batch(&mut client, before).await
    }

    async fn set_paused(
        &self,
        plugin: String,
        paused: bool,
        now: Timestamp,
    ) -> Result<PluginControl, StoreError> {
        let client = self.client().await?;
        let control = control::set_paused(&client, &plugin, paused, now).await?;
        if !paused {
            // Its deliveries are claimable again: wake the idle hosts.
            self.announce.queued(&client).await;
        }
        Ok(control)
    }

    async fn hold(
        &self,
        plugin: String,
        until: Timestamp,
        because: String,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        control::hold(&client, &plugin, until, &because, now).await
    }

    async fn plugin_controls(&self, now: Timestamp) -> Result<Vec<PluginControl>, StoreError> {
        let client = self.client().await?;
        control::plugin_controls(&client, now).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            // Assigning a transaction id needs a server that can write (not a standby).
            .execute("SELECT pg_current_xact_id()", &[])
            .await
            .map_err(failed("ping"))?;
        Ok(())
    }
}
