//! `smartreach_webhook_signature::verify` on any headers and body: never panics, refuses what was
//! not signed with the secret, and accepts what `sign` signed however the header list is padded.
//!
//! Input: `ID\nTIMESTAMP\nSIGNATURES\nBODY`, so that seeds are readable text.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use smartreach_webhook_signature::{
    ID_HEADER, SIGNATURE_HEADER, SignatureError, TIMESTAMP_HEADER, sign, verify,
};

const SECRET: &[u8] = b"fuzz-secret-0123456789";
const NOW: u64 = 1_735_689_600;
const TOLERANCE: Duration = Duration::from_secs(300);

fuzz_target!(|input: &[u8]| {
    let mut parts = input.splitn(4, |&b| b == b'\n');
    let id = parts.next().unwrap_or_default();
    let timestamp = parts.next().unwrap_or_default();
    let signatures = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let now = UNIX_EPOCH + Duration::from_secs(NOW);

    let mut headers = HeaderMap::new();
    for (name, value) in [
        (ID_HEADER, id),
        (TIMESTAMP_HEADER, timestamp),
        (SIGNATURE_HEADER, signatures),
    ] {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(name, value);
        }
    }
    // Arbitrary headers: a valid signature would need a forged HMAC, so nothing is accepted.
    match verify(&headers, body, &[SECRET.to_vec()], now, TOLERANCE) {
        Ok(()) => panic!("accepted a request the fuzzer signed without the secret"),
        Err(
            SignatureError::NoValidSignature
            | SignatureError::MissingHeader(_)
            | SignatureError::BadTimestamp { .. }
            | SignatureError::TooOld { .. }
            | SignatureError::TooNew { .. },
        ) => {}
    }

    // The same body signed properly verifies, whatever the fuzzer's signatures around it.
    let Ok(id) = std::str::from_utf8(id) else {
        return;
    };
    let Ok(id_value) = HeaderValue::from_str(id) else {
        return;
    };
    let signed = sign(SECRET, id, NOW as i64, body);
    let mut list = signatures.to_vec();
    list.push(b' ');
    list.extend_from_slice(signed.as_bytes());
    let Ok(list) = HeaderValue::from_bytes(&list) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(ID_HEADER, id_value);
    headers.insert(TIMESTAMP_HEADER, HeaderValue::from(NOW));
    headers.insert(SIGNATURE_HEADER, list);
    verify(
        &headers,
        body,
        &[SECRET.to_vec()],
        now + Duration::from_secs(1),
        TOLERANCE,
    )
    .expect("a request signed with the secret verifies");
});
