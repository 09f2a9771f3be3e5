//! A forged cross-site request in a real browser: a page on a second local origin auto-submits a
//! form to the console while the browser is signed in. The site is the same (127.0.0.1, another
//! port), so the SameSite=Strict cookie goes along, and the form even carries the session's CSRF
//! token, as if it had leaked: the host still refuses it, on the browser's word that the request
//! came from another origin, and queues nothing.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use serde_json::json;

use crate::session::Browser;
use crate::support::admin::deliveries;
use crate::support::host::{ADMIN_TOKEN, Config};
use crate::support::payload::prospect_event;
use crate::support::plugins::manifest_for;
use crate::support::stub::StubServer;

#[test]
fn a_form_posted_from_another_origin_is_refused_in_chromium() {
    let Some(tools) =
        crate::tools::find("a_form_posted_from_another_origin_is_refused_in_chromium")
    else {
        return;
    };
    let env = crate::SUITE.env_with(Config::with_admin());
    env.install(
        "flaky",
        "hostile",
        Some(&manifest_for(&["*"], None, &[("mode", "fail")], &[])),
    );
    let host = env.start();
    let ingested = host.ingest(&prospect_event(
        "prospect.created",
        1,
        "eve@example.com",
        "e",
    ));
    env.db().wait_webhook_finished(&ingested.webhook_id, 1);

    let mut browser = Browser::start(&tools, &host);
    browser.goto("/console/sign-in");
    browser.wait_for_page("Sign in");
    browser.type_into("#token", ADMIN_TOKEN);
    browser.click("form.sign-in button");
    browser.wait_for_page("Overview");
    let csrf = browser.run(
        "return document.querySelector('form.sign-out input[name=csrf]').value;",
        vec![],
    );
    let csrf = csrf.as_str().expect("the session's CSRF token").to_owned();

    let action = host.url("/console/plugins/flaky/replay-dead");
    let forged = format!(
        "<!doctype html><title>Win a prize</title>\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"></form>\
         <script>document.forms[0].submit();</script>"
    );
    let attacker = StubServer::start(
        "forger",
        Router::new().route(
            "/",
            get(move || {
                let page = forged.clone();
                async move { Html(page) }
            }),
        ),
    );
    assert_ne!(attacker.url(), browser.origin(), "a second origin");
    browser.goto(&format!("{}/", attacker.url()));
    browser.wait_for_page("Request refused");
    assert_eq!(browser.path(), "/console/plugins/flaky/replay-dead");
    assert_eq!(
        browser.text("p.error").expect("the reason of the refusal"),
        "this request came from another site; the console takes forms only from its own pages"
    );
    assert_eq!(
        browser.run(
            "return performance.getEntriesByType('navigation')[0].responseStatus;",
            vec![]
        ),
        json!(403)
    );
    let dead = deliveries(&host, &[("status", "dead")]);
    assert_eq!(dead.len(), 1, "the dead letter was not replayed: {dead:#?}");
    let pending = deliveries(&host, &[("status", "pending")]);
    assert!(pending.is_empty(), "nothing queued: {pending:#?}");

    // The same request from the console's own page goes through: the refusal was the origin's.
    browser.goto("/console/plugins/flaky/replay-dead");
    browser.wait_for_page("Replay dead letters");
    browser.click("form[action='/console/plugins/flaky/replay-dead'] button");
    browser.wait_for_page("Dead letters replayed");
    assert_eq!(browser.text("#queued-count").as_deref(), Some("1"));
}
