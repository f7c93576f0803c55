//! JSON output: pretty-printed core types, and the `verify --json` contract.

use handshake::validate::Report;
use handshake::{Error, ErrorCode};
use serde::Serialize;

pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string_pretty(value).map_err(|e| Error::new(ErrorCode::Internal, format!("JSON output failed: {e}")))
}

/// The `verify --json` contract.
pub fn verify_json(r: &Report) -> serde_json::Value {
    let mut attributes = serde_json::Map::new();
    for a in &r.attributes {
        let entry = attributes.entry(a.name.clone()).or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let serde_json::Value::Array(values) = entry {
            values.extend(a.values.iter().cloned().map(serde_json::Value::String));
        }
    }
    serde_json::json!({
        "verdict": r.verdict,
        "checks": r.checks,
        "name_id": r.name_id.as_ref().map(|n| n.value.clone()),
        "name_id_format": r.name_id.as_ref().and_then(|n| n.format.clone()),
        "attributes": attributes,
        "encrypted": r.encrypted,
        "response_signed": r.response_signed,
        "assertion_signed": r.assertion_signed,
        "error": r.error,
    })
}

/// Prints `value` as JSON with `--json`, else as `human` shows it.
pub fn emit<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T)) -> Result<(), Error> {
    if json {
        println!("{}", to_json(value)?);
    } else {
        human(value);
    }
    Ok(())
}
