//! List and search queries (RFC 7644 §3.4.2, §3.4.3): `filter`, `startIndex`, `count`,
//! `sortBy`, `sortOrder`, `attributes`, `excludedAttributes`, from a query string or a
//! SearchRequest body, and the ListResponse over a set of documents (helper proto).

use serde_json::Value;

use super::filter::Filter;
use super::{ResourceKind, ScimError};

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

impl ListQuery {
    /// From the query string of a GET (unknown parameters, like Entra's `aadOptscim062020`,
    /// are ignored).
    #[allow(clippy::unimplemented, unused_variables)]
    pub fn from_query(query: &[(String, String)]) -> Result<Self, ScimError> {
        unimplemented!("issue #15: helper proto")
    }

    /// From a `POST .search` body.
    #[allow(clippy::unimplemented, unused_variables)]
    pub fn from_search(body: &Value) -> Result<Self, ScimError> {
        unimplemented!("issue #15: helper proto")
    }
}

/// The ListResponse for `documents` (full documents of one kind, in creation order): filter,
/// sort, page, project.
#[allow(clippy::unimplemented, unused_variables)]
pub fn respond(kind: ResourceKind, documents: &[Value], query: &ListQuery) -> Value {
    unimplemented!("issue #15: helper proto")
}
