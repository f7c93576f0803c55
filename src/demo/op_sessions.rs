//! The demo OP's memory and the token endpoint's rules: codes (one use, a short TTL), access
//! tokens (userinfo) and the last code per redirect URI (what `oidc-code-replay` sends
//! again). In this process only, never in SQLite; bounded, so a flood of sign-ins cannot
//! grow it without limit.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::op::{ACCESS_TOKEN_TTL_SECONDS, CODE_TTL_SECONDS, MAX_OUTSTANDING, OidcTwist, random_token};
use crate::error::Result;
use crate::idp::jws;

/// What a code stands for, kept in memory until it expires.
#[derive(Debug, Clone)]
pub struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub scope: String,
    /// The persona's claims for the scope (`sub` included).
    pub claims: Map<String, Value>,
    pub twists: Vec<OidcTwist>,
    pub auth_time: DateTime<Utc>,
}

struct Held<T> {
    value: T,
    expires: DateTime<Utc>,
    used: bool,
}

/// The demo OP's memory: codes (one use, [`CODE_TTL_SECONDS`]), access tokens (userinfo)
/// and, per redirect URI, the last code sent (what `oidc-code-replay` sends again).
#[derive(Default)]
pub struct Sessions {
    codes: Mutex<HashMap<String, Held<Grant>>>,
    tokens: Mutex<HashMap<String, Held<Map<String, Value>>>>,
    last_code: Mutex<HashMap<String, String>>,
}

/// Drops what expired and, past `MAX_OUTSTANDING`, the entries that expire first.
fn prune<T>(map: &mut HashMap<String, Held<T>>, now: DateTime<Utc>) {
    map.retain(|_, h| h.expires > now);
    while map.len() >= MAX_OUTSTANDING {
        let Some(oldest) = map.iter().min_by_key(|(_, h)| h.expires).map(|(k, _)| k.clone()) else { break };
        map.remove(&oldest);
    }
}

/// Why the token endpoint refused (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// HTTP 401 (`basic`: the client tried HTTP Basic, so answer with `WWW-Authenticate`).
    InvalidClient {
        basic: bool,
    },
    InvalidRequest(String),
    InvalidGrant(String),
    UnsupportedGrantType,
}

impl TokenError {
    pub fn status(&self) -> u16 {
        if matches!(self, TokenError::InvalidClient { .. }) { 401 } else { 400 }
    }

    /// The JSON body: `error` and `error_description`.
    pub fn body(&self) -> Value {
        let (error, description) = match self {
            TokenError::InvalidClient { .. } => ("invalid_client", "client authentication failed".to_owned()),
            TokenError::InvalidRequest(d) => ("invalid_request", d.clone()),
            TokenError::InvalidGrant(d) => ("invalid_grant", d.clone()),
            TokenError::UnsupportedGrantType => {
                ("unsupported_grant_type", "the demo OP supports grant_type=authorization_code only".to_owned())
            }
        };
        json!({ "error": error, "error_description": description })
    }
}

/// A token request after client authentication.
pub struct Redemption<'a> {
    pub client_id: &'a str,
    pub grant_type: Option<&'a str>,
    pub code: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

/// `BASE64URL(SHA-256(verifier))` (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    jws::b64(&openssl::sha::sha256(verifier.as_bytes()))
}

fn verifier_well_formed(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

impl Sessions {
    /// A new code for `grant`, kept [`CODE_TTL_SECONDS`] and remembered as the redirect
    /// URI's last code.
    pub fn issue_code(&self, grant: Grant, now: DateTime<Utc>) -> Result<String> {
        let code = random_token()?;
        let redirect_uri = grant.redirect_uri.clone();
        {
            let mut codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
            prune(&mut codes, now);
            codes.insert(
                code.clone(),
                Held { value: grant, expires: now + Duration::seconds(CODE_TTL_SECONDS), used: false },
            );
        }
        let mut last = self.last_code.lock().unwrap_or_else(PoisonError::into_inner);
        if last.len() >= MAX_OUTSTANDING {
            last.clear();
        }
        last.insert(redirect_uri, code.clone());
        Ok(code)
    }

    /// The last code sent to `redirect_uri` while it is still held (used or not): what
    /// `oidc-code-replay` sends again.
    pub fn last_code(&self, redirect_uri: &str, now: DateTime<Utc>) -> Option<String> {
        let code = self.last_code.lock().unwrap_or_else(PoisonError::into_inner).get(redirect_uri).cloned()?;
        let codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        codes.get(&code).filter(|h| h.expires > now).map(|_| code)
    }

    /// The token endpoint's rules for an authenticated client: the grant type, then the
    /// code (known, unexpired, unused, this client's), its redirect URI and the PKCE
    /// verifier. A code is spent by its first redemption, whatever the outcome.
    pub fn redeem(&self, r: &Redemption<'_>, now: DateTime<Utc>) -> std::result::Result<Grant, TokenError> {
        match r.grant_type {
            Some("authorization_code") => {}
            None => return Err(TokenError::InvalidRequest("grant_type is missing".into())),
            Some(_) => return Err(TokenError::UnsupportedGrantType),
        }
        let code = r.code.filter(|c| !c.is_empty()).ok_or(TokenError::InvalidRequest("code is missing".into()))?;
        let verifier = r.code_verifier.ok_or(TokenError::InvalidRequest("code_verifier is missing (PKCE)".into()))?;
        let mut codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        let held = codes
            .get_mut(code)
            .filter(|h| h.expires > now)
            .ok_or(TokenError::InvalidGrant("the code is unknown or expired".into()))?;
        if held.used {
            return Err(TokenError::InvalidGrant("the code was already used".into()));
        }
        held.used = true;
        let grant = &held.value;
        if grant.client_id != r.client_id {
            return Err(TokenError::InvalidGrant("the code was issued to another client".into()));
        }
        if r.redirect_uri != Some(grant.redirect_uri.as_str()) {
            return Err(TokenError::InvalidGrant("redirect_uri differs from the authorization request's".into()));
        }
        let challenge = grant.code_challenge.as_bytes();
        let computed = s256(verifier);
        let matches = computed.len() == challenge.len() && openssl::memcmp::eq(computed.as_bytes(), challenge);
        if !verifier_well_formed(verifier) || !matches {
            return Err(TokenError::InvalidGrant("the PKCE code_verifier does not match the code_challenge".into()));
        }
        Ok(grant.clone())
    }

    /// A new access token whose userinfo is `claims`.
    pub fn issue_access_token(&self, claims: Map<String, Value>, now: DateTime<Utc>) -> Result<String> {
        let token = random_token()?;
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        prune(&mut tokens, now);
        let expires = now + Duration::seconds(ACCESS_TOKEN_TTL_SECONDS);
        tokens.insert(token.clone(), Held { value: claims, expires, used: false });
        Ok(token)
    }

    /// The userinfo of a live access token.
    pub fn userinfo(&self, token: &str, now: DateTime<Utc>) -> Option<Map<String, Value>> {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.get(token).filter(|h| h.expires > now).map(|h| h.value.clone())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::demo::op::{AuthorizeParams, CLIENT_ID, check_authorize};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
    }

    const BASE: &str = "http://127.0.0.1:7777";

    fn params() -> AuthorizeParams {
        AuthorizeParams {
            response_type: Some("code".into()),
            client_id: Some(CLIENT_ID.into()),
            redirect_uri: Some(format!("{BASE}/oidc/demo-oidc/callback")),
            scope: Some("openid email".into()),
            state: Some("s1".into()),
            nonce: Some("n1".into()),
            code_challenge: Some(s256(&"v".repeat(43))),
            code_challenge_method: Some("S256".into()),
        }
    }

    fn grant() -> Grant {
        let a = check_authorize(&params(), BASE).unwrap();
        let mut claims = Map::new();
        claims.insert("sub".into(), "p1".into());
        Grant {
            client_id: a.client_id,
            redirect_uri: a.redirect_uri,
            code_challenge: a.code_challenge,
            nonce: a.nonce,
            scope: a.scope,
            claims,
            twists: Vec::new(),
            auth_time: now(),
        }
    }

    #[test]
    fn a_code_is_redeemed_once_within_its_ttl_with_the_right_verifier_and_redirect_uri() {
        let sessions = Sessions::default();
        let verifier = "v".repeat(43);
        let redirect = format!("{BASE}/oidc/demo-oidc/callback");
        let r = |code: &str, verifier: &str, redirect: &str, client: &str, at| {
            let codes = Redemption {
                client_id: client,
                grant_type: Some("authorization_code"),
                code: Some(code),
                redirect_uri: Some(redirect),
                code_verifier: Some(verifier),
            };
            sessions.redeem(&codes, at).map(|g| g.claims["sub"].clone())
        };
        let code = sessions.issue_code(grant(), now()).unwrap();
        assert_eq!(r(&code, &verifier, &redirect, CLIENT_ID, now()), Ok(json!("p1")));
        assert!(matches!(r(&code, &verifier, &redirect, CLIENT_ID, now()), Err(TokenError::InvalidGrant(_))), "used");

        let wrong_verifier = sessions.issue_code(grant(), now()).unwrap();
        assert!(matches!(
            r(&wrong_verifier, &"w".repeat(43), &redirect, CLIENT_ID, now()),
            Err(TokenError::InvalidGrant(_))
        ));
        let expired = sessions.issue_code(grant(), now()).unwrap();
        let late = now() + Duration::seconds(CODE_TTL_SECONDS);
        assert!(matches!(r(&expired, &verifier, &redirect, CLIENT_ID, late), Err(TokenError::InvalidGrant(_))));
        let other_redirect = sessions.issue_code(grant(), now()).unwrap();
        let elsewhere = format!("{BASE}/oidc/other/callback");
        assert!(matches!(
            r(&other_redirect, &verifier, &elsewhere, CLIENT_ID, now()),
            Err(TokenError::InvalidGrant(_))
        ));
        let other_client = sessions.issue_code(grant(), now()).unwrap();
        assert!(matches!(r(&other_client, &verifier, &redirect, "x", now()), Err(TokenError::InvalidGrant(_))));
        assert_eq!(sessions.last_code(&redirect, now()), Some(other_client));
        assert_eq!(sessions.last_code(&redirect, late), None);
    }

    #[test]
    fn memory_is_bounded() {
        let sessions = Sessions::default();
        for _ in 0..MAX_OUTSTANDING + 10 {
            sessions.issue_code(grant(), now()).unwrap();
            sessions.issue_access_token(Map::new(), now()).unwrap();
        }
        assert!(sessions.codes.lock().unwrap().len() <= MAX_OUTSTANDING);
        assert!(sessions.tokens.lock().unwrap().len() <= MAX_OUTSTANDING);
    }
}
