//! `attributes` / `excludedAttributes` (RFC 7644 §3.9) by each attribute's `returned`
//! (`always`, `never`, `default`, `request`) (helper proto owns this file).
//!
//! Names compare without regard to case and may carry their schema URN
//! (`urn:…:enterprise:2.0:User:department`) or name a whole extension. `schemas` and the
//! `returned: always` attributes (`id`) are always there; `never` ones (`password`) never are.
//! When both lists are given, `attributes` wins (the RFC lets a client send only one).

use serde_json::{Map, Value};

use super::schema::{self, Attribute, Returned};
use super::{ResourceKind, ScimType};

/// One selected name, resolved against the schema.
#[derive(Debug, Clone, PartialEq)]
enum Selected {
    /// `urn:…:enterprise:2.0:User`: the whole extension.
    Extension(&'static str),
    /// An attribute (in the core schema when `extension` is `None`) and maybe one sub-attribute.
    Attribute { extension: Option<&'static str>, name: String, sub: Option<String> },
}

fn resolve(kind: ResourceKind, text: &str) -> Option<Selected> {
    let text = text.trim();
    if let Some(ext) = schema::extension(kind, text) {
        return Some(Selected::Extension(ext.urn));
    }
    let path = super::filter::parse_attr_path(text, ScimType::InvalidPath).ok()?;
    if path.filter.is_some() {
        return None;
    }
    match schema::locate(kind, path.urn.as_deref(), &path.name) {
        Some(found) => Some(Selected::Attribute {
            extension: found.extension,
            name: found.attribute.name.to_ascii_lowercase(),
            sub: path.sub.map(|s| s.to_ascii_lowercase()),
        }),
        None if path.urn.is_none() => {
            Some(Selected::Attribute { extension: None, name: path.name.to_ascii_lowercase(), sub: None })
        }
        None => None,
    }
}

/// What a list says about one attribute: not named, named whole, or some sub-attributes named.
enum Named {
    No,
    Whole,
    Subs(Vec<String>),
}

fn named(list: &[Selected], extension: Option<&str>, name: &str) -> Named {
    let mut subs = Vec::new();
    for s in list {
        match s {
            Selected::Extension(urn) if Some(*urn) == extension => return Named::Whole,
            Selected::Attribute { extension: e, name: n, sub } if *e == extension && n.eq_ignore_ascii_case(name) => {
                match sub {
                    None => return Named::Whole,
                    Some(sub) => subs.push(sub.clone()),
                }
            }
            _ => {}
        }
    }
    if subs.is_empty() { Named::No } else { Named::Subs(subs) }
}

/// The response form of a full document.
pub fn project(kind: ResourceKind, document: &Value, attributes: &[String], excluded: &[String]) -> Value {
    let Some(object) = document.as_object() else { return document.clone() };
    let include: Vec<Selected> = attributes.iter().filter_map(|a| resolve(kind, a)).collect();
    let exclude: Vec<Selected> = excluded.iter().filter_map(|a| resolve(kind, a)).collect();
    let mode = if !attributes.is_empty() { Mode::Only(&include) } else { Mode::Except(&exclude) };
    let mut out = Map::new();
    for (key, value) in object {
        if key == "schemas" {
            out.insert(key.clone(), value.clone());
            continue;
        }
        if let Some(ext) = schema::extension(kind, key) {
            let Some(inner) = value.as_object() else { continue };
            let mut kept = Map::new();
            for (k, v) in inner {
                let def = ext.attribute(k);
                if let Some(v) = attribute(mode, Some(ext.urn), k, def, v) {
                    kept.insert(k.clone(), v);
                }
            }
            if !kept.is_empty() {
                out.insert(key.clone(), Value::Object(kept));
            }
            continue;
        }
        let def = schema::locate(kind, None, key).filter(|l| l.extension.is_none()).map(|l| l.attribute);
        if let Some(v) = attribute(mode, None, key, def, value) {
            out.insert(key.clone(), v);
        }
    }
    Value::Object(out)
}

#[derive(Clone, Copy)]
enum Mode<'a> {
    Only(&'a [Selected]),
    Except(&'a [Selected]),
}

/// One attribute's projected value, or `None` when it is left out.
fn attribute(
    mode: Mode<'_>,
    extension: Option<&str>,
    key: &str,
    def: Option<&Attribute>,
    value: &Value,
) -> Option<Value> {
    let returned = def.map_or(Returned::Default, |d| d.returned);
    match returned {
        Returned::Never => return None,
        Returned::Always => return Some(value.clone()),
        Returned::Default | Returned::Request => {}
    }
    match (mode, named(list_of(mode), extension, key)) {
        (Mode::Only(_), Named::No) => None,
        (Mode::Only(_), Named::Whole) => Some(value.clone()),
        (Mode::Only(_), Named::Subs(subs)) => Some(map_subs(value, def, |k, d| {
            d.is_some_and(|d| d.returned == Returned::Always) || subs.iter().any(|s| s.eq_ignore_ascii_case(k))
        })),
        (Mode::Except(_), _) if returned == Returned::Request => None,
        (Mode::Except(_), Named::No) => Some(map_subs(value, def, |_, d| keep_by_default(d))),
        (Mode::Except(_), Named::Whole) => None,
        (Mode::Except(_), Named::Subs(subs)) => {
            Some(map_subs(value, def, |k, d| keep_by_default(d) && !subs.iter().any(|s| s.eq_ignore_ascii_case(k))))
        }
    }
}

fn keep_by_default(def: Option<&Attribute>) -> bool {
    def.is_none_or(|d| matches!(d.returned, Returned::Always | Returned::Default))
}

fn list_of(mode: Mode<'_>) -> &[Selected] {
    match mode {
        Mode::Only(l) | Mode::Except(l) => l,
    }
}

/// Keeps the sub-attributes of a complex value (or of each element) that `keep` accepts.
fn map_subs(value: &Value, def: Option<&Attribute>, keep: impl Fn(&str, Option<&Attribute>) -> bool + Copy) -> Value {
    match value {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, _)| keep(k, def.and_then(|d| d.sub(k))))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|i| map_subs(i, def, keep)).collect()),
        v => v.clone(),
    }
}
