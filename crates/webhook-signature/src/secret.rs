//! A signing secret as written in configuration: `whsec_` and the standard base64 of its bytes.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// The prefix every Standard Webhooks secret is written with.
pub const SECRET_PREFIX: &str = "whsec_";

/// The fewest bytes a secret may have: shorter keys are guessable.
pub const MIN_SECRET_BYTES: usize = 16;

/// How to write a secret, for error messages.
pub const SECRET_HINT: &str = "write the secret as the sender shows it: whsec_ followed by the \
                               standard base64 of at least 16 random bytes \
                               (like whsec_$(openssl rand -base64 32))";

/// Standard base64, with or without padding: senders differ, and padding adds no information.
const SECRET_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a written secret cannot be used. The secret itself is never part of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// It does not start with `whsec_`: likely a token or a half-copied value.
    #[error("the secret does not start with whsec_")]
    MissingPrefix,
    /// What follows the prefix is not standard base64.
    #[error("the secret is not standard base64 after the whsec_ prefix ({0})")]
    NotBase64(String),
    /// It decodes to fewer than [`MIN_SECRET_BYTES`] bytes.
    #[error("the secret decodes to {0} bytes, fewer than {MIN_SECRET_BYTES}")]
    TooShort(usize),
}

/// Decodes a secret written as `whsec_BASE64` (surrounding whitespace ignored) into its key bytes.
pub fn decode_secret(written: &str) -> Result<Vec<u8>, SecretError> {
    let encoded = written
        .trim()
        .strip_prefix(SECRET_PREFIX)
        .ok_or(SecretError::MissingPrefix)?;
    let bytes = SECRET_BASE64
        .decode(encoded)
        .map_err(|err| SecretError::NotBase64(err.to_string()))?;
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(SecretError::TooShort(bytes.len()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_with_or_without_padding() {
        let key = b"0123456789abcdef".to_vec();
        assert_eq!(
            decode_secret("whsec_MDEyMzQ1Njc4OWFiY2RlZg=="),
            Ok(key.clone())
        );
        assert_eq!(decode_secret(" whsec_MDEyMzQ1Njc4OWFiY2RlZg\n"), Ok(key));
    }

    #[test]
    fn refuses_what_is_not_a_whsec_secret() {
        assert_eq!(
            decode_secret("MDEyMzQ1Njc4OWFiY2RlZg=="),
            Err(SecretError::MissingPrefix)
        );
        assert!(matches!(
            decode_secret("whsec_not*base64"),
            Err(SecretError::NotBase64(_))
        ));
        assert_eq!(
            decode_secret("whsec_c2hvcnQ="),
            Err(SecretError::TooShort(5))
        );
    }
}
