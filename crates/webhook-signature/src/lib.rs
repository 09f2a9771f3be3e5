//! Standard Webhooks signatures (<https://www.standardwebhooks.com>).
//!
//! A signed request carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256>` over
//! `{id}.{timestamp}.{body}`. Each source may have several secrets, and a sender may list several
//! signatures: any match of any pair is accepted, so that either side can rotate its secret.

mod secret;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;

pub use secret::{MIN_SECRET_BYTES, SECRET_HINT, SECRET_PREFIX, SecretError, decode_secret};

/// The header holding the message id, unique per message and the same across retries.
pub const ID_HEADER: &str = "webhook-id";
/// The header holding when the message was signed, in Unix seconds.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header holding the signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

type HmacSha256 = Hmac<Sha256>;

/// Why a request's signature is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A Standard Webhooks header is absent.
    #[error(
        "header {0} is missing: this source has signing secrets, so every request must carry \
         webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks)"
    )]
    MissingHeader(&'static str),

    /// `webhook-timestamp` is not an integer.
    #[error("header webhook-timestamp is {value:?}, not a Unix time in whole seconds")]
    BadTimestamp {
        /// The header's value, cut to 64 characters.
        value: String,
    },

    /// The timestamp is further in the past than the tolerance allows.
    #[error(
        "webhook-timestamp is {} s in the past, beyond the tolerance of {} s: the request is a \
         replay or was delayed, or the sender's clock is behind this server's (check both \
         clocks for skew)",
        age.as_secs(),
        tolerance.as_secs()
    )]
    TooOld {
        /// How far in the past the timestamp is.
        age: Duration,
        /// The tolerance (`ingest.signature_tolerance`).
        tolerance: Duration,
    },

    /// The timestamp is further in the future than the tolerance allows.
    #[error(
        "webhook-timestamp is {} s in the future, beyond the tolerance of {} s: the sender's clock \
         is ahead of this server's (check both clocks for skew)",
        ahead.as_secs(),
        tolerance.as_secs()
    )]
    TooNew {
        /// How far in the future the timestamp is.
        ahead: Duration,
        /// The tolerance (`ingest.signature_tolerance`).
        tolerance: Duration,
    },

    /// No `v1` signature matches the request with any of the source's secrets.
    #[error(
        "no valid signature: no v1 signature in webhook-signature matches the id, timestamp and \
         body with any of this source's signing secrets; check that the sender and the source's \
         signing_secrets use the same secret"
    )]
    NoValidSignature,
}

/// Checks the Standard Webhooks signature of a request: its headers, `body` as received, and the
/// source's decoded `secrets`. `now` is the current time; a timestamp more than `tolerance` away
/// from it either way is refused. With no secrets, nothing can match.
pub fn verify(
    headers: &HeaderMap,
    body: &[u8],
    secrets: &[Vec<u8>],
    now: SystemTime,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let id = header(headers, ID_HEADER)?;
    let timestamp = header(headers, TIMESTAMP_HEADER)?;
    let signatures = header(headers, SIGNATURE_HEADER)?;

    let seconds = std::str::from_utf8(timestamp)
        .ok()
        .and_then(|text| text.parse::<i64>().ok())
        .ok_or_else(|| SignatureError::BadTimestamp {
            value: String::from_utf8_lossy(timestamp)
                .chars()
                .take(64)
                .collect(),
        })?;
    check_age(seconds, now, tolerance)?;

    // The timestamp is signed as sent, so the MAC covers the header's exact bytes.
    let macs: Vec<HmacSha256> = secrets
        .iter()
        .map(|secret| mac(secret, id, timestamp, body))
        .collect();
    let valid = signatures
        .split(|&b| b == b' ')
        .filter_map(|entry| entry.strip_prefix(b"v1,"))
        .filter_map(|encoded| STANDARD.decode(encoded).ok())
        .any(|signature| {
            macs.iter()
                .any(|mac| mac.clone().verify_slice(&signature).is_ok())
        });
    if valid {
        Ok(())
    } else {
        Err(SignatureError::NoValidSignature)
    }
}

/// The `v1,<base64>` signature of a message, as a sender puts it in `webhook-signature`.
pub fn sign(secret: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(
        secret,
        id.as_bytes(),
        timestamp.to_string().as_bytes(),
        body,
    )
    .finalize()
    .into_bytes();
    format!("v1,{}", STANDARD.encode(tag))
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a [u8], SignatureError> {
    headers
        .get(name)
        .map(|value| value.as_bytes())
        .ok_or(SignatureError::MissingHeader(name))
}

fn mac(secret: &[u8], id: &[u8], timestamp: &[u8], body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    for part in [id, b".", timestamp, b".", body] {
        mac.update(part);
    }
    mac
}

fn check_age(seconds: i64, now: SystemTime, tolerance: Duration) -> Result<(), SignatureError> {
    let now = match now.duration_since(UNIX_EPOCH) {
        Ok(since) => i128::from(since.as_secs()),
        Err(before) => -i128::from(before.duration().as_secs()),
    };
    let age = now - i128::from(seconds);
    let seconds_of = |n: i128| Duration::from_secs(u64::try_from(n).unwrap_or(u64::MAX));
    let limit = i128::from(tolerance.as_secs());
    if age > limit {
        Err(SignatureError::TooOld {
            age: seconds_of(age),
            tolerance,
        })
    } else if -age > limit {
        Err(SignatureError::TooNew {
            ahead: seconds_of(-age),
            tolerance,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    // Computed independently with Python's hmac module:
    //   hmac.new(b"smartreach-hooks-test-secret-32b",
    //            b"msg_2ZHkQx8vQ1.1735689600." + BODY, hashlib.sha256), base64-encoded.
    const SECRET: &[u8] = b"smartreach-hooks-test-secret-32b";
    const ID: &str = "msg_2ZHkQx8vQ1";
    const TIMESTAMP: i64 = 1_735_689_600;
    const BODY: &[u8] = br#"{"metadata":{"event_type":"activity.email.replied"},"data":[]}"#;
    const KNOWN_SIGNATURE: &str = "v1,h+GVLzeXUCRPPElt5amk6BlZ5SCNaXCWkM8B8rsn1/Y=";

    const TOLERANCE: Duration = Duration::from_secs(300);

    fn at(seconds: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds as u64)
    }

    fn headers(id: &str, timestamp: &str, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ID_HEADER, HeaderValue::from_str(id).unwrap());
        headers.insert(TIMESTAMP_HEADER, HeaderValue::from_str(timestamp).unwrap());
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
        headers
    }

    fn signed(secret: &[u8], body: &[u8]) -> HeaderMap {
        headers(
            ID,
            &TIMESTAMP.to_string(),
            &sign(secret, ID, TIMESTAMP, body),
        )
    }

    fn check(headers: &HeaderMap, body: &[u8], secrets: &[&[u8]]) -> Result<(), SignatureError> {
        let secrets: Vec<Vec<u8>> = secrets.iter().map(|s| s.to_vec()).collect();
        verify(headers, body, &secrets, at(TIMESTAMP), TOLERANCE)
    }

    #[test]
    fn sign_matches_an_independently_computed_vector() {
        assert_eq!(sign(SECRET, ID, TIMESTAMP, BODY), KNOWN_SIGNATURE);
        let known = headers(ID, "1735689600", KNOWN_SIGNATURE);
        assert_eq!(check(&known, BODY, &[SECRET]), Ok(()));
    }

    #[test]
    fn a_signed_request_verifies() {
        assert_eq!(check(&signed(SECRET, BODY), BODY, &[SECRET]), Ok(()));
        assert_eq!(check(&signed(SECRET, b""), b"", &[SECRET]), Ok(()));
    }

    #[test]
    fn a_tampered_body_or_id_fails() {
        let mut tampered = BODY.to_vec();
        tampered[5] ^= 1;
        let err = check(&signed(SECRET, BODY), &tampered, &[SECRET]);
        assert_eq!(err, Err(SignatureError::NoValidSignature));

        let signature = sign(SECRET, ID, TIMESTAMP, BODY);
        let other_id = headers("msg_other", "1735689600", &signature);
        assert_eq!(
            check(&other_id, BODY, &[SECRET]),
            Err(SignatureError::NoValidSignature)
        );
    }

    #[test]
    fn the_wrong_secret_or_no_secret_fails() {
        let request = signed(SECRET, BODY);
        let wrong: &[u8] = b"another-secret-of-32-bytes-long!";
        assert_eq!(
            check(&request, BODY, &[wrong]),
            Err(SignatureError::NoValidSignature)
        );
        assert_eq!(
            check(&request, BODY, &[]),
            Err(SignatureError::NoValidSignature)
        );
    }

    #[test]
    fn any_secret_and_any_listed_signature_may_match() {
        let old: &[u8] = b"old-secret-0123456789";
        let new: &[u8] = b"new-secret-0123456789";
        // The server rotates: it knows both secrets, the sender signs with either.
        assert_eq!(check(&signed(new, BODY), BODY, &[old, new]), Ok(()));
        assert_eq!(check(&signed(old, BODY), BODY, &[old, new]), Ok(()));
        // The sender rotates: it lists a signature per secret, the server knows one.
        let both = format!(
            "{} {}",
            sign(old, ID, TIMESTAMP, BODY),
            sign(new, ID, TIMESTAMP, BODY)
        );
        let request = headers(ID, "1735689600", &both);
        assert_eq!(check(&request, BODY, &[new]), Ok(()));
        assert_eq!(check(&request, BODY, &[old]), Ok(()));
    }

    #[test]
    fn other_versions_and_garbage_entries_are_ignored() {
        let good = sign(SECRET, ID, TIMESTAMP, BODY);
        let tag = good.strip_prefix("v1,").unwrap();
        let request = headers(
            ID,
            "1735689600",
            &format!("v1a,{tag} v2,{tag} v1,%%%  {good}"),
        );
        assert_eq!(check(&request, BODY, &[SECRET]), Ok(()));
        let only_other = headers(ID, "1735689600", &format!("v1a,{tag} v2,{tag}"));
        assert_eq!(
            check(&only_other, BODY, &[SECRET]),
            Err(SignatureError::NoValidSignature)
        );
    }

    #[test]
    fn each_missing_header_is_named() {
        for name in [ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER] {
            let mut request = signed(SECRET, BODY);
            request.remove(name);
            let err = check(&request, BODY, &[SECRET]).unwrap_err();
            assert_eq!(err, SignatureError::MissingHeader(name));
            assert!(
                err.to_string()
                    .starts_with(&format!("header {name} is missing"))
            );
        }
    }

    #[test]
    fn an_unparsable_timestamp_is_refused() {
        let signature = sign(SECRET, ID, TIMESTAMP, BODY);
        for value in ["", "1735689600.5", "soon", "2025-01-01T00:00:00Z"] {
            let err = check(&headers(ID, value, &signature), BODY, &[SECRET]);
            assert_eq!(
                err,
                Err(SignatureError::BadTimestamp {
                    value: value.into()
                })
            );
        }
    }

    #[test]
    fn timestamps_beyond_the_tolerance_are_refused_either_way() {
        let request = signed(SECRET, BODY);
        let verify_at = |now: i64| verify(&request, BODY, &[SECRET.to_vec()], at(now), TOLERANCE);

        assert_eq!(verify_at(TIMESTAMP + 300), Ok(()));
        assert_eq!(verify_at(TIMESTAMP - 300), Ok(()));

        let err = verify_at(TIMESTAMP + 400).unwrap_err();
        assert_eq!(
            err,
            SignatureError::TooOld {
                age: Duration::from_secs(400),
                tolerance: TOLERANCE
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("400 s in the past") && text.contains("skew"),
            "{text}"
        );

        let err = verify_at(TIMESTAMP - 301).unwrap_err();
        assert_eq!(
            err,
            SignatureError::TooNew {
                ahead: Duration::from_secs(301),
                tolerance: TOLERANCE
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("301 s in the future") && text.contains("skew"),
            "{text}"
        );
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let signature = sign(SECRET, ID, i64::MIN, BODY);
        let request = headers(ID, &i64::MIN.to_string(), &signature);
        assert!(matches!(
            check(&request, BODY, &[SECRET]),
            Err(SignatureError::TooOld { .. })
        ));
        let signature = sign(SECRET, ID, i64::MAX, BODY);
        let request = headers(ID, &i64::MAX.to_string(), &signature);
        assert!(matches!(
            check(&request, BODY, &[SECRET]),
            Err(SignatureError::TooNew { .. })
        ));
    }
}
