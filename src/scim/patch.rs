//! The PATCH engine (RFC 7644 §3.5.2) and its tolerance rules for real clients (Entra ID's
//! `"Replace"` and `"False"`, path-less operations with path keys, member removal by value
//! list; Okta's path-less `{"active": false}`), each noted for the request log (helper proto).

use serde_json::Value;

use super::{ResourceKind, ScimError};

/// A patched document and what the request log shows about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Patched {
    /// The whole new document (same shape as stored: no `id`/`meta`, no write-only values).
    pub document: Value,
    /// One line per operation as understood (`replace active = false`).
    pub change: Vec<String>,
    /// Quirks tolerated (`capitalised op "Replace"`, `boolean string "False" read as false`).
    pub notes: Vec<String>,
}

/// Applies a PatchOp request body to `current` (all operations or none).
#[allow(clippy::unimplemented, unused_variables)]
pub fn apply(kind: ResourceKind, current: &Value, body: &Value) -> Result<Patched, ScimError> {
    unimplemented!("issue #15: helper proto")
}
