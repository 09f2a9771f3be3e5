//! What can go wrong in the store.

use std::path::PathBuf;

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or set up.
    #[error("cannot open the store at {}: {source}; check that the folder exists and is writable", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// Another process holds the store.
    #[error(
        "the store at {} is in use by another smartreach-hooks process (lock file {}); stop it, or give this one its own data_dir",
        path.display(),
        lock.display()
    )]
    Locked {
        /// The database file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// Files of the store can be read or written by other users (group or others).
    #[error(
        "the store's files can be read or written by other users, and they hold personal data: {}; \
         make them private with `chmod 600 {}` (and its folder with `chmod 700`), then start again",
        files.iter().map(|(path, mode)| format!("{} is {mode:03o}", path.display())).collect::<Vec<_>>().join(", "),
        files.iter().map(|(path, _)| path.display().to_string()).collect::<Vec<_>>().join(" ")
    )]
    Exposed {
        /// Each exposed file with its permission bits.
        files: Vec<(PathBuf, u32)>,
    },
    /// The database file could not be created.
    #[error("cannot create the database file {}: {source}; check that its folder exists and is writable", path.display())]
    Create {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The lock file could not be created.
    #[error("cannot create the lock file {}: {source}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The database was written by a newer version of smartreach-hooks.
    #[error(
        "the store is at schema version {found}, newer than this build knows ({known}); run the newer smartreach-hooks, or restore a backup"
    )]
    NewerSchema {
        /// The version in the database.
        found: i64,
        /// The newest version this build has.
        known: i64,
    },
    /// A migration failed.
    #[error("migration {version} of the store failed: {source}")]
    Migration {
        /// Its version.
        version: i64,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// A query failed.
    #[error("store query `{query}` failed: {source}")]
    Query {
        /// Which operation.
        query: &'static str,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// A transaction holding this operation (and others committed with it) failed to commit.
    #[error("committing to the store failed: {message}; nothing of this operation was stored")]
    Commit {
        /// Why.
        message: String,
    },
    /// The store's writer thread is gone (the store was closed, or it panicked).
    #[error("the store is closed")]
    Closed,
    /// `store.url` is not a PostgreSQL connection URL.
    #[error(
        "store.url is not a PostgreSQL URL: {message}; write it as \
         postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
    )]
    PostgresUrl {
        /// What is wrong (never the URL itself, which may hold a password).
        message: String,
    },
    /// No PostgreSQL server answered at the URL's address.
    #[error(
        "cannot reach PostgreSQL at {target}: {message}; is the server running, and are the host \
         and port in store.url right?"
    )]
    PostgresUnreachable {
        /// `host:port/database`, without user or password.
        target: String,
        /// Why.
        message: String,
    },
    /// The server answered and refused: a wrong user or password, or no such database.
    #[error(
        "PostgreSQL at {target} refused the connection: {message}; check the user, password and \
         database in store.url"
    )]
    PostgresRefused {
        /// `host:port/database`.
        target: String,
        /// The server's message.
        message: String,
    },
    /// The user may not create the store's tables.
    #[error(
        "the PostgreSQL user `{user}` may not create the store's tables in {target}: {message}; \
         as the database's owner, grant it the right (GRANT CREATE ON SCHEMA public TO \"{user}\"), \
         or start once with the owner's URL so that the tables exist"
    )]
    PostgresNoRights {
        /// `host:port/database`.
        target: String,
        /// The user of the URL.
        user: String,
        /// The server's message.
        message: String,
    },
    /// A migration of the PostgreSQL store failed.
    #[error("migration {version} of the PostgreSQL store failed: {source}")]
    PostgresMigration {
        /// Its version.
        version: i64,
        /// Why.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A statement on PostgreSQL failed, or no connection could be had.
    #[error("PostgreSQL {operation} failed: {message}")]
    Postgres {
        /// What was being done.
        operation: &'static str,
        /// Why.
        message: String,
    },
}

impl StoreError {
    pub(crate) fn query(query: &'static str) -> impl FnOnce(rusqlite::Error) -> Self {
        move |source| Self::Query { query, source }
    }
}
