//! The shell of every console page: head, navigation, sign-out, and the page's own content.

use maud::{DOCTYPE, Markup, html};

use super::session::Session;

/// The sections of the console, as the navigation names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `/console`.
    Overview,
    /// `/console/events`.
    Events,
    /// `/console/deliveries`.
    Deliveries,
    /// `/console/plugins`.
    Plugins,
    /// Sign-in and pages outside the navigation.
    None,
}

const SECTIONS: [(Section, &str, &str); 4] = [
    (Section::Overview, "/console", "Overview"),
    (Section::Events, "/console/events", "Events"),
    (Section::Deliveries, "/console/deliveries", "Deliveries"),
    (Section::Plugins, "/console/plugins", "Plugins"),
];

/// htmx's settings: no inline styles (the Content-Security-Policy allows none), no eval, and
/// error pages swapped in like any other, so that a refused action says why.
const HTMX_CONFIG: &str = r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true,"historyCacheSize":0,"responseHandling":[{"code":"204","swap":false},{"code":"[2345]..","swap":true}]}"#;

/// A whole page: `title`, the navigation with `section` marked, the sign-out form of `session`
/// (none on the sign-in page), and `content`.
pub fn page(title: &str, section: Section, session: Option<&Session>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="htmx-config" content=(HTMX_CONFIG);
                title { (title) " · smartreach-hooks" }
                link rel="stylesheet" href="/console/static/console.css";
                script src="/console/static/htmx.min.js" defer {}
            }
            body hx-boost="true" {
                header {
                    span.brand { "smartreach-hooks" }
                    @if let Some(session) = session {
                        nav {
                            @for (item, href, label) in SECTIONS {
                                a href=(href) aria-current=[(item == section).then_some("page")] { (label) }
                            }
                        }
                        form.sign-out method="post" action="/console/sign-out" {
                            input type="hidden" name="csrf" value=(session.csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// A hidden `csrf` field of `session`, for every form that changes something.
pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A status or outcome as a badge (`done`, `dead`, ...), styled by its name.
pub fn badge(name: &str) -> Markup {
    html! { span class={ "badge " (name) } { (name) } }
}

/// `path?k=v&...` with the pairs whose value is not empty, percent-encoded.
pub fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(_, value)| !value.is_empty())
        .collect();
    if kept.is_empty() {
        return path.to_owned();
    }
    let query = serde_urlencoded::to_string(&kept).expect("pairs of strings encode");
    format!("{path}?{query}")
}
