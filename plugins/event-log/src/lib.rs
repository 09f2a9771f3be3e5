//! event-log: writes one structured line per event through the host log, at info level:
//!
//! ```text
//! event=activity.email.replied id=wh-1:0 prospect_id=7702291 email=rachel@hudsonridge.example campaign="CFO Outreach" attempt=1
//! ```
//!
//! Values that contain spaces, quotes, `=` or control characters are quoted; missing ones are `-`.

use std::fmt::Write as _;

use smartreach_plugin_sdk::{Declaration, Event, Outcome, Plugin, export_plugin, log};

/// The plugin.
struct EventLog;

impl Plugin for EventLog {
    fn declare() -> Declaration {
        Declaration::new([Declaration::ALL_EVENTS])
            .description("Logs one structured line per event (type, id, prospect, campaign)")
    }

    fn handle(event: Event) -> Outcome {
        log::info(&line(&event));
        Outcome::Done
    }
}

export_plugin!(EventLog);

/// The log line for `event`.
fn line(event: &Event) -> String {
    let prospect = event.prospect();
    let campaign = event.activity().and_then(|a| a.campaign_name.as_deref());
    let mut line = String::with_capacity(160);
    push(&mut line, "event", Some(event.event_type.as_str()));
    push(&mut line, "id", Some(&event.id));
    push(
        &mut line,
        "prospect_id",
        Some(&prospect.prospect_id.to_string()),
    );
    push(&mut line, "email", prospect.email.as_deref());
    push(&mut line, "campaign", campaign);
    // The host numbers attempts from 1 (its records and the admin API); the event counts the
    // attempts that came before this one.
    let number = event.attempt.saturating_add(1);
    push(&mut line, "attempt", Some(&number.to_string()));
    line
}

/// Appends ` key=value`, quoting the value when it needs it; `-` stands for a missing value.
fn push(line: &mut String, key: &str, value: Option<&str>) {
    if !line.is_empty() {
        line.push(' ');
    }
    line.push_str(key);
    line.push('=');
    let Some(value) = value else {
        line.push('-');
        return;
    };
    let needs_quotes = value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '=' | '\\'));
    if !needs_quotes {
        line.push_str(value);
        return;
    }
    line.push('"');
    for c in value.chars() {
        match c {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(line, "\\u{{{:x}}}", u32::from(c));
            }
            c => line.push(c),
        }
    }
    line.push('"');
}

#[cfg(test)]
mod tests {
    use smartreach_plugin_sdk::models;

    use super::*;

    fn fixture(name: &str) -> Event {
        let path = format!(
            "{}/../../tests/fixtures/events/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let body = std::fs::read(path).expect("fixture exists");
        let payload = models::parse(&body).expect("fixture parses");
        Event::from_payload("wh-1:0", &payload, 0, 2).expect("fixture has an item")
    }

    #[test]
    fn logs_an_activity_with_its_campaign_quoted() {
        assert_eq!(
            line(&fixture("activity.email.replied")),
            "event=activity.email.replied id=wh-1:0 prospect_id=7702291 \
             email=rachel.goldberg@hudsonridge.example \
             campaign=\"CFO Outreach – North America\" attempt=3"
        );
    }

    #[test]
    fn a_prospect_event_has_no_campaign() {
        let line = line(&fixture("prospect.created"));
        assert!(
            line.starts_with("event=prospect.created id=wh-1:0 "),
            "{line}"
        );
        // Two attempts came before: this is attempt 3, as the host records it.
        assert!(line.ends_with(" campaign=- attempt=3"), "{line}");
    }

    #[test]
    fn quotes_and_escapes_awkward_values() {
        let mut line = String::new();
        push(&mut line, "a", Some("x=1"));
        push(&mut line, "b", Some("say \"hi\"\n"));
        push(&mut line, "c", Some(""));
        push(&mut line, "d", None);
        push(&mut line, "e", Some("plain"));
        assert_eq!(line, r#"a="x=1" b="say \"hi\"\n" c="" d=- e=plain"#);
    }
}
