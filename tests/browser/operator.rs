//! An operator's round through the console in Chromium, against the real host: sign in (after a
//! wrong token), list and filter the events, open one, replay its dead letter and see the replay
//! done, replay a plugin's other dead letters after the confirmation, backfill a new plugin from
//! the plugin page and read the count, sign out. Every page is checked to load nothing but the
//! host's own URLs, and photographed for `cargo xtask screenshots`.

use serde_json::json;

use crate::session::Browser;
use crate::support::admin::{deliveries, plugin};
use crate::support::host::{ADMIN_TOKEN, Config};
use crate::support::payload::{prospect_event, reply};
use crate::support::plugins::{manifest, manifest_for};
use crate::support::{SOON, eventually_or};

#[test]
fn an_operator_signs_in_reads_replays_backfills_and_signs_out_in_chromium() {
    let Some(tools) = crate::tools::find(
        "an_operator_signs_in_reads_replays_backfills_and_signs_out_in_chromium",
    ) else {
        return;
    };
    // A plugin that fails every event: three dead letters, one per event.
    let env = crate::SUITE.env_with(Config::with_admin());
    env.install(
        "flaky",
        "hostile",
        Some(&manifest_for(&["*"], None, &[("mode", "fail")], &[])),
    );
    let host = env.start();
    let db = env.db();
    for body in [
        prospect_event("prospect.created", 1, "ann@example.com", "a"),
        prospect_event("prospect.updated", 2, "bob@example.com", "b"),
        reply(3, "cy@example.com", "Re: the offer"),
    ] {
        let ingested = host.ingest(&body);
        db.wait_webhook_finished(&ingested.webhook_id, 1);
    }
    assert_eq!(deliveries(&host, &[("status", "dead")]).len(), 3);
    // The fix: the plugin now succeeds. And a plugin added after the events, to backfill.
    let mark = host.stderr_mark();
    env.put_plugin_file(
        "flaky.toml",
        manifest_for(&["*"], None, &[("mode", "done"), ("fixed", "yes")], &[]).as_bytes(),
    );
    host.wait_for_stderr("plugin reloaded", mark, SOON);
    env.install("late", "event_log", Some(&manifest(None, &[], &[])));
    eventually_or("late to be loaded", SOON, || match plugin(&host, "late") {
        Some(late) if late["loaded"] == json!(true) => Ok(()),
        other => Err(format!("{other:#?}")),
    });

    let mut browser = Browser::start(&tools, &host);

    // Signing in: a reader without a session lands on the sign-in page; a wrong token is told so.
    browser.goto("/console");
    browser.wait_for_page("Sign in");
    assert_eq!(browser.path(), "/console/sign-in");
    browser.screenshot("sign-in");
    browser.type_into("#token", "not-the-token");
    browser.click("form.sign-in button");
    browser.wait_until("the wrong token's message", |page| {
        match page.text("p.error").as_deref() {
            Some("That is not the admin token. Check admin.token in the host's configuration.") => {
                Ok(())
            }
            other => Err(format!("{other:?}")),
        }
    });
    browser.check_requests();
    browser.type_into("#token", ADMIN_TOKEN);
    browser.click("form.sign-in button");
    browser.wait_for_page("Overview");
    assert_eq!(
        browser.run("return document.cookie;", vec![]),
        json!(""),
        "the session cookie is HttpOnly: no script reads it"
    );
    browser.screenshot("overview");

    // The event list, newest first, and its filters.
    browser.click("nav a[href='/console/events']");
    browser.wait_for_page("Events");
    assert_eq!(browser.count("#events tbody tr"), 3);
    assert_eq!(
        browser.text("#events tbody tr td:nth-child(3)").as_deref(),
        Some("cy@example.com"),
        "newest first"
    );
    browser.screenshot("events");
    browser.type_into("form.filters input[name=type]", "activity.email.replied");
    browser.click("form.filters button");
    only_row(
        &mut browser,
        "type=activity.email.replied",
        "cy@example.com",
    );
    browser.click("form.filters a[href='/console/events']");
    browser.wait_until("the filter cleared", |page| rows(page, 3));
    browser.type_into("form.filters input[name=email]", "bob@example.com");
    browser.click("form.filters button");
    only_row(&mut browser, "email=bob%40example.com", "bob@example.com");

    // An event: its dead delivery, replayed now that the plugin is fixed, and seen done.
    browser.click("#events tbody tr a");
    browser.wait_for_page("Event prospect.updated");
    let event = browser
        .path()
        .trim_start_matches("/console/events/")
        .to_owned();
    assert_eq!(browser.count("article.delivery .badge.dead"), 1);
    browser.screenshot("event");
    browser.click("article.delivery form button");
    browser.wait_for_page("Delivery replayed");
    let new = browser
        .text("#new-delivery")
        .expect("the new delivery's id");
    browser.click("p a[href^='/console/events/']");
    browser.wait_for_page("Event prospect.updated");
    assert_eq!(browser.path(), format!("/console/events/{event}"));
    let replay = format!("#delivery-{new} .badge");
    eventually_or("the replay to be done", SOON, || {
        browser.goto(&format!("/console/events/{event}"));
        match browser.text(&replay) {
            Some(status) if status == "done" => Ok(()),
            other => Err(format!("{replay}: {other:?}")),
        }
    });
    browser.wait_for_page("Event prospect.updated");
    assert_eq!(browser.count("article.delivery .badge.replayed"), 1);

    // The plugin's two other dead letters, from the delivery list, after the confirmation.
    browser.click("nav a[href='/console/deliveries']");
    browser.wait_for_page("Deliveries");
    browser.run(
        "document.querySelector('form.filters select[name=status]').value = 'dead'; return null;",
        vec![],
    );
    browser.type_into("form.filters input[name=plugin]", "flaky");
    browser.click("form.filters button");
    browser.wait_until("the dead letters of flaky", |page| {
        rows_of(page, "#deliveries tbody tr", 2)?;
        if page.path().contains("status=dead") {
            Ok(())
        } else {
            Err(page.path())
        }
    });
    browser.check_requests();
    browser.screenshot("deliveries");
    browser.click("a.button[href='/console/plugins/flaky/replay-dead']");
    browser.wait_for_page("Replay dead letters");
    assert_eq!(
        browser.text("#dead-count strong").as_deref(),
        Some("2"),
        "the confirmation counts them"
    );
    browser.screenshot("replay-dead");
    browser.click("form[action='/console/plugins/flaky/replay-dead'] button");
    browser.wait_for_page("Dead letters replayed");
    assert_eq!(browser.text("#queued-count").as_deref(), Some("2"));
    eventually_or("no dead letter left", SOON, || {
        let dead = deliveries(&host, &[("status", "dead")]);
        if dead.is_empty() {
            Ok(())
        } else {
            Err(format!("{dead:#?}"))
        }
    });

    // A backfill of the late plugin from its card: the answer says how many were queued.
    browser.click("nav a[href='/console/plugins']");
    browser.wait_for_page("Plugins");
    browser.screenshot("plugins");
    browser.set_value("#plugin-late input[name=since]", "2000-01-01T00:00");
    browser.click("#plugin-late form.backfill button");
    browser.wait_for_page("Backfill queued");
    assert_eq!(browser.text("#queued-count").as_deref(), Some("3"));
    eventually_or("the backfill to run", SOON, || {
        let done = deliveries(&host, &[("plugin", "late"), ("status", "done")]);
        if done.len() == 3 {
            Ok(())
        } else {
            Err(format!("{done:#?}"))
        }
    });

    // Signing out ends the session: the console asks for the token again.
    browser.click("form.sign-out button");
    browser.wait_for_page("Sign in");
    browser.goto("/console/events");
    browser.wait_for_page("Sign in");
    assert_eq!(browser.path(), "/console/sign-in");

    let loaded = browser.loaded();
    for expected in [
        "/console/static/htmx.min.js",
        "/console/static/console.css",
        "/console/plugins/late/backfill",
    ] {
        assert!(
            loaded.contains(&format!("{}{expected}", browser.origin())),
            "{expected} among the URLs the pages loaded: {loaded:#?}"
        );
    }
}

/// The event list shows only the event of `email`, and the address bar the filter `query`.
fn only_row(browser: &mut Browser, query: &str, email: &str) {
    browser.wait_until(&format!("the events of {query}"), |page| {
        rows(page, 1)?;
        let shown = page.text("#events tbody tr td:nth-child(3)");
        if shown.as_deref() == Some(email) && page.path().contains(query) {
            Ok(())
        } else {
            Err(format!("{} shows {shown:?}", page.path()))
        }
    });
    browser.check_requests();
}

fn rows(page: &Browser, expected: usize) -> Result<(), String> {
    rows_of(page, "#events tbody tr", expected)
}

fn rows_of(page: &Browser, css: &str, expected: usize) -> Result<(), String> {
    let shown = page.count(css);
    if shown == expected {
        Ok(())
    } else {
        Err(format!("{}: {shown} rows of {css}", page.path()))
    }
}
