//! A SCIM deactivation racing a login ends in one of the two consistent histories (plan §4.7):
//! the SCIM transaction commits first and the login is denied `scim_deprovisioned`, or the
//! login commits first, signs in, and the account is deactivated after it. Two threads, each
//! with its own workbench on the same catalog file, meet at a barrier; writes serialize on the
//! store's write lock and the login re-reads the account inside its transaction.

use std::sync::{Arc, Barrier};

use chrono::{DateTime, Utc};
use handshake::directory::{AuditEntry, AuditKind, AuditQuery, UserStatus};
use handshake::provision::{LifecyclePolicy, Outcome};
use handshake::scim::{Method, ScimRequest, ScimResponse};
use handshake::workbench::Workbench;
use serde_json::{Value, json};

use crate::provisioning::{Bench, open_workbench};
use crate::validation::generator;

fn t0() -> DateTime<Utc> {
    generator::judged_at()
}

const BASE: &str = "http://127.0.0.1:7777/scim/acme/v2";

fn request(method: Method, path: &str, body: Option<Value>, if_match: Option<String>) -> ScimRequest {
    ScimRequest {
        method,
        path: path.to_owned(),
        query: Vec::new(),
        body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        if_match,
        client: Some("scim-concurrency".into()),
        base_url: BASE.into(),
    }
}

fn call(wb: &Workbench, method: Method, path: &str, body: Option<Value>) -> ScimResponse {
    wb.scim_request("acme", request(method, path, body, None), t0()).unwrap()
}

fn create(wb: &Workbench, user_name: &str) -> String {
    let r = call(
        wb,
        Method::Post,
        "/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": user_name, "type": "work", "primary": true}],
            "active": true,
        })),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body.unwrap()["id"].as_str().unwrap().to_owned()
}

fn deactivate() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}],
    })
}

fn rows(wb: &Workbench, kind: AuditKind, subject: &str) -> Vec<AuditEntry> {
    let mut rows = wb.audit(&AuditQuery { kind: Some(kind), ..Default::default() }).unwrap();
    rows.retain(|r| r.subject.as_deref() == Some(subject));
    rows.sort_by_key(|r| r.id);
    rows
}

#[test]
fn a_scim_deactivation_racing_a_login_ends_in_one_of_two_consistent_histories() {
    let b = Bench::new();
    b.wb.scim_enable("acme", Some(LifecyclePolicy::Hybrid), t0()).unwrap();
    let db = b.dir.path().join("catalog.db");
    let (mut denied, mut signed_in) = (0, 0);
    for round in 0..50 {
        let subject = format!("racer{round}@example.com");
        let resource = create(&b.wb, &subject);
        let user_id =
            b.wb.users(&Default::default())
                .unwrap()
                .into_iter()
                .find(|u| u.email.as_deref() == Some(&subject))
                .unwrap()
                .id;
        let attrs: &[(&str, &[&str])] = &[("email", &[&subject]), ("firstName", &["Ada"]), ("lastName", &["Lovelace"])];
        let response = b.response(&subject, attrs);
        let barrier = Arc::new(Barrier::new(2));
        let scim = {
            let (barrier, db, resource) = (barrier.clone(), db.clone(), resource.clone());
            std::thread::spawn(move || {
                let wb = open_workbench(&db);
                barrier.wait();
                let r = wb
                    .scim_request(
                        "acme",
                        request(Method::Patch, &format!("/Users/{resource}"), Some(deactivate()), None),
                        t0(),
                    )
                    .unwrap();
                assert_eq!(r.status, 200, "{:?}", r.body);
            })
        };
        let login = {
            let (barrier, db) = (barrier.clone(), db.clone());
            std::thread::spawn(move || {
                let wb = open_workbench(&db);
                barrier.wait();
                wb.provision("acme", &response, t0(), None, false).unwrap()
            })
        };
        scim.join().unwrap();
        let report = login.join().unwrap();

        let user = b.wb.user(user_id).unwrap();
        assert_eq!(user.status, UserStatus::Deactivated, "round {round}: SCIM's deactivation stands");
        let scim_rows = rows(&b.wb, AuditKind::Scim, &subject);
        let deactivations: Vec<&AuditEntry> = scim_rows
            .iter()
            .filter(|r| r.diff.iter().any(|c| c.field == "status" && c.after == "deactivated"))
            .collect();
        assert_eq!(deactivations.len(), 1, "round {round}: one SCIM row deactivates: {scim_rows:#?}");
        let login_rows = rows(&b.wb, AuditKind::Login, &subject);
        assert_eq!(login_rows.len(), 1, "round {round}");
        let (scim_row, login_row) = (deactivations[0], &login_rows[0]);
        let view: i64 = crate::sql(b.wb.store())
            .query_row("SELECT count(*) FROM scim_login_views WHERE user_id = ?1", [user_id], |r| r.get(0))
            .unwrap();
        if login_row.id > scim_row.id {
            // SCIM committed first: the login saw the deactivated account.
            assert_eq!(report.outcome, Outcome::Denied, "round {round}: {:?}", report.message());
            assert_eq!(report.reason(), Some("scim_deprovisioned"), "round {round}");
            assert_eq!(login_row.outcome, Some(Outcome::Denied));
            assert_eq!((user.login_count, user.first_login, view), (0, None, 0), "round {round}");
            denied += 1;
        } else {
            // The login committed first: it signed in, then SCIM deactivated the account.
            assert_eq!(report.outcome, Outcome::Linked, "round {round}: {:?}", report.message());
            assert_eq!(login_row.outcome, Some(Outcome::Linked));
            assert_eq!((user.login_count, user.first_login, view), (1, Some(t0()), 1), "round {round}");
            signed_in += 1;
        }
    }
    assert_eq!(denied + signed_in, 50);
    println!("SCIM first: {denied} rounds; login first: {signed_in} rounds");
}

#[test]
fn two_patches_racing_with_if_match_one_wins_the_other_gets_412() {
    let b = Bench::new();
    b.wb.scim_enable("acme", Some(LifecyclePolicy::Hybrid), t0()).unwrap();
    let db = b.dir.path().join("catalog.db");
    for round in 0..10 {
        let subject = format!("patched{round}@example.com");
        let resource = create(&b.wb, &subject);
        let got = call(&b.wb, Method::Get, &format!("/Users/{resource}"), None);
        let etag = got.etag.clone().unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = ["First", "Second"]
            .into_iter()
            .map(|name| {
                let (barrier, db, resource, etag) = (barrier.clone(), db.clone(), resource.clone(), etag.clone());
                std::thread::spawn(move || {
                    let wb = open_workbench(&db);
                    let body = json!({
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "replace", "path": "displayName", "value": name}],
                    });
                    barrier.wait();
                    let req = request(Method::Patch, &format!("/Users/{resource}"), Some(body), Some(etag));
                    (name, wb.scim_request("acme", req, t0()).unwrap().status)
                })
            })
            .collect();
        let mut results: Vec<(&str, u16)> = racers.into_iter().map(|t| t.join().unwrap()).collect();
        results.sort_by_key(|(_, status)| *status);
        assert_eq!(results.iter().map(|(_, s)| *s).collect::<Vec<_>>(), [200, 412], "round {round}");
        let winner = results[0].0;
        let now = call(&b.wb, Method::Get, &format!("/Users/{resource}"), None);
        assert_eq!(now.body.unwrap()["displayName"], winner, "round {round}: the winner's write stands");
    }
}
