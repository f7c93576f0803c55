//! Test logins through the embedded SP, as stored and shown: how each started, what it
//! answered, and what came of it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Outcome, ProvisionReport, Stop};

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
    pub fn as_str(self) -> &'static str {
        match self {
            LoginKind::SpInitiated => "sp_initiated",
            LoginKind::IdpInitiated => "idp_initiated",
            LoginKind::UnknownRequest => "unknown_request",
        }
    }

    pub fn parse(s: &str) -> Self {
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
    pub outcome: Outcome,
    pub failed_check: Option<Stop>,
    pub user_id: Option<i64>,
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
