//! Test logins through the embedded SP: start an SP-initiated login (AuthnRequest by
//! HTTP-Redirect), complete it at the ACS (validate, map, provision), and keep a record of
//! every attempt with the decoded response for inspection.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension as _, params};
use samael::schema::{AuthnRequest, Issuer, NameIdPolicy};
use serde::{Deserialize, Serialize};

use crate::connection::{BINDING_HTTP_POST, BINDING_HTTP_REDIRECT};
use crate::error::{Error, ErrorCode, Result};
use crate::store::{MAX_STORED_FIELD_BYTES, bounded, cut, format_time, parse_time};
use crate::validate::{self, CheckId, CheckStatus};
use crate::workbench::{Expect, ProvisionReport, Workbench};

/// How long an AuthnRequest waits for its answer.
pub const REQUEST_LIFETIME_MINUTES: i64 = 10;

/// AuthnRequests kept per connection (outstanding, answered or recently expired); the
/// oldest go first. Far more than anyone starts by hand in a day.
pub const MAX_OUTSTANDING_REQUESTS: i64 = 1000;

/// Records kept per connection of posts no IdP signature vouches for (the newest ones).
pub const MAX_KEPT_GARBAGE: i64 = 100;

/// Largest decoded response kept with a test login; a longer one is cut, and the record
/// says so (`response_xml_bytes`). Real responses are a few KB, big group lists a few
/// hundred KB.
pub const MAX_STORED_RESPONSE_BYTES: usize = 512 * 1024;

/// Where the browser goes to log in.
#[derive(Debug, Clone, Serialize)]
pub struct LoginStart {
    pub request_id: String,
    pub redirect_url: String,
    pub signed: bool,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum LoginKind {
    SpInitiated,
    IdpInitiated,
    /// The response names a request this SP did not issue or already answered.
    UnknownRequest,
}

impl LoginKind {
    fn as_str(self) -> &'static str {
        match self {
            LoginKind::SpInitiated => "sp_initiated",
            LoginKind::IdpInitiated => "idp_initiated",
            LoginKind::UnknownRequest => "unknown_request",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "sp_initiated" => LoginKind::SpInitiated,
            "idp_initiated" => LoginKind::IdpInitiated,
            _ => LoginKind::UnknownRequest,
        }
    }
}

/// One test login, as stored and as the result page and the app show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct TestLogin {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub connection: String,
    pub kind: LoginKind,
    pub request_id: Option<String>,
    /// A path inside Handshake to offer after the result (never a URL elsewhere).
    pub return_to: Option<String>,
    pub report: ProvisionReport,
    /// The decoded Response XML (it holds no secret of ours); kept only when the input was a
    /// SAML Response, and at most [`MAX_STORED_RESPONSE_BYTES`] of it.
    pub response_xml: Option<String>,
    /// The decoded response's full size when `response_xml` holds only its beginning.
    #[cfg_attr(feature = "typescript", ts(type = "number | null"))]
    pub response_xml_bytes: Option<usize>,
}

/// A short line per test login, for lists.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct TestLoginSummary {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub connection: String,
    pub kind: LoginKind,
    pub outcome: String,
    pub failed_check: Option<String>,
    pub user_id: Option<i64>,
}

/// (at, connection, kind, request id, response XML, report JSON, full XML size) of a stored test login.
type StoredRow = (String, String, String, Option<String>, Option<String>, String, Option<i64>);

/// An AuthnRequest this SP issued, as stored.
struct StoredRequest {
    id: String,
    return_to: Option<String>,
    expires_at: DateTime<Utc>,
    used: bool,
}

fn find_request(conn: &rusqlite::Connection, id: &str, connection_id: i64) -> Result<Option<StoredRequest>> {
    let row: Option<(String, Option<String>, String, Option<String>)> = conn
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

/// Caps every free-text field of a report before it is stored and shown: values from an
/// unauthenticated response (a StatusMessage, a root element name) can be megabytes long.
fn bound_for_storage(report: &mut ProvisionReport) {
    let bound = |s: &mut String| {
        if let std::borrow::Cow::Owned(b) = bounded(s) {
            *s = b;
        }
    };
    for check in &mut report.checks {
        bound(&mut check.expected);
        bound(&mut check.actual);
        if let Some(h) = check.hint.as_mut() {
            bound(h);
        }
    }
    for field in [&mut report.message, &mut report.reason, &mut report.failed_check].into_iter().flatten() {
        bound(field);
    }
}

/// A return path is kept only when it stays inside Handshake: an absolute path, no scheme,
/// no host (`//evil.example`), no backslash tricks.
pub fn safe_return_path(path: &str) -> Option<String> {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.contains("://")
        && path.len() <= 512
        && path.chars().all(|c| !c.is_control());
    ok.then(|| path.to_owned())
}

fn random_id() -> Result<String> {
    let mut bytes = [0u8; 20]; // 160 bits
    openssl::rand::rand_bytes(&mut bytes)
        .map_err(|e| Error::new(ErrorCode::Internal, format!("no randomness: {e}")))?;
    Ok(format!("_{}", hex::encode(bytes)))
}

impl Workbench {
    /// Builds an AuthnRequest for the connection (signed when the connection or the IdP asks),
    /// records it as outstanding, and returns the IdP URL to send the browser to.
    pub fn start_login(&self, name: &str, now: DateTime<Utc>, return_to: Option<&str>) -> Result<LoginStart> {
        let c = self.store().get_connection(name)?;
        let sso = c.idp.sso_for(BINDING_HTTP_REDIRECT).ok_or_else(|| {
            Error::invalid(format!(
                "the IdP of {name} offers no HTTP-Redirect SSO endpoint, so Handshake cannot start a login there; \
                 start it at the IdP (IdP-initiated) instead"
            ))
        })?;
        let sp = c.sp.resolve(&c.name, self.base_url());
        let id = random_id()?;
        let request = AuthnRequest {
            id: id.clone(),
            version: "2.0".into(),
            issue_instant: now,
            destination: Some(sso.location.clone()),
            issuer: Some(Issuer { value: Some(sp.entity_id.clone()), ..Issuer::default() }),
            assertion_consumer_service_url: Some(sp.acs_url.clone()),
            protocol_binding: Some(BINDING_HTTP_POST.into()),
            name_id_policy: Some(NameIdPolicy { allow_create: Some(true), ..NameIdPolicy::default() }),
            ..AuthnRequest::default()
        };
        let signed = c.policy.sign_authn_requests || c.idp.want_authn_requests_signed;
        // The request ID doubles as RelayState: opaque, and nothing the IdP sends back is
        // ever used as a redirect target.
        let url = if signed {
            let key = self.load_sp_key(&c.name).map_err(|m| Error::new(ErrorCode::SecretMissing, m))?;
            request.signed_redirect(&id, key.expose())
        } else {
            request.redirect(&id)
        }
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot build the AuthnRequest: {e}")))?
        .ok_or_else(|| Error::new(ErrorCode::Internal, "the AuthnRequest has no destination"))?;
        let expires_at = now + Duration::minutes(REQUEST_LIFETIME_MINUTES);
        let tx = self.store().write_transaction()?;
        // Requests long past their expiry only need to be known as "expired" for a while, and
        // a page that opens the login URL in a loop must not grow the catalog without bound.
        tx.execute("DELETE FROM authn_requests WHERE expires_at < ?1", [format_time(now - Duration::days(1))])?;
        tx.execute(
            "DELETE FROM authn_requests WHERE connection_id = ?1 AND id NOT IN \
             (SELECT id FROM authn_requests WHERE connection_id = ?1 ORDER BY created_at DESC, id LIMIT ?2)",
            params![c.id, MAX_OUTSTANDING_REQUESTS - 1],
        )?;
        tx.execute(
            "INSERT INTO authn_requests (id, connection_id, return_to, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, c.id, return_to.and_then(safe_return_path), format_time(now), format_time(expires_at)],
        )?;
        tx.commit()?;
        Ok(LoginStart { request_id: id, redirect_url: url.to_string(), signed, expires_at })
    }

    /// The ACS: matches the response to its outstanding request (if any), validates, maps
    /// and provisions it, and stores the test login. Everything the login writes (the
    /// request marked answered, the replay key, the account, the audit row and the test-login
    /// record) commits in one transaction, or nothing does.
    pub fn complete_login(&self, name: &str, saml_response: &str, now: DateTime<Utc>) -> Result<TestLogin> {
        let c = self.store().get_connection(name)?;
        let claimed = validate::peek_in_response_to(saml_response);
        let request = match &claimed {
            Some(id) => find_request(self.store().raw(), id, c.id)?,
            None => None,
        };
        let (mut kind, outstanding, expired, return_to) = match &request {
            None if claimed.is_none() => (LoginKind::IdpInitiated, None, None, None),
            None | Some(StoredRequest { used: true, .. }) => (LoginKind::UnknownRequest, None, None, None),
            Some(r) if r.expires_at <= now => (LoginKind::SpInitiated, None, Some(r.id.as_str()), r.return_to.clone()),
            Some(r) => (LoginKind::SpInitiated, Some(r.id.as_str()), None, r.return_to.clone()),
        };
        // Judged before the write lock is taken: validation is the slow part.
        let mut report =
            self.validate_for(&c, saml_response, now, Expect { in_response_to: outstanding, expired_request: expired });
        let tx = self.store().write_transaction()?;
        if let Some(id) = outstanding {
            // A request is answered once, whatever the outcome.
            let answered = tx.execute(
                "UPDATE authn_requests SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
                params![id, format_time(now)],
            )?;
            if answered == 0 {
                // Another response answered it meanwhile: judge this one as answering nothing.
                kind = LoginKind::UnknownRequest;
                report = self.validate_for(&c, saml_response, now, Expect::default());
            }
        }
        crate::provision::fault("after_request_used");
        let mut login = crate::workbench::record_judged_login(&tx, &c, &report, now, false)?;
        bound_for_storage(&mut login);
        // Kept only when it is a SAML Response at all (the parse check passed), and cut to size.
        let is_response = report.checks.iter().any(|r| r.id == CheckId::Parse && r.status == CheckStatus::Pass);
        let authenticated = report.authenticated();
        let (response_xml, response_xml_bytes) = match report.response_xml.as_deref().filter(|_| is_response) {
            Some(xml) if xml.len() > MAX_STORED_RESPONSE_BYTES => {
                (Some(cut(xml, MAX_STORED_RESPONSE_BYTES).to_owned()), Some(xml.len()))
            }
            Some(xml) => (Some(xml.to_owned()), None),
            None => (None, None),
        };
        let report_json = serde_json::to_string(&login)
            .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot encode: {e}")))?;
        tx.execute(
            "INSERT INTO test_logins (at, connection_id, connection_name, kind, request_id, outcome, failed_check, user_id, \
             response_xml, report, response_xml_bytes, authenticated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                format_time(now),
                c.id,
                c.name,
                kind.as_str(),
                claimed.as_deref().map(|r| cut(r, MAX_STORED_FIELD_BYTES)),
                login.outcome.as_str(),
                login.failed_check,
                login.user.as_ref().map(|u| u.id),
                response_xml,
                report_json,
                response_xml_bytes.and_then(|n| i64::try_from(n).ok()),
                authenticated,
            ],
        )?;
        let id = tx.last_insert_rowid();
        if !authenticated {
            // Anything can be posted to an ACS (cross-site forms included): keep only the
            // newest records of responses no IdP signature vouches for.
            tx.execute(
                "DELETE FROM test_logins WHERE connection_id = ?1 AND authenticated = 0 AND id NOT IN \
                 (SELECT id FROM test_logins WHERE connection_id = ?1 AND authenticated = 0 ORDER BY id DESC LIMIT ?2)",
                params![c.id, MAX_KEPT_GARBAGE],
            )?;
        }
        crate::provision::fault("after_test_login_row");
        tx.commit()?;
        Ok(TestLogin {
            id,
            at: now,
            connection: c.name,
            kind,
            request_id: claimed.map(|r| cut(&r, MAX_STORED_FIELD_BYTES).to_owned()),
            return_to,
            report: login,
            response_xml,
            response_xml_bytes,
        })
    }

    pub fn test_login(&self, id: i64) -> Result<TestLogin> {
        let row: Option<StoredRow> = self
            .store()
            .raw()
            .query_row(
                "SELECT at, connection_name, kind, request_id, response_xml, report, response_xml_bytes \
                 FROM test_logins WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
            )
            .optional()?;
        let (at, connection, kind, request_id, response_xml, report, response_xml_bytes) =
            row.ok_or_else(|| Error::not_found(format!("there is no test login {id}")))?;
        let report: ProvisionReport = serde_json::from_str(&report)
            .map_err(|e| Error::new(ErrorCode::Storage, format!("test login {id} has an unreadable report: {e}")))?;
        Ok(TestLogin {
            id,
            at: parse_time(&at)?,
            connection,
            kind: LoginKind::parse(&kind),
            request_id,
            return_to: None,
            report,
            response_xml,
            response_xml_bytes: response_xml_bytes.and_then(|n| usize::try_from(n).ok()),
        })
    }

    pub fn test_logins(&self, connection: Option<&str>, limit: u32) -> Result<Vec<TestLoginSummary>> {
        let mut stmt = self.store().raw().prepare(
            "SELECT id, at, connection_name, kind, outcome, failed_check, user_id FROM test_logins \
             WHERE (?1 IS NULL OR connection_name = ?1) ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![connection, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, connection, kind, outcome, failed_check, user_id) = row?;
            out.push(TestLoginSummary {
                id,
                at: parse_time(&at)?,
                connection,
                kind: LoginKind::parse(&kind),
                outcome,
                failed_check,
                user_id,
            });
        }
        Ok(out)
    }
}
