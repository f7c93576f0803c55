//! The hybrid lifecycle at login (issue #15, src/provision/hybrid.rs): one test per rule, each
//! asserting the directory, the audit rows, the diff and the trace. The SCIM side is a SCIM
//! client's requests through `Workbench::scim_request` (`Scim`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use handshake::directory::{AdminAction, AuditEntry, AuditKind, AuditQuery};
use handshake::provision::{Lifecycle, LifecyclePolicy, MatchRule, Outcome, Owner};
use handshake::scim::{Method, ScimRequest};
use handshake::workbench::ProvisionReport;
use serde_json::{Value, json};

use crate::provisioning::{ADA, Bench};
use crate::validation::generator;

fn t0() -> DateTime<Utc> {
    generator::judged_at()
}

const SUBJECT: &str = "ada@example.com";

/// Ada's claims, in another set of groups.
fn ada_in(groups: &[&str]) -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("email", vec!["ada@example.com".into()]),
        ("firstName", vec!["Ada".into()]),
        ("lastName", vec!["Lovelace".into()]),
        ("groups", groups.iter().map(|g| (*g).to_owned()).collect()),
    ]
}

fn login_as(b: &Bench, subject: &str, claims: &[(&'static str, Vec<String>)]) -> ProvisionReport {
    let attrs: Vec<(&str, Vec<&str>)> =
        claims.iter().map(|(k, v)| (*k, v.iter().map(String::as_str).collect())).collect();
    let attrs: Vec<(&str, &[&str])> = attrs.iter().map(|(k, v)| (*k, v.as_slice())).collect();
    b.login(&b.response(subject, &attrs))
}

fn policy(b: &Bench, policy: LifecyclePolicy, jit_requires_scim: bool) {
    let lifecycle = Lifecycle { policy, jit_requires_scim, ..Lifecycle::default() };
    b.wb.set_lifecycle("acme", lifecycle, t0()).unwrap();
}

/// A SCIM client, through `Workbench::scim_request` (authentication is the server's job).
struct Scim<'a> {
    b: &'a Bench,
    /// Group name → resource id.
    groups: std::cell::RefCell<BTreeMap<String, String>>,
}

struct Provisioned {
    user_id: i64,
    resource: String,
}

const BASE: &str = "http://127.0.0.1:7777/scim/acme/v2";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

impl<'a> Scim<'a> {
    fn on(b: &'a Bench) -> Self {
        b.wb.scim_enable("acme", None, t0() - Duration::hours(2)).unwrap();
        Scim { b, groups: Default::default() }
    }

    fn call(&self, method: Method, path: &str, body: Option<Value>, at: DateTime<Utc>) -> Value {
        let request = ScimRequest {
            method,
            path: path.to_owned(),
            query: Vec::new(),
            body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
            if_match: None,
            client: Some("scim-lifecycle".into()),
            base_url: BASE.into(),
        };
        let r = self.b.wb.scim_request("acme", request, at).unwrap();
        assert!((200..300).contains(&r.status), "{method:?} {path}: {} {:?}", r.status, r.body);
        r.body.unwrap_or(Value::Null)
    }

    /// POST /Users, then the user's groups: an account with source `scim`, its identity with
    /// origin `scim`, the resource.
    fn provision(&self, subject: &str, email: &str, groups: &[&str]) -> Provisioned {
        let at = t0() - Duration::hours(1);
        let created = self.call(
            Method::Post,
            "/Users",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": subject,
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "displayName": "Ada Lovelace",
                "emails": [{"value": email, "type": "work", "primary": true}],
                "active": true,
            })),
            at,
        );
        let resource = created["id"].as_str().unwrap().to_owned();
        let user_id: i64 = crate::sql(self.b.wb.store())
            .query_row("SELECT user_id FROM scim_resources WHERE id = ?1", [&resource], |r| r.get(0))
            .unwrap();
        let p = Provisioned { user_id, resource };
        for g in groups {
            self.add_to_group(&p, g, at);
        }
        p
    }

    fn add_to_group(&self, p: &Provisioned, group: &str, at: DateTime<Utc>) {
        let known = self.groups.borrow().get(group).cloned();
        match known {
            Some(id) => {
                let body = json!({"schemas": [PATCH_OP],
                    "Operations": [{"op": "add", "path": "members", "value": [{"value": p.resource}]}]});
                self.call(Method::Patch, &format!("/Groups/{id}"), Some(body), at);
            }
            None => {
                let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": group, "members": [{"value": p.resource}]});
                let created = self.call(Method::Post, "/Groups", Some(body), at);
                self.groups.borrow_mut().insert(group.to_owned(), created["id"].as_str().unwrap().to_owned());
            }
        }
    }

    /// The user moves to `groups` (PATCH remove from the others, add to these).
    fn move_to(&self, p: &Provisioned, groups: &[&str]) {
        let at = t0() - Duration::minutes(30);
        let known: Vec<(String, String)> = self.groups.borrow().clone().into_iter().collect();
        for (name, id) in known {
            if !groups.contains(&name.as_str()) {
                let path = format!("members[value eq \"{}\"]", p.resource);
                let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": path}]});
                self.call(Method::Patch, &format!("/Groups/{id}"), Some(body), at);
            }
        }
        for g in groups {
            self.add_to_group(p, g, at);
        }
    }

    /// PATCH active=false.
    fn deactivate(&self, p: &Provisioned, at: DateTime<Utc>) {
        let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": false}]});
        self.call(Method::Patch, &format!("/Users/{}", p.resource), Some(body), at);
    }

    /// DELETE /Users/{id}: a tombstone, the account kept deactivated.
    fn delete(&self, p: &Provisioned, at: DateTime<Utc>) {
        self.call(Method::Delete, &format!("/Users/{}", p.resource), None, at);
    }
}

fn login_rows(b: &Bench) -> Vec<AuditEntry> {
    let mut rows = b.wb.audit(&AuditQuery { kind: Some(AuditKind::Login), ..Default::default() }).unwrap();
    rows.sort_by_key(|r| r.id);
    rows
}

fn user_count(b: &Bench) -> usize {
    b.wb.users(&Default::default()).unwrap().len()
}

fn login_view(b: &Bench, user_id: i64) -> Option<Value> {
    crate::sql(b.wb.store())
        .query_row("SELECT profile FROM scim_login_views WHERE user_id = ?1", [user_id], |r| r.get::<_, String>(0))
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap())
}

fn field_sources(b: &Bench, user_id: i64) -> Value {
    let text: String = crate::sql(b.wb.store())
        .query_row("SELECT field_sources FROM users WHERE id = ?1", [user_id], |r| r.get(0))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[track_caller]
fn assert_denied(r: &ProvisionReport, code: &str) {
    assert_eq!(r.outcome, Outcome::Denied, "{:?}", r.message());
    assert_eq!(r.reason(), Some(code), "{:?}", r.message());
}

fn notes(r: &ProvisionReport) -> Vec<String> {
    r.trace.as_ref().map(|t| t.notes.clone()).unwrap_or_default()
}

// ---- pre-provisioning and ownership ----

#[test]
fn a_pre_provisioned_users_first_login_links_and_never_writes_scim_owned_groups() {
    let b = Bench::new();
    policy(&b, LifecyclePolicy::Hybrid, false);
    let scim = Scim::on(&b);
    let p = scim.provision(SUBJECT, "ada@example.com", &["engineering"]);

    let r = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_eq!(r.outcome, Outcome::Linked, "{:?}", r.message());
    let u = r.user.clone().unwrap();
    assert_eq!(u.id, p.user_id);
    assert_eq!(u.groups, ["engineering"], "SCIM owns groups");
    assert_eq!((u.login_count, u.first_login), (1, Some(t0())));
    assert_eq!(user_count(&b), 1, "no second account");
    // The trace says it in words, and as data.
    let trace = r.trace.clone().unwrap();
    assert_eq!(trace.ownership.len(), 1, "{:?}", trace.ownership);
    assert_eq!(trace.ownership[0].field, "groups");
    assert_eq!(trace.ownership[0].login_value, json!(["sales"]));
    assert_eq!(trace.ownership[0].kept_value, json!(["engineering"]));
    assert_eq!(trace.ownership[0].owner, Owner::Scim);
    assert!(
        notes(&r).contains(
            &"groups: owned by SCIM; the login's [sales] was not written (the account keeps [engineering])".to_owned()
        ),
        "{:?}",
        notes(&r)
    );
    // The diff has roles (the login's), never groups.
    let fields: Vec<&str> = r.diff.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["roles"]);
    let rows = login_rows(&b);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].outcome, rows[0].user_id), (Some(Outcome::Linked), Some(p.user_id)));
    assert_eq!(rows[0].diff, r.diff);
    // The login's view is kept for the claims report, in the login's transaction.
    assert_eq!(login_view(&b, p.user_id).unwrap()["groups"], json!(["sales"]));

    // The second login: same claims, nothing to write; still not the groups.
    let again = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_eq!(again.outcome, Outcome::Unchanged);
    assert_eq!(again.user.unwrap().groups, ["engineering"]);
}

#[test]
fn stale_claims_never_roll_back_a_group_move_by_scim() {
    let b = Bench::new();
    policy(&b, LifecyclePolicy::Hybrid, false);
    let scim = Scim::on(&b);
    let p = scim.provision(SUBJECT, "ada@example.com", &["sales"]);
    assert_eq!(login_as(&b, SUBJECT, &ada_in(&["sales"])).outcome, Outcome::Linked);
    scim.move_to(&p, &["engineering"]);
    let r = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_eq!(r.outcome, Outcome::Unchanged, "{:?}", r.diff);
    assert_eq!(b.wb.user(p.user_id).unwrap().groups, ["engineering"]);
    assert_eq!(r.trace.unwrap().ownership[0].login_value, json!(["sales"]));
    // Report 3 names the disagreement.
    let report = b.wb.scim_report("acme").unwrap();
    assert_eq!(report.claims_disagree.len(), 1, "{:?}", report.claims_disagree);
    let d = &report.claims_disagree[0];
    assert_eq!(
        (d.field.as_str(), d.scim.clone(), d.login.clone()),
        ("groups", json!(["engineering"]), json!(["sales"]))
    );
    assert_eq!((d.owner, d.user.user_id, d.user.scim_id.clone()), (Owner::Scim, p.user_id, Some(p.resource.clone())));
}

#[test]
fn under_jit_only_a_login_rolls_back_what_scim_wrote_and_records_itself_as_the_writer() {
    let b = Bench::new();
    let scim = Scim::on(&b);
    let p = scim.provision(SUBJECT, "ada@example.com", &["sales"]);
    scim.move_to(&p, &["engineering"]);
    let r = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    // The first login of a SCIM-provisioned account links, under any policy.
    assert_eq!(r.outcome, Outcome::Linked);
    assert_eq!(r.user.unwrap().groups, ["sales"], "last writer: the login");
    assert!(r.trace.unwrap().ownership.is_empty());
    let sources = field_sources(&b, p.user_id);
    assert_eq!(sources["groups"]["by"], "login");
    assert_eq!(sources["groups"]["at"], json!(t0()));
    assert!(sources.get("roles").is_none(), "roles are the login's, never the last writer's");
    assert!(login_view(&b, p.user_id).is_none(), "no login views under JIT only");
}

#[test]
fn each_owner_decides_who_writes_the_field() {
    let b = Bench::new();
    let owners = BTreeMap::from([("groups".to_owned(), Owner::Login), ("family_name".to_owned(), Owner::LastWriter)]);
    let lifecycle = Lifecycle { policy: LifecyclePolicy::Hybrid, owners, ..Lifecycle::default() };
    b.wb.set_lifecycle("acme", lifecycle, t0()).unwrap();
    let p = Scim::on(&b).provision(SUBJECT, "ada@example.com", &["engineering"]);
    let mut claims = ada_in(&["sales"]);
    claims[1].1 = vec!["Augusta".into()]; // SCIM owns given_name
    claims[2].1 = vec!["King".into()]; // last writer
    let r = login_as(&b, SUBJECT, &claims);
    let u = r.user.clone().unwrap();
    assert_eq!(u.groups, ["sales"], "groups owned by the login");
    assert_eq!(u.family_name.as_deref(), Some("King"), "last writer: this login");
    assert_eq!(u.given_name.as_deref(), Some("Ada"), "SCIM-owned given name kept");
    let kept: Vec<&str> = r.trace.as_ref().unwrap().ownership.iter().map(|o| o.field.as_str()).collect();
    assert_eq!(kept, ["given_name", "display_name"]);
    assert!(
        notes(&r)
            .iter()
            .any(|n| n
                == "given_name: owned by SCIM; the login's \"Augusta\" was not written (the account keeps \"Ada\")"),
        "{:?}",
        notes(&r)
    );
    let sources = field_sources(&b, p.user_id);
    assert_eq!(sources["family_name"]["by"], "login");
    assert!(sources.get("groups").is_none(), "a login-owned field is not the last writer's");
    let fields: Vec<&str> = r.diff.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["family_name", "groups", "roles"]);
}

#[test]
fn a_jit_account_without_a_scim_resource_is_written_by_its_logins_under_hybrid() {
    let b = Bench::new();
    policy(&b, LifecyclePolicy::Hybrid, false);
    let first = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_eq!(first.outcome, Outcome::Created);
    let r = login_as(&b, SUBJECT, &ada_in(&["engineering"]));
    assert_eq!(r.outcome, Outcome::Updated);
    assert_eq!(r.user.unwrap().groups, ["engineering"], "nobody else will ever write them");
    assert!(r.trace.unwrap().ownership.is_empty());
    // Report 1: nothing will ever de-provision this account.
    let report = b.wb.scim_report("acme").unwrap();
    assert_eq!(report.jit_unknown_to_scim.len(), 1);
    assert_eq!(report.jit_unknown_to_scim[0].subject.as_deref(), Some(SUBJECT));
}

#[test]
fn a_jit_account_adopted_by_scim_is_then_owned_by_scim() {
    let b = Bench::new();
    policy(&b, LifecyclePolicy::Hybrid, false);
    let jit = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_eq!(jit.outcome, Outcome::Created);
    let user_id = jit.user.unwrap().id;
    assert_eq!(b.wb.scim_report("acme").unwrap().jit_unknown_to_scim.len(), 1);
    // The IdP's SCIM client pushes the same subject: the JIT account is adopted, not doubled.
    let scim = Scim::on(&b);
    let p = scim.provision(SUBJECT, "ada@example.com", &["engineering"]);
    assert_eq!(p.user_id, user_id);
    assert_eq!(user_count(&b), 1);
    assert!(b.wb.scim_report("acme").unwrap().jit_unknown_to_scim.is_empty(), "report 1 shrinks");
    // From now on SCIM owns the groups: the login's are not written.
    let r = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_eq!(r.outcome, Outcome::Unchanged, "{:?}", r.diff);
    assert_eq!(b.wb.user(user_id).unwrap().groups, ["engineering"]);
    assert_eq!(r.trace.unwrap().ownership[0].kept_value, json!(["engineering"]));
}

// ---- de-provisioning ----

#[test]
fn an_account_scim_deactivated_is_denied_scim_deprovisioned() {
    let b = Bench::new();
    policy(&b, LifecyclePolicy::Hybrid, false);
    let scim = Scim::on(&b);
    let p = scim.provision(SUBJECT, "ada@example.com", &["sales"]);
    assert_eq!(login_as(&b, SUBJECT, &ada_in(&["sales"])).outcome, Outcome::Linked);
    let at = t0() - Duration::minutes(5);
    scim.deactivate(&p, at);

    let r = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_denied(&r, "scim_deprovisioned");
    let message = r.message().unwrap();
    assert!(message.contains("SCIM client deactivated account"), "{message}");
    assert!(message.contains(&at.format("%Y-%m-%d %H:%M:%S UTC").to_string()), "{message}");
    assert!(r.diff.is_empty());
    let u = b.wb.user(p.user_id).unwrap();
    assert_eq!((u.status, u.login_count), (handshake::provision::UserStatus::Deactivated, 1));
    let rows = login_rows(&b);
    let last = rows.last().unwrap();
    assert_eq!(last.outcome, Some(Outcome::Denied));
    assert_eq!(last.failed_check.map(|s| s.as_str()), Some("scim_deprovisioned"));
    assert!(last.diff.is_empty());
    // The SCIM row that deactivated the account comes before the denied login, with its diff.
    let scim_rows = b.wb.audit(&AuditQuery { kind: Some(AuditKind::Scim), ..Default::default() }).unwrap();
    let deactivation = scim_rows
        .iter()
        .find(|r| r.diff.iter().any(|c| c.field == "status" && c.before == "active" && c.after == "deactivated"))
        .expect("a SCIM row deactivates the account");
    assert_eq!((deactivation.user_id, deactivation.actor.as_deref()), (Some(p.user_id), Some("scim")));
    assert!(deactivation.id < last.id);
    // An account an admin deactivated stays plain `deactivated`.
    let mut claims = ada_in(&["x"]);
    claims[0].1 = vec!["grace@example.com".into()];
    let other = login_as(&b, "grace@example.com", &claims);
    let grace = other.user.unwrap().id;
    b.wb.set_user_status(grace, handshake::provision::UserStatus::Deactivated, t0()).unwrap();
    assert_denied(&login_as(&b, "grace@example.com", &claims), "deactivated");
}

#[test]
fn a_subject_scim_deleted_is_never_recreated_even_after_the_account_is_deleted() {
    let b = Bench::new();
    policy(&b, LifecyclePolicy::Hybrid, false);
    let scim = Scim::on(&b);
    let p = scim.provision(SUBJECT, "ada@example.com", &["sales"]);
    let at = t0() - Duration::minutes(5);
    scim.delete(&p, at);
    // While the account exists (deactivated): denied, naming the account.
    let r = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_denied(&r, "scim_deprovisioned");
    assert!(r.message().unwrap().contains("deleted this user"), "{:?}", r.message());
    // An admin deletes the account; the identity goes with it, the tombstone stays.
    b.wb.delete_user(p.user_id, t0()).unwrap();
    assert_eq!(user_count(&b), 0);
    let r = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_denied(&r, "scim_deprovisioned");
    assert!(r.message().unwrap().contains("the account has been removed since"), "{:?}", r.message());
    assert!(r.user.is_none());
    assert_eq!(user_count(&b), 0, "JIT did not recreate the account");
    assert!(login_rows(&b).iter().all(|row| row.outcome != Some(Outcome::Created)));
    // Not through an email link either: another subject with Ada's address is a new person,
    // but the deleted subject never signs in.
    let look_alike = login_as(&b, "ADA@example.com", &ada_in(&["sales"]));
    assert_denied(&look_alike, "scim_deprovisioned");
    assert!(
        notes(&look_alike).iter().any(|n| n.contains("only by letter case")),
        "the fold check runs against tombstones: {:?}",
        notes(&look_alike)
    );
    assert_eq!(user_count(&b), 0);
}

#[test]
fn under_jit_only_a_deleted_subject_is_recreated_with_a_note() {
    let b = Bench::new();
    let scim = Scim::on(&b);
    let p = scim.provision(SUBJECT, "ada@example.com", &["sales"]);
    scim.delete(&p, t0() - Duration::minutes(5));
    b.wb.delete_user(p.user_id, t0()).unwrap();
    let r = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_eq!(r.outcome, Outcome::Created, "today's JIT behaviour");
    assert!(notes(&r).iter().any(|n| n.contains("under the JIT-only lifecycle")), "{:?}", notes(&r));
}

// ---- who may create ----

#[test]
fn jit_requires_scim_creates_only_subjects_scim_provisioned() {
    let b = Bench::new();
    policy(&b, LifecyclePolicy::Hybrid, true);
    let r = login_as(&b, "grace@example.com", &ada_in(&["sales"]));
    assert_denied(&r, "not_provisioned");
    assert!(r.message().unwrap().contains("has not provisioned them"), "{:?}", r.message());
    assert_eq!(user_count(&b), 0);
    let p = Scim::on(&b).provision(SUBJECT, "ada@example.com", &["sales"]);
    let ok = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_eq!((ok.outcome, ok.user.unwrap().id), (Outcome::Linked, p.user_id));
    let rows = login_rows(&b);
    assert_eq!(rows.iter().map(|r| r.outcome.unwrap()).collect::<Vec<_>>(), [Outcome::Denied, Outcome::Linked]);
    assert_eq!(rows[0].failed_check.map(|s| s.as_str()), Some("not_provisioned"));
}

#[test]
fn policy_scim_never_lets_a_login_create_an_account() {
    let b = Bench::new();
    policy(&b, LifecyclePolicy::Scim, false);
    let r = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_denied(&r, "not_provisioned");
    assert!(r.message().unwrap().contains("SCIM only"), "{:?}", r.message());
    assert!(r.stopped_by.unwrap().hint.contains("SCIM client push them"));
    assert_eq!(user_count(&b), 0);
    // A SCIM user signs in, and the login writes none of SCIM's fields.
    let p = Scim::on(&b).provision(SUBJECT, "ada@example.com", &["engineering"]);
    let ok = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_eq!(ok.outcome, Outcome::Linked);
    assert_eq!(b.wb.user(p.user_id).unwrap().groups, ["engineering"]);
}

#[test]
fn existing_jit_behaviour_is_unchanged_under_policy_jit() {
    let b = Bench::new();
    let r = b.login(&b.response(SUBJECT, ADA));
    assert_eq!(r.outcome, Outcome::Created);
    let r = b.login(&b.response(SUBJECT, ADA));
    assert_eq!(r.outcome, Outcome::Unchanged);
    assert!(r.trace.unwrap().ownership.is_empty());
}

// ---- the policy itself ----

#[test]
fn set_lifecycle_writes_one_admin_row_with_its_diff_and_refuses_nonsense() {
    let b = Bench::new().with_actor("ada");
    let lifecycle = Lifecycle {
        policy: LifecyclePolicy::Hybrid,
        jit_requires_scim: true,
        match_rule: MatchRule::ExternalId,
        owners: BTreeMap::from([("groups".to_owned(), Owner::Login)]),
    };
    let saved = b.wb.set_lifecycle("acme", lifecycle.clone(), t0()).unwrap();
    assert_eq!(saved, lifecycle);
    assert_eq!(b.wb.mapping("acme").unwrap().provisioning.lifecycle, lifecycle);
    let rows = b.wb.audit(&AuditQuery { action: Some(AdminAction::LifecycleChange), ..Default::default() }).unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!((row.actor.as_deref(), row.connection.as_str()), (Some("ada"), "acme"));
    let change = |f: &str| row.diff.iter().find(|c| c.field == f).unwrap_or_else(|| panic!("{f}: {:?}", row.diff));
    assert_eq!(
        (change("lifecycle.policy").before.clone(), change("lifecycle.policy").after.clone()),
        (json!("jit"), json!("hybrid"))
    );
    assert_eq!(change("lifecycle.owners.groups").after, json!("login"));
    let message = row.message.as_deref().unwrap();
    assert!(message.contains("policy jit → hybrid"), "{message}");
    assert!(message.contains("groups owned by the login"), "{message}");
    // The same lifecycle again: no row.
    b.wb.set_lifecycle("acme", lifecycle.clone(), t0()).unwrap();
    // Status is always SCIM's; unknown fields are named.
    let mut bad = lifecycle.clone();
    bad.owners.insert("status".into(), Owner::Login);
    let e = b.wb.set_lifecycle("acme", bad, t0()).unwrap_err();
    assert!(e.message.contains("status is always owned by SCIM"), "{}", e.message);
    let mut bad = lifecycle;
    bad.owners.insert("emial".into(), Owner::Login);
    assert!(b.wb.set_lifecycle("acme", bad, t0()).unwrap_err().message.contains("emial"));
    let rows = b.wb.audit(&AuditQuery { action: Some(AdminAction::LifecycleChange), ..Default::default() }).unwrap();
    assert_eq!(rows.len(), 1);
}

// ---- the reports ----

#[test]
fn the_three_reports() {
    let b = Bench::new();
    policy(&b, LifecyclePolicy::Hybrid, false);
    let scim = Scim::on(&b);
    // Grace: JIT-created, unknown to SCIM.
    let mut claims = ada_in(&["sales"]);
    claims[0].1 = vec!["grace@example.com".into()];
    let grace = login_as(&b, "grace@example.com", &claims).user.unwrap().id;
    // Ada: provisioned and signed in; Linus: provisioned, never signed in.
    let ada = scim.provision(SUBJECT, "ada@example.com", &["engineering"]);
    let linus = scim.provision("linus@example.com", "linus@example.com", &["kernel"]);
    login_as(&b, SUBJECT, &ada_in(&["engineering", "sales"]));
    let report = b.wb.scim_report("acme").unwrap();
    assert_eq!(report.connection, "acme");
    let ids = |rows: &[handshake::workbench::ReportUser]| rows.iter().map(|r| r.user_id).collect::<Vec<_>>();
    assert_eq!(ids(&report.jit_unknown_to_scim), [grace]);
    assert_eq!(ids(&report.scim_never_signed_in), [linus.user_id]);
    assert_eq!(report.scim_never_signed_in[0].scim_id.as_deref(), Some(linus.resource.as_str()));
    assert_eq!(report.claims_disagree.len(), 1, "{:?}", report.claims_disagree);
    let d = &report.claims_disagree[0];
    assert_eq!(d.user.user_id, ada.user_id);
    assert_eq!((d.field.as_str(), d.login.clone(), d.login_at), ("groups", json!(["engineering", "sales"]), t0()));
    // The report as JSON, the shape the CLI and the app read.
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(v["claims_disagree"][0]["owner"], "scim");
}

#[test]
fn regression_a_login_never_verifies_a_scim_owned_address_it_did_not_send() {
    let b = Bench::new();
    let mut doc = b.wb.mapping("acme").unwrap();
    doc.provisioning.verified_domains = vec!["example.com".into()];
    doc.provisioning.lifecycle.policy = LifecyclePolicy::Hybrid;
    b.wb.set_mapping("acme", &doc, t0()).unwrap();
    // SCIM writes an address in a domain this connection does not verify: unverified.
    let p = Scim::on(&b).provision(SUBJECT, "ada@corp.test", &["sales"]);
    assert!(!b.wb.user(p.user_id).unwrap().email_verified);
    // The login sends another address, in a verified domain.
    let r = login_as(&b, SUBJECT, &ada_in(&["sales"]));
    assert_eq!(r.outcome, Outcome::Linked);
    let u = b.wb.user(p.user_id).unwrap();
    assert_eq!(u.email.as_deref(), Some("ada@corp.test"), "SCIM owns the address");
    assert!(!u.email_verified, "the login asserted another address; SCIM's stays unverified");
    assert_eq!(r.trace.unwrap().ownership[0].field, "email");
}

#[test]
fn the_result_page_says_which_fields_scim_kept() {
    let b = Bench::new();
    policy(&b, LifecyclePolicy::Hybrid, false);
    Scim::on(&b).provision(SUBJECT, "ada@example.com", &["engineering"]);
    let attrs: Vec<(&str, Vec<&str>)> = vec![
        ("email", vec!["ada@example.com"]),
        ("firstName", vec!["Ada"]),
        ("lastName", vec!["Lovelace"]),
        ("groups", vec!["sales"]),
    ];
    let attrs: Vec<(&str, &[&str])> = attrs.iter().map(|(k, v)| (*k, v.as_slice())).collect();
    let t = b.wb.complete_login("acme", &b.response(SUBJECT, &attrs), t0()).unwrap();
    let page = handshake::server::page::result(&t);
    assert!(
        page.contains(
            "groups: owned by SCIM; the login&apos;s [sales] was not written (the account keeps [engineering])"
        ),
        "{page}"
    );
}

/// `handshake scim policy` with this catalog, optionally crashing at a fault point.
fn cli(dir: &std::path::Path, args: &[&str], fault: Option<&str>) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_handshake"));
    c.arg("--db")
        .arg(dir.join("catalog.db"))
        .arg("--secret-store")
        .arg(format!("file:{}", dir.join("secrets").display()));
    c.args(args).stdin(std::process::Stdio::null());
    c.env_remove("HANDSHAKE_DB").env_remove("HANDSHAKE_SECRET_STORE").env_remove("HANDSHAKE_FAULT");
    c.env("USER", "ada").env_remove("LOGNAME").env_remove("USERNAME");
    if let Some(point) = fault {
        c.env("HANDSHAKE_FAULT", point);
    }
    c.output().unwrap()
}

#[test]
fn a_crash_before_the_lifecycle_change_row_leaves_neither_the_change_nor_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let metadata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/idp/metadata.xml");
    let out =
        cli(dir.path(), &["connection", "import", "--name", "fx", "--metadata", metadata.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let change = ["scim", "policy", "--connection", "fx", "--policy", "hybrid", "--owner", "groups=login"];
    let crashed = cli(dir.path(), &change, Some("after_admin_change"));
    assert!(!crashed.status.success(), "the crash point was not reached");
    let count = |sql: &str| -> i64 {
        let conn = rusqlite::Connection::open(dir.path().join("catalog.db")).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    let policy = "SELECT count(*) FROM connection_mappings m JOIN connections c ON c.id = m.connection_id \
                  WHERE c.name = 'fx' AND json_extract(m.document, '$.provisioning.lifecycle.policy') = 'hybrid'";
    assert_eq!(count("SELECT count(*) FROM audit_log WHERE action = 'lifecycle_change'"), 0);
    assert_eq!(count(policy), 0);
    let out = cli(dir.path(), &change, None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count("SELECT count(*) FROM audit_log WHERE action = 'lifecycle_change' AND actor = 'ada'"), 1);
    assert_eq!(count(policy), 1);
}

/// The tombstone rule covered a DELETE only: once an admin deleted the account of a user the
/// SCIM client had deactivated (`active: false`, resource kept), the next login made a new,
/// active account, and even `jit_requires_scim` let it through ("SCIM provisioned it").
#[test]
fn regression_a_subject_scim_deactivated_is_not_recreated_after_the_account_is_deleted() {
    for jit_requires_scim in [false, true] {
        let b = Bench::new();
        policy(&b, LifecyclePolicy::Hybrid, jit_requires_scim);
        let scim = Scim::on(&b);
        let p = scim.provision(SUBJECT, "ada@example.com", &["sales"]);
        scim.deactivate(&p, t0() - Duration::minutes(5));
        assert_denied(&login_as(&b, SUBJECT, &ada_in(&["sales"])), "scim_deprovisioned");
        b.wb.delete_user(p.user_id, t0()).unwrap();
        assert_eq!(user_count(&b), 0);
        let r = login_as(&b, SUBJECT, &ada_in(&["sales"]));
        assert_denied(&r, "scim_deprovisioned");
        assert_eq!(user_count(&b), 0, "JIT recreated a user SCIM deactivated (jit_requires_scim {jit_requires_scim})");
        let variant = login_as(&b, "ADA@example.com", &ada_in(&["sales"]));
        assert_denied(&variant, "scim_deprovisioned");
        assert_eq!(user_count(&b), 0);
    }
}
