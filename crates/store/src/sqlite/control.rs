//! The delivery controls of plugins: pausing and resuming, holding back until a time, and
//! reading them back.

use rusqlite::{Connection, OptionalExtension, Row};

use crate::control::PluginControl;
use crate::{StoreError, Timestamp};

/// The columns [`control`] reads, with the time to compare `held_until` with as `?1`.
const COLUMNS: &str = "plugin, paused_at,
    CASE WHEN held_until > ?1 THEN held_until END,
    CASE WHEN held_until > ?1 THEN held_because END";

fn control(row: &Row<'_>) -> rusqlite::Result<PluginControl> {
    Ok(PluginControl {
        plugin: row.get(0)?,
        paused_since: row.get(1)?,
        held_until: row.get(2)?,
        held_because: row.get(3)?,
    })
}

/// Pauses or resumes `plugin`. Pausing a paused plugin keeps the time it was first paused;
/// resuming also ends a hold.
pub(super) fn set_paused(
    conn: &Connection,
    plugin: &str,
    paused: bool,
    now: Timestamp,
) -> Result<PluginControl, StoreError> {
    conn.prepare_cached(
        "INSERT INTO plugin_controls (plugin, paused_at, updated_at)
         VALUES (?1, CASE WHEN ?2 THEN ?3 END, ?3)
         ON CONFLICT (plugin) DO UPDATE
         SET paused_at = CASE WHEN ?2 THEN COALESCE(plugin_controls.paused_at, ?3) END,
             held_until = CASE WHEN ?2 THEN plugin_controls.held_until END,
             held_because = CASE WHEN ?2 THEN plugin_controls.held_because END,
             updated_at = ?3",
    )
    .and_then(|mut statement| statement.execute((plugin, paused, now)))
    .map_err(StoreError::query("pause or resume a plugin"))?;
    let found = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM plugin_controls WHERE plugin = ?2"
        ))
        .and_then(|mut statement| statement.query_row((now, plugin), control).optional())
        .map_err(StoreError::query("read a plugin's controls"))?;
    Ok(found.unwrap_or_else(|| PluginControl {
        plugin: plugin.to_owned(),
        paused_since: None,
        held_until: None,
        held_because: None,
    }))
}

/// Holds `plugin`'s deliveries back until `until`, unless they are held longer already.
pub(super) fn hold(
    conn: &Connection,
    plugin: &str,
    until: Timestamp,
    because: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO plugin_controls (plugin, held_until, held_because, updated_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (plugin) DO UPDATE
         SET held_because = CASE WHEN COALESCE(plugin_controls.held_until, 0) < ?2 THEN ?3
                                 ELSE plugin_controls.held_because END,
             held_until = MAX(COALESCE(plugin_controls.held_until, 0), ?2),
             updated_at = ?4",
    )
    .and_then(|mut statement| statement.execute((plugin, until, because, now)))
    .map_err(StoreError::query("hold a plugin's deliveries back"))?;
    Ok(())
}

/// Every plugin paused, or held back past `now`, by name.
pub(super) fn plugin_controls(
    conn: &Connection,
    now: Timestamp,
) -> Result<Vec<PluginControl>, StoreError> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM plugin_controls
             WHERE paused_at IS NOT NULL OR held_until > ?1 ORDER BY plugin"
        ))
        .map_err(StoreError::query("read the plugins' controls"))?;
    statement
        .query_map([now], control)
        .and_then(|rows| rows.collect())
        .map_err(StoreError::query("read the plugins' controls"))
}
