//! `AllowedHost::parse` on any text: never panics; an accepted entry prints as an entry that
//! parses to the same thing, and matching any target never panics.
//!
//! Input: `ENTRY\nHOST\nPORT` (the last two optional), so that seeds are readable text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smartreach_plugin_manifest::AllowedHost;

fuzz_target!(|text: &str| {
    let mut parts = text.splitn(3, '\n');
    let entry = parts.next().unwrap_or_default();
    let host = parts.next().unwrap_or("example.com");
    let port = parts
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(443);
    let Ok(allowed) = AllowedHost::parse(entry) else {
        return;
    };
    let shown = allowed.to_string();
    let again = AllowedHost::parse(&shown).expect("a printed entry parses");
    assert_eq!(
        allowed, again,
        "`{entry}` printed as `{shown}` means something else"
    );
    for scheme in ["http", "https"] {
        let _ = allowed.matches(scheme, host, port);
    }
});
