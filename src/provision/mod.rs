//! JIT provisioning: a verified login becomes a user record, by the connection's mapping
//! document, in one transaction with its audit row. The same code runs as a dry run, in a
//! transaction that is rolled back, so a dry run predicts exactly what a login would do.

pub mod fix;
mod hybrid;
pub mod lifecycle;
mod linking;
pub mod mapping;
pub mod presets;
pub mod rules;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::directory::{AuditEntry, FieldChange, Identity, User, UserSource, UserStatus};
pub use crate::login::{Denial, Outcome};
pub use fix::MappingFix;
pub use lifecycle::{Lifecycle, LifecyclePolicy, MatchRule, Owner};
pub use mapping::{Claims, FieldRule, Source, Transform};
use rules::Provisioning;
pub use rules::{MappingDocument, OwnershipNote, Profile, RoleSync, Trace, UpdatePolicy};

use crate::connection::Connection;
use crate::error::{ErrorCode, Result};
use crate::identity::{self, email};
use crate::login::{ReplayKey, Stop, StoppedBy};
use crate::saml::NAMEID_TRANSIENT;
use crate::store::{Store, WriteTx, audit as audit_log, replay, users as db};

/// What provisioning did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ProvisionResult {
    pub outcome: Outcome,
    pub dry_run: bool,
    /// The resulting user record (for a denial: the existing account, if any).
    pub user: Option<User>,
    pub diff: Vec<FieldChange>,
    pub trace: Trace,
    /// The rule that denied the login (or `replay` that rejected it), with its message and hint.
    pub stopped_by: Option<StoppedBy>,
    /// For a login denied for a missing attribute: the attribute that arrived to map it from.
    pub mapping_fix: Option<MappingFix>,
}

/// One login to provision.
pub struct Login<'a> {
    pub connection: &'a Connection,
    pub mapping: &'a MappingDocument,
    pub claims: &'a Claims,
    /// What the login consumes so it cannot be used twice (the assertion ID with its
    /// issuer; an ID token's nonce and the code), consumed in order. Empty for plain
    /// attribute sets.
    pub replay: Vec<ReplayKey>,
    pub now: DateTime<Utc>,
    pub dry_run: bool,
}

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

fn new_user(p: &Profile, connection: &Connection, email: &EmailFacts, now: DateTime<Utc>) -> User {
    User {
        id: 0,
        connection: Some(connection.name.clone()),
        identities: vec![Identity { connection: connection.name.clone(), subject: p.subject.clone(), linked: false }],
        email: p.email.clone(),
        email_verified: email.trusted(),
        email_source: p.email.as_ref().map(|_| connection.name.clone()),
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

/// What the login's email is worth for matching, by the canonical rule of
/// [`crate::identity::email`] and this connection's verified domains.
pub(crate) struct EmailFacts {
    pub raw: Option<String>,
    pub canonical: Option<email::Canonical>,
    /// Why the address cannot be used to find or link accounts.
    pub problem: Option<String>,
    /// The connection lists the address's domain as verified.
    pub domain_verified: bool,
    /// What the login's `email_verified` claim says (absent for SAML).
    pub said: rules::EmailVerified,
}

impl EmailFacts {
    fn of(raw: Option<&str>, policy: &Provisioning, said: rules::EmailVerified) -> Self {
        let parsed = raw.map(email::canonical);
        let problem = match &parsed {
            Some(Err(p)) => Some(p.to_string()),
            _ => None,
        };
        let canonical = parsed.and_then(std::result::Result::ok);
        let domain_verified = canonical
            .as_ref()
            .is_some_and(|c| policy.verified_domains.iter().any(|d| email::domain_key(d).is_ok_and(|d| d == c.domain)));
        EmailFacts { raw: raw.map(str::to_owned), canonical, problem, domain_verified, said }
    }

    /// The IdP does not say the address is unverified: `email_verified` is true or absent.
    pub fn not_denied_by_idp(&self) -> bool {
        matches!(self.said, rules::EmailVerified::Absent | rules::EmailVerified::Verified)
    }

    /// The address can stand as verified for an account: usable, not a look-alike, its
    /// domain verified at this connection, and not said unverified by the IdP.
    pub fn trusted(&self) -> bool {
        self.domain_verified && self.canonical.as_ref().is_some_and(|c| !c.confusable) && self.not_denied_by_idp()
    }

    fn notes(&self, trace: &mut Trace) {
        let Some(raw) = &self.raw else { return };
        if let Some(problem) = &self.problem {
            trace.notes.push(format!(
                "email {raw:?} cannot be used to find or link accounts: {problem}; it is stored as sent"
            ));
        } else if self.canonical.as_ref().is_some_and(|c| c.confusable) {
            trace.notes.push(format!(
                "email {raw:?} mixes in non-ASCII characters that look like ASCII letters: it is never used to link \
                 accounts, and refused when it looks like another account's address"
            ));
        }
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

/// Provisions one login in a transaction of its own (rolled back for a dry run).
pub fn provision(store: &Store, login: &Login<'_>) -> Result<ProvisionResult> {
    let tx = store.write()?;
    let result = provision_in(&tx, login)?;
    if login.dry_run {
        tx.rollback()?;
    } else {
        tx.commit()?;
    }
    Ok(result)
}

/// Provisions one login inside the caller's write transaction: consumes its replay key,
/// evaluates the mapping, creates/updates/links the account, and writes the audit row.
/// A write the catalog refuses (a constraint) ends as a recorded denial, never an error.
pub(crate) fn provision_in(tx: &WriteTx<'_>, login: &Login<'_>) -> Result<ProvisionResult> {
    let (mut trace, profile) = rules::evaluate(login.mapping, login.claims);
    let mut replayed = None;
    for key in &login.replay {
        if !replay::consume(tx, key, login.now)? {
            replayed = Some(key);
            break;
        }
    }
    let decision = if let Some(key) = replayed {
        let denial = Denial::Replay { kind: key.kind, id: key.id.clone() };
        Decision { outcome: Outcome::Rejected, user: None, diff: Vec::new(), denial: Some(denial) }
    } else {
        match tx.attempt(|tx| decide(tx, login, profile, &mut trace)) {
            Ok(d) => d,
            // A write the catalog refused (a constraint, a race): undone, and recorded.
            Err(e) if e.code == ErrorCode::Conflict => denied(Denial::Conflict { detail: e.message }, None),
            Err(e) => return Err(e),
        }
    };

    if decision.outcome.signed_in() {
        crate::fault::point("after_user_write");
    }
    let subject = trace.subject.as_ref().and_then(|s| s.value.first().cloned());
    let entry = AuditEntry {
        id: 0,
        at: login.now,
        connection: login.connection.name.clone(),
        subject,
        outcome: Some(decision.outcome),
        failed_check: decision.denial.as_ref().map(|d| Stop::Denial(d.code())),
        message: decision.denial.as_ref().map(|d| format!("{} ({})", d.message(), d.hint())),
        user_id: decision.user.as_ref().map(|u| u.id).filter(|id| *id > 0),
        diff: decision.diff.clone(),
        ..AuditEntry::login()
    };
    audit_log::insert_audit(tx, &entry, Some(login.connection.id))?;
    crate::fault::point("after_audit_row");
    Ok(ProvisionResult {
        outcome: decision.outcome,
        dry_run: login.dry_run,
        user: decision.user,
        diff: decision.diff,
        trace,
        stopped_by: decision.denial.as_ref().map(StoppedBy::from),
        mapping_fix: decision.denial.as_ref().and_then(Denial::mapping_fix).cloned(),
    })
}

/// Decides the login and, when it signs in, records what the lifecycle keeps of it.
fn decide(
    tx: &WriteTx<'_>,
    login: &Login<'_>,
    profile: std::result::Result<Profile, Denial>,
    trace: &mut Trace,
) -> Result<Decision> {
    let mapped = profile.as_ref().ok().cloned();
    let decision = choose(tx, login, profile, trace)?;
    if let (Some(p), Some(user)) = (&mapped, decision.user.as_ref().filter(|u| u.id > 0))
        && decision.outcome.signed_in()
    {
        hybrid::signed_in(tx, login, p, user, &decision.diff)?;
    }
    Ok(decision)
}

fn choose(
    tx: &WriteTx<'_>,
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
        return Ok(denied(Denial::TransientSubject, existing));
    }
    let email = EmailFacts::of(profile.email.as_deref(), policy, rules::EmailVerified::of(login.claims));
    email.notes(trace);

    if let Some(before) = existing {
        return update(tx, login, &profile, &email, before, trace);
    }
    // A subject this connection has not seen: first make sure it is not an existing one in
    // another letter case or with look-alike, invisible or space characters.
    if profile.subject.len() > identity::MAX_SUBJECT_BYTES {
        let denial = Denial::SubjectTooLong { bytes: profile.subject.len(), limit: identity::MAX_SUBJECT_BYTES };
        return Ok(denied(denial, None));
    }
    // A subject SCIM deleted never comes back, not even through an email link.
    if let Some(denial) = hybrid::removed_subject(tx, login, &profile.subject, trace)? {
        return Ok(denied(denial, None));
    }
    if let Some((known, account)) = db::folded_identity(tx, conn.id, &profile.subject)? {
        return Ok(denied(Denial::SubjectCaseConflict { subject: profile.subject.clone(), known, account }, None));
    }
    if let Some(key) = email.canonical.as_ref().map(|c| c.key.as_str()) {
        if let Some(owner) = db::verified_owner(tx, key)? {
            return linking::link(tx, login, &profile, &email, owner, trace);
        }
        if let Some(holder) = db::email_holder(tx, key, None)? {
            if !email.trusted() {
                return linking::link(tx, login, &profile, &email, holder, trace);
            }
            // The holder got the address from a source nobody trusted for its domain: it is
            // never linked, and it does not keep the verified owner out either.
            linking::passed_over(trace, &email, &holder);
        }
    }
    if let Some(denial) = refuse_look_alike(tx, &email, None, trace)? {
        return Ok(denied(denial, None));
    }
    if let Some(denial) = hybrid::creation_refused(tx, login, &profile.subject, trace)? {
        return Ok(denied(denial, None));
    }
    if !policy.jit {
        return Ok(denied(Denial::JitDisabled, None));
    }
    let mut user = new_user(&profile, conn, &email, login.now);
    user.id = db::insert_user(tx, &user, Some(conn.id))?;
    user.email_verified = user.email_verified && email.canonical.is_some();
    db::insert_identity(tx, conn.id, &profile.subject, user.id, false, login.now)?;
    hybrid::created(tx, login, &profile.subject, user.id)?;
    let changes = diff(None, &user);
    Ok(Decision { outcome: Outcome::Created, user: Some(user), diff: changes, denial: None })
}

/// The look-alike rule: an address that shows a non-ASCII character and looks like another
/// account's address is refused; a plain-ASCII address is never refused for looking like
/// someone's non-ASCII one (the one with the odd characters is the imitation, whoever came
/// first), it only gets a note.
fn refuse_look_alike(
    tx: &WriteTx<'_>,
    email: &EmailFacts,
    except: Option<i64>,
    trace: &mut Trace,
) -> Result<Option<Denial>> {
    let Some(raw) = &email.raw else { return Ok(None) };
    let key = email.canonical.as_ref().map(|c| c.key.as_str());
    if email::shows_non_ascii(raw) {
        return Ok(db::look_alike(tx, raw, key, except, false)?.map(|other| confusable_denial(email, &other)));
    }
    if let Some(other) = db::look_alike(tx, raw, key, except, true)? {
        trace.notes.push(format!(
            "account {} has an address that looks like {raw:?} but is another one ({:?}): check which is genuine",
            other.id,
            other.email.as_deref().unwrap_or_default()
        ));
    }
    Ok(None)
}

fn confusable_denial(email: &EmailFacts, other: &User) -> Denial {
    Denial::EmailConfusable {
        email: email.raw.clone().unwrap_or_default(),
        other: Some((other.id, other.email.clone().unwrap_or_default())),
    }
}

/// A known identity logs in again: update the account by the update policy.
fn update(
    tx: &WriteTx<'_>,
    login: &Login<'_>,
    profile: &Profile,
    email: &EmailFacts,
    before: User,
    trace: &mut Trace,
) -> Result<Decision> {
    let policy = &login.mapping.provisioning;
    if before.status == UserStatus::Deactivated {
        let denial = hybrid::deactivated(tx, login.connection.id, &before)?;
        return Ok(denied(denial, Some(before)));
    }
    let mut after = before.clone();
    let write = match policy.update {
        UpdatePolicy::EveryLogin => true,
        UpdatePolicy::FirstLogin => before.login_count == 0,
        UpdatePolicy::Never => false,
    };
    if write {
        apply_fields(&mut after, profile, login.mapping);
    }
    apply_roles(&mut after, profile, policy.role_sync);
    hybrid::ownership(tx, login, before.id)?.keep_owned(&before, &mut after, trace);
    let changes = diff(Some(&before), &after);
    let provisioned = hybrid::first_login_of_provisioned(tx, login, &profile.subject, &before)?;
    after.first_login = before.first_login.or(Some(login.now));
    after.last_login = Some(login.now);
    after.login_count = before.login_count + 1;
    if !changes.is_empty() {
        after.updated_at = login.now;
    }
    let key = email.canonical.as_ref().map(|c| c.key.as_str());
    let owner = key.map(|k| db::verified_owner(tx, k)).transpose()?.flatten().filter(|o| o.id != before.id);
    if after.email != before.email {
        // A verified owner's address can be taken by nobody; an unverified holder's only by a
        // source trusted for the domain.
        let taken = match (&owner, key) {
            (Some(o), _) => Some(o.clone()),
            (None, Some(k)) if !email.trusted() => db::email_holder(tx, k, Some(before.id))?,
            _ => None,
        };
        if let Some(other) = taken {
            let denial = Denial::EmailInUse {
                email: email.raw.clone().unwrap_or_default(),
                account: other.id,
                origin: linking::origin(&other),
                linking_off: false,
            };
            return Ok(denied(denial, Some(before)));
        }
        if let Some(denial) = refuse_look_alike(tx, email, Some(before.id), trace)? {
            return Ok(denied(denial, Some(before)));
        }
        // A new address carries the provenance of the login that brought it.
        after.email_verified = email.trusted();
        after.email_source = Some(login.connection.name.clone());
    } else if write
        && email.trusted()
        && after.email.is_some()
        && after.email == email.raw
        && !before.email_verified
        && owner.is_none()
    {
        // The same address, now asserted by a source trusted for its domain (not when SCIM
        // owns the address and kept another one than the login's).
        after.email_verified = true;
        after.email_source = Some(login.connection.name.clone());
    }
    db::update_user(tx, &after)?;
    // The first login of an account a SCIM client provisioned links the login to it.
    let outcome = if provisioned {
        Outcome::Linked
    } else if changes.is_empty() {
        Outcome::Unchanged
    } else {
        Outcome::Updated
    };
    Ok(Decision { outcome, user: Some(after), diff: changes, denial: None })
}
