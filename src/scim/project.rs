//! `attributes` / `excludedAttributes` (RFC 7644 §3.9) by each attribute's `returned`
//! (`always`, `never`, `default`, `request`) (helper proto owns this file).

use serde_json::Value;

use super::ResourceKind;

/// The response form of a full document.
#[allow(clippy::unimplemented, unused_variables)]
pub fn project(kind: ResourceKind, document: &Value, attributes: &[String], excluded: &[String]) -> Value {
    unimplemented!("issue #15: helper proto")
}
