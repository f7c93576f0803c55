//! JIT provisioning: a verified login becomes a user record, by the connection's mapping
//! document, in one transaction with its audit row. The same code runs as a dry run, in a
//! transaction that is rolled back, so a dry run predicts exactly what a login would do.

pub mod db;
pub mod mapping;
pub mod presets;
pub mod rules;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use db::{AuditEntry, FieldChange, Identity, User, UserSource, UserStatus};
pub use mapping::{Claims, FieldRule, Source, Transform};
pub use rules::{Denial, MappingDocument, Profile, RoleSync, Trace, UpdatePolicy};

use crate::connection::Connection;
use crate::error::Result;
use crate::store::Store;

const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Linked,
    Denied,
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Linked => "linked",
            Outcome::Denied => "denied",
            Outcome::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Outcome::Created, Outcome::Updated, Outcome::Unchanged, Outcome::Linked, Outcome::Denied, Outcome::Rejected]
            .into_iter()
            .find(|o| o.as_str() == s)
    }

    /// The login ended with a signed-in user.
    pub fn signed_in(self) -> bool {
        matches!(self, Outcome::Created | Outcome::Updated | Outcome::Unchanged | Outcome::Linked)
    }
}

/// What provisioning did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ProvisionResult {
    pub outcome: Outcome,
    pub dry_run: bool,
    /// The resulting user record (for a denial: the existing account, if any).
    pub user: Option<User>,
    pub diff: Vec<FieldChange>,
    pub trace: Trace,
    /// Why the login was denied or rejected: a denial code (`missing_attribute`...) or a
    /// failed check id (`replay`, `audience`...).
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// One login to provision.
pub struct Login<'a> {
    pub connection: &'a Connection,
    pub mapping: &'a MappingDocument,
    pub claims: &'a Claims,
    /// The assertion's ID, consumed so it cannot be used twice. `None` for plain attribute sets.
    pub assertion_id: Option<&'a str>,
    pub now: DateTime<Utc>,
    pub dry_run: bool,
}

/// Test-only crash point between the user write and the audit row (feature `fault-injection`).
#[cfg(feature = "fault-injection")]
fn fault(point: &str) {
    if std::env::var("HANDSHAKE_FAULT").is_ok_and(|p| p == point) {
        std::process::abort();
    }
}

#[cfg(not(feature = "fault-injection"))]
fn fault(_point: &str) {}

fn value<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Field-level differences between two versions of a record.
pub fn diff(before: Option<&User>, after: &User) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut push = |field: &str, b: serde_json::Value, a: serde_json::Value| {
        if b != a {
            out.push(FieldChange { field: field.to_owned(), before: b, after: a });
        }
    };
    let get = |f: fn(&User) -> serde_json::Value| before.map(f).unwrap_or(serde_json::Value::Null);
    push("email", get(|u| value(&u.email)), value(&after.email));
    push("username", get(|u| value(&u.username)), value(&after.username));
    push("given_name", get(|u| value(&u.given_name)), value(&after.given_name));
    push("family_name", get(|u| value(&u.family_name)), value(&after.family_name));
    push("display_name", get(|u| value(&u.display_name)), value(&after.display_name));
    push("groups", get(|u| value(&u.groups)), value(&after.groups));
    push("roles", get(|u| value(&u.roles)), value(&after.roles));
    let keys: BTreeSet<&String> = after.custom.keys().chain(before.iter().flat_map(|u| u.custom.keys())).collect();
    for k in keys {
        let b = before.and_then(|u| u.custom.get(k)).map(value).unwrap_or(serde_json::Value::Null);
        let a = after.custom.get(k).map(value).unwrap_or(serde_json::Value::Null);
        push(&format!("custom.{k}"), b, a);
    }
    push("status", get(|u| value(&u.status)), value(&after.status));
    out
}

/// Writes the profile's mapped values into `user`. Scalars are only overwritten by a
/// value (an attribute missing from one login does not erase data); groups are the
/// list the IdP sent, empty included.
fn apply_fields(user: &mut User, p: &Profile, mapping: &MappingDocument) {
    let mapped = |t: &str| mapping.fields.iter().any(|f| f.target == t);
    let set = |slot: &mut Option<String>, v: &Option<String>, target: &str| {
        if mapped(target) && v.is_some() {
            *slot = v.clone();
        }
    };
    set(&mut user.email, &p.email, "email");
    set(&mut user.username, &p.username, "username");
    set(&mut user.given_name, &p.given_name, "given_name");
    set(&mut user.family_name, &p.family_name, "family_name");
    set(&mut user.display_name, &p.display_name, "display_name");
    if mapped("groups") {
        user.groups = p.groups.clone();
    }
    for (k, v) in &p.custom {
        user.custom.insert(k.clone(), v.clone());
    }
}

fn apply_roles(user: &mut User, p: &Profile, sync: RoleSync) {
    match sync {
        RoleSync::Replace => user.roles = p.roles.clone(),
        RoleSync::Add => {
            for r in &p.roles {
                if !user.roles.contains(r) {
                    user.roles.push(r.clone());
                }
            }
        }
    }
}

fn new_user(p: &Profile, connection: &Connection, now: DateTime<Utc>) -> User {
    User {
        id: 0,
        connection: Some(connection.name.clone()),
        identities: vec![Identity { connection: connection.name.clone(), subject: p.subject.clone(), linked: false }],
        email: p.email.clone(),
        username: p.username.clone(),
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        display_name: p.display_name.clone(),
        groups: p.groups.clone(),
        roles: p.roles.clone(),
        custom: p.custom.clone(),
        status: UserStatus::Active,
        source: UserSource::Jit,
        first_login: Some(now),
        last_login: Some(now),
        login_count: 1,
        created_at: now,
        updated_at: now,
    }
}

struct Decision {
    outcome: Outcome,
    user: Option<User>,
    diff: Vec<FieldChange>,
    denial: Option<Denial>,
}

fn denied(d: Denial, user: Option<User>) -> Decision {
    Decision { outcome: Outcome::Denied, user, diff: Vec::new(), denial: Some(d) }
}

/// Provisions one login: evaluates the mapping, creates/updates/links the account, and
/// writes the audit row, all in one transaction (rolled back for a dry run).
pub fn provision(store: &Store, login: &Login<'_>) -> Result<ProvisionResult> {
    let tx = store.write_transaction()?;
    let conn_id = login.connection.id;
    let (mut trace, profile) = rules::evaluate(login.mapping, login.claims);

    let replayed = match login.assertion_id {
        Some(id) if login.dry_run => db::assertion_consumed(&tx, conn_id, id)?,
        Some(id) => !db::consume_assertion(&tx, conn_id, id, login.now)?,
        None => false,
    };
    let decision = if replayed {
        Decision {
            outcome: Outcome::Rejected,
            user: None,
            diff: Vec::new(),
            denial: Some(Denial::new(
                "replay",
                format!(
                    "assertion {} was already used: an assertion is accepted once (a replayed or resubmitted response)",
                    login.assertion_id.unwrap_or_default()
                ),
            )),
        }
    } else {
        decide(&tx, login, profile, &mut trace)?
    };

    if decision.outcome.signed_in() {
        fault("after_user_write");
    }
    let subject = trace.subject.as_ref().and_then(|s| s.value.first().cloned());
    let entry = AuditEntry {
        id: 0,
        at: login.now,
        connection: login.connection.name.clone(),
        subject,
        outcome: decision.outcome.as_str().to_owned(),
        reason: decision.denial.as_ref().map(|d| d.code.to_owned()),
        failed_check: decision.denial.as_ref().map(|d| d.code.to_owned()),
        message: decision.denial.as_ref().map(|d| d.message.clone()),
        user_id: decision.user.as_ref().map(|u| u.id).filter(|id| *id > 0),
        diff: decision.diff.clone(),
    };
    db::insert_audit(&tx, &entry, Some(conn_id))?;
    if login.dry_run {
        tx.rollback()?;
    } else {
        tx.commit()?;
    }
    Ok(ProvisionResult {
        outcome: decision.outcome,
        dry_run: login.dry_run,
        user: decision.user,
        diff: decision.diff,
        trace,
        reason: decision.denial.as_ref().map(|d| d.code.to_owned()),
        message: decision.denial.map(|d| d.message),
    })
}

fn decide(
    tx: &rusqlite::Connection,
    login: &Login<'_>,
    profile: std::result::Result<Profile, Denial>,
    trace: &mut Trace,
) -> Result<Decision> {
    let conn = login.connection;
    let policy = &login.mapping.provisioning;
    let subject = trace.subject.as_ref().and_then(|s| s.value.first().cloned());
    let existing = match &subject {
        Some(s) => db::user_by_identity(tx, conn.id, s)?,
        None => None,
    };
    let profile = match profile {
        Ok(p) => p,
        Err(d) => return Ok(denied(d, existing)),
    };
    let transient = login.claims.name_id.as_ref().and_then(|n| n.format.as_deref()) == Some(NAMEID_TRANSIENT);
    if transient && login.mapping.subject == Source::NameId {
        return Ok(denied(
            Denial::new(
                "transient_subject",
                "the NameID is transient (a new value at every login), so keyed by NameID every login would be a new user: \
                 key users by a stable attribute (mapping subject), or have the IdP send a persistent or email NameID",
            ),
            existing,
        ));
    }

    if let Some(before) = existing {
        if before.status == UserStatus::Deactivated {
            return Ok(denied(
                Denial::new(
                    "deactivated",
                    format!("account {} is deactivated; activate it to allow logins", before.id),
                ),
                Some(before),
            ));
        }
        let mut after = before.clone();
        let write = match policy.update {
            UpdatePolicy::EveryLogin => true,
            UpdatePolicy::FirstLogin => before.login_count == 0,
            UpdatePolicy::Never => false,
        };
        if write {
            apply_fields(&mut after, &profile, login.mapping);
        }
        apply_roles(&mut after, &profile, policy.role_sync);
        let changes = diff(Some(&before), &after);
        after.first_login = before.first_login.or(Some(login.now));
        after.last_login = Some(login.now);
        after.login_count = before.login_count + 1;
        if !changes.is_empty() {
            after.updated_at = login.now;
        }
        if let Some(email) = &after.email
            && before.email.as_deref() != Some(email.as_str())
            && db::user_by_email(tx, email)?.is_some_and(|other| other.id != before.id)
        {
            return Ok(denied(
                Denial::new(
                    "email_in_use",
                    format!("the IdP now sends email {email}, which another account already has"),
                ),
                Some(before),
            ));
        }
        db::update_user(tx, &after)?;
        let outcome = if changes.is_empty() { Outcome::Unchanged } else { Outcome::Updated };
        return Ok(Decision { outcome, user: Some(after), diff: changes, denial: None });
    }

    // No account for this subject yet: link by email, or create.
    if let Some(other) = profile.email.as_deref().map(|e| db::user_by_email(tx, e)).transpose()?.flatten() {
        let domain = profile.email.as_deref().and_then(|e| e.rsplit_once('@')).map(|(_, d)| d.to_ascii_lowercase());
        if !policy.link_by_email {
            return Ok(denied(
                Denial::new(
                    "email_in_use",
                    format!(
                        "an account with email {} already exists (account {}, {}); linking by email is off for this connection",
                        other.email.as_deref().unwrap_or_default(),
                        other.id,
                        if other.source == UserSource::Manual {
                            "created manually".to_owned()
                        } else {
                            format!("from connection {}", other.connection.as_deref().unwrap_or("(removed)"))
                        }
                    ),
                ),
                None,
            ));
        }
        if !domain.as_ref().is_some_and(|d| policy.verified_domains.iter().any(|v| v.eq_ignore_ascii_case(d))) {
            return Ok(denied(
                Denial::new(
                    "link_domain_unverified",
                    format!(
                        "linking by email is on, but {} is not a verified domain of this connection",
                        domain.as_deref().unwrap_or("(no domain)")
                    ),
                ),
                None,
            ));
        }
        if let Some(role) = other.roles.iter().find(|r| policy.admin_roles.contains(r)) {
            return Ok(denied(
                Denial::new(
                    "link_admin_refused",
                    format!(
                        "account {} has the admin role {role:?}: it is never linked automatically; link it by hand",
                        other.id
                    ),
                ),
                None,
            ));
        }
        if other.status == UserStatus::Deactivated {
            return Ok(denied(Denial::new("deactivated", format!("account {} is deactivated", other.id)), None));
        }
        let mut after = other.clone();
        if policy.update != UpdatePolicy::Never {
            apply_fields(&mut after, &profile, login.mapping);
        }
        apply_roles(&mut after, &profile, policy.role_sync);
        let changes = diff(Some(&other), &after);
        after.first_login = other.first_login.or(Some(login.now));
        after.last_login = Some(login.now);
        after.login_count = other.login_count + 1;
        after.updated_at = login.now;
        after.identities.push(Identity {
            connection: conn.name.clone(),
            subject: profile.subject.clone(),
            linked: true,
        });
        db::insert_identity(tx, conn.id, &profile.subject, other.id, true, login.now)?;
        db::update_user(tx, &after)?;
        return Ok(Decision { outcome: Outcome::Linked, user: Some(after), diff: changes, denial: None });
    }
    if !policy.jit {
        return Ok(denied(
            Denial::new(
                "jit_disabled",
                "no account exists for this user and JIT creation is off for this connection (only pre-provisioned users may log in)",
            ),
            None,
        ));
    }
    let mut user = new_user(&profile, conn, login.now);
    user.id = db::insert_user(tx, &user, Some(conn.id))?;
    db::insert_identity(tx, conn.id, &profile.subject, user.id, false, login.now)?;
    let changes = diff(None, &user);
    Ok(Decision { outcome: Outcome::Created, user: Some(user), diff: changes, denial: None })
}
