//! {{name}}: a smartreach-hooks plugin. It logs the type of every event and the prospect's email.
//!
//! Build: `./build.sh` (writes {{name}}.wasm). Test: `cargo test`.

use smartreach_plugin_sdk::{Declaration, Event, Outcome, Plugin, export_plugin, log};

/// The plugin.
struct {{type_name}};

impl Plugin for {{type_name}} {
    fn declare() -> Declaration {
        Declaration::new([Declaration::ALL_EVENTS])
            .description("Logs the type of every event and the prospect's email")
    }

    fn handle(event: Event) -> Outcome {
        log::info(&line(&event));
        Outcome::Done
    }
}

export_plugin!({{type_name}});

/// The log line of `event`.
fn line(event: &Event) -> String {
    let email = event.prospect().email.as_deref().unwrap_or("(no email)");
    format!("{} {} {email}", event.event_type.as_str(), event.id)
}

#[cfg(test)]
mod tests {
    use smartreach_plugin_sdk::models;

    use super::*;

    /// A webhook body as SmartReach sends it (add your own to `events/`).
    const REPLY: &str = include_str!("../events/activity.email.replied.json");

    #[test]
    fn logs_the_event_type_and_the_email() {
        let payload = models::parse(REPLY.as_bytes()).expect("the sample parses");
        let event = Event::from_payload("wh-1:0", &payload, 0, 0).expect("it has an item");
        assert_eq!(
            line(&event),
            "activity.email.replied wh-1:0 rachel.goldberg@hudsonridge.example"
        );
    }
}
