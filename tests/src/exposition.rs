//! A reader of the Prometheus text format (0.0.4), enough to check what `/metrics` exposes:
//! samples by name and labels, the declared types, and histograms whose buckets, sum and count
//! agree.

use std::collections::BTreeMap;

use crate::host::Host;

/// One sample: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed exposition: its samples in order, and each family's `# TYPE`.
#[derive(Debug, Default)]
pub struct Exposition {
    samples: Vec<Sample>,
    /// Each family's `# TYPE`, by family name.
    pub types: BTreeMap<String, String>,
}

impl Exposition {
    /// `GET /metrics` of `host`: checks the status and the content type, and parses the text.
    pub fn scrape(host: &Host) -> Self {
        let response = host
            .client()
            .get("/metrics")
            .unwrap_or_else(|err| panic!("GET /metrics: {err}"));
        assert_eq!(response.status, 200, "GET /metrics: {response:?}");
        let content_type = response.content_type.clone().unwrap_or_default();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "the Prometheus text format: {content_type}"
        );
        Self::parse(&response.body)
    }

    /// Parses the text format 0.0.4: `# HELP` / `# TYPE` lines, other `#` lines skipped, and
    /// samples `name{label="value",...} value [timestamp]` with `\\`, `\"` and `\n` escapes in
    /// label values. Panics on a line it cannot read, naming it.
    pub fn parse(text: &str) -> Self {
        let mut parsed = Self::default();
        for (number, line) in text.lines().enumerate() {
            let fail = |why: &str| -> ! { panic!("/metrics line {}: {why}: {line:?}", number + 1) };
            if line.trim().is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                let words: Vec<&str> = comment.split_whitespace().collect();
                if words.first() == Some(&"TYPE") {
                    let [_, name, kind] = words[..] else {
                        fail("a TYPE line is `# TYPE name kind`")
                    };
                    if !matches!(
                        kind,
                        "counter" | "gauge" | "histogram" | "summary" | "untyped"
                    ) {
                        fail("unknown metric type");
                    }
                    if parsed
                        .types
                        .insert(name.to_owned(), kind.to_owned())
                        .is_some()
                    {
                        fail("a second TYPE line for the family");
                    }
                }
                continue;
            }
            let name_end = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(line.len());
            let name = &line[..name_end];
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                fail("no metric name");
            }
            let mut rest = &line[name_end..];
            let mut labels = BTreeMap::new();
            if let Some(after) = rest.strip_prefix('{') {
                rest = after;
                loop {
                    rest = rest.trim_start();
                    if let Some(after) = rest.strip_prefix('}') {
                        rest = after;
                        break;
                    }
                    let Some((label, after)) = rest.split_once("=\"") else {
                        fail("a label is `name=\"value\"`")
                    };
                    let label = label.trim();
                    if label.is_empty()
                        || !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        fail("a bad label name");
                    }
                    let mut value = String::new();
                    let mut chars = after.char_indices();
                    let end = loop {
                        match chars.next() {
                            Some((index, '"')) => break index,
                            Some((_, '\\')) => match chars.next() {
                                Some((_, '\\')) => value.push('\\'),
                                Some((_, '"')) => value.push('"'),
                                Some((_, 'n')) => value.push('\n'),
                                _ => fail("a bad escape in a label value"),
                            },
                            Some((_, other)) => value.push(other),
                            None => fail("an unterminated label value"),
                        }
                    };
                    if labels.insert(label.to_owned(), value).is_some() {
                        fail("a repeated label");
                    }
                    rest = after[end + 1..].trim_start();
                    if let Some(after) = rest.strip_prefix(',') {
                        rest = after;
                    } else if !rest.starts_with('}') {
                        fail("labels are separated by commas");
                    }
                }
            }
            let mut fields = rest.split_whitespace();
            let value = match fields.next() {
                Some("+Inf") => f64::INFINITY,
                Some("-Inf") => f64::NEG_INFINITY,
                Some("NaN") => f64::NAN,
                Some(text) => text
                    .parse::<f64>()
                    .unwrap_or_else(|_| fail("the value is not a number")),
                None => fail("no value"),
            };
            if let Some(timestamp) = fields.next()
                && timestamp.parse::<i64>().is_err()
            {
                fail("the timestamp is not an integer");
            }
            if fields.next().is_some() {
                fail("more than a value and a timestamp");
            }
            // Every sample belongs to a family whose TYPE came before it.
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    name.strip_suffix(suffix).filter(|base| {
                        parsed.types.get(*base).map(String::as_str) == Some("histogram")
                    })
                })
                .unwrap_or(name);
            if !parsed.types.contains_key(family) {
                fail("a sample before its family's TYPE line");
            }
            parsed.samples.push(Sample {
                name: name.to_owned(),
                labels,
                value,
            });
        }
        parsed
    }

    /// The samples of `name`, by their labels (`label=value,...`).
    pub fn series(&self, name: &str) -> BTreeMap<String, f64> {
        let mut series = BTreeMap::new();
        for sample in self.samples.iter().filter(|sample| sample.name == name) {
            let key: Vec<String> = sample
                .labels
                .iter()
                .map(|(label, value)| format!("{label}={value}"))
                .collect();
            assert!(
                series.insert(key.join(","), sample.value).is_none(),
                "two samples of {name} with the labels {key:?}"
            );
        }
        series
    }

    /// The value of `name` with exactly `labels`, if there is such a sample.
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let labels: BTreeMap<String, String> = labels
            .iter()
            .map(|(label, value)| ((*label).to_owned(), (*value).to_owned()))
            .collect();
        self.samples
            .iter()
            .find(|sample| sample.name == name && sample.labels == labels)
            .map(|sample| sample.value)
    }

    /// [`Self::get`], or 0 when there is no such sample (a counter not yet counted).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or(0.0)
    }
}

/// `series` with the values as whole numbers, for comparing counts.
pub fn counts(series: BTreeMap<String, f64>) -> BTreeMap<String, u64> {
    series
        .into_iter()
        .map(|(key, value)| {
            assert!(
                value >= 0.0 && value.fract() == 0.0,
                "{key}: a count is a whole number: {value}"
            );
            (key, value as u64)
        })
        .collect()
}

/// The expected counts of a [`counts`] comparison, from `(labels, count)` pairs.
pub fn expected(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), *value))
        .collect()
}

/// Checks a histogram's series with `labels`: cumulative buckets that never decrease, the
/// `+Inf` bucket equal to `_count`, and a `_sum` that is not negative. Returns `_count`.
pub fn check_histogram(metrics: &Exposition, name: &str, labels: &[(&str, &str)]) -> u64 {
    let mut buckets: Vec<(f64, f64)> = metrics
        .samples
        .iter()
        .filter(|sample| {
            sample.name == format!("{name}_bucket")
                && labels.iter().all(|(label, value)| {
                    sample.labels.get(*label).map(String::as_str) == Some(*value)
                })
                && sample.labels.len() == labels.len() + 1
        })
        .map(|sample| {
            let le = sample.labels.get("le").expect("a bucket has `le`");
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse()
                    .unwrap_or_else(|_| panic!("{name}: bad le {le:?}"))
            };
            (bound, sample.value)
        })
        .collect();
    assert!(!buckets.is_empty(), "{name}{labels:?}: no buckets");
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(
        buckets.windows(2).all(|pair| pair[0].1 <= pair[1].1),
        "{name}{labels:?}: cumulative buckets never decrease: {buckets:?}"
    );
    let (last_bound, last) = *buckets.last().unwrap();
    assert!(last_bound.is_infinite(), "{name}{labels:?}: a +Inf bucket");
    let count = metrics
        .get(&format!("{name}_count"), labels)
        .unwrap_or_else(|| panic!("{name}_count{labels:?}"));
    assert_eq!(last, count, "{name}{labels:?}: +Inf bucket = _count");
    let sum = metrics
        .get(&format!("{name}_sum"), labels)
        .unwrap_or_else(|| panic!("{name}_sum{labels:?}"));
    assert!(sum >= 0.0, "{name}{labels:?}: _sum {sum}");
    count as u64
}
