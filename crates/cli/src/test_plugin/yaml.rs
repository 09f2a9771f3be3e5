//! The YAML text of a snapshot: a small tree ([`Node`]) written in one fixed style, so that the
//! same run always gives the same bytes. Strings are written plain only when no YAML reader could
//! take them for anything else (a number, a boolean, a key, a comment); otherwise double-quoted
//! with JSON's escapes, which YAML reads the same.

use std::fmt::Write as _;

/// A value of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `~`.
    Null,
    /// `true`, `false`, a number: written as given.
    Raw(String),
    /// A string, quoted when it must be.
    Text(String),
    /// A list.
    Seq(Vec<Node>),
    /// Keys in the order given.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A map of `entries`, keeping their order.
    pub fn map(entries: impl IntoIterator<Item = (&'static str, Node)>) -> Self {
        Self::Map(
            entries
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect(),
        )
    }

    /// A string.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// A JSON value: objects keep serde_json's order (sorted by key), so equal documents give
    /// equal text whatever order a plugin wrote their keys in.
    pub fn from_json(value: &serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => Self::Null,
            Value::Bool(value) => Self::Raw(value.to_string()),
            Value::Number(value) => Self::Raw(value.to_string()),
            Value::String(value) => Self::Text(value.clone()),
            Value::Array(items) => Self::Seq(items.iter().map(Self::from_json).collect()),
            Value::Object(entries) => Self::Map(
                entries
                    .iter()
                    .map(|(key, value)| (key.clone(), Self::from_json(value)))
                    .collect(),
            ),
        }
    }

    /// The document, ending with a newline.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        match self {
            Self::Seq(items) if !items.is_empty() => write_seq(&mut out, items, 0),
            Self::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0),
            scalar => {
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
        out
    }
}

fn write_map(out: &mut String, entries: &[(String, Node)], indent: usize) {
    for (index, (key, value)) in entries.iter().enumerate() {
        // The first key of a map inside a list item sits on the `- ` line.
        if index > 0 || !out.ends_with("- ") {
            push_indent(out, indent);
        }
        out.push_str(&scalar(key));
        out.push(':');
        write_value(out, value, indent);
    }
}

fn write_seq(out: &mut String, items: &[Node], indent: usize) {
    for item in items {
        push_indent(out, indent);
        out.push_str("- ");
        match item {
            Node::Map(entries) if !entries.is_empty() => write_map(out, entries, indent + 2),
            Node::Seq(inner) if !inner.is_empty() => {
                out.pop();
                out.push('\n');
                write_seq(out, inner, indent + 2);
            }
            scalar => {
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

/// The value after `key:`: on the same line when it is a scalar, below it otherwise.
fn write_value(out: &mut String, value: &Node, indent: usize) {
    match value {
        Node::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            write_map(out, entries, indent + 2);
        }
        Node::Seq(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        scalar => {
            let _ = writeln!(out, " {}", inline(scalar));
        }
    }
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar, or an empty list or map, on one line.
fn inline(node: &Node) -> String {
    match node {
        Node::Null => "~".to_owned(),
        Node::Raw(raw) => raw.clone(),
        Node::Text(text) => scalar(text),
        Node::Seq(_) => "[]".to_owned(),
        Node::Map(_) => "{}".to_owned(),
    }
}

/// `text` plain when that is safe, else double-quoted.
pub fn scalar(text: &str) -> String {
    if is_plain(text) {
        text.to_owned()
    } else {
        serde_json::to_string(text).expect("a string serialises")
    }
}

fn is_plain(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let reserved = ["true", "false", "null", "yes", "no", "on", "off", "y", "n"];
    // Inside a plain scalar of a block, `:` only matters before a space or at the end, and `#`
    // only after a space; the other indicators only at the start.
    (first.is_alphabetic() || first == '/' || first == '_')
        && !text.ends_with([' ', ':'])
        && !text.contains(": ")
        && !text.contains(" #")
        && !reserved.contains(&text.to_ascii_lowercase().as_str())
        && text.chars().all(|c| {
            c.is_alphanumeric()
                || matches!(
                    c,
                    ' ' | '_'
                        | '.'
                        | '/'
                        | '-'
                        | '+'
                        | '@'
                        | '('
                        | ')'
                        | ':'
                        | ','
                        | '='
                        | '&'
                        | '?'
                        | '%'
                        | '#'
                        | '$'
                        | '{'
                        | '}'
                        | '*'
                        | '~'
                        | '<'
                        | '>'
                        | '!'
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_values_are_indented_in_one_style() {
        let json = serde_json::json!({"b": [1, {"x": "y z", "w": []}], "a": {"k": null}, "c": "1"});
        let doc = Node::Seq(vec![
            Node::map([("id", Node::text("e: 0")), ("body", Node::from_json(&json))]),
            Node::text("true"),
        ]);
        assert_eq!(
            doc.to_yaml(),
            "- id: \"e: 0\"\n  body:\n    a:\n      k: ~\n    b:\n      - 1\n      - w: []\n        \
             x: y z\n    c: \"1\"\n- \"true\"\n"
        );
    }

    #[test]
    fn strings_are_plain_only_when_nothing_else_reads_them_differently() {
        assert_eq!(scalar("Jürgen Weiß"), "Jürgen Weiß");
        assert_eq!(
            scalar("/crm/contacts/smartreach-1"),
            "/crm/contacts/smartreach-1"
        );
        assert_eq!(scalar("株式会社"), "株式会社");
        assert_eq!(scalar("https://a.example/x?y=1"), "https://a.example/x?y=1");
        assert_eq!(scalar("Bearer ${TOKEN}"), "Bearer ${TOKEN}");
        for quoted in [
            "",
            "12",
            "no",
            "a: b",
            "a:",
            "a #b",
            "# x",
            "- x",
            "x ",
            "line\nbreak",
        ] {
            assert!(scalar(quoted).starts_with('"'), "{quoted}");
        }
    }
}
