//! The host's log: `tracing` to stderr, as text or JSON lines.
//!
//! Field values come from senders (event types) and plugins (their log lines, reasons). In JSON
//! they are JSON strings, escaped by the serializer; in text, [`EscapedFields`] writes every
//! control character as an escape (`\n`, `\r`, `\u{1b}`), so that a value can neither start a
//! line of its own that looks like the host's nor send escape sequences to a terminal. Colours
//! are used only when stderr is a terminal.

use std::fmt;
use std::io::IsTerminal as _;

use smartreach_config::{LogConfig, LogFormat};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::{DefaultFields, Writer};

/// Installs the global subscriber. `log.filter` uses the `RUST_LOG` syntax
/// (e.g. `info,smartreach_dispatch=debug`).
pub fn init(config: &LogConfig) -> Result<(), String> {
    let filter = EnvFilter::try_new(&config.filter).map_err(|err| {
        format!(
            "log.filter `{}` is not a valid filter: {err}",
            config.filter
        )
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match config.format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .fmt_fields(EscapedFields::default())
            .try_init(),
    };
    result.map_err(|err| format!("cannot install the logger: {err}"))
}

/// tracing's default text fields (`message key=value ...`), with every control character of the
/// output escaped. tracing itself escapes ESC and the other terminal controls, not line breaks.
#[derive(Debug, Default)]
pub struct EscapedFields(DefaultFields);

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut escaped = EscapeControls(&mut writer);
        self.0.format_fields(Writer::new(&mut escaped), fields)
    }
}

/// Passes text through, writing as Rust escapes the characters that can start a line or change
/// how the rest of it reads: control characters (C0, DEL, C1), the Unicode line and paragraph
/// separators, and the invisible format characters that reorder or hide text (bidi overrides and
/// isolates, zero-width characters, the byte-order mark).
struct EscapeControls<W>(W);

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{061c}' | '\u{200e}' | '\u{200f}' // bidi marks
            | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' // zero-width, BOM
        )
}

impl<W: fmt::Write> fmt::Write for EscapeControls<W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut rest = text;
        while let Some(at) = rest.find(needs_escape) {
            self.0.write_str(&rest[..at])?;
            let control = rest[at..].chars().next().unwrap_or_default();
            write!(self.0, "{}", control.escape_debug())?;
            rest = &rest[at + control.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        let mut out = String::new();
        let mut escaped = EscapeControls(&mut out);
        write!(escaped, "a\nb\r\u{1b}[31mc\u{85}d\u{7f} é\t").unwrap();
        assert_eq!(out, r"a\nb\r\u{1b}[31mc\u{85}d\u{7f} é\t");
    }

    #[test]
    fn line_separators_and_bidi_overrides_are_escaped() {
        let mut out = String::new();
        let mut escaped = EscapeControls(&mut out);
        write!(escaped, "a\u{2028}b\u{202e}c\u{200b}d").unwrap();
        assert_eq!(out, r"a\u{2028}b\u{202e}c\u{200b}d");
    }
}
