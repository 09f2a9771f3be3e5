//! The layers of configuration and how they merge: built-in defaults < file < environment < flags.
//!
//! Layers merge as TOML tables, key by key, before anything is deserialized: a layer replaces the
//! values it sets and keeps the rest. Tables merge recursively; any other value, arrays included,
//! replaces the lower layer's value whole. While merging, [`Origins`] remembers which layer set
//! each key, so that an error can say where a bad value came from.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::{ConfigError, Overrides};

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in defaults (`defaults.toml`).
    Default,
    /// The configuration file at this path.
    File(PathBuf),
    /// This environment variable.
    Env(String),
    /// This command-line flag, like `--listen`.
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("the built-in defaults"),
            Origin::File(path) => write!(f, "config file {}", path.display()),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// Which layer set each dotted key (and each table a layer set whole) of the merged configuration.
#[derive(Debug, Default)]
pub(crate) struct Origins(BTreeMap<String, Origin>);

impl Origins {
    /// Merges `overlay` into `base`, recording `origin` for every key it sets.
    pub(crate) fn merge(&mut self, base: &mut Table, overlay: Table, origin: &Origin) {
        self.merge_at("", base, overlay, origin);
    }

    fn merge_at(&mut self, prefix: &str, base: &mut Table, overlay: Table, origin: &Origin) {
        for (key, value) in overlay {
            let path = join(prefix, &key);
            match (base.get_mut(&key), value) {
                (Some(Value::Table(existing)), Value::Table(incoming)) => {
                    self.merge_at(&path, existing, incoming, origin);
                }
                (_, value) => {
                    // The lower layers' values under this key are gone, and so are their origins.
                    let below = format!("{path}.");
                    self.0
                        .retain(|key, _| *key != path && !key.starts_with(&below));
                    self.record(&path, &value, origin);
                    base.insert(key, value);
                }
            }
        }
    }

    fn record(&mut self, path: &str, value: &Value, origin: &Origin) {
        self.0.insert(path.to_owned(), origin.clone());
        if let Value::Table(table) = value {
            for (key, value) in table {
                self.record(&join(path, key), value, origin);
            }
        }
    }

    /// The layer that set `key` (`sources[0].tokens[1]`, `ingest.max_body_bytes`), or the nearest
    /// enclosing key it set whole (`sources`). Array indices are ignored: a layer sets an array
    /// whole.
    pub(crate) fn lookup(&self, key: &str) -> Option<Origin> {
        let mut dotted = String::with_capacity(key.len());
        let mut in_index = false;
        for c in key.chars() {
            match c {
                '[' => in_index = true,
                ']' => in_index = false,
                c if !in_index => dotted.push(c),
                _ => {}
            }
        }
        let mut candidate = dotted.as_str();
        loop {
            if let Some(origin) = self.0.get(candidate) {
                return Some(origin.clone());
            }
            candidate = &candidate[..candidate.rfind('.')?];
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Parses a TOML document; `path` names it in errors.
pub(crate) fn parse_toml(text: &str, path: &Path) -> Result<Table, ConfigError> {
    text.parse::<Table>().map_err(|err| {
        let start = err.span().map_or(0, |span| span.start.min(text.len()));
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
            .chars()
            .count()
            + 1;
        ConfigError::Syntax {
            path: path.to_owned(),
            line,
            column,
            message: err.message().trim().to_owned(),
        }
    })
}

/// Reads and parses the configuration file at `path`.
pub(crate) fn read_file(path: &Path) -> Result<Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    parse_toml(&text, path)
}

/// The command-line flags as one-key layers, in a fixed order.
pub(crate) fn flag_layers(overrides: &Overrides) -> Result<Vec<(Table, Origin)>, ConfigError> {
    let mut layers = Vec::new();
    let mut push = |key: &str, flag: &'static str, value: String| {
        layers.push((nest(key, Value::String(value)), Origin::Flag(flag)));
    };
    if let Some(listen) = &overrides.listen {
        push("listen", "--listen", listen.clone());
    }
    if let Some(format) = &overrides.log_format {
        push("log.format", "--log-format", format.clone());
    }
    if let Some(url) = &overrides.store_url {
        push("store.url", "--store-url", url.clone());
    }
    let paths = [
        ("data_dir", "--data-dir", &overrides.data_dir),
        ("plugin_dir", "--plugin-dir", &overrides.plugin_dir),
    ];
    for (key, flag, path) in paths {
        let Some(path) = path else { continue };
        // TOML strings are UTF-8; refusing is better than a lossy conversion to another folder.
        let text = path.to_str().ok_or_else(|| ConfigError::Invalid {
            key: key.to_owned(),
            origin: Some(Origin::Flag(flag)),
            message: format!("the path {} is not valid UTF-8", path.display()),
            hint: "use a path whose name is valid UTF-8".to_owned(),
        })?;
        push(key, flag, text.to_owned());
    }
    Ok(layers)
}

/// A table holding `value` at the dotted `key`: `nest("a.b", v)` is `{ a = { b = v } }`.
pub(crate) fn nest(key: &str, value: Value) -> Table {
    let mut segments = key.rsplit('.');
    let last = segments.next().unwrap_or(key);
    let mut table = Table::from_iter([(last.to_owned(), value)]);
    for segment in segments {
        table = Table::from_iter([(segment.to_owned(), Value::Table(table))]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        text.parse().unwrap()
    }

    #[test]
    fn tables_merge_key_by_key_and_arrays_are_replaced_whole() {
        let mut origins = Origins::default();
        let mut base = table("a = 1\n[t]\nx = 1\ny = 2\nlist = [1, 2]");
        origins.merge(&mut Table::new(), base.clone(), &Origin::Default);
        let file = Origin::File("c.toml".into());
        origins.merge(&mut base, table("[t]\ny = 3\nlist = [9]"), &file);
        assert_eq!(base, table("a = 1\n[t]\nx = 1\ny = 3\nlist = [9]"));
        assert_eq!(origins.lookup("t.y"), Some(file.clone()));
        assert_eq!(origins.lookup("t.list[0]"), Some(file));
        assert_eq!(origins.lookup("t.x"), Some(Origin::Default));
    }

    #[test]
    fn a_value_replacing_a_table_takes_over_its_keys() {
        let mut origins = Origins::default();
        let mut base = Table::new();
        origins.merge(&mut base, table("[t]\nx = 1"), &Origin::Default);
        let env = Origin::Env("SMARTREACH_HOOKS_T".into());
        origins.merge(&mut base, table("t = 5"), &env);
        assert_eq!(base, table("t = 5"));
        assert_eq!(origins.lookup("t.x"), Some(env.clone()));
        assert_eq!(origins.lookup("t"), Some(env));
    }

    #[test]
    fn lookup_falls_back_to_the_enclosing_key_and_ignores_indices() {
        let mut origins = Origins::default();
        let file = Origin::File("c.toml".into());
        origins.merge(&mut Table::new(), table("[[sources]]\nname = \"a\""), &file);
        assert_eq!(origins.lookup("sources[0].tokens[3]"), Some(file));
        assert_eq!(origins.lookup("listen"), None);
        assert_eq!(origins.lookup("."), None);
    }

    #[test]
    fn syntax_errors_name_file_line_and_column() {
        let err = parse_toml("a = 1\nb = = 2\n", Path::new("conf/x.toml")).unwrap_err();
        let ConfigError::Syntax {
            path, line, column, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(
            (path.as_path(), *line, *column),
            (Path::new("conf/x.toml"), 2, 5)
        );
        assert!(
            err.to_string()
                .starts_with("config file conf/x.toml is not valid TOML at line 2")
        );
    }

    #[test]
    fn an_unreadable_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let err = read_file(&missing).unwrap_err();
        assert!(matches!(err, ConfigError::ReadFile { ref path, .. } if *path == missing));
        assert!(err.to_string().contains("nope.toml"), "{err}");
    }

    #[test]
    fn flags_become_layers_at_their_keys() {
        let overrides = Overrides {
            listen: Some("0.0.0.0:9000".into()),
            log_format: Some("json".into()),
            plugin_dir: Some("p".into()),
            store_url: Some("postgres://h@db/x".into()),
            ..Overrides::default()
        };
        let layers = flag_layers(&overrides).unwrap();
        assert_eq!(
            layers,
            vec![
                (table("listen = \"0.0.0.0:9000\""), Origin::Flag("--listen")),
                (table("log.format = \"json\""), Origin::Flag("--log-format")),
                (
                    table("store.url = \"postgres://h@db/x\""),
                    Origin::Flag("--store-url")
                ),
                (table("plugin_dir = \"p\""), Origin::Flag("--plugin-dir")),
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_non_utf8_path_flag_is_refused_by_name() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let overrides = Overrides {
            data_dir: Some(OsStr::from_bytes(b"d\xff").into()),
            ..Overrides::default()
        };
        let err = flag_layers(&overrides).unwrap_err().to_string();
        assert!(
            err.contains("`data_dir`") && err.contains("--data-dir"),
            "{err}"
        );
    }
}
