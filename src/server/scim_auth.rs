//! The SCIM endpoint's bearer check, in front of every SCIM route. The token itself stays in
//! the workbench (secret store); the server holds only SHA-256 digests, cached per
//! (connection id, token generation, settings change) so a rotate or disable takes effect on
//! the next request (the gate is read from the catalog every time), and a removed
//! connection's token never opens a new connection that SQLite gave the same id.
//!
//! An unknown connection, an endpoint that is off, a missing header and a wrong token all get
//! the same 401 (same body, same `WWW-Authenticate`), after the same digest comparison, and
//! before anything is written: the log of bad-token attempts is a counter in memory.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use axum::extract::{RawPathParams, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use openssl::hash::{MessageDigest, hash};
use serde::Serialize;

use super::AppState;
use super::scim::ScimFailure;
use crate::connection::check_name;
use crate::scim::ScimError;
use crate::workbench::ScimGate;

/// The realm every 401 names.
pub const REALM: &str = "handshake-scim";

/// How many rejected requests per connection the counter remembers.
const REJECTIONS_KEPT: usize = 64;

/// The window of [`Rejections::last_minute`].
const RECENT_WINDOW_SECONDS: i64 = 60;

/// A SHA-256 digest.
type Digest = [u8; 32];

/// Which token a cached digest belongs to: the connection's id, the token generation and when
/// the connection's SCIM settings last changed (see [`ScimGate`]).
type TokenKey = (u32, DateTime<Utc>);

/// What the server remembers between SCIM requests: digests by connection id with the
/// token they belong to, and recent 401s by connection name.
#[derive(Debug, Default)]
pub struct ScimAuth {
    digests: Mutex<HashMap<i64, (TokenKey, Digest)>>,
    rejected: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

/// Requests refused with 401 for one connection, from memory (never persisted: a client
/// without the token writes nothing at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Rejections {
    /// In the last minute.
    pub last_minute: u32,
    /// Since the server started (counted up to the kept window of the newest 64).
    pub kept: u32,
    pub last_at: Option<DateTime<Utc>>,
}

impl ScimAuth {
    fn cached(&self, gate: &ScimGate) -> Option<Digest> {
        let digests = self.digests.lock().unwrap_or_else(PoisonError::into_inner);
        digests.get(&gate.connection_id).filter(|(key, _)| *key == token_key(gate)).map(|(_, d)| *d)
    }

    fn remember(&self, gate: &ScimGate, digest: Digest) {
        let mut digests = self.digests.lock().unwrap_or_else(PoisonError::into_inner);
        digests.insert(gate.connection_id, (token_key(gate), digest));
    }

    fn reject(&self, connection: &str, at: DateTime<Utc>) {
        let mut rejected = self.rejected.lock().unwrap_or_else(PoisonError::into_inner);
        let times = rejected.entry(connection.to_owned()).or_default();
        if times.len() >= REJECTIONS_KEPT {
            times.pop_front();
        }
        times.push_back(at);
    }

    /// The recent 401s of `connection` as of `now`.
    pub fn rejections(&self, connection: &str, now: DateTime<Utc>) -> Rejections {
        let rejected = self.rejected.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(times) = rejected.get(connection) else { return Rejections::default() };
        let since = now - Duration::seconds(RECENT_WINDOW_SECONDS);
        Rejections {
            last_minute: u32::try_from(times.iter().filter(|t| **t > since).count()).unwrap_or(u32::MAX),
            kept: u32::try_from(times.len()).unwrap_or(u32::MAX),
            last_at: times.back().copied(),
        }
    }
}

fn token_key(gate: &ScimGate) -> TokenKey {
    (gate.generation, gate.changed_at)
}

fn sha256(bytes: &[u8]) -> Option<Digest> {
    hash(MessageDigest::sha256(), bytes).ok().and_then(|d| Digest::try_from(&*d).ok())
}

/// The token of `Authorization: Bearer <token>` (the scheme without regard to case, RFC 7235
/// §2.1); `None` when there is not exactly one such header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else { return None };
    let value = value.as_bytes();
    let space = value.iter().position(|b| *b == b' ')?;
    let (scheme, rest) = value.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// The one answer to every failed bearer check.
pub(crate) fn unauthorized() -> Response {
    let error = ScimError::new(
        401,
        None,
        "A valid bearer token is required (Authorization: Bearer <the connection's SCIM token>).",
    );
    let mut r = ScimFailure::Scim(error).into_response();
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"handshake-scim\""));
    r
}

/// Middleware on the SCIM routes: the request goes on only with the connection's current token.
pub(crate) async fn require_bearer(
    State(state): State<AppState>,
    params: RawPathParams,
    request: Request,
    next: Next,
) -> Response {
    let connection = params.iter().find(|(k, _)| *k == "connection").map(|(_, v)| v.to_owned()).unwrap_or_default();
    let presented = bearer(request.headers()).and_then(sha256);
    let expected = match expected_digest(&state, &connection).await {
        Ok(expected) => expected,
        Err(failure) => return failure.into_response(),
    };
    // Compared whatever was found, so a missing connection costs what a wrong token does.
    let candidate = presented.unwrap_or([0; 32]);
    let against = expected.unwrap_or([0xff; 32]);
    let matches = openssl::memcmp::eq(&candidate, &against);
    if matches && presented.is_some() && expected.is_some() {
        return next.run(request).await;
    }
    if expected.is_some() {
        state.scim_auth.reject(&connection, state.clock.now());
    }
    // The name comes straight from the URL, unauthenticated: escaped (Debug) and cut, so that a
    // refused request cannot forge or flood log lines.
    let named = crate::store::cut(&connection, 64);
    tracing::info!(connection = ?named, "SCIM request refused: no valid bearer token");
    unauthorized()
}

/// The digest of the connection's current token; `None` when there is no such connection or
/// its SCIM endpoint is off.
async fn expected_digest(state: &AppState, connection: &str) -> Result<Option<Digest>, ScimFailure> {
    if check_name(connection).is_err() {
        return Ok(None);
    }
    let name = connection.to_owned();
    let Some(gate) = state.run(move |wb| wb.scim_gate(&name)).await? else { return Ok(None) };
    if let Some(digest) = state.scim_auth.cached(&gate) {
        return Ok(Some(digest));
    }
    let name = connection.to_owned();
    let digest = state.run(move |wb| wb.scim_token_digest(&name)).await?;
    state.scim_auth.remember(&gate, digest);
    Ok(Some(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_needs_one_header_and_a_token() {
        let with = |values: &[&str]| {
            let mut h = HeaderMap::new();
            for v in values {
                h.append(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            }
            bearer(&h).map(|t| String::from_utf8(t.to_vec()).unwrap())
        };
        assert_eq!(with(&["Bearer abc"]).as_deref(), Some("abc"));
        assert_eq!(with(&["bearer abc"]).as_deref(), Some("abc"));
        assert_eq!(with(&["BEARER  abc "]).as_deref(), Some("abc"));
        assert_eq!(with(&["Basic abc"]), None);
        assert_eq!(with(&["Bearer"]), None);
        assert_eq!(with(&["Bearer "]), None);
        assert_eq!(with(&["Bearerabc"]), None);
        assert_eq!(with(&["Bearer a", "Bearer b"]), None);
        assert_eq!(with(&[]), None);
    }

    #[test]
    fn rejections_are_counted_per_connection_and_bounded() {
        let auth = ScimAuth::default();
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        for i in 0..100 {
            auth.reject("acme", t0 + Duration::seconds(i));
        }
        let r = auth.rejections("acme", t0 + Duration::seconds(100));
        assert_eq!(r.kept, 64);
        assert_eq!(r.last_minute, 59);
        assert_eq!(r.last_at, Some(t0 + Duration::seconds(99)));
        assert_eq!(auth.rejections("other", t0), Rejections::default());
    }
}
