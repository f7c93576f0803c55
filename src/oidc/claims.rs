//! ID-token claims → the mapping's [`Claims`]: the same attribute list a SAML assertion gives,
//! so the mapping, role rules, identity resolution and JIT provisioning run unchanged.
//!
//! - `sub` is the NameID (no Format); every claim is also an attribute under its own name.
//! - A string is one value; a number is its JSON text; a boolean `true`/`false`; `null` is
//!   left out.
//! - An array of scalars is one multi-valued attribute (`groups`); an array or object inside an
//!   array is one value each, as compact JSON.
//! - An object is flattened into dotted paths (`realm_access.roles`, `resource_access.app.roles`,
//!   `_claim_names.groups`); names with dots or slashes (`https://example.com/roles`) are taken
//!   verbatim. When a literal key `a.b` and the path `a` → `b` meet, their values are merged and
//!   a note says so.
//!
//! Hostile tokens are bounded: paths deeper than [`MAX_DEPTH`] stay one compact-JSON value,
//! names over [`MAX_NAME_BYTES`], attributes past [`MAX_ATTRIBUTES`] and values past
//! [`MAX_VALUES`] are left out with a note. Every input byte is read once, so the cost is linear.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::provision::Claims;
use crate::validate::{Attribute, NameId};

/// Objects nested deeper than this are kept as one compact-JSON value at their path.
pub const MAX_DEPTH: usize = 8;
/// A flattened name longer than this (in bytes) is left out.
pub const MAX_NAME_BYTES: usize = 512;
/// Distinct attribute names kept.
pub const MAX_ATTRIBUTES: usize = 1_000;
/// Values kept over all attributes.
pub const MAX_VALUES: usize = 10_000;

/// The claim OIDC Core §5.1 defines for "the address was verified by the OP".
pub const EMAIL_VERIFIED: &str = "email_verified";

/// The mapping's claims of an ID token (or userinfo response): `sub` as the NameID, every claim
/// flattened into attributes, and notes on anything merged, read leniently or left out.
pub fn claims_of(claims: &Map<String, Value>) -> Claims {
    let mut flat = Flattener::default();
    for (key, value) in claims {
        flat.claim(&[key.as_str()], value, 0);
    }
    let name_id = match claims.get("sub") {
        Some(Value::String(sub)) => {
            Some(NameId { value: sub.clone(), format: None, name_qualifier: None, sp_name_qualifier: None })
        }
        Some(other) => {
            flat.notes.push(format!("the sub claim is {}, not a string: it cannot be the subject", kind_of(other)));
            None
        }
        None => None,
    };
    if let Some(Value::String(s)) = claims.get(EMAIL_VERIFIED) {
        flat.notes.push(format!(
            "email_verified arrived as the string {s:?}, not a JSON boolean (Amazon Cognito and Entra ID send it so): \
             it is read as {}",
            match string_bool(s) {
                Some(b) => b.to_string(),
                None => "neither true nor false".to_owned(),
            }
        ));
    }
    flat.finish(name_id)
}

/// `true`/`false` as a boolean claim or the string some OPs send instead (any letter case).
/// The claims to map: the ID token's, plus each userinfo claim that only adds. Userinfo is
/// the OP's word once its `sub` matched (OIDC Core §5.3.2), but the signed ID token is never
/// changed or added to: a userinfo claim is left out when the ID token has it, or when any
/// name it flattens to is one the ID token's claims give (`"realm_access.roles"` beside a
/// signed `realm_access.roles`). `email_verified` speaks of the address it came with: the
/// userinfo one is used only when userinfo's `email` is the ID token's (or the ID token has
/// none). Returns the merged claims and a note for each userinfo claim left out.
pub fn with_userinfo(
    id_token: &Map<String, Value>,
    userinfo: &Map<String, Value>,
) -> (Map<String, Value>, Vec<String>) {
    let signed: std::collections::HashSet<String> =
        claims_of(id_token).attributes.into_iter().map(|a| a.name).collect();
    let present = |m: &Map<String, Value>, name: &str| m.get(name).filter(|v| !v.is_null()).cloned();
    let (id_email, info_email) = (present(id_token, "email"), present(userinfo, "email"));
    let mut merged = id_token.clone();
    let mut notes = Vec::new();
    for (name, value) in userinfo {
        if id_token.contains_key(name) {
            continue;
        }
        if let Some(clash) = clash(name, value, 0, &signed) {
            notes.push(format!(
                "userinfo's claim {name:?} was not used: it reads as {clash:?}, which the ID token already gives"
            ));
            continue;
        }
        if name == EMAIL_VERIFIED
            && (info_email.is_none() || id_email.as_ref().is_some_and(|e| Some(e) != info_email.as_ref()))
        {
            notes.push(format!(
                "userinfo's email_verified was not used: it speaks of userinfo's email ({}), not the ID token's ({})",
                info_email.as_ref().map_or_else(|| "none".to_owned(), Value::to_string),
                id_email.as_ref().map_or_else(|| "none".to_owned(), Value::to_string),
            ));
            continue;
        }
        merged.insert(name.clone(), value.clone());
    }
    (merged, notes)
}

/// The first name that `value`, a claim named `name`, flattens to (as [`claims_of`] names
/// them) which `names` holds.
fn clash(name: &str, value: &Value, depth: usize, names: &std::collections::HashSet<String>) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Object(map) if depth < MAX_DEPTH => {
            map.iter().find_map(|(key, inner)| clash(&format!("{name}.{key}"), inner, depth + 1, names))
        }
        _ => names.contains(name).then(|| name.to_owned()),
    }
}

pub fn string_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// How a path reads in a note: `"a" → "b"`.
fn describe(path: &[&str]) -> String {
    path.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(" → ")
}

#[derive(Default)]
struct Flattener {
    attributes: Vec<Attribute>,
    /// Attribute index by name, and the path that made it (for collision notes).
    index: HashMap<String, (usize, String)>,
    values: usize,
    notes: Vec<String>,
    /// Counts of what was left out, reported once each at the end.
    long_names: usize,
    over_attributes: usize,
    over_values: usize,
}

impl Flattener {
    fn claim(&mut self, path: &[&str], value: &Value, depth: usize) {
        match value {
            Value::Null => {}
            Value::Object(map) if depth < MAX_DEPTH => {
                for (key, inner) in map {
                    let mut deeper = path.to_vec();
                    deeper.push(key.as_str());
                    self.claim(&deeper, inner, depth + 1);
                }
            }
            Value::Object(_) => {
                self.notes.push(format!(
                    "claim {} is nested more than {MAX_DEPTH} objects deep: kept as one JSON value",
                    describe(path)
                ));
                self.push(path, vec![compact(value)]);
            }
            Value::Array(items) => {
                let values = items.iter().filter(|v| !v.is_null()).map(scalar_or_json).collect();
                self.push(path, values);
            }
            scalar => self.push(path, vec![scalar_or_json(scalar)]),
        }
    }

    fn push(&mut self, path: &[&str], mut values: Vec<String>) {
        let name_len = path.iter().map(|s| s.len()).sum::<usize>() + path.len().saturating_sub(1);
        if name_len > MAX_NAME_BYTES {
            self.long_names += 1;
            return;
        }
        let name = path.join(".");
        let origin = describe(path);
        let at = match self.index.get(&name) {
            Some((at, first)) => {
                if *first != origin {
                    self.notes.push(format!(
                        "claims {first} and {origin} both read as {name:?}: their values were merged under that name"
                    ));
                }
                *at
            }
            None if self.attributes.len() >= MAX_ATTRIBUTES => {
                self.over_attributes += 1;
                return;
            }
            None => {
                let at = self.attributes.len();
                self.index.insert(name.clone(), (at, origin));
                self.attributes.push(Attribute { name, name_format: None, friendly_name: None, values: Vec::new() });
                at
            }
        };
        let room = MAX_VALUES.saturating_sub(self.values);
        if values.len() > room {
            self.over_values += values.len() - room;
            values.truncate(room);
        }
        self.values += values.len();
        if let Some(a) = self.attributes.get_mut(at) {
            a.values.extend(values);
        }
    }

    fn finish(mut self, name_id: Option<NameId>) -> Claims {
        if self.long_names > 0 {
            self.notes.push(format!(
                "{} claim(s) with a name longer than {MAX_NAME_BYTES} bytes were left out",
                self.long_names
            ));
        }
        if self.over_attributes > 0 {
            self.notes.push(format!("{} claim(s) past the first {MAX_ATTRIBUTES} were left out", self.over_attributes));
        }
        if self.over_values > 0 {
            self.notes.push(format!("{} value(s) past the first {MAX_VALUES} were left out", self.over_values));
        }
        Claims { name_id, attributes: self.attributes, notes: self.notes }
    }
}

/// A scalar as text (numbers as their JSON text, booleans `true`/`false`); an object or
/// array inside an array as compact JSON.
fn scalar_or_json(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => compact(other),
    }
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flat(v: Value) -> Claims {
        let Value::Object(map) = v else { panic!("an object") };
        claims_of(&map)
    }

    fn values<'a>(c: &'a Claims, name: &str) -> Vec<&'a str> {
        c.attributes.iter().filter(|a| a.name == name).flat_map(|a| a.values.iter().map(String::as_str)).collect()
    }

    fn has(c: &Claims, name: &str) -> bool {
        c.attributes.iter().any(|a| a.name == name)
    }

    #[test]
    fn sub_is_the_name_id_and_scalars_are_one_value_each() {
        let c = flat(json!({
            "sub": "00u1", "email": "a@example.com", "email_verified": true, "ver": 1,
            "ratio": 1.5, "nickname": null, "amr": ["pwd", "mfa"], "empty": []
        }));
        let n = c.name_id.as_ref().expect("sub");
        assert_eq!((n.value.as_str(), n.format.as_deref()), ("00u1", None));
        assert_eq!(values(&c, "sub"), ["00u1"]);
        assert_eq!(values(&c, "email"), ["a@example.com"]);
        assert_eq!(values(&c, "email_verified"), ["true"]);
        assert_eq!(values(&c, "ver"), ["1"]);
        assert_eq!(values(&c, "ratio"), ["1.5"]);
        assert!(!has(&c, "nickname"), "null is left out");
        assert_eq!(values(&c, "amr"), ["pwd", "mfa"]);
        assert!(has(&c, "empty") && values(&c, "empty").is_empty(), "an empty list arrived, with no value");
        assert!(c.notes.is_empty(), "{:?}", c.notes);
    }

    #[test]
    fn objects_become_dotted_paths_and_namespaced_names_stay_verbatim() {
        let c = flat(json!({
            "sub": "u",
            "realm_access": {"roles": ["admin", "offline_access"]},
            "resource_access": {"app": {"roles": ["editor"]}, "other": {"roles": []}},
            "_claim_names": {"groups": "src1"},
            "_claim_sources": {"src1": {"endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}},
            "https://example.com/roles": ["admin"],
            "address": {"street_address": "1 Main St", "country": "NL"}
        }));
        assert_eq!(values(&c, "realm_access.roles"), ["admin", "offline_access"]);
        assert_eq!(values(&c, "resource_access.app.roles"), ["editor"]);
        assert_eq!(values(&c, "_claim_names.groups"), ["src1"]);
        assert_eq!(
            values(&c, "_claim_sources.src1.endpoint"),
            ["https://graph.microsoft.com/v1.0/users/x/getMemberObjects"]
        );
        assert_eq!(values(&c, "https://example.com/roles"), ["admin"]);
        assert_eq!(values(&c, "address.country"), ["NL"]);
        assert!(!has(&c, "realm_access"), "an object is its paths, not a value of its own");
    }

    #[test]
    fn arrays_of_objects_are_one_compact_json_value_per_element() {
        let c = flat(json!({"sub": "u", "emails": [{"value": "a@x", "primary": true}, null, [1, 2], "plain"]}));
        assert_eq!(values(&c, "emails"), [r#"{"value":"a@x","primary":true}"#, "[1,2]", "plain"]);
    }

    #[test]
    fn a_literal_dotted_key_and_a_path_merge_with_a_note() {
        let c = flat(json!({"sub": "u", "realm_access.roles": ["a"], "realm_access": {"roles": ["b"]}}));
        assert_eq!(values(&c, "realm_access.roles"), ["a", "b"]);
        assert_eq!(c.attributes.iter().filter(|a| a.name == "realm_access.roles").count(), 1);
        assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
        assert!(c.notes[0].contains(r#""realm_access.roles""#) && c.notes[0].contains(r#""realm_access" → "roles""#));
    }

    #[test]
    fn string_booleans_are_tolerated_and_noted() {
        let c = flat(json!({"sub": "u", "email_verified": "False"}));
        assert_eq!(values(&c, "email_verified"), ["False"]);
        assert_eq!(string_bool("False"), Some(false));
        assert_eq!(string_bool("TRUE"), Some(true));
        assert_eq!(string_bool("yes"), None);
        assert!(c.notes.iter().any(|n| n.contains("Cognito") && n.contains("read as false")), "{:?}", c.notes);
    }

    #[test]
    fn a_sub_that_is_not_a_string_is_no_subject() {
        let c = flat(json!({"sub": 42}));
        assert!(c.name_id.is_none());
        assert_eq!(values(&c, "sub"), ["42"]);
        assert!(c.notes.iter().any(|n| n.contains("a number")), "{:?}", c.notes);
        assert!(flat(json!({"email": "x"})).name_id.is_none());
    }

    #[test]
    fn deep_nesting_is_cut_at_the_depth_limit() {
        let mut v = json!({"leaf": "x"});
        for i in 0..100 {
            v = json!({ format!("k{i}"): v });
        }
        let c = flat(json!({"sub": "u", "deep": v}));
        let deep: Vec<&Attribute> = c.attributes.iter().filter(|a| a.name.starts_with("deep.")).collect();
        assert_eq!(deep.len(), 1);
        assert_eq!(deep[0].name.matches('.').count(), MAX_DEPTH);
        assert!(deep[0].values[0].contains(r#""leaf":"x""#));
        assert!(c.notes.iter().any(|n| n.contains("nested more than")), "{:?}", c.notes);
    }

    /// A token at the size limit (256 KiB) built to blow up: 20,000 names, long keys in deep
    /// chains, 60,000 array values. Flattening is bounded and quick.
    #[test]
    fn hostile_claims_are_bounded() {
        let mut map = Map::new();
        map.insert("sub".into(), json!("u"));
        map.insert("many".into(), Value::Array((0..60_000).map(|i| json!(i)).collect()));
        for i in 0..20_000 {
            map.insert(format!("c{i}"), json!(i));
        }
        let long = "k".repeat(300);
        let mut chain = json!("v");
        for _ in 0..MAX_DEPTH {
            chain = json!({ long.clone(): chain });
        }
        map.insert("chain".into(), chain);
        let started = std::time::Instant::now();
        let c = claims_of(&map);
        let elapsed = started.elapsed();
        assert_eq!(c.attributes.len(), MAX_ATTRIBUTES);
        assert_eq!(c.attributes.iter().map(|a| a.values.len()).sum::<usize>(), MAX_VALUES);
        assert!(c.notes.iter().any(|n| n.contains("value(s) past the first")), "{:?}", c.notes);
        assert!(c.attributes.iter().all(|a| a.name.len() <= MAX_NAME_BYTES));
        assert!(c.notes.iter().any(|n| n.contains("longer than")), "{:?}", c.notes);
        assert!(c.notes.iter().any(|n| n.contains("claim(s) past the first")), "{:?}", c.notes);
        assert!(c.notes.len() < 10, "one note per kind, not one per claim: {}", c.notes.len());
        // The flattened claims through every field and rule of the OIDC default mapping.
        let started = std::time::Instant::now();
        let (trace, _) = crate::provision::rules::evaluate(&crate::provision::presets::oidc_generic(), &c);
        let mapped = started.elapsed();
        assert_eq!(trace.notes, c.notes, "the notes reach the mapping trace");
        println!("flattening 20,000 claims and 60,000 values: {elapsed:?}; mapping the result: {mapped:?}");
    }
}
