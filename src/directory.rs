//! The directory's records: application accounts, their IdP identities, and the audit log.
//! Provisioning writes them (src/provision), the store keeps them (src/store/users.rs,
//! src/store/audit.rs), the app and the CLI show them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::login::{Outcome, Stop};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum UserStatus {
    Active,
    Deactivated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum UserSource {
    Jit,
    Manual,
}

/// An account of the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct User {
    pub id: i64,
    /// The connection whose login created the account.
    pub connection: Option<String>,
    /// IdP identities: (connection name, subject).
    pub identities: Vec<Identity>,
    pub email: Option<String>,
    /// The address came from a source trusted for its domain: an admin, or a connection that
    /// lists the domain as verified. Only such accounts can be linked by email.
    #[serde(default)]
    pub email_verified: bool,
    /// Who set the address: `admin`, or the name of the connection whose login did.
    #[serde(default)]
    pub email_source: Option<String>,
    pub username: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    pub custom: BTreeMap<String, String>,
    pub status: UserStatus,
    pub source: UserSource,
    pub first_login: Option<DateTime<Utc>>,
    pub last_login: Option<DateTime<Utc>>,
    pub login_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Identity {
    pub connection: String,
    pub subject: String,
    pub linked: bool,
}

/// One field that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct FieldChange {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub connection: String,
    pub subject: Option<String>,
    pub outcome: Outcome,
    /// For `rejected` and `denied`: the validation check (`audience`...) or the provisioning
    /// rule (`missing_attribute`, `replay`...) that stopped the login.
    #[serde(default)]
    pub failed_check: Option<Stop>,
    /// What stopped it and what to change.
    pub message: Option<String>,
    pub user_id: Option<i64>,
    pub diff: Vec<FieldChange>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct UserQuery {
    pub connection: Option<String>,
    /// Matches email, names, username, groups and roles, ignoring case.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AuditQuery {
    pub connection: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    /// Matches subject, message and failed check, ignoring case.
    pub text: Option<String>,
    /// Only the rows about this account.
    #[cfg_attr(feature = "typescript", ts(type = "number | null"))]
    pub user_id: Option<i64>,
}
