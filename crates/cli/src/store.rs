//! Opens the store the configuration names: the SQLite file (`store.path`, or a path in
//! `store.url`) or the PostgreSQL database of a `postgres://` URL. A store that cannot be opened
//! stops the start with the store's own error, which says which problem it is and what to do
//! (and never repeats the URL, which may hold a password).

use std::path::Path;
use std::sync::Arc;

use smartreach_config::StoreConfig;
use smartreach_http::StoreTarget;
use smartreach_store::{PostgresStore, SqliteStore, Store};

use crate::folders::{self, Privacy};
use crate::serve::ServeError;

/// An open store.
pub struct Opened {
    /// What the host uses.
    pub store: Arc<dyn Store>,
    /// Where it keeps its data, for `/readyz` and the log.
    pub target: StoreTarget,
    /// The PostgreSQL store, when it is that one: other hosts' new work wakes this host's
    /// dispatcher through it.
    pub postgres: Option<Arc<PostgresStore>>,
}

/// Opens the store of `config`; `data_dir` is prepared already.
pub async fn open(config: &StoreConfig, data_dir: &Path) -> Result<Opened, ServeError> {
    match config {
        StoreConfig::Sqlite(path) => {
            // Not the data folder again; the store's own folder when it lies elsewhere.
            if let Some(parent) = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty() && *p != data_dir)
            {
                folders::prepare(parent, "store.path", Privacy::Private)?;
            }
            let store = SqliteStore::open(path)?;
            if store.recovered_at_open() > 0 {
                tracing::warn!(
                    deliveries = store.recovered_at_open(),
                    "the previous run stopped with deliveries in flight; they run again"
                );
            }
            let target = StoreTarget::Sqlite(path.clone());
            tracing::info!(store = %target, "store open: SQLite, this host's own");
            Ok(Opened {
                store: Arc::new(store),
                target,
                postgres: None,
            })
        }
        StoreConfig::Postgres(url) => {
            let store = Arc::new(PostgresStore::connect(url.expose()).await?);
            let target = StoreTarget::Postgres(store.target().to_owned());
            tracing::info!(store = %target, "store open: PostgreSQL, shared by every host on it");
            Ok(Opened {
                store: Arc::clone(&store) as Arc<dyn Store>,
                target,
                postgres: Some(store),
            })
        }
    }
}
