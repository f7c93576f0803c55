//! The lifecycle policy of a connection and the three reports where JIT and SCIM disagree:
//! JIT accounts SCIM does not know (nothing will ever de-provision them), SCIM users who never
//! signed in, and users whose last login's claims disagree with SCIM.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::Workbench;
use super::audit::{self, AdminChange};
use crate::directory::AdminAction;
use crate::error::{Error, Result};
use crate::identity::email;
use crate::provision::{Lifecycle, MatchRule, Owner};
use crate::store;

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

impl From<store::scim_login::ReportRow> for ReportUser {
    fn from(r: store::scim_login::ReportRow) -> Self {
        ReportUser {
            user_id: r.user_id,
            subject: r.subject,
            email: r.email,
            display_name: r.display_name,
            scim_id: r.scim_id,
            created_at: r.created_at,
        }
    }
}

/// What the SCIM document says of each directory field a login also maps: `userName`, the
/// primary (else work, else first) email, `name.givenName`, `name.familyName`,
/// `displayName`, and the groups that list the user as a member.
fn scim_fields(document: &Value, groups: &[String]) -> BTreeMap<String, Value> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(|s| Value::from(s.to_owned()));
    let emails = document.get("emails").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let email = emails
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .or_else(|| emails.iter().find(|e| e.get("type").and_then(Value::as_str) == Some("work")))
        .or_else(|| emails.first());
    let name = document.get("name");
    let mut out = BTreeMap::new();
    let mut put = |field: &str, v: Option<Value>| {
        if let Some(v) = v {
            out.insert(field.to_owned(), v);
        }
    };
    put("username", text(document.get("userName")));
    put("email", text(email.and_then(|e| e.get("value"))));
    put("given_name", text(name.and_then(|n| n.get("givenName"))));
    put("family_name", text(name.and_then(|n| n.get("familyName"))));
    put("display_name", text(document.get("displayName")));
    put("groups", Some(Value::from(groups.to_vec())));
    out
}

/// The two values say the same: groups as sets, emails by their canonical key, the rest as is.
fn same(field: &str, scim: &Value, login: &Value) -> bool {
    match (field, scim, login) {
        ("groups", Value::Array(a), Value::Array(b)) => {
            let set = |l: &Vec<Value>| l.iter().map(Value::to_string).collect::<BTreeSet<_>>();
            set(a) == set(b)
        }
        ("email", Value::String(a), Value::String(b)) => {
            let key = |e: &str| email::canonical(e).map(|c| c.key).ok();
            a == b || key(a).is_some_and(|k| Some(k) == key(b))
        }
        _ => scim == login,
    }
}

impl Workbench {
    /// The three reports of a connection: JIT accounts SCIM does not know, SCIM users who
    /// never signed in, and the fields where the last login's claims disagree with SCIM.
    pub fn scim_report(&self, connection: &str) -> Result<ScimReport> {
        let c = self.store().get_connection(connection)?;
        let lifecycle = store::mappings::get_mapping(self.store(), c.id)?.unwrap_or_default().provisioning.lifecycle;
        let db = self.store();
        let jit_unknown_to_scim =
            store::scim_login::jit_unknown_to_scim(db, c.id)?.into_iter().map(Into::into).collect();
        let scim_never_signed_in =
            store::scim_login::scim_never_signed_in(db, c.id)?.into_iter().map(Into::into).collect();
        let mut claims_disagree = Vec::new();
        for viewed in store::scim_login::viewed_users(db, c.id)? {
            let scim = scim_fields(&viewed.document, &viewed.groups);
            let Some(login) = viewed.profile.as_object() else { continue };
            for (field, login_value) in login {
                let Some(scim_value) = scim.get(field) else { continue };
                if same(field, scim_value, login_value) {
                    continue;
                }
                claims_disagree.push(Disagreement {
                    user: viewed.row.clone().into(),
                    field: field.clone(),
                    scim: scim_value.clone(),
                    login: login_value.clone(),
                    owner: lifecycle.owner(field),
                    login_at: viewed.login_at,
                });
            }
        }
        Ok(ScimReport { connection: c.name, jit_unknown_to_scim, scim_never_signed_in, claims_disagree })
    }

    /// Replaces the connection's lifecycle (in its mapping document), with an admin audit row.
    pub fn set_lifecycle(&self, connection: &str, lifecycle: Lifecycle, now: DateTime<Utc>) -> Result<Lifecycle> {
        let c = self.store().get_connection(connection)?;
        lifecycle.check().map_err(|e| Error::invalid(format!("the lifecycle is not valid: {e}")))?;
        let tx = self.store().write()?;
        let mut doc = store::mappings::get_mapping(&tx, c.id)?.unwrap_or_default();
        let before = doc.provisioning.lifecycle.clone();
        let diff = audit::diff_of("lifecycle", &before, &lifecycle)?;
        if diff.is_empty() {
            return Ok(before);
        }
        doc.provisioning.lifecycle = lifecycle.clone();
        store::mappings::set_mapping(&tx, c.id, &doc, now)?;
        let message = format!("Changed the lifecycle of {}: {}", c.name, describe(&before, &lifecycle));
        self.record_admin(&tx, AdminChange::on(AdminAction::LifecycleChange, &c, message, diff), now)?;
        tx.commit()?;
        Ok(lifecycle)
    }
}

/// What changed, in an admin's words: "policy jit → hybrid, JIT requires SCIM, groups owned by
/// the login".
fn describe(before: &Lifecycle, after: &Lifecycle) -> String {
    let mut parts = Vec::new();
    if before.policy != after.policy {
        parts.push(format!("policy {} → {}", before.policy.as_str(), after.policy.as_str()));
    }
    if before.jit_requires_scim != after.jit_requires_scim {
        parts.push(if after.jit_requires_scim {
            "JIT creates only users SCIM provisioned".to_owned()
        } else {
            "JIT creates any user".to_owned()
        });
    }
    if before.match_rule != after.match_rule {
        let rule = |m: MatchRule| match m {
            MatchRule::ExternalId => "externalId",
            MatchRule::UserName => "userName",
        };
        parts.push(format!("SCIM users matched by {} (was {})", rule(after.match_rule), rule(before.match_rule)));
    }
    let fields: BTreeSet<&String> = before.owners.keys().chain(after.owners.keys()).collect();
    for field in fields {
        if before.owners.get(field) != after.owners.get(field) {
            parts.push(format!("{field} {}", after.owner(field).describe()));
        }
    }
    if parts.is_empty() { "owners".to_owned() } else { parts.join(", ") }
}
