//! The lifecycle's rules at login (issue #15; the policy itself is in [`super::lifecycle`]):
//! 1. a subject a SCIM client deleted (a tombstone), or one that differs from it only by letter
//!    case or look-alike characters, is never recreated by JIT (policies `scim` and `hybrid`);
//! 2. an account SCIM deactivated or deleted is refused as `scim_deprovisioned`, which says
//!    more than `deactivated`;
//! 3. policy `scim`, and `hybrid` with `jit_requires_scim` for a subject without a live SCIM
//!    resource: a login never creates an account (`not_provisioned`);
//! 4. a login never writes a field SCIM owns on an account with a live SCIM resource; the
//!    trace says which field, what the login said and what the account keeps;
//! 5. after a login signs in: fields left to the last writer record the login as their
//!    writer (`users.field_sources`), and under `scim`/`hybrid` the login's mapped profile is
//!    kept for the claims report (`scim_login_views`), in the login's transaction.

use serde_json::{Map, Value};

use super::lifecycle::{self, Lifecycle, LifecyclePolicy};
use super::rules::{OwnershipNote, Profile, Trace};
use super::{Login, User};
use crate::directory::{FieldChange, FieldWriter};
use crate::error::Result;
use crate::login::{Denial, ScimRemoval};
use crate::store::users::{self as db, IdentityOrigin};
use crate::store::{WriteTx, scim_login};

fn lifecycle_of<'a>(login: &'a Login<'_>) -> &'a Lifecycle {
    &login.mapping.provisioning.lifecycle
}

/// Rule 1 (and rule 2 for a deactivated subject whose account is gone), for a subject without
/// an identity at the connection (before linking and creation,
/// so that a deleted person cannot come back through an email link either).
pub(super) fn removed_subject(
    tx: &WriteTx<'_>,
    login: &Login<'_>,
    subject: &str,
    trace: &mut Trace,
) -> Result<Option<Denial>> {
    let lifecycle = lifecycle_of(login);
    let conn = login.connection.id;
    if let Some(t) = scim_login::tombstone(tx, conn, subject)? {
        let at = t.deleted_at.unwrap_or(t.last_modified);
        if lifecycle.policy == LifecyclePolicy::Jit {
            trace.notes.push(format!(
                "the SCIM client deleted {subject:?} at {at}; under the JIT-only lifecycle a login creates the account again \
                 (the hybrid lifecycle would refuse it)"
            ));
            return Ok(None);
        }
        return Ok(Some(Denial::ScimDeprovisioned { account: t.user_id, by: ScimRemoval::Deleted, at }));
    }
    if lifecycle.policy == LifecyclePolicy::Jit {
        return Ok(None);
    }
    if let Some(t) = scim_login::folded_tombstone(tx, conn, subject)? {
        let at = t.deleted_at.unwrap_or(t.last_modified);
        trace.notes.push(format!(
            "the subject {subject:?} differs from {:?}, which the SCIM client deleted at {at}, only by letter case or \
             look-alike, invisible or space characters: it is the same person coming back, or someone imitating them",
            t.subject.as_deref().unwrap_or_default()
        ));
        return Ok(Some(Denial::ScimDeprovisioned { account: t.user_id, by: ScimRemoval::Deleted, at }));
    }
    // Deactivated, not deleted: the resource stays live, and its account may be gone (an admin
    // deleted it). The person is still one SCIM deprovisioned.
    let exact = scim_login::live_by_subject(tx, conn, subject)?.filter(scim_login::ScimUser::inactive);
    if let Some(r) = exact.map_or_else(|| scim_login::folded_inactive(tx, conn, subject), |r| Ok(Some(r)))? {
        trace.notes.push(format!(
            "the SCIM client deactivated {:?} (resource {}) at {}: a login does not bring the person back",
            r.subject.as_deref().unwrap_or_default(),
            r.id,
            r.last_modified
        ));
        return Ok(Some(Denial::ScimDeprovisioned {
            account: r.user_id,
            by: ScimRemoval::Deactivated,
            at: r.last_modified,
        }));
    }
    Ok(None)
}

/// Rule 3, at the branch where JIT would create the account. Under `hybrid` with
/// `jit_requires_scim`, a live SCIM resource without an account (an admin deleted it) lets
/// the login create one, and the resource is attached to it.
pub(super) fn creation_refused(
    tx: &WriteTx<'_>,
    login: &Login<'_>,
    subject: &str,
    trace: &mut Trace,
) -> Result<Option<Denial>> {
    let lifecycle = lifecycle_of(login);
    match lifecycle.policy {
        LifecyclePolicy::Jit => Ok(None),
        LifecyclePolicy::Scim => Ok(Some(Denial::NotProvisioned { policy: lifecycle.policy })),
        LifecyclePolicy::Hybrid if !lifecycle.jit_requires_scim => Ok(None),
        LifecyclePolicy::Hybrid => match scim_login::live_by_subject(tx, login.connection.id, subject)? {
            Some(r) => {
                trace.notes.push(format!(
                    "the SCIM client provisioned {subject:?} (resource {}), but its account is gone: the login creates it",
                    r.id
                ));
                Ok(None)
            }
            None => Ok(Some(Denial::NotProvisioned { policy: lifecycle.policy })),
        },
    }
}

/// A new account made by a login: the live SCIM resource of its subject without an account,
/// if any, now feeds it.
pub(super) fn created(tx: &WriteTx<'_>, login: &Login<'_>, subject: &str, user_id: i64) -> Result<()> {
    if lifecycle_of(login).policy == LifecyclePolicy::Jit {
        return Ok(());
    }
    if let Some(r) = scim_login::live_by_subject(tx, login.connection.id, subject)?
        && r.user_id.is_none()
    {
        scim_login::attach_account(tx, login.connection.id, &r.id, user_id)?;
    }
    Ok(())
}

/// Rule 2: why a deactivated account is refused: the SCIM client deleted or deactivated it,
/// or (no SCIM resource says so) an admin did.
pub(super) fn deactivated(tx: &WriteTx<'_>, connection_id: i64, account: &User) -> Result<Denial> {
    Ok(match scim_login::of_account(tx, connection_id, account.id)? {
        Some(r) if r.deleted_at.is_some() => Denial::ScimDeprovisioned {
            account: Some(account.id),
            by: ScimRemoval::Deleted,
            at: r.deleted_at.unwrap_or(r.last_modified),
        },
        Some(r) if r.inactive() => {
            Denial::ScimDeprovisioned { account: Some(account.id), by: ScimRemoval::Deactivated, at: r.last_modified }
        }
        _ => Denial::Deactivated { account: account.id },
    })
}

/// The first login of an account a SCIM client provisioned: it links the login to it.
pub(super) fn first_login_of_provisioned(
    tx: &WriteTx<'_>,
    login: &Login<'_>,
    subject: &str,
    before: &User,
) -> Result<bool> {
    if before.first_login.is_some() {
        return Ok(false);
    }
    Ok(db::identity_origin(tx, login.connection.id, subject)? == Some(IdentityOrigin::Scim))
}

/// Rule 4: which fields a login may write on one account.
pub(super) struct Ownership<'a> {
    lifecycle: &'a Lifecycle,
    scim_live: bool,
}

pub(super) fn ownership<'a>(tx: &WriteTx<'_>, login: &'a Login<'_>, user_id: i64) -> Result<Ownership<'a>> {
    let lifecycle = lifecycle_of(login);
    let scim_live = lifecycle.policy != LifecyclePolicy::Jit
        && scim_login::of_account(tx, login.connection.id, user_id)?.is_some_and(|r| r.deleted_at.is_none());
    Ok(Ownership { lifecycle, scim_live })
}

/// The fields a login maps, by directory name, as the diff names them.
const SCALARS: [&str; 5] = ["email", "username", "given_name", "family_name", "display_name"];

fn scalar_of<'u>(u: &'u User, field: &str) -> Option<&'u Option<String>> {
    match field {
        "email" => Some(&u.email),
        "username" => Some(&u.username),
        "given_name" => Some(&u.given_name),
        "family_name" => Some(&u.family_name),
        "display_name" => Some(&u.display_name),
        _ => None,
    }
}

fn scalar<'u>(u: &'u mut User, field: &str) -> Option<&'u mut Option<String>> {
    match field {
        "email" => Some(&mut u.email),
        "username" => Some(&mut u.username),
        "given_name" => Some(&mut u.given_name),
        "family_name" => Some(&mut u.family_name),
        "display_name" => Some(&mut u.display_name),
        _ => None,
    }
}

impl Ownership<'_> {
    /// Puts back, in `after`, every field the login changed but may not write, with a trace
    /// note for each.
    pub(super) fn keep_owned(&self, before: &User, after: &mut User, trace: &mut Trace) {
        if !self.scim_live {
            return;
        }
        let mut kept = Vec::new();
        for field in SCALARS {
            let (Some(was), Some(now)) = (scalar_of(before, field).cloned(), scalar(after, field)) else { continue };
            if *now != was && !self.lifecycle.login_writes(field, true) {
                kept.push(self.note(field, Value::from(now.clone()), Value::from(was.clone())));
                *now = was;
            }
        }
        if after.groups != before.groups && !self.lifecycle.login_writes("groups", true) {
            kept.push(self.note("groups", Value::from(after.groups.clone()), Value::from(before.groups.clone())));
            after.groups = before.groups.clone();
        }
        let keys: Vec<String> = after.custom.keys().chain(before.custom.keys()).cloned().collect();
        for key in keys {
            let field = format!("custom.{key}");
            let (was, now) = (before.custom.get(&key).cloned(), after.custom.get(&key).cloned());
            if was != now && !self.lifecycle.login_writes(&field, true) {
                kept.push(self.note(&field, Value::from(now), Value::from(was.clone())));
                match was {
                    Some(v) => after.custom.insert(key, v),
                    None => after.custom.remove(&key),
                };
            }
        }
        for note in kept {
            trace.notes.push(note.sentence());
            trace.ownership.push(note);
        }
    }

    fn note(&self, field: &str, login_value: Value, kept_value: Value) -> OwnershipNote {
        OwnershipNote { field: field.to_owned(), login_value, kept_value, owner: self.lifecycle.owner(field) }
    }
}

/// The login's profile as the claims report compares it: only the fields the mapping maps,
/// by directory name (`email`, `groups`, `custom.department`).
pub(super) fn login_view(profile: &Profile, login: &Login<'_>) -> Value {
    let mapped = |t: &str| login.mapping.fields.iter().any(|f| f.target == t);
    let mut view = Map::new();
    let scalars = [
        ("email", &profile.email),
        ("username", &profile.username),
        ("given_name", &profile.given_name),
        ("family_name", &profile.family_name),
        ("display_name", &profile.display_name),
    ];
    for (field, value) in scalars {
        if let Some(v) = value.as_ref().filter(|_| mapped(field)) {
            view.insert(field.to_owned(), Value::from(v.clone()));
        }
    }
    if mapped("groups") {
        view.insert("groups".into(), Value::from(profile.groups.clone()));
    }
    for (k, v) in &profile.custom {
        view.insert(format!("custom.{k}"), Value::from(v.clone()));
    }
    Value::Object(view)
}

/// Rule 5, after a login signed in to `user` with these changes.
pub(super) fn signed_in(
    tx: &WriteTx<'_>,
    login: &Login<'_>,
    profile: &Profile,
    user: &User,
    changes: &[FieldChange],
) -> Result<()> {
    let lifecycle = lifecycle_of(login);
    let written = lifecycle::last_writer_fields(lifecycle, changes);
    db::record_field_sources(tx, user.id, &written, FieldWriter::Login, login.now)?;
    if lifecycle.policy != LifecyclePolicy::Jit {
        scim_login::upsert_login_view(tx, login.connection.id, user.id, &login_view(profile, login), login.now)?;
    }
    Ok(())
}
