//! A connection's SCIM side in the catalog (issue #15): the endpoint's switch and token (in the
//! secret store only, its generation in SQLite), the resources and tombstones, memberships,
//! the request log kept to 500, identity origins and field sources.

use std::sync::Arc;

use chrono::Duration;
use handshake::directory::{AdminAction, AuditKind, AuditQuery, FieldWriter};
use handshake::error::ErrorCode;
use handshake::provision::LifecyclePolicy;
use handshake::scim::{Method, ResourceKind};
use handshake::secrets::{self, MemoryStore, SecretStore};
use handshake::store::scim::{self as db, NewRequest, Resource};
use handshake::store::{Store, users};
use handshake::workbench::Workbench;
use serde_json::json;

use crate::validation::generator;

fn t0() -> chrono::DateTime<chrono::Utc> {
    generator::judged_at()
}

/// A catalog file with connection `acme`, its secrets in `store`.
pub fn bench() -> (tempfile::TempDir, Workbench, Arc<MemoryStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    let wb = Workbench::with_parts(
        Store::open(&dir.path().join("catalog.db")).unwrap(),
        store.clone(),
        "http://127.0.0.1:7777".into(),
    )
    .with_actor("ada");
    wb.import_connection(&generator::fixture_connection("acme"), t0()).unwrap();
    (dir, wb, store)
}

fn stored_token(store: &MemoryStore, name: &str) -> Option<String> {
    store.get(&secrets::scim_token(name)).unwrap().map(|v| String::from_utf8(v.expose().clone()).unwrap())
}

#[test]
fn enabling_issues_a_token_kept_only_in_the_secret_store() {
    let (dir, wb, store) = bench();
    assert_eq!(wb.scim_gate("acme").unwrap(), None, "off until enabled");
    assert!(!wb.scim_status("acme").unwrap().enabled);

    let enabled = wb.scim_enable("acme", Some(LifecyclePolicy::Hybrid), t0()).unwrap();
    let token = enabled.token.expose().clone();
    assert!(token.starts_with("hs_scim_") && token.len() == 8 + 43, "{token}");
    assert_eq!(stored_token(&store, "acme").as_deref(), Some(token.as_str()));
    let status = enabled.status;
    assert!(status.enabled);
    assert_eq!(status.endpoint, "http://127.0.0.1:7777/scim/acme/v2");
    assert_eq!((status.token_generation, status.users, status.groups), (1, 0, 0));
    assert_eq!(status.enabled_at, Some(t0()));
    assert_eq!(status.lifecycle.policy, LifecyclePolicy::Hybrid);
    assert_eq!(wb.mapping("acme").unwrap().provisioning.lifecycle.policy, LifecyclePolicy::Hybrid);

    let gate = wb.scim_gate("acme").unwrap().unwrap();
    assert_eq!(gate.generation, 1);
    assert_eq!(wb.scim_token_digest("acme").unwrap(), openssl::sha::sha256(token.as_bytes()));
    assert_eq!(wb.scim_gate("nope").unwrap(), None, "an unknown connection looks like a disabled one");

    // The token is nowhere in the catalog, its WAL or its status JSON.
    let status_json = serde_json::to_string(&wb.scim_status("acme").unwrap()).unwrap();
    assert!(!status_json.contains(&token));
    drop(wb);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()), "the token reached the catalog");
    }
}

#[test]
fn rotating_replaces_the_token_and_bumps_the_generation_and_disabling_removes_it() {
    let (_dir, wb, store) = bench();
    let err = wb.scim_rotate_token("acme", t0()).unwrap_err();
    assert_eq!((err.code, err.detail.as_deref()), (ErrorCode::Conflict, Some("scim_disabled")));

    let first = wb.scim_enable("acme", None, t0()).unwrap();
    let later = t0() + Duration::minutes(5);
    let second = wb.scim_rotate_token("acme", later).unwrap();
    assert_ne!(first.token.expose(), second.token.expose());
    assert_eq!(second.status.token_generation, 2);
    assert_eq!((second.status.enabled_at, second.status.rotated_at), (Some(t0()), Some(later)));
    assert_eq!(wb.scim_gate("acme").unwrap().unwrap().generation, 2);
    assert_eq!(wb.scim_token_digest("acme").unwrap(), openssl::sha::sha256(second.token.expose().as_bytes()));
    assert_eq!(wb.mapping("acme").unwrap().provisioning.lifecycle.policy, LifecyclePolicy::Jit, "policy untouched");

    let off = wb.scim_disable("acme", later).unwrap();
    assert!(!off.enabled);
    assert_eq!(wb.scim_gate("acme").unwrap(), None);
    assert_eq!(stored_token(&store, "acme"), None);
    assert_eq!(wb.scim_token_digest("acme").unwrap_err().code, ErrorCode::SecretMissing);
    // Disabling twice changes nothing and writes no second row.
    wb.scim_disable("acme", later).unwrap();
    // Enabling again issues a third generation.
    let again = wb.scim_enable("acme", None, later).unwrap();
    assert_eq!(again.status.token_generation, 3);

    let rows = wb.audit(&AuditQuery { kind: Some(AuditKind::Admin), ..AuditQuery::default() }).unwrap();
    let actions: Vec<AdminAction> = rows.iter().rev().filter_map(|r| r.action).collect();
    assert_eq!(
        actions,
        [
            AdminAction::ConnectionImport,
            AdminAction::ScimEnable,
            AdminAction::ScimTokenRotate,
            AdminAction::ScimDisable,
            AdminAction::ScimEnable
        ]
    );
    let rotate = rows.iter().find(|r| r.action == Some(AdminAction::ScimTokenRotate)).unwrap();
    assert_eq!(rotate.diff[0].field, "scim.token");
    assert_eq!(
        (rotate.diff[0].before.as_str(), rotate.diff[0].after.as_str()),
        (Some("revoked"), Some("issued (generation 2)"))
    );
    for row in &rows {
        let text = serde_json::to_string(row).unwrap();
        assert!(!text.contains(first.token.expose()) && !text.contains(second.token.expose()));
    }
}

#[test]
fn removing_a_connection_removes_its_scim_token_and_rows() {
    let (_dir, wb, store) = bench();
    wb.scim_enable("acme", None, t0()).unwrap();
    assert!(stored_token(&store, "acme").is_some());
    wb.remove_connection("acme", t0()).unwrap();
    assert_eq!(stored_token(&store, "acme"), None);
    let n: i64 = crate::sql(wb.store()).query_row("SELECT count(*) FROM connection_scim", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0);
}

fn user_resource(id: &str, name: &str, subject: Option<&str>, user_id: Option<i64>) -> Resource {
    Resource {
        id: id.into(),
        kind: ResourceKind::User,
        external_id: None,
        name: name.into(),
        subject: subject.map(Into::into),
        user_id,
        document: json!({"userName": name}),
        version: 1,
        created_at: t0(),
        last_modified: t0(),
        deleted_at: None,
    }
}

#[test]
fn user_names_are_unique_among_live_users_ignoring_case_and_tombstones_free_them() {
    let (_dir, wb, _) = bench();
    let acme = wb.store().get_connection("acme").unwrap().id;
    let tx = wb.store().write().unwrap();
    db::insert_resource(&tx, acme, &user_resource("u1", "Bjensen", Some("bjensen"), None)).unwrap();
    let clash = db::insert_resource(&tx, acme, &user_resource("u2", "BJENSEN", None, None)).unwrap_err();
    assert_eq!(clash.code, ErrorCode::Conflict);
    assert_eq!(db::live_user_named(&tx, acme, "bJensen").unwrap().unwrap().id, "u1");
    // A tombstone keeps its subject but frees the name.
    let mut gone = db::resource(&tx, acme, ResourceKind::User, "u1").unwrap().unwrap();
    gone.deleted_at = Some(t0());
    gone.version += 1;
    db::update_resource(&tx, acme, &gone).unwrap();
    assert_eq!(db::live_user_named(&tx, acme, "bjensen").unwrap(), None);
    db::insert_resource(&tx, acme, &user_resource("u2", "BJENSEN", None, None)).unwrap();
    assert_eq!(db::count_live(&tx, acme, ResourceKind::User).unwrap(), 1);
    let kept = db::resource(&tx, acme, ResourceKind::User, "u1").unwrap().unwrap();
    assert_eq!((kept.deleted_at, kept.subject.as_deref(), kept.version), (Some(t0()), Some("bjensen"), 2));
    assert_eq!(db::resource(&tx, acme, ResourceKind::Group, "u1").unwrap(), None, "the type is part of the key");
    let live: Vec<String> =
        db::live_resources(&tx, acme, ResourceKind::User).unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(live, ["u2"]);
    tx.commit().unwrap();
}

#[test]
fn memberships_name_live_groups_and_go_with_the_group() {
    let (_dir, wb, _) = bench();
    let acme = wb.store().get_connection("acme").unwrap().id;
    let tx = wb.store().write().unwrap();
    for (id, name) in [("g1", "sales"), ("g2", "engineering")] {
        let group = Resource {
            kind: ResourceKind::Group,
            document: json!({"displayName": name}),
            ..user_resource(id, name, None, None)
        };
        db::insert_resource(&tx, acme, &group).unwrap();
        db::set_members(&tx, acme, id, &[("u1".into(), json!({"value": "u1", "display": "Babs"}))]).unwrap();
    }
    let names = |tx: &handshake::store::WriteTx<'_>| -> Vec<String> {
        db::groups_of_member(tx, acme, "u1").unwrap().into_iter().map(|(_, n)| n).collect()
    };
    assert_eq!(names(&tx), ["engineering", "sales"]);
    assert_eq!(db::members_of(&tx, acme, "g1").unwrap(), ["u1"]);
    db::delete_resource(&tx, acme, "g1").unwrap();
    assert_eq!(names(&tx), ["engineering"]);
    assert!(db::members_of(&tx, acme, "g1").unwrap().is_empty(), "members cascade with their group");
    db::set_members(&tx, acme, "g2", &[]).unwrap();
    assert!(names(&tx).is_empty());
    tx.commit().unwrap();
}

#[test]
fn the_request_log_keeps_the_newest_500_per_connection() {
    let (_dir, wb, _) = bench();
    wb.import_connection(&generator::fixture_connection("beta"), t0()).unwrap();
    let acme = wb.store().get_connection("acme").unwrap().id;
    let beta = wb.store().get_connection("beta").unwrap().id;
    let tx = wb.store().write().unwrap();
    let row = |connection_id, n: i64| NewRequest {
        connection_id,
        at: t0() + Duration::seconds(n),
        method: Method::Patch,
        path: "/Users/u1",
        status: 200,
        scim_type: None,
        resource_type: Some(ResourceKind::User),
        resource_id: Some("u1"),
        user_id: None,
        change: &[],
        diff: &[],
        notes: &[],
        request_body: Some("{}"),
        response_body: None,
        client: Some("test"),
        duration_ms: n,
    };
    db::insert_request(&tx, &row(beta, 0)).unwrap();
    for n in 0..520 {
        db::insert_request(&tx, &row(acme, n)).unwrap();
    }
    tx.commit().unwrap();
    let log = wb.scim_log("acme", 1000).unwrap();
    assert_eq!(log.len(), 500);
    assert_eq!((log[0].duration_ms, log[499].duration_ms), (519, 20), "newest first, oldest pruned");
    assert_eq!((log[0].method, log[0].resource_type, log[0].status), (Method::Patch, Some(ResourceKind::User), 200));
    assert_eq!(wb.scim_log("beta", 10).unwrap().len(), 1, "another connection's log is its own");
    assert_eq!(wb.scim_log("acme", 3).unwrap().len(), 3);
}

#[test]
fn scim_identities_carry_their_origin_and_can_be_rekeyed() {
    let (_dir, wb, _) = bench();
    let acme = wb.store().get_connection("acme").unwrap().id;
    let tx = wb.store().write().unwrap();
    let user = handshake::directory::User {
        id: 0,
        connection: Some("acme".into()),
        identities: vec![],
        email: Some("babs@example.com".into()),
        email_verified: false,
        email_source: None,
        username: Some("babs".into()),
        given_name: None,
        family_name: None,
        display_name: None,
        groups: vec![],
        roles: vec![],
        custom: Default::default(),
        status: handshake::directory::UserStatus::Active,
        source: handshake::directory::UserSource::Scim,
        first_login: None,
        last_login: None,
        login_count: 0,
        created_at: t0(),
        updated_at: t0(),
    };
    let id = users::insert_user(&tx, &user, Some(acme)).unwrap();
    users::insert_scim_identity(&tx, acme, "00u-babs", id, t0()).unwrap();
    assert_eq!(users::identity_origin(&tx, acme, "00u-babs").unwrap(), Some(users::IdentityOrigin::Scim));
    assert!(users::rekey_identity(&tx, acme, id, "00u-barbara").unwrap());
    assert_eq!(users::identity_origin(&tx, acme, "00u-babs").unwrap(), None);
    assert_eq!(users::user_by_identity(&tx, acme, "00u-barbara").unwrap().unwrap().source, user.source);

    assert!(users::field_sources(&tx, id).unwrap().is_empty());
    users::record_field_sources(&tx, id, &["groups".into(), "email".into()], FieldWriter::Scim, t0()).unwrap();
    let later = t0() + Duration::hours(1);
    users::record_field_sources(&tx, id, &["email".into()], FieldWriter::Login, later).unwrap();
    let sources = users::field_sources(&tx, id).unwrap();
    assert_eq!((sources["groups"].by, sources["groups"].at), (FieldWriter::Scim, t0()));
    assert_eq!((sources["email"].by, sources["email"].at), (FieldWriter::Login, later));
    tx.commit().unwrap();
    let raw: String =
        crate::sql(wb.store()).query_row("SELECT field_sources FROM users WHERE id = ?1", [id], |r| r.get(0)).unwrap();
    assert!(raw.contains("\"groups\":{\"by\":\"scim\""), "{raw}");
}
