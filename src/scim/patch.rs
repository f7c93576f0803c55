//! The PATCH engine (RFC 7644 §3.5.2) and its tolerance rules for real clients (Entra ID's
//! `"Replace"` and `"False"`, path-less operations with path keys, member removal by value
//! list; Okta's path-less `{"active": false}`), each noted for the request log (helper proto).
//!
//! The rules (plan §3.4), each with a recorded payload under `tests/fixtures/scim/`:
//! 1. `op` without regard to case; anything but add/replace/remove is `invalidSyntax`.
//!    Operations apply in order, all or none.
//! 2. Boolean attributes accept `"True"`/`"False"` in any case (noted); other strings are
//!    `invalidValue`.
//! 3. A path-less add/replace takes an object; each key is dispatched as its own path (dots,
//!    URN prefixes and filters included); an extension URN key with an object merges; `id`,
//!    `meta` and `schemas` are ignored (`id` must be unchanged: `mutability`).
//! 4. `remove` of a multi-valued attribute with a value list removes the listed elements by
//!    `value` (Entra legacy, JumpCloud); so does `members[value eq "x"]`, and a path-less
//!    remove with `{"members": [...]}`.
//! 5. add/replace on `attr[filter].sub` where nothing matches appends an element built from
//!    the filter's `eq` terms and the sub-attribute; other filters are `noTarget`.
//! 6. `remove` without a path (and no value) is `noTarget`; removing a required or read-only
//!    attribute (`userName`, `id`) is `mutability`.
//!
//! Write-only values (password) are accepted and never kept; `id`/`meta` never enter the
//! document.

mod apply;
pub(crate) mod coerce;

use serde_json::{Map, Value};

use super::schema::{self, get_ci};
use super::{PATCH_URN, ResourceKind, ScimError, ScimType};
use coerce::Notes;

/// Operations one PATCH may carry (real clients send a handful; Entra batches members in one
/// operation's value list). With the scan budget below, a PatchOp of one-member operations on
/// a large group stays bounded.
pub const MAX_OPERATIONS: usize = 100;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Add,
    Replace,
    Remove,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Replace => "replace",
            Op::Remove => "remove",
        }
    }
}

/// Applies a PatchOp request body to `current` (all operations or none).
///
/// `current` is the stored document; it may also be the full one (with `id` and `meta`), in
/// which case an `id` inside a path-less value is checked against it. Either way the result
/// holds neither.
pub fn apply(kind: ResourceKind, current: &Value, body: &Value) -> Result<Patched, ScimError> {
    let syntax = |d: String| ScimError::bad_request(ScimType::InvalidSyntax, d);
    if !body.is_object() {
        return Err(syntax("a PATCH body is a PatchOp JSON object".into()));
    }
    let mut notes = Notes::default();
    match get_ci(body, "schemas").and_then(Value::as_array) {
        Some(s) if s.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(PATCH_URN))) => {}
        _ => notes.add(format!("\"schemas\" without {PATCH_URN}: read as a PatchOp")),
    }
    let Some(operations) = get_ci(body, "Operations").and_then(Value::as_array) else {
        return Err(syntax("a PatchOp needs \"Operations\", a list of operations".into()));
    };
    // Each operation may walk a whole multi-valued attribute (a group's members): bounded,
    // so a 1 MiB body of one-member operations cannot cost operations × members.
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::bad_request(
            ScimType::TooMany,
            format!(
                "the PatchOp has {} operations; at most {MAX_OPERATIONS} are accepted (list many members in one \"value\")",
                operations.len()
            ),
        ));
    }
    let mut doc = match current {
        Value::Object(o) => o.clone(),
        _ => Map::new(),
    };
    let id = doc.remove("id");
    doc.remove("meta");
    let mut change = Vec::new();
    let mut budget = apply::MAX_VISITS;
    for (i, operation) in operations.iter().enumerate() {
        let at = |e: ScimError| ScimError { detail: format!("Operations[{i}]: {}", e.detail), ..e };
        if !operation.is_object() {
            return Err(syntax(format!("Operations[{i}] is not an object")));
        }
        let Some(name) = get_ci(operation, "op").and_then(Value::as_str) else {
            return Err(syntax(format!("Operations[{i}] has no \"op\"")));
        };
        let op = match name.to_ascii_lowercase().as_str() {
            "add" => Op::Add,
            "replace" => Op::Replace,
            "remove" => Op::Remove,
            _ => {
                let shown: String = name.chars().take(20).collect();
                return Err(syntax(format!("Operations[{i}]: op {shown:?} is not add, replace or remove")));
            }
        };
        if name != op.as_str() {
            notes.add(format!("capitalised op {name:?} read as {:?}", op.as_str()));
        }
        let path = match get_ci(operation, "path") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) if p.trim().is_empty() => None,
            Some(Value::String(p)) => Some(p.as_str()),
            Some(_) => {
                return Err(ScimError::bad_request(
                    ScimType::InvalidPath,
                    format!("Operations[{i}]: \"path\" is a string"),
                ));
            }
        };
        let value = get_ci(operation, "value");
        let mut ctx = apply::Ctx {
            kind,
            budget: &mut budget,
            doc: &mut doc,
            id: id.as_ref(),
            notes: &mut notes,
            change: &mut change,
        };
        apply::operation(&mut ctx, op, path, value).map_err(at)?;
    }
    finish(kind, &mut doc);
    Ok(Patched { document: Value::Object(doc), change, notes: notes.0 })
}

/// `schemas` lists the core URN and each extension the document holds; empty extension
/// objects go; write-only attributes never stay.
pub(crate) fn finish(kind: ResourceKind, doc: &mut Map<String, Value>) {
    let core = schema::core(kind);
    for a in &core.attributes {
        if a.mutability == schema::Mutability::WriteOnly {
            doc.retain(|k, _| !k.eq_ignore_ascii_case(&a.name));
        }
    }
    let mut schemas = vec![Value::from(core.urn)];
    for ext in schema::extensions(kind) {
        let key = schema::key_of(doc, ext.urn).cloned();
        if let Some(key) = key {
            let empty = doc.get(&key).is_none_or(|v| v.as_object().is_none_or(Map::is_empty));
            if empty {
                doc.remove(&key);
            } else {
                if key != ext.urn
                    && let Some(v) = doc.remove(&key)
                {
                    doc.insert(ext.urn.to_owned(), v);
                }
                schemas.push(Value::from(ext.urn));
            }
        }
    }
    let mut out = Map::new();
    out.insert("schemas".to_owned(), Value::Array(schemas));
    for (k, v) in std::mem::take(doc) {
        if k != "schemas" {
            out.insert(k, v);
        }
    }
    *doc = out;
}
