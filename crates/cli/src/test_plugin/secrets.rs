//! The manifest's `{ env = "VAR" }` secrets in a test run: the environment's value when `VAR`
//! is set, else a placeholder (`test-plugin.toml`'s `[placeholders]`, or `placeholder-VAR`), so
//! that the command runs without real credentials. Either way the value never reaches a
//! snapshot: it is written `${VAR}`, and a URL that holds one shows only the first segment of
//! its path (as `check-plugin` shows paths), so a snapshot is the same with or without the real
//! secret.

use std::collections::BTreeMap;

use smartreach_plugin_manifest::{ConfigValue, Manifest};

use crate::check_plugin::mask::mask_path;

/// Secrets shorter than this are not masked: replacing every `a` of a snapshot hides nothing.
const MIN_MASKED_CHARS: usize = 4;

/// The values of the manifest's environment secrets for one run.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// `(VAR, value)`, longest value first, so that a secret inside another is masked last.
    values: Vec<(String, String)>,
}

impl Secrets {
    /// The value of every `{ env = "VAR" }` of `manifest`: `env(VAR)`, else the placeholder.
    pub fn resolve(
        manifest: &Manifest,
        placeholders: &BTreeMap<String, String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let mut values: Vec<(String, String)> = manifest
            .config
            .values()
            .filter_map(|value| match value {
                ConfigValue::Env { env } => Some(env.clone()),
                ConfigValue::Literal(_) => None,
            })
            .map(|var| {
                let value = env(&var)
                    .or_else(|| placeholders.get(&var).cloned())
                    .unwrap_or_else(|| format!("placeholder-{var}"));
                (var, value)
            })
            .collect();
        values.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        values.dedup();
        Self { values }
    }

    /// The value of `var`, for the runtime's lookup.
    pub fn get(&self, var: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(name, _)| name == var)
            .map(|(_, value)| value.clone())
    }

    /// `text` with every secret written `${VAR}`.
    pub fn mask(&self, text: &str) -> String {
        let mut masked = text.to_owned();
        for (var, value) in self.masked_values() {
            masked = masked.replace(value, &format!("${{{var}}}"));
        }
        masked
    }

    /// `origin` + `path`, with the path cut to its first segment when a secret is in the URL.
    pub fn mask_url(&self, origin: &str, path: &str) -> String {
        let whole = format!("{origin}{path}");
        if self
            .masked_values()
            .any(|(_, value)| whole.contains(value.as_str()))
        {
            self.mask(&format!("{origin}{}", mask_path(path)))
        } else {
            whole
        }
    }

    fn masked_values(&self) -> impl Iterator<Item = (&String, &String)> {
        self.values
            .iter()
            .filter(|(_, value)| value.chars().count() >= MIN_MASKED_CHARS)
            .map(|(var, value)| (var, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Manifest {
        Manifest::from_toml(text, std::path::Path::new("m.toml")).unwrap()
    }

    #[test]
    fn set_variables_win_then_placeholders_then_a_generic_one() {
        let manifest = manifest(
            "[config]\na = { env = \"A\" }\nb = { env = \"B\" }\nc = { env = \"C\" }\nd = \"plain\"\n",
        );
        let placeholders = BTreeMap::from([("B".to_owned(), "from-script".to_owned())]);
        let secrets = Secrets::resolve(&manifest, &placeholders, |var| {
            (var == "A").then(|| "real-secret".to_owned())
        });
        assert_eq!(secrets.get("A").as_deref(), Some("real-secret"));
        assert_eq!(secrets.get("B").as_deref(), Some("from-script"));
        assert_eq!(secrets.get("C").as_deref(), Some("placeholder-C"));
        assert_eq!(secrets.get("D"), None);
    }

    #[test]
    fn secrets_never_reach_the_text_and_urls_keep_their_origin() {
        let manifest =
            manifest("[config]\nurl = { env = \"HOOK\" }\ntoken = { env = \"TOKEN\" }\n");
        let secrets = Secrets::resolve(&manifest, &BTreeMap::new(), |var| match var {
            "HOOK" => Some("https://hooks.slack.com/services/T1/B2/X3".to_owned()),
            _ => Some("s3cr3t-token".to_owned()),
        });
        assert_eq!(secrets.mask("Bearer s3cr3t-token"), "Bearer ${TOKEN}");
        assert_eq!(
            secrets.mask_url("https://hooks.slack.com", "/services/T1/B2/X3"),
            "https://hooks.slack.com/services/***"
        );
        assert_eq!(
            secrets.mask_url("https://crm.example", "/v1/contacts/7"),
            "https://crm.example/v1/contacts/7"
        );
    }
}
