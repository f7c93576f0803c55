//! Turning a connection's SCIM endpoint on and off, its token, its status and request log.
//! Each change is an admin action with its audit row; the token is generated here, kept in the
//! secret store (`scim-token/<name>`), and handed out once (enable, rotate) as `Sensitive`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Workbench;
use super::audit::{self, AdminChange};
use crate::directory::AdminAction;
use crate::error::{Error, ErrorCode, Result};
use crate::provision::{Lifecycle, LifecyclePolicy};
use crate::scim::{ResourceKind, ScimRequestSummary};
use crate::secrets;
use crate::sensitive::Sensitive;
use crate::store::{self, scim::ScimSettings};

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
    /// Turns the connection's SCIM endpoint on and issues a new token (shown once: an earlier
    /// token stops working at once). `policy` also sets the connection's lifecycle policy.
    pub fn scim_enable(
        &self,
        connection: &str,
        policy: Option<LifecyclePolicy>,
        now: DateTime<Utc>,
    ) -> Result<ScimEnabled> {
        self.issue_scim_token(connection, policy, AdminAction::ScimEnable, now)
    }

    /// Turns the endpoint off: every request gets 401 from now on, and the token is removed
    /// from the secret store (enabling again issues a new one). Resources and the log stay.
    pub fn scim_disable(&self, connection: &str, now: DateTime<Utc>) -> Result<ScimStatus> {
        let c = self.store().get_connection(connection)?;
        let tx = self.store().write()?;
        let before = store::scim::settings(&tx, c.id)?;
        if let Some(mut settings) = before.clone().filter(|s| s.enabled) {
            settings.enabled = false;
            settings.updated_at = now;
            store::scim::put_settings(&tx, c.id, &settings)?;
            let diff = vec![audit::change("scim.enabled", true, false), audit::change("scim.token", "kept", "removed")];
            let message = format!("Turned off the SCIM endpoint of {}", c.name);
            self.record_admin(&tx, AdminChange::on(AdminAction::ScimDisable, &c, message, diff), now)?;
            tx.commit()?;
            // After the commit: a token left behind by an unreachable store is harmless (the
            // endpoint is off, and enabling again replaces it).
            if let Err(e) = self.secrets().delete(&secrets::scim_token(&c.name)) {
                tracing::warn!(connection = %c.name, error = %e.message, "the SCIM token could not be removed from the secret store");
            }
        }
        self.scim_status(connection)
    }

    /// A new token for an enabled endpoint (shown once; the old one stops working at once).
    pub fn scim_rotate_token(&self, connection: &str, now: DateTime<Utc>) -> Result<ScimEnabled> {
        let c = self.store().get_connection(connection)?;
        if !store::scim::settings(self.store(), c.id)?.is_some_and(|s| s.enabled) {
            return Err(Error::new(
                ErrorCode::Conflict,
                format!("the SCIM endpoint of {} is off: there is no token to rotate", c.name),
            )
            .detail("scim_disabled")
            .hint("Turn on the connection's SCIM endpoint; that issues a token."));
        }
        self.issue_scim_token(connection, None, AdminAction::ScimTokenRotate, now)
    }

    pub fn scim_status(&self, connection: &str) -> Result<ScimStatus> {
        let c = self.store().get_connection(connection)?;
        let settings = store::scim::settings(self.store(), c.id)?;
        let lifecycle = self.mapping(&c.name)?.provisioning.lifecycle;
        Ok(ScimStatus {
            connection: c.name.clone(),
            enabled: settings.as_ref().is_some_and(|s| s.enabled),
            endpoint: scim_endpoint(self.base_url(), &c.name),
            lifecycle,
            token_generation: settings.as_ref().map_or(0, |s| s.token_generation),
            enabled_at: settings.as_ref().and_then(|s| s.enabled_at),
            rotated_at: settings.as_ref().and_then(|s| s.rotated_at),
            users: store::scim::count_live(self.store(), c.id, ResourceKind::User)?,
            groups: store::scim::count_live(self.store(), c.id, ResourceKind::Group)?,
        })
    }

    /// The newest requests first.
    pub fn scim_log(&self, connection: &str, limit: u32) -> Result<Vec<ScimRequestSummary>> {
        let c = self.store().get_connection(connection)?;
        store::scim::requests(self.store(), &c.name, limit)
    }

    /// Enable and rotate: the generation bump and the audit row in one transaction, the new
    /// token stored in the secret store just before its commit. A secret store that cannot be
    /// reached, or a crash before that, changes nothing: the old token keeps working (a client
    /// is never locked out by a rotation nobody saw).
    fn issue_scim_token(
        &self,
        connection: &str,
        policy: Option<LifecyclePolicy>,
        action: AdminAction,
        now: DateTime<Utc>,
    ) -> Result<ScimEnabled> {
        let c = self.store().get_connection(connection)?;
        let token = secrets::generate_scim_token()?;
        let tx = self.store().write()?;
        let before = store::scim::settings(&tx, c.id)?;
        let was_enabled = before.as_ref().is_some_and(|s| s.enabled);
        let generation = before.as_ref().map_or(0, |s| s.token_generation).saturating_add(1);
        let settings = ScimSettings {
            enabled: true,
            token_generation: generation,
            enabled_at: if was_enabled { before.as_ref().and_then(|s| s.enabled_at) } else { Some(now) },
            rotated_at: if action == AdminAction::ScimTokenRotate || was_enabled {
                Some(now)
            } else {
                before.as_ref().and_then(|s| s.rotated_at)
            },
            updated_at: now,
        };
        store::scim::put_settings(&tx, c.id, &settings)?;
        let mut diff = Vec::new();
        if !was_enabled {
            diff.push(audit::change("scim.enabled", false, true));
        }
        diff.push(audit::change(
            "scim.token",
            if was_enabled { "revoked" } else { "none" },
            format!("issued (generation {generation})"),
        ));
        if let Some(policy) = policy {
            let mut mapping = store::mappings::get_mapping(&tx, c.id)?.unwrap_or_default();
            let old = mapping.provisioning.lifecycle.policy;
            if old != policy {
                mapping.provisioning.lifecycle.policy = policy;
                store::mappings::set_mapping(&tx, c.id, &mapping, now)?;
                diff.push(audit::change("mapping.provisioning.lifecycle.policy", old.as_str(), policy.as_str()));
            }
        }
        let message = match action {
            AdminAction::ScimTokenRotate => format!("Issued a new SCIM token for {}", c.name),
            _ if was_enabled => format!("Issued a new SCIM token for {} (the endpoint was on)", c.name),
            _ => format!("Turned on the SCIM endpoint of {}", c.name),
        };
        self.record_admin(&tx, AdminChange::on(action, &c, message, diff), now)?;
        self.secrets().set(&secrets::scim_token(&c.name), &Sensitive::new(token.expose().as_bytes().to_vec()))?;
        tx.commit()?;
        Ok(ScimEnabled { status: self.scim_status(&c.name)?, token })
    }
}

/// What the IdP's SCIM client is given: `http://127.0.0.1:{port}/scim/{name}/v2`.
pub fn scim_endpoint(base_url: &str, connection: &str) -> String {
    format!("{}/scim/{connection}/v2", base_url.trim_end_matches('/'))
}
