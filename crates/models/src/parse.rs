//! Entry points from bytes to a [`WebhookPayload`], with errors that say where and what.

use crate::WebhookPayload;

/// Why a webhook body is not a SmartReach payload.
///
/// Every variant carries the 1-based line and column where the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is not JSON (RFC 8259): the documentation's own examples are not, so senders that
    /// copy them fail here.
    #[error("webhook body is not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// What is wrong.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The body stops before the JSON value is complete (a truncated request).
    #[error(
        "webhook body ends early at line {line}, column {column}: {message}; was it truncated?"
    )]
    Truncated {
        /// What is wrong.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The body is JSON, but a field is missing or has the wrong type.
    #[error(
        "webhook payload does not match the SmartReach schema at `{path}`: {message} (line {line}, column {column})"
    )]
    Shape {
        /// The JSON path of the offending field, e.g. `data[0].prospect.prospect_id`; `.` is the
        /// whole body.
        path: String,
        /// What is wrong, e.g. `invalid type: string "abc", expected i64`.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
}

/// Parses a webhook body, then [normalises](WebhookPayload::normalize) it.
///
/// An integer field written as a whole float (`7854240.0`), which JSON Schema counts as an
/// integer, is read as that integer ([`crate::whole_numbers`]).
pub fn parse(body: &[u8]) -> Result<WebhookPayload, ParseError> {
    let mut payload = match parse_strict(body) {
        Err(err @ ParseError::Shape { .. }) => with_integers_restored(body).ok_or(err)?,
        other => other?,
    };
    payload.normalize();
    Ok(payload)
}

/// The body as written, integers only from integer tokens.
fn parse_strict(body: &[u8]) -> Result<WebhookPayload, ParseError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let payload: WebhookPayload =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
            let path = err.path().to_string();
            ParseError::new(err.into_inner(), path)
        })?;
    // Trailing characters after the JSON value.
    deserializer
        .end()
        .map_err(|err| ParseError::new(err, ".".to_owned()))?;
    Ok(payload)
}

/// The body read again with its whole floats made integers; `None` when it has none or still
/// does not fit (the strict read's error, with its line and column, is then the answer).
fn with_integers_restored(body: &[u8]) -> Option<WebhookPayload> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let value = crate::whole_numbers::integers_restored(value)?;
    serde_json::from_value(value).ok()
}

/// [`parse`] for a string.
pub fn parse_str(body: &str) -> Result<WebhookPayload, ParseError> {
    parse(body.as_bytes())
}

impl ParseError {
    fn new(err: serde_json::Error, path: String) -> Self {
        let (line, column) = (err.line(), err.column());
        // serde_json's message ends in " at line L column C"; the position is reported separately.
        let message = err.to_string();
        let message = match message.rfind(" at line ") {
            Some(cut) => message[..cut].to_owned(),
            None => message,
        };
        match err.classify() {
            serde_json::error::Category::Eof => Self::Truncated {
                message,
                line,
                column,
            },
            serde_json::error::Category::Data => Self::Shape {
                path,
                message,
                line,
                column,
            },
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => Self::Syntax {
                message,
                line,
                column,
            },
        }
    }

    /// The JSON path of the offending field, for shape errors.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Shape { path, .. } => Some(path),
            Self::Syntax { .. } | Self::Truncated { .. } => None,
        }
    }
}
