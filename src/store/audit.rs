//! The append-only audit log: one row per login attempt and admin action.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Read, WriteTx, bounded, format_time, json, parse_time};
use crate::directory::{AdminAction, AuditEntry, AuditKind, AuditQuery, ScimAction};
use crate::error::{Error, ErrorCode, Result};
use crate::login::{Outcome, Stop};

pub fn insert_audit(tx: &WriteTx<'_>, e: &AuditEntry, connection_id: Option<i64>) -> Result<i64> {
    let conn = tx.db();
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
         authenticated, kind, actor, action, request) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        format_time(e.at),
        connection_id,
        e.connection,
        e.subject.as_deref().map(bounded),
        e.outcome.map(Outcome::as_str),
        e.failed_check.map(Stop::as_str),
        e.message.as_deref().map(bounded),
        e.user_id,
        json(&e.diff)?,
        authenticated,
        e.kind.as_str(),
        e.actor.as_deref().map(bounded),
        // Admin rows name an admin action, SCIM rows a SCIM one (the CHECK ties them to `kind`).
        e.action.map(AdminAction::as_str).or(e.scim_action.map(ScimAction::as_str)),
        e.request.as_ref().map(json).transpose()?,
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
pub fn insert_unauthenticated_audit(tx: &WriteTx<'_>, e: &AuditEntry, connection_id: Option<i64>) -> Result<bool> {
    let conn = tx.db();
    let since =
        e.at.checked_sub_signed(chrono::Duration::seconds(UNAUTHENTICATED_AUDIT_INTERVAL_SECONDS))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
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

/// Audit rows matching `query`, newest first.
pub fn list_audit(db: &impl Read, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let text = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let mut stmt = db.db().prepare_cached(
        "SELECT id, at, connection_name, subject, outcome, reason, message, user_id, diff, kind, actor, action, request \
         FROM audit_log \
         WHERE (?1 IS NULL OR connection_name = ?1) AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR outcome = ?3) \
           AND (?4 IS NULL OR user_id = ?4) \
           AND (?5 IS NULL OR instr(handshake_fold(coalesce(subject, '') || char(10) || coalesce(message, '') \
                || char(10) || coalesce(reason, '') || char(10) || coalesce(actor, '')), handshake_fold(?5)) > 0) \
           AND (?6 IS NULL OR kind = ?6) AND (?7 IS NULL OR action = ?7) \
         ORDER BY id DESC",
    )?;
    let rows = stmt.query_map(
        params![
            query.connection,
            query.since.map(format_time),
            query.outcome.map(Outcome::as_str),
            query.user_id,
            text,
            query.kind.map(AuditKind::as_str),
            query.action.map(AdminAction::as_str),
        ],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, String>(8)?,
                (r.get::<_, String>(9)?, r.get::<_, Option<String>>(10)?, r.get::<_, Option<String>>(11)?),
                r.get::<_, Option<String>>(12)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (id, at, connection, subject, outcome, reason, message, user_id, diff, (kind, actor, action), request) =
            row?;
        let unknown = |what: &str, value: &str| {
            Error::new(ErrorCode::Storage, format!("audit row {id} has an unknown {what} {value:?}"))
        };
        let outcome = outcome.map(|o| Outcome::parse(&o).ok_or_else(|| unknown("outcome", &o))).transpose()?;
        let kind = AuditKind::parse(&kind).ok_or_else(|| unknown("kind", &kind))?;
        let (action, scim_action) = match (kind, action) {
            (AuditKind::Scim, Some(a)) => {
                (None, Some(ScimAction::parse(&a).ok_or_else(|| unknown("SCIM action", &a))?))
            }
            (_, Some(a)) => (Some(AdminAction::parse(&a).ok_or_else(|| unknown("action", &a))?), None),
            (_, None) => (None, None),
        };
        let request = request.map(|r| serde_json::from_str(&r).map_err(super::storage("audit request"))).transpose()?;
        out.push(AuditEntry {
            id,
            at: parse_time(&at)?,
            connection,
            subject,
            outcome,
            failed_check: reason.as_deref().and_then(Stop::parse),
            message,
            user_id,
            diff: serde_json::from_str(&diff).map_err(super::storage("audit diff"))?,
            kind,
            actor,
            action,
            scim_action,
            request,
        });
    }
    Ok(out)
}
