//! [`delivery_outcome`]: the usual [`Outcome`] of delivering an event over HTTP.

use super::{Error, Response};
use crate::Outcome;

/// How many characters of an error response's body go into the outcome's reason.
const SNIPPET_CHARS: usize = 200;

/// The [`Outcome`] of delivering an event with one HTTP request, as webhook senders treat it:
///
/// - 2xx: [`Outcome::Done`];
/// - 408, 429 and 5xx: [`Outcome::Retry`], after the response's `Retry-After` when it has one;
/// - any other status: [`Outcome::Failed`], with the status and the start of the body;
/// - a timeout or transport error ([`Error::is_transient`]): [`Outcome::Retry`];
/// - [`Error::Denied`], an invalid URL or request, a response too large: [`Outcome::Failed`].
pub fn delivery_outcome(result: &Result<Response, Error>) -> Outcome {
    match result {
        Ok(response) if response.is_success() => Outcome::Done,
        Ok(response) => {
            let reason = format!(
                "HTTP {}: {}",
                response.status,
                response.body_snippet(SNIPPET_CHARS)
            );
            let transient = matches!(response.status, 408 | 429 | 500..);
            match (transient, response.retry_after_ms()) {
                (true, Some(delay_ms)) => Outcome::retry_after(reason, delay_ms),
                (true, None) => Outcome::retry(reason),
                (false, _) => Outcome::failed(reason),
            }
        }
        Err(err) if err.is_transient() => Outcome::retry(err.to_string()),
        Err(err) => Outcome::failed(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, retry_after: Option<&str>, body: &str) -> Result<Response, Error> {
        Ok(Response {
            status,
            headers: retry_after
                .map(|value| vec![("retry-after".to_owned(), value.to_owned())])
                .unwrap_or_default(),
            body: body.as_bytes().to_vec(),
        })
    }

    #[test]
    fn success_is_done() {
        assert_eq!(delivery_outcome(&response(200, None, "ok")), Outcome::Done);
        assert_eq!(delivery_outcome(&response(204, None, "")), Outcome::Done);
    }

    #[test]
    fn rate_limits_and_server_errors_retry_after_the_asked_delay() {
        assert_eq!(
            delivery_outcome(&response(429, Some("7"), "slow down")),
            Outcome::retry_after("HTTP 429: slow down", 7000)
        );
        assert_eq!(
            delivery_outcome(&response(503, None, "")),
            Outcome::retry("HTTP 503: ")
        );
    }

    #[test]
    fn other_statuses_fail_with_a_snippet_of_the_body() {
        let long = "x".repeat(500);
        let outcome = delivery_outcome(&response(404, Some("5"), &long));
        let Outcome::Failed(reason) = outcome else {
            panic!("expected Failed, got {outcome:?}")
        };
        assert!(reason.starts_with("HTTP 404: xxx"), "{reason}");
        assert_eq!(reason.chars().count(), "HTTP 404: ".len() + 200 + 1);
    }

    #[test]
    fn transport_errors_retry_and_denials_fail() {
        assert_eq!(
            delivery_outcome(&Err(Error::Transport(
                "ErrorCode::ConnectionRefused".into()
            ))),
            Outcome::retry("HTTP transport error: ErrorCode::ConnectionRefused")
        );
        assert!(matches!(
            delivery_outcome(&Err(Error::Timeout("t".into()))),
            Outcome::Retry { .. }
        ));
        assert!(matches!(
            delivery_outcome(&Err(Error::Denied)),
            Outcome::Failed(reason) if reason.contains("allowed_outbound_hosts")
        ));
        assert!(matches!(
            delivery_outcome(&Err(Error::TooLarge { limit: None })),
            Outcome::Failed(_)
        ));
    }
}
