//! old-contract: a test-only plugin built for `smartreach:plugin@0.0.9`, an older contract than
//! the host's. The host must refuse to load it, naming both versions.
//!
//! It uses wit-bindgen directly on its own copy of the WIT (`wit/plugin.wit`, identical shapes,
//! older package version): the SDK always builds against the current contract.

#[allow(unsafe_code, missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "wit/plugin.wit",
        world: "plugin",
    });
}

use bindings::exports::smartreach::plugin::handler::Guest;
use bindings::smartreach::plugin::types::{Declaration, Event, Outcome};

/// The plugin: if it were ever loaded, it would handle every event by doing nothing.
struct OldContract;

impl Guest for OldContract {
    fn declare() -> Declaration {
        Declaration {
            event_types: vec!["*".to_owned()],
            description: "Test-only: built for contract 0.0.9".to_owned(),
            config: Vec::new(),
        }
    }

    fn handle(_event: Event) -> Outcome {
        Outcome::Done
    }
}

#[allow(unsafe_code)]
mod export {
    use super::{OldContract, bindings};

    bindings::export!(OldContract with_types_in bindings);
}
