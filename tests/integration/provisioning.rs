//! JIT provisioning: every mapping source and transform, role and access rule, policy,
//! and the audit log, each asserting the record, the outcome and the diff.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use handshake::idp::response::{IssueOptions, NAMEID_PERSISTENT, NAMEID_TRANSIENT};
use handshake::idp::sign::to_post_form_value;
use handshake::idp::{AttributeSpec, ResponseSpec, SignatureAlgorithm, SigningKey};
use handshake::login::Stop;
use handshake::provision::rules::{NoMatch, Op, RoleRule};
use handshake::provision::{
    FieldRule, MappingDocument, Outcome, RoleSync, Source, Transform, UpdatePolicy, UserStatus,
};
use handshake::secrets::MemoryStore;
use handshake::store::Store;
use handshake::workbench::{AuditFormat, ProvisionReport, Workbench};
use serde_json::json;

use crate::validation::generator;

fn t0() -> DateTime<Utc> {
    generator::judged_at()
}

pub struct Bench {
    pub wb: Workbench,
    pub dir: tempfile::TempDir,
    pub key: SigningKey,
    counter: std::cell::Cell<u32>,
}

pub fn idp_key() -> SigningKey {
    generator::idp_key()
}

pub fn open_workbench(db: &std::path::Path) -> Workbench {
    Workbench::with_parts(Store::open(db).unwrap(), Arc::new(MemoryStore::default()), "http://127.0.0.1:7777".into())
}

impl Bench {
    /// A catalog with the fixture IdP as connection `acme` (optionally with a mapping).
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let wb = open_workbench(&dir.path().join("catalog.db"));
        wb.import_connection(&generator::fixture_connection("acme"), t0()).unwrap();
        Bench { wb, dir, key: idp_key(), counter: std::cell::Cell::new(0) }
    }

    /// The same bench, its admin actions recorded as `actor`'s.
    pub fn with_actor(self, actor: &str) -> Self {
        Bench { wb: self.wb.with_actor(actor), ..self }
    }

    pub fn with_mapping(self, doc: &MappingDocument) -> Self {
        self.wb.set_mapping("acme", doc, t0()).unwrap();
        self
    }

    /// A signed response for `name_id` with these attributes and a fresh assertion ID.
    pub fn response(&self, name_id: &str, attrs: &[(&str, &[&str])]) -> String {
        self.response_with(name_id, attrs, |_| {})
    }

    pub fn response_with(
        &self,
        name_id: &str,
        attrs: &[(&str, &[&str])],
        edit: impl FnOnce(&mut ResponseSpec),
    ) -> String {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        let mut spec = generator::spec(name_id);
        spec.response_id = format!("_resp{n:06}");
        spec.assertion_id = format!("_assertion{n:06}");
        spec.attributes = attrs.iter().map(|(k, v)| AttributeSpec::new(k, v)).collect();
        edit(&mut spec);
        let xml = spec
            .issue(
                &self.key,
                &IssueOptions {
                    sign_assertion: true,
                    sign_response: false,
                    algorithm: SignatureAlgorithm::RsaSha256,
                    encrypt_to: None,
                },
            )
            .unwrap();
        to_post_form_value(&xml)
    }

    pub fn login(&self, response: &str) -> ProvisionReport {
        self.wb.provision("acme", response, t0(), None, false).unwrap()
    }

    pub fn dry(&self, response: &str) -> ProvisionReport {
        self.wb.provision("acme", response, t0(), None, true).unwrap()
    }
}

pub const ADA: &[(&str, &[&str])] = &[
    ("email", &["Ada@Example.com "]),
    ("firstName", &["Ada"]),
    ("lastName", &["Lovelace"]),
    ("groups", &["Engineering", "Admins"]),
];

/// The audit query for login rows only (the fixture connection's import is an admin row).
fn logins() -> handshake::directory::AuditQuery {
    handshake::directory::AuditQuery { kind: Some(handshake::directory::AuditKind::Login), ..Default::default() }
}

fn changed_fields(r: &ProvisionReport) -> Vec<&str> {
    r.diff.iter().map(|c| c.field.as_str()).collect()
}

#[track_caller]
fn assert_denied(r: &ProvisionReport, reason: &str) {
    assert_eq!(r.outcome, Outcome::Denied, "{:?}", r.message());
    assert_eq!(r.reason(), Some(reason), "{:?}", r.message());
    assert_eq!(r.failed_check.map(handshake::login::Stop::as_str), Some(reason));
    assert!(!r.message().unwrap_or_default().is_empty());
}

// ---- creation, update, diff ----

#[test]
fn first_login_creates_the_user_with_a_full_diff() {
    let b = Bench::new();
    let r = b.login(&b.response("ada@example.com", ADA));
    assert_eq!(r.outcome, Outcome::Created);
    let u = r.user.clone().unwrap();
    assert_eq!(u.email.as_deref(), Some("ada@example.com")); // trim + lowercase in the default mapping
    assert_eq!((u.given_name.as_deref(), u.family_name.as_deref()), (Some("Ada"), Some("Lovelace")));
    assert_eq!(u.display_name.as_deref(), Some("Ada Lovelace")); // template
    assert_eq!(u.groups, vec!["Engineering", "Admins"]);
    assert_eq!(u.roles, vec!["member"]); // default role
    assert_eq!((u.login_count, u.first_login, u.last_login), (1, Some(t0()), Some(t0())));
    assert_eq!(
        changed_fields(&r),
        vec!["email", "given_name", "family_name", "display_name", "groups", "roles", "status"]
    );
    assert!(r.diff.iter().all(|c| c.before.is_null()));
}

#[test]
fn later_login_updates_changed_fields_only() {
    let b = Bench::new();
    b.login(&b.response("ada@example.com", ADA));
    // Married and left the admins: the family name, display name and groups change.
    let married: &[(&str, &[&str])] = &[
        ("email", &["ada@example.com"]),
        ("firstName", &["Ada"]),
        ("lastName", &["King"]),
        ("groups", &["Engineering"]),
    ];
    let r = b.login(&b.response("ada@example.com", married));
    assert_eq!(r.outcome, Outcome::Updated);
    assert_eq!(changed_fields(&r), vec!["family_name", "display_name", "groups"]);
    let change = r.diff.iter().find(|c| c.field == "family_name").unwrap();
    assert_eq!((change.before.clone(), change.after.clone()), (json!("Lovelace"), json!("King")));
    assert_eq!(r.user.unwrap().login_count, 2);
    let r = b.login(&b.response("ada@example.com", married));
    assert_eq!(r.outcome, Outcome::Unchanged);
    assert!(r.diff.is_empty());
    assert_eq!(b.wb.users(&Default::default()).unwrap().len(), 1);
}

#[test]
fn replayed_response_is_rejected_with_its_own_check() {
    let b = Bench::new();
    let resp = b.response("ada@example.com", ADA);
    assert_eq!(b.login(&resp).outcome, Outcome::Created);
    let r = b.login(&resp);
    assert_eq!(r.outcome, Outcome::Rejected);
    assert_eq!(r.failed_check.map(handshake::login::Stop::as_str), Some("replay"));
    assert_eq!(b.wb.user(1).unwrap().login_count, 1);
    let audit = b.wb.audit(&Default::default()).unwrap();
    assert_eq!(audit[0].failed_check.map(Stop::as_str), Some("replay"));
}

#[test]
fn invalid_response_is_rejected_and_audited_with_the_check_id() {
    let b = Bench::new();
    let resp = b.response_with("ada@example.com", ADA, |s| s.audiences = vec!["https://other.example".into()]);
    let r = b.login(&resp);
    assert_eq!((r.outcome, r.failed_check.map(handshake::login::Stop::as_str)), (Outcome::Rejected, Some("audience")));
    assert!(b.wb.users(&Default::default()).unwrap().is_empty());
    let audit = b.wb.audit(&handshake::directory::AuditQuery { connection: Some("acme".into()), ..logins() }).unwrap();
    assert_eq!(
        (
            audit.len(),
            audit[0].outcome.map(|o| o.as_str()).unwrap_or_default(),
            audit[0].failed_check.map(Stop::as_str)
        ),
        (1, "rejected", Some("audience"))
    );
}

// ---- sources and transforms ----

fn doc_with(fields: Vec<FieldRule>) -> MappingDocument {
    MappingDocument { fields, ..MappingDocument::default() }
}

fn field<'a>(r: &'a ProvisionReport, target: &str) -> &'a handshake::provision::mapping::FieldTrace {
    r.trace.as_ref().unwrap().fields.iter().find(|f| f.target == target).unwrap()
}

#[test]
fn sources_nameid_constant_template_and_friendly_name() {
    let doc = doc_with(vec![
        FieldRule::new("email", Source::NameId).required(),
        FieldRule::new("username", Source::Constant { value: "fixed".into() }),
        FieldRule::new("given_name", Source::attribute("givenName")), // only a FriendlyName matches
        FieldRule::new("family_name", Source::attribute("urn:oid:2.5.4.4")),
        FieldRule::new("display_name", Source::Template { template: "{surname}, {given_name} ({name_id})".into() }),
    ]);
    let b = Bench::new().with_mapping(&doc);
    let resp = b.response_with("ada@uni.example", &[], |s| {
        s.attributes = vec![
            AttributeSpec::new("urn:oid:2.5.4.42", &["Ada"]).with_friendly_name("givenName"),
            AttributeSpec::new("urn:oid:2.5.4.4", &["Lovelace"]).with_friendly_name("surname"),
        ]
    });
    let r = b.login(&resp);
    let u = r.user.as_ref().unwrap();
    assert_eq!(u.email.as_deref(), Some("ada@uni.example"));
    assert_eq!(u.username.as_deref(), Some("fixed"));
    assert_eq!(u.given_name.as_deref(), Some("Ada"));
    assert!(field(&r, "given_name").hints[0].contains("FriendlyName"));
    assert_eq!(u.display_name.as_deref(), Some("Lovelace, Ada (ada@uni.example)"));
}

#[test]
fn attribute_names_are_case_sensitive_unless_asked() {
    let strict = doc_with(vec![FieldRule::new("email", Source::attribute("email")).required()]);
    let b = Bench::new().with_mapping(&strict);
    let r = b.login(&b.response("x", &[("EMail", &["ada@example.com"])]));
    assert_denied(&r, "missing_attribute");
    let stopped = r.stopped_by.as_ref().unwrap();
    assert!(stopped.message.contains("EMail") && stopped.hint.contains("another letter case"), "{stopped:?}");
    let relaxed = doc_with(vec![
        FieldRule::new(
            "email",
            Source::Attribute {
                name: "email".into(),
                case_insensitive: true,
                friendly_name_fallback: true,
                name_format: None,
            },
        )
        .required(),
    ]);
    b.wb.set_mapping("acme", &relaxed, t0()).unwrap();
    let r = b.login(&b.response("x", &[("EMail", &["ada@example.com"])]));
    assert_eq!(r.outcome, Outcome::Created);
}

#[test]
fn name_format_mismatch_is_a_near_miss() {
    let doc = doc_with(vec![
        FieldRule::new(
            "email",
            Source::Attribute {
                name: "mail".into(),
                case_insensitive: false,
                friendly_name_fallback: false,
                name_format: Some("urn:oasis:names:tc:SAML:2.0:attrname-format:uri".into()),
            },
        )
        .required(),
    ]);
    let b = Bench::new().with_mapping(&doc);
    let r = b.dry(&b.response_with("x", &[], |s| {
        s.attributes = vec![
            AttributeSpec::new("mail", &["a@example.com"])
                .with_format("urn:oasis:names:tc:SAML:2.0:attrname-format:basic"),
        ]
    }));
    assert_denied(&r, "missing_attribute");
    assert!(field(&r, "email").hints.iter().any(|h| h.contains("NameFormat")), "{:?}", field(&r, "email").hints);
}

#[test]
fn transforms_trim_lowercase_split_regex_first_all() {
    let doc = doc_with(vec![
        FieldRule::new("email", Source::attribute("mail")).with(Transform::Trim).with(Transform::Lowercase).required(),
        FieldRule::new("username", Source::attribute("mail"))
            .with(Transform::Regex { pattern: r"^\s*([^@]+)@".into(), group: 1 })
            .with(Transform::Lowercase),
        FieldRule::new("groups", Source::attribute("memberOf")).with(Transform::Split { delimiter: ";".into() }),
        FieldRule::new("department", Source::attribute("dept")).with(Transform::First),
        FieldRule::new("badges", Source::attribute("badge")).with(Transform::All),
    ]);
    let b = Bench::new().with_mapping(&doc);
    let r = b.login(&b.response(
        "x",
        &[
            ("mail", &["  Ada.Lovelace@Example.COM "]),
            ("memberOf", &["Engineering; Admins ;;Finance"]),
            ("dept", &["R&D", "Ops"]),
            ("badge", &["gold", "silver"]),
        ],
    ));
    let u = r.user.as_ref().unwrap();
    assert_eq!(u.email.as_deref(), Some("ada.lovelace@example.com"));
    assert_eq!(u.username.as_deref(), Some("ada.lovelace"));
    assert_eq!(u.groups, vec!["Engineering", "Admins", "Finance"]);
    assert_eq!(u.custom.get("department").map(String::as_str), Some("R&D"));
    assert_eq!(u.custom.get("badges").map(String::as_str), Some("gold, silver"));
    let steps: Vec<&str> = field(&r, "email").steps.iter().map(|s| s.transform.as_str()).collect();
    assert_eq!(steps, vec!["trim", "lowercase"]);
}

#[test]
fn delimited_groups_without_split_get_a_hint() {
    let b = Bench::new();
    let r = b.login(&b.response("x", &[("email", &["a@example.com"]), ("groups", &["Engineering,Admins"])]));
    assert_eq!(r.user.as_ref().unwrap().groups, vec!["Engineering,Admins"]);
    assert!(field(&r, "groups").hints.iter().any(|h| h.contains("split")));
}

#[test]
fn missing_required_attribute_names_it_and_lists_what_arrived() {
    let b = Bench::new().with_mapping(&doc_with(vec![FieldRule::new("email", Source::attribute("email")).required()]));
    let r = b.login(&b.response("x", &[("mail", &["a@example.com"]), ("firstName", &["Ada"])]));
    assert_denied(&r, "missing_attribute");
    let msg = r.message().unwrap();
    assert!(msg.contains("attribute email") && msg.contains("mail, firstName"), "{msg}");
    assert!(b.wb.users(&Default::default()).unwrap().is_empty());
}

// ---- presets ----

fn preset_login(preset: &str, name_id: &str, attrs: Vec<AttributeSpec>) -> handshake::provision::User {
    let b = Bench::new();
    b.wb.apply_preset("acme", preset, t0()).unwrap();
    let r = b.login(&b.response_with(name_id, &[], |s| {
        s.attributes = attrs;
        s.name_id_format = NAMEID_PERSISTENT.into();
    }));
    assert_eq!(r.outcome, Outcome::Created, "{preset}: {:?}", r.message());
    r.user.unwrap()
}

#[test]
fn presets_map_each_idps_default_claims() {
    let ws = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";
    let ms = "http://schemas.microsoft.com/identity/claims";
    let u = preset_login(
        "entra",
        "pairwise-xyz",
        vec![
            AttributeSpec::new(&format!("{ms}/objectidentifier"), &["0f8e7d6c"]),
            AttributeSpec::new(&format!("{ws}/emailaddress"), &["ada@contoso.example"]),
            AttributeSpec::new(&format!("{ws}/givenname"), &["Ada"]),
            AttributeSpec::new(&format!("{ws}/surname"), &["Lovelace"]),
            AttributeSpec::new(&format!("{ms}/displayname"), &["Ada L."]),
            AttributeSpec::new("http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", &["g1", "g2"]),
        ],
    );
    assert_eq!(
        (u.email.as_deref(), u.display_name.as_deref(), u.groups.len()),
        (Some("ada@contoso.example"), Some("Ada L."), 2)
    );
    assert_eq!(u.identities[0].subject, "0f8e7d6c"); // keyed by objectidentifier, not the NameID
    let u = preset_login(
        "adfs",
        "CORP\\ada",
        vec![
            AttributeSpec::new(&format!("{ws}/emailaddress"), &["ada@corp.example"]),
            AttributeSpec::new(&format!("{ws}/upn"), &["ada@corp.local"]),
            AttributeSpec::new("http://schemas.xmlsoap.org/claims/Group", &["Domain Users"]),
        ],
    );
    assert_eq!((u.username.as_deref(), u.groups.clone()), (Some("ada@corp.local"), vec!["Domain Users".to_owned()]));
    let u = preset_login(
        "okta",
        "ada@acme.example",
        vec![AttributeSpec::new("email", &["ada@acme.example"]), AttributeSpec::new("groups", &["Everyone"])],
    );
    assert_eq!(u.groups, vec!["Everyone"]);
    let u = preset_login("google", "ada@gw.example", vec![AttributeSpec::new("firstName", &["Ada"])]);
    assert_eq!(u.email.as_deref(), Some("ada@gw.example"));
    let u = preset_login(
        "onelogin",
        "ada",
        vec![AttributeSpec::new("User.email", &["ada@ol.example"]), AttributeSpec::new("memberOf", &["Admins;Sales"])],
    );
    assert_eq!(u.groups, vec!["Admins", "Sales"]);
    let u = preset_login(
        "jumpcloud",
        "ada",
        vec![AttributeSpec::new("email", &["ada@jc.example"]), AttributeSpec::new("firstname", &["Ada"])],
    );
    assert_eq!(u.given_name.as_deref(), Some("Ada"));
    let u = preset_login(
        "keycloak",
        "ada",
        vec![
            AttributeSpec::new("urn:oid:1.2.840.113549.1.9.1", &["ada@kc.example"]).with_friendly_name("email"),
            AttributeSpec::new("Role", &["manage-account"]),
        ],
    );
    assert_eq!((u.email.as_deref(), u.groups.clone()), (Some("ada@kc.example"), vec!["manage-account".to_owned()]));
    let u = preset_login(
        "shibboleth",
        "ada",
        vec![
            AttributeSpec::new("urn:oid:0.9.2342.19200300.100.1.3", &["ada@uni.example"]),
            AttributeSpec::new("urn:oid:1.3.6.1.4.1.5923.1.1.1.6", &["ada@uni.example"]),
            AttributeSpec::new("urn:oid:2.5.4.42", &["Ada"]),
        ],
    );
    assert_eq!(u.username.as_deref(), Some("ada@uni.example"));
}

#[test]
fn mapping_show_json_round_trips_through_set() {
    let b = Bench::new();
    b.wb.apply_preset("acme", "entra", t0()).unwrap();
    let shown = serde_json::to_string(&b.wb.mapping("acme").unwrap()).unwrap();
    let parsed: MappingDocument = serde_json::from_str(&shown).unwrap();
    b.wb.set_mapping("acme", &parsed, t0()).unwrap();
    assert_eq!(b.wb.mapping("acme").unwrap(), parsed);
    let bad =
        MappingDocument { fields: vec![FieldRule::new("Bad Name", Source::NameId)], ..MappingDocument::default() };
    assert!(b.wb.set_mapping("acme", &bad, t0()).is_err());
    assert!(b.wb.apply_preset("acme", "nope", t0()).is_err());
}

// ---- roles ----

fn rule(op: Op, value: &str, values: &[&str], grant: &str) -> RoleRule {
    RoleRule {
        source: Source::Field { name: "groups".into() },
        op,
        value: value.into(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        case_insensitive: false,
        grant: grant.into(),
    }
}

fn with_roles(rules: Vec<RoleRule>, default: Option<&str>, none: NoMatch) -> MappingDocument {
    let mut doc = MappingDocument::default();
    doc.roles.rules = rules;
    doc.roles.default_role = default.map(str::to_owned);
    doc.roles.when_none_match = none;
    doc
}

#[test]
fn role_rules_equals_contains_matches_one_of() {
    let doc = with_roles(
        vec![
            rule(Op::Equals, "Admins", &[], "admin"),
            rule(Op::Contains, "Eng", &[], "developer"),
            rule(Op::Matches, "^Fin(ance)?$", &[], "billing"),
            rule(Op::OneOf, "", &["Sales", "Support"], "crm"),
            rule(Op::Equals, "Nobody", &[], "never"),
        ],
        Some("member"),
        NoMatch::DefaultRole,
    );
    let b = Bench::new().with_mapping(&doc);
    let r =
        b.login(&b.response(
            "x",
            &[("email", &["a@example.com"]), ("groups", &["Admins", "Engineering", "Finance", "Support"])],
        ));
    assert_eq!(r.user.as_ref().unwrap().roles, vec!["admin", "developer", "billing", "crm"]);
    let trace = &r.trace.as_ref().unwrap().roles;
    assert_eq!(trace.iter().map(|t| t.matched).collect::<Vec<_>>(), vec![true, true, true, true, false]);
    assert_eq!(trace[2].matched_value.as_deref(), Some("Finance"));
}

#[test]
fn default_role_or_deny_when_nothing_matches() {
    let b = Bench::new().with_mapping(&with_roles(
        vec![rule(Op::Equals, "Admins", &[], "admin")],
        Some("viewer"),
        NoMatch::DefaultRole,
    ));
    let r = b.login(&b.response("x", &[("email", &["a@example.com"]), ("groups", &["Other"])]));
    assert_eq!(r.user.unwrap().roles, vec!["viewer"]);
    let b = Bench::new().with_mapping(&with_roles(vec![rule(Op::Equals, "Admins", &[], "admin")], None, NoMatch::Deny));
    assert_denied(&b.login(&b.response("x", &[("email", &["a@example.com"]), ("groups", &["Other"])])), "no_role");
}

#[test]
fn role_sync_replace_or_add() {
    let mut doc = with_roles(
        vec![rule(Op::Equals, "Admins", &[], "admin"), rule(Op::Equals, "Eng", &[], "developer")],
        None,
        NoMatch::DefaultRole,
    );
    let b = Bench::new().with_mapping(&doc);
    b.login(&b.response("x", &[("email", &["a@example.com"]), ("groups", &["Admins"])]));
    let r = b.login(&b.response("x", &[("email", &["a@example.com"]), ("groups", &["Eng"])]));
    assert_eq!(r.user.unwrap().roles, vec!["developer"]); // replace (default)
    doc.provisioning.role_sync = RoleSync::Add;
    b.wb.set_mapping("acme", &doc, t0()).unwrap();
    let r = b.login(&b.response("x", &[("email", &["a@example.com"]), ("groups", &["Admins"])]));
    assert_eq!(r.user.unwrap().roles, vec!["developer", "admin"]);
}

// ---- access ----

#[test]
fn access_rules_domains_required_groups_deny_list() {
    let mut doc = MappingDocument::default();
    doc.access.allowed_email_domains = vec!["example.com".into()];
    let b = Bench::new().with_mapping(&doc);
    assert_denied(&b.login(&b.response("x", &[("email", &["a@evil.example"])])), "domain_not_allowed");
    assert_eq!(b.login(&b.response("y", &[("email", &["a@EXAMPLE.com"])])).outcome, Outcome::Created);

    let mut doc = MappingDocument::default();
    doc.access.required_groups = vec!["App-Users".into()];
    let b = Bench::new().with_mapping(&doc);
    assert_denied(
        &b.login(&b.response("x", &[("email", &["a@example.com"]), ("groups", &["Other"])])),
        "missing_required_group",
    );
    assert_eq!(
        b.login(&b.response("x", &[("email", &["a@example.com"]), ("groups", &["App-Users"])])).outcome,
        Outcome::Created
    );

    let mut doc = MappingDocument::default();
    doc.access.deny = vec!["mallory@example.com".into()];
    let b = Bench::new().with_mapping(&doc);
    assert_denied(&b.login(&b.response("m", &[("email", &["Mallory@example.com"])])), "denied_by_list");
}

#[test]
fn entra_group_overage_is_reported_not_treated_as_no_groups() {
    let b = Bench::new();
    let r = b.login(&b.response(
        "x",
        &[
            ("email", &["a@example.com"]),
            (
                "http://schemas.microsoft.com/claims/groups.link",
                &["https://graph.windows.net/t/users/u/getMemberObjects"],
            ),
        ],
    ));
    assert_denied(&r, "group_overage");
    assert!(r.message().unwrap().contains("groups.link"));
}

#[test]
fn transient_nameid_cannot_key_users() {
    let b = Bench::new();
    let r = b.login(&b.response_with("_t1", ADA, |s| s.name_id_format = NAMEID_TRANSIENT.into()));
    assert_denied(&r, "transient_subject");
}

// ---- provisioning policy ----

#[test]
fn jit_off_allows_only_existing_accounts() {
    let b = Bench::new();
    b.login(&b.response("ada@example.com", ADA));
    let mut doc = MappingDocument::default();
    doc.provisioning.jit = false;
    b.wb.set_mapping("acme", &doc, t0()).unwrap();
    assert_denied(&b.login(&b.response("bob@example.com", &[("email", &["bob@example.com"])])), "jit_disabled");
    assert_eq!(b.login(&b.response("ada@example.com", ADA)).outcome, Outcome::Unchanged);
}

#[test]
fn update_policy_every_first_never() {
    let renamed: &[(&str, &[&str])] = &[
        ("email", &["ada@example.com"]),
        ("firstName", &["Augusta"]),
        ("lastName", &["Lovelace"]),
        ("groups", &["Engineering", "Admins"]),
    ];
    for (policy, expect) in
        [(UpdatePolicy::EveryLogin, "Augusta"), (UpdatePolicy::FirstLogin, "Ada"), (UpdatePolicy::Never, "Ada")]
    {
        let mut doc = MappingDocument::default();
        doc.provisioning.update = policy;
        let b = Bench::new().with_mapping(&doc);
        assert_eq!(b.login(&b.response("ada@example.com", ADA)).outcome, Outcome::Created);
        let r = b.login(&b.response("ada@example.com", renamed));
        assert_eq!(r.user.as_ref().unwrap().given_name.as_deref(), Some(expect), "{policy:?}");
        assert_eq!(r.outcome, if expect == "Augusta" { Outcome::Updated } else { Outcome::Unchanged }, "{policy:?}");
    }
}

fn manual_user(b: &Bench, email: &str, roles: &[&str]) -> i64 {
    let u = handshake::provision::User {
        id: 0,
        connection: None,
        identities: vec![],
        email: Some(email.into()),
        email_verified: true,
        email_source: Some("admin".into()),
        username: None,
        given_name: Some("Manual".into()),
        family_name: None,
        display_name: None,
        groups: vec![],
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        custom: Default::default(),
        status: UserStatus::Active,
        source: handshake::provision::UserSource::Manual,
        first_login: None,
        last_login: None,
        login_count: 0,
        created_at: t0(),
        updated_at: t0(),
    };
    let tx = b.wb.store().write().unwrap();
    let id = handshake::store::users::insert_user(&tx, &u, None).unwrap();
    tx.commit().unwrap();
    id
}

#[test]
fn linking_by_email_is_off_by_default() {
    let b = Bench::new();
    manual_user(&b, "ada@example.com", &["member"]);
    let r = b.login(&b.response("ada@example.com", ADA));
    assert_denied(&r, "email_in_use");
    assert!(r.message().unwrap().contains("created manually"));
}

#[test]
fn linking_only_for_verified_domains_and_never_admins() {
    let mut doc = MappingDocument::default();
    doc.provisioning.link_by_email = true;
    doc.provisioning.verified_domains = vec!["example.com".into()];
    let b = Bench::new().with_mapping(&doc);
    let id = manual_user(&b, "ada@example.com", &["member"]);
    let r = b.login(&b.response("ada-sub", ADA));
    assert_eq!(r.outcome, Outcome::Linked);
    let u = r.user.unwrap();
    assert_eq!((u.id, u.given_name.as_deref(), u.identities[0].linked), (id, Some("Ada"), true));
    assert!(r.diff.iter().any(|c| c.field == "given_name" && c.before == json!("Manual")));
    // Next login: the identity is known now.
    assert_eq!(b.login(&b.response("ada-sub", ADA)).outcome, Outcome::Unchanged);

    manual_user(&b, "root@example.com", &["admin"]);
    assert_denied(&b.login(&b.response("root-sub", &[("email", &["root@example.com"])])), "link_admin_refused");
    manual_user(&b, "eve@other.example", &[]);
    assert_denied(&b.login(&b.response("eve-sub", &[("email", &["eve@other.example"])])), "link_domain_unverified");
}

#[test]
fn deactivated_users_are_denied_and_can_be_reactivated() {
    let b = Bench::new();
    let id = b.login(&b.response("ada@example.com", ADA)).user.unwrap().id;
    b.wb.set_user_status(id, UserStatus::Deactivated, t0()).unwrap();
    let r = b.login(&b.response("ada@example.com", ADA));
    assert_denied(&r, "deactivated");
    assert_eq!(r.user.unwrap().status, UserStatus::Deactivated);
    b.wb.set_user_status(id, UserStatus::Active, t0()).unwrap();
    assert_eq!(b.login(&b.response("ada@example.com", ADA)).outcome, Outcome::Unchanged);
    b.wb.delete_user(id, t0()).unwrap();
    assert!(b.wb.user(id).is_err());
}

// ---- dry run ----

fn row_counts(b: &Bench) -> Vec<i64> {
    ["users", "user_identities", "consumed_ids", "audit_log WHERE kind = 'login'"]
        .iter()
        .map(|t| crate::sql(b.wb.store()).query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0)).unwrap())
        .collect()
}

#[test]
fn dry_run_predicts_and_writes_nothing() {
    let b = Bench::new();
    let before = row_counts(&b);
    let resp = b.response("ada@example.com", ADA);
    let dry = b.dry(&resp);
    assert_eq!((dry.outcome, dry.dry_run), (Outcome::Created, true));
    assert_eq!(dry.user.as_ref().unwrap().email.as_deref(), Some("ada@example.com"));
    assert_eq!(row_counts(&b), before);
    let real = b.login(&resp); // the same response still works: the dry run consumed nothing
    assert_eq!(real.outcome, Outcome::Created);
    assert_eq!(dry.diff, real.diff);
    // A dry run of a replay says so, still writing nothing.
    let after = row_counts(&b);
    assert_eq!(b.dry(&resp).failed_check.map(handshake::login::Stop::as_str), Some("replay"));
    assert_eq!(row_counts(&b), after);
}

#[test]
fn dry_run_of_a_plain_attribute_set() {
    let b = Bench::new();
    let claims = handshake::provision::Claims {
        name_id: Some(handshake::validate::NameId {
            value: "ada".into(),
            format: None,
            name_qualifier: None,
            sp_name_qualifier: None,
        }),
        attributes: vec![handshake::validate::Attribute {
            name: "email".into(),
            name_format: None,
            friendly_name: None,
            values: vec!["ada@example.com".into()],
        }],
        notes: Vec::new(),
    };
    let r = b.wb.dry_run_claims("acme", &claims, t0()).unwrap();
    assert_eq!(r.outcome, Outcome::Created);
    assert!(b.wb.users(&Default::default()).unwrap().is_empty());
}

// ---- audit log ----

#[test]
fn audit_log_records_every_attempt_and_exports() {
    let b = Bench::new();
    b.login(&b.response("ada@example.com", ADA));
    b.login(&b.response("ada@example.com", &[("email", &["ada@example.com"]), ("firstName", &["=HYPERLINK(\"x\")"])]));
    b.login(&b.response("=HYPERLINK(1)", &[("contact", &["nope"])]));
    let entries =
        b.wb.audit(&handshake::directory::AuditQuery { connection: Some("acme".into()), ..logins() }).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.outcome.map(|o| o.as_str()).unwrap_or_default()).collect::<Vec<_>>(),
        vec!["denied", "updated", "created"]
    );
    assert_eq!(entries[0].failed_check.map(Stop::as_str), Some("missing_attribute"));
    assert!(entries[1].diff.iter().any(|c| c.field == "given_name"));
    let jsonl = b.wb.export_audit(&logins(), AuditFormat::JsonLines).unwrap().0;
    let lines: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["outcome"], "denied");
    let csv = b.wb.export_audit(&logins(), AuditFormat::Csv).unwrap().0;
    assert!(csv.starts_with(
        "\"id\",\"at\",\"connection\",\"subject\",\"outcome\",\"failed_check\",\"message\",\"user_id\",\"diff\","
    ));
    assert_eq!(csv.lines().count(), 4);
    // An IdP-controlled cell that would start a spreadsheet formula is neutralised.
    assert!(csv.contains(",\"'=HYPERLINK(1)\",\"denied\","), "{csv}");
    let later = b
        .wb
        .audit(&handshake::directory::AuditQuery { since: Some(t0() + Duration::seconds(1)), ..Default::default() })
        .unwrap();
    assert!(later.is_empty());
}

#[test]
fn audit_log_is_append_only() {
    let b = Bench::new();
    b.login(&b.response("ada@example.com", ADA));
    let conn = crate::sql(b.wb.store());
    assert!(conn.execute("UPDATE audit_log SET outcome = 'denied'", []).is_err());
    assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    assert_eq!(b.wb.audit(&logins()).unwrap().len(), 1);
}

// ---- concurrency and crashes ----

#[test]
fn concurrent_first_logins_of_one_person_create_one_user() {
    let b = Bench::new();
    let db = b.dir.path().join("catalog.db");
    let responses: Vec<String> = (0..8).map(|_| b.response("ada@example.com", ADA)).collect();
    let barrier = Arc::new(std::sync::Barrier::new(responses.len()));
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = responses
            .iter()
            .map(|resp| {
                let (db, barrier) = (db.clone(), barrier.clone());
                s.spawn(move || {
                    let wb = open_workbench(&db);
                    barrier.wait();
                    wb.provision("acme", resp, t0(), None, false).unwrap().outcome
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(outcomes.iter().filter(|o| **o == Outcome::Created).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| o.signed_in()), "{outcomes:?}");
    let users = b.wb.users(&Default::default()).unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].login_count, 8);
    assert_eq!(b.wb.audit(&logins()).unwrap().len(), 8);
}

/// A process that dies between writing the user and writing the audit row leaves neither.
#[cfg(feature = "fault-injection")]
#[test]
fn crash_between_user_write_and_commit_leaves_nothing_half_written() {
    let b = Bench::new();
    let resp_path = b.dir.path().join("resp.b64");
    std::fs::write(&resp_path, b.response("ada@example.com", ADA)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_handshake"))
        .args(["--db", b.dir.path().join("catalog.db").to_str().unwrap(), "--secret-store", "memory"])
        .args([
            "provision",
            "--connection",
            "acme",
            "--response",
            resp_path.to_str().unwrap(),
            "--at",
            "2026-01-15T10:01:00Z",
        ])
        .env("HANDSHAKE_FAULT", "after_user_write")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the child should have crashed");
    let fresh = open_workbench(&b.dir.path().join("catalog.db"));
    assert!(fresh.users(&Default::default()).unwrap().is_empty());
    assert!(fresh.audit(&logins()).unwrap().is_empty());
    // The assertion was not consumed either: the same response provisions now.
    let resp = std::fs::read_to_string(&resp_path).unwrap();
    assert_eq!(fresh.provision("acme", &resp, t0(), None, false).unwrap().outcome, Outcome::Created);
}
