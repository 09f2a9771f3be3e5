//! Bounds on what a plugin declares about itself: its `declare` export is plugin code, and what it
//! returns is kept for the plugin's lifetime and shown by the admin API and `check-plugin`.
//! Descriptions are cut; names past their bounds refuse the plugin, since a cut name would mean
//! another event type or key.

use crate::bindings::types;
use crate::plugin::{ConfigKey, Declaration};
use crate::text::cut_text;

/// The most event types a declaration may list (SmartReach documents 13; `*` means all).
pub const MAX_DECLARED_EVENT_TYPES: usize = 256;
/// The most configuration keys a declaration may list.
pub const MAX_DECLARED_CONFIG_KEYS: usize = 64;
/// The longest event type name or configuration key name, in bytes.
pub const MAX_DECLARED_NAME_BYTES: usize = 128;
/// The longest declared default value of a configuration key, in bytes.
pub const MAX_DECLARED_DEFAULT_BYTES: usize = 16 * 1024;
/// The plugin's description and each key's description are cut to this many bytes.
pub const MAX_DECLARED_DESCRIPTION_BYTES: usize = 1024;

impl Declaration {
    /// The declaration within bounds, or what is out of bounds and what to change.
    pub(crate) fn from_wit(declared: types::Declaration) -> Result<Self, String> {
        if declared.event_types.len() > MAX_DECLARED_EVENT_TYPES {
            return Err(format!(
                "it declares {} event types, more than {MAX_DECLARED_EVENT_TYPES}; declare `*` \
                 for every event type",
                declared.event_types.len()
            ));
        }
        if declared.config.len() > MAX_DECLARED_CONFIG_KEYS {
            return Err(format!(
                "it declares {} config keys, more than {MAX_DECLARED_CONFIG_KEYS}",
                declared.config.len()
            ));
        }
        for name in &declared.event_types {
            check_name("event type", name)?;
        }
        let mut config = Vec::with_capacity(declared.config.len());
        for key in declared.config {
            check_name("config key", &key.name)?;
            if let Some(default) = &key.default
                && default.len() > MAX_DECLARED_DEFAULT_BYTES
            {
                return Err(format!(
                    "the default of config key `{}` is {} bytes, more than \
                     {MAX_DECLARED_DEFAULT_BYTES}; set a long value in the manifest instead",
                    key.name,
                    default.len()
                ));
            }
            config.push(ConfigKey {
                name: key.name,
                description: cut_text(key.description, MAX_DECLARED_DESCRIPTION_BYTES),
                default: key.default,
                required: key.required,
            });
        }
        Ok(Self {
            event_types: declared.event_types,
            description: cut_text(declared.description, MAX_DECLARED_DESCRIPTION_BYTES),
            config,
        })
    }
}

fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.len() > MAX_DECLARED_NAME_BYTES {
        let mut start = name.to_owned();
        crate::text::truncate_at_char(&mut start, 40);
        return Err(format!(
            "it declares a {what} of {} bytes (`{start}…`), longer than \
             {MAX_DECLARED_NAME_BYTES}",
            name.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(event_types: Vec<String>, description: String) -> types::Declaration {
        types::Declaration {
            event_types,
            description,
            config: Vec::new(),
        }
    }

    #[test]
    fn a_long_description_is_cut() {
        let declaration =
            Declaration::from_wit(declared(vec!["*".into()], "d".repeat(1 << 20))).unwrap();
        assert!(declaration.description.len() <= MAX_DECLARED_DESCRIPTION_BYTES);
        assert!(declaration.description.ends_with("bytes cut]"));
    }

    #[test]
    fn too_many_or_too_long_event_types_refuse_the_plugin() {
        let many = vec!["x".to_owned(); MAX_DECLARED_EVENT_TYPES + 1];
        let err = Declaration::from_wit(declared(many, String::new())).unwrap_err();
        assert!(err.contains("257 event types"), "{err}");
        let long = vec!["e".repeat(MAX_DECLARED_NAME_BYTES + 1)];
        let err = Declaration::from_wit(declared(long, String::new())).unwrap_err();
        assert!(err.contains("event type of 129 bytes"), "{err}");
    }

    #[test]
    fn a_huge_default_refuses_the_plugin() {
        let mut declaration = declared(vec!["*".into()], String::new());
        declaration.config.push(types::ConfigKey {
            name: "k".into(),
            description: String::new(),
            default: Some("v".repeat(MAX_DECLARED_DEFAULT_BYTES + 1)),
            required: false,
        });
        let err = Declaration::from_wit(declaration).unwrap_err();
        assert!(err.contains("config key `k`"), "{err}");
    }
}
