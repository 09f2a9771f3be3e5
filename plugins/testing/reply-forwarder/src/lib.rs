use smartreach_plugin_sdk::models::DocumentedEventType;
use smartreach_plugin_sdk::{
    ConfigKey, Declaration, Event, Outcome, Plugin, config_required, export_plugin, http, info,
};

/// Forwards every reply to a URL of your choice as a small JSON document.
struct ReplyForwarder;

impl Plugin for ReplyForwarder {
    fn declare() -> Declaration {
        Declaration::new([DocumentedEventType::ActivityEmailReplied])
            .description("POSTs each reply's prospect email and subject to `url`")
            .config(ConfigKey::required("url", "Where to POST the reply"))
    }

    fn handle(event: Event) -> Outcome {
        let url = match config_required("url") {
            Ok(url) => url,
            Err(err) => return Outcome::failed(err.to_string()),
        };
        let subject = event.activity().and_then(|a| a.email_subject.as_deref());
        let body = serde_json::json!({
            "email": event.prospect().email,
            "subject": subject,
        });
        info!("forwarding reply {} to {url}", event.id);
        let result = http::Request::post(&url)
            .header("Idempotency-Key", &event.id)
            .json(&body)
            .send();
        // 2xx: done; 429 and 5xx: retry (after Retry-After); other statuses: failed.
        http::delivery_outcome(&result)
    }
}

export_plugin!(ReplyForwarder);
