//! SQLite rows of provisioning: mappings, users, identities, consumed assertions, audit log.
//! Functions take a `rusqlite::Connection` so they run inside the caller's transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, Row, params};
use serde::{Deserialize, Serialize};

use super::rules::MappingDocument;
use crate::error::{Error, ErrorCode, Result};
use crate::store::{bounded, format_time, parse_time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum UserStatus {
    Active,
    Deactivated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum UserSource {
    Jit,
    Manual,
}

/// An account of the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct User {
    pub id: i64,
    /// The connection whose login created the account.
    pub connection: Option<String>,
    /// IdP identities: (connection name, subject).
    pub identities: Vec<Identity>,
    pub email: Option<String>,
    /// The address came from a source trusted for its domain: an admin, or a connection that
    /// lists the domain as verified. Only such accounts can be linked by email.
    #[serde(default)]
    pub email_verified: bool,
    /// Who set the address: `admin`, or the name of the connection whose login did.
    #[serde(default)]
    pub email_source: Option<String>,
    pub username: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    pub custom: BTreeMap<String, String>,
    pub status: UserStatus,
    pub source: UserSource,
    pub first_login: Option<DateTime<Utc>>,
    pub last_login: Option<DateTime<Utc>>,
    pub login_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Identity {
    pub connection: String,
    pub subject: String,
    pub linked: bool,
}

fn storage(what: &str) -> impl Fn(serde_json::Error) -> Error + '_ {
    move |e| Error::new(ErrorCode::Storage, format!("the catalog holds an invalid {what}: {e}"))
}

fn opt_time(v: Option<String>) -> Result<Option<DateTime<Utc>>> {
    v.as_deref().map(parse_time).transpose()
}

const USER_COLUMNS: &str = "u.id, c.name, u.email, u.username, u.given_name, u.family_name, u.display_name, u.groups, \
     u.roles, u.custom, u.status, u.source, u.first_login, u.last_login, u.login_count, u.created_at, u.updated_at, \
     u.email_verified, u.email_source";

struct RawUser {
    id: i64,
    connection: Option<String>,
    email: Option<String>,
    username: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    display_name: Option<String>,
    groups: String,
    roles: String,
    custom: String,
    status: String,
    source: String,
    first_login: Option<String>,
    last_login: Option<String>,
    login_count: i64,
    created_at: String,
    updated_at: String,
    email_verified: bool,
    email_source: Option<String>,
}

fn raw_user(r: &Row<'_>) -> rusqlite::Result<RawUser> {
    Ok(RawUser {
        id: r.get(0)?,
        connection: r.get(1)?,
        email: r.get(2)?,
        username: r.get(3)?,
        given_name: r.get(4)?,
        family_name: r.get(5)?,
        display_name: r.get(6)?,
        groups: r.get(7)?,
        roles: r.get(8)?,
        custom: r.get(9)?,
        status: r.get(10)?,
        source: r.get(11)?,
        first_login: r.get(12)?,
        last_login: r.get(13)?,
        login_count: r.get(14)?,
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        email_verified: r.get(17)?,
        email_source: r.get(18)?,
    })
}

fn finish(conn: &rusqlite::Connection, raw: RawUser) -> Result<User> {
    let identities = identities_of(conn, raw.id)?;
    Ok(User {
        id: raw.id,
        connection: raw.connection,
        identities,
        email: raw.email,
        email_verified: raw.email_verified,
        email_source: raw.email_source,
        username: raw.username,
        given_name: raw.given_name,
        family_name: raw.family_name,
        display_name: raw.display_name,
        groups: serde_json::from_str(&raw.groups).map_err(storage("groups list"))?,
        roles: serde_json::from_str(&raw.roles).map_err(storage("roles list"))?,
        custom: serde_json::from_str(&raw.custom).map_err(storage("custom fields"))?,
        status: if raw.status == "deactivated" { UserStatus::Deactivated } else { UserStatus::Active },
        source: if raw.source == "manual" { UserSource::Manual } else { UserSource::Jit },
        first_login: opt_time(raw.first_login)?,
        last_login: opt_time(raw.last_login)?,
        login_count: raw.login_count,
        created_at: parse_time(&raw.created_at)?,
        updated_at: parse_time(&raw.updated_at)?,
    })
}

fn identities_of(conn: &rusqlite::Connection, user_id: i64) -> Result<Vec<Identity>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.name, i.subject, i.linked FROM user_identities i JOIN connections c ON c.id = i.connection_id \
         WHERE i.user_id = ?1 ORDER BY i.created_at, c.name",
    )?;
    let rows =
        stmt.query_map([user_id], |r| Ok(Identity { connection: r.get(0)?, subject: r.get(1)?, linked: r.get(2)? }))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn one_user(conn: &rusqlite::Connection, where_clause: &str, param: &dyn rusqlite::ToSql) -> Result<Option<User>> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users u LEFT JOIN connections c ON c.id = u.connection_id WHERE {where_clause}"
    );
    let raw = conn.prepare_cached(&sql)?.query_row([param], raw_user).optional()?;
    raw.map(|r| finish(conn, r)).transpose()
}

pub fn user_by_id(conn: &rusqlite::Connection, id: i64) -> Result<Option<User>> {
    one_user(conn, "u.id = ?1", &id)
}

/// The account that owns this canonical address ([`crate::identity::email`]): the one
/// holding it verified. At most one can (a partial UNIQUE index).
pub fn verified_owner(conn: &rusqlite::Connection, key: &str) -> Result<Option<User>> {
    one_user(conn, "u.email_canonical = ?1 AND u.email_verified = 1", &key)
}

/// An account other than `except` that holds this canonical address, verified or not (the
/// verified one first).
pub fn email_holder(conn: &rusqlite::Connection, key: &str, except: Option<i64>) -> Result<Option<User>> {
    let id: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM users WHERE email_canonical = ?1 AND id IS NOT ?2 ORDER BY email_verified DESC, id LIMIT 1",
        )?
        .query_row(params![key, except], |r| r.get(0))
        .optional()?;
    id.map_or(Ok(None), |id| user_by_id(conn, id))
}

/// An account other than `except` whose address looks like `email` on screen but is another
/// address (a look-alike). With `other_non_ascii`, only accounts whose stored address has a
/// non-ASCII character count (two plain-ASCII addresses, such as `clara@` and `dara@`, may
/// share a skeleton and are still different people).
pub fn look_alike(
    conn: &rusqlite::Connection,
    email: &str,
    key: Option<&str>,
    except: Option<i64>,
    other_non_ascii: bool,
) -> Result<Option<User>> {
    let Some(skeleton) = crate::identity::email::skeleton(email) else { return Ok(None) };
    // NULL keys never equal each other: two unmatchable addresses that look alike differ.
    // GLOB '*[^ -~]*': the address has a character outside printable ASCII.
    let id: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM users WHERE email_skeleton = ?1 \
             AND (email_canonical IS NULL OR ?2 IS NULL OR email_canonical <> ?2) \
             AND (NOT ?3 OR email GLOB '*[^ -~]*' OR email GLOB '*xn--*') AND id IS NOT ?4 ORDER BY id LIMIT 1",
        )?
        .query_row(params![skeleton, key, other_non_ascii, except], |r| r.get(0))
        .optional()?;
    id.map_or(Ok(None), |id| user_by_id(conn, id))
}

/// The subject of an identity at `connection_id` that differs from `subject` only by
/// letter case, or (when either of the two has a non-ASCII character) only by look-alike or
/// invisible characters, with its account. Two different plain-ASCII subjects never count
/// as look-alikes (`clara@` and `dara@` share a UTS #39 skeleton, yet are different people).
pub fn folded_identity(
    conn: &rusqlite::Connection,
    connection_id: i64,
    subject: &str,
) -> Result<Option<(String, i64)>> {
    // SQLite's lower() folds ASCII letters only; GLOB '*[^ -~]*' finds a non-ASCII character.
    Ok(conn
        .prepare_cached(
            "SELECT subject, user_id FROM user_identities WHERE connection_id = ?1 AND subject <> ?3 \
             AND (lower(subject) = lower(?3) OR (subject_fold = ?2 AND (?4 OR subject GLOB '*[^ -~]*'))) \
             ORDER BY created_at LIMIT 1",
        )?
        .query_row(params![connection_id, crate::identity::subject_fold(subject), subject, !subject.is_ascii()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// The subject `user_id` already has at `connection_id`, if any (one identity per account
/// and connection).
pub fn identity_subject_at(conn: &rusqlite::Connection, connection_id: i64, user_id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT subject FROM user_identities WHERE connection_id = ?1 AND user_id = ?2")?
        .query_row(params![connection_id, user_id], |r| r.get(0))
        .optional()?)
}

pub fn user_by_identity(conn: &rusqlite::Connection, connection_id: i64, subject: &str) -> Result<Option<User>> {
    let id: Option<i64> = conn
        .prepare_cached("SELECT user_id FROM user_identities WHERE connection_id = ?1 AND subject = ?2")?
        .query_row(params![connection_id, subject], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => user_by_id(conn, id),
        None => Ok(None),
    }
}

pub fn list_users(conn: &rusqlite::Connection, connection: Option<&str>) -> Result<Vec<User>> {
    let (sql, param): (String, Option<&str>) = match connection {
        Some(name) => (
            format!(
                "SELECT DISTINCT {USER_COLUMNS} FROM users u LEFT JOIN connections c ON c.id = u.connection_id \
                 WHERE c.name = ?1 OR u.id IN (SELECT i.user_id FROM user_identities i JOIN connections ic ON ic.id = i.connection_id WHERE ic.name = ?1) \
                 ORDER BY u.id"
            ),
            Some(name),
        ),
        None => (
            format!(
                "SELECT {USER_COLUMNS} FROM users u LEFT JOIN connections c ON c.id = u.connection_id ORDER BY u.id"
            ),
            None,
        ),
    };
    let mut stmt = conn.prepare(&sql)?;
    let raws: Vec<RawUser> = match param {
        Some(p) => stmt.query_map([p], raw_user)?.collect::<rusqlite::Result<_>>()?,
        None => stmt.query_map([], raw_user)?.collect::<rusqlite::Result<_>>()?,
    };
    raws.into_iter().map(|r| finish(conn, r)).collect()
}

/// How many users [`list_users`] would list for `connection`: created by it or with an identity at it.
pub fn count_users(conn: &rusqlite::Connection, connection: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM users u LEFT JOIN connections c ON c.id = u.connection_id \
         WHERE c.name = ?1 OR u.id IN (SELECT i.user_id FROM user_identities i JOIN connections ic ON ic.id = i.connection_id WHERE ic.name = ?1)",
        [connection],
        |r| r.get(0),
    )?)
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::new(ErrorCode::Internal, format!("cannot encode: {e}")))
}

fn status_text(s: UserStatus) -> &'static str {
    match s {
        UserStatus::Active => "active",
        UserStatus::Deactivated => "deactivated",
    }
}

/// The matching key and skeleton stored beside an address. An address that cannot be used
/// for matching has no key (it never finds or links anyone) but still a skeleton (nobody
/// may take an address that looks like it).
fn email_keys(email: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(email) = email else { return (None, None) };
    let key = crate::identity::email::canonical(email).ok().map(|c| c.key);
    (key, crate::identity::email::skeleton(email))
}

/// Inserts `user` (its `id` is ignored) and returns the new id.
pub fn insert_user(conn: &rusqlite::Connection, user: &User, connection_id: Option<i64>) -> Result<i64> {
    let (key, skeleton) = email_keys(user.email.as_deref());
    conn.prepare_cached(
        "INSERT INTO users (connection_id, email, username, given_name, family_name, display_name, groups, roles, custom, \
         status, source, first_login, last_login, login_count, created_at, updated_at, email_canonical, email_skeleton, \
         email_verified, email_source) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
    )?
    .execute(params![
        connection_id,
        user.email,
        user.username,
        user.given_name,
        user.family_name,
        user.display_name,
        json(&user.groups)?,
        json(&user.roles)?,
        json(&user.custom)?,
        status_text(user.status),
        if user.source == UserSource::Manual { "manual" } else { "jit" },
        user.first_login.map(format_time),
        user.last_login.map(format_time),
        user.login_count,
        format_time(user.created_at),
        format_time(user.updated_at),
        key,
        skeleton,
        user.email_verified && key.is_some(),
        user.email_source,
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn update_user(conn: &rusqlite::Connection, user: &User) -> Result<()> {
    let (key, skeleton) = email_keys(user.email.as_deref());
    conn.prepare_cached(
        "UPDATE users SET email = ?2, username = ?3, given_name = ?4, family_name = ?5, display_name = ?6, groups = ?7, \
         roles = ?8, custom = ?9, status = ?10, first_login = ?11, last_login = ?12, login_count = ?13, updated_at = ?14, \
         email_canonical = ?15, email_skeleton = ?16, email_verified = ?17, email_source = ?18 \
         WHERE id = ?1",
    )?
    .execute(params![
        user.id,
        user.email,
        user.username,
        user.given_name,
        user.family_name,
        user.display_name,
        json(&user.groups)?,
        json(&user.roles)?,
        json(&user.custom)?,
        status_text(user.status),
        user.first_login.map(format_time),
        user.last_login.map(format_time),
        user.login_count,
        format_time(user.updated_at),
        key,
        skeleton,
        user.email_verified && key.is_some(),
        user.email_source,
    ])?;
    Ok(())
}

pub fn insert_identity(
    conn: &rusqlite::Connection,
    connection_id: i64,
    subject: &str,
    user_id: i64,
    linked: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO user_identities (connection_id, subject, user_id, linked, created_at, subject_fold) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        connection_id,
        subject,
        user_id,
        linked,
        format_time(now),
        crate::identity::subject_fold(subject)
    ])?;
    Ok(())
}

pub fn set_status(conn: &rusqlite::Connection, id: i64, status: UserStatus, now: DateTime<Utc>) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE users SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, status_text(status), format_time(now)],
    )? > 0)
}

pub fn delete_user(conn: &rusqlite::Connection, id: i64) -> Result<bool> {
    Ok(conn.execute("DELETE FROM users WHERE id = ?1", [id])? > 0)
}

pub fn get_mapping(conn: &rusqlite::Connection, connection_id: i64) -> Result<Option<MappingDocument>> {
    let text: Option<String> = conn
        .prepare_cached("SELECT document FROM connection_mappings WHERE connection_id = ?1")?
        .query_row([connection_id], |r| r.get(0))
        .optional()?;
    text.map(|t| serde_json::from_str(&t).map_err(storage("mapping document"))).transpose()
}

pub fn set_mapping(
    conn: &rusqlite::Connection,
    connection_id: i64,
    doc: &MappingDocument,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO connection_mappings (connection_id, document, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT(connection_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
        params![connection_id, json(doc)?, format_time(now)],
    )?;
    Ok(())
}

/// One field that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct FieldChange {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub connection: String,
    pub subject: Option<String>,
    pub outcome: String,
    /// Denial code, or the failed check id of a rejected response.
    pub reason: Option<String>,
    /// For `rejected` and `denied`: the validation check (`audience`, `replay`...) or the
    /// provisioning rule (`missing_attribute`...) that stopped the login.
    #[serde(default)]
    pub failed_check: Option<String>,
    pub message: Option<String>,
    pub user_id: Option<i64>,
    pub diff: Vec<FieldChange>,
}

pub fn insert_audit(conn: &rusqlite::Connection, e: &AuditEntry, connection_id: Option<i64>) -> Result<i64> {
    insert_audit_row(conn, e, connection_id, true)
}

fn insert_audit_row(
    conn: &rusqlite::Connection,
    e: &AuditEntry,
    connection_id: Option<i64>,
    authenticated: bool,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, connection_id, connection_name, subject, outcome, reason, message, user_id, diff, \
         authenticated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        format_time(e.at),
        connection_id,
        e.connection,
        e.subject.as_deref().map(bounded),
        e.outcome,
        e.reason.as_deref().map(bounded),
        e.message.as_deref().map(bounded),
        e.user_id,
        json(&e.diff)?,
        authenticated,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// How often a connection's audit log records a rejected response that no IdP signature
/// vouches for: anyone (a web page the admin visits included) can post those in a loop, and
/// the log is append-only. Each is still a test-login record (the newest of them are kept).
pub const UNAUTHENTICATED_AUDIT_INTERVAL_SECONDS: i64 = 60;

/// Appends the audit row of a rejected, unauthenticated response, unless one was written for
/// this connection within the last [`UNAUTHENTICATED_AUDIT_INTERVAL_SECONDS`]. Returns whether
/// it wrote.
pub fn insert_unauthenticated_audit(
    conn: &rusqlite::Connection,
    e: &AuditEntry,
    connection_id: Option<i64>,
) -> Result<bool> {
    let since = e.at - chrono::Duration::seconds(UNAUTHENTICATED_AUDIT_INTERVAL_SECONDS);
    let recent: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE connection_name = ?1 AND authenticated = 0 \
             AND at > ?2 AND at <= ?3)",
        )?
        .query_row(params![e.connection, format_time(since), format_time(e.at)], |r| r.get(0))?;
    if recent {
        return Ok(false);
    }
    let message = format!(
        "{} [unauthenticated: no IdP signature verified; more such rejections within {} s are recorded as test \
         logins only]",
        e.message.as_deref().unwrap_or_default(),
        UNAUTHENTICATED_AUDIT_INTERVAL_SECONDS
    );
    insert_audit_row(conn, &AuditEntry { message: Some(message), ..e.clone() }, connection_id, false)?;
    Ok(true)
}

pub fn list_audit(
    conn: &rusqlite::Connection,
    connection: Option<&str>,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare(
        "SELECT id, at, connection_name, subject, outcome, reason, message, user_id, diff FROM audit_log \
         WHERE (?1 IS NULL OR connection_name = ?1) AND (?2 IS NULL OR at >= ?2) ORDER BY id",
    )?;
    let rows = stmt.query_map(params![connection, since.map(format_time)], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, Option<i64>>(7)?,
            r.get::<_, String>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, at, connection, subject, outcome, reason, message, user_id, diff) = row?;
        let failed_check = if outcome == "rejected" || outcome == "denied" { reason.clone() } else { None };
        out.push(AuditEntry {
            id,
            at: parse_time(&at)?,
            connection,
            subject,
            outcome,
            failed_check,
            reason,
            message,
            user_id,
            diff: serde_json::from_str(&diff).map_err(storage("audit diff"))?,
        });
    }
    Ok(out)
}
