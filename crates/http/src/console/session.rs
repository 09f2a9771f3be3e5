//! Console sessions: a signed cookie that expires, and the CSRF token of each session.
//!
//! The cookie holds `{expires_ms}.{nonce}.{mac}`: the mac is an HMAC-SHA256 over the first two
//! parts with a key derived from `admin.token`, so any host given the same token accepts it and
//! changing the token ends every session. Signing out revokes the session's nonce on this host
//! until it would have expired anyway. A session's CSRF token is an HMAC of its nonce: forms carry
//! it, and a state-changing request without it is refused.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use hmac::{Hmac, Mac};
use http::HeaderMap;
use http::header::{COOKIE, HeaderValue};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "smartreach_console";

/// How long a session lasts after sign-in.
pub const LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// A signed-in session, as the handlers see it.
#[derive(Debug, Clone)]
pub struct Session {
    nonce: String,
    /// The token forms of this session carry (`csrf`).
    pub csrf: String,
}

/// Issues, checks and revokes sessions; one per host, keyed by `admin.token`.
pub struct Sessions {
    key: Vec<u8>,
    /// Signed-out nonces, with when they would have expired.
    revoked: Mutex<HashMap<String, i64>>,
}

impl Sessions {
    /// Sessions signed with a key derived from the admin token.
    pub fn new(admin_token: &str) -> Self {
        let key = mac(
            admin_token.as_bytes(),
            b"smartreach-hooks console session key v1",
        );
        Self {
            key,
            revoked: Mutex::new(HashMap::new()),
        }
    }

    /// A new session from `now` (Unix ms): its cookie value and the session.
    pub fn issue(&self, now: i64) -> (String, Session) {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).expect("the operating system's random source");
        let nonce = hex(&nonce);
        let expires = now + LIFETIME.as_millis() as i64;
        let signed = format!("{expires}.{nonce}");
        let value = format!("{signed}.{}", hex(&mac(&self.key, signed.as_bytes())));
        let session = self.session(nonce);
        (value, session)
    }

    /// The session of the request's cookie, when it is one this host issued, unexpired at `now`
    /// and not signed out.
    pub fn verify(&self, headers: &HeaderMap, now: i64) -> Option<Session> {
        let value = cookie(headers, COOKIE_NAME)?;
        let (signed, presented_mac) = value.rsplit_once('.')?;
        let expected = hex(&mac(&self.key, signed.as_bytes()));
        if !bool::from(presented_mac.as_bytes().ct_eq(expected.as_bytes())) {
            return None;
        }
        let (expires, nonce) = signed.split_once('.')?;
        let expires: i64 = expires.parse().ok()?;
        if expires <= now {
            return None;
        }
        let mut revoked = self.revoked.lock().unwrap_or_else(|p| p.into_inner());
        revoked.retain(|_, until| *until > now);
        if revoked.contains_key(nonce) {
            return None;
        }
        drop(revoked);
        Some(self.session(nonce.to_owned()))
    }

    /// Signs `session` out: its cookie is refused from now on.
    pub fn revoke(&self, session: &Session, now: i64) {
        let until = now + LIFETIME.as_millis() as i64;
        self.revoked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(session.nonce.clone(), until);
    }

    /// Whether `presented` is `session`'s CSRF token (constant time).
    pub fn csrf_matches(session: &Session, presented: &str) -> bool {
        presented.as_bytes().ct_eq(session.csrf.as_bytes()).into()
    }

    fn session(&self, nonce: String) -> Session {
        let csrf = hex(&mac(&self.key, format!("csrf:{nonce}").as_bytes()));
        Session { nonce, csrf }
    }
}

/// The `Set-Cookie` value of a session (`value`), or of its removal (`None`). `Secure` when the
/// browser reached the host over TLS (`secure`).
pub fn set_cookie(value: Option<&str>, secure: bool) -> HeaderValue {
    let (value, max_age) = match value {
        Some(value) => (value, LIFETIME.as_secs()),
        None => ("", 0),
    };
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; Path=/console; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("a cookie of hex digits, dots and ASCII attributes")
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn mac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE_NAME}={value}")).unwrap(),
        );
        headers
    }

    #[test]
    fn an_issued_session_is_accepted_until_it_expires_or_signs_out() {
        let sessions = Sessions::new("token");
        let (value, session) = sessions.issue(1_000);
        let verified = sessions.verify(&with_cookie(&value), 2_000).expect("valid");
        assert_eq!(verified.csrf, session.csrf);
        let end = 1_000 + LIFETIME.as_millis() as i64;
        assert!(
            sessions.verify(&with_cookie(&value), end).is_none(),
            "expired"
        );
        sessions.revoke(&session, 3_000);
        assert!(
            sessions.verify(&with_cookie(&value), 3_000).is_none(),
            "signed out"
        );
    }

    #[test]
    fn a_forged_or_foreign_cookie_is_refused() {
        let sessions = Sessions::new("token");
        let (value, _) = sessions.issue(1_000);
        let (signed, _) = value.rsplit_once('.').unwrap();
        let (_, nonce) = signed.split_once('.').unwrap();
        let longer = format!("{}.{nonce}", i64::MAX);
        let forged = format!("{longer}.{}", value.rsplit_once('.').unwrap().1);
        assert!(sessions.verify(&with_cookie(&forged), 2_000).is_none());
        assert!(
            Sessions::new("another token")
                .verify(&with_cookie(&value), 2_000)
                .is_none(),
            "a new admin.token ends every session"
        );
        assert!(sessions.verify(&HeaderMap::new(), 2_000).is_none());
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_over_tls() {
        let plain = set_cookie(Some("v"), false);
        let plain = plain.to_str().unwrap();
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
        assert!(!plain.contains("Secure"));
        assert!(
            set_cookie(Some("v"), true)
                .to_str()
                .unwrap()
                .ends_with("; Secure")
        );
        assert!(
            set_cookie(None, false)
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }
}
