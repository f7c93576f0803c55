//! The demo IdP's rows: its identity (the certificate and settings; the key lives in the
//! secret store) and its directory of people.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};
use serde::Deserialize;

use super::{Read, WriteTx, format_time, json};
use crate::certs::Certificate;
use crate::demo::{DemoIdentity, DemoStyle, Persona, SignMode, personas};
use crate::error::{Error, ErrorCode, Result};

fn storage(what: &str) -> Error {
    Error::new(ErrorCode::Storage, format!("the catalog holds an invalid demo IdP {what}"))
}

pub fn identity(db: &impl Read) -> Result<Option<DemoIdentity>> {
    let row: Option<(String, String, String, bool)> = db
        .db()
        .query_row("SELECT certificate, style, sign, encrypt FROM demo_idp WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((cert, style, sign, encrypt)) = row else {
        return Ok(None);
    };
    Ok(Some(DemoIdentity {
        certificate: Certificate::from_base64(&cert).map_err(|_| storage("certificate"))?,
        style: DemoStyle::parse(&style).ok_or_else(|| storage("style"))?,
        sign: SignMode::parse(&sign).ok_or_else(|| storage("signature setting"))?,
        encrypt,
    }))
}

/// Stores the demo IdP's certificate (a new key pair), keeping its settings when it exists.
pub fn save_certificate(tx: &WriteTx<'_>, certificate: &Certificate, now: DateTime<Utc>) -> Result<()> {
    tx.db().execute(
        "INSERT INTO demo_idp (id, certificate, style, sign, encrypt, created_at, updated_at) \
         VALUES (1, ?1, ?2, ?3, 0, ?4, ?4) \
         ON CONFLICT(id) DO UPDATE SET certificate = excluded.certificate, updated_at = excluded.updated_at",
        params![certificate.der_base64, DemoStyle::default().as_str(), SignMode::default().as_str(), format_time(now)],
    )?;
    Ok(())
}

/// Changes the demo IdP's style, signatures and encryption.
pub fn save_settings(
    tx: &WriteTx<'_>,
    style: DemoStyle,
    sign: SignMode,
    encrypt: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.db().execute(
        "UPDATE demo_idp SET style = ?1, sign = ?2, encrypt = ?3, updated_at = ?4 WHERE id = 1",
        params![style.as_str(), sign.as_str(), encrypt, format_time(now)],
    )?;
    Ok(())
}

pub fn has_personas(db: &impl Read) -> Result<bool> {
    Ok(db.db().query_row("SELECT EXISTS (SELECT 1 FROM demo_personas)", [], |r| r.get(0))?)
}

fn from_json<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| Error::new(ErrorCode::Storage, format!("the catalog holds an invalid demo persona: {e}")))
}

type Row = (String, String, String, String, String, String, String, String, String, String, bool);

pub fn personas(db: &impl Read) -> Result<Vec<Persona>> {
    let mut stmt = db.db().prepare_cached(
        "SELECT id, email, given_name, family_name, display_name, department, title, groups, extra, label, active \
         FROM demo_personas ORDER BY position, id",
    )?;
    let rows = stmt.query_map([], |r| {
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
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, email, given_name, family_name, display_name, department, title, groups, extra, label, active): Row =
            row?;
        out.push(Persona {
            id,
            email,
            given_name,
            family_name,
            display_name,
            department,
            title,
            groups: from_json(&groups)?,
            extra: from_json(&extra)?,
            label,
            active,
        });
    }
    Ok(out)
}

/// Inserts or replaces the persona with `p.id` (a new one goes last).
pub fn upsert_persona(tx: &WriteTx<'_>, p: &Persona, now: DateTime<Utc>) -> Result<()> {
    let conn = tx.db();
    let taken: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT id FROM demo_personas WHERE email = ?1 AND id <> ?2",
        params![p.email.trim(), p.id],
        |r| r.get(0),
    ))?;
    if let Some(other) = taken {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            format!("persona {other} already has the email {}; emails are unique at the IdP", p.email.trim()),
        ));
    }
    conn.execute(
        "INSERT INTO demo_personas (id, email, given_name, family_name, display_name, department, title, groups, extra, label, active, position, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, (SELECT coalesce(max(position), 0) + 1 FROM demo_personas), ?12) \
         ON CONFLICT(id) DO UPDATE SET email = excluded.email, given_name = excluded.given_name, \
         family_name = excluded.family_name, display_name = excluded.display_name, department = excluded.department, \
         title = excluded.title, groups = excluded.groups, extra = excluded.extra, label = excluded.label, \
         active = excluded.active, updated_at = excluded.updated_at",
        params![
            p.id,
            p.email.trim(),
            p.given_name.trim(),
            p.family_name.trim(),
            p.display_name.trim(),
            p.department.trim(),
            p.title.trim(),
            json(&p.groups)?,
            json(&p.extra)?,
            p.label,
            p.active,
            format_time(now)
        ],
    )?;
    Ok(())
}

pub fn remove_persona(tx: &WriteTx<'_>, id: &str) -> Result<bool> {
    Ok(tx.db().execute("DELETE FROM demo_personas WHERE id = ?1", [id])? > 0)
}

/// Replaces the whole directory with the defaults.
pub fn restore_default_personas(tx: &WriteTx<'_>, now: DateTime<Utc>) -> Result<()> {
    tx.db().execute("DELETE FROM demo_personas", [])?;
    for p in personas::defaults() {
        upsert_persona(tx, &p, now)?;
    }
    Ok(())
}

/// The demo's SCIM rows at a connection: its resources (group members go with them), request
/// log and login views. For "Reset demo data": the demo IdP's SCIM client starts over.
pub fn clear_scim(tx: &WriteTx<'_>, connection_id: i64) -> Result<u32> {
    let db = tx.db();
    let removed = db.execute("DELETE FROM scim_resources WHERE connection_id = ?1", [connection_id])?;
    db.execute("DELETE FROM scim_group_members WHERE connection_id = ?1", [connection_id])?;
    db.execute("DELETE FROM scim_requests WHERE connection_id = ?1", [connection_id])?;
    db.execute("DELETE FROM scim_login_views WHERE connection_id = ?1", [connection_id])?;
    Ok(u32::try_from(removed).unwrap_or(u32::MAX))
}

/// Whether the connection's SCIM client provisioned `email` (a live User resource).
pub fn scim_provisioned(db: &impl Read, connection_id: i64, email: &str) -> Result<bool> {
    Ok(db.db().query_row(
        "SELECT EXISTS (SELECT 1 FROM scim_resources WHERE connection_id = ?1 AND resource_type = 'User' \
         AND lower(name) = lower(?2) AND deleted_at IS NULL)",
        params![connection_id, email],
        |r| r.get(0),
    )?)
}

/// Whether a tombstone keeps `subject` from coming back at a connection.
pub fn scim_tombstone(db: &impl Read, connection_id: i64, subject: &str) -> Result<bool> {
    Ok(db.db().query_row(
        "SELECT EXISTS (SELECT 1 FROM scim_resources WHERE connection_id = ?1 AND resource_type = 'User' \
         AND (subject = ?2 OR lower(name) = lower(?2) OR external_id = ?2) AND deleted_at IS NOT NULL)",
        params![connection_id, subject],
        |r| r.get(0),
    )?)
}

/// Row counts of the tables a SCIM request may write.
pub fn row_counts(db: &impl Read) -> Result<crate::demo::RowCounts> {
    let count = |table: &str| -> Result<i64> {
        Ok(db.db().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
    };
    Ok(crate::demo::RowCounts {
        users: count("users")?,
        scim_resources: count("scim_resources")?,
        audit_log: count("audit_log")?,
        scim_requests: count("scim_requests")?,
    })
}

/// The newest audit row's id (0 when there is none).
pub fn last_audit_id(db: &impl Read) -> Result<i64> {
    Ok(db.db().query_row("SELECT coalesce(max(id), 0) FROM audit_log", [], |r| r.get(0))?)
}
