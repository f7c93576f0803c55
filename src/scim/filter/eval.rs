//! Filter evaluation over a stored document. Strings compare by the attribute's `caseExact`
//! (case-insensitive when the schema says so or the attribute is unknown), `dateTime` values as
//! instants, numbers as numbers; booleans only with `eq`/`ne`. A multi-valued attribute matches
//! when any value does; a complex value compared as a whole is its `value` sub-attribute.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::{AttrPath, CompareOp, Expr};
use crate::scim::schema::{self, AttrType, Attribute};
use crate::scim::{ResourceKind, ScimError, ScimType};

/// Where names resolve: a resource's top level, or the sub-attributes of a complex value.
#[derive(Clone, Copy)]
enum Scope {
    Resource(ResourceKind),
    Complex(Option<&'static Attribute>),
}

pub(super) fn matches(expr: &Expr, kind: ResourceKind, document: &Value) -> bool {
    eval(expr, Scope::Resource(kind), document)
}

pub(super) fn matches_element(expr: &Expr, parent: &'static Attribute, element: &Value) -> bool {
    eval(expr, Scope::Complex(Some(parent)), element)
}

fn eval(expr: &Expr, scope: Scope, doc: &Value) -> bool {
    match expr {
        Expr::And(a, b) => eval(a, scope, doc) && eval(b, scope, doc),
        Expr::Or(a, b) => eval(a, scope, doc) || eval(b, scope, doc),
        Expr::Not(a) => !eval(a, scope, doc),
        Expr::Present(path) => {
            let (values, _) = values_at(path, scope, doc);
            values.iter().any(|v| present(v))
        }
        Expr::Has(path) => !values_at(path, scope, doc).0.is_empty(),
        Expr::Compare(path, CompareOp::Ne, expected) => {
            let (values, def) = values_at(path, scope, doc);
            !values.iter().any(|v| compare(v, CompareOp::Eq, expected, def))
        }
        Expr::Compare(path, op, expected) => {
            let (values, def) = values_at(path, scope, doc);
            values.iter().any(|v| compare(v, *op, expected, def))
        }
    }
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(present),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// The definition and raw value of a path's attribute in `scope`.
fn lookup<'d>(path: &AttrPath, scope: Scope, doc: &'d Value) -> (Option<&'d Value>, Option<&'static Attribute>) {
    match scope {
        Scope::Resource(kind) => match schema::locate(kind, path.urn.as_deref(), &path.name) {
            Some(found) => {
                let container = match found.extension {
                    Some(urn) => schema::get_ci(doc, urn),
                    None => Some(doc),
                };
                (container.and_then(|c| schema::get_ci(c, &found.attribute.name)), Some(found.attribute))
            }
            None => {
                let container = match &path.urn {
                    Some(urn) => schema::get_ci(doc, urn),
                    None => Some(doc),
                };
                (container.and_then(|c| schema::get_ci(c, &path.name)), None)
            }
        },
        Scope::Complex(parent) => (schema::get_ci(doc, &path.name), parent.and_then(|p| p.sub(&path.name))),
    }
}

/// The leaf values a path designates (each element of a multi-valued attribute, filtered by the
/// value filter, then its sub-attribute) and the leaf's definition.
fn values_at<'d>(path: &AttrPath, scope: Scope, doc: &'d Value) -> (Vec<&'d Value>, Option<&'static Attribute>) {
    let (raw, def) = lookup(path, scope, doc);
    let mut values: Vec<&Value> = match raw {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(v) => vec![v],
    };
    if let Some(filter) = &path.filter {
        values.retain(|v| eval(filter, Scope::Complex(def), v));
    }
    let sub = path.sub.as_deref().or_else(|| {
        // `emails co "x"`: a complex multi-valued attribute compares by its `value`.
        (path.filter.is_none() && def.is_some_and(|d| d.kind == AttrType::Complex && d.sub("value").is_some()))
            .then_some("value")
    });
    match sub {
        None => (values, def),
        Some(sub) => {
            let leaf = def.and_then(|d| d.sub(sub));
            let mut out = Vec::new();
            for v in values {
                match schema::get_ci(v, sub) {
                    Some(Value::Array(items)) => out.extend(items.iter()),
                    Some(Value::Null) | None => {}
                    Some(x) => out.push(x),
                }
            }
            (out, leaf)
        }
    }
}

fn folded(s: &str, case_exact: bool) -> String {
    if case_exact { s.to_owned() } else { s.to_lowercase() }
}

fn instant(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

fn compare(actual: &Value, op: CompareOp, expected: &Value, def: Option<&Attribute>) -> bool {
    let case_exact = def.is_some_and(|d| d.case_exact);
    let date_time = def.is_some_and(|d| d.kind == AttrType::DateTime);
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => {
            if date_time && let (Some(a), Some(e)) = (instant(a), instant(e)) {
                return ordered(a.cmp(&e), op);
            }
            let (a, e) = (folded(a, case_exact), folded(e, case_exact));
            match op {
                CompareOp::Co => a.contains(&e),
                CompareOp::Sw => a.starts_with(&e),
                CompareOp::Ew => a.ends_with(&e),
                _ => ordered(a.cmp(&e), op),
            }
        }
        (Value::Number(a), Value::Number(e)) => match (a.as_f64(), e.as_f64()) {
            (Some(a), Some(e)) => a.partial_cmp(&e).is_some_and(|o| ordered(o, op)),
            _ => false,
        },
        (Value::Bool(a), Value::Bool(e)) => op == CompareOp::Eq && a == e,
        // `active eq "true"`: a boolean compared with its string spelling.
        (Value::Bool(a), Value::String(e)) => {
            op == CompareOp::Eq && e.parse::<bool>().ok().or_else(|| e.to_ascii_lowercase().parse().ok()) == Some(*a)
        }
        (Value::Null, Value::Null) => op == CompareOp::Eq,
        _ => false,
    }
}

fn ordered(o: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Ne | CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

pub(super) fn check(expr: &Expr, kind: ResourceKind) -> Result<(), ScimError> {
    check_in(expr, Scope::Resource(kind))
}

fn leaf_def(path: &AttrPath, scope: Scope) -> Option<&'static Attribute> {
    let def = match scope {
        Scope::Resource(kind) => schema::locate(kind, path.urn.as_deref(), &path.name).map(|l| l.attribute),
        Scope::Complex(parent) => parent.and_then(|p| p.sub(&path.name)),
    };
    match &path.sub {
        Some(sub) => def.and_then(|d| d.sub(sub)),
        None => def,
    }
}

fn check_in(expr: &Expr, scope: Scope) -> Result<(), ScimError> {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => check_in(a, scope).and_then(|()| check_in(b, scope)),
        Expr::Not(a) => check_in(a, scope),
        Expr::Present(path) | Expr::Has(path) | Expr::Compare(path, ..) => {
            if let Some(filter) = &path.filter {
                let parent = match scope {
                    Scope::Resource(kind) => schema::locate(kind, path.urn.as_deref(), &path.name).map(|l| l.attribute),
                    Scope::Complex(p) => p.and_then(|p| p.sub(&path.name)),
                };
                check_in(filter, Scope::Complex(parent))?;
            }
            let Expr::Compare(_, op, value) = expr else { return Ok(()) };
            let Some(def) = leaf_def(path, scope) else { return Ok(()) };
            let ordering = !matches!(op, CompareOp::Eq | CompareOp::Ne);
            if def.kind == AttrType::Boolean && ordering {
                return Err(ScimError::bad_request(
                    ScimType::InvalidFilter,
                    format!("\"{}\" is a boolean: only eq and ne compare it", def.name),
                ));
            }
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) && !value.is_string() {
                return Err(ScimError::bad_request(
                    ScimType::InvalidFilter,
                    "co, sw and ew compare with a string".to_owned(),
                ));
            }
            Ok(())
        }
    }
}

/// The value `sortBy` orders by and whether it compares case-exactly.
pub(super) fn sort_key<'d>(path: &AttrPath, kind: ResourceKind, doc: &'d Value) -> Option<(&'d Value, bool)> {
    let (raw, def) = lookup(path, Scope::Resource(kind), doc);
    let raw = raw?;
    let pick = match raw {
        Value::Array(items) => items
            .iter()
            .find(|i| schema::get_ci(i, "primary").and_then(Value::as_bool) == Some(true))
            .or_else(|| items.first())?,
        v => v,
    };
    let sub = path.sub.as_deref().or_else(|| pick.is_object().then_some("value"));
    let leaf_def = match sub {
        Some(s) => def.and_then(|d| d.sub(s)),
        None => def,
    };
    let leaf = match sub {
        Some(s) => schema::get_ci(pick, s)?,
        None => pick,
    };
    (!leaf.is_null()).then_some((leaf, leaf_def.is_some_and(|d| d.case_exact)))
}
