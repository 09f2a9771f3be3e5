//! [`Declaration`] and [`ConfigKey`]: what a plugin says about itself at load.

use crate::bindings::smartreach::plugin::types as wit;

/// What a plugin handles and reads, returned by [`Plugin::declare`](crate::Plugin::declare).
///
/// ```
/// use smartreach_plugin_sdk::models::DocumentedEventType;
/// use smartreach_plugin_sdk::{ConfigKey, Declaration};
///
/// let declaration = Declaration::new([DocumentedEventType::ActivityEmailReplied])
///     .description("Posts replies to Slack")
///     .config(ConfigKey::required("webhook_url", "Slack incoming-webhook URL"))
///     .config(ConfigKey::optional("channel", "Channel override", None));
/// assert_eq!(declaration.event_types, ["activity.email.replied"]);
/// assert_eq!(declaration.config.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    /// The event types handled: documented names, other names as SmartReach sends them, or
    /// [`Declaration::ALL_EVENTS`].
    pub event_types: Vec<String>,
    /// One line about what the plugin does.
    pub description: String,
    /// The configuration keys the plugin reads.
    pub config: Vec<ConfigKey>,
}

impl Declaration {
    /// The event type pattern that matches every event: `*`.
    pub const ALL_EVENTS: &'static str = "*";

    /// A declaration handling `event_types`: `&str` or `String` names,
    /// [`DocumentedEventType`](crate::models::DocumentedEventType) or
    /// [`EventType`](crate::models::EventType) values, or [`Declaration::ALL_EVENTS`].
    pub fn new<I>(event_types: I) -> Self
    where
        I: IntoIterator,
        I::Item: ToString,
    {
        Self {
            event_types: event_types.into_iter().map(|ty| ty.to_string()).collect(),
            description: String::new(),
            config: Vec::new(),
        }
    }

    /// Sets the one-line description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Adds a configuration key.
    pub fn config(mut self, key: ConfigKey) -> Self {
        self.config.push(key);
        self
    }
}

/// A configuration value the plugin reads with [`config`](crate::config()).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigKey {
    /// The key, as written under `[config]` in the manifest.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The value used when the manifest sets none.
    pub default: Option<String>,
    /// Whether the plugin cannot work without it: the host refuses to load the plugin when a
    /// required key has neither a manifest value nor a default.
    pub required: bool,
}

impl ConfigKey {
    /// A key the plugin cannot work without.
    pub fn required(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            default: None,
            required: true,
        }
    }

    /// A key the plugin can do without, with the value used when the manifest sets none.
    pub fn optional(
        name: impl Into<String>,
        description: impl Into<String>,
        default: Option<&str>,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            default: default.map(str::to_owned),
            required: false,
        }
    }
}

impl From<Declaration> for wit::Declaration {
    fn from(declaration: Declaration) -> Self {
        Self {
            event_types: declaration.event_types,
            description: declaration.description,
            config: declaration.config.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<ConfigKey> for wit::ConfigKey {
    fn from(key: ConfigKey) -> Self {
        Self {
            name: key.name,
            description: key.description,
            default: key.default,
            required: key.required,
        }
    }
}

#[cfg(test)]
mod tests {
    use smartreach_models::{DocumentedEventType, EventType};

    use super::*;

    #[test]
    fn accepts_every_kind_of_event_type_name() {
        let declaration = Declaration::new([
            DocumentedEventType::ProspectCreated.to_string(),
            EventType::Other("activity.email.forwarded".into()).to_string(),
            Declaration::ALL_EVENTS.to_owned(),
        ]);
        assert_eq!(
            declaration.event_types,
            ["prospect.created", "activity.email.forwarded", "*"]
        );
        let documented = Declaration::new([
            DocumentedEventType::ActivityEmailBounced,
            DocumentedEventType::ActivityProspectOptedOut,
        ]);
        assert_eq!(
            documented.event_types,
            ["activity.email.bounced", "activity.prospect.opted_out"]
        );
    }

    #[test]
    fn config_keys_keep_required_and_default() {
        let required = ConfigKey::required("endpoint", "Where to send");
        assert!(required.required);
        assert_eq!(required.default, None);
        let optional = ConfigKey::optional("channel", "Slack channel", Some("#sales"));
        assert!(!optional.required);
        assert_eq!(optional.default.as_deref(), Some("#sales"));
    }

    #[test]
    fn converts_to_the_wit_record() {
        let declaration = Declaration::new(["activity.email.replied"])
            .description("Posts replies")
            .config(ConfigKey::optional(
                "channel",
                "Slack channel",
                Some("#sales"),
            ));
        let wit = wit::Declaration::from(declaration);
        assert_eq!(wit.event_types, ["activity.email.replied"]);
        assert_eq!(wit.description, "Posts replies");
        assert_eq!(wit.config.len(), 1);
        assert_eq!(wit.config[0].name, "channel");
        assert_eq!(wit.config[0].description, "Slack channel");
        assert_eq!(wit.config[0].default.as_deref(), Some("#sales"));
        assert!(!wit.config[0].required);
    }
}
