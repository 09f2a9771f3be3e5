//! The lines of the Prometheus text exposition format 0.0.4: a family's `# HELP` and `# TYPE`,
//! and its samples, with label values and help escaped as the format wants.

use std::fmt::{Display, Write};

/// What a family is, in its `# TYPE` line.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// Writes the `# HELP` and `# TYPE` lines that open the family `name`.
pub(super) fn header(out: &mut String, name: &str, kind: Kind, help: &str) {
    out.push_str("# HELP ");
    out.push_str(name);
    out.push(' ');
    for char in help.chars() {
        match char {
            '\\' => out.push_str(r"\\"),
            '\n' => out.push_str(r"\n"),
            other => out.push(other),
        }
    }
    out.push_str("\n# TYPE ");
    out.push_str(name);
    out.push(' ');
    out.push_str(kind.name());
    out.push('\n');
}

/// Writes the sample `name{label="value",...} value`; no braces when there are no labels.
///
/// `value` is an integer or a finite `f64` (all values here are counts and durations): Rust
/// prints both in a form the format accepts, but would print an infinity as `inf`, not `+Inf`.
pub(super) fn sample<'a>(
    out: &mut String,
    name: &str,
    labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    value: impl Display,
) {
    out.push_str(name);
    let mut first = true;
    for (label, label_value) in labels {
        out.push(if first { '{' } else { ',' });
        first = false;
        out.push_str(label);
        out.push_str("=\"");
        escape_label_value(out, label_value);
        out.push('"');
    }
    if !first {
        out.push('}');
    }
    // Writing to a `String` cannot fail.
    let _ = writeln!(out, " {value}");
}

/// A label value between its double quotes: backslash, double quote and line feed escaped.
fn escape_label_value(out: &mut String, value: &str) {
    for char in value.chars() {
        match char {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str(r"\n"),
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_without_labels_has_no_braces() {
        let mut out = String::new();
        sample(&mut out, "up", [], 1);
        assert_eq!(out, "up 1\n");
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        let mut out = String::new();
        header(&mut out, "m", Kind::Gauge, "a \\ b\nc \"d\"");
        sample(&mut out, "m", [("a", "x\\y\"z\nw"), ("b", "")], 0.5);
        assert_eq!(
            out,
            "# HELP m a \\\\ b\\nc \"d\"\n# TYPE m gauge\nm{a=\"x\\\\y\\\"z\\nw\",b=\"\"} 0.5\n"
        );
    }
}
