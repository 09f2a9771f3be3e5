//! `store.url` read as a PostgreSQL connection URL, and told back without its secrets.

use tokio_postgres::config::Host;

use crate::StoreError;

/// How long to wait for a connection unless the URL says (`connect_timeout=`).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A parsed `store.url`.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub(super) config: tokio_postgres::Config,
}

impl Target {
    /// Parses `url`. The error never repeats the URL, which may hold a password.
    pub(super) fn parse(url: &str) -> Result<Self, StoreError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::PostgresUrl {
                message: "it does not start with postgres:// or postgresql://".to_owned(),
            });
        }
        let mut config: tokio_postgres::Config =
            url.parse()
                .map_err(|err: tokio_postgres::Error| StoreError::PostgresUrl {
                    message: super::cause_chain(&err),
                })?;
        if config.get_hosts().is_empty() {
            return Err(StoreError::PostgresUrl {
                message: "it names no host".to_owned(),
            });
        }
        if config.get_user().is_none_or(str::is_empty) {
            return Err(StoreError::PostgresUrl {
                message: "it names no user".to_owned(),
            });
        }
        if config.get_dbname().is_none() {
            return Err(StoreError::PostgresUrl {
                message: "it names no database".to_owned(),
            });
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("smartreach-hooks");
        Ok(Self { config })
    }

    /// The user of the URL.
    pub(super) fn user(&self) -> &str {
        self.config.get_user().unwrap_or_default()
    }

    /// `host:port/database`: where, without who.
    pub(super) fn describe(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(name)) => name.clone(),
            Some(Host::Unix(path)) => path.display().to_string(),
            None => "?".to_owned(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!(
            "{host}:{port}/{}",
            self.config.get_dbname().unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_told_back_without_its_password() {
        let target = Target::parse("postgres://hooks:s3cret@db.internal:6543/events").unwrap();
        assert_eq!(target.describe(), "db.internal:6543/events");
        assert_eq!(target.user(), "hooks");
        assert_eq!(target.config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
    }

    #[test]
    fn what_a_url_lacks_is_named_and_the_url_is_not_repeated() {
        for (url, missing) in [
            ("mysql://hooks:s3cret@db/events", "postgres://"),
            ("postgres://hooks:s3cret@db:notaport/events", "port"),
            ("postgres://hooks:s3cret@db", "no database"),
            ("postgres://:s3cret@db/events", "no user"),
        ] {
            let err = Target::parse(url).unwrap_err().to_string();
            assert!(err.contains(missing), "{url}: {err}");
            assert!(!err.contains("s3cret"), "{url}: {err}");
            assert!(
                err.starts_with("store.url is not a PostgreSQL URL"),
                "{err}"
            );
        }
    }
}
