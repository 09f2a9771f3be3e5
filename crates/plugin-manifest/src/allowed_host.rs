//! One entry of `allowed_outbound_hosts`, and whether a request's target matches it.

use std::borrow::Cow;
use std::fmt;
use std::net::Ipv6Addr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// A host a plugin may send requests to: `[scheme://]host[:port]`, where `host` may start with `*.`
/// to allow every subdomain (but not the domain itself). Without a port, only the default ports
/// (443 for https, 80 for http) are allowed; without a scheme, both schemes are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// `*.example.com`, stored as `.example.com`.
    Subdomains(String),
}

/// Why an `allowed_outbound_hosts` entry is not `[scheme://]host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "allowed_outbound_hosts entry `{entry}` is invalid: {problem}; \
     write `host`, `host:port`, `*.domain` or `https://host`"
)]
pub struct AllowedHostError {
    /// The entry as written.
    pub entry: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl AllowedHost {
    /// Parses an entry.
    pub fn parse(entry: &str) -> Result<Self, AllowedHostError> {
        let fail = |problem| AllowedHostError {
            entry: entry.to_owned(),
            problem,
        };
        let (scheme, rest) = match entry.split_once("://") {
            Some((scheme @ ("http" | "https"), rest)) => (Some(scheme.to_owned()), rest),
            Some(_) => return Err(fail("the scheme must be http or https")),
            None => (None, entry),
        };
        if rest.contains(['/', '?', '#', '@']) {
            return Err(fail("it may not hold a path, query or user"));
        }
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            // An IPv6 literal: `[::1]` or `[::1]:8080`.
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| fail("an IPv6 address misses its `]`"))?;
            let port = match after {
                "" => None,
                _ => Some(
                    parse_port(after.strip_prefix(':').unwrap_or("x"))
                        .ok_or_else(|| fail("the port is not a number"))?,
                ),
            };
            (host, port)
        } else {
            match rest.rsplit_once(':') {
                Some((host, port)) => {
                    let port = parse_port(port).ok_or_else(|| fail("the port is not a number"))?;
                    (host, Some(port))
                }
                None => (rest, None),
            }
        };
        if host.contains(':') && !rest.starts_with('[') {
            return Err(fail("write an IPv6 address in brackets, like `[::1]:8080`"));
        }
        let host = host.to_ascii_lowercase();
        let host = match host.strip_prefix("*.") {
            Some(domain) => HostPattern::Subdomains(format!(".{domain}")),
            None => HostPattern::Exact(host.clone()),
        };
        let name = match &host {
            HostPattern::Exact(name) | HostPattern::Subdomains(name) => {
                name.trim_start_matches('.')
            }
        };
        if name.is_empty() || name.contains('*') || name.contains(char::is_whitespace) {
            return Err(fail(
                "the host is empty or has a `*` other than a leading `*.`",
            ));
        }
        let valid = if rest.starts_with('[') {
            matches!(host, HostPattern::Exact(_)) && name.parse::<Ipv6Addr>().is_ok()
        } else {
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        if !valid {
            return Err(fail(
                "the host must be a name of letters, digits, `-`, `_` and `.`, an IPv4 address, \
                 or an IPv6 address in brackets",
            ));
        }
        Ok(Self { scheme, host, port })
    }

    /// Whether a request to `scheme://host:port` is allowed by this entry (`host` without brackets).
    pub fn matches(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = self
            .scheme
            .as_deref()
            .is_none_or(|allowed| allowed == scheme);
        let port_ok = match self.port {
            Some(allowed) => allowed == port,
            None => match self.scheme.as_deref().unwrap_or(scheme) {
                "https" => port == 443,
                "http" => port == 80,
                _ => false,
            },
        };
        let host = host.to_ascii_lowercase();
        let host = host.trim_end_matches('.');
        let host_ok = match &self.host {
            HostPattern::Exact(allowed) => allowed == host,
            HostPattern::Subdomains(suffix) => host.ends_with(suffix.as_str()),
        };
        scheme_ok && port_ok && host_ok
    }
}

fn parse_port(text: &str) -> Option<u16> {
    text.parse().ok()
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(scheme) = &self.scheme {
            write!(f, "{scheme}://")?;
        }
        match &self.host {
            HostPattern::Exact(host) if host.contains(':') => write!(f, "[{host}]")?,
            HostPattern::Exact(host) => f.write_str(host)?,
            HostPattern::Subdomains(suffix) => write!(f, "*{suffix}")?,
        }
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

impl TryFrom<String> for AllowedHost {
    type Error = AllowedHostError;
    fn try_from(entry: String) -> Result<Self, AllowedHostError> {
        Self::parse(&entry)
    }
}

impl From<AllowedHost> for String {
    fn from(host: AllowedHost) -> String {
        host.to_string()
    }
}

impl JsonSchema for AllowedHost {
    fn schema_name() -> Cow<'static, str> {
        "AllowedHost".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "`[scheme://]host[:port]`; `*.domain` allows every subdomain. Without a \
                            port only 443 (https) and 80 (http) are allowed.",
            "pattern": "^((https?)://)?((\\*\\.)?[^/?#@*:\\[\\]\\s]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?$",
            "examples": ["hooks.slack.com", "127.0.0.1:8080", "*.example.com", "https://api.example.com", "[::1]:8080"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entry: &str, scheme: &str, host: &str, port: u16) -> bool {
        AllowedHost::parse(entry)
            .unwrap()
            .matches(scheme, host, port)
    }

    #[test]
    fn a_bare_host_allows_default_ports_of_both_schemes() {
        assert!(allowed("hooks.slack.com", "https", "hooks.slack.com", 443));
        assert!(allowed("hooks.slack.com", "http", "HOOKS.slack.com", 80));
        assert!(!allowed(
            "hooks.slack.com",
            "https",
            "hooks.slack.com",
            8443
        ));
        assert!(!allowed(
            "hooks.slack.com",
            "https",
            "evil-hooks.slack.com",
            443
        ));
        assert!(!allowed(
            "hooks.slack.com",
            "https",
            "hooks.slack.com.evil.example",
            443
        ));
    }

    #[test]
    fn a_port_must_match_exactly() {
        assert!(allowed("127.0.0.1:8080", "http", "127.0.0.1", 8080));
        assert!(!allowed("127.0.0.1:8080", "http", "127.0.0.1", 8081));
        assert!(!allowed("127.0.0.1:8080", "http", "127.0.0.2", 8080));
    }

    #[test]
    fn a_scheme_restricts_the_scheme_and_its_default_port() {
        assert!(allowed(
            "https://api.example.com",
            "https",
            "api.example.com",
            443
        ));
        assert!(!allowed(
            "https://api.example.com",
            "http",
            "api.example.com",
            80
        ));
        assert!(!allowed(
            "https://api.example.com",
            "http",
            "api.example.com",
            443
        ));
    }

    #[test]
    fn a_wildcard_allows_subdomains_only() {
        assert!(allowed("*.example.com", "https", "a.example.com", 443));
        assert!(allowed("*.example.com", "https", "a.b.example.com", 443));
        assert!(!allowed("*.example.com", "https", "example.com", 443));
        assert!(!allowed("*.example.com", "https", "badexample.com", 443));
    }

    #[test]
    fn malformed_entries_are_rejected_with_the_entry_named() {
        for entry in [
            "",
            "*",
            "ftp://x.com",
            "x.com/path",
            "x.com:http",
            "a.*.com",
            "u@x.com",
            "::1",
            "[::1",
            "[::1]x",
            // Found by the `allowed_host` fuzz target: a bracket is no host name.
            "[[]",
            "[x]",
            "[*.x]",
            "a]b.com",
            "exa%mple.com",
            "ex\u{e9}mple.com",
        ] {
            let err = AllowedHost::parse(entry).unwrap_err();
            assert_eq!(err.entry, entry);
            assert!(err.to_string().contains(&format!("`{entry}`")));
        }
    }

    #[test]
    fn ipv6_literals_are_written_in_brackets() {
        assert!(allowed("[::1]:8080", "http", "::1", 8080));
        assert!(!allowed("[::1]:8080", "http", "::1", 8081));
        assert!(allowed("[::1]", "https", "::1", 443));
        assert_eq!(
            AllowedHost::parse("[::1]:8080").unwrap().to_string(),
            "[::1]:8080"
        );
    }

    #[test]
    fn display_round_trips() {
        for entry in [
            "hooks.slack.com",
            "127.0.0.1:9",
            "*.example.com",
            "https://a.example:8443",
        ] {
            assert_eq!(AllowedHost::parse(entry).unwrap().to_string(), entry);
        }
    }
}
