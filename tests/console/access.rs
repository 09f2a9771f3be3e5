//! Who may use the console: off without `admin.token`, the sign-in, the session cookie, sign-out,
//! and requests that change something without the session's CSRF token or from another site.

use std::time::{Duration, Instant};

use super::hostile;
use crate::support::admin::deliveries;
use crate::support::console::{Console, csrf_token};
use crate::support::host::{ADMIN_TOKEN, Config};
use crate::support::payload::prospect_event;
use crate::support::plugins::manifest;

/// Form fields or headers of a request.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// The Content-Security-Policy every console answer carries.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Without `admin.token` every console path answers 404 with a page saying it is off and how to
/// turn it on, and the host says so at start.
#[test]
fn the_console_is_off_without_an_admin_token() {
    let env = crate::SUITE.env();
    let host = env.start();
    let console = Console::new(&host);
    for path in ["/console", "/console/events", "/console/sign-in"] {
        let response = console.get(path);
        assert_eq!(response.status, 404, "{path}: {response:?}");
        assert!(
            response.body.contains("The console is off"),
            "{path}: {}",
            response.body
        );
        assert!(response.body.contains("admin.token"), "{}", response.body);
        assert_eq!(response.header("content-security-policy"), Some(CSP));
    }
    let response = console.post_form_with("/console/sign-in", &[("token", "anything")], &[]);
    assert_eq!(response.status, 404, "{response:?}");
    assert!(
        host.stderr().contains("console off"),
        "the start log says the console is off: {}",
        host.stderr()
    );
}

/// A reader without a session is sent to the sign-in page. A wrong token gets a 401 page that
/// says only that it is wrong, after a delay, and no cookie. The admin token leads to the overview
/// with a session cookie: HttpOnly, SameSite=Strict, for /console, with an expiry, Secure when the
/// browser came over TLS (a proxy's `X-Forwarded-Proto: https`). Every answer carries the CSP.
#[test]
fn signing_in_takes_the_admin_token_and_sets_a_strict_session_cookie() {
    let env = crate::SUITE.env_with(Config::with_admin());
    let host = env.start();
    let mut console = Console::new(&host);

    let response = console.get("/console/events");
    assert_eq!(response.status, 303, "{response:?}");
    assert_eq!(response.header("location"), Some("/console/sign-in"));
    let sign_in = console.get("/console/sign-in");
    assert_eq!(sign_in.status, 200);
    assert!(sign_in.body.contains("name=\"token\""), "{}", sign_in.body);
    assert_eq!(sign_in.header("content-security-policy"), Some(CSP));
    assert_eq!(sign_in.header("x-frame-options"), Some("DENY"));
    assert!(
        !sign_in.body.contains("<script>") && !sign_in.body.contains("style="),
        "no inline script or style: {}",
        sign_in.body
    );

    let started = Instant::now();
    let wrong = console.sign_in("not-the-token");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "a wrong token is answered after a delay"
    );
    assert_eq!(wrong.status, 401, "{wrong:?}");
    assert!(
        wrong.body.contains("That is not the admin token"),
        "{}",
        wrong.body
    );
    assert!(
        !wrong.body.contains(ADMIN_TOKEN),
        "nothing of the token is revealed"
    );
    assert_eq!(wrong.header("set-cookie"), None);
    assert!(console.cookie().is_none());

    let right = console.sign_in(ADMIN_TOKEN);
    assert_eq!(right.status, 303, "{right:?}");
    assert_eq!(right.header("location"), Some("/console"));
    let cookie = right.header("set-cookie").expect("a session cookie");
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=28800",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    assert!(
        !cookie.contains(ADMIN_TOKEN),
        "the cookie is not the token: {cookie}"
    );
    let overview = console.page("/console");
    assert!(overview.contains("<h1>Overview</h1>"), "{overview}");

    let over_tls = console.post_form_with(
        "/console/sign-in",
        &[("token", ADMIN_TOKEN)],
        &[("X-Forwarded-Proto", "https")],
    );
    assert_eq!(over_tls.status, 303);
    assert!(
        over_tls.header("set-cookie").unwrap().ends_with("; Secure"),
        "{over_tls:?}"
    );

    // A cookie that was tampered with is no session.
    let forged = console.cookie().unwrap().replace('.', "0.");
    console.use_cookie(Some(forged));
    assert_eq!(console.get("/console").status, 303);
}

/// Signing out removes the cookie and ends the session: the old cookie no longer opens a page.
#[test]
fn signing_out_ends_the_session() {
    let env = crate::SUITE.env_with(Config::with_admin());
    let host = env.start();
    let mut console = Console::signed_in(&host);
    let cookie = console.cookie().unwrap().to_owned();
    let response = console.submit("/console", "/console/sign-out", &[]);
    assert_eq!(response.status, 303, "{response:?}");
    assert_eq!(response.header("location"), Some("/console/sign-in"));
    assert!(
        response.header("set-cookie").unwrap().contains("Max-Age=0"),
        "{response:?}"
    );
    console.use_cookie(Some(cookie));
    let response = console.get("/console");
    assert_eq!(
        response.status, 303,
        "the signed-out session is refused: {response:?}"
    );
}

/// A replay posted without the session's CSRF token, with another session's, with a wrong one,
/// from another origin or site, or without a session, is refused (403) and queues nothing; the
/// form of the console's own page replays.
#[test]
fn state_changing_requests_need_the_session_s_csrf_token_and_origin() {
    let env = crate::SUITE.env_with(Config::with_admin());
    env.install("flaky", "hostile", Some(&hostile(&["*"], "fail", &[])));
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    let host = env.start();
    let db = env.db();
    let ingested = host.ingest(&prospect_event("prospect.created", 7, "x@example.com", "x"));
    db.wait_webhook_finished(&ingested.webhook_id, 2);
    let dead = deliveries(&host, &[("status", "dead")]);
    assert_eq!(dead.len(), 1, "{dead:#?}");
    let id = dead[0]["id"].as_i64().unwrap();
    let action = format!("/console/deliveries/{id}/replay");

    let console = Console::signed_in(&host);
    let other = Console::signed_in(&host);
    let token = csrf_token(&console.page("/console/deliveries"));
    let others_token = csrf_token(&other.page("/console/deliveries"));
    assert_ne!(token, others_token, "each session has its own token");
    let refusals: [(&Console, Fields, Fields); 6] = [
        (&console, vec![], vec![]),
        (&console, vec![("csrf", "0123abcd")], vec![]),
        (&console, vec![("csrf", &others_token)], vec![]),
        (
            &console,
            vec![("csrf", &token)],
            vec![("Origin", "http://evil.example")],
        ),
        (
            &console,
            vec![("csrf", &token)],
            vec![("Sec-Fetch-Site", "cross-site")],
        ),
        (&Console::new(&host), vec![("csrf", &token)], vec![]),
    ];
    for (browser, fields, headers) in refusals {
        let response = browser.post_form_with(&action, &fields, &headers);
        assert_eq!(response.status, 403, "{fields:?} {headers:?}: {response:?}");
        assert!(
            response.body.contains("Request refused"),
            "{}",
            response.body
        );
    }
    assert_eq!(
        db.deliveries().len(),
        2,
        "nothing was queued by a refused request"
    );

    let same_origin = host.url("");
    let response = console.post_form_with(
        &action,
        &[("csrf", &token)],
        &[
            ("Origin", same_origin.trim_end_matches('/')),
            ("Sec-Fetch-Site", "same-origin"),
        ],
    );
    assert_eq!(response.status, 200, "{response:?}");
    assert!(
        response.body.contains("was queued again as delivery"),
        "{}",
        response.body
    );
    assert_eq!(db.deliveries().len(), 3);
}
