//! Splitting an absolute `http(s)://` URL into the parts a `wasi:http` request is made of.

use super::Error;

/// The scheme of a request URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

/// A request URL, split as `wasi:http/types.outgoing-request` wants it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub scheme: Scheme,
    /// `host` or `host:port` (`[v6 address]:port` for IPv6).
    pub authority: String,
    /// The path and query, starting with `/`; the fragment is dropped.
    pub path_with_query: String,
}

/// Parses an absolute URL. It must already be percent-encoded: nothing is encoded here.
pub(crate) fn parse(url: &str) -> Result<Target, Error> {
    let invalid = |reason: &'static str| Error::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    if !url.is_ascii() {
        return Err(invalid(
            "it must be ASCII: percent-encode the path and write the host in punycode",
        ));
    }
    if url
        .chars()
        .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
    {
        return Err(invalid("it contains whitespace or a control character"));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| invalid("it is not absolute: it must start with http:// or https://"))?;
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        Scheme::Https
    } else if scheme.eq_ignore_ascii_case("http") {
        Scheme::Http
    } else {
        return Err(invalid("the scheme must be http or https"));
    };
    let rest = rest
        .split_once('#')
        .map_or(rest, |(before, _fragment)| before);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_with_query) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err(invalid(
            "credentials in the URL are not supported; send an Authorization header",
        ));
    }
    let host = check_port(authority).map_err(invalid)?;
    if host.is_empty() {
        return Err(invalid("it has no host"));
    }
    let path_with_query = match path_with_query.chars().next() {
        None => "/".to_owned(),
        Some('?') => format!("/{path_with_query}"),
        Some(_) => path_with_query.to_owned(),
    };
    Ok(Target {
        scheme,
        authority: authority.to_owned(),
        path_with_query,
    })
}

/// Checks the port of `authority`, if any, and returns the host part.
fn check_port(authority: &str) -> Result<&str, &'static str> {
    // The port follows the last `:`, unless that `:` is inside an IPv6 literal (`[::1]`).
    let port_start = match authority.rfind(':') {
        Some(colon) if !authority[colon..].contains(']') => colon,
        _ => return Ok(authority),
    };
    let (host, port) = (&authority[..port_start], &authority[port_start + 1..]);
    if port.is_empty() || port.parse::<u16>().is_err() {
        return Err("the port must be a number from 0 to 65535");
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        parse(url).unwrap_or_else(|err| panic!("{url}: {err}"))
    }

    fn reason(url: &str) -> &'static str {
        match parse(url) {
            Err(Error::InvalidUrl { reason, .. }) => reason,
            other => panic!("{url}: expected InvalidUrl, got {other:?}"),
        }
    }

    #[test]
    fn splits_scheme_authority_and_path() {
        let t = target("https://hooks.slack.com/services/T0/B0/X?a=1&b=2#frag");
        assert_eq!(t.scheme, Scheme::Https);
        assert_eq!(t.authority, "hooks.slack.com");
        assert_eq!(t.path_with_query, "/services/T0/B0/X?a=1&b=2");
    }

    #[test]
    fn keeps_the_port_and_defaults_the_path() {
        let t = target("HTTP://127.0.0.1:8080");
        assert_eq!(t.scheme, Scheme::Http);
        assert_eq!(t.authority, "127.0.0.1:8080");
        assert_eq!(t.path_with_query, "/");
        assert_eq!(target("http://example.com?q=1").path_with_query, "/?q=1");
    }

    #[test]
    fn accepts_ipv6_literals() {
        assert_eq!(target("http://[::1]:9000/x").authority, "[::1]:9000");
        assert_eq!(target("http://[::1]/x").authority, "[::1]");
    }

    #[test]
    fn refuses_malformed_urls_with_a_reason() {
        assert_eq!(
            reason("hooks.slack.com/x"),
            "it is not absolute: it must start with http:// or https://"
        );
        assert_eq!(
            reason("ftp://example.com/"),
            "the scheme must be http or https"
        );
        assert_eq!(reason("https:///path"), "it has no host");
        assert_eq!(
            reason("https://example.com:99999/"),
            "the port must be a number from 0 to 65535"
        );
        assert_eq!(
            reason("https://example.com:/"),
            "the port must be a number from 0 to 65535"
        );
        assert_eq!(
            reason("https://user:pw@example.com/"),
            "credentials in the URL are not supported; send an Authorization header"
        );
        assert_eq!(
            reason("https://example.com/a b"),
            "it contains whitespace or a control character"
        );
        assert_eq!(
            reason("https://exämple.com/"),
            "it must be ASCII: percent-encode the path and write the host in punycode"
        );
    }

    #[test]
    fn the_error_names_the_url() {
        let err = parse("nope").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid URL `nope`: it is not absolute: it must start with http:// or https://"
        );
    }
}
