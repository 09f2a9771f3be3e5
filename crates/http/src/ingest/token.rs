//! Which source a presented token belongs to, found in constant time.
//!
//! Tokens are compared as SHA-256 digests: every digest is 32 bytes, so neither the length of a
//! configured token nor the length of a guess shows in the timing, and every configured token is
//! compared on every lookup, so the position of a match does not show either.

use sha2::{Digest, Sha256};
use smartreach_config::SourceConfig;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// The tokens of all sources, as digests, each with the index of its source.
#[derive(Clone)]
pub struct Tokens {
    digests: Vec<([u8; 32], usize)>,
}

impl Tokens {
    /// Hashes every token of `sources`. Configuration validation keeps tokens unique across
    /// sources; were one listed twice, [`Tokens::find`] would return its last source.
    pub fn new(sources: &[SourceConfig]) -> Self {
        let digests = sources
            .iter()
            .enumerate()
            .flat_map(|(index, source)| {
                source
                    .tokens
                    .iter()
                    .map(move |token| (digest(token), index))
            })
            .collect();
        Self { digests }
    }

    /// The index in `sources` of the source whose token `presented` is, or `None`. Takes the same
    /// time whatever `presented` is and whichever token it matches.
    pub fn find(&self, presented: &str) -> Option<usize> {
        let presented = digest(presented);
        let mut found = Choice::from(0);
        let mut index = 0u64;
        for (digest, source) in &self.digests {
            let matches = digest.ct_eq(&presented);
            // usize to u64 is lossless on every target Rust supports.
            index.conditional_assign(&(*source as u64), matches);
            found |= matches;
        }
        bool::from(found).then_some(index as usize)
    }

    /// Whether no source has a token, so that no request can be attributed.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Digests of short or guessable tokens could be brute-forced offline: show only the count.
        f.debug_struct("Tokens")
            .field("count", &self.digests.len())
            .finish_non_exhaustive()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, tokens: &[&str]) -> SourceConfig {
        SourceConfig {
            name: name.into(),
            tokens: tokens.iter().map(|t| t.to_string()).collect(),
            signing_secrets: Vec::new(),
        }
    }

    fn tokens() -> Tokens {
        Tokens::new(&[
            source("a", &["token-of-a-0000001", "token-of-a-0000002"]),
            source("b", &["token-of-b-0000001"]),
        ])
    }

    #[test]
    fn each_token_finds_its_source() {
        let tokens = tokens();
        assert_eq!(tokens.find("token-of-a-0000001"), Some(0));
        assert_eq!(tokens.find("token-of-a-0000002"), Some(0));
        assert_eq!(tokens.find("token-of-b-0000001"), Some(1));
    }

    #[test]
    fn anything_else_finds_nothing() {
        let tokens = tokens();
        for guess in [
            "",
            "token-of-a-000000",
            "token-of-a-00000010",
            "TOKEN-OF-A-0000001",
            "token-of-c-0000001",
        ] {
            assert_eq!(tokens.find(guess), None, "{guess:?}");
        }
    }

    #[test]
    fn no_sources_means_empty_and_no_match() {
        let tokens = Tokens::new(&[]);
        assert!(tokens.is_empty());
        assert_eq!(tokens.find(""), None);
        assert!(!self::tokens().is_empty());
        assert!(Tokens::new(&[source("a", &[])]).is_empty());
    }

    #[test]
    fn debug_shows_no_digest() {
        let debug = format!("{:?}", tokens());
        assert_eq!(debug, "Tokens { count: 3, .. }");
    }
}
