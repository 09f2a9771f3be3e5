//! `smartreach_models::parse` on any bytes: never panics, and whatever it accepts survives a
//! serialise/parse round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(payload) = smartreach_models::parse(body) else {
        return;
    };
    let json = serde_json::to_vec(&payload).expect("a parsed payload serialises");
    let again = smartreach_models::parse(&json).expect("a serialised payload parses again");
    assert_eq!(payload, again, "round trip changed the payload");
});
