//! What the SCIM request log and audit rows keep of a request: bodies with every value of a
//! key named like a secret (`password`, `secret`, `token`, any letter case) replaced, a PATCH
//! operation's `value` replaced when its `path` names one, and everything cut at 16 KiB. The
//! Authorization header never reaches the workbench at all.

use serde_json::{Map, Value};

use crate::scim::ScimRequest;
use crate::store::cut;

/// Longest body (request or response) the log keeps.
pub const MAX_LOGGED_BODY_BYTES: usize = 16 * 1024;
/// What a secret value becomes.
pub const REDACTED: &str = "[redacted]";
/// Longest `User-Agent` the log keeps.
const MAX_CLIENT_BYTES: usize = 200;

/// Whether a key or a PATCH path names a secret.
pub fn names_a_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secret", "token"].iter().any(|word| key.contains(word))
}

/// `value` with secrets replaced.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            // Keys in any letter case, as the PATCH reader takes them (RFC 7643 §2.1).
            let path_is_secret =
                map.iter().any(|(k, v)| k.eq_ignore_ascii_case("path") && v.as_str().is_some_and(names_a_secret));
            let out: Map<String, Value> = map
                .iter()
                .map(|(k, v)| {
                    let secret = names_a_secret(k) || (path_is_secret && k.eq_ignore_ascii_case("value"));
                    (k.clone(), if secret { Value::from(REDACTED) } else { redact(v) })
                })
                .collect();
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

/// Text cut at `max` bytes, saying how much was left out.
fn capped(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let kept = cut(&text, max);
    format!("{kept}… ({} more bytes not kept)", text.len() - kept.len())
}

/// A request body as the log keeps it: redacted JSON text, or a note for anything else (a body
/// that is not JSON is never kept: it could hold anything).
pub fn body_text(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    Some(match serde_json::from_slice::<Value>(body) {
        Ok(v) => capped(redact(&v).to_string(), MAX_LOGGED_BODY_BYTES),
        Err(_) => format!("[{} bytes, not JSON: not kept]", body.len()),
    })
}

/// A response body as the log keeps it.
pub fn response_text(body: Option<&Value>) -> Option<String> {
    body.map(|b| capped(redact(b).to_string(), MAX_LOGGED_BODY_BYTES))
}

/// The query string as the log shows it (`filter=userName eq "x"&count=2`), secrets replaced.
pub fn query_text(query: &[(String, String)]) -> String {
    query
        .iter()
        .map(|(k, v)| if names_a_secret(k) { format!("{k}={REDACTED}") } else { format!("{k}={v}") })
        .collect::<Vec<_>>()
        .join("&")
}

/// The path and query as logged.
pub fn logged_path(request: &ScimRequest) -> String {
    if request.query.is_empty() {
        request.path.clone()
    } else {
        format!("{}?{}", request.path, query_text(&request.query))
    }
}

/// The audit row's `request`: `{method, path, query, body}`, redacted; a body over 16 KiB is
/// kept as cut text.
pub fn audit_request(request: &ScimRequest) -> Value {
    let query: Map<String, Value> = request
        .query
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(if names_a_secret(k) { REDACTED } else { v.as_str() })))
        .collect();
    let body = match serde_json::from_slice::<Value>(&request.body) {
        _ if request.body.is_empty() => Value::Null,
        Ok(v) => {
            let redacted = redact(&v);
            let text = redacted.to_string();
            if text.len() <= MAX_LOGGED_BODY_BYTES {
                redacted
            } else {
                Value::from(capped(text, MAX_LOGGED_BODY_BYTES))
            }
        }
        Err(_) => Value::from(format!("[{} bytes, not JSON: not kept]", request.body.len())),
    };
    serde_json::json!({
        "method": method_name(request.method),
        "path": request.path,
        "query": query,
        "body": body,
    })
}

pub fn method_name(m: crate::scim::Method) -> &'static str {
    use crate::scim::Method;
    match m {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}

/// The `User-Agent`, cut.
pub fn client(request: &ScimRequest) -> Option<String> {
    request.client.as_deref().map(|c| cut(c, MAX_CLIENT_BYTES).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_replaced_wherever_they_are() {
        let body = json!({
            "userName": "bjensen",
            "password": "hunter2",
            "Operations": [
                {"op": "replace", "path": "password", "value": "t0p"},
                {"op": "replace", "value": {"PASSWORD": "x", "nickName": "Babs"}},
                {"op": "add", "path": "urn:x:apiToken", "value": "tok"},
            ],
            "x-secret-stuff": {"a": 1},
        });
        let text = redact(&body).to_string();
        for secret in ["hunter2", "t0p", "\"x\"", "tok\"", "\"a\""] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("Babs") && text.contains("bjensen"));
        assert_eq!(body_text(b"password=hunter2").unwrap(), "[16 bytes, not JSON: not kept]");
        assert_eq!(
            query_text(&[("filter".into(), "a".into()), ("access_token".into(), "z".into())]),
            "filter=a&access_token=[redacted]"
        );
    }

    #[test]
    fn long_bodies_are_cut() {
        let big = json!({"v": "x".repeat(40_000)});
        let text = body_text(big.to_string().as_bytes()).unwrap();
        assert!(text.len() < MAX_LOGGED_BODY_BYTES + 100 && text.ends_with("bytes not kept)"));
    }
}
