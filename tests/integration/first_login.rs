//! The first login against a real IdP just works: the default mapping tries each field's
//! usual names in order and the trace says which one matched; a login still denied for a
//! missing attribute carries the one-click fix (map the field from an attribute that arrived).

use handshake::idp::AttributeSpec;
use handshake::idp::response::NAMEID_PERSISTENT;
use handshake::provision::{FieldRule, MappingDocument, MappingFix, Outcome, Source};
use handshake::workbench::ProvisionReport;

use crate::provisioning::Bench;

fn field<'a>(r: &'a ProvisionReport, target: &str) -> &'a handshake::provision::mapping::FieldTrace {
    r.trace.as_ref().unwrap().fields.iter().find(|f| f.target == target).unwrap()
}

fn tried(r: &ProvisionReport, target: &str) -> Vec<(String, bool)> {
    field(r, target).tried.iter().map(|c| (c.candidate.clone(), c.matched)).collect()
}

fn persistent(b: &Bench, attrs: Vec<AttributeSpec>) -> String {
    b.response_with("id-4711", &[], |s| {
        s.attributes = attrs;
        s.name_id_format = NAMEID_PERSISTENT.into();
    })
}

/// A stock SimpleSAMLphp (and Shibboleth's LDAP names) sends `mail`, `givenName`, `sn`: the
/// default mapping used to deny it for a missing `email`.
#[test]
fn regression_default_mapping_provisions_an_idp_that_sends_mail_given_name_sn() {
    let b = Bench::new();
    let attrs = vec![
        AttributeSpec::new("uid", &["ada"]),
        AttributeSpec::new("mail", &["ada@example.com"]),
        AttributeSpec::new("givenName", &["Ada"]),
        AttributeSpec::new("sn", &["Lovelace"]),
        AttributeSpec::new("memberOf", &["Engineering", "Admins"]),
    ];
    let r = b.login(&persistent(&b, attrs));
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.message());
    let u = r.user.as_ref().unwrap();
    assert_eq!(u.email.as_deref(), Some("ada@example.com"));
    assert_eq!((u.given_name.as_deref(), u.family_name.as_deref()), (Some("Ada"), Some("Lovelace")));
    assert_eq!(u.display_name.as_deref(), Some("Ada Lovelace"), "from the names when no display name arrived");
    assert_eq!(u.groups, ["Engineering", "Admins"]);
    assert_eq!(tried(&r, "email"), [("email".into(), false), ("mail".into(), true)]);
    assert!(field(&r, "email").source.starts_with("attribute mail "), "{}", field(&r, "email").source);
    assert_eq!(tried(&r, "family_name").last(), Some(&("sn".into(), true)));
    assert_eq!(r.mapping_fix, None);
}

/// Entra ID sends claim URIs; Shibboleth sends `urn:oid:` names.
#[test]
fn regression_default_mapping_reads_entra_claim_uris_and_oid_names() {
    const WS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";
    let b = Bench::new();
    let entra = vec![
        AttributeSpec::new(&format!("{WS}/emailaddress"), &["grace@example.com"]),
        AttributeSpec::new(&format!("{WS}/givenname"), &["Grace"]),
        AttributeSpec::new(&format!("{WS}/surname"), &["Hopper"]),
        AttributeSpec::new("http://schemas.microsoft.com/identity/claims/displayname", &["Grace B. Hopper"]),
        AttributeSpec::new("http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", &["g-1"]),
    ];
    let r = b.login(&persistent(&b, entra));
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.message());
    let u = r.user.as_ref().unwrap();
    assert_eq!(u.email.as_deref(), Some("grace@example.com"));
    assert_eq!(u.display_name.as_deref(), Some("Grace B. Hopper"));
    assert_eq!(u.groups, ["g-1"]);

    let b = Bench::new();
    let shib = vec![
        AttributeSpec::new("urn:oid:0.9.2342.19200300.100.1.3", &["Alan@Example.com"]),
        AttributeSpec::new("urn:oid:2.5.4.42", &["Alan"]),
        AttributeSpec::new("urn:oid:2.5.4.4", &["Turing"]),
        AttributeSpec::new("urn:oid:2.16.840.1.113730.3.1.241", &["Alan Turing"]),
    ];
    let r = b.login(&persistent(&b, shib));
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.message());
    let u = r.user.as_ref().unwrap();
    assert_eq!(u.email.as_deref(), Some("alan@example.com"), "trimmed and lower-cased as before");
    assert_eq!((u.given_name.as_deref(), u.family_name.as_deref()), (Some("Alan"), Some("Turing")));
    assert_eq!(tried(&r, "email").last(), Some(&("urn:oid:0.9.2342.19200300.100.1.3".into(), true)));
}

/// No address attribute, but an email-format NameID: the address is the NameID. A
/// persistent NameID is never read as an address.
#[test]
fn email_comes_from_an_email_format_nameid_only() {
    let b = Bench::new();
    let r = b.login(&b.response("ada@example.com", &[("firstName", &["Ada"])]));
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.message());
    assert_eq!(r.user.as_ref().unwrap().email.as_deref(), Some("ada@example.com"));
    assert_eq!(tried(&r, "email").last(), Some(&("NameID (email format)".into(), true)));

    let r = b.login(&b.response_with("ada@example.com", &[("firstName", &["Ada"])], |s| {
        s.name_id_format = NAMEID_PERSISTENT.into();
        s.name_id = "bob@example.com".into();
    }));
    assert_eq!(r.outcome, Outcome::Denied);
    assert_eq!(r.reason(), Some("missing_attribute"));
}

/// A login still denied for a missing attribute carries the fix, typed: map email from the
/// attribute that arrived with an address. The hint says so too.
#[test]
fn regression_missing_email_offers_to_map_it_from_the_attribute_that_carries_it() {
    let b = Bench::new();
    let attrs = vec![
        AttributeSpec::new("uid", &["ada"]),
        AttributeSpec::new("contactEmail", &["ada@example.com"]),
        AttributeSpec::new("givenName", &["Ada"]),
    ];
    let r = b.login(&persistent(&b, attrs.clone()));
    assert_eq!(r.reason(), Some("missing_attribute"), "{:?}", r.message());
    let fix = MappingFix { field: "email".into(), attribute: "contactEmail".into(), value: "ada@example.com".into() };
    assert_eq!(r.mapping_fix.as_ref(), Some(&fix));
    let hint = &r.stopped_by.as_ref().unwrap().hint;
    assert!(hint.contains("Map email from the attribute contactEmail"), "{hint}");
    // A dry run of the same claims (what the mapping editor previews) offers the same fix.
    let claims = handshake::provision::Claims {
        name_id: r.name_id.clone(),
        attributes: r.attributes.iter().filter(|a| a.name != "givenName").cloned().collect(),
        notes: Vec::new(),
    };
    let dry = b.wb.dry_run_claims("acme", &claims, crate::validation::generator::judged_at()).unwrap();
    assert_eq!(dry.mapping_fix, Some(fix.clone()));

    // Applied (the row's source becomes that attribute), the same claims provision the user.
    let mut doc = b.wb.mapping("acme").unwrap();
    let row = doc.fields.iter_mut().find(|f| f.target == fix.field).unwrap();
    row.source = Source::attribute(&fix.attribute);
    b.wb.set_mapping("acme", &doc, crate::validation::generator::judged_at()).unwrap();
    let r = b.login(&persistent(&b, attrs));
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.message());
    assert_eq!(r.user.unwrap().email.as_deref(), Some("ada@example.com"));
}

/// Mappings stored before candidate lists existed keep working as they were.
#[test]
fn stored_mappings_with_single_attribute_sources_keep_working() {
    let old = r#"{"subject":{"type":"name_id"},"fields":[
        {"target":"email","source":{"type":"attribute","name":"email","case_insensitive":false,"friendly_name_fallback":true},"transforms":[{"op":"trim"},{"op":"lowercase"}],"required":true},
        {"target":"display_name","source":{"type":"template","template":"{given_name} {family_name}"},"required":false}],
        "roles":{"rules":[],"default_role":"member","when_none_match":"default_role"}}"#;
    let doc: MappingDocument = serde_json::from_str(old).unwrap();
    let b = Bench::new().with_mapping(&doc);
    assert_eq!(b.wb.mapping("acme").unwrap(), doc);
    let r = b.login(&persistent(&b, vec![AttributeSpec::new("mail", &["ada@example.com"])]));
    assert_eq!(r.reason(), Some("missing_attribute"), "the stored mapping reads `email` only");
    assert_eq!(r.mapping_fix.map(|f| f.attribute), Some("mail".into()));
    // And the new source round-trips through the JSON the CLI's `mapping show/set` use.
    let fresh = MappingDocument::default();
    let json = serde_json::to_string(&fresh).unwrap();
    assert!(json.contains(r#""type":"first_of""#), "{json}");
    assert_eq!(serde_json::from_str::<MappingDocument>(&json).unwrap(), fresh);
    assert!(matches!(fresh.fields[0].source, Source::FirstOf { name_id_email: true, .. }));
    let _ = FieldRule::new("x", Source::NameId);
}
