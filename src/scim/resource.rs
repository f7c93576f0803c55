//! Create and replace (POST, PUT): the body checked against the schema (required attributes,
//! `schemas`, types, `mutability`), booleans tolerated as strings, write-only attributes
//! (password) and read-only ones (`groups`, `meta`) dropped; and the stored document dressed
//! with `id` and `meta` for a response (helper proto owns this file).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{ResourceKind, ScimError};

/// A checked document ready to store (no `id`, no `meta`) and the notes for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub document: Value,
    pub notes: Vec<String>,
}

/// POST: the body of a new resource.
#[allow(clippy::unimplemented, unused_variables)]
pub fn create(kind: ResourceKind, body: &Value) -> Result<Prepared, ScimError> {
    unimplemented!("issue #15: helper proto")
}

/// PUT: `body` replaces `current`; immutable attributes must not change, a missing `active`
/// keeps the current value (Okta's full-replace PUT), an `id` in the body must be `id`.
#[allow(clippy::unimplemented, unused_variables)]
pub fn replace(kind: ResourceKind, id: &str, current: &Value, body: &Value) -> Result<Prepared, ScimError> {
    unimplemented!("issue #15: helper proto")
}

/// Where the stored resource lives and its version, for `meta`.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta<'a> {
    pub base_url: &'a str,
    pub id: &'a str,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub version: i64,
}

/// The stored document with `id`, `schemas` and `meta` (`resourceType`, `created`,
/// `lastModified`, `location`, `version` as `W/"n"`).
#[allow(clippy::unimplemented, unused_variables)]
pub fn full(kind: ResourceKind, document: &Value, meta: &Meta<'_>) -> Value {
    unimplemented!("issue #15: helper proto")
}
