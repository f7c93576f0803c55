//! One variant per way an ID token (or what came with it) can be refused. Each names its
//! check, what was expected, what was found, and how to fix it, like
//! [`crate::validate::Violation`] for SAML.
//!
//! This file holds the variants, their check and their stable name; `messages` words what
//! each expected and found, `hints` how to fix it.

mod hints;
mod messages;

use chrono::{DateTime, Utc};

use crate::validate::CheckId;

/// Which part of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Header,
    Payload,
    Signature,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    // discovery
    DiscoveryUnreadable { detail: String },
    DiscoveryIssuerTemplate { discovered: String },
    DiscoveryIssuerMismatch { configured: String, discovered: String },
    // state
    StateMissing,
    StateUnknown,
    StateExpired { expired_at: DateTime<Utc> },
    StateAlreadyAnswered,
    AuthorizationError { error: String, description: Option<String> },
    CallbackIssuerMismatch { expected: String, found: String },
    CallbackIssuerMissing { expected: String },
    // token_response
    OpError { status: u16, error: String, description: Option<String> },
    TokenHttp { status: Option<u16>, detail: String },
    NoIdToken,
    TokenTypeNotBearer { found: Option<String> },
    // parse
    Empty,
    TooLarge { bytes: usize, limit: usize },
    Encrypted,
    NotCompact { parts: usize },
    NotBase64Url { part: Part, detail: String },
    NotJson { part: Part, detail: String },
    NotAnObject { part: Part },
    DuplicateMember { part: Part, name: String },
    UnsupportedCrit { names: String },
    UnsupportedTyp { typ: String },
    MissingSubject,
    // algorithm
    MissingAlg,
    AlgNone,
    UnsupportedAlg { alg: String },
    AlgNotAllowed { alg: String, allowed: Vec<String> },
    HmacWithoutSecret { alg: String },
    // signature
    NoJwks,
    JwksUnreadable { detail: String },
    JwksTooLarge { detail: String },
    UnknownKid { kid: String, known: Vec<String>, refetched: bool, offline: bool },
    NoMatchingKey { alg: String, refetched: bool },
    AmbiguousKey { alg: String, count: usize },
    KeyNotForAlg { kid: String, alg: String, detail: String },
    BadJwk { kid: String, detail: String },
    WeakKey { kid: String, bits: u32 },
    KeyTooLarge { kid: String, bits: u32 },
    SignatureEncoding { alg: String, length: usize, expected: usize },
    SignatureInvalid { alg: String, kid: Option<String> },
    // issuer
    MissingIssuer,
    IssuerMismatch { expected: String, found: String },
    // audience
    MissingAudience,
    AudienceMismatch { expected: String, found: Vec<String> },
    AzpMissing { audiences: Vec<String> },
    AzpMismatch { expected: String, found: String },
    UntrustedAudience { untrusted: Vec<String> },
    // time_window
    MissingExp,
    MissingIat,
    Expired { exp: String, now: String },
    NotYetValid { nbf: String, now: String },
    IssuedInFuture { iat: String, now: String },
    // nonce
    NonceMissing { expected: String },
    NonceMismatch { expected: String, found: String },
    // at_hash
    AtHashMismatch { expected: String, found: String },
    CHashMismatch { expected: String, found: String },
    // userinfo_subject
    UserinfoSubjectMissing { expected: String },
    UserinfoSubjectMismatch { expected: String, found: String },
    // any check reading a claim: the claim is there with the wrong JSON type (or range).
    BadClaim { claim: &'static str, expected: &'static str, found: String },
}

impl Violation {
    pub fn check(&self) -> CheckId {
        use Violation::*;
        match self {
            DiscoveryUnreadable { .. } | DiscoveryIssuerTemplate { .. } | DiscoveryIssuerMismatch { .. } => {
                CheckId::Discovery
            }
            StateMissing
            | StateUnknown
            | StateExpired { .. }
            | StateAlreadyAnswered
            | AuthorizationError { .. }
            | CallbackIssuerMismatch { .. }
            | CallbackIssuerMissing { .. } => CheckId::State,
            OpError { .. } | TokenHttp { .. } | NoIdToken | TokenTypeNotBearer { .. } => CheckId::TokenResponse,
            Empty
            | TooLarge { .. }
            | Encrypted
            | NotCompact { .. }
            | NotBase64Url { .. }
            | NotJson { .. }
            | NotAnObject { .. }
            | DuplicateMember { .. }
            | UnsupportedCrit { .. }
            | UnsupportedTyp { .. }
            | MissingSubject => CheckId::Parse,
            MissingAlg | AlgNone | UnsupportedAlg { .. } | AlgNotAllowed { .. } | HmacWithoutSecret { .. } => {
                CheckId::Algorithm
            }
            NoJwks
            | JwksUnreadable { .. }
            | JwksTooLarge { .. }
            | UnknownKid { .. }
            | NoMatchingKey { .. }
            | AmbiguousKey { .. }
            | KeyNotForAlg { .. }
            | BadJwk { .. }
            | WeakKey { .. }
            | KeyTooLarge { .. }
            | SignatureEncoding { .. }
            | SignatureInvalid { .. } => CheckId::Signature,
            MissingIssuer | IssuerMismatch { .. } => CheckId::Issuer,
            MissingAudience
            | AudienceMismatch { .. }
            | AzpMissing { .. }
            | AzpMismatch { .. }
            | UntrustedAudience { .. } => CheckId::Audience,
            MissingExp | MissingIat | Expired { .. } | NotYetValid { .. } | IssuedInFuture { .. } => {
                CheckId::TimeWindow
            }
            NonceMissing { .. } | NonceMismatch { .. } => CheckId::Nonce,
            AtHashMismatch { .. } | CHashMismatch { .. } => CheckId::AtHash,
            UserinfoSubjectMissing { .. } | UserinfoSubjectMismatch { .. } => CheckId::UserinfoSubject,
            BadClaim { claim, .. } => claim_check(claim),
        }
    }

    /// A stable snake_case name for the violation itself.
    pub fn name(&self) -> &'static str {
        use Violation::*;
        match self {
            DiscoveryUnreadable { .. } => "discovery_unreadable",
            DiscoveryIssuerTemplate { .. } => "discovery_issuer_template",
            DiscoveryIssuerMismatch { .. } => "discovery_issuer_mismatch",
            StateMissing => "state_missing",
            StateUnknown => "state_unknown",
            StateExpired { .. } => "state_expired",
            StateAlreadyAnswered => "state_already_answered",
            AuthorizationError { .. } => "authorization_error",
            CallbackIssuerMismatch { .. } => "callback_issuer_mismatch",
            CallbackIssuerMissing { .. } => "callback_issuer_missing",
            OpError { .. } => "op_error",
            TokenHttp { .. } => "token_http",
            NoIdToken => "no_id_token",
            TokenTypeNotBearer { .. } => "token_type_not_bearer",
            Empty => "empty",
            TooLarge { .. } => "too_large",
            Encrypted => "encrypted_token_unsupported",
            NotCompact { .. } => "not_compact_jws",
            NotBase64Url { .. } => "not_base64url",
            NotJson { .. } => "not_json",
            NotAnObject { .. } => "not_an_object",
            DuplicateMember { .. } => "duplicate_member",
            UnsupportedCrit { .. } => "unsupported_crit",
            UnsupportedTyp { .. } => "unsupported_typ",
            MissingSubject => "missing_sub",
            MissingAlg => "missing_alg",
            AlgNone => "alg_none",
            UnsupportedAlg { .. } => "unsupported_alg",
            AlgNotAllowed { .. } => "alg_not_allowed",
            HmacWithoutSecret { .. } => "hmac_without_secret",
            NoJwks => "no_jwks",
            JwksUnreadable { .. } => "jwks_unreadable",
            JwksTooLarge { .. } => "jwks_too_large",
            UnknownKid { .. } => "unknown_kid",
            NoMatchingKey { .. } => "no_matching_key",
            AmbiguousKey { .. } => "ambiguous_key",
            KeyNotForAlg { .. } => "key_not_for_alg",
            BadJwk { .. } => "bad_jwk",
            WeakKey { .. } => "weak_key",
            KeyTooLarge { .. } => "key_too_large",
            SignatureEncoding { .. } => "signature_encoding",
            SignatureInvalid { .. } => "signature_invalid",
            MissingIssuer => "missing_issuer",
            IssuerMismatch { .. } => "issuer_mismatch",
            MissingAudience => "missing_audience",
            AudienceMismatch { .. } => "audience_mismatch",
            AzpMissing { .. } => "azp_missing",
            AzpMismatch { .. } => "azp_mismatch",
            UntrustedAudience { .. } => "untrusted_audience",
            MissingExp => "missing_exp",
            MissingIat => "missing_iat",
            Expired { .. } => "expired",
            NotYetValid { .. } => "not_yet_valid",
            IssuedInFuture { .. } => "issued_in_future",
            NonceMissing { .. } => "nonce_missing",
            NonceMismatch { .. } => "nonce_mismatch",
            AtHashMismatch { .. } => "at_hash_mismatch",
            CHashMismatch { .. } => "c_hash_mismatch",
            UserinfoSubjectMissing { .. } => "userinfo_subject_missing",
            UserinfoSubjectMismatch { .. } => "userinfo_subject_mismatch",
            BadClaim { .. } => "bad_claim",
        }
    }
}

/// The check that reads `claim`.
fn claim_check(claim: &str) -> CheckId {
    match claim {
        "iss" => CheckId::Issuer,
        "aud" | "azp" => CheckId::Audience,
        "exp" | "nbf" | "iat" => CheckId::TimeWindow,
        "nonce" => CheckId::Nonce,
        "at_hash" | "c_hash" => CheckId::AtHash,
        "alg" => CheckId::Algorithm,
        "kid" => CheckId::Signature,
        _ => CheckId::Parse,
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: expected {}, found {}", self.check(), self.expected(), self.actual())
    }
}

impl From<&Violation> for crate::validate::Failure {
    fn from(v: &Violation) -> Self {
        crate::validate::Failure { check: v.check(), violation: v.name(), message: v.to_string(), hint: v.hint() }
    }
}

impl From<&Violation> for crate::validate::Problem {
    fn from(v: &Violation) -> Self {
        crate::validate::Problem {
            violation: std::borrow::Cow::Borrowed(v.name()),
            expected: v.expected(),
            actual: v.actual(),
            hint: v.hint(),
        }
    }
}
