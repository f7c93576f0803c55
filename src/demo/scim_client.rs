//! The demo IdP as a SCIM client: real HTTP on loopback to a connection's
//! `/scim/{name}/v2` endpoint, with the connection's bearer token (read from the secret store
//! by the workbench, handed here as `Sensitive`). A [`Dialect`] chooses the payload shapes
//! real IdPs send (plan §3): RFC 7644 as written, Entra ID's legacy shapes (`"Replace"`,
//! `"False"`, member removal by a value list), Entra with `aadOptscim062020` (path-less PATCH
//! whose value keys are paths, the flag as a query parameter on every request), and Okta
//! (path-less `{"active": false}`, a charset on the content type).
//!
//! The payload builders are plain functions (tested without a server); [`ScimClient`] sends
//! them and keeps each exchange for the scenario's result.

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Persona;
use crate::error::{Error, ErrorCode, Result};
use crate::scim::{ENTERPRISE_USER_URN, GROUP_URN, Method, PATCH_URN, USER_URN};
use crate::sensitive::Sensitive;

/// Whose payload shapes the demo client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Dialect {
    /// RFC 7644 as written.
    Rfc,
    /// Microsoft Entra ID without the `aadOptscim062020` flag.
    EntraLegacy,
    /// Microsoft Entra ID with `?aadOptscim062020` (the flag on every request).
    EntraCompliant,
    /// Okta (OIN-template integrations: PATCH; path-less deactivation).
    Okta,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Rfc => "rfc",
            Dialect::EntraLegacy => "entra_legacy",
            Dialect::EntraCompliant => "entra_compliant",
            Dialect::Okta => "okta",
        }
    }

    /// The query every request carries (Entra's feature flag), if any.
    fn flag(self) -> Option<(&'static str, &'static str)> {
        (self == Dialect::EntraCompliant).then_some(("aadOptscim062020", ""))
    }

    /// The operation name as this client spells it (Entra legacy capitalises).
    fn op(self, op: &str) -> String {
        if self == Dialect::EntraLegacy {
            let mut chars = op.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        } else {
            op.to_owned()
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Dialect::Okta => "application/scim+json; charset=utf-8",
            _ => "application/scim+json",
        }
    }
}

/// The enterprise extension's attribute path `urn:…:User:{name}`.
pub fn enterprise(name: &str) -> String {
    format!("{ENTERPRISE_USER_URN}:{name}")
}

/// A PatchOp body.
pub fn patch_body(ops: Vec<Value>) -> Value {
    json!({ "schemas": [PATCH_URN], "Operations": ops })
}

/// The person as a new SCIM User: `userName` = email (the SAML NameID), `externalId` = the
/// persona's immutable id (Entra's objectId), name, title, work email, the enterprise
/// department and cost centre; Okta adds the empty read-only `groups` it sends.
pub fn user_document(p: &Persona, dialect: Dialect) -> Value {
    let mut doc = json!({
        "schemas": [USER_URN, ENTERPRISE_USER_URN],
        "userName": p.email,
        "externalId": p.id,
        "active": true,
        "displayName": p.display_name,
        "title": p.title,
        "name": {
            "givenName": p.given_name,
            "familyName": p.family_name,
            "formatted": format!("{} {}", p.given_name, p.family_name),
        },
        "emails": [{ "value": p.email, "type": "work", "primary": true }],
        ENTERPRISE_USER_URN: { "department": p.department },
    });
    if let Some(obj) = doc.as_object_mut() {
        let cost_center = p.extra.iter().find(|a| a.name == "costCenter").and_then(|a| a.values.first());
        if let (Some(cc), Some(ext)) = (cost_center, obj.get_mut(ENTERPRISE_USER_URN).and_then(Value::as_object_mut)) {
            ext.insert("costCenter".into(), cc.clone().into());
        }
        if dialect == Dialect::Okta {
            obj.insert("groups".into(), json!([]));
        }
    }
    doc
}

/// A new SCIM Group with its first members (`(id, display)`).
pub fn group_document(name: &str, members: &[(&str, &str)]) -> Value {
    let members: Vec<Value> = members.iter().map(|(id, display)| json!({"value": id, "display": display})).collect();
    json!({ "schemas": [GROUP_URN], "displayName": name, "members": members })
}

/// Deactivation, as each IdP sends it.
pub fn deactivate_ops(dialect: Dialect) -> Vec<Value> {
    match dialect {
        Dialect::Rfc | Dialect::EntraCompliant => vec![json!({"op": "replace", "path": "active", "value": false})],
        Dialect::EntraLegacy => vec![json!({"op": "Replace", "path": "active", "value": "False"})],
        Dialect::Okta => vec![json!({"op": "replace", "value": {"active": false}})],
    }
}

/// The mover's profile push: title and department (and the display name), in the dialect's shape.
pub fn profile_ops(p: &Persona, dialect: Dialect) -> Vec<Value> {
    let department = enterprise("department");
    match dialect {
        Dialect::Rfc | Dialect::EntraLegacy => vec![
            json!({"op": dialect.op("replace"), "path": "title", "value": p.title}),
            json!({"op": dialect.op("replace"), "path": department, "value": p.department}),
            json!({"op": dialect.op("replace"), "path": "displayName", "value": p.display_name}),
        ],
        // Path-less, the value's keys are paths (a URN-prefixed one among them).
        Dialect::EntraCompliant => vec![json!({"op": "replace", "value": {
            "title": p.title,
            department: p.department,
            "displayName": p.display_name,
        }})],
        // Path-less with the extension as an object.
        Dialect::Okta => vec![json!({"op": "replace", "value": {
            "title": p.title,
            "displayName": p.display_name,
            ENTERPRISE_USER_URN: {"department": p.department},
        }})],
    }
}

/// Adds a member to a group.
pub fn member_add_ops(dialect: Dialect, user_id: &str, display: &str) -> Vec<Value> {
    vec![json!({"op": dialect.op("add"), "path": "members", "value": [{"value": user_id, "display": display}]})]
}

/// Removes a member from a group: Entra legacy (and JumpCloud) list the values to remove;
/// the others filter the path (RFC 7644 §3.5.2.2).
pub fn member_remove_ops(dialect: Dialect, user_id: &str) -> Vec<Value> {
    match dialect {
        Dialect::EntraLegacy => vec![json!({"op": "Remove", "path": "members", "value": [{"value": user_id}]})],
        _ => vec![json!({"op": "remove", "path": format!("members[value eq \"{user_id}\"]")})],
    }
}

/// Entra ID's legacy PATCH payloads for one user, verbatim in shape from the compatibility
/// article (plan §3.1): a capitalised `Add`, one `Replace` per attribute with a filtered path
/// and an enterprise URN path, and the string boolean `"False"` last. Each is `(what, ops)`.
pub fn entra_legacy_replays(p: &Persona) -> Vec<(&'static str, Vec<Value>)> {
    vec![
        ("add nickName (capitalised op)", vec![json!({"op": "Add", "path": "nickName", "value": p.given_name})]),
        (
            "replace several attributes (capitalised ops, filtered path, enterprise URN)",
            vec![
                json!({"op": "Replace", "path": "displayName", "value": format!("{} {} (Sales)", p.given_name, p.family_name)}),
                json!({"op": "Replace", "path": "emails[type eq \"work\"].value", "value": p.email}),
                json!({"op": "Replace", "path": "name.familyName", "value": p.family_name}),
                json!({"op": "Replace", "path": enterprise("employeeNumber"), "value": "E-1001"}),
            ],
        ),
    ]
}

/// Entra ID with `aadOptscim062020`: a path-less replace whose value keys are paths.
pub fn entra_compliant_replay(p: &Persona) -> Vec<Value> {
    vec![json!({"op": "replace", "value": {
        "displayName": p.display_name,
        "name.givenName": p.given_name,
        enterprise("costCenter"): "CC-4200",
    }})]
}

/// What Entra's replays leave in the user's document (every key here must be there, equal).
pub fn entra_expected_document(p: &Persona) -> Value {
    json!({
        "userName": p.email,
        "externalId": p.id,
        "active": false,
        "nickName": p.given_name,
        "displayName": p.display_name,
        "name": {"givenName": p.given_name, "familyName": p.family_name},
        "emails": [{"value": p.email, "type": "work", "primary": true}],
        ENTERPRISE_USER_URN: {"department": p.department, "employeeNumber": "E-1001", "costCenter": "CC-4200"},
    })
}

/// Where `actual` differs from `expected`: every member of `expected` (objects recursively,
/// arrays element by element) must be in `actual` with the same value. Paths of the differences.
pub fn differences(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_into("", expected, actual, &mut out);
    out
}

fn diff_into(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let here = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match a.get(k) {
                    Some(got) => diff_into(&here, v, got, out),
                    None => out.push(format!("{here}: missing, expected {v}")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (v, got)) in e.iter().zip(a).enumerate() {
                diff_into(&format!("{path}[{i}]"), v, got, out);
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!("{path}: {actual}, expected {expected}")),
    }
}

/// One request the demo client sent and what came back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ScimExchange {
    /// What the IdP did ("create Priya Shah", "deactivate", "wrong token").
    pub what: String,
    pub method: Method,
    /// Below the endpoint, with the query (`/Users?filter=…`).
    pub path: String,
    pub status: u16,
    /// The status was the one intended (a 2xx, or the 401 of a bad token).
    pub ok: bool,
    /// The response body (SCIM resources and errors carry no secret).
    #[cfg_attr(feature = "typescript", ts(type = "unknown"))]
    pub body: Option<Value>,
}

/// How a request authenticates: with the connection's token, a wrong one, or none.
#[derive(Debug, Clone)]
pub enum Credential {
    Token(Sensitive<String>),
    Wrong,
    Missing,
}

/// The demo IdP's SCIM client for one endpoint.
pub struct ScimClient {
    http: reqwest::Client,
    endpoint: String,
    token: Sensitive<String>,
    pub dialect: Dialect,
}

fn failed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Io, format!("the demo SCIM client failed to {what}: {e}"))
}

impl ScimClient {
    /// `endpoint`: `http://127.0.0.1:{port}/scim/{name}/v2`.
    pub fn new(endpoint: &str, token: Sensitive<String>, dialect: Dialect) -> Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::new(ErrorCode::Internal, format!("HTTP client: {e}")))?;
        Ok(ScimClient { http, endpoint: endpoint.trim_end_matches('/').to_owned(), token, dialect })
    }

    /// Sends one request with the connection's token.
    pub async fn send(&self, what: &str, method: Method, path: &str, body: Option<&Value>) -> Result<ScimExchange> {
        self.send_as(what, method, path, body, &Credential::Token(self.token.clone()), &[]).await
    }

    /// Sends one request with `credential` and extra query pairs (the dialect's flag is added).
    pub async fn send_as(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
        credential: &Credential,
        query: &[(&str, &str)],
    ) -> Result<ScimExchange> {
        let mut pairs: Vec<(&str, &str)> = query.to_vec();
        pairs.extend(self.dialect.flag());
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.endpoint)).map_err(|e| failed(what, e))?;
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs.iter());
        }
        let shown = match url.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        };
        let verb = match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut request = self
            .http
            .request(verb, url)
            .header(ACCEPT, "application/scim+json")
            .header(USER_AGENT, format!("Handshake demo IdP SCIM client ({})", self.dialect.as_str()));
        request = match credential {
            Credential::Token(t) => request.header(AUTHORIZATION, format!("Bearer {}", t.expose())),
            Credential::Wrong => request.header(AUTHORIZATION, "Bearer hs_scim_not-the-token-of-this-connection"),
            Credential::Missing => request,
        };
        if let Some(b) = body {
            let bytes = serde_json::to_vec(b).map_err(|e| failed(what, e))?;
            request = request.header(CONTENT_TYPE, self.dialect.content_type()).body(bytes);
        }
        let response = request.send().await.map_err(|e| failed(what, e))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| failed(what, e))?;
        let body = serde_json::from_str(&text).ok();
        let ok = match credential {
            Credential::Token(_) => (200..300).contains(&status),
            Credential::Wrong | Credential::Missing => status == 401,
        };
        Ok(ScimExchange { what: what.to_owned(), method, path: shown, status, ok, body })
    }

    /// The id of the resource of `kind` whose `attribute` equals `value` (Entra's and Okta's
    /// exists-check before a create), with the exchange.
    pub async fn find(&self, endpoint: &str, attribute: &str, value: &str) -> Result<(ScimExchange, Option<String>)> {
        let filter = format!("{attribute} eq \"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
        let what = format!("look up {value}");
        let x = self
            .send_as(
                &what,
                Method::Get,
                &format!("/{endpoint}"),
                None,
                &Credential::Token(self.token.clone()),
                &[("filter", &filter)],
            )
            .await?;
        let id = x
            .body
            .as_ref()
            .and_then(|b| b.get("Resources"))
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok((x, id))
    }

    pub async fn patch(&self, what: &str, path: &str, ops: Vec<Value>) -> Result<ScimExchange> {
        self.send(what, Method::Patch, path, Some(&patch_body(ops))).await
    }
}

/// The `id` of a created resource.
pub fn created_id(x: &ScimExchange) -> Option<String> {
    x.body.as_ref().and_then(|b| b.get("id")).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::personas::defaults;

    #[test]
    fn each_dialect_deactivates_in_its_own_shape() {
        assert_eq!(deactivate_ops(Dialect::EntraLegacy)[0]["value"], "False");
        assert_eq!(deactivate_ops(Dialect::EntraLegacy)[0]["op"], "Replace");
        assert_eq!(deactivate_ops(Dialect::Okta)[0]["value"]["active"], false);
        assert!(deactivate_ops(Dialect::Okta)[0].get("path").is_none());
        assert_eq!(deactivate_ops(Dialect::Rfc)[0]["value"], false);
    }

    #[test]
    fn member_removal_is_a_value_list_for_entra_legacy_and_a_filter_otherwise() {
        let legacy = &member_remove_ops(Dialect::EntraLegacy, "u1")[0];
        assert_eq!((legacy["op"].as_str(), legacy["path"].as_str()), (Some("Remove"), Some("members")));
        assert_eq!(legacy["value"][0]["value"], "u1");
        assert_eq!(member_remove_ops(Dialect::Okta, "u1")[0]["path"], "members[value eq \"u1\"]");
    }

    #[test]
    fn the_user_document_carries_the_login_subject_both_ways() {
        let p = &defaults()[0];
        let doc = user_document(p, Dialect::Okta);
        assert_eq!(doc["userName"], p.email.as_str());
        assert_eq!(doc["externalId"], p.id.as_str());
        assert_eq!(doc[ENTERPRISE_USER_URN]["department"], "Sales");
        assert_eq!(doc["groups"], json!([]));
        assert!(user_document(p, Dialect::Rfc).get("groups").is_none());
    }

    #[test]
    fn entra_compliant_value_keys_are_paths() {
        let p = &defaults()[0];
        let ops = entra_compliant_replay(p);
        assert!(ops[0].get("path").is_none());
        assert_eq!(ops[0]["value"]["name.givenName"], "Priya");
        let ops = profile_ops(p, Dialect::EntraCompliant);
        assert_eq!(ops[0]["value"][enterprise("department")], "Sales");
    }

    #[test]
    fn differences_name_the_paths_that_differ() {
        let expected = json!({"a": 1, "b": {"c": [1, 2]}});
        assert!(differences(&expected, &json!({"a": 1, "b": {"c": [1, 2], "d": 0}, "e": 3})).is_empty());
        assert_eq!(
            differences(&expected, &json!({"b": {"c": [1, 3]}})),
            ["a: missing, expected 1", "b.c[1]: 3, expected 2"]
        );
    }
}
