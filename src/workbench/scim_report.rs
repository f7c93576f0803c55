//! The lifecycle policy of a connection and the three reports where JIT and SCIM disagree:
//! JIT accounts SCIM does not know (nothing will ever de-provision them), SCIM users who never
//! signed in, and users whose last login's claims disagree with SCIM.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Workbench;
use crate::error::Result;
use crate::provision::{Lifecycle, Owner};

/// An account a report names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ReportUser {
    #[cfg_attr(feature = "typescript", ts(type = "number"))]
    pub user_id: i64,
    pub subject: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub scim_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One field where the SCIM value and the last login's value differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Disagreement {
    pub user: ReportUser,
    pub field: String,
    pub scim: serde_json::Value,
    pub login: serde_json::Value,
    /// Whose value the account holds.
    pub owner: Owner,
    pub login_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ScimReport {
    pub connection: String,
    pub jit_unknown_to_scim: Vec<ReportUser>,
    pub scim_never_signed_in: Vec<ReportUser>,
    pub claims_disagree: Vec<Disagreement>,
}

impl Workbench {
    #[allow(clippy::unimplemented, unused_variables)]
    pub fn scim_report(&self, connection: &str) -> Result<ScimReport> {
        unimplemented!("issue #15: helper life")
    }

    /// Replaces the connection's lifecycle (in its mapping document), with an admin audit row.
    #[allow(clippy::unimplemented, unused_variables)]
    pub fn set_lifecycle(&self, connection: &str, lifecycle: Lifecycle, now: DateTime<Utc>) -> Result<Lifecycle> {
        unimplemented!("issue #15: helper life")
    }
}
