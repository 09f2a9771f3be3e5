//! [`EventType`]: the documented event types, open to the ones SmartReach adds later.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DocumentedEventType;

/// The `metadata.event_type` of a webhook.
///
/// Parsing never fails: a documented name becomes [`EventType::Documented`], a legacy short name
/// (see [`DocumentedEventType::legacy_name`]) is normalised to the documented one, and any other
/// string is kept as sent in [`EventType::Other`]. Serialising writes the documented name, or the
/// other string unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// One of the 13 event types in SmartReach's documentation.
    Documented(DocumentedEventType),
    /// An event type the documentation does not list, as SmartReach sent it.
    Other(String),
}

/// What an event is about, read from the prefix of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// `prospect.*`: the data items carry a prospect and no activity.
    Prospect,
    /// `activity.*`: the data items carry a prospect and an activity.
    Activity,
}

impl DocumentedEventType {
    /// Every documented event type, in the order of the documentation's table.
    pub const ALL: [Self; 13] = [
        Self::ProspectCreated,
        Self::ProspectUpdated,
        Self::ProspectCreatedOrUpdated,
        Self::ActivityEmailSent,
        Self::ActivityEmailBounced,
        Self::ActivityEmailOpened,
        Self::ActivityEmailLinkClicked,
        Self::ActivityEmailInvalid,
        Self::ActivityEmailReplied,
        Self::ActivityEmailAutoReplied,
        Self::ActivityEmailOutOfOfficeReplied,
        Self::ActivityProspectOptedOut,
        Self::ActivityProspectCompletedCampaign,
    ];

    /// The documented name, e.g. `activity.email.opened`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ProspectCreated => "prospect.created",
            Self::ProspectUpdated => "prospect.updated",
            Self::ProspectCreatedOrUpdated => "prospect.created_or_updated",
            Self::ActivityEmailSent => "activity.email.sent",
            Self::ActivityEmailBounced => "activity.email.bounced",
            Self::ActivityEmailOpened => "activity.email.opened",
            Self::ActivityEmailLinkClicked => "activity.email.link_clicked",
            Self::ActivityEmailInvalid => "activity.email.invalid",
            Self::ActivityEmailReplied => "activity.email.replied",
            Self::ActivityEmailAutoReplied => "activity.email.auto_replied",
            Self::ActivityEmailOutOfOfficeReplied => "activity.email.out_of_office_replied",
            Self::ActivityProspectOptedOut => "activity.prospect.opted_out",
            Self::ActivityProspectCompletedCampaign => "activity.prospect.completed_campaign",
        }
    }

    /// The legacy short name accepted for this type: the documented name without its `activity.`
    /// prefix, dots replaced by underscores (`activity.email.opened` -> `email_opened`, as in the
    /// documentation's webhook example; `prospect.created` -> `prospect_created`).
    pub fn legacy_name(self) -> String {
        let name = self.as_str();
        name.strip_prefix("activity.")
            .unwrap_or(name)
            .replace('.', "_")
    }

    /// Whether events of this type are about a prospect or an activity.
    pub fn category(self) -> Category {
        category_of(self.as_str())
            .expect("every documented name starts with prospect. or activity.")
    }

    /// Finds the documented type named `name` exactly, or by its legacy short name.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|ty| ty.as_str() == name)
            .or_else(|| Self::ALL.into_iter().find(|ty| ty.is_legacy_name(name)))
    }

    /// `legacy_name() == name`, without allocating: undocumented names reach this on every parse.
    fn is_legacy_name(self, name: &str) -> bool {
        let documented = self.as_str();
        let short = documented.strip_prefix("activity.").unwrap_or(documented);
        short.len() == name.len()
            && short
                .bytes()
                .zip(name.bytes())
                .all(|(d, n)| n == if d == b'.' { b'_' } else { d })
    }
}

fn category_of(name: &str) -> Option<Category> {
    if name.starts_with("prospect.") {
        Some(Category::Prospect)
    } else if name.starts_with("activity.") {
        Some(Category::Activity)
    } else {
        None
    }
}

impl EventType {
    /// The name: the documented name, or the other string as sent.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Documented(ty) => ty.as_str(),
            Self::Other(name) => name,
        }
    }

    /// The documented type, if this is one.
    pub fn documented(&self) -> Option<DocumentedEventType> {
        match self {
            Self::Documented(ty) => Some(*ty),
            Self::Other(_) => None,
        }
    }

    /// The category read from the name's prefix (`prospect.` or `activity.`); `None` for an
    /// undocumented name with neither prefix.
    pub fn category(&self) -> Option<Category> {
        category_of(self.as_str())
    }

    /// Whether the data items of this event carry an activity: true for `activity.*` names.
    pub fn carries_activity(&self) -> bool {
        self.category() == Some(Category::Activity)
    }
}

impl From<DocumentedEventType> for EventType {
    fn from(ty: DocumentedEventType) -> Self {
        Self::Documented(ty)
    }
}

impl FromStr for EventType {
    type Err = Infallible;

    fn from_str(name: &str) -> Result<Self, Infallible> {
        Ok(match DocumentedEventType::from_name(name) {
            Some(ty) => Self::Documented(ty),
            None => Self::Other(name.to_owned()),
        })
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = EventType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event type name (a string such as \"activity.email.opened\")")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<EventType, E> {
                Ok(name
                    .parse()
                    .unwrap_or_else(|never: Infallible| match never {}))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}
