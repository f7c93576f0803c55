//! Responses built to make judging slow are refused before xmlsec runs, each by the check
//! that names it. Timings are measured in benches/hostile.rs, never asserted here.

use handshake::certs::Certificate;
use handshake::validate::{CheckId, Report};

use crate::validation::{Judge, fixtures_dir, generator};

#[path = "../fixtures/hostile.rs"]
#[allow(dead_code)]
pub mod shapes;

fn idp_cert() -> Certificate {
    generator::keys(&fixtures_dir()).idp.certificate
}

fn judge(xml: &str) -> Report {
    Judge::new().validate(&shapes::form(xml), None)
}

#[track_caller]
fn assert_refused(r: &Report, check: CheckId, violation: &str) {
    let e = r.error.as_ref().expect("refused");
    assert_eq!((e.check, e.violation), (check, violation), "{}", e.message);
    let line = r.check(check).unwrap();
    assert!(
        !line.expected.is_empty() && !line.actual.is_empty() && line.hint.as_deref().is_some_and(|h| !h.is_empty())
    );
    assert!(r.name_id.is_none() && r.attributes.is_empty());
}

#[track_caller]
fn assert_too_complex(r: &Report) {
    assert_refused(r, CheckId::Signature, "signed_content_too_complex");
    let actual = &r.check(CheckId::Signature).unwrap().actual;
    assert!(actual.contains("x the budget"), "{actual}");
}

/// 1,000 declarations on the unsigned Response, 1,000 empty elements in the Assertion:
/// 40 KB that cost xmlsec 2 s per certificate tried with an inclusive-C14N signature.
#[test]
fn regression_inclusive_c14n_namespace_fanout_is_refused() {
    let r = judge(&shapes::inclusive_fanout(1000, 1000, &idp_cert()));
    assert_too_complex(&r);
    assert!(r.check(CheckId::Signature).unwrap().actual.contains("inclusive"));
}

/// The same elements outside the signed Assertion: C14N walks the whole document.
#[test]
fn regression_inclusive_c14n_fanout_outside_the_signed_element_is_refused() {
    assert_too_complex(&judge(&shapes::inclusive_fanout_outside(1000, 1000, &idp_cert())));
}

/// 100 nested elements declaring a prefix each, 10,000 leaves under them.
#[test]
fn regression_nested_namespace_declarations_are_refused() {
    assert_too_complex(&judge(&shapes::inclusive_nested(100, 10_000, &idp_cert())));
}

/// A forged Assertion of 450,000 empty elements at the size limit, exclusive C14N.
#[test]
fn regression_large_forged_assertion_is_refused() {
    assert_too_complex(&judge(&shapes::exclusive_large(1, 0, &idp_cert())));
}

/// The same nested 250 deep: both parsers resolve names by walking up the ancestors.
#[test]
fn regression_deep_forged_assertion_is_refused_before_parsing() {
    let r = judge(&shapes::exclusive_large(250, 0, &idp_cert()));
    assert_refused(&r, CheckId::Parse, "not_xml");
    assert!(r.error.unwrap().message.contains("refused before parsing"));
}

/// libxml2 stops reading at 256 levels (samael parses in recovery mode): xmlsec would check
/// a truncated document, not the one read here.
#[test]
fn regression_nesting_deeper_than_libxml2_reads_is_refused() {
    let r = judge(&shapes::exclusive_sized(300, 0, 2100, &idp_cert()));
    assert_refused(&r, CheckId::Signature, "signed_content_too_complex");
    assert!(
        r.check(CheckId::Signature).unwrap().actual.contains("nested 302 deep"),
        "{:?}",
        r.check(CheckId::Signature)
    );
}

/// Exclusive C14N searches the stack of namespaces its output ancestors used.
#[test]
fn regression_exclusive_c14n_namespace_stack_is_refused_before_parsing() {
    let r = judge(&shapes::exclusive_stack(250, 20, &idp_cert()));
    assert_refused(&r, CheckId::Parse, "not_xml");
}

/// 10,000 sibling elements in a namespace with a 10 KB URI: the canonical form would
/// repeat the declaration on each, 100 MB to write and hash from 100 KB.
#[test]
fn regression_exclusive_c14n_rerendered_namespaces_are_refused() {
    assert_too_complex(&judge(&shapes::exclusive_rerender(10_000, 10_000, &idp_cert())));
}

/// A decrypted assertion at the size limit gets the same bound as a plain one (it used
/// to be parsed once more per namespace prefix it inherits, then verified whatever its size).
#[test]
fn regression_large_encrypted_assertion_is_refused() {
    let sp = generator::keys(&fixtures_dir()).sp.certificate;
    let r = judge(&shapes::encrypted_large(shapes::ENCRYPTED_PLAINTEXT_BUDGET, &idp_cert(), &sp));
    assert_too_complex(&r);
    assert_eq!(r.check(CheckId::Decrypt).unwrap().status, handshake::validate::CheckStatus::Pass);
}

/// Each metadata certificate tried costs a full parse and canonicalization: a forged
/// response without KeyInfo multiplies its cost by the number of certificates.
#[test]
fn regression_metadata_certificates_multiply_the_cost() {
    let keys = generator::keys(&fixtures_dir());
    // 40 distinct RSA certificates (one key, 40 serial numbers), none the signer's.
    let certs: Vec<Certificate> = (0..40u32)
        .map(|serial| {
            let cert = generator::certificate("rollover.idp.example", keys.attacker.private_key(), serial + 1);
            Certificate::from_der(&cert.to_der().unwrap()).unwrap()
        })
        .collect();
    let filler = "<e></e>".repeat(20_000);
    let xml = shapes::forged_assertion_response(shapes::EXC_C14N, "", shapes::DeclaredOn::Response, &filler, &certs[7]);
    let judge = Judge { certs: certs.clone(), ..Judge::new() };
    // KeyInfo names a metadata certificate: only that one is tried, the signature is checked.
    let r = judge.validate(&shapes::form(&xml), None);
    assert_refused(&r, CheckId::Signature, "signature_invalid");
    assert!(r.check(CheckId::Signature).unwrap().actual.contains("names"), "{:?}", r.check(CheckId::Signature));
    // Without KeyInfo, all 40 would be tried: refused before the first.
    let start = xml.find("<ds:KeyInfo>").unwrap();
    let end = xml.find("</ds:KeyInfo>").unwrap() + "</ds:KeyInfo>".len();
    let anonymous = format!("{}{}", &xml[..start], &xml[end..]);
    let r = judge.validate(&shapes::form(&anonymous), None);
    assert_too_complex(&r);
    assert!(r.check(CheckId::Signature).unwrap().actual.contains("40 certificate(s)"));
}

/// The largest real shapes stay well inside the budget.
#[test]
fn large_real_responses_are_accepted() {
    let keys = generator::keys(&fixtures_dir());
    let groups: Vec<String> = (0..5000).map(|i| format!("CN=Group {i:05},OU=Groups,DC=corp,DC=example")).collect();
    let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
    let attributes = vec![
        handshake::idp::AttributeSpec::new("email", &["ada@example.com"]),
        handshake::idp::AttributeSpec::new("groups", &groups),
    ];
    let form = generator::numbered_login(&keys.idp, 1, "ada@example.com", attributes);
    let r = Judge::new().validate(&form, None);
    assert!(r.accepted(), "{:?}", r.error);
    assert_eq!(r.attributes.iter().find(|a| a.name == "groups").unwrap().values.len(), 5000);
}

/// Metadata listing thousands of signing certificates (12.7 MB for 25,000) took seconds to
/// import, and every forged response could make each of them be tried.
#[test]
fn regression_metadata_keeps_a_bounded_number_of_certificates() {
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let key = openssl::pkey::PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
    let xml = generator::metadata_with_certificates(
        (0..40u32).map(|serial| generator::certificate("idp.example", &key, serial + 1).to_der().unwrap()),
    );
    let imported = handshake::metadata::import(&xml, None, generator::judged_at()).unwrap();
    assert_eq!(imported.idp.signing_certificates.len(), 16);
    let warning = imported.warnings.iter().find(|w| w.code == "too_many_certificates").unwrap();
    assert!(warning.message.contains("24 more"), "{}", warning.message);
}
