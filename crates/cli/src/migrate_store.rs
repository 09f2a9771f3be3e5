//! `smartreach-hooks migrate-store --from PATH --to URL`: moves a host from its SQLite store to
//! a PostgreSQL store. The target is migrated to the newest schema (its tables are created) and
//! must be empty; the copy keeps every id and is one transaction (`PostgresStore::import_sqlite`).

use smartreach_store::{ImportError, Imported, PostgresStore, StoreError};

use crate::cli::MigrateStoreArgs;

/// Why the copy did not happen. Nothing was written to the target in any case.
#[derive(Debug, thiserror::Error)]
pub enum MigrateStoreError {
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The target could not be connected to or migrated (its error says which and what to do).
    #[error(transparent)]
    Target(#[from] StoreError),
    /// The copy was refused or failed.
    #[error(transparent)]
    Import(#[from] ImportError),
}

/// Copies, and says what was copied.
pub fn run(args: &MigrateStoreArgs) -> Result<String, MigrateStoreError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(MigrateStoreError::Runtime)?;
    runtime.block_on(async {
        let target = PostgresStore::connect(&args.to).await?;
        let imported = target.import_sqlite(&args.from).await?;
        Ok(report(
            &args.from.display().to_string(),
            target.target(),
            &imported,
        ))
    })
}

fn report(from: &str, to: &str, imported: &Imported) -> String {
    let requeued = match imported.requeued {
        0 => String::new(),
        n => format!(" ({n} left running by the stopped host, now pending: they run again)"),
    };
    let controls = match imported.controls {
        0 => String::new(),
        n => format!("\x20 controls    {n} (plugins paused, held back or rate-limited)\n"),
    };
    format!(
        "copied the SQLite store {from} to PostgreSQL {to}:\n\
         \x20 webhooks    {}\n\
         \x20 events      {}\n\
         \x20 deliveries  {}{requeued}\n\
         \x20 attempts    {}\n\
         {controls}\
         Start the hosts with store.url set to this database (SMARTREACH_HOOKS_STORE__URL); keep \
         {from} until they run well: the copy left it as it was, and a host started on it again \
         would deliver what it holds a second time.\n",
        imported.webhooks, imported.events, imported.deliveries, imported.attempts
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_the_counts_and_the_requeued() {
        let imported = Imported {
            webhooks: 3,
            events: 4,
            deliveries: 8,
            attempts: 9,
            controls: 1,
            requeued: 2,
        };
        let text = report("data/hooks.db", "db:5432/hooks", &imported);
        assert!(text.contains("webhooks    3\n"), "{text}");
        assert!(text.contains("deliveries  8 (2 left running"), "{text}");
        assert!(text.contains("attempts    9\n"), "{text}");
        assert!(text.contains("controls    1 (plugins paused"), "{text}");
        let none = report("a", "b", &Imported::default());
        assert!(!none.contains("left running"), "{none}");
        assert!(!none.contains("controls"), "{none}");
    }
}
