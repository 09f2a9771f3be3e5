//! `[store]`: which store the host keeps its webhooks in. `store.path` (or a path in `store.url`)
//! is the embedded SQLite file; a `postgres://` or `postgresql://` URL in `store.url` is the
//! PostgreSQL store that several hosts can share. The URL may hold a password, so it is kept in a
//! type that never shows it.

use std::fmt;
use std::path::{Path, PathBuf};

/// The store the host uses.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// The embedded SQLite store in this file: `store.path` (default
    /// `{data_dir}/smartreach-hooks.db`), or a path written in `store.url`.
    Sqlite(PathBuf),
    /// The PostgreSQL store: `store.url` starting with `postgres://` or `postgresql://`.
    Postgres(PostgresUrl),
}

impl StoreConfig {
    /// The SQLite file, when the store is SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            StoreConfig::Sqlite(path) => Some(path),
            StoreConfig::Postgres(_) => None,
        }
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreConfig::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            StoreConfig::Postgres(url) => f.debug_tuple("Postgres").field(url).finish(),
        }
    }
}

/// A PostgreSQL connection URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?OPTIONS]`.
/// Its `Debug` shows it without the password and the options (which may hold one too); there is
/// no `Display`, so that it cannot end up in a message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(String);

impl PostgresUrl {
    /// Whether `text` is written as a PostgreSQL URL (`postgres://` or `postgresql://`).
    pub fn is_postgres(text: &str) -> bool {
        scheme_of(text).is_some_and(|scheme| {
            scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql")
        })
    }

    pub(crate) fn new(url: String) -> Self {
        Self(url)
    }

    /// The URL as written, password included: for connecting, never for showing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL without its secrets: the password and the options are replaced by `<redacted>`.
    pub fn redacted(&self) -> String {
        let (scheme, rest) = self.0.split_once("://").unwrap_or(("", &self.0));
        let (base, options) = match rest.split_once('?') {
            Some((base, _)) => (base, "?<redacted>"),
            None => (rest, ""),
        };
        // The user part ends at the last `@`: a password may hold one, a host cannot.
        let base = match base.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:<redacted>@{host}"),
                None => format!("{userinfo}@{host}"),
            },
            None => base.to_owned(),
        };
        format!("{scheme}://{base}{options}")
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

/// The scheme of `text` when it is written as `scheme://...` with a scheme of URL characters.
pub(crate) fn scheme_of(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once("://")?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    valid.then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_and_the_options_are_never_shown() {
        let cases = [
            (
                "postgres://hooks:s3cret@db.internal:5432/events",
                "postgres://hooks:<redacted>@db.internal:5432/events",
            ),
            (
                "postgresql://hooks:p@ss:w@rd@db/events?sslmode=disable&password=s3cret",
                "postgresql://hooks:<redacted>@db/events?<redacted>",
            ),
            ("postgres://hooks@db/events", "postgres://hooks@db/events"),
            ("postgres://db/events", "postgres://db/events"),
        ];
        for (url, shown) in cases {
            let url = PostgresUrl::new(url.to_owned());
            assert_eq!(url.redacted(), shown);
            let debug = format!("{:?}", StoreConfig::Postgres(url.clone()));
            assert!(
                !debug.contains("s3cret") && !debug.contains("ss:w"),
                "{debug}"
            );
            assert_eq!(debug, format!("Postgres({shown:?})"));
        }
    }

    #[test]
    fn only_postgres_schemes_are_postgres() {
        for url in ["postgres://a@b/c", "postgresql://a@b/c", "POSTGRES://a@b/c"] {
            assert!(PostgresUrl::is_postgres(url), "{url}");
        }
        for text in [
            "data/hooks.db",
            "/var/lib/hooks.db",
            "mysql://a@b/c",
            "postgres:/a",
        ] {
            assert!(!PostgresUrl::is_postgres(text), "{text}");
        }
        assert_eq!(scheme_of("mysql://a@b/c"), Some("mysql"));
        assert_eq!(scheme_of("pass word://x"), None);
        assert_eq!(scheme_of("data/hooks.db"), None);
    }
}
