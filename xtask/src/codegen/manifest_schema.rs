//! The plugin manifest's JSON Schema, generated from its Rust type with schemars.

use smartreach_plugin_manifest::Manifest;

use super::Generated;

/// The schema file, relative to the workspace root.
const OUTPUT: &str = "schema/plugin-manifest.schema.json";

pub(super) fn generate() -> anyhow::Result<Generated> {
    let schema = schemars::schema_for!(Manifest);
    let mut contents = serde_json::to_string_pretty(&schema)?;
    contents.push('\n');
    Ok(Generated {
        path: OUTPUT.into(),
        contents,
    })
}
