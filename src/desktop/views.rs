//! What the desktop app shows: views shaped for screens, serialized over IPC and
//! mirrored in TypeScript (`ui/src/lib/generated/types.ts`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::metadata::{AggregateInfo, IdpSummary, MetadataWarning};
use crate::provision::{Claims, FieldChange, MappingDocument, Outcome, Trace, User};
use crate::testlogin::{TestLogin, TestLoginSummary};

/// The embedded SP as the window's banner shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ServerStatus {
    pub running: bool,
    pub port: u16,
    pub base_url: String,
    /// Why it is not running (`port_in_use`, `io`...), for the banner.
    pub error: Option<crate::Error>,
}

/// Everything the window needs at start.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AppStatus {
    pub version: String,
    pub database: String,
    pub secret_store: String,
    /// Set when the secret store cannot be used: imports and test logins then fail with it.
    pub secret_store_error: Option<crate::Error>,
    pub server: ServerStatus,
}

/// Last test login of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum TestStatus {
    NeverTested,
    Ok,
    Failing,
}

/// How soon a certificate expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum ExpiryLevel {
    Ok,
    /// Within 30 days.
    Soon,
    Expired,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct CertificateExpiry {
    pub not_after: DateTime<Utc>,
    #[cfg_attr(feature = "typescript", ts(type = "number"))]
    pub days_left: i64,
    pub level: ExpiryLevel,
}

/// One row of the connections list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ConnectionSummary {
    pub name: String,
    pub idp_entity_id: String,
    /// Guessed from the entityID and endpoints: `okta`, `entra`, `google`...; `generic` otherwise.
    pub vendor: String,
    pub vendor_label: String,
    pub status: TestStatus,
    pub last_test_at: Option<DateTime<Utc>>,
    pub last_failed_check: Option<String>,
    /// The IdP signing certificate that expires first.
    pub certificate: Option<CertificateExpiry>,
    #[cfg_attr(feature = "typescript", ts(type = "number"))]
    pub user_count: i64,
    pub updated_at: DateTime<Utc>,
}

/// A metadata document before it is saved: which IdPs it holds, what the chosen one
/// looks like, and its warnings.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MetadataPreview {
    pub idps: Vec<IdpSummary>,
    pub aggregate: Option<AggregateInfo>,
    /// The IdP that would be imported (the only one, or the chosen one).
    pub chosen: Option<IdpPreview>,
    /// Set when the chosen IdP cannot be imported (or an aggregate needs a choice).
    pub error: Option<crate::Error>,
    pub vendor: String,
    pub vendor_label: String,
    /// A connection name derived from the IdP, free in the catalog.
    pub suggested_name: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct IdpPreview {
    pub idp: crate::connection::IdpDescriptor,
    pub warnings: Vec<MetadataWarning>,
}

/// One field that differs between the stored IdP and the re-fetched metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MetadataChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ReimportPreview {
    pub url: String,
    pub metadata_xml: String,
    pub changes: Vec<MetadataChange>,
    pub warnings: Vec<MetadataWarning>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct PresetInfo {
    pub name: String,
    pub label: String,
    pub document: MappingDocument,
}

/// What a mapping (saved or being edited) makes of the last test login's claims.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MappingPreview {
    /// The test login whose claims were used; `None` when no test login has claims yet.
    #[cfg_attr(feature = "typescript", ts(type = "number | null"))]
    pub test_login_id: Option<i64>,
    pub claims: Claims,
    pub outcome: Option<Outcome>,
    pub user: Option<User>,
    pub diff: Vec<FieldChange>,
    pub trace: Option<Trace>,
    pub reason: Option<String>,
    pub message: Option<String>,
    /// Set when the mapping itself is invalid (bad regex, duplicate target...).
    pub error: Option<crate::Error>,
}

/// One line of a pretty-printed XML document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct XmlLine {
    pub depth: u32,
    pub text: String,
    /// Inside an element covered by a verified XML signature.
    pub signed: bool,
    /// Inside an `EncryptedAssertion`.
    pub encrypted: bool,
}

/// A test login with what the result view needs around it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct TestLoginDetail {
    pub login: TestLogin,
    pub xml: Vec<XmlLine>,
}

/// A pasted response, checked offline: validation and a dry-run provisioning.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AnalyzeResult {
    pub connection: String,
    /// The instant the response was judged at.
    pub at: DateTime<Utc>,
    /// The request ID accepted as outstanding (the response's own InResponseTo, if any).
    pub in_response_to: Option<String>,
    pub report: crate::workbench::ProvisionReport,
    pub xml: Vec<XmlLine>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AnalyzeOptions {
    /// Judge the response at this instant instead of now (e.g. when it was captured).
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct UserQuery {
    pub connection: Option<String>,
    /// Matches email, names, username, groups and roles, ignoring case.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct UserDetail {
    pub user: User,
    /// The audit rows about this user, newest first.
    pub audit: Vec<crate::provision::AuditEntry>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AuditQuery {
    pub connection: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// `created`, `updated`, `unchanged`, `linked`, `denied`, `rejected`...
    pub outcome: Option<String>,
    /// Matches subject, message and failed check, ignoring case.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum ExportFormat {
    Csv,
    JsonLines,
}

/// A new test login, as pushed to the window.
pub type TestLoginEvent = TestLoginSummary;

/// A connection exported to a file: everything but the SP private key (which never
/// leaves the secret store; the importer gets a fresh key pair).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectionFile {
    pub handshake_connection: u32,
    pub name: String,
    pub metadata_xml: String,
    pub metadata_source: String,
    pub idp_entity_id: String,
    pub sp_entity_id: Option<String>,
    pub acs_url: Option<String>,
    pub policy: crate::connection::SecurityPolicy,
    pub mapping: MappingDocument,
}
