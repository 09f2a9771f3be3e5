//! The pool of connections, and what a failed first connection means.

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use tokio_postgres::NoTls;

use super::cause_chain;
use super::url::Target;
use crate::StoreError;

/// Connections per host: the claim loop, the ingest handlers and the admin reads share them.
const POOL_SIZE: usize = 16;

/// A pool for `target`; connects lazily.
pub(super) fn pool(target: &Target) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        target.config.clone(),
        NoTls,
        ManagerConfig {
            // A connection handed back after an error is checked before it is reused.
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .build()
        .map_err(|err| StoreError::Postgres {
            operation: "building the connection pool",
            message: err.to_string(),
        })
}

/// The first connection of a start: its failure says whether the server is unreachable or
/// refused, which the operator fixes in different places.
pub(super) async fn first(pool: &Pool, target: &Target) -> Result<Object, StoreError> {
    pool.get().await.map_err(|err| match err {
        PoolError::Backend(err) => match err.as_db_error() {
            // The server answered: a wrong password, an unknown user or database.
            Some(db) => StoreError::PostgresRefused {
                target: target.describe(),
                message: db.message().to_owned(),
            },
            None => StoreError::PostgresUnreachable {
                target: target.describe(),
                message: cause_chain(&err),
            },
        },
        other => StoreError::PostgresUnreachable {
            target: target.describe(),
            message: other.to_string(),
        },
    })
}

/// A connection while serving. A pooled connection whose server side went away (the server
/// restarted, or ended the backend) is dropped from the pool rather than handed out: `Fast`
/// recycling does not test it, and handing it out would fail one request per dead connection.
pub(super) async fn get(pool: &Pool) -> Result<Object, StoreError> {
    // Every pooled connection may be dead after a restart of the server; one more is a new one.
    for _ in 0..=POOL_SIZE {
        let client = pool.get().await.map_err(|err| StoreError::Postgres {
            operation: "getting a connection",
            message: match &err {
                PoolError::Backend(err) => cause_chain(err),
                other => other.to_string(),
            },
        })?;
        if !client.is_closed() {
            return Ok(client);
        }
        drop(Object::take(client));
    }
    Err(StoreError::Postgres {
        operation: "getting a connection",
        message: format!(
            "{} connections in a row were closed by the server",
            POOL_SIZE + 1
        ),
    })
}
