//! OpenID Connect rows: a connection's OIDC settings (`connection_oidc`, written and read
//! with the connection by [`super::connections`]), the cached discovery document and JWKS,
//! and the authorization requests the RP sent (`oidc_requests`), which answer once and
//! expire, like SAML AuthnRequests ([`super::logins`]).
//!
//! Nothing secret is here: the client secret and the key the PKCE verifier is derived from
//! live in the secret store; the nonce is not a secret; the JWKS holds public keys only.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension as _, params};
use serde_json::Value;

use super::{Read, WriteTx, format_time, json, parse_time};
use crate::error::{Error, ErrorCode, Result};
use crate::oidc::{Alg, ClientAuth, OidcSettings, RedirectHost};

/// An authorization request to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOidcRequest<'a> {
    /// The `state` sent to the OP: at least 128 random bits, base64url.
    pub state: &'a str,
    pub connection_id: i64,
    pub nonce: &'a str,
    pub redirect_uri: &'a str,
    /// A path inside Handshake to go back to after the login.
    pub return_to: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

/// An authorization request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOidcRequest {
    pub state: String,
    pub connection_id: i64,
    pub nonce: String,
    pub redirect_uri: String,
    pub return_to: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Answered already (a callback used it).
    pub used: bool,
}

/// Records an outstanding authorization request. Requests a day past their expiry are
/// dropped (they only need to be known as "expired" for a while), and at most `keep` stay
/// per connection, the newest: a page that opens the login URL in a loop must not grow
/// the catalog.
pub fn insert_request(tx: &WriteTx<'_>, r: &NewOidcRequest<'_>, now: DateTime<Utc>, keep: i64) -> Result<()> {
    prune_expired(tx, now)?;
    tx.db().execute(
        "DELETE FROM oidc_requests WHERE connection_id = ?1 AND state NOT IN \
         (SELECT state FROM oidc_requests WHERE connection_id = ?1 ORDER BY created_at DESC, state LIMIT ?2)",
        params![r.connection_id, keep - 1],
    )?;
    tx.db().execute(
        "INSERT INTO oidc_requests (state, connection_id, nonce, redirect_uri, return_to, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            r.state,
            r.connection_id,
            r.nonce,
            r.redirect_uri,
            r.return_to,
            format_time(now),
            format_time(r.expires_at)
        ],
    )?;
    Ok(())
}

/// Drops the requests a day past their expiry; how many.
pub fn prune_expired(tx: &WriteTx<'_>, now: DateTime<Utc>) -> Result<usize> {
    Ok(tx.db().execute("DELETE FROM oidc_requests WHERE expires_at < ?1", [format_time(now - Duration::days(1))])?)
}

/// The request with this state, sent for this connection.
pub fn find_request(db: &impl Read, state: &str, connection_id: i64) -> Result<Option<StoredOidcRequest>> {
    type Row = (String, i64, String, String, Option<String>, String, String, Option<String>);
    let row: Option<Row> = db
        .db()
        .query_row(
            "SELECT state, connection_id, nonce, redirect_uri, return_to, created_at, expires_at, used_at \
             FROM oidc_requests WHERE state = ?1 AND connection_id = ?2",
            params![state, connection_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
        )
        .optional()?;
    row.map(|(state, connection_id, nonce, redirect_uri, return_to, created_at, expires_at, used_at)| {
        Ok(StoredOidcRequest {
            state,
            connection_id,
            nonce,
            redirect_uri,
            return_to,
            created_at: parse_time(&created_at)?,
            expires_at: parse_time(&expires_at)?,
            used: used_at.is_some(),
        })
    })
    .transpose()
}

/// Marks a request answered, atomically; `false` when another callback answered it first
/// (or it is not there).
pub fn answer_request(tx: &WriteTx<'_>, state: &str, now: DateTime<Utc>) -> Result<bool> {
    Ok(tx.db().execute(
        "UPDATE oidc_requests SET used_at = ?2 WHERE state = ?1 AND used_at IS NULL",
        params![state, format_time(now)],
    )? == 1)
}

/// How many requests of the connection are outstanding (unanswered, unexpired at `now`).
pub fn outstanding_requests(db: &impl Read, connection_id: i64, now: DateTime<Utc>) -> Result<i64> {
    Ok(db.db().query_row(
        "SELECT count(*) FROM oidc_requests WHERE connection_id = ?1 AND used_at IS NULL AND expires_at > ?2",
        params![connection_id, format_time(now)],
        |r| r.get(0),
    )?)
}

pub fn delete_requests_of(tx: &WriteTx<'_>, connection_id: i64) -> Result<()> {
    tx.db().execute("DELETE FROM oidc_requests WHERE connection_id = ?1", [connection_id])?;
    Ok(())
}

/// Replaces the cached JWKS (public keys only: the caller parsed it with
/// `oidc::discovery::parse_public_jwks`). `false` when the connection has no OIDC settings.
pub fn set_jwks(tx: &WriteTx<'_>, connection_id: i64, jwks_json: &str, at: DateTime<Utc>) -> Result<bool> {
    Ok(tx.db().execute(
        "UPDATE connection_oidc SET jwks_json = ?2, jwks_fetched_at = ?3 WHERE connection_id = ?1",
        params![connection_id, jwks_json, format_time(at)],
    )? == 1)
}

/// A discovery document fetched again: the document and the endpoints it names. The issuer
/// never changes here (a different issuer is a different connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryUpdate<'a> {
    pub discovery_url: Option<&'a str>,
    pub discovery_json: Option<&'a str>,
    pub authorization_endpoint: &'a str,
    pub token_endpoint: &'a str,
    pub userinfo_endpoint: Option<&'a str>,
    pub jwks_uri: &'a str,
}

/// Stores a re-fetched discovery document; `false` when the connection has no OIDC settings.
pub fn set_discovery(tx: &WriteTx<'_>, connection_id: i64, d: &DiscoveryUpdate<'_>, at: DateTime<Utc>) -> Result<bool> {
    Ok(tx.db().execute(
        "UPDATE connection_oidc SET discovery_url = ?2, discovery_json = ?3, discovered_at = ?4, \
         authorization_endpoint = ?5, token_endpoint = ?6, userinfo_endpoint = ?7, jwks_uri = ?8 \
         WHERE connection_id = ?1",
        params![
            connection_id,
            d.discovery_url,
            d.discovery_json,
            format_time(at),
            d.authorization_endpoint,
            d.token_endpoint,
            d.userinfo_endpoint,
            d.jwks_uri
        ],
    )? == 1)
}

/// Writes a connection's `connection_oidc` row (its connection's writer deleted the old one).
pub(super) fn write_settings(db: &rusqlite::Connection, connection_id: i64, s: &OidcSettings) -> Result<()> {
    let algs: Vec<&str> = s.allowed_algs.iter().map(|a| a.as_str()).collect();
    db.prepare_cached(
        "INSERT INTO connection_oidc (connection_id, issuer, discovery_url, discovery_json, discovered_at, \
         authorization_endpoint, token_endpoint, userinfo_endpoint, jwks_uri, jwks_json, jwks_fetched_at, client_id, \
         client_auth, scopes, allowed_algs, trusted_audiences, call_userinfo, redirect_host) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        connection_id,
        s.issuer,
        s.discovery_url,
        s.discovery_json,
        s.discovered_at.map(format_time),
        s.authorization_endpoint,
        s.token_endpoint,
        s.userinfo_endpoint,
        s.jwks_uri,
        s.jwks_json,
        s.jwks_fetched_at.map(format_time),
        s.client_id,
        s.client_auth.as_str(),
        json(&s.scopes)?,
        json(&algs)?,
        json(&s.trusted_audiences)?,
        s.call_userinfo,
        redirect_host_str(s.redirect_host),
    ])?;
    Ok(())
}

fn redirect_host_str(h: RedirectHost) -> &'static str {
    match h {
        RedirectHost::Loopback => "loopback",
        RedirectHost::Localhost => "localhost",
    }
}

/// A connection's OIDC settings, if it has a `connection_oidc` row.
pub(super) fn load_settings(db: &rusqlite::Connection, connection_id: i64) -> Result<Option<OidcSettings>> {
    let mut stmt = db.prepare_cached(
        "SELECT issuer, discovery_url, discovery_json, discovered_at, authorization_endpoint, token_endpoint, \
         userinfo_endpoint, jwks_uri, jwks_json, jwks_fetched_at, client_id, client_auth, scopes, allowed_algs, \
         trusted_audiences, call_userinfo, redirect_host FROM connection_oidc WHERE connection_id = ?1",
    )?;
    let row = stmt
        .query_row([connection_id], |r| {
            Ok(RawSettings {
                issuer: r.get(0)?,
                discovery_url: r.get(1)?,
                discovery_json: r.get(2)?,
                discovered_at: r.get(3)?,
                authorization_endpoint: r.get(4)?,
                token_endpoint: r.get(5)?,
                userinfo_endpoint: r.get(6)?,
                jwks_uri: r.get(7)?,
                jwks_json: r.get(8)?,
                jwks_fetched_at: r.get(9)?,
                client_id: r.get(10)?,
                client_auth: r.get(11)?,
                scopes: r.get(12)?,
                allowed_algs: r.get(13)?,
                trusted_audiences: r.get(14)?,
                call_userinfo: r.get(15)?,
                redirect_host: r.get(16)?,
            })
        })
        .optional()?;
    row.map(RawSettings::decode).transpose()
}

/// A `connection_oidc` row before decoding.
struct RawSettings {
    issuer: String,
    discovery_url: Option<String>,
    discovery_json: Option<String>,
    discovered_at: Option<String>,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: Option<String>,
    jwks_uri: String,
    jwks_json: Option<String>,
    jwks_fetched_at: Option<String>,
    client_id: String,
    client_auth: String,
    scopes: String,
    allowed_algs: String,
    trusted_audiences: String,
    call_userinfo: bool,
    redirect_host: String,
}

impl RawSettings {
    fn decode(self) -> Result<OidcSettings> {
        let corrupt = |what: &str, detail: String| {
            Error::new(ErrorCode::Storage, format!("the catalog holds invalid OIDC settings ({what}): {detail}"))
        };
        let list = |text: &str, what: &str| -> Result<Vec<String>> {
            serde_json::from_str(text).map_err(|e| corrupt(what, e.to_string()))
        };
        let allowed_algs = list(&self.allowed_algs, "allowed_algs")?
            .iter()
            .map(|a| Alg::parse(a).ok_or_else(|| corrupt("allowed_algs", format!("{a:?} is not an allowed algorithm"))))
            .collect::<Result<Vec<_>>>()?;
        let client_auth: ClientAuth = serde_json::from_value(Value::String(self.client_auth.clone()))
            .map_err(|_| corrupt("client_auth", format!("unknown method {:?}", self.client_auth)))?;
        let redirect_host = match self.redirect_host.as_str() {
            "loopback" => RedirectHost::Loopback,
            "localhost" => RedirectHost::Localhost,
            other => return Err(corrupt("redirect_host", format!("unknown host {other:?}"))),
        };
        let time = |t: Option<String>| t.as_deref().map(parse_time).transpose();
        Ok(OidcSettings {
            discovered_at: time(self.discovered_at)?,
            jwks_fetched_at: time(self.jwks_fetched_at)?,
            scopes: list(&self.scopes, "scopes")?,
            trusted_audiences: list(&self.trusted_audiences, "trusted_audiences")?,
            allowed_algs,
            client_auth,
            redirect_host,
            issuer: self.issuer,
            discovery_url: self.discovery_url,
            discovery_json: self.discovery_json,
            authorization_endpoint: self.authorization_endpoint,
            token_endpoint: self.token_endpoint,
            userinfo_endpoint: self.userinfo_endpoint,
            jwks_uri: self.jwks_uri,
            jwks_json: self.jwks_json,
            client_id: self.client_id,
            call_userinfo: self.call_userinfo,
        })
    }
}
