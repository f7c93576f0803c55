//! OpenID Connect, the second protocol: the vocabulary of an OIDC connection (settings,
//! algorithms, client authentication) and the judge's contract. The judge (`judge.rs`)
//! checks an ID token and what came with it; `login::oidc` turns its report into the
//! protocol-neutral `Judgement`, exactly as `login::saml` does for a SAMLResponse.
//!
//! Nothing here holds SQL, and nothing here reads the wall clock: `now` is a parameter.

pub mod claims;
pub mod client_key;
pub mod discovery;
pub mod http;
pub mod jose;
pub mod judge;
pub mod jwks;
pub mod rp;
pub mod violation;

pub use judge::judge;
pub use violation::Violation;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::sensitive::Sensitive;
use crate::validate::{CheckResult, Verdict};

/// A JWS algorithm an ID token may be signed with. `none` is not one: it can never be
/// allowed, so it cannot be named in a connection's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    /// HMAC keyed with the client secret: only for a confidential client that allows it.
    HS256,
    HS384,
    HS512,
}

impl Alg {
    pub const ALL: [Alg; 11] = [
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::HS256,
        Alg::HS384,
        Alg::HS512,
    ];
    /// What a new connection allows.
    pub const DEFAULT: [Alg; 3] = [Alg::RS256, Alg::PS256, Alg::ES256];

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
        }
    }

    /// The JOSE name exactly as sent (case-sensitive, RFC 7515 §4.1.1); `none` and unknown
    /// names are `None`.
    pub fn parse(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.as_str() == name)
    }

    pub fn is_hmac(self) -> bool {
        matches!(self, Alg::HS256 | Alg::HS384 | Alg::HS512)
    }
}

/// How Handshake authenticates at the token endpoint (OIDC Core §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum ClientAuth {
    #[default]
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    /// A public client: PKCE alone.
    None,
}

impl ClientAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuth::ClientSecretBasic => "client_secret_basic",
            ClientAuth::ClientSecretPost => "client_secret_post",
            ClientAuth::PrivateKeyJwt => "private_key_jwt",
            ClientAuth::None => "none",
        }
    }
}

/// Which loopback name the redirect URI uses: `127.0.0.1`, or `localhost` for IdPs that
/// accept plain HTTP only for localhost (Entra ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum RedirectHost {
    #[default]
    Loopback,
    Localhost,
}

/// Default scopes of a new connection (a preset may add some, e.g. `groups`).
pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// The OIDC side of a connection. For an OIDC connection `idp.entity_id` is the issuer, so
/// the pipeline, the audit log and the replay cache read one field for both protocols.
/// The client secret is not here: it lives only in the secret store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcSettings {
    /// The OP's issuer identifier, compared as sent.
    pub issuer: String,
    /// The URL discovery was fetched from, or `None` for endpoints typed by hand.
    pub discovery_url: Option<String>,
    /// The discovery document exactly as fetched (for re-discover diffs and export).
    pub discovery_json: Option<String>,
    pub discovered_at: Option<DateTime<Utc>>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    /// The cached JWKS (public keys only), and when it was fetched.
    pub jwks_json: Option<String>,
    pub jwks_fetched_at: Option<DateTime<Utc>>,
    pub client_id: String,
    pub client_auth: ClientAuth,
    pub scopes: Vec<String>,
    pub allowed_algs: Vec<Alg>,
    /// Audiences besides the client ID an ID token may carry (then `azp` must be the client).
    pub trusted_audiences: Vec<String>,
    /// Call the userinfo endpoint after the code exchange.
    pub call_userinfo: bool,
    pub redirect_host: RedirectHost,
}

impl OidcSettings {
    /// Whether the discovery document says the OP sends `iss` in its authorization responses
    /// (RFC 9207 `authorization_response_iss_parameter_supported`).
    pub fn iss_parameter_supported(&self) -> bool {
        let Some(doc) = &self.discovery_json else { return false };
        serde_json::from_str::<serde_json::Value>(doc)
            .ok()
            .and_then(|d| d.get("authorization_response_iss_parameter_supported").and_then(serde_json::Value::as_bool))
            .unwrap_or(false)
    }
}

/// What the token endpoint answered, as the RP saw it. The access token is a secret: it is
/// used for `at_hash` and userinfo, and never stored or shown.
#[derive(Debug, Clone)]
pub enum Exchange {
    /// A 2xx JSON token response.
    Tokens {
        id_token: Option<String>,
        access_token: Option<Sensitive<String>>,
        token_type: Option<String>,
        scope: Option<String>,
    },
    /// An OAuth error response (RFC 6749 §5.2): `invalid_client`, `invalid_grant`...
    OpError { status: u16, error: String, error_description: Option<String>, error_uri: Option<String> },
    /// No usable answer: a transport failure, a non-JSON body, a body over the limit.
    Failed { status: Option<u16>, detail: String },
}

/// How the callback's `state` matched an outstanding request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateMatch {
    /// Matched an outstanding, unanswered, unexpired request of this connection; `iss` in
    /// the callback (RFC 9207), if sent, is carried for the mix-up check.
    Matched {
        iss: Option<String>,
    },
    Missing,
    Unknown,
    Expired {
        expired_at: DateTime<Utc>,
    },
    AlreadyAnswered,
    /// The OP redirected with `error` instead of a code (RFC 6749 §4.1.2.1).
    OpError {
        error: String,
        error_description: Option<String>,
    },
}

/// Everything the judge needs besides the token. Offline judging (a pasted token) has no
/// state, exchange, code or userinfo: those checks are then skipped, saying why.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub settings: &'a OidcSettings,
    pub client_secret: Option<&'a Sensitive<String>>,
    pub clock_skew_seconds: u32,
    pub now: DateTime<Utc>,
    /// The nonce the outstanding request sent; `None` offline without `--nonce`.
    pub expected_nonce: Option<&'a str>,
    /// The JWKS to verify with (the cached one, or the one fetched again for an unknown kid).
    pub jwks_json: Option<&'a str>,
    /// Set when the JWKS was fetched again during this login because the token named an
    /// unknown `kid` (shown in the signature check).
    pub jwks_refetched: bool,
    pub state: Option<&'a StateMatch>,
    pub exchange: Option<&'a Exchange>,
    /// The authorization code (for `c_hash`); a secret, never shown.
    pub code: Option<&'a Sensitive<String>>,
    /// The userinfo response's claims, when it was called.
    pub userinfo: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

/// The judge's report on one ID token: every check with its status, the decoded header and
/// claims (never the compact token, never an access or refresh token).
#[derive(Debug, Clone)]
pub struct Report {
    pub verdict: Verdict,
    pub checks: Vec<CheckResult>,
    /// The first failure, as the pipeline stops on it.
    pub failure: Option<crate::validate::Failure>,
    pub header: Option<serde_json::Map<String, serde_json::Value>>,
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// A key of the OP's JWKS verified the signature.
    pub signature_verified: bool,
    pub kid: Option<String>,
    pub nonce: Option<String>,
    pub jti: Option<String>,
    /// base64url(SHA-256(code)) when the context had the authorization code: the replay key
    /// of the code (never the code itself, which is a secret).
    pub code_id: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub notes: Vec<String>,
}
