//! Who may create, change and remove an account of a connection: JIT at login, a SCIM client,
//! or both (issue #15). The policy is part of the mapping document's `provisioning`, so it is
//! edited, previewed, exported and audited with the rest of the mapping.
//!
//! - `jit` (the default, Handshake before SCIM): logins create and update accounts; SCIM
//!   writes, when enabled, are last-writer-wins.
//! - `scim`: only SCIM creates accounts; a login of a subject SCIM never provisioned is denied
//!   (`not_provisioned`).
//! - `hybrid`: both. A subject SCIM deactivated or deleted is denied at login and never
//!   recreated by JIT (`scim_deprovisioned`); with `jit_requires_scim`, JIT creates only
//!   subjects SCIM has provisioned; each field has an [`Owner`], and a login never writes a
//!   SCIM-owned field (the trace says so).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum LifecyclePolicy {
    #[default]
    Jit,
    Scim,
    Hybrid,
}

impl LifecyclePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecyclePolicy::Jit => "jit",
            LifecyclePolicy::Scim => "scim",
            LifecyclePolicy::Hybrid => "hybrid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "jit" => Some(LifecyclePolicy::Jit),
            "scim" => Some(LifecyclePolicy::Scim),
            "hybrid" => Some(LifecyclePolicy::Hybrid),
            _ => None,
        }
    }
}

/// Who writes a field of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Owner {
    /// Only SCIM writes it; a login's value is shown in the trace and not written.
    Scim,
    /// Only logins write it; SCIM's value stays in the SCIM document (and the report).
    Login,
    /// Whoever wrote last; `users.field_sources` records who and when.
    LastWriter,
}

/// Which SCIM attribute carries the login subject of a SCIM User (the other side is the
/// mapping's `subject`: NameID, `sub`, `oid` or a key attribute), compared exactly as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum MatchRule {
    /// `externalId` (Okta's user id = OIDC `sub`; Entra's objectId once mapped so).
    ExternalId,
    /// `userName` (the SAML NameID of most IdPs).
    #[default]
    UserName,
}

/// The fields an owner can be set for: `email`, `username`, `given_name`, `family_name`,
/// `display_name`, `groups`, `status`, and `custom.<name>`.
pub const OWNED_FIELDS: [&str; 7] =
    ["email", "username", "given_name", "family_name", "display_name", "groups", "status"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Lifecycle {
    pub policy: LifecyclePolicy,
    /// Hybrid: JIT creates only subjects SCIM has provisioned (`not_provisioned` otherwise).
    pub jit_requires_scim: bool,
    pub match_rule: MatchRule,
    /// Field name → owner; a field not listed takes the policy's default owner.
    pub owners: BTreeMap<String, Owner>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            policy: LifecyclePolicy::Jit,
            jit_requires_scim: false,
            match_rule: MatchRule::UserName,
            owners: BTreeMap::new(),
        }
    }
}
