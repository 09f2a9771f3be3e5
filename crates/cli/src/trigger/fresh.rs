//! Makes a sample look as if it just happened, and unique: the host drops a body identical to one
//! it received in the last 24 hours as a redelivery, so a sample sent twice as it is would run the
//! plugins once.

use serde_json::Value;

/// The sample's body with `metadata.received_at` moved to `received_at` and every activity's
/// `created_at` moved by the same amount (keeping how long before the webhook it happened), and
/// `metadata.trigger_id` set to `trigger_id`: a time alone can repeat (two triggers in the same
/// millisecond), a random id per send does not. Prospects' `created_at` stays: a prospect exists
/// before its activity.
pub fn freshen(body: &str, received_at: i64, trigger_id: &str) -> Vec<u8> {
    let mut payload: Value =
        serde_json::from_str(body).expect("the built-in samples are valid JSON (tested)");
    let original = payload["metadata"]["received_at"].as_i64();
    payload["metadata"]["received_at"] = received_at.into();
    payload["metadata"]["trigger_id"] = trigger_id.into();
    let shift = original.map_or(0, |original| received_at - original);
    if let Some(items) = payload["data"].as_array_mut() {
        for item in items {
            if let Some(created_at) = item
                .get_mut("activity")
                .and_then(|activity| activity.get_mut("created_at"))
                && let Some(ms) = created_at.as_i64()
            {
                *created_at = (ms + shift).into();
            }
        }
    }
    serde_json::to_vec_pretty(&payload).expect("a JSON value always serialises")
}

#[cfg(test)]
mod tests {
    use smartreach_models::DocumentedEventType;

    use super::*;
    use crate::trigger::samples::sample;

    #[test]
    fn timestamps_move_together_and_the_rest_stays() {
        let original = sample(DocumentedEventType::ActivityEmailSent).body;
        let before: Value = serde_json::from_str(original).unwrap();
        let received = before["metadata"]["received_at"].as_i64().unwrap();
        let now = received + 1_000_000;
        let after: Value = serde_json::from_slice(&freshen(original, now, "t1")).unwrap();
        assert_eq!(after["metadata"]["trigger_id"], "t1");
        assert_eq!(after["metadata"]["received_at"], now);
        let items = after["data"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        for (old, new) in before["data"].as_array().unwrap().iter().zip(items) {
            assert_eq!(
                new["activity"]["created_at"].as_i64().unwrap(),
                old["activity"]["created_at"].as_i64().unwrap() + 1_000_000
            );
            assert_eq!(new["prospect"], old["prospect"]);
        }
        // The payload still parses as its type.
        let payload = smartreach_models::parse(&freshen(original, now, "t1")).unwrap();
        assert_eq!(payload.metadata.event_type.as_str(), "activity.email.sent");
    }

    #[test]
    fn two_sends_in_the_same_millisecond_differ_and_prospect_samples_work_too() {
        let body = sample(DocumentedEventType::ProspectCreated).body;
        assert_ne!(freshen(body, 1_000, "a"), freshen(body, 1_000, "b"));
        smartreach_models::parse(&freshen(body, 1_000, "a")).unwrap();
    }
}
