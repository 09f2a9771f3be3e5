//! [`Error`]: why an HTTP request got no response.

use wasip2::http::types::ErrorCode;

/// Why [`Request::send`](super::Request::send) returned no [`Response`](super::Response).
///
/// A response with an error status (4xx, 5xx) is not an error: it is a `Response`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The URL is not an absolute, ASCII `http://` or `https://` URL.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The request cannot be made as built: a header is malformed or one the host forbids
    /// (`Host`, `Connection`, ...), or the JSON body did not serialise.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The host refused the request: its host is not in the manifest's `allowed_outbound_hosts`
    /// (or the destination is otherwise off limits).
    #[error(
        "the host denied the request: its destination is not in the plugin manifest's allowed_outbound_hosts"
    )]
    Denied,
    /// DNS, connecting, sending or receiving took too long; the text is the `wasi:http` error code.
    #[error("the request timed out ({0})")]
    Timeout(String),
    /// The response is larger than the host allows a plugin to receive.
    #[error("the response is larger than the host allows{}", limit_text(.limit))]
    TooLarge {
        /// The limit, in bytes, when the host said.
        limit: Option<u64>,
    },
    /// Any other failure to get a response (DNS, connection refused, TLS, protocol); the text is
    /// the `wasi:http` error code.
    #[error("HTTP transport error: {0}")]
    Transport(String),
}

fn limit_text(limit: &Option<u64>) -> String {
    limit.map_or_else(String::new, |limit| format!(" ({limit} bytes)"))
}

impl Error {
    /// Whether trying again later may succeed: [`Error::Timeout`] and [`Error::Transport`].
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Transport(_))
    }

    /// Classifies a `wasi:http` error code.
    pub(crate) fn from_code(code: &ErrorCode) -> Self {
        match code {
            ErrorCode::HttpRequestDenied | ErrorCode::DestinationIpProhibited => Self::Denied,
            ErrorCode::DnsTimeout
            | ErrorCode::ConnectionTimeout
            | ErrorCode::ConnectionReadTimeout
            | ErrorCode::ConnectionWriteTimeout
            | ErrorCode::HttpResponseTimeout => Self::Timeout(format!("{code:?}")),
            ErrorCode::HttpResponseBodySize(limit) => Self::TooLarge { limit: *limit },
            ErrorCode::HttpResponseHeaderSectionSize(_)
            | ErrorCode::HttpResponseHeaderSize(_)
            | ErrorCode::HttpResponseTrailerSectionSize(_)
            | ErrorCode::HttpResponseTrailerSize(_) => Self::TooLarge { limit: None },
            ErrorCode::HttpRequestMethodInvalid
            | ErrorCode::HttpRequestUriInvalid
            | ErrorCode::HttpRequestUriTooLong
            | ErrorCode::HttpRequestHeaderSectionSize(_)
            | ErrorCode::HttpRequestHeaderSize(_)
            | ErrorCode::HttpRequestBodySize(_)
            | ErrorCode::HttpRequestLengthRequired => Self::InvalidRequest(format!("{code:?}")),
            _ => Self::Transport(format!("{code:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_error_codes() {
        assert_eq!(
            Error::from_code(&ErrorCode::HttpRequestDenied),
            Error::Denied
        );
        assert_eq!(
            Error::from_code(&ErrorCode::ConnectionReadTimeout),
            Error::Timeout("ErrorCode::ConnectionReadTimeout".into())
        );
        assert_eq!(
            Error::from_code(&ErrorCode::HttpResponseBodySize(Some(1_048_576))),
            Error::TooLarge {
                limit: Some(1_048_576)
            }
        );
        assert_eq!(
            Error::from_code(&ErrorCode::ConnectionRefused),
            Error::Transport("ErrorCode::ConnectionRefused".into())
        );
        assert!(matches!(
            Error::from_code(&ErrorCode::InternalError(Some("boom".into()))),
            Error::Transport(text) if text.contains("boom")
        ));
        assert!(matches!(
            Error::from_code(&ErrorCode::HttpRequestUriInvalid),
            Error::InvalidRequest(_)
        ));
    }

    #[test]
    fn only_timeouts_and_transport_errors_are_transient() {
        assert!(Error::Timeout("t".into()).is_transient());
        assert!(Error::Transport("t".into()).is_transient());
        assert!(!Error::Denied.is_transient());
        assert!(!Error::TooLarge { limit: None }.is_transient());
        assert!(!Error::InvalidRequest("x".into()).is_transient());
    }

    #[test]
    fn too_large_says_the_limit_when_known() {
        assert_eq!(
            Error::TooLarge { limit: Some(10) }.to_string(),
            "the response is larger than the host allows (10 bytes)"
        );
        assert_eq!(
            Error::TooLarge { limit: None }.to_string(),
            "the response is larger than the host allows"
        );
    }
}
