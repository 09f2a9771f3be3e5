//! Fills every table of the host before the run, through its own routes, and waits on the admin
//! API until each state is there: the 13 documented events (one sent twice: a redelivery),
//! deliveries done, skipped, waiting for a retry and dead, a replayed dead letter and its replay,
//! and a backfill of a plugin added after the events.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::folder::{ADMIN_TOKEN, Folder, INGEST_TOKEN, LATE_PLUGIN, STARTING_PLUGINS};
use super::http::{self, Answer};

/// How long each state may take to appear: a debug host compiles and runs the plugins.
const STATE_TIMEOUT: Duration = Duration::from_secs(120);

/// How often the admin API is asked while waiting.
const POLL: Duration = Duration::from_millis(200);

/// The number of documented event types, one fixture each.
const DOCUMENTED_EVENTS: usize = 13;

/// The types crm-sync syncs (its requests to the sink fail, so they wait for a retry); it skips
/// the others.
const PROSPECT_TYPES: [&str; 3] = [
    "prospect.created",
    "prospect.updated",
    "prospect.created_or_updated",
];

/// The types suppression handles (its requests are denied, so they are dead letters).
const SUPPRESSED_TYPES: [&str; 3] = [
    "activity.email.bounced",
    "activity.email.invalid",
    "activity.prospect.opted_out",
];

/// One documented event's fixture.
struct Fixture {
    /// Its file name.
    name: String,
    /// Its bytes, sent as they are.
    body: Vec<u8>,
    /// `metadata.event_type`.
    event_type: String,
    /// Its data items: one event each.
    items: u64,
}

/// The host being filled.
pub struct Seeder<'a> {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its folder, to add a plugin to.
    pub folder: &'a Folder,
    /// The built plugins.
    pub plugin_build: &'a Path,
    /// Where crm-sync's requests go.
    pub sink: SocketAddr,
}

impl Seeder<'_> {
    /// Runs every step, printing what it reached.
    pub fn fill(&self, fixtures: &Path) -> Result<()> {
        self.wait_for_plugins(&STARTING_PLUGINS)?;
        let bodies = read_fixtures(fixtures)?;
        for fixture in &bodies {
            self.ingest(&fixture.body)
                .expect(202, &format!("sending {}", fixture.name))?;
        }
        let first = &bodies[0];
        let redelivered = self
            .ingest(&first.body)
            .expect(200, &format!("sending {} again", first.name))?;
        if redelivered["duplicate"] != true {
            bail!(
                "sending {} again: not acknowledged as a redelivery: {redelivered}",
                first.name
            );
        }
        println!(
            "conformance: {} webhooks stored, one redelivered",
            bodies.len()
        );

        let events: u64 = bodies.iter().map(|fixture| fixture.items).sum();
        let of_types = |types: &[&str]| -> u64 {
            bodies
                .iter()
                .filter(|fixture| types.contains(&fixture.event_type.as_str()))
                .map(|fixture| fixture.items)
                .sum()
        };
        let prospect_events = of_types(&PROSPECT_TYPES);
        let suppressed_events = of_types(&SUPPRESSED_TYPES);
        self.wait_for_counts("event-log", |c| c["done"] == events)?;
        self.wait_for_counts("suppression", |c| c["dead"] == suppressed_events)?;
        self.wait_for_counts("crm-sync", |c| c["skipped"] == events - prospect_events)?;
        self.wait_for("crm-sync's deliveries to wait for a retry", || {
            let page = self.get("/api/v1/deliveries?plugin=crm-sync&status=pending")?;
            let retrying = items(&page)
                .iter()
                .filter(|delivery| delivery["attempts"].as_u64().unwrap_or(0) >= 1)
                .count();
            Ok((retrying as u64 == prospect_events).then_some(()))
        })?;
        println!("conformance: deliveries done, skipped, waiting for a retry and dead");

        let dead = self.get("/api/v1/deliveries?plugin=suppression&status=dead&limit=1")?;
        let dead_id = items(&dead)
            .first()
            .and_then(|delivery| delivery["id"].as_i64())
            .context("no dead letter of suppression to replay")?;
        let queued = self
            .post(&format!("/api/v1/deliveries/{dead_id}/replay"), None)?
            .expect(202, &format!("replaying delivery {dead_id}"))?;
        let replay_id = queued["deliveries"][0]
            .as_i64()
            .context("the replay's id")?;
        self.wait_for("the replay to be a dead letter in turn", || {
            let page = self.get("/api/v1/deliveries?plugin=suppression&limit=500")?;
            let replay = items(&page)
                .iter()
                .find(|delivery| delivery["id"] == replay_id)
                .cloned();
            Ok(replay.filter(|delivery| delivery["status"] == "dead"))
        })?;
        println!("conformance: delivery {dead_id} replayed as {replay_id}");

        self.folder
            .install_plugin(self.plugin_build, LATE_PLUGIN, self.sink)?;
        self.wait_for_plugins(&[LATE_PLUGIN])?;
        let backfill = self
            .post(
                &format!("/api/v1/plugins/{LATE_PLUGIN}/backfill"),
                Some(json!({ "since": 0 })),
            )?
            .expect(202, &format!("backfilling {LATE_PLUGIN}"))?;
        if backfill["count"] != 1 {
            bail!("backfilling {LATE_PLUGIN}: expected one delivery (the reply), got {backfill}");
        }
        self.wait_for_counts(LATE_PLUGIN, |c| c["dead"] == 1)?;
        println!("conformance: {LATE_PLUGIN} added and backfilled");
        Ok(())
    }

    fn ingest(&self, body: &[u8]) -> Answer {
        http::send(
            self.addr,
            "POST",
            &format!("/hooks/smartreach/{INGEST_TOKEN}"),
            &[("Content-Type", "application/json")],
            body,
        )
        .unwrap_or_else(|err| Answer {
            status: 0,
            headers: Vec::new(),
            body: format!("{err:#}"),
        })
    }

    /// `GET path` with the admin token, expecting 200 and JSON.
    fn get(&self, path: &str) -> Result<Value> {
        let authorization = format!("Bearer {ADMIN_TOKEN}");
        http::send(
            self.addr,
            "GET",
            path,
            &[("Authorization", &authorization)],
            b"",
        )?
        .expect(200, &format!("GET {path}"))
    }

    /// `POST path` with the admin token and an optional JSON body.
    fn post(&self, path: &str, body: Option<Value>) -> Result<Answer> {
        let authorization = format!("Bearer {ADMIN_TOKEN}");
        let body = body.map(|body| body.to_string()).unwrap_or_default();
        let mut headers = vec![("Authorization", authorization.as_str())];
        if !body.is_empty() {
            headers.push(("Content-Type", "application/json"));
        }
        http::send(self.addr, "POST", path, &headers, body.as_bytes())
    }

    /// Waits until every plugin of `names` is loaded without a load error.
    fn wait_for_plugins(&self, names: &[&str]) -> Result<()> {
        self.wait_for(&format!("plugins {names:?} to load"), || {
            let list = self.get("/api/v1/plugins")?;
            for plugin in items(&list) {
                if let Some(error) = plugin["load_error"].as_object() {
                    bail!("plugin {} failed to load: {error:?}", plugin["name"]);
                }
            }
            let loaded = names.iter().all(|name| {
                items(&list)
                    .iter()
                    .any(|plugin| plugin["name"] == *name && plugin["loaded"] == true)
            });
            Ok(loaded.then_some(()))
        })
    }

    /// Waits until the delivery counts of `plugin` (from `GET /api/v1/plugins`) satisfy `done`.
    fn wait_for_counts(&self, plugin: &str, done: impl Fn(&Value) -> bool) -> Result<()> {
        self.wait_for(&format!("the deliveries of {plugin}"), || {
            let list = self.get("/api/v1/plugins")?;
            let counts = items(&list)
                .iter()
                .find(|info| info["name"] == plugin)
                .map(|info| info["delivery_counts"].clone())
                .unwrap_or(Value::Null);
            Ok(done(&counts).then_some(()))
        })
    }

    /// Asks `probe` every [`POLL`] until it returns a value, for at most [`STATE_TIMEOUT`].
    fn wait_for<T>(&self, what: &str, mut probe: impl FnMut() -> Result<Option<T>>) -> Result<T> {
        let started = Instant::now();
        loop {
            if let Some(value) = probe().with_context(|| format!("waiting for {what}"))? {
                return Ok(value);
            }
            if started.elapsed() > STATE_TIMEOUT {
                let plugins = self.get("/api/v1/plugins").unwrap_or(Value::Null);
                bail!(
                    "waited {STATE_TIMEOUT:?} for {what}; the plugins now: {plugins}; see the \
                     host's log in {}",
                    self.folder.path().display()
                );
            }
            std::thread::sleep(POLL);
        }
    }
}

/// The `items` of a list answer.
fn items(page: &Value) -> &[Value] {
    page["items"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The documented events' fixtures (`tests/fixtures/events/*.json`), by file name.
fn read_fixtures(folder: &Path) -> Result<Vec<Fixture>> {
    let mut fixtures = Vec::new();
    let entries =
        std::fs::read_dir(folder).with_context(|| format!("reading {}", folder.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        let body = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let json: Value = serde_json::from_slice(&body)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        fixtures.push(Fixture {
            name: path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            event_type: json["metadata"]["event_type"]
                .as_str()
                .with_context(|| format!("{} has no metadata.event_type", path.display()))?
                .to_owned(),
            items: json["data"].as_array().map_or(0, Vec::len) as u64,
            body,
        });
    }
    fixtures.sort_by(|a, b| a.name.cmp(&b.name));
    if fixtures.len() != DOCUMENTED_EVENTS {
        bail!(
            "{} holds {} fixtures; the run expects one per documented event type ({DOCUMENTED_EVENTS})",
            folder.display(),
            fixtures.len()
        );
    }
    Ok(fixtures)
}
