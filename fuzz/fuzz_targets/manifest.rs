//! `Manifest::from_toml` on any text: never panics, and an error names a line inside the text.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use smartreach_plugin_manifest::{Manifest, ManifestError};

fuzz_target!(|text: &str| {
    match Manifest::from_toml(text, Path::new("fuzz.toml")) {
        Ok(_) => {}
        Err(ManifestError::Invalid { line, .. }) => {
            assert!(
                line <= text.lines().count() + 1,
                "line {line} is past the text"
            );
        }
        Err(other) => panic!("reading text cannot fail with {other}"),
    }
});
