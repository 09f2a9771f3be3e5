//! The bench on the PostgreSQL store (`--store postgres`): the seeded SQLite store is copied into
//! a database of the bench's own by the host's own `migrate-store`, which is how an operator
//! moves a store, then vacuumed and analysed as autovacuum would be a minute later.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bench::postgres::{BenchDatabase, connect};

/// A new database holding a copy of the SQLite store at `sqlite` (by `binary migrate-store`),
/// vacuumed and analysed; dropped when the result goes out of scope.
pub fn fill(binary: &Path, sqlite: &Path) -> Result<BenchDatabase> {
    let database = BenchDatabase::create("console")?;
    println!(
        "bench-console: copying the store into PostgreSQL database {} (migrate-store)",
        database.name()
    );
    let started = std::time::Instant::now();
    let status = Command::new(binary)
        .arg("migrate-store")
        .arg("--from")
        .arg(sqlite)
        .arg("--to")
        .arg(database.url())
        .env_remove("SMARTREACH_HOOKS_STORE__URL")
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| format!("starting {} migrate-store", binary.display()))?;
    if !status.success() {
        bail!(
            "`{} migrate-store` into database {} failed ({status}); what it wrote above says why",
            binary.display(),
            database.name()
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting a runtime for VACUUM ANALYZE")?;
    runtime.block_on(async {
        connect(&database.url())
            .await?
            .batch_execute("VACUUM ANALYZE")
            .await
            .with_context(|| format!("VACUUM ANALYZE in database {}", database.name()))
    })?;
    println!(
        "bench-console: copied, vacuumed and analysed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(database)
}
