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

use crate::directory::{FieldChange, FieldSource};

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

/// The fields whose owner never changes: `status` (only SCIM or an admin activates or
/// deactivates; a login never does) and `roles` (granted by the mapping's role rules at login).
const FIXED_OWNERS: [(&str, Owner); 2] = [("status", Owner::Scim), ("roles", Owner::Login)];

impl Owner {
    pub fn as_str(self) -> &'static str {
        match self {
            Owner::Scim => "scim",
            Owner::Login => "login",
            Owner::LastWriter => "last_writer",
        }
    }

    /// How an admin reads it: "owned by SCIM".
    pub fn describe(self) -> &'static str {
        match self {
            Owner::Scim => "owned by SCIM",
            Owner::Login => "owned by the login",
            Owner::LastWriter => "written by whoever writes last",
        }
    }
}

impl Lifecycle {
    /// Who writes `field` (`email`, `groups`, `custom.department`, `roles`, `status`...):
    /// - `status` is always SCIM's and `roles` always the login's (role rules);
    /// - policy `jit`: everything else goes to the last writer (a SCIM client, when one is
    ///   enabled, and logins overwrite each other, as before SCIM);
    /// - policies `scim` and `hybrid`: the `owners` entry, else SCIM for the profile fields
    ///   and groups, and the last writer for custom fields (a login may carry attributes SCIM
    ///   never sends; they would never be written otherwise).
    pub fn owner(&self, field: &str) -> Owner {
        if let Some((_, fixed)) = FIXED_OWNERS.iter().find(|(f, _)| *f == field) {
            return *fixed;
        }
        if self.policy == LifecyclePolicy::Jit {
            return Owner::LastWriter;
        }
        if let Some(owner) = self.owners.get(field) {
            return *owner;
        }
        if field.starts_with("custom.") { Owner::LastWriter } else { Owner::Scim }
    }

    /// A login may write `field` of an account: not when SCIM owns it and the account has a
    /// live SCIM resource (without one, nobody else will ever write it).
    pub fn login_writes(&self, field: &str, scim_live: bool) -> bool {
        !(scim_live && self.owner(field) == Owner::Scim)
    }

    /// A SCIM client may write `field` of an account (the login's fields stay the login's;
    /// SCIM's value stays in the SCIM document and the claims report shows the difference).
    pub fn scim_writes(&self, field: &str) -> bool {
        self.owner(field) != Owner::Login
    }

    /// The lifecycle makes sense: owners only for fields that exist, and not for the two
    /// fields whose owner is fixed.
    pub fn check(&self) -> Result<(), String> {
        for (field, owner) in &self.owners {
            if let Some((_, fixed)) = FIXED_OWNERS.iter().find(|(f, _)| *f == field.as_str()) {
                if owner != fixed {
                    return Err(format!("{field} is always {}; it cannot be {}", fixed.describe(), owner.describe()));
                }
                continue;
            }
            let custom = field.strip_prefix("custom.").is_some_and(|k| !k.trim().is_empty());
            if !custom && !OWNED_FIELDS.contains(&field.as_str()) {
                return Err(format!(
                    "unknown field {field:?} in the lifecycle's owners; fields: {}, custom.<name>",
                    OWNED_FIELDS.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// `users.field_sources`: field → who last wrote it (for fields whose owner is the last writer).
pub type FieldSources = BTreeMap<String, FieldSource>;

/// The changed fields that `lifecycle` leaves to the last writer: what a write records in
/// `users.field_sources` as its own.
pub fn last_writer_fields(lifecycle: &Lifecycle, changes: &[FieldChange]) -> Vec<String> {
    changes.iter().filter(|c| lifecycle.owner(&c.field) == Owner::LastWriter).map(|c| c.field.clone()).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hybrid() -> Lifecycle {
        Lifecycle { policy: LifecyclePolicy::Hybrid, ..Lifecycle::default() }
    }

    #[test]
    fn default_owners_per_policy() {
        let jit = Lifecycle::default();
        for f in ["email", "groups", "custom.department"] {
            assert_eq!(jit.owner(f), Owner::LastWriter, "{f}");
        }
        let h = hybrid();
        for f in ["email", "username", "given_name", "family_name", "display_name", "groups"] {
            assert_eq!(h.owner(f), Owner::Scim, "{f}");
        }
        assert_eq!(h.owner("custom.department"), Owner::LastWriter);
        for l in [&jit, &h] {
            assert_eq!(l.owner("roles"), Owner::Login);
            assert_eq!(l.owner("status"), Owner::Scim);
        }
        let mut edited = hybrid();
        edited.owners.insert("groups".into(), Owner::Login);
        edited.owners.insert("status".into(), Owner::Login);
        assert_eq!(edited.owner("groups"), Owner::Login);
        assert_eq!(edited.owner("status"), Owner::Scim, "status is never a login's");
        assert!(edited.check().unwrap_err().contains("status is always owned by SCIM"));
    }

    #[test]
    fn a_login_writes_a_scim_owned_field_only_without_a_live_resource() {
        let h = hybrid();
        assert!(!h.login_writes("groups", true));
        assert!(h.login_writes("groups", false));
        assert!(h.login_writes("roles", true));
        assert!(Lifecycle::default().login_writes("groups", true));
        assert!(!h.scim_writes("roles"));
        assert!(h.scim_writes("groups"));
    }

    #[test]
    fn check_names_unknown_fields() {
        let mut l = hybrid();
        l.owners.insert("custom.cost_center".into(), Owner::Login);
        assert!(l.check().is_ok());
        l.owners.insert("emial".into(), Owner::Login);
        assert!(l.check().unwrap_err().contains("unknown field \"emial\""));
    }

    #[test]
    fn last_writer_fields_are_the_ones_recorded() {
        let mut l = hybrid();
        l.owners.insert("email".into(), Owner::LastWriter);
        let change = |f: &str| FieldChange { field: f.into(), before: serde_json::Value::Null, after: "x".into() };
        let changes = [change("email"), change("groups"), change("roles"), change("custom.team")];
        assert_eq!(last_writer_fields(&l, &changes), ["email", "custom.team"]);
    }
}
