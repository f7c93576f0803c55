//! Namespace declarations an attacker can add or change (on the unsigned Response, on an
//! EncryptedAssertion wrapper, or on a signed Response where exclusive C14N leaves unused
//! declarations out of the digest) never change how signed or decrypted content is read.

use base64::Engine as _;
use handshake::idp::encrypt::{EncryptOptions, encrypt_assertion};
use handshake::idp::sign::{sign_first_template, signature_template};
use handshake::idp::{AttributeSpec, SignatureAlgorithm};
use handshake::validate::{CheckId, Report};

use crate::validation::{Judge, fixtures_dir, generator, response};

const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

fn xml_of(fixture: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    String::from_utf8(b64.decode(response(fixture).trim()).unwrap()).unwrap()
}

fn judge(xml: &str) -> Report {
    Judge::new().validate(&base64::engine::general_purpose::STANDARD.encode(xml.as_bytes()), None)
}

/// Replaces exactly one occurrence, so an edit that stops matching fails loudly.
fn replace_once(xml: &str, from: &str, to: &str) -> String {
    assert_eq!(xml.matches(from).count(), 1, "{from}");
    xml.replacen(from, to, 1)
}

#[track_caller]
fn assert_reads_the_same(original: &Report, changed: &Report) {
    assert!(original.accepted() && changed.accepted(), "{:?}", changed.error);
    assert_eq!(original.name_id, changed.name_id);
    assert_eq!(original.attributes, changed.attributes);
    assert_eq!(original.assertion_xml, changed.assertion_xml);
}

#[track_caller]
fn assert_unbound_prefix(r: &Report, prefix: &str) {
    let e = r.error.as_ref().expect("refused");
    assert_eq!((e.check, e.violation), (CheckId::Decrypt, "decrypted_unbound_prefix"), "{}", e.message);
    assert!(e.message.contains(&format!("\"{prefix}\"")), "{}", e.message);
    assert!(r.attributes.is_empty() && r.name_id.is_none());
}

#[test]
fn declarations_added_to_the_response_change_nothing_signed() {
    // Response and Assertion signed (Okta shape): the Response signature still verifies
    // (exclusive C14N leaves unused declarations out) and the Assertion reads the same.
    let xml = xml_of("okta_valid");
    let changed =
        replace_once(&xml, "<saml2p:Response ", r#"<saml2p:Response xmlns="urn:evil" xmlns:saml2="urn:evil" "#);
    assert_reads_the_same(&judge(&xml), &judge(&changed));
    // Assertion signed only, in the default namespace (Entra shape).
    let xml = xml_of("entra_valid");
    let changed = replace_once(&xml, "<samlp:Response ", r#"<samlp:Response xmlns="urn:evil" xmlns:saml="urn:evil" "#);
    assert_reads_the_same(&judge(&xml), &judge(&changed));
}

#[test]
fn a_signed_assertion_that_inherits_its_prefix_cannot_be_rebound() {
    // The Assertion uses saml: declared only on the Response; its digest covers the URI.
    let keys = generator::keys(&fixtures_dir());
    let spec = generator::spec("ada@example.com");
    let template = signature_template(&spec.assertion_id, SignatureAlgorithm::RsaSha256, &keys.idp.certificate);
    let declaration = format!(r#"xmlns:saml="{NS_SAML}""#);
    let assertion = replace_once(&spec.assertion_xml(Some(&template)), &format!(" {declaration}"), "");
    let signed = sign_first_template(&format!("<w {declaration}>{assertion}</w>"), &keys.idp).unwrap();
    let signed = signed.trim().strip_prefix(&format!("<w {declaration}>")).unwrap().strip_suffix("</w>").unwrap();
    let xml =
        replace_once(&spec.response_xml(signed, None), "<samlp:Response ", &format!("<samlp:Response {declaration} "));
    let original = judge(&xml);
    assert!(original.accepted(), "{:?}", original.error);
    // Rebound on the Response: there is no SAML Assertion any more.
    let rebound =
        replace_once(&xml, &format!("<samlp:Response {declaration} "), r#"<samlp:Response xmlns:saml="urn:evil" "#);
    let r = judge(&rebound);
    assert_eq!(r.error.map(|e| (e.check, e.violation)), Some((CheckId::SingleAssertion, "no_assertion")));
    // A default namespace on the Response changes nothing.
    let defaulted = replace_once(&xml, "<samlp:Response ", r#"<samlp:Response xmlns="urn:evil" "#);
    assert_reads_the_same(&original, &judge(&defaulted));
}

#[test]
fn declarations_on_an_encrypted_assertion_wrapper_change_nothing() {
    // The plaintext declares what it uses: nothing from outside is read into it.
    let xml = xml_of("encrypted_gcm_oaep_sha1");
    let changed = replace_once(
        &xml,
        "<saml2:EncryptedAssertion ",
        r#"<saml2:EncryptedAssertion xmlns="urn:evil" xmlns:saml="urn:evil" xmlns:xsi="urn:evil" xmlns:xs="urn:evil" "#,
    );
    assert_reads_the_same(&judge(&xml), &judge(&changed));
}

/// The .NET shape: the encrypted Assertion uses xsi declared on the signed Response, whose
/// exclusive-C14N digest leaves that declaration out. Rebinding it is named, not read.
#[test]
fn regression_rebound_standard_prefix_on_a_signed_response_is_named() {
    let xml = xml_of("regression_encrypted_inherited_namespaces");
    let rebound =
        replace_once(&xml, r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#, r#"xmlns:xsi="urn:evil""#);
    let r = judge(&rebound);
    assert_unbound_prefix(&r, "xsi");
    assert!(r.error.as_ref().unwrap().message.contains("urn:evil"));
    // The Response signature itself still held: only the inherited binding was refused.
    assert_eq!(r.check(CheckId::Decrypt).unwrap().status, handshake::validate::CheckStatus::Fail);
}

/// An unsigned Assertion inside a signed Response, with an extension attribute in the
/// IdP's own namespace `c`, declared on the Response. Rebinding `c` to the SAML namespace
/// (invisible to the Response's exclusive-C14N digest) used to turn it into a SAML
/// Attribute: role "admin".
#[test]
fn regression_outer_declarations_cannot_rebind_a_decrypted_prefix() {
    let keys = generator::keys(&fixtures_dir());
    let mut spec = generator::spec("ada@example.com");
    spec.attributes = vec![AttributeSpec::new("role", &["user"])];
    let assertion = replace_once(
        &spec.assertion_xml(None),
        "</saml:AttributeStatement>",
        r#"<c:Attribute Name="role"><c:AttributeValue>admin</c:AttributeValue></c:Attribute></saml:AttributeStatement>"#,
    );
    let encrypted =
        encrypt_assertion(&assertion, &keys.sp.certificate, EncryptOptions::default(), Some("saml")).unwrap();
    let template = signature_template(&spec.response_id, SignatureAlgorithm::RsaSha256, &keys.idp.certificate);
    let unsigned = replace_once(
        &spec.response_xml(&encrypted, Some(&template)),
        "<samlp:Response ",
        r#"<samlp:Response xmlns:c="urn:example:extension" "#,
    );
    let signed = sign_first_template(&unsigned, &keys.idp).unwrap();
    let rebound = replace_once(&signed, r#"xmlns:c="urn:example:extension""#, &format!(r#"xmlns:c="{NS_SAML}""#));
    let r = judge(&rebound);
    assert_unbound_prefix(&r, "c");
    // As the IdP sent it, `c` is not a well-known prefix either: the rule names it too.
    let r = judge(&signed);
    assert_unbound_prefix(&r, "c");
    assert!(r.error.unwrap().message.contains("urn:example:extension"));
}

/// Prefixes a decrypted assertion inherits are bound once, in one parse.
#[test]
fn regression_decrypted_assertion_takes_no_custom_prefix_from_outside() {
    use crate::hostile::shapes;
    let keys = generator::keys(&fixtures_dir());
    let xml = shapes::encrypted_prefixes(31, 10_000, shapes::EXC_C14N, &keys.idp.certificate, &keys.sp.certificate);
    assert_unbound_prefix(&judge(&xml), "p0");
}
