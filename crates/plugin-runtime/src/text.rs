//! Plugin-controlled text that crosses into the host (outcome reasons, trap messages, what a
//! plugin declares), cut to a documented size so that logs, the store, the admin API and
//! `check-plugin` all see the same bounded text.

/// The most bytes of an outcome reason (`skipped`, `retry`, `failed`) or trap message the host
/// keeps, the "…[N bytes cut]" suffix included.
pub const MAX_REASON_BYTES: usize = 2 * 1024;

/// Room kept for the suffix: `…[` + 20 digits + ` bytes cut]` is at most 36 bytes.
const SUFFIX_RESERVE: usize = 40;

/// Cuts `text` to at most `max` bytes, on a char boundary. Returns how many bytes were cut.
pub(crate) fn truncate_at_char(text: &mut String, max: usize) -> usize {
    if text.len() <= max {
        return 0;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text.len() - end;
    text.truncate(end);
    cut
}

/// `text` when it is at most `max` bytes; otherwise its start, on a char boundary, with a visible
/// `…[N bytes cut]` suffix, the whole at most `max` bytes (`max` is at least [`SUFFIX_RESERVE`]).
pub(crate) fn cut_text(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let cut = truncate_at_char(&mut text, max.saturating_sub(SUFFIX_RESERVE));
    text.push_str(&format!("…[{cut} bytes cut]"));
    // The plugin's text may have been megabytes: give the memory back now.
    text.shrink_to_fit();
    text
}

/// An outcome reason or trap message, cut to [`MAX_REASON_BYTES`].
pub(crate) fn cut_reason(text: String) -> String {
    cut_text(text, MAX_REASON_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_unchanged() {
        assert_eq!(cut_reason("permanent".to_owned()), "permanent");
        let exact = "x".repeat(MAX_REASON_BYTES);
        assert_eq!(cut_reason(exact.clone()), exact);
    }

    #[test]
    fn long_text_is_cut_with_a_visible_suffix_within_the_cap() {
        let long = "y".repeat(48 * 1024 * 1024);
        let cut = cut_reason(long);
        assert!(cut.len() <= MAX_REASON_BYTES, "{}", cut.len());
        let kept = MAX_REASON_BYTES - SUFFIX_RESERVE;
        assert!(cut.starts_with(&"y".repeat(kept)));
        assert!(cut.ends_with(&format!("…[{} bytes cut]", 48 * 1024 * 1024 - kept)));
    }

    #[test]
    fn the_cut_falls_on_a_char_boundary() {
        // 'é' is two bytes: an odd cut point lands inside one.
        let mut text = "é".repeat(10);
        assert_eq!(truncate_at_char(&mut text, 5), 16);
        assert_eq!(text, "éé");
        let cut = cut_text("é".repeat(100), SUFFIX_RESERVE + 5);
        assert!(cut.starts_with("éé…["), "{cut}");
    }
}
