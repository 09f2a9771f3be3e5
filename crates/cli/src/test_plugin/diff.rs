//! The plain-text diff printed when a snapshot differs: a unified diff of the accepted snapshot
//! against this run, with a few lines of context, readable without `cargo insta`.

use similar::TextDiff;

/// Lines of context around each change.
const CONTEXT_LINES: usize = 3;

/// `old` (the accepted snapshot, at `path`) against `new` (this run), as a unified diff; a new
/// snapshot shows every line as added.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .header(path, "this run")
        .missing_newline_hint(false)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn a_changed_line_shows_as_removed_and_added_with_its_context() {
        let old = "a: 1\nb: 2\nc: 3\n";
        let new = "a: 1\nb: 20\nc: 3\n";
        assert_eq!(
            unified("x.snap", old, new),
            "--- x.snap\n+++ this run\n@@ -1,3 +1,3 @@\n a: 1\n-b: 2\n+b: 20\n c: 3\n"
        );
    }
}
