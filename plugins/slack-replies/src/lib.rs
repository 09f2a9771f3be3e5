//! slack-replies: posts each email reply to a Slack channel through an incoming webhook.
//!
//! Only real replies: auto-replies and out-of-office replies are other event types. The message
//! names the prospect, their email and company, the campaign and step, the subject, and shows the
//! start of the reply (up to 500 characters, without the quoted thread).

mod message;
mod reply_text;

use smartreach_plugin_sdk::models::DocumentedEventType;
use smartreach_plugin_sdk::{
    ConfigKey, Declaration, Event, Outcome, Plugin, config_required, export_plugin, http, warn,
};

/// The event type this plugin posts.
const REPLIED: DocumentedEventType = DocumentedEventType::ActivityEmailReplied;

/// The plugin.
struct SlackReplies;

impl Plugin for SlackReplies {
    fn declare() -> Declaration {
        Declaration::new([REPLIED])
            .description("Posts each email reply to Slack through an incoming webhook")
            .config(ConfigKey::required(
                "webhook_url",
                "Slack incoming-webhook URL (https://hooks.slack.com/services/...)",
            ))
    }

    fn handle(event: Event) -> Outcome {
        if event.event_type.documented() != Some(REPLIED) {
            // A manifest can route other event types here; they are not replies.
            return Outcome::skipped(format!(
                "slack-replies posts {} events only, not {}",
                REPLIED.as_str(),
                event.event_type
            ));
        }
        let webhook_url = match config_required("webhook_url") {
            Ok(url) => url,
            Err(err) => return Outcome::failed(err.to_string()),
        };
        let result = http::Request::post(webhook_url)
            .json(&message::for_reply(&event))
            .send();
        if let Err(err) = &result {
            warn!("posting reply {} to Slack: {err}", event.id);
        }
        http::delivery_outcome(&result)
    }
}

export_plugin!(SlackReplies);

#[cfg(test)]
mod tests {
    use smartreach_plugin_sdk::models;

    use super::*;

    #[test]
    fn skips_other_event_types_before_touching_config_or_network() {
        let body = std::fs::read(format!(
            "{}/../../tests/fixtures/events/activity.email.auto_replied.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let payload = models::parse(&body).unwrap();
        let event = Event::from_payload("e", &payload, 0, 0).unwrap();
        assert_eq!(
            SlackReplies::handle(event),
            Outcome::skipped(
                "slack-replies posts activity.email.replied events only, not activity.email.auto_replied"
            )
        );
    }

    #[test]
    fn declares_replies_and_the_webhook_url() {
        let declaration = SlackReplies::declare();
        assert_eq!(declaration.event_types, ["activity.email.replied"]);
        assert_eq!(declaration.config.len(), 1);
        assert_eq!(declaration.config[0].name, "webhook_url");
        assert!(declaration.config[0].required);
    }
}
