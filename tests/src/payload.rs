//! Webhook bodies made from the fixtures, varied so each one is distinct (the host recognises an
//! identical body as a redelivery), and Standard Webhooks signatures.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// A fixture under `tests/fixtures/` as JSON.
pub fn fixture_json(relative: &str) -> Value {
    serde_json::from_slice(&super::fixture(relative)).unwrap()
}

/// A `prospect.*` webhook (from `events/prospect.created.json`) with one item: prospect
/// `prospect_id` with `email`, and `marker` as its only custom field, so the body, and what
/// crm-sync sends for it, can be told apart from every other.
pub fn prospect_event(event_type: &str, prospect_id: i64, email: &str, marker: &str) -> Vec<u8> {
    let mut payload = fixture_json("events/prospect.created.json");
    payload["metadata"]["event_type"] = json!(event_type);
    let data = payload["data"].as_array_mut().unwrap();
    data.truncate(1);
    let prospect = &mut data[0]["prospect"];
    prospect["prospect_id"] = json!(prospect_id);
    prospect["email"] = json!(email);
    prospect["custom_fields"] = json!({ "marker": marker });
    serde_json::to_vec(&payload).unwrap()
}

/// An `activity.email.replied` webhook (from its fixture) with one item: prospect `prospect_id`
/// with `email`, and `subject` as the email's subject (reply-forwarder sends email and subject).
pub fn reply(prospect_id: i64, email: &str, subject: &str) -> Vec<u8> {
    let mut payload = fixture_json("events/activity.email.replied.json");
    let data = payload["data"].as_array_mut().unwrap();
    data.truncate(1);
    data[0]["prospect"]["prospect_id"] = json!(prospect_id);
    data[0]["prospect"]["email"] = json!(email);
    data[0]["activity"]["email_subject"] = json!(subject);
    serde_json::to_vec(&payload).unwrap()
}

/// A Standard Webhooks secret: `whsec_` and the base64 of 32 bytes derived from `seed`.
pub fn secret(seed: u8) -> String {
    let key: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(31).wrapping_add(seed))
        .collect();
    format!("whsec_{}", BASE64.encode(key))
}

/// The Standard Webhooks signature of `body` sent as message `id` at `timestamp` (Unix seconds)
/// under `secret` (`whsec_BASE64`): `v1,` and the base64 of HMAC-SHA256(key, `id.timestamp.body`).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("the secret is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// The webhook of fixture `events/{event_type}.json` cut to its first item: prospect
/// `prospect_id` with `email`. Any fixture type works (activities and prospects).
pub fn single_event(event_type: &str, prospect_id: i64, email: &str) -> Vec<u8> {
    let mut payload = fixture_json(&format!("events/{event_type}.json"));
    let data = payload["data"].as_array_mut().unwrap();
    data.truncate(1);
    data[0]["prospect"]["prospect_id"] = json!(prospect_id);
    data[0]["prospect"]["email"] = json!(email);
    serde_json::to_vec(&payload).unwrap()
}

/// The webhook of fixture `events/{event_type}.json` with all its items, each item's prospect id
/// shifted by `offset`, so that the body differs from the fixture's and from other offsets'.
pub fn all_items(event_type: &str, offset: i64) -> Vec<u8> {
    let mut payload = fixture_json(&format!("events/{event_type}.json"));
    for item in payload["data"].as_array_mut().unwrap() {
        let id = item["prospect"]["prospect_id"].as_i64().unwrap();
        item["prospect"]["prospect_id"] = json!(id + offset);
    }
    serde_json::to_vec(&payload).unwrap()
}
