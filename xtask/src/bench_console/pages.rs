//! The console's pages as the bench requests them, and the report of their server times.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::conformance::http::send;

/// The budget of one page, as the console's issue sets it.
const BUDGET_MS: f64 = 50.0;

/// What the report says about the run.
pub trait Described {
    /// One line: events, samples, build.
    fn describe(&self) -> String;
}

/// One page's server times, in milliseconds, sorted.
pub struct Row {
    /// What was requested.
    pub name: String,
    /// The path.
    pub path: String,
    /// Each sample, sorted.
    pub times: Vec<f64>,
}

impl Row {
    fn percentile(&self, p: f64) -> f64 {
        let index = ((self.times.len() - 1) as f64 * p).round() as usize;
        self.times[index]
    }
}

/// Signs in and requests each page `samples` times after a warm-up.
pub fn measure(addr: SocketAddr, token: &str, samples: usize) -> Result<Vec<Row>> {
    let body = format!("token={token}");
    let answer = send(
        addr,
        "POST",
        "/console/sign-in",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )?;
    if answer.status != 303 {
        bail!("signing in: {} {}", answer.status, answer.body);
    }
    let cookie = answer
        .header("set-cookie")
        .and_then(|value| value.split(';').next())
        .context("signing in: no session cookie")?
        .to_owned();
    let get = |path: &str| -> Result<(String, f64)> {
        let answer = send(addr, "GET", path, &[("Cookie", &cookie)], b"")?;
        if answer.status != 200 {
            bail!("GET {path}: {} {}", answer.status, answer.body);
        }
        let timing = answer
            .header("server-timing")
            .and_then(|value| value.strip_prefix("app;dur="))
            .and_then(|ms| ms.parse::<f64>().ok())
            .with_context(|| format!("GET {path}: no Server-Timing"))?;
        Ok((answer.body, timing))
    };
    // Ids to open and a cursor to follow, from the pages themselves.
    let (events, _) = get("/console/events")?;
    let event = between(&events, "href=\"/console/events/", "\"").context("an event link")?;
    let older = between(&events, "rel=\"next\" href=\"", "\"")
        .context("a next page")?
        .replace("&amp;", "&");
    let pages = [
        ("overview", "/console".to_owned()),
        ("events", "/console/events".to_owned()),
        ("events, older page", older),
        (
            "events by type",
            "/console/events?type=activity.email.replied".to_owned(),
        ),
        (
            "events by email",
            "/console/events?email=p42%40example.com".to_owned(),
        ),
        (
            "events, time range",
            "/console/events?since=2000-01-01T00%3A00&until=2100-01-01T00%3A00".to_owned(),
        ),
        ("event", format!("/console/events/{event}")),
        ("deliveries", "/console/deliveries".to_owned()),
        (
            "deliveries, dead",
            "/console/deliveries?status=dead".to_owned(),
        ),
        (
            "deliveries of a plugin",
            "/console/deliveries?plugin=event-log".to_owned(),
        ),
        ("plugins", "/console/plugins".to_owned()),
        (
            "replay-dead confirmation",
            "/console/plugins/crm-sync/replay-dead".to_owned(),
        ),
    ];
    let mut rows = Vec::new();
    for (name, path) in pages {
        get(&path)?;
        let mut times = Vec::with_capacity(samples);
        for _ in 0..samples {
            times.push(get(&path)?.1);
        }
        times.sort_by(f64::total_cmp);
        rows.push(Row {
            name: name.to_owned(),
            path,
            times,
        });
    }
    Ok(rows)
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let rest = &text[from..];
    Some(rest[..rest.find(end)?].to_owned())
}

/// Prints the table (Markdown, for README) and the verdict against the budget.
pub fn report(rows: &[Row], run: &impl Described, binary: &Path) {
    println!();
    println!("bench-console: {} ({})", run.describe(), binary.display());
    println!();
    println!("| Page | Path | median | p95 | max |");
    println!("|---|---|---|---|---|");
    for row in rows {
        println!(
            "| {} | `{}` | {:.1} ms | {:.1} ms | {:.1} ms |",
            row.name,
            row.path,
            row.percentile(0.5),
            row.percentile(0.95),
            row.percentile(1.0)
        );
    }
    let over: Vec<&str> = rows
        .iter()
        .filter(|row| row.percentile(0.95) >= BUDGET_MS)
        .map(|row| row.name.as_str())
        .collect();
    println!();
    if over.is_empty() {
        println!("every page's p95 is under {BUDGET_MS} ms of server time");
    } else {
        println!("over {BUDGET_MS} ms at p95: {}", over.join(", "));
    }
}
