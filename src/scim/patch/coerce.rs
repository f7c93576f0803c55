//! Values checked and normalised against an attribute's definition, for PATCH, POST and PUT
//! alike. Tolerated, each with a note for the request log: booleans spelled as strings in any
//! case (Entra's `"False"`), a bare string for a complex attribute that has a `value`
//! (Entra's legacy `manager: "boss2"`), a single value for a multi-valued attribute, numbers
//! for strings, unknown or read-only sub-attributes (dropped). Anything else is `invalidValue`.

use serde_json::{Map, Value};

use crate::scim::schema::{AttrType, Attribute, Mutability};
use crate::scim::{ScimError, ScimType};

/// Notes for the log, bounded so a hostile request cannot grow them without end.
#[derive(Debug, Default)]
pub(crate) struct Notes(pub Vec<String>);

const MAX_NOTES: usize = 50;

impl Notes {
    pub fn add(&mut self, note: String) {
        if self.0.len() < MAX_NOTES && !self.0.contains(&note) {
            self.0.push(note);
        } else if self.0.len() == MAX_NOTES {
            self.0.push("(more notes left out)".to_owned());
        }
    }
}

fn invalid(def: &Attribute, what: &str) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, format!("\"{}\": {what}", def.name))
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s }
}

/// The whole value of `def` (an array for a multi-valued attribute).
pub(crate) fn value(def: &Attribute, v: &Value, notes: &mut Notes) -> Result<Value, ScimError> {
    if def.multi_valued {
        match v {
            Value::Array(items) => {
                items.iter().map(|i| single(def, i, notes)).collect::<Result<Vec<_>, _>>().map(Value::Array)
            }
            Value::Null => Ok(Value::Null),
            other => {
                notes.add(format!("single value for multi-valued \"{}\" read as a list of one", def.name));
                Ok(Value::Array(vec![single(def, other, notes)?]))
            }
        }
    } else {
        single(def, v, notes)
    }
}

/// One value of `def` (one element of a multi-valued attribute).
pub(crate) fn single(def: &Attribute, v: &Value, notes: &mut Notes) -> Result<Value, ScimError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    match def.kind {
        AttrType::Boolean => boolean(def, v, notes),
        AttrType::String | AttrType::Reference | AttrType::Binary | AttrType::DateTime => match v {
            Value::String(_) => Ok(v.clone()),
            Value::Number(n) => {
                notes.add(format!("number {n} for string \"{}\" read as a string", def.name));
                Ok(Value::String(n.to_string()))
            }
            other => Err(invalid(def, &format!("expected a string, found {}", short(other)))),
        },
        AttrType::Integer => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v.clone()),
            Value::String(s) if s.trim().parse::<i64>().is_ok() => {
                notes.add(format!("string {s:?} for integer \"{}\" read as a number", def.name));
                Ok(Value::from(s.trim().parse::<i64>().unwrap_or_default()))
            }
            other => Err(invalid(def, &format!("expected an integer, found {}", short(other)))),
        },
        AttrType::Decimal => match v {
            Value::Number(_) => Ok(v.clone()),
            other => Err(invalid(def, &format!("expected a number, found {}", short(other)))),
        },
        AttrType::Complex => complex(def, v, notes),
    }
}

fn boolean(def: &Attribute, v: &Value, notes: &mut Notes) -> Result<Value, ScimError> {
    match v {
        Value::Bool(_) => Ok(v.clone()),
        Value::String(s) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
            let b = s.eq_ignore_ascii_case("true");
            notes.add(format!("boolean string {s:?} read as {b} for \"{}\"", def.name));
            Ok(Value::Bool(b))
        }
        other => Err(invalid(def, &format!("expected true or false, found {}", short(other)))),
    }
}

fn complex(def: &Attribute, v: &Value, notes: &mut Notes) -> Result<Value, ScimError> {
    let object = match v {
        Value::Object(o) => o,
        Value::String(_) | Value::Number(_) | Value::Bool(_) if def.sub("value").is_some() => {
            notes.add(format!("bare value for complex \"{}\" read as {{\"value\": …}}", def.name));
            let mut o = Map::new();
            o.insert("value".to_owned(), v.clone());
            return complex(def, &Value::Object(o), notes);
        }
        other => return Err(invalid(def, &format!("expected an object, found {}", short(other)))),
    };
    let mut out = Map::new();
    for (key, value) in object {
        let Some(sub) = def.sub(key) else {
            notes.add(format!("unknown sub-attribute \"{}.{key}\" dropped", def.name));
            continue;
        };
        if sub.mutability == Mutability::ReadOnly {
            notes.add(format!("read-only \"{}.{}\" ignored", def.name, sub.name));
            continue;
        }
        let checked = single(sub, value, notes)?;
        if !checked.is_null() {
            out.insert(sub.name.clone(), checked);
        }
    }
    Ok(Value::Object(out))
}
