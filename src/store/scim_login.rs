//! The SCIM tables as a login and the lifecycle reports see them (issue #15): a subject's
//! tombstone or live User resource, the SCIM resource of an account, who wrote each field last
//! (`users.field_sources`), the profile of the last login (`scim_login_views`), and the three
//! report queries. The SCIM client's own writes are in `store::scim`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, Row, params};

use super::{Read, WriteTx, format_time, json, parse_time, storage};
use crate::error::Result;
use crate::provision::lifecycle::FieldSources;

/// A SCIM User resource, live or a tombstone.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimUser {
    pub id: String,
    pub subject: Option<String>,
    pub user_id: Option<i64>,
    pub document: serde_json::Value,
    pub last_modified: DateTime<Utc>,
    /// Set on a tombstone: when the SCIM client deleted it.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl ScimUser {
    /// The document says `active: false` (a string `"False"` too, should one be stored).
    pub fn inactive(&self) -> bool {
        match self.document.get("active") {
            Some(serde_json::Value::Bool(b)) => !b,
            Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("false"),
            _ => false,
        }
    }
}

const SCIM_USER_COLUMNS: &str = "r.id, r.subject, r.user_id, r.document, r.last_modified, r.deleted_at";

struct RawScimUser {
    id: String,
    subject: Option<String>,
    user_id: Option<i64>,
    document: String,
    last_modified: String,
    deleted_at: Option<String>,
}

fn raw_scim_user(r: &Row<'_>) -> rusqlite::Result<RawScimUser> {
    Ok(RawScimUser {
        id: r.get(0)?,
        subject: r.get(1)?,
        user_id: r.get(2)?,
        document: r.get(3)?,
        last_modified: r.get(4)?,
        deleted_at: r.get(5)?,
    })
}

fn finish(raw: RawScimUser) -> Result<ScimUser> {
    Ok(ScimUser {
        id: raw.id,
        subject: raw.subject,
        user_id: raw.user_id,
        document: serde_json::from_str(&raw.document).map_err(storage("SCIM document"))?,
        last_modified: parse_time(&raw.last_modified)?,
        deleted_at: raw.deleted_at.as_deref().map(parse_time).transpose()?,
    })
}

fn one(db: &impl Read, where_clause: &str, params: impl rusqlite::Params) -> Result<Option<ScimUser>> {
    let sql =
        format!("SELECT {SCIM_USER_COLUMNS} FROM scim_resources r WHERE r.resource_type = 'User' AND {where_clause}");
    let raw = db.db().prepare_cached(&sql)?.query_row(params, raw_scim_user).optional()?;
    raw.map(finish).transpose()
}

/// The newest tombstone of `subject` at the connection, unless a live User resource has the
/// subject again (a SCIM client re-created the person).
pub fn tombstone(db: &impl Read, connection_id: i64, subject: &str) -> Result<Option<ScimUser>> {
    one(
        db,
        "r.connection_id = ?1 AND r.subject = ?2 AND r.deleted_at IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM scim_resources l WHERE l.connection_id = r.connection_id \
             AND l.resource_type = 'User' AND l.subject = r.subject AND l.deleted_at IS NULL) \
         ORDER BY r.deleted_at DESC LIMIT 1",
        params![connection_id, subject],
    )
}

/// A tombstone whose subject differs from `subject` only by letter case, or (when either has
/// a non-ASCII character) by look-alike or invisible characters: the rule of
/// `users::folded_identity`, applied to subjects SCIM deleted.
pub fn folded_tombstone(db: &impl Read, connection_id: i64, subject: &str) -> Result<Option<ScimUser>> {
    one(
        db,
        "r.connection_id = ?1 AND r.deleted_at IS NOT NULL AND r.subject IS NOT NULL AND r.subject <> ?3 \
         AND (lower(r.subject) = lower(?3) \
              OR (handshake_subject_fold(r.subject) = ?2 AND (?4 OR r.subject GLOB '*[^ -~]*'))) \
         AND NOT EXISTS (SELECT 1 FROM scim_resources l WHERE l.connection_id = r.connection_id \
             AND l.resource_type = 'User' AND l.subject = r.subject AND l.deleted_at IS NULL) \
         ORDER BY r.deleted_at DESC LIMIT 1",
        params![connection_id, crate::identity::subject_fold(subject), subject, !subject.is_ascii()],
    )
}

/// A live User resource the SCIM client deactivated (`active: false`) whose subject differs
/// from `subject` only as [`folded_tombstone`] says.
pub fn folded_inactive(db: &impl Read, connection_id: i64, subject: &str) -> Result<Option<ScimUser>> {
    one(
        db,
        "r.connection_id = ?1 AND r.deleted_at IS NULL AND r.subject IS NOT NULL AND r.subject <> ?3 \
         AND json_extract(r.document, '$.active') = 0 \
         AND (lower(r.subject) = lower(?3) \
              OR (handshake_subject_fold(r.subject) = ?2 AND (?4 OR r.subject GLOB '*[^ -~]*'))) \
         ORDER BY r.last_modified DESC LIMIT 1",
        params![connection_id, crate::identity::subject_fold(subject), subject, !subject.is_ascii()],
    )
}

/// The live User resource naming `subject` at the connection.
pub fn live_by_subject(db: &impl Read, connection_id: i64, subject: &str) -> Result<Option<ScimUser>> {
    one(
        db,
        "r.connection_id = ?1 AND r.subject = ?2 AND r.deleted_at IS NULL ORDER BY r.created_at LIMIT 1",
        params![connection_id, subject],
    )
}

/// The SCIM User resource of an account at the connection: the live one, else the newest
/// tombstone.
pub fn of_account(db: &impl Read, connection_id: i64, user_id: i64) -> Result<Option<ScimUser>> {
    one(
        db,
        "r.connection_id = ?1 AND r.user_id = ?2 \
         ORDER BY r.deleted_at IS NOT NULL, r.deleted_at DESC, r.last_modified DESC LIMIT 1",
        params![connection_id, user_id],
    )
}

/// Makes the live resource `resource_id` feed the account `user_id` (a login created the
/// account of a subject SCIM provisioned, after an admin deleted the first one).
pub fn attach_account(tx: &WriteTx<'_>, connection_id: i64, resource_id: &str, user_id: i64) -> Result<()> {
    tx.db()
        .prepare_cached("UPDATE scim_resources SET user_id = ?3 WHERE connection_id = ?1 AND id = ?2")?
        .execute(params![connection_id, resource_id, user_id])?;
    Ok(())
}

/// Keeps the profile the account's last login mapped, for the claims report.
pub fn upsert_login_view(
    tx: &WriteTx<'_>,
    connection_id: i64,
    user_id: i64,
    profile: &serde_json::Value,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.db()
        .prepare_cached(
            "INSERT INTO scim_login_views (connection_id, user_id, profile, at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT(connection_id, user_id) DO UPDATE SET profile = excluded.profile, at = excluded.at",
        )?
        .execute(params![connection_id, user_id, json(profile)?, format_time(at)])?;
    Ok(())
}

/// An account a report names, with its subject at the connection and its SCIM resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub user_id: i64,
    pub subject: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub scim_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn report_rows(db: &impl Read, sql: &str, connection_id: i64) -> Result<Vec<ReportRow>> {
    let mut stmt = db.db().prepare_cached(sql)?;
    let raws = stmt
        .query_map([connection_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raws.into_iter()
        .map(|(user_id, subject, email, display_name, scim_id, created_at)| {
            Ok(ReportRow { user_id, subject, email, display_name, scim_id, created_at: parse_time(&created_at)? })
        })
        .collect()
}

/// Report 1: accounts JIT created with an identity at the connection and no live SCIM
/// resource there. Nothing will ever de-provision them.
pub fn jit_unknown_to_scim(db: &impl Read, connection_id: i64) -> Result<Vec<ReportRow>> {
    report_rows(
        db,
        "SELECT u.id, i.subject, u.email, u.display_name, NULL, u.created_at \
         FROM user_identities i JOIN users u ON u.id = i.user_id \
         WHERE i.connection_id = ?1 AND u.source = 'jit' \
           AND NOT EXISTS (SELECT 1 FROM scim_resources r WHERE r.connection_id = ?1 AND r.resource_type = 'User' \
                           AND r.user_id = u.id AND r.deleted_at IS NULL) \
         ORDER BY u.id",
        connection_id,
    )
}

/// Report 2: live SCIM users whose account never signed in.
pub fn scim_never_signed_in(db: &impl Read, connection_id: i64) -> Result<Vec<ReportRow>> {
    report_rows(
        db,
        "SELECT u.id, r.subject, u.email, u.display_name, r.id, u.created_at \
         FROM scim_resources r JOIN users u ON u.id = r.user_id \
         WHERE r.connection_id = ?1 AND r.resource_type = 'User' AND r.deleted_at IS NULL \
           AND u.first_login IS NULL \
         ORDER BY r.created_at, r.id",
        connection_id,
    )
}

/// An account with a live SCIM resource and a login view: the material of report 3.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewedUser {
    pub row: ReportRow,
    pub document: serde_json::Value,
    /// The display names of the SCIM groups that list the resource as a member.
    pub groups: Vec<String>,
    pub profile: serde_json::Value,
    pub login_at: DateTime<Utc>,
    pub field_sources: FieldSources,
}

/// Every account at the connection with both a live SCIM User resource and a login view.
pub fn viewed_users(db: &impl Read, connection_id: i64) -> Result<Vec<ViewedUser>> {
    let mut stmt = db.db().prepare_cached(
        "SELECT u.id, r.subject, u.email, u.display_name, r.id, u.created_at, r.document, v.profile, v.at, \
                u.field_sources \
         FROM scim_login_views v JOIN users u ON u.id = v.user_id \
         JOIN scim_resources r ON r.connection_id = v.connection_id AND r.user_id = v.user_id \
              AND r.resource_type = 'User' AND r.deleted_at IS NULL \
         WHERE v.connection_id = ?1 ORDER BY u.id",
    )?;
    type Raw = (i64, Option<String>, Option<String>, Option<String>, String, String, String, String, String, String);
    let raws: Vec<Raw> = stmt
        .query_map([connection_id], |r| {
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
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(raws.len());
    for (user_id, subject, email, display_name, scim_id, created_at, document, profile, at, sources) in raws {
        let groups = group_names_of(db, connection_id, &scim_id)?;
        out.push(ViewedUser {
            row: ReportRow {
                user_id,
                subject,
                email,
                display_name,
                scim_id: Some(scim_id),
                created_at: parse_time(&created_at)?,
            },
            document: serde_json::from_str(&document).map_err(storage("SCIM document"))?,
            groups,
            profile: serde_json::from_str(&profile).map_err(storage("login view"))?,
            login_at: parse_time(&at)?,
            field_sources: serde_json::from_str(&sources).map_err(storage("field sources"))?,
        });
    }
    Ok(out)
}

/// The display names of the live SCIM groups that list `member_id` as a member, sorted.
pub fn group_names_of(db: &impl Read, connection_id: i64, member_id: &str) -> Result<Vec<String>> {
    let mut stmt = db.db().prepare_cached(
        "SELECT g.name FROM scim_group_members m JOIN scim_resources g \
              ON g.connection_id = m.connection_id AND g.id = m.group_id \
         WHERE m.connection_id = ?1 AND m.member_id = ?2 AND g.resource_type = 'Group' AND g.deleted_at IS NULL \
         ORDER BY g.name",
    )?;
    let names = stmt.query_map(params![connection_id, member_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(names)
}
