//! Turning a connection's SCIM endpoint on and off, its token, its status and request log.
//! Each change is an admin action with its audit row; the token is generated here, kept in the
//! secret store (`scim-token/<name>`), and handed out once (enable, rotate) as `Sensitive`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Workbench;
use crate::error::Result;
use crate::provision::{Lifecycle, LifecyclePolicy};
use crate::scim::ScimRequestSummary;
use crate::sensitive::Sensitive;

/// A connection's SCIM side as the app and CLI show it (never the token).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ScimStatus {
    pub connection: String,
    pub enabled: bool,
    /// `http://127.0.0.1:{port}/scim/{name}/v2`: what the IdP's SCIM client is given.
    pub endpoint: String,
    pub lifecycle: Lifecycle,
    pub token_generation: u32,
    pub enabled_at: Option<DateTime<Utc>>,
    pub rotated_at: Option<DateTime<Utc>>,
    /// Live SCIM resources (tombstones not counted).
    #[cfg_attr(feature = "typescript", ts(type = "number"))]
    pub users: i64,
    #[cfg_attr(feature = "typescript", ts(type = "number"))]
    pub groups: i64,
}

/// What `enable` and `rotate-token` return: the status and the new token, once. The token
/// never crosses IPC: the CLI prints it, the app's shell copies it to the clipboard.
#[derive(Debug, Clone)]
pub struct ScimEnabled {
    pub status: ScimStatus,
    pub token: Sensitive<String>,
}

impl Workbench {
    #[allow(clippy::unimplemented, unused_variables)]
    pub fn scim_enable(
        &self,
        connection: &str,
        policy: Option<LifecyclePolicy>,
        now: DateTime<Utc>,
    ) -> Result<ScimEnabled> {
        unimplemented!("issue #15: helper svc")
    }

    #[allow(clippy::unimplemented, unused_variables)]
    pub fn scim_disable(&self, connection: &str, now: DateTime<Utc>) -> Result<ScimStatus> {
        unimplemented!("issue #15: helper svc")
    }

    #[allow(clippy::unimplemented, unused_variables)]
    pub fn scim_rotate_token(&self, connection: &str, now: DateTime<Utc>) -> Result<ScimEnabled> {
        unimplemented!("issue #15: helper svc")
    }

    #[allow(clippy::unimplemented, unused_variables)]
    pub fn scim_status(&self, connection: &str) -> Result<ScimStatus> {
        unimplemented!("issue #15: helper svc")
    }

    /// The newest requests first.
    #[allow(clippy::unimplemented, unused_variables)]
    pub fn scim_log(&self, connection: &str, limit: u32) -> Result<Vec<ScimRequestSummary>> {
        unimplemented!("issue #15: helper svc")
    }
}
