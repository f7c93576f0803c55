//! A login, whatever the protocol. One data flow:
//!
//! 1. a protocol adapter judges what the IdP sent ([`saml::judge`] for a SAMLResponse,
//!    [`oidc::judge`] for an ID token) and returns a [`Judgement`]: the checks it made and,
//!    when they held, the [`VerifiedLogin`] (issuer, claims, replay keys);
//! 2. [`pipeline::record`] takes only that: it consumes the replay keys, maps the claims and
//!    provisions the account (src/provision), and writes the audit row, all in the caller's
//!    write transaction, together with the test-login record when there is one;
//! 3. the result is a [`ProvisionReport`], shown the same way by the app, the result page and
//!    the CLI.

pub mod oidc;
pub mod outcome;
pub mod pipeline;
pub mod record;
pub mod report;
pub mod saml;
pub mod summary;

use chrono::{DateTime, Utc};

pub use outcome::{Denial, DenialCode, Outcome, ScimRemoval, Stop, StoppedBy};
pub use record::{LoginKind, LoginStart, TestLogin, TestLoginSummary};
pub use report::ProvisionReport;
pub use summary::Summary;

use crate::provision::Claims;
use crate::validate::{CheckResult, Verdict};

/// What a login consumes so it cannot be used twice: an ID with the issuer that issued it.
/// Shared by every connection and protocol ([`crate::store::replay`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayKey {
    /// The entityID (SAML) or issuer (OIDC) that issued the ID.
    pub issuer: String,
    /// `saml_assertion`, `oidc_nonce` (or an ID token's `jti`), `oidc_code`.
    pub kind: &'static str,
    pub id: String,
    /// The latest instant the ID is acceptable (NotOnOrAfter), if known.
    pub not_on_or_after: Option<DateTime<Utc>>,
}

/// A login whose checks all held: what provisioning may act on.
#[derive(Debug, Clone)]
pub struct VerifiedLogin {
    pub issuer: String,
    pub claims: Claims,
    /// Every ID the login consumes, in order: a SAML assertion ID; an ID token's nonce (or
    /// `jti`) and the authorization code. The first one consumed before refuses the login.
    pub replay: Vec<ReplayKey>,
}

/// What a protocol adapter made of a response.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub verdict: Verdict,
    pub checks: Vec<CheckResult>,
    /// The first failed check, when rejected.
    pub failure: Option<StoppedBy>,
    /// A signature of the IdP verified (even if a later check failed): what it says came
    /// from the IdP. Otherwise anyone could have sent it.
    pub authenticated: bool,
    /// What the IdP said, once a signature held (shown even when a later check failed).
    pub claims: Claims,
    /// Present exactly when every check held.
    pub login: Option<VerifiedLogin>,
    /// Which parts a verified signature covered, and whether the assertion was encrypted.
    pub response_signed: bool,
    pub assertion_signed: bool,
    pub encrypted: bool,
    /// What an admin should know that is not a failure.
    pub notes: Vec<String>,
    /// The decoded document, for inspection; `parsed` says it was a well-formed message of
    /// the protocol (only then is it kept with the test login).
    pub document: Option<String>,
    pub parsed: bool,
}
