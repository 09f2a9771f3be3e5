//! The web console (`/console`) as a browser without script uses it: a session cookie kept from
//! the sign-in, forms posted with their CSRF token, redirects not followed (so that the tests see
//! them), and what the pages show read from their HTML.

use std::time::Duration;

use crate::host::client::read;
use crate::host::{ADMIN_TOKEN, Host, Response};

/// One browser's session with one host's console.
pub struct Console {
    agent: ureq::Agent,
    base: String,
    /// `name=value` of the session cookie, once signed in.
    cookie: Option<String>,
}

impl Console {
    /// A browser at `host`'s console, not signed in.
    pub fn new(host: &Host) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .max_idle_age(Duration::from_secs(5))
            .build()
            .into();
        Self {
            agent,
            base: host.url(""),
            cookie: None,
        }
    }

    /// A browser signed in to `host`'s console with [`ADMIN_TOKEN`].
    pub fn signed_in(host: &Host) -> Self {
        let mut console = Self::new(host);
        let response = console.sign_in(ADMIN_TOKEN);
        assert_eq!(
            response.status, 303,
            "sign-in with the admin token: {response:?}"
        );
        assert!(console.cookie.is_some(), "a session cookie: {response:?}");
        console
    }

    /// Posts the sign-in form with `token`; keeps the session cookie it sets.
    pub fn sign_in(&mut self, token: &str) -> Response {
        let response = self.post_form_with("/console/sign-in", &[("token", token)], &[]);
        if let Some(set) = response.header("set-cookie") {
            let pair = set.split(';').next().unwrap_or_default().trim().to_owned();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        response
    }

    /// The session cookie (`name=value`), once signed in.
    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    /// Sends `cookie` (`name=value`) from now on, as a browser holding it would.
    pub fn use_cookie(&mut self, cookie: Option<String>) {
        self.cookie = cookie;
    }

    /// `GET path` with the session cookie.
    pub fn get(&self, path: &str) -> Response {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", cookie);
        }
        read(request.call()).unwrap_or_else(|err| panic!("GET {path}: {err}"))
    }

    /// `GET path`, expecting a page (200, HTML); its body.
    pub fn page(&self, path: &str) -> String {
        let response = self.get(path);
        assert_eq!(response.status, 200, "GET {path}: {response:?}");
        assert!(
            response
                .content_type
                .as_deref()
                .is_some_and(|content_type| content_type.starts_with("text/html")),
            "GET {path} is HTML: {response:?}"
        );
        response.body
    }

    /// `POST path` with `fields` as a form, the session cookie and the `headers`.
    pub fn post_form_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded");
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = crate::admin::query(fields);
        read(request.send(body.trim_start_matches('?')))
            .unwrap_or_else(|err| panic!("POST {path}: {err}"))
    }

    /// Submits a form of the page at `page_path` that posts to `action`: with the page's CSRF
    /// token and `fields`, as the browser would.
    pub fn submit(&self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let page = self.page(page_path);
        assert!(
            page.contains(&format!("action=\"{action}\"")),
            "{page_path} has a form posting to {action}: {page}"
        );
        let token = csrf_token(&page);
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form_with(action, &all, &[])
    }
}

/// The CSRF token of the first form of `page` that carries one.
pub fn csrf_token(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("a form with a CSRF token in {page}"))
        + marker.len();
    page[start..]
        .split('"')
        .next()
        .expect("a quoted value")
        .to_owned()
}

/// The text of the element with `id` in `page` (its inner HTML, tags left in).
pub fn element_text(page: &str, id: &str) -> Option<String> {
    let start = page.find(&format!("id=\"{id}\""))?;
    let open_end = start + page[start..].find('>')? + 1;
    let rest = &page[open_end..];
    let end = rest.find("</")?;
    Some(rest[..end].to_owned())
}

/// How many times `needle` occurs in `page`.
pub fn count(page: &str, needle: &str) -> usize {
    page.matches(needle).count()
}
