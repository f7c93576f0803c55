//! SCIM Groups: the document is stored whole (its `members` as sent); the member rows index it,
//! and each account whose memberships change gets its `groups` field re-projected (the names
//! of the live groups its User belongs to, by name), unless login claims own `groups`.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::scim::{Ctx, Done, Handled, new_id, resource_response};
use crate::directory::{FieldChange, FieldWriter, ScimAction};
use crate::error::Result;
use crate::provision::Owner;
use crate::scim::{ResourceKind, ScimError, ScimType, resource};
use crate::store::scim::Resource;
use crate::store::{self, users as db};

/// The members of a Group document: `(value, member object)`, one per value (the last wins).
fn members(doc: &Value) -> Vec<(String, Value)> {
    // Indexed by value: a list up to the body limit costs linear time, not quadratic.
    let mut out: Vec<Option<(String, Value)>> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for m in doc.get("members").and_then(Value::as_array).into_iter().flatten() {
        if let Some(v) = m.get("value").and_then(Value::as_str) {
            if let Some(earlier) = at.insert(v, out.len()).and_then(|i| out.get_mut(i)) {
                *earlier = None;
            }
            out.push(Some((v.to_owned(), m.clone())));
        }
    }
    out.into_iter().flatten().collect()
}

/// The most members a Group may hold here. Each write re-indexes its members and re-projects
/// their accounts in one transaction: bounded, so that no request (and no series of PATCH adds)
/// holds the catalog's write lock for long; Handshake is a workbench, not the directory of record.
pub const MAX_GROUP_MEMBERS: usize = 10_000;

fn too_many_members(rows: &[(String, Value)]) -> Option<ScimError> {
    (rows.len() > MAX_GROUP_MEMBERS).then(|| {
        ScimError::bad_request(
            ScimType::InvalidValue,
            format!(
                "members: {} members; a Group holds at most {MAX_GROUP_MEMBERS} here (assign a smaller group to the app \
                 for the test)",
                rows.len()
            ),
        )
    })
}

fn display_name(doc: &Value) -> std::result::Result<String, ScimError> {
    doc.get("displayName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ScimError::bad_request(ScimType::InvalidValue, "displayName is required"))
}

/// Re-projects `groups` onto the accounts of these member ids; their diff entries
/// (`user.<id>.groups`) and the accounts changed.
fn reproject(
    ctx: &Ctx<'_, '_>,
    member_ids: &[String],
    notes: &mut Vec<String>,
) -> Result<(Vec<FieldChange>, Vec<i64>)> {
    let c = ctx.connection.id;
    let login_owns = ctx.mapping.provisioning.lifecycle.owner("groups") == Owner::Login;
    let (mut diff, mut accounts) = (Vec::new(), Vec::new());
    for member in member_ids {
        let Some(r) = store::scim::resource(ctx.tx, c, ResourceKind::User, member)?.filter(|r| r.deleted_at.is_none())
        else {
            continue;
        };
        let Some(mut user) = r.user_id.map(|id| db::user_by_id(ctx.tx, id)).transpose()?.flatten() else { continue };
        let groups: Vec<String> =
            store::scim::groups_of_member(ctx.tx, c, member)?.into_iter().map(|(_, name)| name).collect();
        if groups == user.groups {
            continue;
        }
        if login_owns {
            notes.push(format!("groups of account {}: owned by login claims; not written", user.id));
            continue;
        }
        diff.push(FieldChange {
            field: format!("user.{}.groups", user.id),
            before: Value::from(user.groups.clone()),
            after: Value::from(groups.clone()),
        });
        user.groups = groups;
        user.updated_at = ctx.now;
        db::update_user(ctx.tx, &user)?;
        db::record_field_sources(ctx.tx, user.id, &["groups".into()], FieldWriter::Scim, ctx.now)?;
        accounts.push(user.id);
    }
    Ok((diff, accounts))
}

fn scim_diff(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    super::audit::diff_values("scim", before, after, &mut out);
    out
}

/// POST /Groups.
pub(super) fn create(ctx: &Ctx<'_, '_>, body: &Value) -> Result<Handled> {
    let prepared = match resource::create(ResourceKind::Group, body) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let doc = prepared.document;
    let mut notes = prepared.notes;
    let name = match display_name(&doc) {
        Ok(n) => n,
        Err(e) => return Ok(Err(e)),
    };
    let stored = Resource {
        id: new_id()?,
        kind: ResourceKind::Group,
        external_id: doc.get("externalId").and_then(Value::as_str).map(str::to_owned),
        name: name.clone(),
        subject: None,
        user_id: None,
        document: doc,
        version: 1,
        created_at: ctx.now,
        last_modified: ctx.now,
        deleted_at: None,
    };
    let member_rows = members(&stored.document);
    if let Some(e) = too_many_members(&member_rows) {
        return Ok(Err(e));
    }
    let c = ctx.connection.id;
    store::scim::insert_resource(ctx.tx, c, &stored)?;
    store::scim::set_members(ctx.tx, c, &stored.id, &member_rows)?;
    crate::fault::point("scim_after_resource_write");
    let ids: Vec<String> = member_rows.into_iter().map(|(id, _)| id).collect();
    let (mut diff, accounts) = reproject(ctx, &ids, &mut notes)?;
    crate::fault::point("scim_after_user_write");
    diff.splice(0..0, scim_diff(&Value::Null, &stored.document));
    Ok(Ok(Done {
        response: Some(resource_response(ctx, &stored, 201)?),
        resource_type: Some(ResourceKind::Group),
        resource_id: Some(stored.id.clone()),
        user_id: single(&accounts),
        change: vec![format!("create Group {name}")],
        diff,
        notes,
        audit: Some((ScimAction::ScimCreateGroup, None, format!("SCIM created Group {name} ({} members)", ids.len()))),
    }))
}

fn single(accounts: &[i64]) -> Option<i64> {
    match accounts {
        [one] => Some(*one),
        _ => None,
    }
}

/// The ids in either list but not both, or all of them when `everyone`.
fn affected(before: &[(String, Value)], after: &[(String, Value)], everyone: bool) -> Vec<String> {
    let ids = |list: &[(String, Value)]| list.iter().map(|(m, _)| m.clone()).collect::<HashSet<String>>();
    let (in_before, in_after) = (ids(before), ids(after));
    let mut out: Vec<String> = before
        .iter()
        .filter(|(id, _)| everyone || !in_after.contains(id))
        .chain(after.iter().filter(|(id, _)| everyone || !in_before.contains(id)))
        .map(|(id, _)| id.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// PUT or PATCH /Groups/{id}.
pub(super) fn update(
    ctx: &Ctx<'_, '_>,
    current: Resource,
    document: Value,
    change: Vec<String>,
    mut notes: Vec<String>,
) -> Result<Handled> {
    let c = ctx.connection.id;
    let name = match display_name(&document) {
        Ok(n) => n,
        Err(e) => return Ok(Err(e)),
    };
    let (old, new) = (members(&current.document), members(&document));
    if let Some(e) = too_many_members(&new) {
        return Ok(Err(e));
    }
    let renamed = name != current.name;
    let changed = document != current.document;
    let mut stored = Resource {
        name: name.clone(),
        external_id: document.get("externalId").and_then(Value::as_str).map(str::to_owned),
        document,
        ..current.clone()
    };
    if changed {
        stored.version += 1;
        stored.last_modified = ctx.now;
        store::scim::update_resource(ctx.tx, c, &stored)?;
        store::scim::set_members(ctx.tx, c, &stored.id, &new)?;
    }
    crate::fault::point("scim_after_resource_write");
    let (mut diff, accounts) = reproject(ctx, &affected(&old, &new, renamed), &mut notes)?;
    crate::fault::point("scim_after_user_write");
    diff.splice(0..0, scim_diff(&current.document, &stored.document));
    let patch = ctx.request.method == crate::scim::Method::Patch;
    let action = if patch { ScimAction::ScimPatchGroup } else { ScimAction::ScimReplaceGroup };
    let audit =
        changed.then(|| (action, None, format!("SCIM {} Group {name}", if patch { "patched" } else { "replaced" })));
    if !changed {
        notes.push("no change".into());
    }
    Ok(Ok(Done {
        response: Some(resource_response(ctx, &stored, 200)?),
        resource_type: Some(ResourceKind::Group),
        resource_id: Some(stored.id.clone()),
        user_id: single(&accounts),
        change,
        diff,
        notes,
        audit,
    }))
}

/// DELETE /Groups/{id}: gone for good; its members' accounts lose it.
pub(super) fn delete(ctx: &Ctx<'_, '_>, current: Resource) -> Result<Handled> {
    let c = ctx.connection.id;
    let ids: Vec<String> = members(&current.document).into_iter().map(|(id, _)| id).collect();
    store::scim::delete_resource(ctx.tx, c, &current.id)?;
    crate::fault::point("scim_after_resource_write");
    let mut notes = Vec::new();
    let (mut diff, accounts) = reproject(ctx, &ids, &mut notes)?;
    crate::fault::point("scim_after_user_write");
    diff.splice(0..0, scim_diff(&current.document, &Value::Null));
    Ok(Ok(Done {
        response: None,
        resource_type: Some(ResourceKind::Group),
        resource_id: Some(current.id.clone()),
        user_id: single(&accounts),
        change: vec![format!("delete Group {}", current.name)],
        diff,
        notes,
        audit: Some((ScimAction::ScimDeleteGroup, None, format!("SCIM deleted Group {}", current.name))),
    }))
}

/// Takes a deleted User out of a group's document and rows (a new version of the group).
pub(super) fn drop_member(ctx: &Ctx<'_, '_>, group_id: &str, member: &str) -> Result<()> {
    let c = ctx.connection.id;
    let Some(mut group) = store::scim::resource(ctx.tx, c, ResourceKind::Group, group_id)? else { return Ok(()) };
    if let Some(list) = group.document.get_mut("members").and_then(Value::as_array_mut) {
        list.retain(|m| m.get("value").and_then(Value::as_str) != Some(member));
    }
    group.version += 1;
    group.last_modified = ctx.now;
    store::scim::update_resource(ctx.tx, c, &group)?;
    store::scim::set_members(ctx.tx, c, group_id, &members(&group.document))
}
