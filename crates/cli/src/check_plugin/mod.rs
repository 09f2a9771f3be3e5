//! `smartreach-hooks check-plugin FILE.wasm [--event FIXTURE.json | --event-id ID]`: loads a
//! plugin the way the host does (same runtime, same defaults, its manifest beside it), shows what
//! it declares and what it may do, and optionally runs it once on each data item of a webhook
//! body, or on an event stored by a running host (`stored.rs`, with what the host did with it),
//! with outbound HTTP recorded and not sent ([`OutboundMode::RecordOnly`]).
//!
//! The requests of those runs are shown by origin and the first segment of their path, the rest
//! masked (`https://hooks.slack.com/services/***`): paths and queries may hold secrets of the
//! author's configuration, and the host records only origins. `--show-paths` shows them whole,
//! for the author asking "which URL would it call" on their own machine.

pub mod mask;
mod report;
mod stored;

use std::path::{Path, PathBuf};

use smartreach_models::EventType;
use smartreach_plugin_runtime::{
    CONTRACT_VERSION, LoadError, OutboundMode, Plugin, PluginEvent, Runtime, RuntimeConfig,
    RuntimeError, Subscriptions,
};

pub use report::{Report, Run};
pub use stored::History;

use crate::cli::CheckPluginArgs;

/// Why a plugin could not be checked. A plugin that loads but whose run fails is not an error:
/// it is a [`Report`] that is not [`Report::ok`].
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The wasm engine could not start.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The plugin does not load; the message names the file and the problem.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The `--event` file cannot be read.
    #[error("cannot read the event file {} (--event): {source}", path.display())]
    EventFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The `--event` file is not a SmartReach webhook body.
    #[error(
        "{} (--event) is not a SmartReach webhook body: {source}; give a whole body such as \
         tests/fixtures/events/activity.email.replied.json",
        path.display()
    )]
    EventParse {
        /// The file.
        path: PathBuf,
        /// Where and what.
        source: smartreach_models::ParseError,
    },
    /// The `--event-id` event could not be fetched.
    #[error("cannot fetch event {id} from {url} (--event-id): {source}")]
    EventFetch {
        /// The event id.
        id: String,
        /// The host.
        url: String,
        /// Why.
        source: crate::client::ClientError,
    },
}

/// The runtime of a check: the host's defaults, with outbound HTTP recorded instead of sent.
pub fn runtime_config() -> RuntimeConfig {
    RuntimeConfig {
        outbound: OutboundMode::RecordOnly,
        // One plugin, one invocation at a time: a handful of instance slots is plenty.
        max_instances: 4,
        ..RuntimeConfig::default()
    }
}

/// Loads the plugin, and runs it on every item of `--event`, or on the `--event-id` event, when
/// given.
pub async fn check(args: &CheckPluginArgs) -> Result<Report, CheckError> {
    // Read the event first: a typo in its path should not cost a compile.
    let mut stored = None;
    let events = match (&args.event, &args.event_id) {
        (Some(path), _) => Some(read_events(path)?),
        (None, Some(id)) => {
            let event =
                stored::fetch(&args.host, id)
                    .await
                    .map_err(|source| CheckError::EventFetch {
                        id: id.clone(),
                        url: args.host.url.clone(),
                        source,
                    })?;
            let events = vec![event.plugin_event()];
            stored = Some(event);
            Some(events)
        }
        (None, None) => None,
    };
    let runtime = Runtime::new(runtime_config())?;
    let (plugin, _) = runtime.load_file(&args.file).await?;
    let mut report = Report::of(&plugin, manifest_of(&args.file), CONTRACT_VERSION);
    report.warnings = warnings(&plugin);
    report.history = stored.map(|stored| stored.history(plugin.name()));
    if let Some(events) = events {
        let mut runs = Vec::with_capacity(events.len());
        for event in &events {
            let mut run = Run::of(event, plugin.invoke(event).await);
            if !args.show_paths {
                for request in &mut run.requests {
                    request.path = request.path.as_deref().map(mask::mask_path);
                }
            }
            runs.push(run);
        }
        report.runs = Some(runs);
    }
    Ok(report)
}

fn read_events(path: &Path) -> Result<Vec<PluginEvent>, CheckError> {
    let body = std::fs::read(path).map_err(|source| CheckError::EventFile {
        path: path.to_owned(),
        source,
    })?;
    let payload = smartreach_models::parse(&body).map_err(|source| CheckError::EventParse {
        path: path.to_owned(),
        source,
    })?;
    Ok(PluginEvent::from_payload("check", &payload))
}

/// The manifest the runtime read, when there is one.
fn manifest_of(wasm: &Path) -> Option<PathBuf> {
    let manifest = wasm.with_extension("toml");
    manifest.exists().then_some(manifest)
}

/// Mistakes that do not stop the plugin from loading but that its author wants to hear about
/// (the host logs the same as warnings).
fn warnings(plugin: &Plugin) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Subscriptions::Only(names) = plugin.subscriptions() {
        if names.is_empty() {
            warnings.push(
                "it subscribes to no event type, so it will never run: declare event types, or \
                 set `events` in the manifest"
                    .to_owned(),
            );
        }
        for name in names {
            if let Ok(EventType::Other(other)) = name.parse::<EventType>() {
                warnings.push(format!(
                    "it subscribes to `{other}`, which SmartReach does not document; check the \
                     spelling (`smartreach-hooks trigger --list` lists the documented types)"
                ));
            }
        }
    }
    let declared = &plugin.declaration().config;
    for key in plugin.config_keys() {
        if !declared.iter().any(|declared| declared.name == key) {
            warnings.push(format!(
                "the manifest sets config key `{key}`, which the plugin does not declare"
            ));
        }
    }
    warnings
}
