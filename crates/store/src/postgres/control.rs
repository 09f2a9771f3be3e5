//! The delivery controls of plugins, for every host on the database: pausing and resuming,
//! holding back until a time, and reading them back.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{execute, query};
use crate::control::PluginControl;
use crate::{StoreError, Timestamp};

/// The columns [`control`] reads, with the time to compare `held_until` with as `$1`.
const COLUMNS: &str = "plugin, paused_at,
    CASE WHEN held_until > $1 THEN held_until END,
    CASE WHEN held_until > $1 THEN held_because END";

fn control(row: &Row) -> PluginControl {
    PluginControl {
        plugin: row.get(0),
        paused_since: row.get(1),
        held_until: row.get(2),
        held_because: row.get(3),
    }
}

/// Pauses or resumes `plugin` (one statement: its own transaction). Pausing a paused plugin
/// keeps the time it was first paused; resuming also ends a hold.
pub(super) async fn set_paused(
    client: &impl GenericClient,
    plugin: &str,
    paused: bool,
    now: Timestamp,
) -> Result<PluginControl, StoreError> {
    let rows = query(
        client,
        "pause or resume a plugin",
        &format!(
            "INSERT INTO plugin_controls AS c (plugin, paused_at, updated_at)
             VALUES ($2, CASE WHEN $3 THEN $1::BIGINT END, $1)
             ON CONFLICT (plugin) DO UPDATE
             SET paused_at = CASE WHEN $3 THEN COALESCE(c.paused_at, $1) END,
                 held_until = CASE WHEN $3 THEN c.held_until END,
                 held_because = CASE WHEN $3 THEN c.held_because END,
                 updated_at = $1
             RETURNING {COLUMNS}"
        ),
        &[&now, &plugin, &paused],
    )
    .await?;
    Ok(rows.first().map(control).unwrap_or_else(|| PluginControl {
        plugin: plugin.to_owned(),
        paused_since: None,
        held_until: None,
        held_because: None,
    }))
}

/// Holds `plugin`'s deliveries back until `until`, unless they are held longer already.
pub(super) async fn hold(
    client: &impl GenericClient,
    plugin: &str,
    until: Timestamp,
    because: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute(
        client,
        "hold a plugin's deliveries back",
        "INSERT INTO plugin_controls AS c (plugin, held_until, held_because, updated_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (plugin) DO UPDATE
         SET held_because = CASE WHEN COALESCE(c.held_until, 0) < $2 THEN $3
                                 ELSE c.held_because END,
             held_until = GREATEST(COALESCE(c.held_until, 0), $2),
             updated_at = $4",
        &[&plugin, &until, &because, &now],
    )
    .await?;
    Ok(())
}

/// Every plugin paused, or held back past `now`, by name.
pub(super) async fn plugin_controls(
    client: &impl GenericClient,
    now: Timestamp,
) -> Result<Vec<PluginControl>, StoreError> {
    let rows = query(
        client,
        "read the plugins' controls",
        &format!(
            "SELECT {COLUMNS} FROM plugin_controls
             WHERE paused_at IS NOT NULL OR held_until > $1 ORDER BY plugin"
        ),
        &[&now],
    )
    .await?;
    Ok(rows.iter().map(control).collect())
}
