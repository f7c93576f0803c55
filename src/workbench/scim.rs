//! SCIM requests against a connection's directory: one request is one write transaction
//! holding the resource, the account and its identity, the audit row (with the field diff and
//! the redacted request) and the request-log row. Authentication is the server's job
//! (`server::scim_auth`, with [`Workbench::scim_gate`] and [`Workbench::scim_token_digest`]):
//! a request reaching [`Workbench::scim_request`] is authorised.
//!
//! Routes below `/v2`: `ServiceProviderConfig`, `ResourceTypes[/id]`, `Schemas[/id]` (GET
//! only, else 405), `Users` and `Groups` (GET list, POST create, `/.search`), `Users/{id}` and
//! `Groups/{id}` (GET, PUT, PATCH, DELETE), `/.search` at the root (both types), `Bulk` and
//! `Me` (501); anything else 404. A read writes only its request-log row; a failed write only
//! its request-log row (everything else it wrote is rolled back); a write that succeeds also
//! its audit row (kind `scim`, actor `scim`).

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::Workbench;
use super::scim_redact as redact;
use crate::connection::Connection;
use crate::directory::{AuditEntry, AuditKind, FieldChange, ScimAction};
use crate::error::{Error, ErrorCode, Result};
use crate::provision::MappingDocument;
use crate::scim::list::{self, ListQuery};
use crate::scim::resource::{self, Meta};
use crate::scim::{self, LIST_URN, Method, ResourceKind, ScimError, ScimRequest, ScimResponse, ScimType, discovery};
use crate::secrets;
use crate::store::{self, WriteTx};

/// What the bearer check needs for a connection whose SCIM endpoint is on; read per request,
/// so that a rotate or disable takes effect at once (the server caches digests per generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScimGate {
    pub connection_id: i64,
    pub generation: u32,
    /// When the connection's SCIM settings last changed (every enable and rotate): with the
    /// id and generation it names one token, also after SQLite reuses a removed connection's id.
    pub changed_at: DateTime<Utc>,
}

/// One request in progress: the connection, its mapping (lifecycle), the request, the instant.
pub(super) struct Ctx<'a, 'c> {
    pub tx: &'a WriteTx<'c>,
    pub connection: &'a Connection,
    pub mapping: &'a MappingDocument,
    pub request: &'a ScimRequest,
    pub now: DateTime<Utc>,
}

/// What a handled request did, for the response, the log and the audit row.
#[derive(Default)]
pub(super) struct Done {
    pub response: Option<ScimResponse>,
    pub resource_type: Option<ResourceKind>,
    pub resource_id: Option<String>,
    pub user_id: Option<i64>,
    pub change: Vec<String>,
    pub diff: Vec<FieldChange>,
    pub notes: Vec<String>,
    /// For a write: its audit row's action, subject and message.
    pub audit: Option<(ScimAction, Option<String>, String)>,
}

/// A handler's answer: done, or a SCIM error (everything it wrote is rolled back).
pub(super) type Handled = std::result::Result<Done, ScimError>;

impl Workbench {
    /// Answers one authorised SCIM request (any SCIM-level failure is a `ScimResponse` with a
    /// SCIM error body, logged; `Err` only when the store fails).
    pub fn scim_request(&self, connection: &str, request: ScimRequest, now: DateTime<Utc>) -> Result<ScimResponse> {
        let started = Instant::now();
        let c = self.store().get_connection(connection)?;
        let mapping = store::mappings::get_mapping(self.store(), c.id)?.unwrap_or_default();
        let tx = self.store().write()?;
        let mut refused = None;
        let attempt = tx.attempt(|tx| {
            let ctx = Ctx { tx, connection: &c, mapping: &mapping, request: &request, now };
            match route(&ctx)? {
                Ok(done) => Ok(done),
                Err(e) => {
                    refused = Some(e);
                    Err(Error::new(ErrorCode::Internal, "refused by the SCIM rules"))
                }
            }
        });
        let (done, failure) = match attempt {
            Ok(done) => (done, None),
            Err(_) if refused.is_some() => (Done::default(), refused),
            // A write the catalog refused (a unique key): undone, answered as SCIM's 409.
            Err(e) if e.code == ErrorCode::Conflict => {
                (Done::default(), Some(ScimError::new(409, Some(ScimType::Uniqueness), e.message)))
            }
            Err(e) => return Err(e),
        };
        let response = match &failure {
            Some(e) => e.clone().into_response(),
            None => {
                done.response.clone().unwrap_or(ScimResponse { status: 204, body: None, location: None, etag: None })
            }
        };
        if let (Some((action, subject, message)), None) = (&done.audit, &failure) {
            let entry = AuditEntry {
                at: now,
                connection: c.name.clone(),
                subject: subject.clone(),
                message: Some(message.clone()),
                user_id: done.user_id,
                diff: done.diff.clone(),
                kind: AuditKind::Scim,
                actor: Some("scim".into()),
                scim_action: Some(*action),
                request: Some(redact::audit_request(&request)),
                ..AuditEntry::login()
            };
            store::audit::insert_audit(&tx, &entry, Some(c.id))?;
            crate::fault::point("scim_after_audit_row");
        }
        let path = redact::logged_path(&request);
        let request_body = redact::body_text(&request.body);
        let response_body = redact::response_text(response.body.as_ref());
        let client = redact::client(&request);
        store::scim::insert_request(
            &tx,
            &store::scim::NewRequest {
                connection_id: c.id,
                at: now,
                method: request.method,
                path: &path,
                status: response.status,
                scim_type: failure.as_ref().and_then(|e| e.scim_type),
                resource_type: done.resource_type,
                resource_id: done.resource_id.as_deref(),
                user_id: done.user_id,
                change: &done.change,
                diff: &done.diff,
                notes: &done.notes,
                request_body: request_body.as_deref(),
                response_body: response_body.as_deref(),
                client: client.as_deref(),
                duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            },
        )?;
        if done.audit.is_some() && failure.is_none() {
            crate::fault::point("scim_after_request_log");
        }
        tx.commit()?;
        Ok(response)
    }

    /// `None` when the connection does not exist or its SCIM endpoint is off.
    pub fn scim_gate(&self, connection: &str) -> Result<Option<ScimGate>> {
        Ok(store::scim::gate(self.store(), connection)?.map(|(connection_id, generation, changed_at)| ScimGate {
            connection_id,
            generation,
            changed_at,
        }))
    }

    /// SHA-256 of the connection's current token (from the secret store), for a constant-time
    /// comparison; the token itself never leaves the workbench.
    pub fn scim_token_digest(&self, connection: &str) -> Result<[u8; 32]> {
        let token = secrets::require(self.secrets().as_ref(), &secrets::scim_token(connection), "SCIM token")?;
        Ok(secrets::scim_token_digest(token.expose()))
    }
}

fn not_allowed(method: Method, path: &str) -> ScimError {
    ScimError::new(405, None, format!("{} is not allowed on {path}", redact::method_name(method)))
}

fn not_found(path: &str) -> ScimError {
    ScimError::not_found(format!("no SCIM resource or endpoint at {path}"))
}

/// Dispatches on the path below `/v2`.
fn route(ctx: &Ctx<'_, '_>) -> Result<Handled> {
    let request = ctx.request;
    let base = request.base_url.trim_end_matches('/');
    let segments: Vec<&str> = request.path.split('/').filter(|s| !s.is_empty()).collect();
    let method = request.method;
    let get_only = |doc: Option<Value>| -> Handled {
        if method != Method::Get {
            return Err(not_allowed(method, &request.path));
        }
        let body = doc.ok_or_else(|| not_found(&request.path))?;
        Ok(Done { response: Some(ok(200, body, None, None)), ..Done::default() })
    };
    Ok(match segments.as_slice() {
        ["ServiceProviderConfig"] => get_only(Some(discovery::service_provider_config(base))),
        ["ResourceTypes"] => get_only(discovery::resource_types(base, None)),
        ["ResourceTypes", id] => get_only(discovery::resource_types(base, Some(id))),
        ["Schemas"] => get_only(discovery::schemas(base, None)),
        ["Schemas", id] => get_only(discovery::schemas(base, Some(id))),
        ["Bulk", ..] | ["Me", ..] => {
            Err(ScimError::new(501, None, format!("{} is not implemented by this service provider", request.path)))
        }
        [".search"] if method == Method::Post => search_all(ctx)?,
        [".search"] => Err(not_allowed(method, &request.path)),
        [collection, rest @ ..] => match (kind_of(collection), rest) {
            (None, _) => Err(not_found(&request.path)),
            (Some(kind), []) => match method {
                Method::Get => list_of(ctx, kind, ListQuery::from_query(&request.query))?,
                Method::Post => create(ctx, kind)?,
                _ => Err(not_allowed(method, &request.path)),
            },
            (Some(kind), [".search"]) => match method {
                Method::Post => match json_body(request) {
                    Ok(body) => list_of(ctx, kind, ListQuery::from_search(&body))?,
                    Err(e) => Err(e),
                },
                _ => Err(not_allowed(method, &request.path)),
            },
            (Some(kind), [id]) => match method {
                Method::Get => read(ctx, kind, id)?,
                Method::Put | Method::Patch => write(ctx, kind, id)?,
                Method::Delete => delete(ctx, kind, id)?,
                Method::Post => Err(not_allowed(method, &request.path)),
            },
            (Some(_), _) => Err(not_found(&request.path)),
        },
        [] => Err(not_found(&request.path)),
    })
}

fn kind_of(segment: &str) -> Option<ResourceKind> {
    match segment {
        "Users" => Some(ResourceKind::User),
        "Groups" => Some(ResourceKind::Group),
        _ => None,
    }
}

/// A 2xx answer with a body.
pub(super) fn ok(status: u16, body: Value, location: Option<String>, etag: Option<String>) -> ScimResponse {
    ScimResponse { status, body: Some(body), location, etag }
}

/// The request body as JSON (`invalidSyntax` when it is not).
pub(super) fn json_body(request: &ScimRequest) -> std::result::Result<Value, ScimError> {
    serde_json::from_slice(&request.body)
        .map_err(|e| ScimError::bad_request(ScimType::InvalidSyntax, format!("the request body is not JSON: {e}")))
}

/// `W/"n"`.
pub(super) fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// `If-Match`: `*` or a list of entity tags, compared weakly (`W/"3"` matches `"3"`).
pub(super) fn check_if_match(request: &ScimRequest, version: i64) -> std::result::Result<(), ScimError> {
    let Some(header) = request.if_match.as_deref() else { return Ok(()) };
    let wanted = version.to_string();
    let matches = header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == wanted);
    if matches {
        Ok(())
    } else {
        Err(ScimError::new(
            412,
            None,
            format!("If-Match {header} does not match the resource's version {}", etag(version)),
        ))
    }
}

/// `attributes` / `excludedAttributes` of a query, comma separated.
pub(super) fn attribute_lists(query: &[(String, String)]) -> (Vec<String>, Vec<String>) {
    let list = |name: &str| -> Vec<String> {
        query
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect()
    };
    (list("attributes"), list("excludedAttributes"))
}

/// The stored resource as a client sees it: `id`, `schemas`, `meta` and, for a User, the
/// groups it belongs to (read-only, computed from the memberships).
pub(super) fn full_document(ctx: &Ctx<'_, '_>, r: &store::scim::Resource) -> Result<Value> {
    let base = ctx.request.base_url.trim_end_matches('/');
    let meta =
        Meta { base_url: base, id: &r.id, created: r.created_at, last_modified: r.last_modified, version: r.version };
    let mut doc = resource::full(r.kind, &r.document, &meta);
    if r.kind == ResourceKind::User {
        let groups = store::scim::groups_of_member(ctx.tx, ctx.connection.id, &r.id)?;
        if let (false, Some(obj)) = (groups.is_empty(), doc.as_object_mut()) {
            let list: Vec<Value> = groups
                .into_iter()
                .map(|(id, name)| {
                    serde_json::json!({"value": id, "display": name, "$ref": format!("{base}/Groups/{id}"), "type": "direct"})
                })
                .collect();
            obj.insert("groups".into(), Value::Array(list));
        }
    }
    Ok(doc)
}

/// The response of one resource: projected by the query's attribute lists, with its ETag.
pub(super) fn resource_response(ctx: &Ctx<'_, '_>, r: &store::scim::Resource, status: u16) -> Result<ScimResponse> {
    let doc = full_document(ctx, r)?;
    let (attributes, excluded) = attribute_lists(&ctx.request.query);
    let body = scim::project::project(r.kind, &doc, &attributes, &excluded);
    let location = (status == 201)
        .then(|| format!("{}/{}/{}", ctx.request.base_url.trim_end_matches('/'), r.kind.endpoint(), r.id));
    Ok(ok(status, body, location, Some(etag(r.version))))
}

/// A live resource, or 404.
pub(super) fn live(
    ctx: &Ctx<'_, '_>,
    kind: ResourceKind,
    id: &str,
) -> Result<std::result::Result<store::scim::Resource, ScimError>> {
    Ok(store::scim::resource(ctx.tx, ctx.connection.id, kind, id)?
        .filter(|r| r.deleted_at.is_none())
        .ok_or_else(|| ScimError::not_found(format!("{} {id} not found", kind.as_str()))))
}

fn read(ctx: &Ctx<'_, '_>, kind: ResourceKind, id: &str) -> Result<Handled> {
    let r = match live(ctx, kind, id)? {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(Done {
        response: Some(resource_response(ctx, &r, 200)?),
        resource_type: Some(kind),
        resource_id: Some(r.id.clone()),
        user_id: r.user_id,
        ..Done::default()
    }))
}

fn list_of(ctx: &Ctx<'_, '_>, kind: ResourceKind, query: std::result::Result<ListQuery, ScimError>) -> Result<Handled> {
    let query = match query {
        Ok(q) => q,
        Err(e) => return Ok(Err(e)),
    };
    let docs = all_documents(ctx, kind)?;
    Ok(Ok(Done {
        response: Some(ok(200, list::respond(kind, &docs, &query), None, None)),
        resource_type: Some(kind),
        change: vec![format!("list {}", kind.endpoint())],
        ..Done::default()
    }))
}

fn all_documents(ctx: &Ctx<'_, '_>, kind: ResourceKind) -> Result<Vec<Value>> {
    store::scim::live_resources(ctx.tx, ctx.connection.id, kind)?.iter().map(|r| full_document(ctx, r)).collect()
}

/// `POST /.search`: Users then Groups, filtered and projected each by its own schema, paged
/// together.
fn search_all(ctx: &Ctx<'_, '_>) -> Result<Handled> {
    let query = match json_body(ctx.request).and_then(|b| ListQuery::from_search(&b)) {
        Ok(q) => q,
        Err(e) => return Ok(Err(e)),
    };
    let every = ListQuery { start_index: 1, count: usize::MAX, ..query.clone() };
    let mut resources = Vec::new();
    for kind in [ResourceKind::User, ResourceKind::Group] {
        let answer = list::respond(kind, &all_documents(ctx, kind)?, &every);
        if let Some(Value::Array(found)) = answer.get("Resources") {
            resources.extend(found.iter().cloned());
        }
    }
    let total = resources.len();
    let start = query.start_index.max(1);
    let page: Vec<Value> = resources.into_iter().skip(start - 1).take(query.count).collect();
    let body = serde_json::json!({
        "schemas": [LIST_URN],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": page.len(),
        "Resources": page,
    });
    Ok(Ok(Done { response: Some(ok(200, body, None, None)), change: vec!["search".into()], ..Done::default() }))
}

fn create(ctx: &Ctx<'_, '_>, kind: ResourceKind) -> Result<Handled> {
    let body = match json_body(ctx.request) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    match kind {
        ResourceKind::User => super::scim_users::create(ctx, &body),
        ResourceKind::Group => super::scim_groups::create(ctx, &body),
    }
}

fn write(ctx: &Ctx<'_, '_>, kind: ResourceKind, id: &str) -> Result<Handled> {
    let current = match live(ctx, kind, id)? {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    if let Err(e) = check_if_match(ctx.request, current.version) {
        return Ok(Err(e));
    }
    let body = match json_body(ctx.request) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    let patch = ctx.request.method == Method::Patch;
    let changed = if patch {
        // With its `id`, so that an `id` inside a path-less value (Okta's group rename) is
        // checked: the same is ignored, another is refused.
        let mut full = current.document.clone();
        if let Some(doc) = full.as_object_mut() {
            doc.insert("id".into(), Value::String(current.id.clone()));
        }
        scim::patch::apply(kind, &full, &body).map(|p| (p.document, p.change, p.notes))
    } else {
        resource::replace(kind, id, &current.document, &body)
            .map(|p| (p.document, vec![format!("replace {} {}", kind.as_str(), current.name)], p.notes))
    };
    let (document, change, notes) = match changed {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    match kind {
        ResourceKind::User => super::scim_users::update(ctx, current, document, change, notes),
        ResourceKind::Group => super::scim_groups::update(ctx, current, document, change, notes),
    }
}

fn delete(ctx: &Ctx<'_, '_>, kind: ResourceKind, id: &str) -> Result<Handled> {
    let current = match live(ctx, kind, id)? {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    if let Err(e) = check_if_match(ctx.request, current.version) {
        return Ok(Err(e));
    }
    match kind {
        ResourceKind::User => super::scim_users::delete(ctx, current),
        ResourceKind::Group => super::scim_groups::delete(ctx, current),
    }
}

/// A new resource id: 16 random bytes as a version-4 UUID.
pub(super) fn new_id() -> Result<String> {
    let mut b = [0_u8; 16];
    openssl::rand::rand_bytes(&mut b)
        .map_err(|e| Error::new(ErrorCode::Internal, format!("no randomness for a SCIM id: {e}")))?;
    if let Some(x) = b.get_mut(6) {
        *x = (*x & 0x0f) | 0x40;
    }
    if let Some(x) = b.get_mut(8) {
        *x = (*x & 0x3f) | 0x80;
    }
    let hex = |range: std::ops::Range<usize>| -> String {
        b.get(range).unwrap_or_default().iter().map(|x| format!("{x:02x}")).collect()
    };
    Ok([hex(0..4), hex(4..6), hex(6..8), hex(8..10), hex(10..16)].join("-"))
}
