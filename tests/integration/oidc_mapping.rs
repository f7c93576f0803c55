//! ID-token claims through the real mapping and JIT engine (issue #14): each vendor's claim
//! shape, flattened by `oidc::claims::claims_of`, provisioned into a SQLite catalog by the
//! same `provision::provision` a SAML login uses. No signature here: the judge is tested in
//! oidc_validation.rs; this is what happens once the token is trusted.

use chrono::{DateTime, Duration, Utc};
use handshake::login::Stop;
use handshake::provision::rules::{Op, RoleRule};
use handshake::provision::{self, Claims, Login, MappingDocument, Outcome, ProvisionResult, Source, presets};
use handshake::vendor;
use serde_json::{Value, json};

use crate::provisioning::Bench;
use crate::validation::generator;

fn t0() -> DateTime<Utc> {
    generator::judged_at()
}

fn claims(v: Value) -> Claims {
    let Value::Object(map) = v else { panic!("claims are a JSON object") };
    handshake::oidc::claims::claims_of(&map)
}

/// The preset the issuer is recognised by, with role rules granting `grants` from the roles
/// the OP sent (`idp_roles`) or the groups.
fn preset_for(issuer: &str, expect: &str, grants: &[(&str, &str, &str)]) -> MappingDocument {
    let v = vendor::guess_oidc(issuer);
    assert_eq!(v.id, expect, "{issuer}");
    let mut doc = v.oidc_mapping().unwrap();
    for (field, value, grant) in grants {
        doc.roles.rules.push(RoleRule {
            source: Source::Field { name: (*field).to_owned() },
            op: Op::Equals,
            value: (*value).to_owned(),
            values: Vec::new(),
            case_insensitive: false,
            grant: (*grant).to_owned(),
        });
    }
    doc
}

/// Provisions `claims` at connection `name` with its saved mapping, for real (not a dry run).
fn provision_at(b: &Bench, name: &str, claims: &Claims, at: DateTime<Utc>) -> ProvisionResult {
    let connection = b.wb.store().get_connection(name).unwrap();
    let mapping = b.wb.mapping(name).unwrap();
    let login = Login {
        connection: &connection,
        mapping: &mapping,
        claims,
        replay: Default::default(),
        now: at,
        dry_run: false,
    };
    provision::provision(b.wb.store(), &login).unwrap()
}

fn bench_with(doc: &MappingDocument) -> Bench {
    Bench::new().with_mapping(doc)
}

fn code(r: &ProvisionResult) -> Option<&str> {
    r.stopped_by.as_ref().map(|s| s.code.as_str())
}

fn changed(r: &ProvisionResult) -> Vec<&str> {
    r.diff.iter().map(|c| c.field.as_str()).collect()
}

const ENTRA_ISS: &str = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0";
const ADMINS_GUID: &str = "3f1b0c2e-8d51-4a7c-9b0e-5c2d4f6a7b81";

fn entra(name: &str, roles: &[&str]) -> Value {
    json!({
        "ver": "2.0", "iss": ENTRA_ISS, "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "aud": "6cb04018-a3f5-46a7-b995-940c78f5aef3", "exp": 1768474800, "iat": 1768471200, "nbf": 1768471200,
        "oid": "00000000-0000-0000-66f3-3332eca7ea81", "tid": "9188040d-6c67-4c5b-b112-36a304b66dad",
        "preferred_username": "alice@contoso.com", "name": name,
        "groups": [ADMINS_GUID, "0a9f6b1c-2d3e-4f50-8a61-b7c8d9e0f1a2"], "roles": roles,
        "uti": "x", "rh": "y", "aio": "z"
    })
}

#[test]
fn entra_claims_key_users_by_oid_and_grant_roles_from_app_roles_and_groups() {
    let doc = preset_for(ENTRA_ISS, "entra", &[("idp_roles", "App.Admin", "admin"), ("groups", ADMINS_GUID, "staff")]);
    assert!(!doc.access.require_email_verified, "Entra ID sends no email_verified");
    let b = bench_with(&doc);
    let r = provision_at(&b, "acme", &claims(entra("Alice Smith", &["App.Admin"])), t0());
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.stopped_by);
    let user = r.user.as_ref().unwrap();
    assert_eq!(user.identities[0].subject, "00000000-0000-0000-66f3-3332eca7ea81", "oid, not the pairwise sub");
    assert_eq!(user.email.as_deref(), Some("alice@contoso.com"), "from preferred_username: no email claim");
    assert_eq!(user.username.as_deref(), Some("alice@contoso.com"));
    assert_eq!(user.display_name.as_deref(), Some("Alice Smith"));
    assert_eq!(user.groups.len(), 2);
    assert_eq!(user.roles, ["admin", "staff"]);
    assert_eq!(user.custom.get("idp_roles").map(String::as_str), Some("App.Admin"));
    let trace = &r.trace;
    let email = trace.fields.iter().find(|f| f.target == "email").unwrap();
    assert!(email.source.contains("preferred_username (the first present: candidate 2 of 2)"), "{}", email.source);
    assert!(trace.access.is_empty(), "no email_verified claim, no rule: {:?}", trace.access);

    // The role is withdrawn and the name changes at the IdP: the next login updates, with a diff.
    let r = provision_at(&b, "acme", &claims(entra("Alice Jones", &[])), t0() + Duration::minutes(5));
    assert_eq!(r.outcome, Outcome::Updated, "{:?}", r.stopped_by);
    assert_eq!(changed(&r), ["display_name", "roles", "custom.idp_roles"]);
    assert_eq!(r.user.as_ref().unwrap().roles, ["staff"]);
    assert_eq!(b.wb.users(&Default::default()).unwrap().len(), 1);
    // Same claims again: unchanged.
    let r = provision_at(&b, "acme", &claims(entra("Alice Jones", &[])), t0() + Duration::minutes(6));
    assert_eq!((r.outcome, r.diff.len()), (Outcome::Unchanged, 0));
}

#[test]
fn entra_group_overage_in_an_id_token_is_explained_like_the_saml_one() {
    let b = bench_with(&preset_for(ENTRA_ISS, "entra", &[]));
    let mut token = entra("Alice Smith", &[]);
    let map = token.as_object_mut().unwrap();
    map.remove("groups");
    map.insert("_claim_names".into(), json!({"groups": "src1"}));
    let endpoint = "https://graph.microsoft.com/v1.0/users/00000000-0000-0000-66f3-3332eca7ea81/getMemberObjects";
    map.insert("_claim_sources".into(), json!({"src1": {"endpoint": endpoint}}));
    let r = provision_at(&b, "acme", &claims(token), t0());
    assert_eq!((r.outcome, code(&r)), (Outcome::Denied, Some("group_overage")));
    let stop = r.stopped_by.as_ref().unwrap();
    assert!(stop.message.contains("more groups than fit in the token"), "{}", stop.message);
    assert!(stop.message.contains("_claim_names"), "{}", stop.message);
    assert!(stop.hint.contains("groups assigned to the application"), "{}", stop.hint);
    assert!(
        r.trace.notes.iter().any(|n| n.contains("_claim_names.groups = \"src1\"") && n.contains(endpoint)),
        "{:?}",
        r.trace.notes
    );
    assert!(b.wb.users(&Default::default()).unwrap().is_empty());
}

const OKTA_ISS: &str = "https://acme.okta.com/oauth2/default";

fn okta(groups: &[&str], verified: Value) -> Value {
    json!({
        "sub": "00u1abcdEFGH", "ver": 1, "iss": OKTA_ISS, "aud": "0oa1", "iat": 1768471200, "exp": 1768474800,
        "jti": "ID.x", "amr": ["pwd"], "idp": "00o1", "nonce": "n", "auth_time": 1768471100, "at_hash": "h",
        "name": "Bob Builder", "email": "bob@acme.com", "email_verified": verified,
        "preferred_username": "bob@acme.com", "groups": groups
    })
}

#[test]
fn okta_groups_grant_a_role_and_email_verified_is_in_the_trace() {
    let b = bench_with(&preset_for(OKTA_ISS, "okta", &[("groups", "Admins", "admin")]));
    let r = provision_at(&b, "acme", &claims(okta(&["Everyone", "Admins"], json!(true))), t0());
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.stopped_by);
    let user = r.user.as_ref().unwrap();
    assert_eq!(user.identities[0].subject, "00u1abcdEFGH");
    assert_eq!(user.roles, ["admin"]);
    assert_eq!(user.groups, ["Everyone", "Admins"]);
    assert_eq!(
        r.trace.access.iter().map(|a| (a.rule.as_str(), a.passed, a.detail.as_str())).collect::<Vec<_>>(),
        [("the IdP verified the email (email_verified is true)", true, "email_verified is true")]
    );
    // Out of the Admins group: the role goes, with a diff.
    let r = provision_at(&b, "acme", &claims(okta(&["Everyone"], json!(true))), t0() + Duration::minutes(1));
    assert_eq!(r.outcome, Outcome::Updated);
    assert_eq!(changed(&r), ["groups", "roles"]);
    assert_eq!(r.user.unwrap().roles, ["member"], "the preset's default role");
}

#[test]
fn an_unverified_email_is_denied_when_required_with_a_true_hint() {
    let google = json!({
        "iss": "https://accounts.google.com", "azp": "c", "aud": "c", "sub": "110248495921238986420",
        "hd": "example.com", "email": "carol@example.com", "email_verified": false, "at_hash": "h", "nonce": "n",
        "name": "Carol C", "given_name": "Carol", "family_name": "C", "picture": "https://x/p.png",
        "iat": 1768471200, "exp": 1768474800
    });
    let doc = preset_for("https://accounts.google.com", "google", &[]);
    assert!(doc.access.require_email_verified);
    let b = bench_with(&doc);
    let r = provision_at(&b, "acme", &claims(google.clone()), t0());
    assert_eq!((r.outcome, code(&r)), (Outcome::Denied, Some("email_unverified")));
    let stop = r.stopped_by.as_ref().unwrap();
    assert_eq!(stop.stop, Stop::Denial(handshake::login::DenialCode::EmailUnverified));
    assert!(stop.message.contains("carol@example.com") && stop.message.contains("email_verified is false"));
    assert!(stop.hint.contains("verify the address at the IdP"), "{}", stop.hint);
    assert_eq!(r.trace.access.last().map(|a| a.passed), Some(false));
    assert!(b.wb.users(&Default::default()).unwrap().is_empty());
    // The audit row names the denial.
    let audit = b.wb.audit(&Default::default()).unwrap();
    assert!(audit.iter().any(|e| e.failed_check.map(|s| s.as_str()) == Some("email_unverified")));

    // Verified: created, the Workspace domain kept.
    let mut ok = google;
    ok["email_verified"] = json!(true);
    let r = provision_at(&b, "acme", &claims(ok.clone()), t0());
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.stopped_by);
    let user = r.user.unwrap();
    assert_eq!(user.custom.get("hosted_domain").map(String::as_str), Some("example.com"));
    assert_eq!((user.given_name.as_deref(), user.display_name.as_deref()), (Some("Carol"), Some("Carol C")));

    // No email_verified claim at all, while required: denied (fails closed).
    ok.as_object_mut().unwrap().remove("email_verified");
    ok["sub"] = json!("other");
    ok["email"] = json!("dan@example.com");
    let r = provision_at(&b, "acme", &claims(ok), t0());
    assert_eq!(code(&r), Some("email_unverified"));
    assert!(r.stopped_by.unwrap().message.contains("no email_verified claim arrived"));
}

#[test]
fn keycloak_realm_roles_and_group_paths_map() {
    let iss = "https://sso.acme.test/realms/staff";
    let b =
        bench_with(&preset_for(iss, "keycloak", &[("idp_roles", "admin", "admin"), ("groups", "/editors", "editor")]));
    let token = json!({
        "iss": iss, "sub": "f3a1c1de-55b6-4a3e-9e7e-0c1a9d7b2f10", "typ": "ID", "azp": "handshake", "sid": "s",
        "acr": "1", "email_verified": true, "preferred_username": "dora", "given_name": "Dora", "family_name": "D",
        "email": "dora@acme.test", "realm_access": {"roles": ["admin", "offline_access"]},
        "resource_access": {"handshake": {"roles": ["viewer"]}}, "groups": ["/editors", "/all"]
    });
    let r = provision_at(&b, "acme", &claims(token), t0());
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.stopped_by);
    let user = r.user.unwrap();
    assert_eq!(user.username.as_deref(), Some("dora"));
    assert_eq!(user.display_name.as_deref(), Some("Dora D"), "from the given and family names");
    assert_eq!(user.roles, ["admin", "editor"]);
    assert_eq!(user.custom.get("idp_roles").map(String::as_str), Some("admin, offline_access"));
    let roles = r.trace.fields.iter().find(|f| f.target == "idp_roles").unwrap();
    assert!(roles.source.contains("realm_access.roles"), "{}", roles.source);
}

const AUTH0_ISS: &str = "https://acme.eu.auth0.com/";

fn auth0(roles: &[&str], verified: Value) -> Value {
    json!({
        "iss": AUTH0_ISS, "sub": "auth0|64f1c2", "aud": "c", "iat": 1768471200, "exp": 1768474800, "sid": "s",
        "nonce": "n", "nickname": "erin", "name": "erin@acme.io", "picture": "https://x/p.png",
        "updated_at": "2026-01-15T09:59:00.000Z", "email": "erin@acme.io", "email_verified": verified,
        "https://acme.io/roles": roles, "https://acme.io/groups": ["engineering"]
    })
}

#[test]
fn auth0_namespaced_claims_map_from_any_namespace() {
    let b = bench_with(&preset_for(AUTH0_ISS, "auth0", &[("idp_roles", "admin", "admin")]));
    // Cognito-style string boolean: accepted as true, and noted.
    let r = provision_at(&b, "acme", &claims(auth0(&["admin"], json!("true"))), t0());
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.stopped_by);
    let user = r.user.as_ref().unwrap();
    assert_eq!(user.roles, ["admin"]);
    assert_eq!(user.groups, ["engineering"]);
    let roles = r.trace.fields.iter().find(|f| f.target == "idp_roles").unwrap();
    assert!(roles.source.contains("https://acme.io/roles (for */roles)"), "{}", roles.source);
    assert!(r.trace.notes.iter().any(|n| n.contains("as the string \"true\"")), "{:?}", r.trace.notes);
    // Auth0's preset requires a verified address: a database sign-up not yet verified is denied.
    let mut other = auth0(&[], json!(false));
    other["sub"] = json!("auth0|other");
    other["email"] = json!("frank@acme.io");
    let r = provision_at(&b, "acme", &claims(other), t0());
    assert_eq!(code(&r), Some("email_unverified"));
}

/// An account owns `grace@example.com`, verified (a SAML connection trusted for the domain).
/// An OIDC login with the same address and `email_verified: false` is never linked to it, even
/// though linking is on and the domain is verified at that connection too; the trace says why.
#[test]
fn regression_an_address_the_op_says_is_unverified_is_never_linked() {
    let mut saml = MappingDocument::default();
    saml.provisioning.link_by_email = true;
    saml.provisioning.verified_domains = vec!["example.com".into()];
    let b = bench_with(&saml);
    let owner = b.login(&b.response("grace-saml", &[("email", &["grace@example.com"])])).user.unwrap();
    assert!(owner.email_verified);

    b.wb.import_connection(&generator::fixture_connection("oidc"), t0()).unwrap();
    let mut doc = presets::oidc_preset("generic").unwrap();
    doc.provisioning.link_by_email = true;
    doc.provisioning.verified_domains = vec!["example.com".into()];
    b.wb.set_mapping("oidc", &doc, t0()).unwrap();
    let token =
        |verified: Value| json!({"sub": "grace-oidc", "email": "grace@example.com", "email_verified": verified});

    for said in [json!(false), json!("False"), json!("maybe")] {
        let r = provision_at(&b, "oidc", &claims(token(said.clone())), t0());
        assert_eq!((r.outcome, code(&r)), (Outcome::Denied, Some("email_unverified")), "{said}");
        let step = r.trace.linking.iter().find(|s| s.rule.contains("email_verified")).unwrap();
        assert!(!step.passed, "{said}");
        let stop = r.stopped_by.unwrap();
        assert!(stop.message.contains(&format!("not linked to account {}", owner.id)), "{}", stop.message);
        assert!(stop.hint.contains("link the account by hand"), "{}", stop.hint);
        // Not required by this connection: shown as information, passed.
        assert!(r.trace.access.iter().all(|a| a.passed && a.rule.contains("not required")), "{:?}", r.trace.access);
    }
    assert_eq!(b.wb.user(owner.id).unwrap().identities.len(), 1);
    // Verified by the OP: linked.
    let r = provision_at(&b, "oidc", &claims(token(json!(true))), t0());
    assert_eq!((r.outcome, r.user.as_ref().map(|u| u.id)), (Outcome::Linked, Some(owner.id)), "{:?}", r.stopped_by);
    assert!(r.trace.linking.iter().all(|s| s.passed));
}

/// An address the OP says is unverified never becomes a verified address of a new account,
/// even at a connection that lists the domain as verified.
#[test]
fn regression_a_new_account_from_an_unverified_address_is_not_email_verified() {
    let mut doc = presets::oidc_generic();
    doc.provisioning.verified_domains = vec!["example.com".into()];
    let b = bench_with(&doc);
    let r =
        provision_at(&b, "acme", &claims(json!({"sub": "h", "email": "h@example.com", "email_verified": false})), t0());
    assert_eq!(r.outcome, Outcome::Created);
    assert!(!r.user.unwrap().email_verified);
    let r =
        provision_at(&b, "acme", &claims(json!({"sub": "i", "email": "i@example.com", "email_verified": true})), t0());
    assert!(r.user.unwrap().email_verified);
}

/// The generic OIDC mapping reads every vendor's standard claims, and the SAML default
/// mapping's results are unchanged by the OIDC names (it maps no username).
#[test]
fn the_generic_oidc_mapping_reads_every_vendor_shape() {
    let shapes = [
        entra("Alice Smith", &[]),
        okta(&["Everyone"], json!(true)),
        auth0(&[], json!(true)),
        json!({"sub": "k", "email": "k@acme.test", "given_name": "K", "family_name": "L", "groups": ["/g"]}),
    ];
    let generic = presets::oidc_generic();
    assert!(!generic.access.require_email_verified);
    for (i, shape) in shapes.into_iter().enumerate() {
        let b = bench_with(&generic);
        let r = provision_at(&b, "acme", &claims(shape), t0());
        // Entra sends no email claim: the generic mapping says so (its preset reads the UPN).
        if i == 0 {
            assert_eq!(code(&r), Some("missing_attribute"));
            continue;
        }
        assert_eq!(r.outcome, Outcome::Created, "shape {i}: {:?}", r.stopped_by);
        assert!(r.user.unwrap().email.is_some());
    }
    assert!(MappingDocument::default().fields.iter().all(|f| f.target != "username"));
}
