//! The text a prospect wrote in a reply: without the quoted thread, at most a few hundred
//! characters.

use smartreach_plugin_sdk::models::Activity;

/// The start of the reply's own text, at most `max_chars` characters (ending in `…` when cut).
///
/// Reads the plain-text body, else the HTML body with its tags removed; stops at the quoted
/// thread (a line starting with `>`, an "On ... wrote:" line, or an "Original Message" marker).
pub fn snippet(activity: &Activity, max_chars: usize) -> String {
    let text = match (&activity.email_text_body, &activity.email_body) {
        (Some(text), _) if !text.trim().is_empty() => text.clone(),
        (_, Some(html)) => html_to_text(html),
        _ => String::new(),
    };
    truncate(&own_text(&text), max_chars)
}

/// The lines before the quoted thread, with runs of blank lines collapsed to one.
fn own_text(text: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        let quoted = trimmed.starts_with('>')
            || (trimmed.starts_with("On ") && trimmed.ends_with("wrote:"))
            || trimmed.contains("Original Message");
        if quoted {
            break;
        }
        if trimmed.is_empty() && lines.last().is_none_or(|last| last.is_empty()) {
            continue;
        }
        lines.push(trimmed);
    }
    lines.join("\n").trim().to_owned()
}

/// Cuts `text` to at most `max_chars` characters, the last being `…` when it was cut.
pub fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let keep: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{}…", keep.trim_end())
}

/// A rough text rendering of an email's HTML: quoted blocks dropped, line-breaking tags as
/// newlines, other tags removed, the common entities decoded.
fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    let mut blockquote_depth = 0usize;
    while let Some(open) = rest.find('<') {
        if blockquote_depth == 0 {
            text.push_str(&rest[..open]);
        }
        let Some(close) = rest[open..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        match (name, tag.starts_with('/')) {
            ("blockquote", false) => blockquote_depth += 1,
            ("blockquote", true) => blockquote_depth = blockquote_depth.saturating_sub(1),
            ("br", _) | ("div" | "p" | "li" | "tr", true) if blockquote_depth == 0 => {
                text.push('\n');
            }
            _ => {}
        }
        rest = &rest[open + close + 1..];
    }
    if blockquote_depth == 0 {
        text.push_str(rest);
    }
    decode_entities(&text)
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(text: Option<&str>, html: Option<&str>) -> Activity {
        Activity {
            campaign_name: None,
            campaign_step_name: None,
            clicked_url: None,
            created_at: None,
            email_body: html.map(str::to_owned),
            email_from: None,
            email_subject: None,
            email_text_body: text.map(str::to_owned),
            email_to: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn stops_at_the_quoted_thread() {
        let text = "Hi Daniel,\n\n\n\nSounds good.\n\n> On Tue, Daniel wrote:\n> Hi Rachel";
        assert_eq!(
            snippet(&activity(Some(text), None), 500),
            "Hi Daniel,\n\nSounds good."
        );
        let outlook = "Yes please.\n-----Original Message-----\nFrom: Daniel";
        assert_eq!(snippet(&activity(Some(outlook), None), 500), "Yes please.");
        let gmail = "Thursday works.\nOn Tue, Mar 10, 2026 at 9:00 AM Daniel wrote:\nHi";
        assert_eq!(
            snippet(&activity(Some(gmail), None), 500),
            "Thursday works."
        );
    }

    #[test]
    fn falls_back_to_the_html_body_without_its_blockquote() {
        let html = "<div>Hi &amp; thanks,</div><div><br></div><div>Call me at &lt;5pm&gt;.</div>\
                    <blockquote>On Tue <b>Daniel</b> wrote: old text</blockquote>";
        assert_eq!(
            snippet(&activity(None, Some(html)), 500),
            "Hi & thanks,\n\nCall me at <5pm>."
        );
        assert_eq!(
            snippet(&activity(Some("  "), Some("<p>From HTML</p>")), 500),
            "From HTML"
        );
    }

    #[test]
    fn cuts_long_replies_to_the_limit_with_an_ellipsis() {
        let long = "word ".repeat(300);
        let cut = snippet(&activity(Some(&long), None), 500);
        assert!(cut.chars().count() <= 500, "{}", cut.chars().count());
        assert!(cut.ends_with("word…"), "{cut}");
        assert_eq!(truncate("short", 500), "short");
        assert_eq!(truncate("héllo", 3), "hé…");
    }

    #[test]
    fn an_activity_without_a_body_has_an_empty_snippet() {
        assert_eq!(snippet(&activity(None, None), 500), "");
    }
}
