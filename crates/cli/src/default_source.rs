//! The source used when none is configured: one token, generated at the first start and kept in
//! the data folder, so that the host runs out of the box and its URL stays the same.

use std::io::Write;
use std::path::{Path, PathBuf};

use smartreach_config::SourceConfig;

/// The file holding the generated token.
pub fn token_file(data_dir: &Path) -> PathBuf {
    data_dir.join("ingest-token")
}

/// The default source, with the token from [`token_file`], created when missing.
pub fn default_source(data_dir: &Path) -> std::io::Result<SourceConfig> {
    let path = token_file(data_dir);
    let token = match std::fs::read_to_string(&path) {
        Ok(token) => token.trim().to_owned(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let token = new_token()?;
            let mut file = create_private(&path)?;
            file.write_all(token.as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            token
        }
        Err(err) => return Err(err),
    };
    if token.len() < 16 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} holds a token shorter than 16 characters; delete the file to generate a new one",
                path.display()
            ),
        ));
    }
    Ok(SourceConfig {
        name: "smartreach".to_owned(),
        tokens: vec![token],
        signing_secrets: Vec::new(),
    })
}

/// 32 random bytes from the operating system, as hex.
fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = default_source(dir.path()).unwrap();
        let second = default_source(dir.path()).unwrap();
        assert_eq!(first.tokens, second.tokens);
        assert_eq!(first.tokens[0].len(), 64);
        let other = tempfile::tempdir().unwrap();
        assert_ne!(default_source(other.path()).unwrap().tokens, first.tokens);
    }
}
