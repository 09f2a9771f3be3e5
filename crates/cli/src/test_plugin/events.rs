//! The events of a test run: the documented sample of every event type the plugin subscribes
//! to (built into the binary, as `trigger` sends them), then the author's own webhook bodies of
//! `--events DIR`, in file-name order. Event ids are fixed (`test-{name}:{index}`), so a run
//! gives the same events every time.

use std::path::Path;

use smartreach_plugin_runtime::{Plugin, PluginEvent};

use super::error::TestPluginError;
use crate::trigger::samples::SAMPLES;

/// One snapshot's worth of events: every data item of one webhook body.
#[derive(Debug, Clone)]
pub struct Case {
    /// The snapshot's name after `{plugin}@`: the event type of a documented sample,
    /// `events-{file stem}` for a file of `--events`.
    pub name: String,
    /// The events, one per data item.
    pub events: Vec<PluginEvent>,
}

/// The documented samples `plugin` subscribes to, in the documentation's order.
pub fn documented(plugin: &Plugin) -> Vec<Case> {
    SAMPLES
        .iter()
        .filter(|sample| plugin.handles(sample.event_type.as_str()))
        .map(|sample| {
            let payload = smartreach_models::parse(sample.body.as_bytes())
                .expect("the built-in samples parse (tested in trigger::samples)");
            let name = sample.event_type.as_str().to_owned();
            Case {
                events: PluginEvent::from_payload(&format!("test-{name}"), &payload),
                name,
            }
        })
        .collect()
}

/// The webhook bodies of `dir` (`*.json`, by name), and the names of those whose event type
/// `plugin` does not subscribe to (the host would not deliver them, so they get no snapshot).
pub fn from_dir(plugin: &Plugin, dir: &Path) -> Result<(Vec<Case>, Vec<String>), TestPluginError> {
    let read_dir = |source| TestPluginError::EventsDir {
        dir: dir.to_owned(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_dir)? {
        let path = entry.map_err(read_dir)?.path();
        if path.extension().is_some_and(|ext| ext == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut cases = Vec::new();
    let mut unsubscribed = Vec::new();
    for path in files {
        let body = std::fs::read(&path).map_err(|source| TestPluginError::Read {
            path: path.clone(),
            source,
        })?;
        let payload =
            smartreach_models::parse(&body).map_err(|source| TestPluginError::EventParse {
                path: path.clone(),
                source,
            })?;
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = format!("events-{stem}");
        if !plugin.handles(payload.metadata.event_type.as_str()) {
            unsubscribed.push(format!(
                "{} ({})",
                path.display(),
                payload.metadata.event_type.as_str()
            ));
            continue;
        }
        cases.push(Case {
            events: PluginEvent::from_payload(&format!("test-{name}"), &payload),
            name,
        });
    }
    Ok((cases, unsubscribed))
}
