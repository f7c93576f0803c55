//! SCIM Users into the directory: the projection of a User document onto an account (userName,
//! the primary or work email, name parts, displayName, `active` as the status, enterprise
//! attributes into custom fields) under the lifecycle's field ownership, the login subject by
//! the match rule (an identity of origin `scim`), adopting a JIT account, and the tombstone a
//! DELETE leaves.
//!
//! SCIM writes a field only when the SCIM value changed (so a `last_writer` field a login wrote
//! since is not rolled back by a full PUT that repeats the old value), never a field owned by
//! login claims (its value stays in the SCIM document, and the report shows the difference).
//! `groups` is written by Group requests only (`scim_groups`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::audit::diff_values;
use super::scim::{Ctx, Done, Handled, new_id, resource_response};
use crate::directory::{FieldChange, FieldWriter, ScimAction, User, UserSource, UserStatus};
use crate::error::Result;
use crate::provision::{self, MatchRule, Owner};
use crate::scim::{ENTERPRISE_USER_URN, ResourceKind, ScimError, ScimType, resource};
use crate::store::scim::Resource;
use crate::store::{self, users as db};

/// The login subject of a User document by the match rule, verbatim.
pub(crate) fn subject_of(rule: MatchRule, doc: &Value) -> Option<String> {
    let key = match rule {
        MatchRule::ExternalId => "externalId",
        MatchRule::UserName => "userName",
    };
    doc.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The enterprise (and core `title`) attributes kept as custom fields, by custom key.
const CUSTOM: [(&str, &str); 7] = [
    ("title", "title"),
    ("department", "department"),
    ("employee_number", "employeeNumber"),
    ("cost_center", "costCenter"),
    ("organization", "organization"),
    ("division", "division"),
    ("manager", "manager"),
];

/// The directory's view of a User document.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Projection {
    pub username: Option<String>,
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub active: Option<bool>,
    pub custom: BTreeMap<String, String>,
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The address the account keeps: the primary one, else the work one, else the first.
fn pick_email(doc: &Value) -> Option<String> {
    let emails: Vec<&Value> = doc
        .get("emails")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter(|e| text(e.get("value")).is_some()).collect())
        .unwrap_or_default();
    emails
        .iter()
        .find(|e| truthy(e.get("primary")))
        .or_else(|| emails.iter().find(|e| text(e.get("type")).as_deref() == Some("work")))
        .or_else(|| emails.first())
        .and_then(|e| text(e.get("value")))
}

pub(crate) fn project(doc: &Value) -> Projection {
    let name = doc.get("name");
    let enterprise = doc.get(ENTERPRISE_USER_URN);
    let mut custom = BTreeMap::new();
    for (key, attribute) in CUSTOM {
        let source = if attribute == "title" { doc.get(attribute) } else { enterprise.and_then(|e| e.get(attribute)) };
        let value = match source {
            // manager is complex ({value, displayName}); some clients send the id alone.
            Some(Value::Object(m)) => text(m.get("value")),
            other => text(other),
        };
        if let Some(v) = value {
            custom.insert(key.to_owned(), v);
        }
    }
    Projection {
        username: text(doc.get("userName")),
        email: pick_email(doc),
        given_name: text(name.and_then(|n| n.get("givenName"))),
        family_name: text(name.and_then(|n| n.get("familyName"))),
        display_name: text(doc.get("displayName")),
        active: match doc.get("active") {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        },
        custom,
    }
}

/// The SCIM attributes the projection reads (their changes show as directory fields).
const PROJECTED: [&str; 6] = ["userName", "emails", "name.givenName", "name.familyName", "displayName", "active"];

/// `scim.<path>` changes of attributes the directory does not hold.
fn document_diff(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut all = Vec::new();
    diff_values("scim", before, after, &mut all);
    all.into_iter()
        .filter(|c| {
            let path = c.field.trim_start_matches("scim.");
            let custom = CUSTOM.iter().any(|(_, a)| path == *a || path.ends_with(&format!(":User.{a}")));
            !PROJECTED.contains(&path) && !custom && !path.ends_with(":User.manager.value")
        })
        .collect()
}

/// Writes the projection's changed fields into `user` (all of them when `old` is `None`),
/// except those owned by login claims (noted). Returns the fields written.
fn apply(
    ctx: &Ctx<'_, '_>,
    user: &mut User,
    old: Option<&Projection>,
    new: &Projection,
    notes: &mut Vec<String>,
) -> Vec<String> {
    let lifecycle = &ctx.mapping.provisioning.lifecycle;
    let mut written = Vec::new();
    let mut write = |field: &str, changed: bool, notes: &mut Vec<String>| -> bool {
        if !changed {
            return false;
        }
        if lifecycle.owner(field) == Owner::Login {
            notes.push(format!("{field}: owned by login claims; SCIM's value stays in the SCIM document only"));
            return false;
        }
        written.push(field.to_owned());
        true
    };
    macro_rules! scalar {
        ($field:literal, $slot:ident) => {
            let changed = old.map_or(new.$slot.is_some(), |o| o.$slot != new.$slot);
            if write($field, changed, notes) {
                user.$slot = new.$slot.clone();
            }
        };
    }
    scalar!("username", username);
    scalar!("given_name", given_name);
    scalar!("family_name", family_name);
    scalar!("display_name", display_name);
    let email_changed = old.map_or(new.email.is_some(), |o| o.email != new.email);
    if write("email", email_changed, notes) {
        user.email = new.email.clone();
        user.email_verified = new.email.as_deref().is_some_and(|e| trusted_email(ctx, e));
        user.email_source = new.email.as_ref().map(|_| ctx.connection.name.clone());
    }
    let active_changed = old.map_or(new.active.is_some(), |o| o.active != new.active);
    if let (true, Some(active)) = (active_changed, new.active)
        && write("status", true, notes)
    {
        user.status = if active { UserStatus::Active } else { UserStatus::Deactivated };
    }
    let empty = BTreeMap::new();
    let old_custom = old.map_or(&empty, |o| &o.custom);
    let keys: BTreeSet<&String> = old_custom.keys().chain(new.custom.keys()).collect();
    for key in keys {
        let (before, after) = (old_custom.get(key), new.custom.get(key));
        if write(&format!("custom.{key}"), old.is_none() || before != after, notes) {
            match after {
                Some(v) => user.custom.insert(key.clone(), v.clone()),
                None => user.custom.remove(key),
            };
        }
    }
    written
}

/// The address can stand as verified: usable, not a look-alike, its domain verified at this
/// connection (the rule logins follow).
fn trusted_email(ctx: &Ctx<'_, '_>, email: &str) -> bool {
    let Ok(c) = crate::identity::email::canonical(email) else { return false };
    !c.confusable
        && ctx
            .mapping
            .provisioning
            .verified_domains
            .iter()
            .any(|d| crate::identity::email::domain_key(d).is_ok_and(|d| d == c.domain))
}

/// 409 when the account's verified address is another account's.
fn email_taken(ctx: &Ctx<'_, '_>, user: &User) -> Result<Option<ScimError>> {
    let Some(email) = user.email.as_deref().filter(|_| user.email_verified) else { return Ok(None) };
    let Ok(c) = crate::identity::email::canonical(email) else { return Ok(None) };
    Ok(db::verified_owner(ctx.tx, &c.key)?.filter(|o| o.id != user.id).map(|o| {
        ScimError::new(409, Some(ScimType::Uniqueness), format!("{email} is the verified address of account {}", o.id))
    }))
}

fn uniqueness(detail: String) -> ScimError {
    ScimError::new(409, Some(ScimType::Uniqueness), detail)
}

/// 409 when `name` is another live User's userName, or `subject` another account's identity
/// (exactly, or but for letter case or look-alike characters).
fn claimed(
    ctx: &Ctx<'_, '_>,
    id: Option<&str>,
    name: &str,
    subject: Option<&str>,
    account: Option<i64>,
) -> Result<Option<ScimError>> {
    let c = ctx.connection.id;
    if let Some(other) = store::scim::live_user_named(ctx.tx, c, name)?.filter(|r| Some(r.id.as_str()) != id) {
        return Ok(Some(uniqueness(format!("userName {name:?} is already User {}", other.id))));
    }
    let Some(subject) = subject else { return Ok(None) };
    if let Some(holder) = db::user_by_identity(ctx.tx, c, subject)?.filter(|u| Some(u.id) != account)
        && (account.is_some() || store::scim::live_user_of_account(ctx.tx, c, holder.id)?.is_some())
    {
        return Ok(Some(uniqueness(format!("the login subject {subject:?} is account {}'s", holder.id))));
    }
    if let Some((known, holder)) = db::folded_identity(ctx.tx, c, subject)?.filter(|(_, u)| Some(*u) != account) {
        return Ok(Some(uniqueness(format!(
            "the login subject {subject:?} differs only by letter case or look-alike characters from {known:?} (account {holder})"
        ))));
    }
    Ok(None)
}

fn new_account(ctx: &Ctx<'_, '_>) -> User {
    User {
        id: 0,
        connection: Some(ctx.connection.name.clone()),
        identities: Vec::new(),
        email: None,
        email_verified: false,
        email_source: None,
        username: None,
        given_name: None,
        family_name: None,
        display_name: None,
        groups: Vec::new(),
        roles: Vec::new(),
        custom: BTreeMap::new(),
        status: UserStatus::Active,
        source: UserSource::Scim,
        first_login: None,
        last_login: None,
        login_count: 0,
        created_at: ctx.now,
        updated_at: ctx.now,
    }
}

macro_rules! refuse {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        }
    };
}

macro_rules! refuse_some {
    ($e:expr) => {
        if let Some(e) = $e {
            return Ok(Err(e));
        }
    };
}

fn user_name(doc: &Value) -> std::result::Result<String, ScimError> {
    text(doc.get("userName")).ok_or_else(|| ScimError::bad_request(ScimType::InvalidValue, "userName is required"))
}

/// POST /Users: a new account, or the JIT account of the same subject adopted (201 both).
pub(super) fn create(ctx: &Ctx<'_, '_>, body: &Value) -> Result<Handled> {
    let prepared = refuse!(resource::create(ResourceKind::User, body));
    let doc = prepared.document;
    let mut notes = prepared.notes;
    let name = refuse!(user_name(&doc));
    let subject = subject_of(ctx.mapping.provisioning.lifecycle.match_rule, &doc);
    refuse_some!(claimed(ctx, None, &name, subject.as_deref(), None)?);
    let c = ctx.connection.id;
    let adopted = match &subject {
        Some(s) => db::user_by_identity(ctx.tx, c, s)?,
        None => None,
    };
    if subject.is_none() {
        notes.push("no login subject (the match rule's attribute is empty): no login can find this account".into());
    }
    let projection = project(&doc);
    let before = adopted.clone();
    let mut user = adopted.unwrap_or_else(|| new_account(ctx));
    let written = apply(ctx, &mut user, None, &projection, &mut notes);
    refuse_some!(email_taken(ctx, &user)?);
    let action = if let Some(before) = &before {
        notes.push(format!("adopted JIT account {} (same login subject)", before.id));
        if user != *before {
            user.updated_at = ctx.now;
        }
        db::update_user(ctx.tx, &user)?;
        ScimAction::ScimAdopt
    } else {
        user.id = db::insert_user(ctx.tx, &user, Some(c))?;
        if let Some(s) = &subject {
            db::insert_scim_identity(ctx.tx, c, s, user.id, ctx.now)?;
        }
        ScimAction::ScimCreateUser
    };
    db::record_field_sources(ctx.tx, user.id, &written, FieldWriter::Scim, ctx.now)?;
    crate::fault::point("scim_after_user_write");
    let stored = Resource {
        id: new_id()?,
        kind: ResourceKind::User,
        external_id: text(doc.get("externalId")),
        name: name.clone(),
        subject: subject.clone(),
        user_id: Some(user.id),
        document: doc,
        version: 1,
        created_at: ctx.now,
        last_modified: ctx.now,
        deleted_at: None,
    };
    store::scim::insert_resource(ctx.tx, c, &stored)?;
    crate::fault::point("scim_after_resource_write");
    let mut diff = provision::diff(before.as_ref(), &user);
    diff.extend(document_diff(&Value::Null, &stored.document));
    let message = match action {
        ScimAction::ScimAdopt => format!("SCIM User {name} adopted JIT account {}", user.id),
        _ => format!("SCIM created User {name} (account {})", user.id),
    };
    Ok(Ok(Done {
        response: Some(resource_response(ctx, &stored, 201)?),
        resource_type: Some(ResourceKind::User),
        resource_id: Some(stored.id.clone()),
        user_id: Some(user.id),
        change: vec![format!("create User {name}")],
        diff,
        notes,
        audit: Some((action, subject, message)),
    }))
}

/// PUT or PATCH /Users/{id}: `document` is the new stored document.
pub(super) fn update(
    ctx: &Ctx<'_, '_>,
    current: Resource,
    document: Value,
    change: Vec<String>,
    mut notes: Vec<String>,
) -> Result<Handled> {
    let c = ctx.connection.id;
    let name = refuse!(user_name(&document));
    let subject = subject_of(ctx.mapping.provisioning.lifecycle.match_rule, &document);
    let existing = match current.user_id {
        Some(id) => db::user_by_id(ctx.tx, id)?,
        None => None,
    };
    refuse_some!(claimed(ctx, Some(&current.id), &name, subject.as_deref(), existing.as_ref().map(|u| u.id))?);
    let (old, new) = (project(&current.document), project(&document));
    let before = existing.clone();
    let mut user = match existing {
        Some(u) => u,
        None => {
            notes.push("the account was deleted by an admin: a new one is created".into());
            new_account(ctx)
        }
    };
    let written = apply(ctx, &mut user, before.as_ref().map(|_| &old), &new, &mut notes);
    refuse_some!(email_taken(ctx, &user)?);
    let mut diff = provision::diff(before.as_ref(), &user);
    if before.is_none() {
        user.id = db::insert_user(ctx.tx, &user, Some(c))?;
    } else if before.as_ref() != Some(&user) {
        user.updated_at = ctx.now;
        db::update_user(ctx.tx, &user)?;
    }
    // The login subject follows the match rule's attribute: the identity is re-keyed.
    let had_identity = db::identity_subject_at(ctx.tx, c, user.id)?;
    if let Some(s) = subject.as_deref().filter(|s| had_identity.as_deref() != Some(*s)) {
        if had_identity.is_some() {
            db::rekey_identity(ctx.tx, c, user.id, s)?;
        } else {
            db::insert_scim_identity(ctx.tx, c, s, user.id, ctx.now)?;
        }
        diff.push(FieldChange {
            field: "subject".into(),
            before: had_identity.map_or(Value::Null, Value::from),
            after: Value::from(s),
        });
    }
    db::record_field_sources(ctx.tx, user.id, &written, FieldWriter::Scim, ctx.now)?;
    crate::fault::point("scim_after_user_write");
    diff.extend(document_diff(&current.document, &document));
    let document_changed = document != current.document;
    let mut stored = Resource {
        external_id: text(document.get("externalId")),
        name: name.clone(),
        subject: subject.clone(),
        user_id: Some(user.id),
        document,
        ..current.clone()
    };
    if document_changed || stored.user_id != current.user_id {
        stored.version += 1;
        stored.last_modified = ctx.now;
        store::scim::update_resource(ctx.tx, c, &stored)?;
    }
    crate::fault::point("scim_after_resource_write");
    let deactivated =
        before.as_ref().is_some_and(|b| b.status == UserStatus::Active) && user.status == UserStatus::Deactivated;
    let patch = ctx.request.method == crate::scim::Method::Patch;
    let action = match (deactivated, patch) {
        (true, _) => ScimAction::ScimDeactivateUser,
        (false, true) => ScimAction::ScimPatchUser,
        (false, false) => ScimAction::ScimReplaceUser,
    };
    let verb = match action {
        ScimAction::ScimDeactivateUser => "deactivated",
        ScimAction::ScimPatchUser => "patched",
        _ => "replaced",
    };
    let audit = (!diff.is_empty() || document_changed)
        .then(|| (action, subject, format!("SCIM {verb} User {name} (account {})", user.id)));
    if audit.is_none() {
        notes.push("no change".into());
    }
    Ok(Ok(Done {
        response: Some(resource_response(ctx, &stored, 200)?),
        resource_type: Some(ResourceKind::User),
        resource_id: Some(stored.id.clone()),
        user_id: Some(user.id),
        change,
        diff,
        notes,
        audit,
    }))
}

/// DELETE /Users/{id}: the resource becomes a tombstone (its subject is never recreated by
/// JIT), the account is deactivated (its history stays), and the User leaves its groups.
pub(super) fn delete(ctx: &Ctx<'_, '_>, current: Resource) -> Result<Handled> {
    let c = ctx.connection.id;
    let tombstone =
        Resource { deleted_at: Some(ctx.now), version: current.version + 1, last_modified: ctx.now, ..current.clone() };
    store::scim::update_resource(ctx.tx, c, &tombstone)?;
    crate::fault::point("scim_after_resource_write");
    let mut diff = Vec::new();
    let account = match current.user_id {
        Some(id) => db::user_by_id(ctx.tx, id)?,
        None => None,
    };
    if let Some(mut user) = account.clone().filter(|u| u.status == UserStatus::Active) {
        user.status = UserStatus::Deactivated;
        user.updated_at = ctx.now;
        db::update_user(ctx.tx, &user)?;
        db::record_field_sources(ctx.tx, user.id, &["status".into()], FieldWriter::Scim, ctx.now)?;
        diff = provision::diff(account.as_ref(), &user);
    }
    crate::fault::point("scim_after_user_write");
    for (group_id, _) in store::scim::groups_of_member(ctx.tx, c, &current.id)? {
        super::scim_groups::drop_member(ctx, &group_id, &current.id)?;
    }
    Ok(Ok(Done {
        response: None,
        resource_type: Some(ResourceKind::User),
        resource_id: Some(current.id.clone()),
        user_id: current.user_id,
        change: vec![format!("delete User {}", current.name)],
        diff,
        notes: vec!["tombstone kept: JIT never recreates this subject".into()],
        audit: Some((
            ScimAction::ScimDeleteUser,
            current.subject.clone(),
            format!(
                "SCIM deleted User {}{}",
                current.name,
                current.user_id.map(|id| format!(" (account {id} deactivated)")).unwrap_or_default()
            ),
        )),
    }))
}
