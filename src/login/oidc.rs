//! The OpenID Connect protocol adapter: turns the judge's report on an ID token
//! ([`crate::oidc::judge`]) into the protocol-neutral [`Judgement`], as [`super::saml`] does
//! for a SAMLResponse.

use serde_json::{Map, Value};

use super::{Judgement, ReplayKey, StoppedBy, VerifiedLogin};
use crate::connection::Connection;
use crate::oidc::Report;
use crate::provision::Claims;
use crate::validate::{CheckId, CheckStatus, Verdict};

/// Replay-cache kinds: the ID token's nonce, its `jti` (a token with no nonce, judged
/// offline), and the authorization code (its SHA-256, never the code).
pub const REPLAY_NONCE: &str = "oidc_nonce";
pub const REPLAY_JTI: &str = "oidc_jti";
pub const REPLAY_CODE: &str = "oidc_code";

/// Turns the judge's report into the judgement. `claims` is the token's claims flattened for
/// mapping (`oidc::claims`); they are kept only once the signature held.
pub fn judge(connection: &Connection, report: Report, claims: Claims) -> Judgement {
    let authenticated = report.signature_verified;
    let claims = if authenticated { claims } else { Claims::default() };
    let issuer = connection.idp.entity_id.clone();
    let login = (report.verdict == Verdict::Accepted).then(|| VerifiedLogin {
        issuer: issuer.clone(),
        claims: claims.clone(),
        replay: replay_keys(&issuer, &report),
    });
    Judgement {
        verdict: report.verdict,
        failure: report.failure.as_ref().map(StoppedBy::from),
        authenticated,
        parsed: report.checks.iter().any(|c| c.id == CheckId::Parse && c.status == CheckStatus::Pass),
        document: document(&report),
        checks: report.checks,
        claims,
        login,
        response_signed: authenticated,
        assertion_signed: authenticated,
        encrypted: false,
        notes: report.notes,
    }
}

/// What the login consumes, in order: the token (by nonce, else `jti`), then the code.
pub fn replay_keys(issuer: &str, report: &Report) -> Vec<ReplayKey> {
    let key = |kind, id: &String| ReplayKey {
        issuer: issuer.to_owned(),
        kind,
        id: id.clone(),
        not_on_or_after: report.expires_at,
    };
    let token = match (&report.nonce, &report.jti) {
        (Some(nonce), _) => Some(key(REPLAY_NONCE, nonce)),
        (None, Some(jti)) => Some(key(REPLAY_JTI, jti)),
        (None, None) => None,
    };
    token.into_iter().chain(report.code_id.as_ref().map(|id| key(REPLAY_CODE, id))).collect()
}

/// The decoded token for inspection: header, claims, whether the signature verified and
/// with which kid. Never the compact token (its signature makes it a bearer credential).
fn document(report: &Report) -> Option<String> {
    let header = report.header.as_ref()?;
    let mut doc = Map::new();
    doc.insert("header".into(), Value::Object(header.clone()));
    doc.insert("claims".into(), report.claims.clone().map(Value::Object).unwrap_or(Value::Null));
    doc.insert("signature_verified".into(), Value::Bool(report.signature_verified));
    doc.insert("kid".into(), report.kid.clone().map(Value::String).unwrap_or(Value::Null));
    serde_json::to_string_pretty(&Value::Object(doc)).ok()
}
