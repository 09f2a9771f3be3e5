//! The catalogue of problem kinds: every error the HTTP server answers, with its slug, status,
//! title and when it happens, listed once. Handlers name a kind; README's table of problem types
//! and the OpenAPI document are checked against this list.

use http::StatusCode;

/// Which routes answer a problem kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `POST /hooks/smartreach/{token}`.
    Ingest,
    /// The admin API under `/api/v1`.
    Admin,
    /// Any route: the router itself or a shared dependency like the store.
    Any,
}

impl Family {
    /// The name shown in README's table.
    pub fn name(self) -> &'static str {
        match self {
            Family::Ingest => "ingest",
            Family::Admin => "admin",
            Family::Any => "any",
        }
    }
}

/// What the catalogue says about one kind.
struct Entry {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    family: Family,
    when: &'static str,
}

/// Declares [`ProblemKind`] and its catalogue entry from one list, so that a kind cannot exist
/// without its slug, status, title and description.
macro_rules! catalogue {
    ($(
        $(#[doc = $doc:literal])*
        $kind:ident => $status:ident, $slug:literal, $title:literal, $family:ident, $when:literal;
    )*) => {
        /// A kind of HTTP error: one `type` (`/problems/{slug}`), one status and one title.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemKind {
            $( $(#[doc = $doc])* $kind, )*
        }

        impl ProblemKind {
            /// Every kind, in catalogue order.
            pub const ALL: &'static [ProblemKind] = &[$(ProblemKind::$kind),*];

            fn entry(self) -> &'static Entry {
                match self {
                    $(ProblemKind::$kind => &Entry {
                        status: StatusCode::$status,
                        slug: $slug,
                        title: $title,
                        family: Family::$family,
                        when: $when,
                    },)*
                }
            }
        }
    };
}

catalogue! {
    /// No source has the token of the URL.
    UnknownToken => NOT_FOUND, "unknown-token", "Unknown webhook URL", Ingest,
        "no source is configured with the token in the URL";
    /// The body is not declared as JSON.
    UnsupportedMediaType => UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Body must be JSON", Any,
        "`Content-Type` of a webhook or a backfill is missing or not `application/json` (a webhook may also be `application/*+json`)";
    /// The body is over `ingest.max_body_bytes`.
    BodyTooLarge => PAYLOAD_TOO_LARGE, "body-too-large", "Webhook body too large", Ingest,
        "the body is over `ingest.max_body_bytes` (with `limit`)";
    /// The webhook holds more data items than `ingest.max_items`.
    TooManyItems => PAYLOAD_TOO_LARGE, "too-many-items", "Webhook holds too many items", Ingest,
        "the webhook holds more than `ingest.max_items` data items (with `items` and `limit`)";
    /// The body did not arrive within `ingest.body_timeout`.
    BodyTimeout => REQUEST_TIMEOUT, "body-timeout", "Webhook body too slow", Ingest,
        "the body took longer than `ingest.body_timeout` to arrive (with `timeout_ms`)";
    /// The connection failed while the body was read.
    UnreadableBody => BAD_REQUEST, "unreadable-body", "Webhook body could not be read", Ingest,
        "the connection failed while the body was read";
    /// The source requires a signature and the request's is missing, wrong or too old.
    InvalidSignature => UNAUTHORIZED, "invalid-signature", "Invalid webhook signature", Ingest,
        "the source requires a Standard Webhooks signature and it is missing, does not match, or is outside the tolerance";
    /// The body is not JSON.
    InvalidJson => BAD_REQUEST, "invalid-json", "Webhook body is not valid JSON", Ingest,
        "the body is not valid JSON (with `line` and `column`)";
    /// The body is JSON but not a SmartReach webhook.
    InvalidPayload => BAD_REQUEST, "invalid-payload", "Webhook payload does not have the SmartReach shape", Ingest,
        "the body is JSON but not a SmartReach webhook (with the JSON `path`, `line` and `column`)";
    /// The admin API has no token configured.
    AdminDisabled => NOT_FOUND, "admin-disabled", "Admin API is off", Admin,
        "`admin.token` is not set, so the admin API is off";
    /// The request has no bearer token or the wrong one.
    Unauthorized => UNAUTHORIZED, "unauthorized", "Admin token required", Admin,
        "no `Authorization: Bearer` token, or not the configured `admin.token`";
    /// A query parameter is unknown, malformed or out of bounds.
    InvalidQuery => BAD_REQUEST, "invalid-query", "Invalid query string", Admin,
        "a query parameter is unknown, malformed or out of its bounds";
    /// A path parameter is malformed.
    InvalidPath => BAD_REQUEST, "invalid-path", "Invalid path parameter", Admin,
        "a path parameter (like a delivery id) is malformed";
    /// The request body is not what the route accepts.
    InvalidBody => BAD_REQUEST, "invalid-body", "Invalid request body", Admin,
        "the request body is not the JSON object the route accepts";
    /// No stored event has the id.
    EventNotFound => NOT_FOUND, "event-not-found", "No such event", Admin,
        "no stored event has this id";
    /// No delivery has the id.
    DeliveryNotFound => NOT_FOUND, "delivery-not-found", "No such delivery", Admin,
        "no delivery has this id";
    /// No loaded plugin has the name.
    PluginNotLoaded => NOT_FOUND, "plugin-not-loaded", "Plugin not loaded", Admin,
        "no plugin of this name is loaded";
    /// The plugin to backfill does not subscribe to an event type asked for.
    NotSubscribed => CONFLICT, "not-subscribed", "Plugin does not subscribe to the event types", Admin,
        "a backfill names event types the plugin does not subscribe to (its subscriptions may change on reload)";
    /// The delivery to replay has not finished.
    DeliveryOpen => CONFLICT, "delivery-open", "Delivery still queued", Admin,
        "the delivery to replay is still pending or running";
    /// The delivery was replayed before.
    DeliveryReplayed => CONFLICT, "delivery-replayed", "Delivery already replayed", Admin,
        "the dead letter to replay was replayed before";
    /// The store could not commit or answer.
    StoreUnavailable => SERVICE_UNAVAILABLE, "store-unavailable", "Store unavailable", Any,
        "the store could not commit or answer (a webhook answered so was not stored): try again later";
    /// No route has the path.
    NotFound => NOT_FOUND, "not-found", "No such route", Any,
        "no route has this path";
    /// The route does not take the method.
    MethodNotAllowed => METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed", Any,
        "the route exists but does not take this method";
}

impl ProblemKind {
    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        self.entry().status
    }

    /// The slug: `body-too-large` for the type `/problems/body-too-large`.
    pub fn slug(self) -> &'static str {
        self.entry().slug
    }

    /// The title, the same for every problem of this kind.
    pub fn title(self) -> &'static str {
        self.entry().title
    }

    /// Which routes answer it.
    pub fn family(self) -> Family {
        self.entry().family
    }

    /// When it happens, as README says.
    pub fn when(self) -> &'static str {
        self.entry().when
    }

    /// The problem's `type`: `/problems/{slug}`.
    pub fn type_uri(self) -> String {
        format!("/problems/{}", self.slug())
    }

    /// The kinds a family's routes can answer: its own and those of [`Family::Any`].
    pub fn answered_by(family: Family) -> impl Iterator<Item = ProblemKind> {
        Self::ALL
            .iter()
            .copied()
            .filter(move |kind| kind.family() == family || kind.family() == Family::Any)
    }

    /// README's table of problem types, one row per kind.
    pub fn markdown_table() -> String {
        let mut table =
            String::from("| Type | Status | Title | Routes | When |\n|---|---|---|---|---|\n");
        for kind in Self::ALL {
            table.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                kind.slug(),
                kind.status().as_u16(),
                kind.title(),
                kind.family().name(),
                kind.when()
            ));
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_slug_is_unique_and_url_safe() {
        let mut seen = HashSet::new();
        for kind in ProblemKind::ALL {
            assert!(seen.insert(kind.slug()), "{} is listed twice", kind.slug());
            assert!(
                kind.slug()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{} is not lowercase-and-dashes",
                kind.slug()
            );
            assert!(
                kind.status().is_client_error() || kind.status().is_server_error(),
                "{} is not an error status",
                kind.slug()
            );
        }
    }

    #[test]
    fn readme_lists_every_problem_type_as_the_catalogue_says() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
        let readme = std::fs::read_to_string(path).expect("README.md");
        let start = "<!-- problem-types:start -->\n";
        let end = "<!-- problem-types:end -->";
        let (Some(from), Some(to)) = (readme.find(start), readme.find(end)) else {
            panic!("README.md has no `{start}` ... `{end}` section");
        };
        let shown = &readme[from + start.len()..to];
        let expected = ProblemKind::markdown_table();
        assert!(
            shown == expected,
            "README.md's table of problem types differs from the catalogue \
             (crates/http/src/problem/kind.rs); replace it with:\n\n{expected}"
        );
    }
}
