//! A connection's SCIM side: whether its endpoint is on (and its token's generation; the
//! token itself is in the secret store), the resources its SCIM client wrote (whole
//! documents, User tombstones), group memberships, and the live request log. The queries the
//! login side and the reports make are in `scim_login.rs`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, Row, params};
use serde_json::Value;

use super::{Read, WriteTx, format_time, json, parse_time, storage};
use crate::error::{Error, ErrorCode, Result};
use crate::scim::{Method, ResourceKind, ScimRequestSummary, ScimType};

/// How many request-log rows a connection keeps (the newest).
pub const KEPT_REQUESTS: i64 = 500;

/// `connection_scim`: the endpoint's switch and token generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimSettings {
    pub enabled: bool,
    /// Bumped each time a token is issued (enable, rotate): a cached digest of another
    /// generation is stale.
    pub token_generation: u32,
    pub enabled_at: Option<DateTime<Utc>>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

fn opt_time(v: Option<String>) -> Result<Option<DateTime<Utc>>> {
    v.as_deref().map(parse_time).transpose()
}

pub fn settings(db: &impl Read, connection_id: i64) -> Result<Option<ScimSettings>> {
    let raw = db
        .db()
        .prepare_cached(
            "SELECT enabled, token_generation, enabled_at, rotated_at, updated_at FROM connection_scim \
             WHERE connection_id = ?1",
        )?
        .query_row([connection_id], |r| {
            Ok((
                r.get::<_, bool>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .optional()?;
    raw.map(|(enabled, token_generation, enabled_at, rotated_at, updated_at)| {
        Ok(ScimSettings {
            enabled,
            token_generation,
            enabled_at: opt_time(enabled_at)?,
            rotated_at: opt_time(rotated_at)?,
            updated_at: parse_time(&updated_at)?,
        })
    })
    .transpose()
}

pub fn put_settings(tx: &WriteTx<'_>, connection_id: i64, s: &ScimSettings) -> Result<()> {
    tx.db()
        .prepare_cached(
            "INSERT INTO connection_scim (connection_id, enabled, token_generation, enabled_at, rotated_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(connection_id) DO UPDATE SET enabled = excluded.enabled, \
             token_generation = excluded.token_generation, enabled_at = excluded.enabled_at, \
             rotated_at = excluded.rotated_at, updated_at = excluded.updated_at",
        )?
        .execute(params![
            connection_id,
            s.enabled,
            s.token_generation,
            s.enabled_at.map(format_time),
            s.rotated_at.map(format_time),
            format_time(s.updated_at)
        ])?;
    Ok(())
}

/// The connection's id, token generation and last settings change when its SCIM endpoint is
/// on; `None` when the connection does not exist or its endpoint is off (the same answer for both).
pub fn gate(db: &impl Read, connection: &str) -> Result<Option<(i64, u32, DateTime<Utc>)>> {
    let raw = db
        .db()
        .prepare_cached(
            "SELECT c.id, s.token_generation, s.updated_at FROM connections c \
             JOIN connection_scim s ON s.connection_id = c.id WHERE c.name = ?1 AND s.enabled = 1",
        )?
        .query_row([connection], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, u32>(1)?, r.get::<_, String>(2)?)))
        .optional()?;
    raw.map(|(id, generation, changed_at)| Ok((id, generation, parse_time(&changed_at)?))).transpose()
}

/// One stored SCIM resource (a tombstone when `deleted_at` is set).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub id: String,
    pub kind: ResourceKind,
    pub external_id: Option<String>,
    /// `userName` (User) or `displayName` (Group).
    pub name: String,
    /// User: the login subject by the lifecycle's match rule.
    pub subject: Option<String>,
    /// User: the directory account it feeds.
    pub user_id: Option<i64>,
    /// The document as stored: no `id`, no `meta`, never a password.
    pub document: Value,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

const RESOURCE_COLUMNS: &str =
    "id, resource_type, external_id, name, subject, user_id, document, version, created_at, last_modified, deleted_at";

type RawResource =
    (String, String, Option<String>, String, Option<String>, Option<i64>, String, i64, String, String, Option<String>);

fn raw_resource(r: &Row<'_>) -> rusqlite::Result<RawResource> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}

fn finish(raw: RawResource) -> Result<Resource> {
    let (id, kind, external_id, name, subject, user_id, document, version, created_at, last_modified, deleted_at) = raw;
    let kind = ResourceKind::parse(&kind)
        .ok_or_else(|| Error::new(ErrorCode::Storage, format!("SCIM resource {id} has an unknown type {kind:?}")))?;
    Ok(Resource {
        kind,
        external_id,
        name,
        subject,
        user_id,
        document: serde_json::from_str(&document).map_err(storage("SCIM document"))?,
        version,
        created_at: parse_time(&created_at)?,
        last_modified: parse_time(&last_modified)?,
        deleted_at: opt_time(deleted_at)?,
        id,
    })
}

fn resources(db: &impl Read, where_clause: &str, params: impl rusqlite::Params) -> Result<Vec<Resource>> {
    let sql = format!("SELECT {RESOURCE_COLUMNS} FROM scim_resources WHERE {where_clause}");
    let mut stmt = db.db().prepare_cached(&sql)?;
    let raws = stmt.query_map(params, raw_resource)?.collect::<rusqlite::Result<Vec<_>>>()?;
    raws.into_iter().map(finish).collect()
}

fn first(found: Vec<Resource>) -> Option<Resource> {
    found.into_iter().next()
}

/// The resource with this id, a tombstone included.
pub fn resource(db: &impl Read, connection_id: i64, kind: ResourceKind, id: &str) -> Result<Option<Resource>> {
    Ok(first(resources(
        db,
        "connection_id = ?1 AND resource_type = ?2 AND id = ?3",
        params![connection_id, kind.as_str(), id],
    )?))
}

/// Live resources of one kind, in creation order (what a list pages through).
pub fn live_resources(db: &impl Read, connection_id: i64, kind: ResourceKind) -> Result<Vec<Resource>> {
    resources(
        db,
        "connection_id = ?1 AND resource_type = ?2 AND deleted_at IS NULL ORDER BY created_at, id",
        params![connection_id, kind.as_str()],
    )
}

/// The live User resource that feeds this account.
pub fn live_user_of_account(db: &impl Read, connection_id: i64, user_id: i64) -> Result<Option<Resource>> {
    Ok(first(resources(
        db,
        "connection_id = ?1 AND resource_type = 'User' AND user_id = ?2 AND deleted_at IS NULL",
        params![connection_id, user_id],
    )?))
}

/// The live User whose `userName` equals `name` ignoring ASCII case (RFC 7643: not case-exact).
pub fn live_user_named(db: &impl Read, connection_id: i64, name: &str) -> Result<Option<Resource>> {
    Ok(first(resources(
        db,
        "connection_id = ?1 AND resource_type = 'User' AND lower(name) = lower(?2) AND deleted_at IS NULL",
        params![connection_id, name],
    )?))
}

/// How many live resources of a kind the connection has.
pub fn count_live(db: &impl Read, connection_id: i64, kind: ResourceKind) -> Result<i64> {
    Ok(db.db().prepare_cached(
        "SELECT COUNT(*) FROM scim_resources WHERE connection_id = ?1 AND resource_type = ?2 AND deleted_at IS NULL",
    )?
    .query_row(params![connection_id, kind.as_str()], |r| r.get(0))?)
}

pub fn insert_resource(tx: &WriteTx<'_>, connection_id: i64, r: &Resource) -> Result<()> {
    tx.db()
        .prepare_cached(
            "INSERT INTO scim_resources (connection_id, id, resource_type, external_id, name, subject, user_id, \
             document, version, created_at, last_modified, deleted_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            connection_id,
            r.id,
            r.kind.as_str(),
            r.external_id,
            r.name,
            r.subject,
            r.user_id,
            json(&r.document)?,
            r.version,
            format_time(r.created_at),
            format_time(r.last_modified),
            r.deleted_at.map(format_time),
        ])?;
    Ok(())
}

/// Writes everything but the id, type and creation time.
pub fn update_resource(tx: &WriteTx<'_>, connection_id: i64, r: &Resource) -> Result<()> {
    tx.db()
        .prepare_cached(
            "UPDATE scim_resources SET external_id = ?3, name = ?4, subject = ?5, user_id = ?6, document = ?7, \
             version = ?8, last_modified = ?9, deleted_at = ?10 WHERE connection_id = ?1 AND id = ?2",
        )?
        .execute(params![
            connection_id,
            r.id,
            r.external_id,
            r.name,
            r.subject,
            r.user_id,
            json(&r.document)?,
            r.version,
            format_time(r.last_modified),
            r.deleted_at.map(format_time),
        ])?;
    Ok(())
}

/// Removes a resource for good (Groups; a deleted User stays as a tombstone).
pub fn delete_resource(tx: &WriteTx<'_>, connection_id: i64, id: &str) -> Result<bool> {
    Ok(tx
        .db()
        .execute("DELETE FROM scim_resources WHERE connection_id = ?1 AND id = ?2", params![connection_id, id])?
        > 0)
}

/// Replaces a group's member rows: `(member id, member object as sent)`.
pub fn set_members(tx: &WriteTx<'_>, connection_id: i64, group_id: &str, members: &[(String, Value)]) -> Result<()> {
    let conn = tx.db();
    conn.prepare_cached("DELETE FROM scim_group_members WHERE connection_id = ?1 AND group_id = ?2")?
        .execute(params![connection_id, group_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO scim_group_members (connection_id, group_id, member_id, member_json) \
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (member, object) in members {
        insert.execute(params![connection_id, group_id, member, json(object)?])?;
    }
    Ok(())
}

/// The member ids of a group.
pub fn members_of(db: &impl Read, connection_id: i64, group_id: &str) -> Result<Vec<String>> {
    let mut stmt = db.db().prepare_cached(
        "SELECT member_id FROM scim_group_members WHERE connection_id = ?1 AND group_id = ?2 ORDER BY member_id",
    )?;
    let rows = stmt.query_map(params![connection_id, group_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
}

/// The live groups `member_id` belongs to: `(group id, displayName)`, by name.
pub fn groups_of_member(db: &impl Read, connection_id: i64, member_id: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = db.db().prepare_cached(
        "SELECT g.id, g.name FROM scim_group_members m JOIN scim_resources g \
         ON g.connection_id = m.connection_id AND g.id = m.group_id \
         WHERE m.connection_id = ?1 AND m.member_id = ?2 AND g.deleted_at IS NULL ORDER BY g.name, g.id",
    )?;
    let rows = stmt.query_map(params![connection_id, member_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Removes every SCIM row of a connection (resources, tombstones, memberships, request log,
/// settings): the demo reset's clean slate.
pub fn clear(tx: &WriteTx<'_>, connection_id: i64) -> Result<()> {
    let conn = tx.db();
    conn.execute("DELETE FROM scim_group_members WHERE connection_id = ?1", [connection_id])?;
    conn.execute("DELETE FROM scim_resources WHERE connection_id = ?1", [connection_id])?;
    conn.execute("DELETE FROM scim_requests WHERE connection_id = ?1", [connection_id])?;
    Ok(())
}

/// One request-log row to write.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub connection_id: i64,
    pub at: DateTime<Utc>,
    pub method: Method,
    pub path: &'a str,
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub resource_type: Option<ResourceKind>,
    pub resource_id: Option<&'a str>,
    pub user_id: Option<i64>,
    pub change: &'a [String],
    pub diff: &'a [crate::directory::FieldChange],
    pub notes: &'a [String],
    /// Already redacted and cut.
    pub request_body: Option<&'a str>,
    pub response_body: Option<&'a str>,
    pub client: Option<&'a str>,
    pub duration_ms: i64,
}

fn method_text(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}

fn parse_method(s: &str) -> Option<Method> {
    [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete].into_iter().find(|m| method_text(*m) == s)
}

fn parse_scim_type(s: &str) -> Option<ScimType> {
    serde_json::from_value(Value::from(s)).ok()
}

/// Appends a request-log row and keeps the connection's newest [`KEPT_REQUESTS`]; the new id.
pub fn insert_request(tx: &WriteTx<'_>, r: &NewRequest<'_>) -> Result<i64> {
    let conn = tx.db();
    conn.prepare_cached(
        "INSERT INTO scim_requests (connection_id, at, method, path, status, scim_type, resource_type, resource_id, \
         user_id, change, diff, notes, request_body, response_body, client, duration_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        r.connection_id,
        format_time(r.at),
        method_text(r.method),
        super::cut(r.path, super::MAX_STORED_FIELD_BYTES),
        r.status,
        r.scim_type.map(ScimType::as_str),
        r.resource_type.map(ResourceKind::as_str),
        r.resource_id,
        r.user_id,
        json(&r.change)?,
        json(&r.diff)?,
        json(&r.notes)?,
        r.request_body,
        r.response_body,
        r.client,
        r.duration_ms,
    ])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached(
        "DELETE FROM scim_requests WHERE connection_id = ?1 AND id <= (SELECT id FROM scim_requests \
         WHERE connection_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![r.connection_id, KEPT_REQUESTS])?;
    Ok(id)
}

/// The connection's request log, newest first.
pub fn requests(db: &impl Read, connection: &str, limit: u32) -> Result<Vec<ScimRequestSummary>> {
    let mut stmt = db.db().prepare_cached(
        "SELECT r.id, c.name, r.at, r.method, r.path, r.status, r.scim_type, r.resource_type, r.resource_id, \
         r.user_id, r.change, r.diff, r.notes, r.request_body, r.response_body, r.client, r.duration_ms \
         FROM scim_requests r JOIN connections c ON c.id = r.connection_id WHERE c.name = ?1 \
         ORDER BY r.id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![connection, limit], |r| {
        Ok((
            (r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?),
            (r.get::<_, String>(4)?, r.get::<_, u16>(5)?, r.get::<_, Option<String>>(6)?),
            (r.get::<_, Option<String>>(7)?, r.get::<_, Option<String>>(8)?, r.get::<_, Option<i64>>(9)?),
            (r.get::<_, String>(10)?, r.get::<_, String>(11)?, r.get::<_, String>(12)?),
            (r.get::<_, Option<String>>(13)?, r.get::<_, Option<String>>(14)?, r.get::<_, Option<String>>(15)?),
            r.get::<_, i64>(16)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (
            (id, connection, at, method),
            (path, status, scim_type),
            (resource_type, resource_id, user_id),
            (change, diff, notes),
            (request_body, response_body, client),
            duration_ms,
        ) = row?;
        let method = parse_method(&method).ok_or_else(|| {
            Error::new(ErrorCode::Storage, format!("SCIM request {id} has an unknown method {method:?}"))
        })?;
        out.push(ScimRequestSummary {
            id,
            connection,
            at: parse_time(&at)?,
            method,
            path,
            status,
            scim_type: scim_type.as_deref().and_then(parse_scim_type),
            resource_type: resource_type.as_deref().and_then(ResourceKind::parse),
            resource_id,
            user_id,
            change: serde_json::from_str(&change).map_err(storage("SCIM change"))?,
            diff: serde_json::from_str(&diff).map_err(storage("SCIM diff"))?,
            notes: serde_json::from_str(&notes).map_err(storage("SCIM notes"))?,
            request_body,
            response_body,
            client,
            duration_ms,
        });
    }
    Ok(out)
}
