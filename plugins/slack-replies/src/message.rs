//! The Slack message for a reply: Block Kit blocks, and a `text` fallback for notifications.

use serde_json::{Value, json};
use smartreach_plugin_sdk::Event;
use smartreach_plugin_sdk::models::Prospect;

use crate::reply_text;

/// The longest reply snippet, in characters.
pub const SNIPPET_CHARS: usize = 500;
/// Slack's limit for a header block's text.
const HEADER_CHARS: usize = 150;
/// Keeps each field well under Slack's 2000-character limit.
const FIELD_CHARS: usize = 300;
/// Shown for a field the event does not carry.
const MISSING: &str = "—";

/// The incoming-webhook payload announcing the reply in `event`.
pub fn for_reply(event: &Event) -> Value {
    let prospect = event.prospect();
    let activity = event.activity();
    let name = display_name(prospect);
    let campaign = activity.and_then(|a| a.campaign_name.as_deref());
    let step = activity.and_then(|a| a.campaign_step_name.as_deref());
    let subject = activity.and_then(|a| a.email_subject.as_deref());
    let snippet = activity
        .map(|a| reply_text::snippet(a, SNIPPET_CHARS))
        .unwrap_or_default();

    let text = match campaign {
        Some(campaign) => format!("New reply from {name} ({campaign})"),
        None => format!("New reply from {name}"),
    };
    let reply = if snippet.is_empty() {
        "_The reply has no text._".to_owned()
    } else {
        quote(&snippet)
    };
    json!({
        "text": escape(&text),
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": reply_text::truncate(&format!("Reply from {name}"), HEADER_CHARS),
                },
            },
            {
                "type": "section",
                "fields": [
                    field("Prospect", Some(&name)),
                    field("Email", prospect.email.as_deref()),
                    field("Company", prospect.company.as_deref()),
                    field("Campaign", campaign),
                    field("Step", step),
                    field("Subject", subject),
                ],
            },
            { "type": "section", "text": { "type": "mrkdwn", "text": reply } },
        ],
    })
}

/// "First Last", else the email, else the prospect id.
fn display_name(prospect: &Prospect) -> String {
    let parts: Vec<&str> = [&prospect.first_name, &prospect.last_name]
        .into_iter()
        .filter_map(|part| part.as_deref().map(str::trim))
        .filter(|part| !part.is_empty())
        .collect();
    if !parts.is_empty() {
        return parts.join(" ");
    }
    match prospect.email.as_deref() {
        Some(email) if !email.is_empty() => email.to_owned(),
        _ => format!("prospect {}", prospect.prospect_id),
    }
}

/// A `*Label*` / value field of a section block.
fn field(label: &str, value: Option<&str>) -> Value {
    let value = match value.map(str::trim) {
        Some(value) if !value.is_empty() => escape(&reply_text::truncate(value, FIELD_CHARS)),
        _ => MISSING.to_owned(),
    };
    json!({ "type": "mrkdwn", "text": format!("*{label}*\n{value}") })
}

/// The text as a Slack block quote.
fn quote(text: &str) -> String {
    escape(text)
        .lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Escapes the three characters Slack's mrkdwn gives a meaning to.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use smartreach_plugin_sdk::models;

    use super::*;

    fn replied() -> Event {
        let body = std::fs::read(format!(
            "{}/../../tests/fixtures/events/activity.email.replied.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let payload = models::parse(&body).unwrap();
        Event::from_payload("wh-1:0", &payload, 0, 0).unwrap()
    }

    fn field_texts(message: &Value) -> Vec<&str> {
        message["blocks"][1]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|field| field["text"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn names_the_prospect_campaign_step_and_subject() {
        let message = for_reply(&replied());
        assert_eq!(
            message["text"],
            "New reply from Rachel Goldberg (CFO Outreach – North America)"
        );
        assert_eq!(
            message["blocks"][0]["text"]["text"],
            "Reply from Rachel Goldberg"
        );
        assert_eq!(
            field_texts(&message),
            [
                "*Prospect*\nRachel Goldberg",
                "*Email*\nrachel.goldberg@hudsonridge.example",
                "*Company*\nHudson Ridge Partners",
                "*Campaign*\nCFO Outreach – North America",
                "*Step*\nDay 4: Follow-up",
                "*Subject*\nRe: Closing the books 5 days faster at Hudson Ridge",
            ]
        );
    }

    #[test]
    fn quotes_the_reply_without_the_thread() {
        let message = for_reply(&replied());
        let reply = message["blocks"][2]["text"]["text"].as_str().unwrap();
        assert!(
            reply.starts_with("> Hi Daniel,\n> \n> Good timing"),
            "{reply}"
        );
        assert!(reply.ends_with("> Rachel"), "{reply}");
        assert!(!reply.contains("just following up"), "{reply}");
    }

    #[test]
    fn marks_missing_fields_and_escapes_mrkdwn() {
        let mut event = replied();
        event.item.prospect.company = None;
        event.item.prospect.first_name = Some("<!channel> & co".into());
        event.item.prospect.last_name = None;
        let message = for_reply(&event);
        let fields = field_texts(&message);
        assert_eq!(fields[0], "*Prospect*\n&lt;!channel&gt; &amp; co");
        assert_eq!(fields[2], "*Company*\n—");
        // Plain text is not mrkdwn: the header keeps the characters as they are.
        assert_eq!(
            message["blocks"][0]["text"]["text"],
            "Reply from <!channel> & co"
        );
    }

    #[test]
    fn falls_back_to_the_email_then_the_id_for_a_name() {
        let mut event = replied();
        event.item.prospect.first_name = None;
        event.item.prospect.last_name = None;
        assert_eq!(
            display_name(event.prospect()),
            "rachel.goldberg@hudsonridge.example"
        );
        event.item.prospect.email = None;
        assert_eq!(display_name(event.prospect()), "prospect 7702291");
    }
}
