//! One PATCH operation against the document: path-less dispatch (rule 3), then the target a
//! path resolves to (a whole extension, an attribute, a sub-attribute, filtered elements).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::Op;
use super::coerce::{self, Notes};
use crate::scim::filter::{self, CompareOp, Expr};
use crate::scim::path::{self, Target};
use crate::scim::schema::{self, AttrType, Attribute, Mutability};
use crate::scim::{ResourceKind, ScimError, ScimType};

pub(crate) struct Ctx<'a> {
    pub kind: ResourceKind,
    pub doc: &'a mut Map<String, Value>,
    pub id: Option<&'a Value>,
    pub notes: &'a mut Notes,
    pub change: &'a mut Vec<String>,
}

/// Longest value shown in a change line.
const SHOWN: usize = 120;

fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > SHOWN { format!("{}…", s.chars().take(SHOWN).collect::<String>()) } else { s }
}

fn error(t: ScimType, d: String) -> ScimError {
    ScimError::bad_request(t, d)
}

pub(crate) fn operation(ctx: &mut Ctx<'_>, op: Op, path: Option<&str>, value: Option<&Value>) -> Result<(), ScimError> {
    let Some(path) = path else { return pathless(ctx, op, value) };
    let parsed = path::parse(path)?;
    let target = parsed.resolve(ctx.kind)?;
    at_target(ctx, op, parsed.text(), target, value)
}

fn pathless(ctx: &mut Ctx<'_>, op: Op, value: Option<&Value>) -> Result<(), ScimError> {
    let object = match (op, value) {
        (_, Some(Value::Object(o))) => o,
        (Op::Remove, _) => return Err(error(ScimType::NoTarget, "remove needs a \"path\"".into())),
        _ => {
            return Err(error(
                ScimType::InvalidSyntax,
                format!("a path-less {} takes an object of attributes as its value", op.as_str()),
            ));
        }
    };
    if op == Op::Remove {
        ctx.notes.add("path-less remove with a value object read per attribute".into());
    }
    for (key, v) in object {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if key.eq_ignore_ascii_case("meta") {
            ctx.notes.add("read-only \"meta\" in a PATCH value ignored".into());
            continue;
        }
        if key.eq_ignore_ascii_case("id") {
            if ctx.id.is_some_and(|id| id != v) {
                return Err(error(ScimType::Mutability, "\"id\" is read-only and cannot change".into()));
            }
            ctx.notes.add("unchanged \"id\" in a PATCH value ignored".into());
            continue;
        }
        if let Some(ext) = schema::extension(ctx.kind, key)
            && let Value::Object(inner) = v
        {
            // An extension object may name its own schema (scim2-tester sends it): not an attribute.
            for (k, iv) in inner.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("schemas")) {
                operation(ctx, op, Some(&format!("{}:{k}", ext.urn)), Some(iv))?;
            }
            continue;
        }
        if key.contains(['.', '[', ':']) {
            ctx.notes.add("path-less value with path keys dispatched per key".into());
        }
        operation(ctx, op, Some(key), Some(v))?;
    }
    Ok(())
}

/// The object holding the attribute: the document, or its extension's object (created for
/// add/replace).
fn container<'d>(
    doc: &'d mut Map<String, Value>,
    extension: Option<&str>,
    create: bool,
) -> Option<&'d mut Map<String, Value>> {
    let Some(urn) = extension else { return Some(doc) };
    let key = match schema::key_of(doc, urn).cloned() {
        Some(k) => k,
        None if create => {
            doc.insert(urn.to_owned(), Value::Object(Map::new()));
            urn.to_owned()
        }
        None => return None,
    };
    let slot = doc.get_mut(&key)?;
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

/// The attribute's key in `object` under its published name (a key in another case is renamed).
fn canonical_key(object: &mut Map<String, Value>, name: &str) {
    if let Some(k) = schema::key_of(object, name).cloned()
        && k != name
        && let Some(v) = object.remove(&k)
    {
        object.insert(name.to_owned(), v);
    }
}

fn at_target(
    ctx: &mut Ctx<'_>,
    op: Op,
    text: &str,
    target: Target<'_>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let Target::Attribute { extension, attribute, filter, sub } = target else {
        let Target::Extension(ext) = target else { return Ok(()) };
        return whole_extension(ctx, op, ext, value);
    };
    match attribute.mutability {
        Mutability::ReadOnly => {
            return Err(error(ScimType::Mutability, format!("\"{}\" is read-only", attribute.name)));
        }
        Mutability::WriteOnly => {
            ctx.notes.add(format!("write-only \"{}\" accepted and never stored", attribute.name));
            ctx.change.push(format!("{} {text} = ***", op.as_str()));
            return Ok(());
        }
        Mutability::Immutable | Mutability::ReadWrite => {}
    }
    if let Some(s) = sub
        && s.mutability == Mutability::ReadOnly
    {
        return Err(error(ScimType::Mutability, format!("\"{}.{}\" is read-only", attribute.name, s.name)));
    }
    if op == Op::Remove && filter.is_none() && sub.is_none() && attribute.required {
        return Err(error(ScimType::Mutability, format!("\"{}\" is required and cannot be removed", attribute.name)));
    }
    let value = match (op, value) {
        (Op::Remove, v) => v,
        (_, Some(v)) => Some(v),
        (_, None) => return Err(error(ScimType::InvalidValue, format!("{} {text} needs a \"value\"", op.as_str()))),
    };
    let Some(object) = container(ctx.doc, extension, op != Op::Remove) else { return Ok(()) };
    canonical_key(object, &attribute.name);
    let exists = object.get(&attribute.name).is_some_and(|v| !v.is_null());
    if attribute.mutability == Mutability::Immutable && exists && op != Op::Add {
        return Err(error(ScimType::Mutability, format!("\"{}\" is immutable", attribute.name)));
    }
    let line = match value {
        Some(v) if op != Op::Remove || !v.is_null() => format!("{} {text} = {}", op.as_str(), shown(v)),
        _ => format!("{} {text}", op.as_str()),
    };
    match (filter, sub) {
        (None, None) => whole(object, op, attribute, value, ctx.notes)?,
        (None, Some(sub)) => sub_attribute(object, op, attribute, sub, value, ctx.notes)?,
        (Some(filter), sub) => filtered(object, op, attribute, filter, sub, value, ctx.notes)?,
    }
    if object.get(&attribute.name).is_some_and(|v| v.is_null() || v.as_array().is_some_and(Vec::is_empty)) {
        object.remove(&attribute.name);
    }
    ctx.change.push(line);
    Ok(())
}

fn whole_extension(
    ctx: &mut Ctx<'_>,
    op: Op,
    ext: &'static schema::Schema,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    match (op, value) {
        (Op::Remove, _) => {
            ctx.doc.retain(|k, _| !k.eq_ignore_ascii_case(ext.urn));
            ctx.change.push(format!("remove {}", ext.urn));
            Ok(())
        }
        (_, Some(Value::Object(inner))) => {
            // The extension object's own "schemas" (scim2-tester sends it) is not an attribute.
            for (k, v) in inner.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("schemas")) {
                operation(ctx, op, Some(&format!("{}:{k}", ext.urn)), Some(v))?;
            }
            Ok(())
        }
        _ => Err(error(ScimType::InvalidValue, format!("{} {} takes an object", op.as_str(), ext.urn))),
    }
}

/// The identity of an element of a multi-valued attribute: its `value` when it has one.
fn identity(v: &Value) -> &Value {
    match v {
        Value::Object(o) => o.get("value").unwrap_or(v),
        _ => v,
    }
}

/// [`identity`] as a hashable key (equal keys for equal JSON values).
fn identity_key(v: &Value) -> String {
    identity(v).to_string()
}

fn whole(
    object: &mut Map<String, Value>,
    op: Op,
    def: &Attribute,
    value: Option<&Value>,
    notes: &mut Notes,
) -> Result<(), ScimError> {
    let name = def.name.as_str();
    if op == Op::Remove {
        match value {
            Some(listed) if def.multi_valued && !listed.is_null() => {
                // Rule 4: the value lists the elements to remove, by `value`.
                let listed: Vec<Value> = match coerce::value(def, listed, notes)? {
                    Value::Array(items) => items,
                    other => vec![other],
                };
                notes.add(format!("remove from \"{name}\" by a value list"));
                if let Some(Value::Array(items)) = object.get_mut(name) {
                    let listed: HashSet<String> = listed.iter().map(identity_key).collect();
                    items.retain(|item| !listed.contains(&identity_key(item)));
                }
            }
            _ => {
                object.remove(name);
            }
        }
        return Ok(());
    }
    let new = coerce::value(def, value.unwrap_or(&Value::Null), notes)?;
    if new.is_null() {
        object.remove(name);
        return Ok(());
    }
    match (op, new) {
        (Op::Add, Value::Array(items)) => {
            let slot = object.entry(name.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            if let Value::Array(existing) = slot {
                // Indexed by identity: adding a list up to the body limit is linear.
                let mut at: HashMap<String, usize> =
                    existing.iter().enumerate().map(|(i, e)| (identity_key(e), i)).collect();
                for item in items {
                    let key = identity_key(&item);
                    match at.get(&key).and_then(|i| existing.get_mut(*i)) {
                        Some(e) => *e = item,
                        None => {
                            at.insert(key, existing.len());
                            existing.push(item);
                        }
                    }
                }
            }
        }
        (_, Value::Object(sub_values)) if def.kind == AttrType::Complex && !def.multi_valued => {
            // RFC 7644 §3.5.2.1/3: a complex attribute's given sub-attributes replace or add;
            // the others stay.
            let slot = object.entry(name.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(existing) = slot {
                for (k, v) in sub_values {
                    existing.insert(k, v);
                }
            }
        }
        (_, new) => {
            object.insert(name.to_owned(), new);
        }
    }
    Ok(())
}

fn sub_attribute(
    object: &mut Map<String, Value>,
    op: Op,
    def: &Attribute,
    sub: &Attribute,
    value: Option<&Value>,
    notes: &mut Notes,
) -> Result<(), ScimError> {
    let new = match op {
        Op::Remove => Value::Null,
        _ => coerce::single(sub, value.unwrap_or(&Value::Null), notes)?,
    };
    let slot = object.entry(def.name.clone()).or_insert(Value::Null);
    match slot {
        Value::Array(items) => {
            if items.is_empty() && !new.is_null() {
                items.push(Value::Object(Map::new()));
            }
            for item in items.iter_mut() {
                set_sub(item, sub, &new);
            }
            items.retain(|i| i.as_object().is_none_or(|o| !o.is_empty()));
        }
        _ if new.is_null() => {
            set_sub(slot, sub, &new);
        }
        _ => {
            if def.multi_valued {
                *slot = Value::Array(vec![Value::Object(Map::new())]);
                if let Value::Array(items) = slot {
                    items.iter_mut().for_each(|i| set_sub(i, sub, &new));
                }
            } else {
                set_sub(slot, sub, &new);
            }
        }
    }
    if slot.as_object().is_some_and(Map::is_empty) {
        *slot = Value::Null;
    }
    Ok(())
}

/// Sets (or with `Null`, removes) `sub` inside one complex value.
fn set_sub(item: &mut Value, sub: &Attribute, new: &Value) {
    if !item.is_object() {
        if new.is_null() {
            return;
        }
        *item = Value::Object(Map::new());
    }
    if let Value::Object(o) = item {
        o.retain(|k, _| !k.eq_ignore_ascii_case(&sub.name));
        if !new.is_null() {
            o.insert(sub.name.clone(), new.clone());
        }
    }
}

fn filtered(
    object: &mut Map<String, Value>,
    op: Op,
    def: &'static Attribute,
    expr: &Expr,
    sub: Option<&'static Attribute>,
    value: Option<&Value>,
    notes: &mut Notes,
) -> Result<(), ScimError> {
    let slot = object.entry(def.name.clone()).or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    let Value::Array(items) = slot else { return Ok(()) };
    let hit: Vec<bool> = items.iter().map(|i| filter::matches_element(expr, def, i)).collect();
    let any = hit.contains(&true);
    if op == Op::Remove {
        if !any {
            notes.add(format!("remove: no element of \"{}\" matched; nothing to do", def.name));
        }
        let mut flags = hit.iter();
        match sub {
            None => items.retain(|_| !flags.next().copied().unwrap_or(false)),
            Some(sub) => {
                for (item, h) in items.iter_mut().zip(&hit) {
                    if *h {
                        set_sub(item, sub, &Value::Null);
                    }
                }
            }
        }
        return Ok(());
    }
    let new = match sub {
        Some(sub) => coerce::single(sub, value.unwrap_or(&Value::Null), notes)?,
        None => coerce::single(def, value.unwrap_or(&Value::Null), notes)?,
    };
    if !any {
        // Rule 5: `emails[type eq "work"].value` with no work email yet: append one.
        let (Some(sub), Some(mut element)) = (sub, element_from(expr, def, notes)?) else {
            return Err(error(ScimType::NoTarget, format!("no element of \"{}\" matches the filter", def.name)));
        };
        notes.add(format!("no element of \"{}\" matched: one was added from the filter", def.name));
        set_sub(&mut element, sub, &new);
        items.push(element);
        return Ok(());
    }
    for (item, h) in items.iter_mut().zip(&hit) {
        if !*h {
            continue;
        }
        match (sub, op, &new) {
            (Some(sub), _, _) => set_sub(item, sub, &new),
            (None, Op::Add, Value::Object(add)) => {
                if let Value::Object(o) = item {
                    o.extend(add.clone());
                }
            }
            (None, _, _) => *item = new.clone(),
        }
    }
    Ok(())
}

/// The element a filter of `eq` terms joined by `and` describes (`type eq "work"` →
/// `{"type": "work"}`); `None` for any other filter.
fn element_from(expr: &Expr, def: &Attribute, notes: &mut Notes) -> Result<Option<Value>, ScimError> {
    let mut terms = Vec::new();
    if !eq_terms(expr, &mut terms) {
        return Ok(None);
    }
    let mut o = Map::new();
    for (name, v) in terms {
        let Some(sub) = def.sub(name) else { return Ok(None) };
        o.insert(sub.name.clone(), coerce::single(sub, v, notes)?);
    }
    Ok(Some(Value::Object(o)))
}

fn eq_terms<'e>(expr: &'e Expr, out: &mut Vec<(&'e str, &'e Value)>) -> bool {
    match expr {
        Expr::And(a, b) => eq_terms(a, out) && eq_terms(b, out),
        Expr::Compare(p, CompareOp::Eq, v) if p.urn.is_none() && p.filter.is_none() && p.sub.is_none() => {
            out.push((p.name.as_str(), v));
            true
        }
        _ => false,
    }
}
