//! The admin API (`/api/v1`) as the tests use it: query strings, pages followed to the end, the
//! plugin list, problem documents, and a check that a JSON document has no repeated keys.
//!
//! Every call goes through [`Host::admin_get`] / [`Host::admin_post`], so the host must be
//! started with `admin.token` set ([`super::host::Config::with_admin`]).

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::host::{Host, Response};

/// The most pages [`list_all`] follows before it decides the cursor never ends.
const MAX_PAGES: usize = 1000;

/// `?key=value&...` with keys and values percent-encoded; `""` for no pairs.
pub fn query(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (byte as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect()
    };
    let pairs: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect();
    format!("?{}", pairs.join("&"))
}

/// The JSON body of a 200 answer; panics naming `what` and the answer otherwise.
pub fn ok_json(response: &Response, what: &str) -> Value {
    assert_eq!(response.status, 200, "{what}: {response:?}");
    assert!(
        response
            .content_type
            .as_deref()
            .is_some_and(|content_type| content_type.starts_with("application/json")),
        "{what}: a JSON answer: {response:?}"
    );
    response.json()
}

/// `GET path` (with the admin token), expecting 200 and JSON.
pub fn get_json(host: &Host, path: &str) -> Value {
    ok_json(&host.admin_get(path), &format!("GET {path}"))
}

/// Checks that `response` is an RFC 9457 problem document with `status` and type
/// `/problems/{slug}`; returns the document.
pub fn assert_problem(response: &Response, status: u16, slug: &str) -> Value {
    assert_eq!(response.status, status, "{response:?}");
    assert_eq!(
        response.content_type.as_deref(),
        Some("application/problem+json"),
        "a problem document: {response:?}"
    );
    let problem = response.json();
    assert_eq!(
        problem["type"],
        format!("/problems/{slug}"),
        "problem type: {problem}"
    );
    assert_eq!(problem["status"], status, "problem status: {problem}");
    assert!(
        problem["title"]
            .as_str()
            .is_some_and(|title| !title.is_empty()),
        "a problem has a title: {problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|detail| !detail.is_empty()),
        "a problem has a detail: {problem}"
    );
    problem
}

/// Every item of the list at `path` (`/api/v1/events` or `/api/v1/deliveries`) with the filters
/// `pairs`, `limit` per page, following `next_cursor` to the end. Checks that no page is larger
/// than `limit`, that only the last page has no cursor, and that no item comes twice.
pub fn list_all(host: &Host, path: &str, pairs: &[(&str, &str)], limit: u32) -> Vec<Value> {
    let (items, _pages) = list_pages(host, path, pairs, limit);
    items
}

/// [`list_all`], also returning how many pages it took.
pub fn list_pages(
    host: &Host,
    path: &str,
    pairs: &[(&str, &str)],
    limit: u32,
) -> (Vec<Value>, usize) {
    let limit_text = limit.to_string();
    let mut items: Vec<Value> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut cursor: Option<String> = None;
    for page in 1..=MAX_PAGES {
        let mut all: Vec<(&str, &str)> = pairs.to_vec();
        all.push(("limit", &limit_text));
        if let Some(cursor) = &cursor {
            all.push(("cursor", cursor));
        }
        let url = format!("{path}{}", query(&all));
        let body = get_json(host, &url);
        let page_items = body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("GET {url}: no `items` array: {body}"));
        assert!(
            page_items.len() <= limit as usize,
            "GET {url}: {} items on a page of {limit}",
            page_items.len()
        );
        for item in page_items {
            let id = item["id"].to_string();
            assert!(
                seen.insert(id.clone()),
                "GET {url}: item {id} came on an earlier page too"
            );
            items.push(item.clone());
        }
        match &body["next_cursor"] {
            Value::Null => return (items, page),
            Value::String(next) => {
                assert_eq!(
                    page_items.len(),
                    limit as usize,
                    "GET {url}: a page with a next_cursor is full"
                );
                cursor = Some(next.clone());
            }
            other => panic!("GET {url}: next_cursor is neither null nor a string: {other}"),
        }
    }
    panic!(
        "{path}{}: still a next_cursor after {MAX_PAGES} pages",
        query(pairs)
    );
}

/// Every event matching `pairs` (50 a page).
pub fn events(host: &Host, pairs: &[(&str, &str)]) -> Vec<Value> {
    list_all(host, "/api/v1/events", pairs, 50)
}

/// Every delivery matching `pairs` (50 a page).
pub fn deliveries(host: &Host, pairs: &[(&str, &str)]) -> Vec<Value> {
    list_all(host, "/api/v1/deliveries", pairs, 50)
}

/// `GET /api/v1/events/{id}`, expecting 200.
pub fn event(host: &Host, id: &str) -> Value {
    get_json(host, &format!("/api/v1/events/{id}"))
}

/// The deliveries (each with its `runs`) of event `id`, from `GET /api/v1/events/{id}`.
pub fn event_deliveries(host: &Host, id: &str) -> Vec<Value> {
    let detail = event(host, id);
    detail["deliveries"]
        .as_array()
        .unwrap_or_else(|| panic!("event {id}: `deliveries` is not a list: {detail}"))
        .clone()
}

/// `GET /api/v1/plugins`: the items.
pub fn plugins(host: &Host) -> Vec<Value> {
    let body = get_json(host, "/api/v1/plugins");
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("GET /api/v1/plugins: no `items` array: {body}"))
        .clone()
}

/// The entry of plugin `name` in `GET /api/v1/plugins`, if it has one.
pub fn plugin(host: &Host, name: &str) -> Option<Value> {
    plugins(host).into_iter().find(|item| item["name"] == name)
}

/// The ids of `items` (events or deliveries), in order, as strings.
pub fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| match &item["id"] {
            Value::String(id) => id.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// The value of an id field (`"abc"` or `12`) as a string.
pub fn id_of(value: &Value) -> String {
    match value {
        Value::String(id) => id.clone(),
        other => other.to_string(),
    }
}

/// Checks that `text` is JSON in which no object repeats a key: `serde_json::Value` keeps only
/// the last of repeated keys, so a document that says two things under one name would otherwise
/// go unnoticed. Panics naming the repeated key.
pub fn assert_unique_keys(text: &str, what: &str) {
    if let Err(err) = serde_json::from_str::<UniqueKeys>(text) {
        panic!("{what}: {err}\n{text}");
    }
}

/// A JSON value that refuses an object with a repeated key.
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_none<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!(
                    "an object has the key `{key}` more than once"
                )));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(UniqueKeys)
    }
}
