//! Create and replace (POST, PUT): the body checked against the schema (required attributes,
//! `schemas`, types, `mutability`), booleans tolerated as strings, write-only attributes
//! (password) and read-only ones (`groups`, `meta`) dropped; and the stored document dressed
//! with `id` and `meta` for a response (helper proto owns this file).
//!
//! Tolerated, with a note: a `schemas` list that lacks the core URN or names a legacy one
//! (OneLogin's template still says `urn:scim:schemas:core:1.0`); unknown attributes and
//! unknown extension objects (dropped, never stored); a PUT without `active` (kept, as Okta's
//! full-replace PUT expects: RFC 7644 §3.5.1 leaves defaults to the service provider).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::patch::coerce::{self, Notes};
use super::patch::finish;
use super::schema::{self, Mutability, get_ci};
use super::{ResourceKind, ScimError, ScimType};

/// A checked document ready to store (no `id`, no `meta`) and the notes for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub document: Value,
    pub notes: Vec<String>,
}

/// POST: the body of a new resource.
pub fn create(kind: ResourceKind, body: &Value) -> Result<Prepared, ScimError> {
    let mut notes = Notes::default();
    let document = checked(kind, body, &mut notes)?;
    Ok(Prepared { document, notes: notes.0 })
}

/// PUT: `body` replaces `current`; immutable attributes must not change, a missing `active`
/// keeps the current value (Okta's full-replace PUT), an `id` in the body must be `id`.
pub fn replace(kind: ResourceKind, id: &str, current: &Value, body: &Value) -> Result<Prepared, ScimError> {
    if let Some(sent) = get_ci(body, "id")
        && sent.as_str() != Some(id)
    {
        return Err(ScimError::bad_request(
            ScimType::Mutability,
            format!("\"id\" in the body ({}) is not the resource's id", short(sent)),
        ));
    }
    let mut notes = Notes::default();
    let mut document = checked(kind, body, &mut notes)?;
    let Some(new) = document.as_object_mut() else { return Ok(Prepared { document, notes: notes.0 }) };
    for attribute in &schema::core(kind).attributes {
        let before = get_ci(current, &attribute.name).filter(|v| !v.is_null());
        let after = new.get(&attribute.name);
        if attribute.mutability == Mutability::Immutable
            && let (Some(b), Some(a)) = (before, after)
            && a != b
        {
            return Err(ScimError::bad_request(
                ScimType::Mutability,
                format!("\"{}\" is immutable and cannot change", attribute.name),
            ));
        }
        if attribute.name == "active"
            && after.is_none()
            && let Some(b) = before
        {
            notes.add(format!("PUT without \"active\": kept {b}"));
            new.insert("active".to_owned(), b.clone());
        }
    }
    finish(kind, new);
    Ok(Prepared { document, notes: notes.0 })
}

fn short(v: &Value) -> String {
    v.to_string().chars().take(60).collect()
}

fn cut(s: &str) -> String {
    s.chars().take(60).collect()
}

fn checked(kind: ResourceKind, body: &Value, notes: &mut Notes) -> Result<Value, ScimError> {
    let Some(object) = body.as_object() else {
        return Err(ScimError::bad_request(ScimType::InvalidSyntax, "a resource is a JSON object"));
    };
    schemas_note(kind, object, notes);
    let core = schema::core(kind);
    let mut out = Map::new();
    for (key, value) in object {
        if key.eq_ignore_ascii_case("schemas") || value.is_null() {
            continue;
        }
        if key.eq_ignore_ascii_case("id") || key.eq_ignore_ascii_case("meta") {
            continue;
        }
        if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
            let Some(ext) = schema::extension(kind, key) else {
                notes.add(format!("unknown extension {:?} dropped", cut(key)));
                continue;
            };
            let Some(inner) = value.as_object() else {
                return Err(ScimError::bad_request(ScimType::InvalidValue, format!("{} is an object", ext.urn)));
            };
            let mut kept = Map::new();
            for (k, v) in inner {
                match ext.attribute(k) {
                    Some(def) => put(&mut kept, def, v, notes)?,
                    None => notes.add(format!("unknown attribute \"{k}\" of {} dropped", ext.urn)),
                }
            }
            if !kept.is_empty() {
                out.insert(ext.urn.to_owned(), Value::Object(kept));
            }
            continue;
        }
        match core.attribute(key).or_else(|| schema::locate(kind, None, key).map(|l| l.attribute)) {
            Some(def) if schema::locate(kind, None, key).is_some_and(|l| l.extension.is_some()) => {
                // An extension attribute at the top level: filed under its extension.
                let urn = schema::locate(kind, None, key).and_then(|l| l.extension).unwrap_or_default();
                notes.add(format!("\"{key}\" at the top level filed under {urn}"));
                let slot = out.entry(urn.to_owned()).or_insert_with(|| Value::Object(Map::new()));
                if let Some(o) = slot.as_object_mut() {
                    put(o, def, value, notes)?;
                }
            }
            Some(def) => put(&mut out, def, value, notes)?,
            None => notes.add(format!("unknown attribute {:?} dropped", cut(key))),
        }
    }
    for def in &core.attributes {
        let missing = out.get(&def.name).is_none_or(|v| v.as_str().is_some_and(|s| s.trim().is_empty()));
        if def.required && missing {
            return Err(ScimError::bad_request(ScimType::InvalidValue, format!("\"{}\" is required", def.name)));
        }
    }
    finish(kind, &mut out);
    Ok(Value::Object(out))
}

/// Stores one checked attribute, unless the schema says the client cannot write it.
fn put(
    out: &mut Map<String, Value>,
    def: &schema::Attribute,
    value: &Value,
    notes: &mut Notes,
) -> Result<(), ScimError> {
    match def.mutability {
        Mutability::ReadOnly => {
            let empty = value.as_array().is_some_and(Vec::is_empty);
            if !empty {
                notes.add(format!("read-only \"{}\" ignored", def.name));
            }
            Ok(())
        }
        Mutability::WriteOnly => {
            notes.add(format!("write-only \"{}\" accepted and never stored", def.name));
            Ok(())
        }
        Mutability::ReadWrite | Mutability::Immutable => {
            let v = coerce::value(def, value, notes)?;
            // An empty list is an unassigned attribute (Entra sends `"roles": []`).
            if !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()) {
                out.insert(def.name.clone(), v);
            }
            Ok(())
        }
    }
}

fn schemas_note(kind: ResourceKind, object: &Map<String, Value>, notes: &mut Notes) {
    let listed: Vec<&str> = schema::key_of(object, "schemas")
        .and_then(|k| object.get(k))
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |a| a.iter().filter_map(Value::as_str).collect());
    let core = schema::core(kind).urn;
    if !listed.iter().any(|u| u.eq_ignore_ascii_case(core)) {
        notes.add(format!("\"schemas\" without {core}: read as a {}", kind.as_str()));
    }
    for u in listed {
        if !schema::is_known_urn(kind, u) {
            let shown: String = u.chars().take(80).collect();
            notes.add(format!("unknown schema {shown:?} in \"schemas\" ignored"));
        }
    }
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

/// The `ETag` / `meta.version` of a resource version.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// The stored document with `id`, `schemas` and `meta` (`resourceType`, `created`,
/// `lastModified`, `location`, `version` as `W/"n"`).
pub fn full(kind: ResourceKind, document: &Value, meta: &Meta<'_>) -> Value {
    let mut doc = match document {
        Value::Object(o) => o.clone(),
        _ => Map::new(),
    };
    doc.remove("id");
    doc.remove("meta");
    finish(kind, &mut doc);
    let mut out = Map::new();
    if let Some(s) = doc.remove("schemas") {
        out.insert("schemas".to_owned(), s);
    }
    out.insert("id".to_owned(), Value::from(meta.id));
    out.extend(doc);
    let location = format!("{}/{}/{}", meta.base_url.trim_end_matches('/'), kind.endpoint(), meta.id);
    out.insert(
        "meta".to_owned(),
        serde_json::json!({
            "resourceType": kind.as_str(),
            "created": meta.created.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "lastModified": meta.last_modified.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "location": location,
            "version": etag(meta.version),
        }),
    );
    Value::Object(out)
}
