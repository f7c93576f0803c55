//! `Workbench::scim_request` (issue #15): routes, SCIM errors, and every write into the
//! directory in one transaction, each test asserting the account, the audit rows with their
//! diff, and the request log.

use chrono::Duration;
use handshake::directory::{AuditEntry, AuditKind, AuditQuery, ScimAction, UserSource, UserStatus};
use handshake::provision::{LifecyclePolicy, MatchRule, Owner};
use handshake::scim::{ERROR_URN, Method, ResourceKind, ScimRequest, ScimResponse};
use handshake::workbench::Workbench;
use serde_json::{Value, json};

use crate::validation::generator;

pub const BASE: &str = "http://127.0.0.1:7777/scim/acme/v2";

fn t0() -> chrono::DateTime<chrono::Utc> {
    generator::judged_at()
}

pub fn request(method: Method, path: &str, body: Option<Value>) -> ScimRequest {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, q),
        None => (path, ""),
    };
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    ScimRequest {
        method,
        path: path.to_owned(),
        query,
        body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        if_match: None,
        client: Some("integration-test".into()),
        base_url: BASE.into(),
    }
}

pub fn call(wb: &Workbench, method: Method, path: &str, body: Option<Value>) -> ScimResponse {
    wb.scim_request("acme", request(method, path, body), t0()).unwrap()
}

fn body(r: &ScimResponse) -> &Value {
    r.body.as_ref().unwrap()
}

#[track_caller]
fn scim_error(r: &ScimResponse, status: u16, scim_type: Option<&str>) {
    assert_eq!(r.status, status, "{:?}", r.body);
    let b = body(r);
    assert_eq!(b["schemas"], json!([ERROR_URN]));
    assert_eq!(b["status"], json!(status.to_string()), "the status is a string (RFC 7644 §3.12)");
    assert_eq!(b.get("scimType").and_then(Value::as_str), scim_type, "{b}");
}

pub fn scim_rows(wb: &Workbench) -> Vec<AuditEntry> {
    wb.audit(&AuditQuery { kind: Some(AuditKind::Scim), ..AuditQuery::default() }).unwrap()
}

fn count(wb: &Workbench, table: &str) -> i64 {
    crate::sql(wb.store()).query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

/// A catalog with connection `acme` whose SCIM endpoint is on under `policy`.
pub fn bench(policy: LifecyclePolicy) -> crate::provisioning::Bench {
    let b = crate::provisioning::Bench::new();
    b.wb.scim_enable("acme", Some(policy), t0()).unwrap();
    b
}

pub fn bjensen() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "bjensen@example.com",
        "externalId": "00u-bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "displayName": "Babs Jensen",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        "password": "hunter2-never-stored",
        "active": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"},
    })
}

fn field<'a>(row: &'a AuditEntry, name: &str) -> &'a handshake::directory::FieldChange {
    row.diff.iter().find(|c| c.field == name).unwrap_or_else(|| panic!("no {name} in {:#?}", row.diff))
}

#[test]
fn discovery_and_routing_errors_are_scim_errors_and_write_only_the_log() {
    let b = bench(LifecyclePolicy::Hybrid);
    let wb = &b.wb;
    let spc = call(wb, Method::Get, "/ServiceProviderConfig", None);
    assert_eq!(spc.status, 200);
    assert_eq!(body(&spc)["patch"]["supported"], true);
    assert_eq!(call(wb, Method::Get, "/ResourceTypes/User", None).status, 200);
    assert_eq!(call(wb, Method::Get, "/Schemas", None).status, 200);
    let user_schema = call(wb, Method::Get, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", None);
    assert_eq!(body(&user_schema)["id"], "urn:ietf:params:scim:schemas:core:2.0:User");
    for (method, path, status) in [
        (Method::Post, "/ServiceProviderConfig", 405),
        (Method::Put, "/ResourceTypes", 405),
        (Method::Delete, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", 405),
        (Method::Patch, "/Users", 405),
        (Method::Post, "/Users/some-id", 405),
        (Method::Get, "/.search", 405),
        (Method::Get, "/ResourceTypes/Printer", 404),
        (Method::Get, "/Schemas/urn:nope", 404),
        (Method::Get, "/2f1b6c0e-0e7d-4d4e-9d5b-7d0f3c1e9a11", 404),
        (Method::Get, "/Users/2f1b6c0e-0e7d-4d4e-9d5b-7d0f3c1e9a11", 404),
        (Method::Delete, "/Groups/nope", 404),
        (Method::Get, "/Users/x/y", 404),
        (Method::Get, "/", 404),
        (Method::Post, "/Bulk", 501),
        (Method::Get, "/Me", 501),
    ] {
        let r = call(wb, method, path, None);
        scim_error(&r, status, None);
    }
    let bad = wb
        .scim_request(
            "acme",
            ScimRequest { body: b"{not json".to_vec(), ..request(Method::Post, "/Users", None) },
            t0(),
        )
        .unwrap();
    scim_error(&bad, 400, Some("invalidSyntax"));
    let list = call(wb, Method::Get, "/Users", None);
    assert_eq!((list.status, body(&list)["totalResults"].clone()), (200, json!(0)));

    assert!(scim_rows(wb).is_empty(), "reads and refusals write no audit row");
    let log = wb.scim_log("acme", 100).unwrap();
    assert_eq!(log.len(), 21, "every request has its log row");
    assert_eq!((log[0].method, log[0].path.as_str(), log[0].status), (Method::Get, "/Users", 200));
    assert_eq!((log[1].status, log[1].scim_type), (400, Some(handshake::scim::ScimType::InvalidSyntax)));
    assert_eq!(log[1].request_body.as_deref(), Some("[9 bytes, not JSON: not kept]"));
    assert_eq!(log[1].client.as_deref(), Some("integration-test"));
    assert_eq!(count(wb, "scim_resources"), 0);
}

#[test]
fn a_created_user_lands_in_the_directory_with_its_identity_audit_row_and_log() {
    let b = bench(LifecyclePolicy::Hybrid);
    let wb = &b.wb;
    let users_before = count(wb, "users");
    let r = call(wb, Method::Post, "/Users", Some(bjensen()));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let doc = body(&r).clone();
    let id = doc["id"].as_str().unwrap().to_owned();
    assert_eq!(r.location.as_deref(), Some(format!("{BASE}/Users/{id}").as_str()));
    assert_eq!(r.etag.as_deref(), Some("W/\"1\""));
    assert_eq!(doc["meta"]["version"], "W/\"1\"");
    assert!(doc.get("password").is_none(), "never echoed");

    assert_eq!(count(wb, "users"), users_before + 1);
    let user = wb.users(&Default::default()).unwrap().into_iter().find(|u| u.source == UserSource::Scim).unwrap();
    assert_eq!(user.email.as_deref(), Some("bjensen@example.com"));
    assert_eq!(user.username.as_deref(), Some("bjensen@example.com"));
    assert_eq!((user.given_name.as_deref(), user.family_name.as_deref()), (Some("Barbara"), Some("Jensen")));
    assert_eq!(user.display_name.as_deref(), Some("Babs Jensen"));
    assert_eq!(user.custom.get("department").map(String::as_str), Some("Sales"));
    assert_eq!((user.status, user.first_login, user.login_count), (UserStatus::Active, None, 0));
    assert_eq!(user.identities.len(), 1);
    assert_eq!((user.identities[0].subject.as_str(), user.identities[0].linked), ("bjensen@example.com", false));
    let origin: String = crate::sql(wb.store())
        .query_row("SELECT origin FROM user_identities WHERE user_id = ?1", [user.id], |r| r.get(0))
        .unwrap();
    assert_eq!(origin, "scim");

    let rows = scim_rows(wb);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (row.scim_action, row.actor.as_deref(), row.outcome),
        (Some(ScimAction::ScimCreateUser), Some("scim"), None)
    );
    assert_eq!((row.user_id, row.subject.as_deref()), (Some(user.id), Some("bjensen@example.com")));
    assert_eq!(field(row, "email").after, "bjensen@example.com");
    assert_eq!(field(row, "custom.department").after, "Sales");
    let request = row.request.as_ref().unwrap();
    assert_eq!((request["method"].as_str(), request["path"].as_str()), (Some("POST"), Some("/Users")));
    assert_eq!(request["body"]["password"], "[redacted]");
    assert_eq!(request["body"]["userName"], "bjensen@example.com");

    let log = wb.scim_log("acme", 10).unwrap();
    assert_eq!((log[0].status, log[0].resource_id.as_deref(), log[0].user_id), (201, Some(id.as_str()), Some(user.id)));
    assert_eq!(log[0].diff, row.diff);
    assert!(!log[0].request_body.as_deref().unwrap().contains("hunter2"));
    // Both exports carry the row, its action in the action column, never the password.
    let (csv, _) = wb.export_audit(&AuditQuery::default(), handshake::workbench::AuditFormat::Csv).unwrap();
    assert!(csv.lines().any(|l| l.ends_with(",\"scim\",\"scim\",\"scim_create_user\"")), "{csv}");
    let (jsonl, _) = wb.export_audit(&AuditQuery::default(), handshake::workbench::AuditFormat::JsonLines).unwrap();
    assert!(jsonl.contains("\"scim_action\":\"scim_create_user\""));
    assert!(!csv.contains("hunter2") && !jsonl.contains("hunter2"));

    // Read back, by id and by filter.
    let got = call(wb, Method::Get, &format!("/Users/{id}"), None);
    assert_eq!((got.status, body(&got)["userName"].clone()), (200, json!("bjensen@example.com")));
    let found = call(wb, Method::Get, "/Users?filter=userName eq \"BJENSEN@example.com\"", None);
    assert_eq!(body(&found)["totalResults"], 1, "userName is not case-exact");
    let none = call(wb, Method::Get, "/Users?filter=userName eq \"nobody\"", None);
    assert_eq!(body(&none)["totalResults"], 0);
    assert_eq!(scim_rows(wb).len(), 1, "reads write no audit row");
}

#[test]
fn a_second_user_with_the_same_user_name_is_409_and_writes_nothing_but_its_log_row() {
    let b = bench(LifecyclePolicy::Hybrid);
    let wb = &b.wb;
    assert_eq!(call(wb, Method::Post, "/Users", Some(bjensen())).status, 201);
    let (users, resources) = (count(wb, "users"), count(wb, "scim_resources"));
    let mut twin = bjensen();
    twin["userName"] = json!("BJensen@Example.COM");
    twin["externalId"] = json!("00u-other");
    let r = call(wb, Method::Post, "/Users", Some(twin));
    scim_error(&r, 409, Some("uniqueness"));
    assert_eq!((count(wb, "users"), count(wb, "scim_resources")), (users, resources));
    assert_eq!(scim_rows(wb).len(), 1);
    let log = wb.scim_log("acme", 1).unwrap();
    assert_eq!((log[0].status, log[0].scim_type), (409, Some(handshake::scim::ScimType::Uniqueness)));
}

#[test]
fn deactivating_by_patch_deactivates_the_account_and_if_match_guards_versions() {
    let b = bench(LifecyclePolicy::Hybrid);
    let wb = &b.wb;
    let id = body(&call(wb, Method::Post, "/Users", Some(bjensen())))["id"].as_str().unwrap().to_owned();
    // Entra ID's legacy shape: capitalised op, boolean as a string.
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let stale = ScimRequest {
        if_match: Some("W/\"7\"".into()),
        ..request(Method::Patch, &format!("/Users/{id}"), Some(patch.clone()))
    };
    scim_error(&wb.scim_request("acme", stale, t0()).unwrap(), 412, None);
    let fresh = ScimRequest {
        if_match: Some("W/\"1\"".into()),
        ..request(Method::Patch, &format!("/Users/{id}"), Some(patch))
    };
    let r = wb.scim_request("acme", fresh, t0() + Duration::minutes(1)).unwrap();
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(body(&r)["active"], false);
    assert_eq!(r.etag.as_deref(), Some("W/\"2\""));

    let user = wb.users(&Default::default()).unwrap().into_iter().find(|u| u.source == UserSource::Scim).unwrap();
    assert_eq!(user.status, UserStatus::Deactivated);
    let rows = scim_rows(wb);
    assert_eq!(rows[0].scim_action, Some(ScimAction::ScimDeactivateUser));
    assert_eq!(
        (field(&rows[0], "status").before.clone(), field(&rows[0], "status").after.clone()),
        (json!("active"), json!("deactivated"))
    );
    assert_eq!(rows[0].request.as_ref().unwrap()["body"]["Operations"][0]["op"], "Replace");
    let log = wb.scim_log("acme", 1).unwrap();
    assert_eq!(log[0].status, 200);
    assert!(!log[0].change.is_empty());
}

#[test]
fn a_replaced_user_moves_its_identity_when_the_match_attribute_changes() {
    let b = crate::provisioning::Bench::new();
    let wb = &b.wb;
    wb.scim_enable("acme", Some(LifecyclePolicy::Hybrid), t0()).unwrap();
    let mut doc = wb.mapping("acme").unwrap();
    doc.provisioning.lifecycle.match_rule = MatchRule::ExternalId;
    wb.set_mapping("acme", &doc, t0()).unwrap();
    let id = body(&call(wb, Method::Post, "/Users", Some(bjensen())))["id"].as_str().unwrap().to_owned();
    let subject = |wb: &Workbench| -> String {
        crate::sql(wb.store()).query_row("SELECT subject FROM user_identities", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(subject(wb), "00u-bjensen");
    let mut put = bjensen();
    put["externalId"] = json!("00u-barbara");
    put["displayName"] = json!("Barbara J.");
    put["id"] = json!(id);
    let r = call(wb, Method::Put, &format!("/Users/{id}"), Some(put));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(subject(wb), "00u-barbara");
    let row = &scim_rows(wb)[0];
    assert_eq!(row.scim_action, Some(ScimAction::ScimReplaceUser));
    assert_eq!(
        (field(row, "subject").before.clone(), field(row, "subject").after.clone()),
        (json!("00u-bjensen"), json!("00u-barbara"))
    );
    assert_eq!(field(row, "display_name").after, "Barbara J.");
}

#[test]
fn a_user_post_adopts_the_jit_account_of_the_same_subject_and_a_second_post_is_409() {
    let b = bench(LifecyclePolicy::Hybrid);
    let wb = &b.wb;
    let jit = b.login(&b.response("ada@example.com", crate::provisioning::ADA)).user.unwrap();
    let users = count(wb, "users");
    let ada = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.com",
                     "name": {"givenName": "Ada", "familyName": "King"}, "emails": [{"value": "ada@example.com"}]});
    let r = call(wb, Method::Post, "/Users", Some(ada.clone()));
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(count(wb, "users"), users, "adopted, not duplicated");
    let user = wb.user(jit.id).unwrap();
    assert_eq!((user.source, user.family_name.as_deref()), (UserSource::Jit, Some("King")));
    let row = &scim_rows(wb)[0];
    assert_eq!((row.scim_action, row.user_id), (Some(ScimAction::ScimAdopt), Some(jit.id)));
    assert_eq!(
        (field(row, "family_name").before.clone(), field(row, "family_name").after.clone()),
        (json!("Lovelace"), json!("King"))
    );
    assert!(
        wb.scim_log("acme", 1).unwrap()[0].notes.iter().any(|n| n.contains(&format!("adopted JIT account {}", jit.id)))
    );
    let again = call(wb, Method::Post, "/Users", Some(json!({"userName": "ada@example.com", "externalId": "x"})));
    scim_error(&again, 409, Some("uniqueness"));
    assert_eq!(scim_rows(wb).len(), 1);
}

#[test]
fn deleting_a_user_leaves_a_tombstone_and_a_deactivated_account() {
    let b = bench(LifecyclePolicy::Hybrid);
    let wb = &b.wb;
    let id = body(&call(wb, Method::Post, "/Users", Some(bjensen())))["id"].as_str().unwrap().to_owned();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "sales",
                       "members": [{"value": id}]});
    let gid = body(&call(wb, Method::Post, "/Groups", Some(group)))["id"].as_str().unwrap().to_owned();
    let r = call(wb, Method::Delete, &format!("/Users/{id}"), None);
    assert_eq!((r.status, r.body.clone()), (204, None));
    scim_error(&call(wb, Method::Get, &format!("/Users/{id}"), None), 404, None);
    scim_error(&call(wb, Method::Delete, &format!("/Users/{id}"), None), 404, None);
    let (deleted, subject): (Option<String>, String) = crate::sql(wb.store())
        .query_row("SELECT deleted_at, subject FROM scim_resources WHERE id = ?1", [&id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(deleted.is_some());
    assert_eq!(subject, "bjensen@example.com");
    let user = wb.users(&Default::default()).unwrap().into_iter().find(|u| u.source == UserSource::Scim).unwrap();
    assert_eq!(user.status, UserStatus::Deactivated);
    let row = &scim_rows(wb)[0];
    assert_eq!(row.scim_action, Some(ScimAction::ScimDeleteUser));
    assert_eq!(field(row, "status").after, "deactivated");
    let group = call(wb, Method::Get, &format!("/Groups/{gid}"), None);
    assert_eq!(body(&group).get("members").and_then(Value::as_array).map_or(0, Vec::len), 0, "it left its groups");
    // The userName is free again: the IdP may provision the person anew.
    assert_eq!(call(wb, Method::Post, "/Users", Some(bjensen())).status, 201);
}

#[test]
fn group_memberships_become_the_accounts_groups() {
    let b = bench(LifecyclePolicy::Hybrid);
    let wb = &b.wb;
    let id = body(&call(wb, Method::Post, "/Users", Some(bjensen())))["id"].as_str().unwrap().to_owned();
    let account = scim_rows(wb)[0].user_id.unwrap();
    let groups = |wb: &Workbench| wb.user(account).unwrap().groups;
    let sales = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "sales",
                       "members": [{"value": id, "display": "Babs"}]});
    let r = call(wb, Method::Post, "/Groups", Some(sales));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let gid = body(&r)["id"].as_str().unwrap().to_owned();
    assert_eq!(groups(wb), ["sales"]);
    let row = &scim_rows(wb)[0];
    assert_eq!((row.scim_action, row.user_id), (Some(ScimAction::ScimCreateGroup), Some(account)));
    assert_eq!(field(row, &format!("user.{account}.groups")).after, json!(["sales"]));
    let user_doc = call(wb, Method::Get, &format!("/Users/{id}"), None);
    assert_eq!(body(&user_doc)["groups"][0]["display"], "sales");

    // Okta renames the group (id inside the value), then Entra removes the member by value list.
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "replace", "value": {"id": gid, "displayName": "engineering"}}]});
    assert_eq!(call(wb, Method::Patch, &format!("/Groups/{gid}"), Some(rename)).status, 200);
    assert_eq!(groups(wb), ["engineering"]);
    let moved = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "value": {"id": "another-id", "displayName": "x"}}]});
    scim_error(&call(wb, Method::Patch, &format!("/Groups/{gid}"), Some(moved)), 400, Some("mutability"));
    assert_eq!(groups(wb), ["engineering"], "a refused rename changes nothing");
    let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "Remove", "path": "members", "value": [{"value": id}]}]});
    assert_eq!(call(wb, Method::Patch, &format!("/Groups/{gid}"), Some(remove)).status, 200);
    assert!(groups(wb).is_empty());
    assert_eq!(scim_rows(wb)[0].scim_action, Some(ScimAction::ScimPatchGroup));
    assert_eq!(call(wb, Method::Delete, &format!("/Groups/{gid}"), None).status, 204);
    assert_eq!(scim_rows(wb)[0].scim_action, Some(ScimAction::ScimDeleteGroup));
}

#[test]
fn scim_never_writes_a_field_owned_by_login_claims() {
    let b = crate::provisioning::Bench::new();
    let wb = &b.wb;
    wb.scim_enable("acme", Some(LifecyclePolicy::Hybrid), t0()).unwrap();
    let mut doc = wb.mapping("acme").unwrap();
    doc.provisioning.lifecycle.owners.insert("display_name".into(), Owner::Login);
    wb.set_mapping("acme", &doc, t0()).unwrap();
    let r = call(wb, Method::Post, "/Users", Some(bjensen()));
    assert_eq!(r.status, 201);
    assert_eq!(body(&r)["displayName"], "Babs Jensen", "the SCIM document keeps it");
    let user = wb.users(&Default::default()).unwrap().into_iter().find(|u| u.source == UserSource::Scim).unwrap();
    assert_eq!(user.display_name, None);
    assert_eq!(user.given_name.as_deref(), Some("Barbara"));
    let log = wb.scim_log("acme", 1).unwrap();
    assert!(log[0].notes.iter().any(|n| n.starts_with("display_name: owned by login claims")), "{:?}", log[0].notes);
    assert!(scim_rows(wb)[0].diff.iter().all(|c| c.field != "display_name"));
}

#[test]
fn a_refused_patch_writes_no_audit_row_and_changes_nothing() {
    let b = bench(LifecyclePolicy::Hybrid);
    let wb = &b.wb;
    let id = body(&call(wb, Method::Post, "/Users", Some(bjensen())))["id"].as_str().unwrap().to_owned();
    let before = crate::sql(wb.store())
        .query_row("SELECT document || version FROM scim_resources", [], |r| r.get::<_, String>(0))
        .unwrap();
    let bad = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                     "Operations": [{"op": "replace", "path": "displayName", "value": "X"},
                                    {"op": "explode", "path": "active", "value": false}]});
    let r = call(wb, Method::Patch, &format!("/Users/{id}"), Some(bad));
    assert_eq!(r.status, 400, "{:?}", r.body);
    let after = crate::sql(wb.store())
        .query_row("SELECT document || version FROM scim_resources", [], |r| r.get::<_, String>(0))
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(scim_rows(wb).len(), 1, "only the create");
    assert_eq!(wb.scim_log("acme", 1).unwrap()[0].status, 400);
}

#[test]
fn search_at_the_root_and_per_type_pages_over_both_types() {
    let b = bench(LifecyclePolicy::Hybrid);
    let wb = &b.wb;
    call(wb, Method::Post, "/Users", Some(bjensen()));
    call(
        wb,
        Method::Post,
        "/Groups",
        Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "sales"})),
    );
    let search =
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "startIndex": 1, "count": 10});
    let all = call(wb, Method::Post, "/.search", Some(search.clone()));
    assert_eq!((all.status, body(&all)["totalResults"].clone()), (200, json!(2)), "{:?}", all.body);
    let users = call(wb, Method::Post, "/Users/.search", Some(search));
    assert_eq!(body(&users)["totalResults"], 1);
    let groups = call(wb, Method::Get, "/Groups?excludedAttributes=members&filter=displayName eq \"sales\"", None);
    assert_eq!(body(&groups)["totalResults"], 1);
    let _ = ResourceKind::Group;
}
