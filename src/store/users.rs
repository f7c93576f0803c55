//! Accounts and their IdP identities: (connection, subject) → account, the canonical email
//! key and skeleton beside each address (src/identity), and the lookups provisioning makes.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, Row, ToSql, params};

use super::{Read, WriteTx, format_time, insert_row, json, parse_time, storage, update_row};
use crate::directory::{Identity, User, UserSource, UserStatus};
use crate::error::Result;

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
        source: match raw.source.as_str() {
            "manual" => UserSource::Manual,
            "scim" => UserSource::Scim,
            _ => UserSource::Jit,
        },
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

pub fn user_by_id(db: &impl Read, id: i64) -> Result<Option<User>> {
    let conn = db.db();
    one_user(conn, "u.id = ?1", &id)
}

/// The account that owns this canonical address ([`crate::identity::email`]): the one
/// holding it verified. At most one can (a partial UNIQUE index).
pub fn verified_owner(db: &impl Read, key: &str) -> Result<Option<User>> {
    let conn = db.db();
    one_user(conn, "u.email_canonical = ?1 AND u.email_verified = 1", &key)
}

/// An account other than `except` that holds this canonical address, verified or not (the
/// verified one first).
pub fn email_holder(db: &impl Read, key: &str, except: Option<i64>) -> Result<Option<User>> {
    let conn = db.db();
    let id: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM users WHERE email_canonical = ?1 AND id IS NOT ?2 ORDER BY email_verified DESC, id LIMIT 1",
        )?
        .query_row(params![key, except], |r| r.get(0))
        .optional()?;
    id.map_or(Ok(None), |id| user_by_id(db, id))
}

/// An account other than `except` whose address looks like `email` on screen but is another
/// address (a look-alike). With `other_non_ascii`, only accounts whose stored address has a
/// non-ASCII character count (two plain-ASCII addresses, such as `clara@` and `dara@`, may
/// share a skeleton and are still different people).
pub fn look_alike(
    db: &impl Read,
    email: &str,
    key: Option<&str>,
    except: Option<i64>,
    other_non_ascii: bool,
) -> Result<Option<User>> {
    let conn = db.db();
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
    id.map_or(Ok(None), |id| user_by_id(db, id))
}

/// The subject of an identity at `connection_id` that differs from `subject` only by
/// letter case, or (when either of the two has a non-ASCII character) only by look-alike or
/// invisible characters, with its account. Two different plain-ASCII subjects never count
/// as look-alikes (`clara@` and `dara@` share a UTS #39 skeleton, yet are different people).
pub fn folded_identity(db: &impl Read, connection_id: i64, subject: &str) -> Result<Option<(String, i64)>> {
    let conn = db.db();
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
pub fn identity_subject_at(db: &impl Read, connection_id: i64, user_id: i64) -> Result<Option<String>> {
    let conn = db.db();
    Ok(conn
        .prepare_cached("SELECT subject FROM user_identities WHERE connection_id = ?1 AND user_id = ?2")?
        .query_row(params![connection_id, user_id], |r| r.get(0))
        .optional()?)
}

pub fn user_by_identity(db: &impl Read, connection_id: i64, subject: &str) -> Result<Option<User>> {
    let conn = db.db();
    let id: Option<i64> = conn
        .prepare_cached("SELECT user_id FROM user_identities WHERE connection_id = ?1 AND subject = ?2")?
        .query_row(params![connection_id, subject], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => user_by_id(db, id),
        None => Ok(None),
    }
}

/// Users created by `connection` or with an identity at it (all when `None`), whose email,
/// names, username, groups or roles contain `text` (letter case ignored), oldest first.
pub fn list_users(db: &impl Read, connection: Option<&str>, text: Option<&str>) -> Result<Vec<User>> {
    let conn = db.db();
    // handshake_fold: Unicode lower case (src/store/functions.rs), so "ÉLO" finds "élodie".
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users u LEFT JOIN connections c ON c.id = u.connection_id \
         WHERE (?1 IS NULL OR c.name = ?1 OR u.id IN (SELECT i.user_id FROM user_identities i \
                JOIN connections ic ON ic.id = i.connection_id WHERE ic.name = ?1)) \
           AND (?2 IS NULL OR instr(handshake_fold(coalesce(u.email, '') || char(10) || coalesce(u.username, '') \
                || char(10) || coalesce(u.given_name, '') || char(10) || coalesce(u.family_name, '') || char(10) \
                || coalesce(u.display_name, '') || char(10) || u.groups || char(10) || u.roles), handshake_fold(?2)) > 0) \
         ORDER BY u.id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let raws: Vec<RawUser> = stmt.query_map(params![connection, text], raw_user)?.collect::<rusqlite::Result<_>>()?;
    raws.into_iter().map(|r| finish(conn, r)).collect()
}

/// How many users [`list_users`] would list for `connection`: created by it or with an identity at it.
pub fn count_users(db: &impl Read, connection: &str) -> Result<i64> {
    let conn = db.db();
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM users u LEFT JOIN connections c ON c.id = u.connection_id \
         WHERE c.name = ?1 OR u.id IN (SELECT i.user_id FROM user_identities i JOIN connections ic ON ic.id = i.connection_id WHERE ic.name = ?1)",
        [connection],
        |r| r.get(0),
    )?)
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

/// What both an insert and an update write, column by column: the account's fields and the
/// email's matching keys.
fn written(user: &User) -> Result<Vec<(&'static str, Box<dyn ToSql + '_>)>> {
    let (key, skeleton) = email_keys(user.email.as_deref());
    let verified = user.email_verified && key.is_some();
    Ok(vec![
        ("email", Box::new(&user.email)),
        ("username", Box::new(&user.username)),
        ("given_name", Box::new(&user.given_name)),
        ("family_name", Box::new(&user.family_name)),
        ("display_name", Box::new(&user.display_name)),
        ("groups", Box::new(json(&user.groups)?)),
        ("roles", Box::new(json(&user.roles)?)),
        ("custom", Box::new(json(&user.custom)?)),
        ("status", Box::new(status_text(user.status))),
        ("first_login", Box::new(user.first_login.map(format_time))),
        ("last_login", Box::new(user.last_login.map(format_time))),
        ("login_count", Box::new(user.login_count)),
        ("updated_at", Box::new(format_time(user.updated_at))),
        ("email_canonical", Box::new(key)),
        ("email_skeleton", Box::new(skeleton)),
        ("email_verified", Box::new(verified)),
        ("email_source", Box::new(&user.email_source)),
    ])
}

/// Inserts `user` (its `id` is ignored) and returns the new id.
pub fn insert_user(tx: &WriteTx<'_>, user: &User, connection_id: Option<i64>) -> Result<i64> {
    let source = match user.source {
        UserSource::Manual => "manual",
        UserSource::Scim => "scim",
        UserSource::Jit => "jit",
    };
    let mut columns: Vec<(&'static str, Box<dyn ToSql + '_>)> = vec![
        ("connection_id", Box::new(connection_id)),
        ("source", Box::new(source)),
        ("created_at", Box::new(format_time(user.created_at))),
    ];
    columns.extend(written(user)?);
    Ok(insert_row(tx.db(), "users", &refs(&columns))?)
}

fn refs<'v>(columns: &'v [(&'static str, Box<dyn ToSql + '_>)]) -> Vec<(&'static str, &'v dyn ToSql)> {
    columns.iter().map(|(name, value)| (*name, value.as_ref() as &dyn ToSql)).collect()
}

pub fn update_user(tx: &WriteTx<'_>, user: &User) -> Result<()> {
    update_row(tx.db(), "users", user.id, &refs(&written(user)?))?;
    Ok(())
}

pub fn insert_identity(
    tx: &WriteTx<'_>,
    connection_id: i64,
    subject: &str,
    user_id: i64,
    linked: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let conn = tx.db();
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

pub fn set_status(tx: &WriteTx<'_>, id: i64, status: UserStatus, now: DateTime<Utc>) -> Result<bool> {
    let conn = tx.db();
    Ok(conn.execute(
        "UPDATE users SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, status_text(status), format_time(now)],
    )? > 0)
}

pub fn delete_user(tx: &WriteTx<'_>, id: i64) -> Result<bool> {
    let conn = tx.db();
    Ok(conn.execute("DELETE FROM users WHERE id = ?1", [id])? > 0)
}

/// Where an identity came from: a login linked or created it, or a SCIM client named the
/// subject before any login (`user_identities.origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityOrigin {
    Login,
    Scim,
}

impl IdentityOrigin {
    fn as_str(self) -> &'static str {
        match self {
            IdentityOrigin::Login => "login",
            IdentityOrigin::Scim => "scim",
        }
    }
}

/// Inserts an identity a SCIM client named (origin `scim`, not linked).
pub fn insert_scim_identity(
    tx: &WriteTx<'_>,
    connection_id: i64,
    subject: &str,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let conn = tx.db();
    conn.prepare_cached(
        "INSERT INTO user_identities (connection_id, subject, user_id, linked, created_at, subject_fold, origin) \
         VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6)",
    )?
    .execute(params![
        connection_id,
        subject,
        user_id,
        format_time(now),
        crate::identity::subject_fold(subject),
        IdentityOrigin::Scim.as_str()
    ])?;
    Ok(())
}

/// The origin of the identity (`connection_id`, `subject`), if there is one.
pub fn identity_origin(db: &impl Read, connection_id: i64, subject: &str) -> Result<Option<IdentityOrigin>> {
    let conn = db.db();
    let origin: Option<String> = conn
        .prepare_cached("SELECT origin FROM user_identities WHERE connection_id = ?1 AND subject = ?2")?
        .query_row(params![connection_id, subject], |r| r.get(0))
        .optional()?;
    Ok(origin.map(|o| if o == "scim" { IdentityOrigin::Scim } else { IdentityOrigin::Login }))
}

/// Gives `user_id`'s identity at `connection_id` a new subject (a SCIM client changed the
/// attribute the match rule reads); whether there was one to change.
pub fn rekey_identity(tx: &WriteTx<'_>, connection_id: i64, user_id: i64, subject: &str) -> Result<bool> {
    let conn = tx.db();
    Ok(conn
        .prepare_cached(
            "UPDATE user_identities SET subject = ?3, subject_fold = ?4 WHERE connection_id = ?1 AND user_id = ?2",
        )?
        .execute(params![connection_id, user_id, subject, crate::identity::subject_fold(subject)])?
        > 0)
}

/// Who last wrote each field of the account (`users.field_sources`).
pub fn field_sources(
    db: &impl Read,
    user_id: i64,
) -> Result<std::collections::BTreeMap<String, crate::directory::FieldSource>> {
    let conn = db.db();
    let text: Option<String> = conn
        .prepare_cached("SELECT field_sources FROM users WHERE id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?;
    text.map_or(Ok(Default::default()), |t| serde_json::from_str(&t).map_err(storage("field sources")))
}

/// Records that `by` wrote these fields of the account at `at` (other fields keep theirs).
pub fn record_field_sources(
    tx: &WriteTx<'_>,
    user_id: i64,
    fields: &[String],
    by: crate::directory::FieldWriter,
    at: DateTime<Utc>,
) -> Result<()> {
    if fields.is_empty() {
        return Ok(());
    }
    let mut sources = field_sources(tx, user_id)?;
    for field in fields {
        sources.insert(field.clone(), crate::directory::FieldSource { by, at });
    }
    tx.db()
        .prepare_cached("UPDATE users SET field_sources = ?2 WHERE id = ?1")?
        .execute(params![user_id, json(&sources)?])?;
    Ok(())
}
