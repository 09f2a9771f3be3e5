//! The name of a new plugin: the host's plugin-name rule, and what makes the same name work as a
//! file name, a cargo package and an npm package.

use super::Lang;

/// The longest name accepted (cargo's limit for a package name).
pub const MAX_LEN: usize = 64;

/// Names cargo refuses for a package: Rust's keywords, the built-in crates and the names of its
/// own output folders.
const CARGO_RESERVED: [&str; 60] = [
    "abstract",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
    "alloc",
    "core",
    "proc-macro",
    "proc_macro",
    "std",
    "test",
    "build",
    "deps",
    "examples",
];

/// Checks `name` as the name of a new plugin in `lang`; the error says what is wrong and what a
/// name may be.
///
/// The host loads a plugin from `NAME.wasm` only when NAME is letters, digits, `-` and `_`
/// (`smartreach_dispatch::plugins::is_plugin_name`). A new project's name is also its cargo or npm
/// package's, so it starts with a letter and is lowercase (npm refuses capitals), and a Rust
/// project's is no name cargo refuses.
pub fn validate(name: &str, lang: Lang) -> Result<(), String> {
    const RULE: &str = "a plugin name is a lowercase letter followed by lowercase letters, digits, \
                        `-` and `_` (e.g. `crm-push`)";
    if name.is_empty() {
        return Err(format!("it is empty; {RULE}"));
    }
    if let Some((at, c)) = name
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(format!(
            "{c:?} at byte {at} is not allowed: the host loads a plugin only from NAME.wasm whose \
             NAME is letters, digits, `-` and `_`; {RULE}"
        ));
    }
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "it has capitals, which npm refuses in a package name: use `{}`; {RULE}",
            name.to_ascii_lowercase()
        ));
    }
    if !name.as_bytes()[0].is_ascii_lowercase() {
        return Err(format!(
            "it starts with {:?}, and cargo and npm package names start with a letter; {RULE}",
            char::from(name.as_bytes()[0])
        ));
    }
    if name.len() > MAX_LEN {
        return Err(format!(
            "it is {} bytes long, and a package name is at most {MAX_LEN}",
            name.len()
        ));
    }
    if lang == Lang::Rust && CARGO_RESERVED.contains(&name) {
        return Err(format!(
            "cargo refuses `{name}` as a package name (a Rust keyword, a built-in crate or one \
             of cargo's folders): choose another, such as `{name}-plugin`"
        ));
    }
    Ok(())
}

/// The Rust type name of the plugin `name`: `crm-push` -> `CrmPush`.
pub fn type_name(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(name: &str, lang: Lang) -> String {
        match validate(name, lang) {
            Ok(()) => panic!("{name:?} was accepted"),
            Err(reason) => reason,
        }
    }

    #[test]
    fn accepts_what_the_host_cargo_and_npm_all_accept() {
        for name in [
            "crm-push",
            "a",
            "lead_score2",
            "x-1-y",
            &"a".repeat(MAX_LEN),
        ] {
            for lang in [Lang::Rust, Lang::Ts, Lang::Js, Lang::Python] {
                assert_eq!(validate(name, lang), Ok(()), "{name} in {lang:?}");
            }
        }
    }

    #[test]
    fn names_the_character_the_host_would_not_load() {
        let reason = refused("crm.push", Lang::Ts);
        assert!(
            reason.starts_with("'.' at byte 3 is not allowed"),
            "{reason}"
        );
        assert!(reason.contains("NAME.wasm"), "{reason}");
        assert!(refused("crm push", Lang::Js).starts_with("' ' at byte 3"));
        assert!(refused("../x", Lang::Rust).starts_with("'.' at byte 0"));
        assert!(refused("é", Lang::Python).starts_with("'é' at byte 0"));
        assert!(refused("", Lang::Rust).starts_with("it is empty"));
    }

    #[test]
    fn refuses_capitals_with_the_lowercase_name() {
        let reason = refused("CrmPush", Lang::Python);
        assert!(reason.contains("use `crmpush`"), "{reason}");
    }

    #[test]
    fn must_start_with_a_letter_and_fit_cargo() {
        assert!(refused("1crm", Lang::Ts).starts_with("it starts with '1'"));
        assert!(refused("-crm", Lang::Ts).starts_with("it starts with '-'"));
        assert!(refused("_crm", Lang::Python).starts_with("it starts with '_'"));
        let long = "a".repeat(MAX_LEN + 1);
        assert!(refused(&long, Lang::Js).contains("65 bytes long"));
    }

    #[test]
    fn only_rust_refuses_the_names_cargo_reserves() {
        for name in ["test", "fn", "std", "self", "proc-macro"] {
            let reason = refused(name, Lang::Rust);
            assert!(reason.contains("cargo refuses"), "{reason}");
            assert_eq!(validate(name, Lang::Python), Ok(()));
        }
    }

    #[test]
    fn type_names_are_camel_case() {
        assert_eq!(type_name("crm-push"), "CrmPush");
        assert_eq!(type_name("lead_score2"), "LeadScore2");
        assert_eq!(type_name("a--b"), "AB");
    }
}
