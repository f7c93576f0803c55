//! Test logins: the AuthnRequests the SP sent (outstanding, answered, expired) and the record
//! of every response that reached the ACS.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension as _, params};

use super::{Read, WriteTx, format_time, parse_time};
use crate::error::{Error, ErrorCode, Result};
use crate::login::{LoginKind, Outcome, ProvisionReport, Stop, TestLogin, TestLoginSummary};

/// An AuthnRequest this SP issued, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    pub id: String,
    pub return_to: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

/// Records an outstanding AuthnRequest. Requests a day past their expiry are dropped (they
/// only need to be known as "expired" for a while), and at most `keep` stay per connection,
/// the newest: a page that opens the login URL in a loop must not grow the catalog.
pub fn insert_request(
    tx: &WriteTx<'_>,
    id: &str,
    connection_id: i64,
    return_to: Option<&str>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    keep: i64,
) -> Result<()> {
    let conn = tx.db();
    conn.execute("DELETE FROM authn_requests WHERE expires_at < ?1", [format_time(now - Duration::days(1))])?;
    conn.execute(
        "DELETE FROM authn_requests WHERE connection_id = ?1 AND id NOT IN \
         (SELECT id FROM authn_requests WHERE connection_id = ?1 ORDER BY created_at DESC, id LIMIT ?2)",
        params![connection_id, keep - 1],
    )?;
    conn.execute(
        "INSERT INTO authn_requests (id, connection_id, return_to, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, connection_id, return_to, format_time(now), format_time(expires_at)],
    )?;
    Ok(())
}

pub fn find_request(db: &impl Read, id: &str, connection_id: i64) -> Result<Option<StoredRequest>> {
    let row: Option<(String, Option<String>, String, Option<String>)> = db
        .db()
        .query_row(
            "SELECT id, return_to, expires_at, used_at FROM authn_requests WHERE id = ?1 AND connection_id = ?2",
            params![id, connection_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    row.map(|(id, return_to, expires_at, used_at)| {
        Ok(StoredRequest { id, return_to, expires_at: parse_time(&expires_at)?, used: used_at.is_some() })
    })
    .transpose()
}

/// Marks a request answered; `false` when another response answered it first.
pub fn answer_request(tx: &WriteTx<'_>, id: &str, now: DateTime<Utc>) -> Result<bool> {
    Ok(tx.db().execute(
        "UPDATE authn_requests SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
        params![id, format_time(now)],
    )? == 1)
}

pub fn delete_requests_of(tx: &WriteTx<'_>, connection_id: i64) -> Result<()> {
    tx.db().execute("DELETE FROM authn_requests WHERE connection_id = ?1", [connection_id])?;
    Ok(())
}

/// A test login to store; `authenticated` says an IdP signature verified.
pub struct NewTestLogin<'a> {
    pub at: DateTime<Utc>,
    pub connection_id: i64,
    pub connection: &'a str,
    pub kind: LoginKind,
    pub request_id: Option<&'a str>,
    pub report: &'a ProvisionReport,
    pub response_xml: Option<&'a str>,
    pub response_xml_bytes: Option<usize>,
    pub authenticated: bool,
    /// What `response_xml` holds.
    pub document_format: DocumentFormat,
}

/// What a test login's stored document is: a SAMLResponse's XML, or an OIDC login's JSON
/// (decoded header and claims; never the compact token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DocumentFormat {
    #[default]
    SamlXml,
    OidcJson,
}

impl DocumentFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentFormat::SamlXml => "saml_xml",
            DocumentFormat::OidcJson => "oidc_json",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [DocumentFormat::SamlXml, DocumentFormat::OidcJson].into_iter().find(|f| f.as_str() == s)
    }
}

/// The format of test login `id`'s stored document (`None`: no such login).
pub fn document_format(db: &impl Read, id: i64) -> Result<Option<DocumentFormat>> {
    let text: Option<String> =
        db.db().query_row("SELECT document_format FROM test_logins WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    text.map(|t| {
        DocumentFormat::parse(&t).ok_or_else(|| {
            Error::new(ErrorCode::Storage, format!("test login {id} has an unknown document format {t:?}"))
        })
    })
    .transpose()
}

fn encode(report: &ProvisionReport) -> Result<String> {
    serde_json::to_string(report).map_err(|e| Error::new(ErrorCode::Internal, format!("cannot encode: {e}")))
}

/// Stores a test login; returns its id. Of the records no IdP signature vouches for (anyone
/// can post one), only the newest `keep_unauthenticated` stay per connection.
pub fn insert_test_login(tx: &WriteTx<'_>, t: &NewTestLogin<'_>, keep_unauthenticated: i64) -> Result<i64> {
    let conn = tx.db();
    conn.execute(
        "INSERT INTO test_logins (at, connection_id, connection_name, kind, request_id, outcome, failed_check, user_id, \
         response_xml, report, response_xml_bytes, authenticated, document_format) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            format_time(t.at),
            t.connection_id,
            t.connection,
            t.kind.as_str(),
            t.request_id,
            t.report.outcome.as_str(),
            t.report.failed_check.map(Stop::as_str),
            t.report.user.as_ref().map(|u| u.id),
            t.response_xml,
            encode(t.report)?,
            t.response_xml_bytes.and_then(|n| i64::try_from(n).ok()),
            t.authenticated,
            t.document_format.as_str(),
        ],
    )?;
    let id = conn.last_insert_rowid();
    if !t.authenticated {
        conn.execute(
            "DELETE FROM test_logins WHERE connection_id = ?1 AND authenticated = 0 AND id NOT IN \
             (SELECT id FROM test_logins WHERE connection_id = ?1 AND authenticated = 0 ORDER BY id DESC LIMIT ?2)",
            params![t.connection_id, keep_unauthenticated],
        )?;
    }
    Ok(id)
}

pub fn test_login(db: &impl Read, id: i64) -> Result<Option<TestLogin>> {
    type Row = (String, String, String, Option<String>, Option<String>, String, Option<i64>);
    let row: Option<Row> = db
        .db()
        .query_row(
            "SELECT at, connection_name, kind, request_id, response_xml, report, response_xml_bytes \
             FROM test_logins WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )
        .optional()?;
    let Some((at, connection, kind, request_id, response_xml, report, response_xml_bytes)) = row else {
        return Ok(None);
    };
    let report: ProvisionReport = serde_json::from_str(&report)
        .map_err(|e| Error::new(ErrorCode::Storage, format!("test login {id} has an unreadable report: {e}")))?;
    Ok(Some(TestLogin {
        id,
        at: parse_time(&at)?,
        connection,
        kind: LoginKind::parse(&kind),
        request_id,
        return_to: None,
        report,
        response_xml,
        response_xml_bytes: response_xml_bytes.and_then(|n| usize::try_from(n).ok()),
    }))
}

/// Test logins, newest first, of one connection or all.
pub fn test_logins(db: &impl Read, connection: Option<&str>, limit: u32) -> Result<Vec<TestLoginSummary>> {
    summaries(db, connection, limit, false)
}

/// The newest test login of a connection that an admin started (not a demo run): what the
/// connection's health reflects.
pub fn last_admin_test_login(db: &impl Read, connection: &str) -> Result<Option<TestLoginSummary>> {
    Ok(summaries(db, Some(connection), 1, true)?.into_iter().next())
}

/// The newest test login's id (0 when there is none).
pub fn last_test_login_id(db: &impl Read) -> Result<i64> {
    Ok(db.db().query_row("SELECT coalesce(max(id), 0) FROM test_logins", [], |r| r.get(0))?)
}

/// Marks the connection's test logins after `after_id` up to `upto_id` as demo runs (a
/// scenario or story step drove them): they no longer count for the connection's health.
pub fn mark_demo_runs(tx: &WriteTx<'_>, connection: &str, after_id: i64, upto_id: i64) -> Result<usize> {
    Ok(tx.db().execute(
        "UPDATE test_logins SET purpose = 'demo_run' WHERE connection_name = ?1 AND id > ?2 AND id <= ?3",
        params![connection, after_id, upto_id],
    )?)
}

fn summaries(db: &impl Read, connection: Option<&str>, limit: u32, admin_only: bool) -> Result<Vec<TestLoginSummary>> {
    let mut stmt = db.db().prepare_cached(
        "SELECT id, at, connection_name, kind, outcome, failed_check, user_id FROM test_logins \
         WHERE (?1 IS NULL OR connection_name = ?1) AND (?3 = 0 OR purpose = 'test') ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![connection, limit, admin_only], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, at, connection, kind, outcome, failed_check, user_id) = row?;
        let outcome = Outcome::parse(&outcome).ok_or_else(|| {
            Error::new(ErrorCode::Storage, format!("test login {id} has an unknown outcome {outcome:?}"))
        })?;
        out.push(TestLoginSummary {
            id,
            at: parse_time(&at)?,
            connection,
            kind: LoginKind::parse(&kind),
            outcome,
            failed_check: failed_check.as_deref().and_then(Stop::parse),
            user_id,
        });
    }
    Ok(out)
}

/// Removes the test logins of a connection; returns how many.
pub fn delete_test_logins_of(tx: &WriteTx<'_>, connection: &str) -> Result<u32> {
    let n = tx.db().execute("DELETE FROM test_logins WHERE connection_name = ?1", [connection])?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}
