//! The project templates of `crates/cli/templates/`, built into the binary, and their rendering:
//! `{{key}}` is replaced by the key's value, nothing else is special.

/// The language of a new plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust, with the SDK crate `smartreach-plugin-sdk`.
    Rust,
    /// TypeScript, with the SDK `@smartreach-hooks/plugin-sdk` (componentize-js).
    #[value(alias = "typescript")]
    Ts,
    /// JavaScript, with the same SDK as TypeScript.
    #[value(alias = "javascript")]
    Js,
    /// Python, with the SDK `smartreach_plugin` (componentize-py).
    #[value(alias = "py")]
    Python,
}

impl Lang {
    /// The language's name in messages.
    pub fn title(self) -> &'static str {
        match self {
            Self::Rust => "Rust",
            Self::Ts => "TypeScript",
            Self::Js => "JavaScript",
            Self::Python => "Python",
        }
    }

    /// The file the author edits.
    pub fn source(self) -> &'static str {
        match self {
            Self::Rust => "src/lib.rs",
            Self::Ts => "src/plugin.ts",
            Self::Js => "src/plugin.js",
            Self::Python => "src/plugin.py",
        }
    }
}

/// One file of a template: where it goes in the project, its text with `{{key}}`s, and whether
/// it is a script.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// Its path in the project; `{{name}}` is replaced here too.
    pub path: &'static str,
    /// Its text.
    pub text: &'static str,
    /// Written executable (the build script).
    pub executable: bool,
}

const fn file(path: &'static str, text: &'static str) -> Template {
    Template {
        path,
        text,
        executable: false,
    }
}

const fn script(path: &'static str, text: &'static str) -> Template {
    Template {
        path,
        text,
        executable: true,
    }
}

/// Every project's manifest, `NAME.toml` beside `NAME.wasm`, where the host and `check-plugin`
/// read it.
const MANIFEST: Template = file(
    "{{name}}.toml",
    include_str!("../../templates/common/manifest.toml"),
);

/// A sample webhook body: what `check-plugin --event`, `test-plugin --events` and the Rust test
/// run the plugin on.
const SAMPLE_EVENT: Template = file(
    "events/activity.email.replied.json",
    include_str!("../../../../tests/fixtures/events/activity.email.replied.json"),
);

/// The README of an SDK copy.
const SDK_README: Template = file(
    "sdk/README.md",
    include_str!("../../templates/common/sdk-readme.md"),
);

const RUST: [Template; 5] = [
    file(
        "Cargo.toml",
        include_str!("../../templates/rust/Cargo.toml"),
    ),
    file(
        "src/lib.rs",
        include_str!("../../templates/rust/src/lib.rs"),
    ),
    script("build.sh", include_str!("../../templates/rust/build.sh")),
    file("README.md", include_str!("../../templates/rust/README.md")),
    file(".gitignore", include_str!("../../templates/rust/gitignore")),
];

const BUILD_NPM: &str = include_str!("../../templates/common/build-npm.sh");

const TS: [Template; 6] = [
    file(
        "package.json",
        include_str!("../../templates/ts/package.json"),
    ),
    file(
        "tsconfig.json",
        include_str!("../../templates/ts/tsconfig.json"),
    ),
    file(
        "src/plugin.ts",
        include_str!("../../templates/ts/src/plugin.ts"),
    ),
    script("build.sh", BUILD_NPM),
    file("README.md", include_str!("../../templates/ts/README.md")),
    file(".gitignore", include_str!("../../templates/ts/gitignore")),
];

const JS: [Template; 5] = [
    file(
        "package.json",
        include_str!("../../templates/js/package.json"),
    ),
    file(
        "src/plugin.js",
        include_str!("../../templates/js/src/plugin.js"),
    ),
    script("build.sh", BUILD_NPM),
    file("README.md", include_str!("../../templates/js/README.md")),
    file(".gitignore", include_str!("../../templates/js/gitignore")),
];

const PYTHON: [Template; 4] = [
    file(
        "src/plugin.py",
        include_str!("../../templates/python/src/plugin.py"),
    ),
    script("build.sh", include_str!("../../templates/python/build.sh")),
    file(
        "README.md",
        include_str!("../../templates/python/README.md"),
    ),
    file(
        ".gitignore",
        include_str!("../../templates/python/gitignore"),
    ),
];

/// The templates of a `lang` project (the SDK copy aside).
pub fn templates(lang: Lang) -> Vec<Template> {
    let own: &[Template] = match lang {
        Lang::Rust => &RUST,
        Lang::Ts => &TS,
        Lang::Js => &JS,
        Lang::Python => &PYTHON,
    };
    let mut all = own.to_vec();
    all.push(MANIFEST);
    all.push(SAMPLE_EVENT);
    if lang != Lang::Rust {
        all.push(SDK_README);
    }
    all
}

/// `text` with every `{{key}}` of `values` replaced by its value.
pub fn render(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (key, value) in values {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: [(&str, &str); 7] = [
        ("lang", "TypeScript"),
        ("name", "crm-push"),
        ("crate_name", "crm_push"),
        ("type_name", "CrmPush"),
        ("entry", "src/plugin.ts"),
        ("rust_sdk", "\"../crates/plugin-sdk\""),
        ("version", "0.1.0"),
    ];

    #[test]
    fn render_replaces_every_key_and_nothing_else() {
        assert_eq!(
            render("{{name}}.wasm {name} {{other}}", &VALUES),
            "crm-push.wasm {name} {{other}}"
        );
    }

    #[test]
    fn every_template_renders_whole() {
        for lang in [Lang::Rust, Lang::Ts, Lang::Js, Lang::Python] {
            for template in templates(lang) {
                let text = render(template.text, &VALUES);
                let path = render(template.path, &VALUES);
                assert!(
                    !text.contains("{{") && !path.contains("{{"),
                    "{path} of {lang:?} keeps a key: {text}"
                );
            }
        }
    }

    #[test]
    fn every_project_has_a_source_manifest_readme_build_script_and_sample() {
        for lang in [Lang::Rust, Lang::Ts, Lang::Js, Lang::Python] {
            let paths: Vec<&str> = templates(lang).iter().map(|t| t.path).collect();
            for wanted in [
                lang.source(),
                "{{name}}.toml",
                "README.md",
                "build.sh",
                "events/activity.email.replied.json",
            ] {
                assert!(paths.contains(&wanted), "{lang:?} has no {wanted}");
            }
            let scripts: Vec<&str> = templates(lang)
                .iter()
                .filter(|t| t.executable)
                .map(|t| t.path)
                .collect();
            assert_eq!(scripts, ["build.sh"], "{lang:?}");
        }
    }

    #[test]
    fn the_readme_is_three_lines() {
        for lang in [Lang::Rust, Lang::Ts, Lang::Js, Lang::Python] {
            let readme = templates(lang)
                .into_iter()
                .find(|t| t.path == "README.md")
                .unwrap();
            assert_eq!(readme.text.lines().count(), 3, "{lang:?}");
        }
    }

    #[test]
    fn the_manifest_is_one_the_host_loads() {
        let text = render(MANIFEST.text, &VALUES);
        let manifest =
            smartreach_plugin_manifest::Manifest::from_toml(&text, "crm-push.toml".as_ref())
                .unwrap();
        assert_eq!(manifest.limits.timeout_ms.map(|ms| ms.get()), Some(1000));
        assert!(manifest.allowed_outbound_hosts.is_empty());
    }
}
