//! The model crate's types, generated from the webhook JSON Schema with typify.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use schemars08::schema::RootSchema;
use typify::{TypeSpace, TypeSpaceImpl, TypeSpaceSettings};

use super::{Generated, rust_preamble};

/// The schema, relative to the workspace root.
const SCHEMA: &str = "schema/smartreach-webhook.schema.json";
/// The generated module, relative to the workspace root.
const OUTPUT: &str = "crates/models/src/generated.rs";

pub(super) fn generate(root: &Path) -> Result<Generated> {
    let text =
        fs::read_to_string(root.join(SCHEMA)).with_context(|| format!("reading {SCHEMA}"))?;
    let contents = format!("{}{}", rust_preamble(SCHEMA), rust_source(&text)?);
    Ok(Generated {
        path: OUTPUT.into(),
        contents,
    })
}

/// The Rust source typify makes of the schema `text`, formatted.
fn rust_source(text: &str) -> Result<String> {
    let schema: RootSchema = serde_json::from_str(text)
        .with_context(|| format!("{SCHEMA} is not a JSON Schema that typify can read"))?;

    let mut settings = TypeSpaceSettings::default();
    settings
        .with_struct_builder(false)
        .with_derive("PartialEq".to_string())
        // An open enum that keeps an unknown event name as sent is not something typify can
        // express (it turns `anyOf [enum, string]` into a struct of two options); the model crate
        // hand-writes it.
        .with_replacement(
            "EventType",
            "crate::EventType",
            [TypeSpaceImpl::Display, TypeSpaceImpl::FromStr].into_iter(),
        );
    let mut space = TypeSpace::new(&settings);
    space
        .add_root_schema(schema)
        .with_context(|| format!("typify could not convert {SCHEMA}"))?;

    let file: syn::File =
        syn::parse2(space.to_stream()).context("typify produced Rust that does not parse")?;
    Ok(prettyplease::unparse(&file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed_schema() -> serde_json::Value {
        let root = crate::workspace_root();
        serde_json::from_str(&fs::read_to_string(root.join(SCHEMA)).unwrap()).unwrap()
    }

    #[test]
    fn committed_output_is_what_the_schema_generates() {
        let root = crate::workspace_root();
        let generated = generate(&root).unwrap();
        let committed = fs::read_to_string(root.join(OUTPUT)).unwrap();
        assert!(
            committed == generated.contents,
            "{OUTPUT} is stale: run `cargo xtask codegen`"
        );
    }

    #[test]
    fn a_field_added_to_the_schema_appears_in_the_generated_code() {
        let mut schema = committed_schema();
        schema["$defs"]["Prospect"]["properties"]["phone"] =
            serde_json::json!({"description": "Prospect's phone.", "type": ["string", "null"]});
        let before = rust_source(&committed_schema().to_string()).unwrap();
        let after = rust_source(&schema.to_string()).unwrap();
        assert!(!before.contains("pub phone:"));
        assert!(after.contains("///Prospect's phone."), "{after}");
        assert!(after.contains("pub phone: ::std::option::Option<::std::string::String>,"));
    }

    #[test]
    fn the_event_type_is_left_to_the_hand_written_open_enum() {
        let source = rust_source(&committed_schema().to_string()).unwrap();
        assert!(source.contains("pub event_type: crate::EventType,"));
        assert!(!source.contains("pub struct EventType"));
    }
}
