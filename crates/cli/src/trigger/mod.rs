//! `smartreach-hooks trigger EVENT_TYPE`: sends the sample of an event type to a running host, as
//! SmartReach would (`POST /hooks/smartreach/{token}`), optionally signed; `trigger --list` lists
//! the samples.

pub mod fresh;
pub mod samples;

use std::fmt::Write as _;
use std::path::PathBuf;

use smartreach_models::EventType;
use smartreach_store::now_ms;

use crate::cli::TriggerArgs;
use crate::client::{ClientError, Http, path_segment, pretty, problem_of};
use crate::default_source::token_file;
use smartreach_webhook_signature::{ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};

/// Why a sample could not be sent, or was refused.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// The event type names no sample.
    #[error(
        "no sample of `{name}`: SmartReach documents 13 event types, and \
         `smartreach-hooks trigger --list` lists them"
    )]
    UnknownType {
        /// The name as given.
        name: String,
    },
    /// No `--token`, and the generated token file cannot be read.
    #[error(
        "no ingest token: --token was not given and {} cannot be read ({source}); pass --token, \
         or --data-dir with the host's data folder (a host with [[sources]] configured takes \
         their tokens, not a generated one)",
        path.display()
    )]
    NoToken {
        /// The token file.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// `--secret` is not `whsec_` + base64.
    #[error(
        "--secret is not a Standard Webhooks secret ({message}); give it as the source's \
         signing_secrets lists it: whsec_ followed by standard base64"
    )]
    BadSecret {
        /// What is wrong.
        message: String,
    },
    /// The host could not be reached or refused the webhook.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// The one-line-per-type list of `trigger --list`.
pub fn list() -> String {
    let width = samples::SAMPLES
        .iter()
        .map(|sample| sample.event_type.as_str().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for sample in &samples::SAMPLES {
        let name = sample.event_type.as_str();
        let _ = writeln!(out, "{name:<width$}  {}", sample.description);
    }
    out
}

/// Sends the sample of `args.event_type` and returns what to print. A non-2xx answer is an error
/// carrying the host's problem.
pub fn run(args: &TriggerArgs) -> Result<String, TriggerError> {
    if args.list {
        return Ok(list());
    }
    let name = args.event_type.as_deref().unwrap_or_default();
    let event_type = match name.parse::<EventType>() {
        Ok(EventType::Documented(event_type)) => event_type,
        _ => {
            return Err(TriggerError::UnknownType {
                name: name.to_owned(),
            });
        }
    };
    let sample = samples::sample(event_type);
    let http = Http::new(&args.url)?;
    let token = match &args.token {
        Some(token) => token.trim().to_owned(),
        None => read_token(&args.data_dir)?,
    };
    let secret = args.secret.as_deref().map(decode_secret).transpose()?;

    let now = now_ms();
    // One id per send: its 80 random bits keep two sends apart even in the same millisecond (an
    // identical body would be acknowledged as a redelivery and not run).
    let id = smartreach_http::ids::webhook_id(now);
    let body = fresh::freshen(sample.body, now, &format!("trg_{id}"));
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    if let Some(secret) = &secret {
        let id = format!("msg_{id}");
        let timestamp = now / 1_000;
        headers.push((SIGNATURE_HEADER, sign(secret, &id, timestamp, &body)));
        headers.push((ID_HEADER, id));
        headers.push((TIMESTAMP_HEADER, timestamp.to_string()));
    }
    let path = format!("/hooks/smartreach/{}", path_segment(&token));
    let answer = http.post(&path, &headers, &body)?;
    if !(200..300).contains(&answer.status) {
        return Err(problem_of(&answer).into());
    }

    let items = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|payload| payload["data"].as_array().map(Vec::len))
        .unwrap_or(0);
    let mut out = format!(
        "sent {} ({items} item{}{}) to {}\n{} {}\n",
        event_type.as_str(),
        if items == 1 { "" } else { "s" },
        if secret.is_some() { ", signed" } else { "" },
        http.base(),
        answer.status,
        http::StatusCode::from_u16(answer.status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or(""),
    );
    match serde_json::from_str::<serde_json::Value>(&answer.body) {
        Ok(json) => {
            out.push_str(&pretty(&json));
            if json["duplicate"] == true {
                out.push_str(
                    "the host already had this exact body: acknowledged as a redelivery, not \
                     processed again\n",
                );
            }
        }
        Err(_) => {
            out.push_str(&answer.body);
            out.push('\n');
        }
    }
    Ok(out)
}

fn read_token(data_dir: &std::path::Path) -> Result<String, TriggerError> {
    let path = token_file(data_dir);
    match std::fs::read_to_string(&path) {
        Ok(token) if !token.trim().is_empty() => Ok(token.trim().to_owned()),
        Ok(_) => Err(TriggerError::NoToken {
            path,
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "the file is empty"),
        }),
        Err(source) => Err(TriggerError::NoToken { path, source }),
    }
}

/// The key of `--secret`, read as the host reads `signing_secrets`.
fn decode_secret(secret: &str) -> Result<Vec<u8>, TriggerError> {
    smartreach_webhook_signature::decode_secret(secret).map_err(|err| TriggerError::BadSecret {
        message: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_every_type_once() {
        let text = list();
        assert_eq!(text.lines().count(), 13);
        for event_type in smartreach_models::DocumentedEventType::ALL {
            assert_eq!(
                text.lines()
                    .filter(|line| line.starts_with(&format!("{} ", event_type.as_str())))
                    .count(),
                1,
                "{event_type}"
            );
        }
        assert!(text.contains("activity.email.opened                 an email is opened"));
    }

    #[test]
    fn secrets_decode_as_the_host_decodes_them() {
        assert_eq!(
            decode_secret("whsec_MDEyMzQ1Njc4OWFiY2RlZg==").unwrap(),
            b"0123456789abcdef"
        );
        let err = decode_secret("MDEyMzQ1Njc4OWFiY2RlZg").unwrap_err();
        assert!(
            err.to_string().contains("does not start with whsec_"),
            "{err}"
        );
        let err = decode_secret("whsec_%%%").unwrap_err();
        assert!(err.to_string().contains("--secret is not"), "{err}");
        assert!(decode_secret("whsec_").is_err());
    }

    #[test]
    fn a_missing_token_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_token(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("ingest-token") && text.contains("--token"),
            "{text}"
        );
        std::fs::write(dir.path().join("ingest-token"), "abcdefghijklmnopq\n").unwrap();
        assert_eq!(read_token(dir.path()).unwrap(), "abcdefghijklmnopq");
    }

    #[test]
    fn unknown_types_are_refused_and_legacy_names_accepted() {
        let args = |name: &str| TriggerArgs {
            event_type: Some(name.to_owned()),
            list: false,
            url: "http://127.0.0.1:1".into(),
            token: Some("t".repeat(16)),
            data_dir: "data".into(),
            secret: None,
        };
        let err = run(&args("activity.linkedin.connected")).unwrap_err();
        assert!(matches!(err, TriggerError::UnknownType { .. }), "{err}");
        // A legacy name finds its sample and gets as far as the (absent) host.
        let err = run(&args("email_opened")).unwrap_err();
        assert!(
            matches!(err, TriggerError::Client(ClientError::Unreachable { .. })),
            "{err}"
        );
    }
}
