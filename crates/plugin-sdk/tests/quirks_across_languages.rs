//! The seed's quirks are handled the same way in every SDK: each data item of every fixture of
//! `tests/fixtures/quirks/` (legacy event names, `prospect_email`, nulls, unknown fields and event
//! types, an activity shaped like a prospect) and `tests/fixtures/events/` is decoded from the raw
//! fixture (before the host's own normalisation) by this crate's `Event::from_json` and by each
//! other SDK's decoder, run natively, and the events must be the same: event type, metadata,
//! item, attempt and `occurred_at`. Null and absent fields count as the same (Rust's models do
//! not write `None`).
//!
//! The other SDKs' decoders read one JSON line per event, `{"id", "eventType", "metadata",
//! "item", "attempt"}` (metadata and item as JSON text, as the host sends them), and print one
//! line per event: `{"ok": {"id", "eventType", "metadata", "item", "attempt", "occurredAt"}}` or
//! `{"error": message}`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use smartreach_plugin_sdk::Event;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One event as the host hands it over: `(id, event type, metadata JSON, item JSON)`.
type HostEvent = (String, String, String, String);

/// Every data item of every fixture in `tests/fixtures/{quirks,events}`, raw.
fn host_events() -> Vec<HostEvent> {
    let mut events = Vec::new();
    for folder in ["quirks", "events"] {
        let dir = repo_root().join("tests/fixtures").join(folder);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        for file in files {
            let body: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let event_type = body["metadata"]["event_type"].as_str().unwrap().to_owned();
            for (index, item) in body["data"].as_array().unwrap().iter().enumerate() {
                events.push((
                    format!("{folder}/{name}:{index}"),
                    event_type.clone(),
                    body["metadata"].to_string(),
                    item.to_string(),
                ));
            }
        }
    }
    assert!(
        events.len() >= 20,
        "the fixtures hold {} items",
        events.len()
    );
    events
}

/// `value` without its null fields, at every depth.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .filter(|(_, field)| !field.is_null())
                .map(|(key, field)| (key, without_nulls(field)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// What the Rust SDK decodes, in the shape the other SDKs' decoders print.
fn rust_decoded((id, event_type, metadata, item): &HostEvent) -> Value {
    match Event::from_json(id.clone(), event_type, metadata, item, 3) {
        Ok(event) => json!({"ok": without_nulls(json!({
            "id": event.id,
            "eventType": event.event_type.as_str(),
            "metadata": serde_json::to_value(&event.metadata).unwrap(),
            "item": serde_json::to_value(&event.item).unwrap(),
            "attempt": event.attempt,
            "occurredAt": event.occurred_at(),
        }))}),
        Err(err) => json!({"error": err.to_string()}),
    }
}

/// What another SDK's decoder (`program ARGS`) prints for `events`, one answer per event.
fn decoded_by(program: &Path, args: &[PathBuf], events: &[HostEvent]) -> Vec<Value> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {} {args:?}: {err}", program.display()));
    let mut input = String::new();
    for (id, event_type, metadata, item) in events {
        let line = json!({
            "id": id, "eventType": event_type, "metadata": metadata, "item": item, "attempt": 3
        });
        input.push_str(&format!("{line}\n"));
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{} {args:?} failed ({})",
        program.display(),
        output.status
    );
    let answers: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let answer: Value = serde_json::from_str(line).unwrap();
            match answer.get("ok") {
                Some(event) => json!({"ok": without_nulls(event.clone())}),
                None => answer,
            }
        })
        .collect();
    assert_eq!(answers.len(), events.len(), "one answer per event");
    answers
}

/// What the TypeScript SDK's `decodeEvent` makes of `events`.
fn typescript_decoded(events: &[HostEvent]) -> Vec<Value> {
    let plugins = repo_root().join("plugins");
    smartreach_plugin_build::js::ensure_installed(&plugins, smartreach_plugin_build::Output::Quiet)
        .unwrap_or_else(|err| panic!("{err}"));
    let script = plugins.join("sdk/js/scripts/decode-events.mjs");
    decoded_by(Path::new("node"), &[script], events)
}

/// What the Python SDK's `decode_event` makes of `events` (system `python3`, 3.11 or newer: the
/// decoder needs only the standard library).
fn python_decoded(events: &[HostEvent]) -> Vec<Value> {
    let script = repo_root().join("plugins/sdk/python/scripts/decode_events.py");
    decoded_by(Path::new("python3"), &[script], events)
}

/// Asserts that `decoded` (by the SDK of `language`) matches the Rust SDK event by event.
fn assert_same_as_rust(language: &str, events: &[HostEvent], decoded: &[Value]) {
    for (event, other) in events.iter().zip(decoded) {
        let rust = rust_decoded(event);
        assert!(rust.get("ok").is_some(), "{}: {rust}", event.0);
        assert_eq!(
            &rust, other,
            "{}: the {language} SDK (right) decodes it otherwise than the Rust SDK (left)",
            event.0
        );
    }
}

#[test]
fn typescript_decodes_every_fixture_as_rust_does() {
    let events = host_events();
    assert_same_as_rust("TypeScript", &events, &typescript_decoded(&events));
}

#[test]
fn python_decodes_every_fixture_as_rust_does() {
    let events = host_events();
    assert_same_as_rust("Python", &events, &python_decoded(&events));
}

#[test]
fn the_fixtures_hold_the_quirks_the_comparison_is_about() {
    // The comparison proves something only if the quirks are there to be handled.
    let events = host_events();
    let legacy = events
        .iter()
        .position(|(_, ty, ..)| ty == "email_opened")
        .expect("a fixture with a legacy event name");
    let prospect_email_only = events
        .iter()
        .position(|(.., item)| item.contains("prospect_email") && !item.contains("\"email\""))
        .expect("a fixture with prospect_email and no email");
    let rust = rust_decoded(&events[legacy]);
    assert_eq!(rust["ok"]["eventType"], "activity.email.opened");
    assert_eq!(
        rust["ok"]["metadata"]["event_type"],
        "activity.email.opened"
    );
    let rust = rust_decoded(&events[prospect_email_only]);
    let prospect = &rust["ok"]["item"]["prospect"];
    assert_eq!(prospect["email"], prospect["prospect_email"]);
    assert!(prospect["email"].is_string());
}
