//! The demo IdP as an OpenID Provider (authorization code flow with PKCE): discovery, its
//! JWKS, the authorization request's checks, the token endpoint's rules and the ID token it
//! signs with `crate::idp::jws`, the same signer as the committed OIDC fixtures. The HTTP
//! side is `crate::server::demo_op`; codes and access tokens live only in memory
//! ([`Sessions`]), never in SQLite.
//!
//! Failure scenarios alter one issued token through data, not code paths: a list of
//! [`OidcTwist`]s chosen at sign-in ([`twists_for`] maps the `oidc-*` scenario names).

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use serde_json::{Map, Value, json};

use super::personas::Persona;
use crate::error::{Error, ErrorCode, Result};
use crate::idp::jws::{self, JwsKey};
use crate::oidc::Alg;
use crate::sensitive::Sensitive;

pub use super::op_sessions::{Grant, Redemption, Sessions, TokenError, s256};
pub use super::op_twist::{OidcSigner, OidcTwist, TWISTS, TwistInfo, twists_for};

/// Where the demo OP lives under the embedded server; also its issuer's path.
pub const PATH: &str = "/demo-idp/oidc";
/// Secret-store key of the demo OP's RSA signing key (PEM, PKCS#8).
pub const KEY_SECRET: &str = "demo-op-key";
/// Secret-store key of the demo client's secret.
pub const CLIENT_SECRET_SECRET: &str = "demo-op-client-secret";
/// The one client registered at the demo OP: Handshake's demo connections.
pub const CLIENT_ID: &str = "handshake-demo";
/// An authorization code is good for this long, once.
pub const CODE_TTL_SECONDS: i64 = 60;
/// An access token (userinfo) is good for this long.
pub const ACCESS_TOKEN_TTL_SECONDS: i64 = 300;
/// An ID token's `exp` is this long after its `iat`.
pub const ID_TOKEN_TTL_SECONDS: i64 = 300;
/// Outstanding codes (and, separately, access tokens) kept at most: a flood of sign-ins
/// cannot grow memory without bound; the oldest go first.
pub const MAX_OUTSTANDING: usize = 1000;
/// Longest value of any authorization parameter the demo OP accepts.
const MAX_PARAM_LEN: usize = 2048;

/// The issuer: `{base}/demo-idp/oidc`.
pub fn issuer(base_url: &str) -> String {
    format!("{}{PATH}", base_url.trim_end_matches('/'))
}

/// The discovery document (OpenID Connect Discovery 1.0 §3).
pub fn discovery(base_url: &str) -> Value {
    let iss = issuer(base_url);
    json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{iss}/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "email", "profile", "groups"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "email", "email_verified", "name",
            "given_name", "family_name", "preferred_username", "department", "title", "groups"
        ],
        "authorization_response_iss_parameter_supported": true,
    })
}

/// The demo OP's signing key: RSA 2048, RS256, `kid` its RFC 7638 thumbprint.
pub struct OpKey {
    pub key: JwsKey,
    pub kid: String,
    /// The public JWK (with `kid`, `alg`, `use`), as published.
    pub jwk: Value,
    /// The public key as PEM: what `hs256-public-key` keys its HMAC with.
    pub public_pem: Vec<u8>,
}

impl OpKey {
    /// A new key and its PEM for the secret store.
    pub fn generate() -> Result<(OpKey, Sensitive<Vec<u8>>)> {
        let rsa = Rsa::generate(2048).map_err(crypto)?;
        let pkey = PKey::from_rsa(rsa).map_err(crypto)?;
        let pem = Sensitive::new(pkey.private_key_to_pem_pkcs8().map_err(crypto)?);
        Ok((OpKey::from_pem(&pem)?, pem))
    }

    pub fn from_pem(pem: &Sensitive<Vec<u8>>) -> Result<OpKey> {
        let pkey = PKey::private_key_from_pem(pem.expose())
            .map_err(|_| Error::new(ErrorCode::Internal, "the demo OP's key in the secret store is not a PEM key"))?;
        let public_pem = pkey.public_key_to_pem().map_err(crypto)?;
        let kid = jws::thumbprint(&jws::jwk_of(&pkey, None)?)?;
        let key = JwsKey::new(pkey, Alg::RS256)?;
        let jwk = key.public_jwk(Some(&kid))?.ok_or_else(|| Error::new(ErrorCode::Internal, "an RSA key has a JWK"))?;
        Ok(OpKey { key, kid, jwk, public_pem })
    }
}

/// The JWKS: the demo OP's one key.
pub fn jwks(key: &OpKey) -> Value {
    json!({ "keys": [key.jwk] })
}

/// The key nobody published (`oidc-unknown-kid`): made once per process, never stored.
static UNKNOWN_KEY: OnceLock<OpKey> = OnceLock::new();

fn unknown_key() -> Result<&'static OpKey> {
    if let Some(key) = UNKNOWN_KEY.get() {
        return Ok(key);
    }
    let (key, _) = OpKey::generate()?;
    Ok(UNKNOWN_KEY.get_or_init(|| key))
}

/// The registered client: its id and secret (the secret from the secret store).
pub struct OpClient {
    pub client_id: String,
    pub secret: Sensitive<String>,
}

impl OpClient {
    /// Whether `(client_id, secret)` is this client; the secret compared in constant time.
    pub fn authenticates(&self, client_id: &str, secret: &str) -> bool {
        let (a, b) = (self.secret.expose().as_bytes(), secret.as_bytes());
        client_id == self.client_id && a.len() == b.len() && openssl::memcmp::eq(a, b)
    }
}

/// A new client secret: 32 random bytes, base64url.
pub fn new_client_secret() -> Result<Sensitive<String>> {
    Ok(Sensitive::new(random_token()?))
}

/// 32 random bytes, base64url: codes, access tokens, secrets.
pub(super) fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes).map_err(crypto)?;
    Ok(jws::b64(&bytes))
}

/// The parameters of an authorization request, as sent (query or the picker's form).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// An authorization request the demo OP accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
}

impl Authorization {
    /// The values the picker's anti-CSRF token binds, in a fixed order.
    pub fn bound(&self) -> [&str; 6] {
        [
            &self.client_id,
            &self.redirect_uri,
            &self.scope,
            self.state.as_deref().unwrap_or(""),
            self.nonce.as_deref().unwrap_or(""),
            &self.code_challenge,
        ]
    }
}

/// Why an authorization request was refused (OAuth 2.0 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// No trusted redirect URI (unknown client, unregistered URI): shown as a page, never
    /// redirected (an open redirector otherwise).
    Page(String),
    /// Sent back to the (checked) redirect URI as `error`, `error_description`, `state`.
    Redirect { redirect_uri: String, error: &'static str, description: String, state: Option<String> },
}

/// Whether `uri` is a redirect URI of Handshake's own RP on this server: `http`, host
/// `127.0.0.1` or `localhost` with the server's port, path `/oidc/{connection}/callback`,
/// no fragment. The registered client is Handshake's demo connections; nothing else.
pub fn redirect_uri_allowed(uri: &str, base_url: &str) -> bool {
    let (Ok(u), Ok(base)) = (url::Url::parse(uri), url::Url::parse(base_url)) else {
        return false;
    };
    let host_ok = matches!(u.host_str(), Some("127.0.0.1" | "localhost"));
    let segments: Vec<&str> = u.path().split('/').collect();
    let path_ok =
        matches!(segments.as_slice(), ["", "oidc", name, "callback"] if crate::connection::check_name(name).is_ok());
    u.scheme() == "http"
        && host_ok
        && u.port_or_known_default() == base.port_or_known_default()
        && path_ok
        && u.fragment().is_none()
        && u.username().is_empty()
        && u.password().is_none()
}

/// The authorization request's guard clauses, in the order of OAuth 2.0 §4.1.2.1: the client
/// and redirect URI first (failures shown, not redirected), then the rest (redirected).
pub fn check_authorize(p: &AuthorizeParams, base_url: &str) -> std::result::Result<Authorization, AuthorizeError> {
    let nonblank = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let too_long = [&p.client_id, &p.redirect_uri, &p.scope, &p.state, &p.nonce, &p.code_challenge]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| v.len() > MAX_PARAM_LEN));
    if too_long {
        return Err(AuthorizeError::Page(format!("an authorization parameter is longer than {MAX_PARAM_LEN} bytes")));
    }
    let client_id =
        nonblank(&p.client_id).ok_or_else(|| AuthorizeError::Page("the request names no client_id".into()))?;
    if client_id != CLIENT_ID {
        return Err(AuthorizeError::Page(format!(
            "client_id {client_id:?} is not registered at the demo OP; its one client is {CLIENT_ID:?}"
        )));
    }
    let redirect_uri =
        nonblank(&p.redirect_uri).ok_or_else(|| AuthorizeError::Page("the request has no redirect_uri".into()))?;
    if !redirect_uri_allowed(&redirect_uri, base_url) {
        return Err(AuthorizeError::Page(format!(
            "redirect_uri {redirect_uri:?} is not registered: the demo OP redirects only to this Handshake's \
             /oidc/{{connection}}/callback on 127.0.0.1 or localhost"
        )));
    }
    let state = p.state.clone().filter(|s| !s.is_empty());
    let refuse = |error: &'static str, description: String| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        error,
        description,
        state: state.clone(),
    };
    if p.response_type.as_deref() != Some("code") {
        return Err(refuse("unsupported_response_type", "the demo OP supports response_type=code only".into()));
    }
    let scope = nonblank(&p.scope).unwrap_or_default();
    if !scope.split(' ').any(|s| s == "openid") {
        return Err(refuse("invalid_scope", "an OpenID Connect request needs the openid scope".into()));
    }
    let code_challenge = nonblank(&p.code_challenge)
        .ok_or_else(|| refuse("invalid_request", "PKCE is required: send code_challenge (S256)".into()))?;
    if p.code_challenge_method.as_deref() != Some("S256") {
        return Err(refuse("invalid_request", "code_challenge_method must be S256".into()));
    }
    Ok(Authorization { client_id, redirect_uri, scope, state, nonce: nonblank(&p.nonce), code_challenge })
}

/// `redirect_uri` with extra query parameters (its own query kept).
pub fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Result<String> {
    let mut u = url::Url::parse(redirect_uri).map_err(|_| Error::invalid("the redirect_uri is not a URL"))?;
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    Ok(u.to_string())
}

/// A persona's claims for the granted scopes (OIDC Core §5.4): `email` gives email and
/// email_verified, `profile` the names, department and title, `groups` the groups.
pub fn persona_claims(persona: &Persona, scope: &str) -> Map<String, Value> {
    let has = |s: &str| scope.split(' ').any(|x| x == s);
    let mut c = Map::new();
    c.insert("sub".into(), persona.id.clone().into());
    if has("email") {
        c.insert("email".into(), persona.email.clone().into());
        c.insert("email_verified".into(), true.into());
    }
    if has("profile") {
        c.insert("name".into(), persona.display_name.clone().into());
        c.insert("given_name".into(), persona.given_name.clone().into());
        c.insert("family_name".into(), persona.family_name.clone().into());
        c.insert("preferred_username".into(), persona.email.clone().into());
        if !persona.department.is_empty() {
            c.insert("department".into(), persona.department.clone().into());
        }
        if !persona.title.is_empty() {
            c.insert("title".into(), persona.title.clone().into());
        }
    }
    if has("groups") {
        c.insert("groups".into(), persona.groups.clone().into());
    }
    c
}

/// The ID token for a redeemed grant, altered by the grant's twists.
pub fn id_token(issuer: &str, grant: &Grant, access_token: &str, key: &OpKey, now: DateTime<Utc>) -> Result<String> {
    let mut claims = Map::new();
    claims.insert("iss".into(), issuer.into());
    claims.insert("aud".into(), grant.client_id.clone().into());
    claims.insert("iat".into(), now.timestamp().into());
    claims.insert("exp".into(), (now.timestamp() + ID_TOKEN_TTL_SECONDS).into());
    claims.insert("auth_time".into(), grant.auth_time.timestamp().into());
    if let Some(nonce) = &grant.nonce {
        claims.insert("nonce".into(), nonce.clone().into());
    }
    claims.insert("at_hash".into(), at_hash(access_token).into());
    for (name, value) in &grant.claims {
        claims.insert(name.clone(), value.clone());
    }
    let mut header = Map::new();
    header.insert("typ".into(), "JWT".into());
    header.insert("kid".into(), key.kid.clone().into());
    let signer = super::op_twist::apply(&grant.twists, &mut header, &mut claims);
    match signer {
        OidcSigner::Own => jws::sign_compact(&header, &claims, &key.key),
        OidcSigner::Unknown => {
            let unknown = unknown_key()?;
            header.insert("kid".into(), unknown.kid.clone().into());
            jws::sign_compact(&header, &claims, &unknown.key)
        }
        OidcSigner::Unsigned => jws::sign_compact(&header, &claims, &JwsKey::Unsigned),
        OidcSigner::HmacWithPublicKey => {
            let hmac = JwsKey::hmac(Sensitive::new(key.public_pem.clone()), Alg::HS256)?;
            jws::sign_compact(&header, &claims, &hmac)
        }
    }
}

/// `at_hash` for RS256: base64url of the left half of SHA-256 of the access token.
pub fn at_hash(access_token: &str) -> String {
    let digest = openssl::sha::sha256(access_token.as_bytes());
    jws::b64(digest.get(..16).unwrap_or_default())
}

fn crypto(e: openssl::error::ErrorStack) -> Error {
    Error::new(ErrorCode::Internal, format!("the demo OP's crypto failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn redirect_uris_are_handshakes_own_callbacks_only() {
        for ok in ["http://127.0.0.1:7777/oidc/demo-oidc/callback", "http://localhost:7777/oidc/x/callback"] {
            assert!(redirect_uri_allowed(ok, BASE), "{ok}");
        }
        for bad in [
            "http://127.0.0.1:7778/oidc/demo/callback",
            "https://127.0.0.1:7777/oidc/demo/callback",
            "http://evil.example:7777/oidc/demo/callback",
            "http://127.0.0.1:7777/oidc/demo/callback#x",
            "http://127.0.0.1:7777/oidc/demo/callback/extra",
            "http://127.0.0.1:7777/saml/demo/acs",
            "http://u:p@127.0.0.1:7777/oidc/demo/callback",
            "http://127.0.0.1:7777/oidc/../callback",
            "not a url",
        ] {
            assert!(!redirect_uri_allowed(bad, BASE), "{bad}");
        }
    }

    #[test]
    fn authorization_requests_are_checked_client_first() {
        assert!(check_authorize(&params(), BASE).is_ok());
        let page = |p: AuthorizeParams| matches!(check_authorize(&p, BASE), Err(AuthorizeError::Page(_)));
        assert!(page(AuthorizeParams { client_id: Some("other".into()), ..params() }));
        assert!(page(AuthorizeParams { redirect_uri: Some("http://evil.example/cb".into()), ..params() }));
        assert!(page(AuthorizeParams { response_type: None, redirect_uri: None, ..params() }));
        let redirected = |p: AuthorizeParams| match check_authorize(&p, BASE) {
            Err(AuthorizeError::Redirect { error, state, .. }) => Some((error, state)),
            _ => None,
        };
        let s = Some("s1".to_owned());
        assert_eq!(
            redirected(AuthorizeParams { code_challenge: None, ..params() }),
            Some(("invalid_request", s.clone()))
        );
        let plain = AuthorizeParams { code_challenge_method: Some("plain".into()), ..params() };
        assert_eq!(redirected(plain), Some(("invalid_request", s.clone())));
        let token = AuthorizeParams { response_type: Some("token".into()), ..params() };
        assert_eq!(redirected(token), Some(("unsupported_response_type", s.clone())));
        assert_eq!(redirected(AuthorizeParams { scope: Some("email".into()), ..params() }), Some(("invalid_scope", s)));
    }

    #[test]
    fn client_secret_is_compared_exactly() {
        let client = OpClient { client_id: CLIENT_ID.into(), secret: Sensitive::new("s3cret".into()) };
        assert!(client.authenticates(CLIENT_ID, "s3cret"));
        for (id, secret) in [(CLIENT_ID, "s3cre"), (CLIENT_ID, "s3cret "), (CLIENT_ID, ""), ("other", "s3cret")] {
            assert!(!client.authenticates(id, secret), "{id} {secret}");
        }
    }

    #[test]
    fn at_hash_is_the_left_half_of_sha256() {
        // OIDC Core §3.1.3.6, checked against the RFC's worked definition.
        let full = openssl::sha::sha256(b"token");
        assert_eq!(at_hash("token"), jws::b64(&full[..16]));
    }
}
