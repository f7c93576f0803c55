//! List and search queries (RFC 7644 §3.4.2, §3.4.3): `filter`, `startIndex`, `count`,
//! `sortBy`, `sortOrder`, `attributes`, `excludedAttributes`, from a query string or a
//! SearchRequest body, and the ListResponse over a set of documents (helper proto).
//!
//! Paging is forgiving as the RFC asks: `startIndex` below 1 reads as 1, a negative `count`
//! as 0 (totals only), more than [`MAX_COUNT`] as [`MAX_COUNT`]. Parameter names compare
//! without regard to case; unknown parameters (Entra's `aadOptscim062020`) are ignored.

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::filter::{self, Filter};
use super::{LIST_URN, ResourceKind, ScimError, ScimType};

/// `count` when the client gives none.
pub const DEFAULT_COUNT: usize = 100;
/// The most resources one page holds (ServiceProviderConfig `filter.maxResults`).
pub const MAX_COUNT: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// 1-based (values below 1 read as 1).
    pub start_index: usize,
    /// Defaults to 100, at most 200.
    pub count: usize,
    pub sort_by: Option<String>,
    pub descending: bool,
    pub attributes: Vec<String>,
    pub excluded_attributes: Vec<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            filter: None,
            start_index: 1,
            count: DEFAULT_COUNT,
            sort_by: None,
            descending: false,
            attributes: Vec::new(),
            excluded_attributes: Vec::new(),
        }
    }
}

fn names(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn integer(name: &str, text: &str) -> Result<i64, ScimError> {
    text.trim().parse::<i64>().map_err(|_| {
        ScimError::bad_request(ScimType::InvalidValue, format!("{name} must be an integer, not {:?}", cut(text)))
    })
}

fn cut(text: &str) -> String {
    text.chars().take(40).collect()
}

impl ListQuery {
    /// From the query string of a GET (unknown parameters, like Entra's `aadOptscim062020`,
    /// are ignored).
    pub fn from_query(query: &[(String, String)]) -> Result<Self, ScimError> {
        let mut q = ListQuery::default();
        for (name, value) in query {
            q.set(name, Param::Text(value))?;
        }
        Ok(q)
    }

    /// From a `POST .search` body.
    pub fn from_search(body: &Value) -> Result<Self, ScimError> {
        let Some(object) = body.as_object() else {
            return Err(ScimError::bad_request(ScimType::InvalidSyntax, "a SearchRequest is a JSON object"));
        };
        let mut q = ListQuery::default();
        for (name, value) in object {
            match value {
                Value::String(s) => q.set(name, Param::Text(s))?,
                Value::Number(n) => q.set(name, Param::Text(&n.to_string()))?,
                Value::Bool(b) => q.set(name, Param::Text(if *b { "true" } else { "false" }))?,
                Value::Array(items) => q.set(name, Param::List(items))?,
                Value::Null | Value::Object(_) => {}
            }
        }
        Ok(q)
    }

    fn set(&mut self, name: &str, value: Param<'_>) -> Result<(), ScimError> {
        let text = || match value {
            Param::Text(t) => t.to_owned(),
            Param::List(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
        };
        match name.to_ascii_lowercase().as_str() {
            "filter" => self.filter = Some(filter::parse(&text())?),
            "startindex" => self.start_index = usize::try_from(integer("startIndex", &text())?.max(1)).unwrap_or(1),
            "count" => self.count = usize::try_from(integer("count", &text())?.clamp(0, MAX_COUNT as i64)).unwrap_or(0),
            "sortby" => {
                let by = text();
                filter::parse_attr_path(&by, ScimType::InvalidValue)
                    .map_err(|e| ScimError::bad_request(ScimType::InvalidValue, format!("sortBy: {}", e.detail)))?;
                self.sort_by = Some(by);
            }
            "sortorder" => self.descending = text().trim().eq_ignore_ascii_case("descending"),
            "attributes" => self.attributes = names(&text()),
            "excludedattributes" => self.excluded_attributes = names(&text()),
            _ => {}
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Param<'a> {
    Text(&'a str),
    List(&'a [Value]),
}

/// The ListResponse for `documents` (full documents of one kind, in creation order): filter,
/// sort, page, project.
pub fn respond(kind: ResourceKind, documents: &[Value], query: &ListQuery) -> Value {
    let mut matching: Vec<&Value> =
        documents.iter().filter(|d| query.filter.as_ref().is_none_or(|f| f.matches(kind, d))).collect();
    if let Some(path) = query.sort_by.as_deref().and_then(|s| filter::parse_attr_path(s, ScimType::InvalidValue).ok()) {
        matching.sort_by(|a, b| {
            let (ka, kb) = (filter::sort_key(&path, kind, a), filter::sort_key(&path, kind, b));
            match (ka, kb) {
                // Resources without a value come last in either order.
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => {
                    let o = order(x, y);
                    if query.descending { o.reverse() } else { o }
                }
            }
        });
    }
    let total = matching.len();
    let page: Vec<Value> = matching
        .into_iter()
        .skip(query.start_index.saturating_sub(1))
        .take(query.count)
        .map(|d| super::project::project(kind, d, &query.attributes, &query.excluded_attributes))
        .collect();
    json!({
        "schemas": [LIST_URN],
        "totalResults": total,
        "itemsPerPage": page.len(),
        "startIndex": query.start_index,
        "Resources": page,
    })
}

fn order((a, a_exact): (&Value, bool), (b, _): (&Value, bool)) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) if a_exact => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()).then_with(|| x.cmp(y)),
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}
