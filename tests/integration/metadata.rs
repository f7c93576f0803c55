//! Metadata import: every real-world fixture, hostile and edge inputs, and fetch over HTTP.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use handshake::connection::{BINDING_HTTP_POST, BINDING_HTTP_REDIRECT};
use handshake::metadata::{self, FetchLimits, Imported, MetadataError};
use handshake::{Error, ErrorCode};

// ------------------------------------------------------------------------------------
// Helpers

/// The instant SOURCES.md judges dates against.
fn now() -> DateTime<Utc> {
    at("2026-11-23T00:00:00Z")
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/idp-metadata")
}

fn fixture(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn import_fixture(name: &str) -> Imported {
    metadata::import(&fixture(name), None, now()).unwrap_or_else(|e| panic!("{name}: {} ({e})", e.code()))
}

fn codes(imported: &Imported) -> Vec<&'static str> {
    imported.warnings.iter().map(|w| w.code).collect()
}

fn warning<'a>(imported: &'a Imported, code: &str) -> &'a str {
    &imported
        .warnings
        .iter()
        .find(|w| w.code == code)
        .unwrap_or_else(|| panic!("no {code} warning in {:?}", imported.warnings))
        .message
}

/// SSO bindings by short name ("HTTP-POST", "SOAP", ...).
fn sso(imported: &Imported) -> Vec<&str> {
    imported
        .idp
        .sso
        .iter()
        .map(|e| e.binding.strip_prefix("urn:oasis:names:tc:SAML:2.0:bindings:").unwrap_or(&e.binding))
        .collect()
}

fn fingerprints(imported: &Imported) -> Vec<&str> {
    imported.idp.signing_certificates.iter().map(|c| c.sha256_fingerprint.as_str()).collect()
}

fn import_err(xml: &str, entity_id: Option<&str>) -> MetadataError {
    match metadata::import(xml, entity_id, now()) {
        Ok(i) => panic!("expected an error, imported {:?}", i.idp.entity_id),
        Err(e) => e,
    }
}

/// A fresh self-signed EC certificate, base64 DER, valid between the two instants.
fn make_cert(cn: &str, not_before: &str, not_after: &str) -> String {
    use base64::Engine as _;
    use openssl::asn1::Asn1Time;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::x509::{X509Builder, X509NameBuilder};

    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(at(not_before).timestamp()).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::from_unix(at(not_after).timestamp()).unwrap()).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(b.build().to_der().unwrap())
}

/// One certificate valid 2025–2030, shared by the synthetic documents.
fn cert() -> &'static str {
    static CERT: OnceLock<String> = OnceLock::new();
    CERT.get_or_init(|| make_cert("synthetic-idp", "2025-01-01T00:00:00Z", "2030-01-01T00:00:00Z"))
}

const MD_NS: &str = r#"xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#""#;
const SAML2: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

fn key(use_attr: Option<&str>, b64: &str) -> String {
    let use_attr = use_attr.map(|u| format!(r#" use="{u}""#)).unwrap_or_default();
    format!(
        "<md:KeyDescriptor{use_attr}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate>\
         </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
    )
}

fn sso_el(binding: &str, location: &str) -> String {
    format!(r#"<md:SingleSignOnService Binding="{binding}" Location="{location}"/>"#)
}

fn redirect_sso() -> String {
    sso_el(BINDING_HTTP_REDIRECT, "https://idp.example.com/sso")
}

/// An EntityDescriptor with one IDPSSODescriptor (given protocols and content).
fn entity(entity_id: &str, protocols: &str, idp_inner: &str) -> String {
    format!(
        r#"<md:EntityDescriptor {MD_NS} entityID="{entity_id}"><md:IDPSSODescriptor protocolSupportEnumeration="{protocols}">{idp_inner}</md:IDPSSODescriptor></md:EntityDescriptor>"#
    )
}

/// A plain, valid SAML 2.0 IdP.
fn idp(entity_id: &str) -> String {
    entity(entity_id, SAML2, &format!("{}{}", key(Some("signing"), cert()), redirect_sso()))
}

fn aggregate(name: &str, attrs: &str, inner: &str) -> String {
    format!(r#"<md:EntitiesDescriptor {MD_NS} Name="{name}"{attrs}>{inner}</md:EntitiesDescriptor>"#)
}

fn sp(entity_id: &str) -> String {
    format!(
        r#"<md:EntityDescriptor {MD_NS} entityID="{entity_id}"><md:SPSSODescriptor protocolSupportEnumeration="{SAML2}"><md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="https://sp.example.com/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>"#
    )
}

// ------------------------------------------------------------------------------------
// The real-world fixtures, one test each (SOURCES.md describes them)

#[test]
fn fixture_01_okta() {
    let i = import_fixture("01_okta_ssoready.xml");
    assert_eq!(i.idp.entity_id, "http://www.okta.com/exkdoocxa1VmjpXmX697");
    assert_eq!(sso(&i), ["HTTP-POST", "HTTP-Redirect"]);
    assert_eq!(
        i.idp.sso_for(BINDING_HTTP_REDIRECT).unwrap().location,
        "https://trial-1022863.okta.com/app/trial-1022863_oktalocalhostbis_1/exkdoocxa1VmjpXmX697/sso/saml"
    );
    // The line-wrapped certificate parses.
    assert_eq!(
        fingerprints(&i),
        ["21:D5:E6:FF:D3:60:7D:88:BD:8E:EE:5F:97:9F:CB:E9:C3:A3:08:BF:E8:E4:42:A4:41:36:AB:60:B9:21:6B:CF"]
    );
    assert!(!i.idp.want_authn_requests_signed);
    assert_eq!(i.idp.name_id_formats, ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"]);
    assert!(i.idp.slo.is_empty());
    assert_eq!(i.idp.valid_until, None);
    assert_eq!(i.aggregate, None);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
}

#[test]
fn fixture_03_entra_bom_wsfed_roles_expired_cert() {
    let xml = fixture("03_entra_ssoready_signed_bom.xml");
    assert!(xml.starts_with('\u{feff}'), "the fixture starts with a BOM");
    let i = metadata::import(&xml, None, now()).unwrap();
    assert_eq!(i.idp.entity_id, "https://sts.windows.net/a9054a0f-2011-4e31-b3ac-fd8c354146ec/");
    assert_eq!(sso(&i), ["HTTP-Redirect", "HTTP-POST"]);
    assert_eq!(i.idp.slo.len(), 1);
    assert!(!i.idp.want_authn_requests_signed);
    let fp = "20:76:D8:86:41:0A:00:A7:5A:CD:B8:AE:DB:93:D3:87:7B:4F:AD:BD:8E:A9:72:F6:37:30:77:91:7B:2E:50:49";
    // The WS-Fed RoleDescriptors carry the same certificate; only the IdP role's counts.
    assert_eq!(fingerprints(&i), [fp]);
    assert_eq!(codes(&i), ["certificate_expired"]);
    let msg = warning(&i, "certificate_expired");
    assert!(msg.contains(fp) && msg.contains("2026-11-16T20:41:29Z"), "{msg}");

    // A week before expiry it is "expiring", with the date and days left.
    let early = metadata::import(&xml, None, at("2026-11-01T00:00:00Z")).unwrap();
    assert_eq!(codes(&early), ["certificate_expiring"]);
    let msg = warning(&early, "certificate_expiring");
    assert!(msg.contains(fp) && msg.contains("2026-11-16T20:41:29Z") && msg.contains("in 15 days"), "{msg}");
    // Two months before: nothing to say.
    assert!(metadata::import(&xml, None, at("2026-09-01T00:00:00Z")).unwrap().warnings.is_empty());
}

#[test]
fn fixture_05_adfs_with_sp_role_in_same_entity() {
    let i = import_fixture("05_adfs_ucar_federationmetadata.xml");
    assert_eq!(i.idp.entity_id, "https://sts.ucar.edu/adfs/services/trust");
    assert_eq!(sso(&i), ["HTTP-Redirect", "HTTP-POST"]);
    assert_eq!(i.idp.sso[0].location, "https://sts.ucar.edu/adfs/ls/");
    assert_eq!(i.idp.slo.len(), 2);
    // The IdP role has an encryption and a signing key: only the signing one is kept,
    // and nothing from the SPSSODescriptor or the RoleDescriptors.
    assert_eq!(i.idp.signing_certificates.len(), 1);
    assert_eq!(i.idp.signing_certificates[0].subject, "CN=ADFS Signing - sts.ucar.edu");
    assert_eq!(i.idp.name_id_formats.len(), 3);
    assert!(!i.idp.want_authn_requests_signed);
    assert_eq!(codes(&i), ["certificate_expired"]);
    assert!(warning(&i, "certificate_expired").contains("2018-10-01T06:24:30Z"));
    let listed = metadata::list_idps(&fixture("05_adfs_ucar_federationmetadata.xml")).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].saml2);
}

#[test]
fn fixture_07_google_valid_until() {
    let xml = fixture("07_google_ssoready.xml");
    let i = metadata::import(&xml, None, now()).unwrap();
    assert_eq!(i.idp.entity_id, "https://accounts.google.com/o/saml2?idpid=C029op2ga");
    assert_eq!(sso(&i), ["HTTP-Redirect", "HTTP-POST"]);
    assert_eq!(i.idp.signing_certificates.len(), 1);
    assert_eq!(i.idp.valid_until, Some(at("2028-07-19T17:28:34Z")));
    assert!(!i.idp.want_authn_requests_signed);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);

    // The day after validUntil (= the certificate's notAfter): both are reported.
    let later = metadata::import(&xml, None, at("2028-07-20T00:00:00Z")).unwrap();
    assert_eq!(codes(&later), ["certificate_expired", "valid_until_passed"]);
    let msg = warning(&later, "valid_until_passed");
    assert!(msg.contains("2028-07-19T17:28:34Z") && msg.contains("EntityDescriptor"), "{msg}");
}

#[test]
fn fixture_10_onelogin_soap_sso() {
    let i = import_fixture("10_onelogin_python3saml.xml");
    assert_eq!(i.idp.entity_id, "https://app.onelogin.com/saml/metadata/383123");
    assert_eq!(sso(&i), ["HTTP-Redirect", "HTTP-POST", "SOAP"]);
    assert_eq!(i.idp.signing_certificates.len(), 1);
    assert!(!i.idp.want_authn_requests_signed);
    assert_eq!(codes(&i), ["certificate_expired"]);
    let msg = warning(&i, "certificate_expired");
    assert!(msg.contains("2018-06-05T17:16:20Z"), "{msg}");
    assert!(msg.contains("46:E3:68:F4:ED:61:43:2B"), "{msg}");
}

#[test]
fn fixture_12_jumpcloud_placeholder_entity_id() {
    let i = import_fixture("12_jumpcloud_ssoready_placeholder_entityid.xml");
    assert_eq!(i.idp.entity_id, "IdP Entity ID");
    assert_eq!(sso(&i), ["HTTP-POST"]);
    assert_eq!(i.idp.sso[0].location, "https://sso.jumpcloud.com/saml2/ucariontest");
    assert_eq!(i.idp.signing_certificates.len(), 1);
    assert_eq!(i.idp.signing_certificates[0].key, "RSA 4096");
    assert!(!i.idp.want_authn_requests_signed);
    assert_eq!(codes(&i), ["no_redirect_binding", "entity_id_not_uri"]);
    assert!(warning(&i, "entity_id_not_uri").contains("\"IdP Entity ID\""));
}

#[test]
fn fixture_14_keycloak_four_bindings_signed_requests() {
    let i = import_fixture("14_keycloak_ssoready.xml");
    assert_eq!(i.idp.entity_id, "http://localhost:8085/realms/master");
    assert_eq!(sso(&i), ["HTTP-POST", "HTTP-Redirect", "SOAP", "HTTP-Artifact"]);
    assert_eq!(i.idp.slo.len(), 4);
    assert_eq!(i.idp.name_id_formats.len(), 4);
    assert!(i.idp.want_authn_requests_signed);
    assert_eq!(i.idp.signing_certificates.len(), 1);
    assert_eq!(i.idp.signing_certificates[0].subject, "CN=master");
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
}

#[test]
fn fixture_16_shibboleth_two_signing_certs() {
    let i = import_fixture("16_shibboleth_samltest_2certs.xml");
    assert_eq!(i.idp.entity_id, "https://samltest.id/saml/idp");
    // The SAML 1 AuthnRequest endpoint is not a SAML 2.0 SSO endpoint.
    assert_eq!(sso(&i), ["HTTP-POST", "HTTP-POST-SimpleSign", "HTTP-Redirect", "SOAP"]);
    assert_eq!(
        fingerprints(&i),
        [
            "E5:E0:E6:57:8A:27:B5:3A:2C:A0:51:82:FB:0A:D2:3C:97:F3:33:49:74:69:C8:70:8B:3A:CA:61:BE:5F:A7:9E",
            "CA:F2:55:F8:F4:6D:E4:24:97:BE:3C:42:AC:CC:BA:41:51:D9:8F:EB:A3:1E:73:77:AB:5C:24:33:A3:5A:20:65",
        ]
    );
    assert_eq!(i.idp.valid_until, Some(at("2100-01-01T00:00:42Z")));
    assert!(!i.idp.want_authn_requests_signed);
    assert_eq!(i.idp.slo.len(), 3);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    let listed = metadata::list_idps(&fixture("16_shibboleth_samltest_2certs.xml")).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].display_name.as_deref(), Some("SAMLtest IdP"));
    assert_eq!(listed[0].sso_bindings[0], "urn:mace:shibboleth:1.0:profiles:AuthnRequest");
    assert_eq!(listed[0].sso_bindings.len(), 5);
}

#[test]
fn fixture_17_testshib_key_without_use() {
    let i = import_fixture("17_shibboleth_testshib_idp.xml");
    assert_eq!(i.idp.entity_id, "https://idp.testshib.org/idp/shibboleth");
    assert_eq!(sso(&i), ["HTTP-POST", "HTTP-Redirect", "SOAP"]);
    // A KeyDescriptor without `use` serves signing too.
    assert_eq!(i.idp.signing_certificates.len(), 1);
    assert_eq!(
        i.idp.name_id_formats,
        ["urn:mace:shibboleth:1.0:nameIdentifier", "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"]
    );
    assert!(!i.idp.want_authn_requests_signed);
    assert_eq!(codes(&i), ["certificate_expired"]);
    assert!(warning(&i, "certificate_expired").contains("2016-08-27T21:12:25Z"));
}

#[test]
fn fixture_22_aggregate_with_one_idp_and_one_sp() {
    let xml = fixture("22_agg_testshib_providers.xml");
    let i = metadata::import(&xml, None, now()).unwrap();
    assert_eq!(i.idp.entity_id, "https://idp.testshib.org/idp/shibboleth");
    assert_eq!(sso(&i), ["HTTP-POST", "HTTP-Redirect", "SOAP"]);
    assert_eq!(i.idp.signing_certificates.len(), 1);
    assert_eq!(i.idp.signing_certificates[0].not_after, at("2036-08-23T21:20:54Z"));
    assert!(!i.idp.want_authn_requests_signed);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    let agg = i.aggregate.unwrap();
    assert_eq!(agg.name.as_deref(), Some("urn:mace:shibboleth:testshib:two"));
    assert_eq!((agg.idp_count, agg.entity_count), (1, 2));

    // Choosing the SP says what it is.
    let e = import_err(&xml, Some("https://sp.testshib.org/shibboleth-sp"));
    assert_eq!(e.code(), "not_an_idp");
    let msg = e.to_string();
    assert!(msg.contains("\"https://sp.testshib.org/shibboleth-sp\"") && msg.contains("it is an SP"), "{msg}");

    let listed = metadata::list_idps(&xml).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].entity_id, "https://idp.testshib.org/idp/shibboleth");
    assert_eq!(listed[0].display_name.as_deref(), Some("TestShib Test IdP"));
}

#[test]
fn fixture_24_switch_aggregate() {
    let xml = fixture("24_agg_switch_aaitest_signed_sha1.xml");

    // No entityID: 32 SAML 2.0 IdPs to choose from; the message lists 10 and the count.
    let started = Instant::now();
    let e = import_err(&xml, None);
    assert!(started.elapsed() < Duration::from_secs(1), "import took {:?}", started.elapsed());
    assert_eq!(e.code(), "several_idps");
    let msg = e.to_string();
    assert!(msg.contains("\"urn:mace:switch.ch:aaitest\""), "{msg}");
    assert!(msg.contains("32 SAML 2.0 identity providers"), "{msg}");
    assert!(msg.contains("\"https://testidp.unifr.ch/idp/shibboleth\""), "{msg}");
    assert!(msg.contains("and 22 more"), "{msg}");
    assert!(msg.len() < 1500, "{msg}");

    // Listing: 35 IdPs, 3 of them SAML 1 only.
    let started = Instant::now();
    let listed = metadata::list_idps(&xml).unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "list took {:?}", started.elapsed());
    assert_eq!(listed.len(), 35);
    assert_eq!(listed.iter().filter(|s| s.saml2).count(), 32);
    assert_eq!(listed[0].entity_id, "https://testidp.unifr.ch/idp/shibboleth");
    assert_eq!(listed[0].display_name.as_deref(), Some("Université de Fribourg Test Home Organization"));
    let saml1: Vec<&str> = listed.iter().filter(|s| !s.saml2).map(|s| s.entity_id.as_str()).collect();
    assert_eq!(saml1, ["urn:mace:switch.ch:eduport.co.uk2", "urn:mace:switch.ch:eduport.co.uk", "gs4gt.awi.de"]);

    // Choosing the first IdP: validUntil comes from the EntitiesDescriptor.
    let started = Instant::now();
    let i = metadata::import(&xml, Some("https://testidp.unifr.ch/idp/shibboleth"), now()).unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "import took {:?}", started.elapsed());
    assert_eq!(i.idp.entity_id, "https://testidp.unifr.ch/idp/shibboleth");
    assert_eq!(sso(&i), ["HTTP-Redirect", "HTTP-POST", "HTTP-POST-SimpleSign"]);
    assert_eq!(i.idp.signing_certificates.len(), 1);
    assert_eq!(i.idp.valid_until, Some(at("2036-02-10T09:59:21Z")));
    assert_eq!(codes(&i), ["certificate_expired"]);
    let agg = i.aggregate.unwrap();
    assert_eq!(agg.name.as_deref(), Some("urn:mace:switch.ch:aaitest"));
    assert_eq!((agg.idp_count, agg.entity_count), (35, 172));

    // A KeyDescriptor without `use` (SAML 2.0 IdP near the end).
    let i = metadata::import(&xml, Some("https://aai-idp.switch.ch/idp/shibboleth"), now()).unwrap();
    assert_eq!(i.idp.signing_certificates.len(), 1);

    // A signing key given only by KeyName: refused, and the message says so.
    let e = import_err(&xml, Some("https://aai-testidp.unibe.ch/idp/shibboleth"));
    assert_eq!(e.code(), "no_signing_certificate");
    let msg = e.to_string();
    assert!(msg.contains("\"https://aai-testidp.unibe.ch/idp/shibboleth\""), "{msg}");
    assert!(msg.contains("KeyName \"aai-testidp.unibe.ch\""), "{msg}");

    // No KeyDescriptor at all.
    let e = import_err(&xml, Some("https://test-tequila.epfl.ch/SAML2IdP"));
    assert_eq!(e.code(), "no_signing_certificate");
    assert!(e.to_string().contains("no KeyDescriptor at all"), "{e}");

    // A SAML 1-only IdP whose entityID is not a URI.
    let e = import_err(&xml, Some("gs4gt.awi.de"));
    assert_eq!(e.code(), "not_saml2");
    let msg = e.to_string();
    assert!(msg.contains("urn:oasis:names:tc:SAML:1.1:protocol"), "{msg}");
    assert!(msg.contains("urn:mace:shibboleth:1.0:profiles:AuthnRequest"), "{msg}");

    // An entityID that is not there; a trailing-slash variant gets a suggestion.
    let e = import_err(&xml, Some("https://testidp.unifr.ch/idp/shibboleth/"));
    assert_eq!(e.code(), "unknown_entity_id");
    assert!(e.to_string().contains("\"https://testidp.unifr.ch/idp/shibboleth/\""), "{e}");
    assert!(e.to_string().contains("32 SAML 2.0 identity providers"), "{e}");
    assert!(e.hint().contains("did you mean \"https://testidp.unifr.ch/idp/shibboleth\""), "{}", e.hint());
}

#[test]
fn fixture_27_duplicate_signing_certs() {
    let i = import_fixture("27_odd_multi_signing_certs.xml");
    assert_eq!(i.idp.entity_id, "https://idp.examle.com/saml/metadata");
    assert_eq!(sso(&i), ["HTTP-Redirect"]);
    // 3 KeyDescriptors, the third repeats the first: 2 kept, in document order.
    assert_eq!(
        fingerprints(&i),
        [
            "E5:52:D9:2C:3C:DC:3D:09:5C:90:76:82:AB:B6:75:B4:92:92:2C:42:87:7E:18:EB:17:F3:1F:39:FE:9F:7C:6A",
            "47:05:10:32:70:68:42:DC:36:1B:2A:A8:4E:06:87:BE:CB:98:34:1D:0E:13:C4:D7:20:2E:8F:47:5B:4A:15:5D",
        ]
    );
    assert!(!i.idp.want_authn_requests_signed);
    assert_eq!(i.idp.slo.len(), 1);
    assert_eq!(codes(&i), ["duplicate_certificate", "certificate_expired", "certificate_expired"]);
    assert!(warning(&i, "duplicate_certificate").contains("#3"));
    assert!(i.warnings[1].message.contains("2021-08-05T22:29:37Z"));
    assert!(i.warnings[2].message.contains("2018-04-15T16:33:18Z"));
}

#[test]
fn fixture_29_ecdsa_cert() {
    let i = import_fixture("29_odd_ecdsa_samling.xml");
    assert_eq!(i.idp.entity_id, "https://fujifish.github.io/samling/samling.html");
    assert_eq!(sso(&i), ["HTTP-Redirect"]);
    assert_eq!(i.idp.signing_certificates.len(), 1);
    assert_eq!(i.idp.signing_certificates[0].key, "EC prime256v1");
    assert_eq!(i.idp.signing_certificates[0].not_after, at("3023-10-25T17:45:49Z"));
    assert!(!i.idp.want_authn_requests_signed);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
}

/// Every fixture, present and future: it imports, or fails with a precise message; and
/// every IdP an aggregate lists imports or fails naming its entityID.
#[test]
fn every_fixture_imports_or_fails_precisely() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    assert!(files.len() >= 13, "fixtures missing: {files:?}");
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let xml = std::fs::read_to_string(&path).unwrap();
        let check_ok = |i: &Imported| {
            assert!(!i.idp.entity_id.is_empty(), "{name}");
            assert!(!i.idp.sso.is_empty(), "{name}");
            assert!(!i.idp.signing_certificates.is_empty(), "{name}");
            assert!(i.warnings.iter().all(|w| !w.code.is_empty() && w.message.len() > 20), "{name}");
        };
        let check_err = |e: &MetadataError, must_name: Option<&str>| {
            let msg = e.to_string();
            assert!(!e.code().is_empty() && msg.len() > 20 && !e.hint().is_empty(), "{name}: {msg}");
            if let Some(id) = must_name {
                assert!(msg.contains(id), "{name}: the message does not name {id}: {msg}");
            }
            let err: Error = e.clone().into();
            assert_eq!(err.code, ErrorCode::InvalidMetadata);
            assert_eq!((err.message, err.detail.as_deref()), (msg, Some(e.code())));
            assert_eq!(err.hint, Some(e.hint()));
        };
        match metadata::import(&xml, None, now()) {
            Ok(i) => check_ok(&i),
            Err(e) => check_err(&e, None),
        }
        let listed = metadata::list_idps(&xml).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!listed.is_empty(), "{name} lists no IdP");
        for summary in listed {
            match metadata::import(&xml, Some(&summary.entity_id), now()) {
                Ok(i) => {
                    check_ok(&i);
                    assert_eq!(i.idp.entity_id, summary.entity_id, "{name}");
                    assert!(summary.saml2, "{name}: {} imported without SAML 2.0", summary.entity_id);
                }
                Err(e) => check_err(&e, Some(&summary.entity_id)),
            }
        }
    }
}

// ------------------------------------------------------------------------------------
// Hostile and edge inputs

#[test]
fn empty_input() {
    for input in ["", "   \n\t", "\u{feff}", "\u{feff}  \n"] {
        let e = import_err(input, None);
        assert_eq!(e.code(), "empty", "{input:?}");
        assert_eq!(metadata::list_idps(input).unwrap_err().code(), "empty");
    }
}

#[test]
fn garbage_is_malformed_with_position() {
    let e = import_err("garbage", None);
    assert_eq!(e.code(), "malformed_xml");
    assert!(e.to_string().contains("1:1"), "{e}");

    let truncated = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">
  <md:IDPSSODescriptor"#;
    let e = import_err(truncated, None);
    assert_eq!(e.code(), "malformed_xml");
    assert!(e.to_string().contains("ends at 2:23; is it truncated?"), "the message names the position: {e}");

    let e = import_err("<md:EntityDescriptor entityID='x'/>", None);
    assert_eq!(e.code(), "malformed_xml", "an unbound prefix");
    assert!(e.to_string().contains("md"), "{e}");
}

#[test]
fn doctype_with_entity_is_refused() {
    let xml = format!(
        r#"<?xml version="1.0"?><!DOCTYPE md:EntityDescriptor [<!ENTITY x SYSTEM "file:///etc/passwd">]>{}"#,
        idp("&x;")
    );
    let e = import_err(&xml, None);
    assert_eq!(e.code(), "doctype");
    assert!(e.to_string().contains("DOCTYPE"), "{e}");
    let lol = r#"<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;</r>"#;
    assert_eq!(import_err(lol, None).code(), "doctype");
}

#[test]
fn deeply_nested_elements_do_not_overflow() {
    let n = 100_000;
    let xml = format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
    let started = Instant::now();
    let e = import_err(&xml, None);
    assert_eq!(e.code(), "not_metadata");
    assert!(e.to_string().contains("<a> in no namespace"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    // The same depth of metadata elements around an IdP inside nested aggregates.
    let n = 50_000;
    let open = format!(r#"<md:EntitiesDescriptor {MD_NS} Name="outer" validUntil="2030-01-01T00:00:00Z">"#)
        + &r#"<md:EntitiesDescriptor>"#.repeat(n - 1);
    let xml = format!("{open}{}{}", idp("https://deep.example.com/idp"), "</md:EntitiesDescriptor>".repeat(n));
    let started = Instant::now();
    let i = metadata::import(&xml, None, now()).unwrap();
    assert_eq!(i.idp.entity_id, "https://deep.example.com/idp");
    assert_eq!(i.idp.valid_until, Some(at("2030-01-01T00:00:00Z")));
    let agg = i.aggregate.unwrap();
    assert_eq!((agg.name.as_deref(), agg.idp_count, agg.entity_count), (Some("outer"), 1, 1));
    assert_eq!(metadata::list_idps(&xml).unwrap().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn nested_namespace_declarations_are_refused_fast() {
    // Each element declares a new prefix: the parser's work would grow with the cube of
    // the depth (5,000 levels took minutes before the guard).
    let n = 20_000;
    let mut xml = String::new();
    for i in 0..n {
        xml.push_str(&format!(r#"<a xmlns:p{i}="urn:x:{i}">"#));
    }
    xml.push_str(&"</a>".repeat(n));
    let started = Instant::now();
    let e = import_err(&xml, None);
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(e.code(), "too_complex");
    assert!(e.to_string().contains("namespace declarations in scope"), "{e}");
    assert_eq!(metadata::list_idps(&xml).unwrap_err().code(), "too_complex");

    // Sibling redeclarations (as AD FS writes its claim types) stay cheap and accepted.
    let claims = r#"<x:c xmlns:x="urn:x" a="1"/>"#.repeat(20_000);
    let xml = entity(
        "https://idp.example.com",
        SAML2,
        &format!("{}{}<md:Extensions>{claims}</md:Extensions>", key(None, cert()), redirect_sso()),
    );
    assert!(metadata::import(&xml, None, now()).is_ok());
}

#[test]
fn many_attributes_are_refused_fast() {
    let attrs: String = (0..50_000).map(|i| format!(" a{i}=\"\"")).collect();
    let xml = format!("<md:EntityDescriptor {MD_NS} entityID=\"x\"{attrs}/>");
    let started = Instant::now();
    let e = import_err(&xml, None);
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(e.code(), "too_complex");
    assert!(e.to_string().contains("line 1"), "{e}");
}

#[test]
fn huge_attribute_values() {
    // A 4 MB entityID imports (it is what the document says) but is flagged, and
    // messages echo only the start of it.
    let long_id = format!("https://idp.example.com/{}", "x".repeat(4 << 20));
    let i = metadata::import(&idp(&long_id), None, now()).unwrap();
    assert_eq!(i.idp.entity_id, long_id);
    assert_eq!(codes(&i), ["entity_id_too_long"]);
    assert!(i.warnings.iter().all(|w| w.message.len() < 1000));

    let e = import_err(&sp(&long_id), None);
    assert_eq!(e.code(), "not_an_idp");
    let msg = e.to_string();
    assert!(msg.len() < 1000 && msg.contains("characters in all"), "{}", &msg[..200]);

    // A huge attribute elsewhere is just data.
    let xml = idp("https://idp.example.com").replacen(
        "<md:IDPSSODescriptor",
        &format!("<md:IDPSSODescriptor junk=\"{}\"", "j".repeat(8 << 20)),
        1,
    );
    assert!(metadata::import(&xml, None, now()).is_ok());
}

#[test]
fn sp_only_metadata() {
    let e = import_err(&sp("https://sp.example.com/metadata"), None);
    assert_eq!(e.code(), "not_an_idp");
    assert_eq!(
        e.to_string(),
        "entity \"https://sp.example.com/metadata\" has no IDPSSODescriptor, so it is not an identity provider: \
         it is an SP (SPSSODescriptor)"
    );
    assert!(e.hint().contains("service-provider"), "{}", e.hint());
    assert!(metadata::list_idps(&sp("https://sp.example.com/metadata")).unwrap().is_empty());
}

#[test]
fn wsfed_only_entity_and_no_roles() {
    let xml = r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706" entityID="https://sts.example.com/"><RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706"/></EntityDescriptor>"#;
    let e = import_err(xml, None);
    assert_eq!(e.code(), "not_an_idp");
    assert!(e.to_string().contains("WS-Federation security token service"), "{e}");

    let bare = format!(r#"<md:EntityDescriptor {MD_NS} entityID="urn:example:nothing"/>"#);
    let e = import_err(&bare, None);
    assert_eq!(e.code(), "not_an_idp");
    assert!(e.to_string().contains("declares no role at all"), "{e}");
}

#[test]
fn saml1_only_idp() {
    let inner = format!(
        r#"{}<md:SingleSignOnService Binding="urn:mace:shibboleth:1.0:profiles:AuthnRequest" Location="https://idp.example.com/shib/SSO"/>"#,
        key(None, cert())
    );
    let xml = entity(
        "https://idp.example.com/shibboleth",
        "urn:oasis:names:tc:SAML:1.1:protocol urn:mace:shibboleth:1.0",
        &inner,
    );
    let e = import_err(&xml, None);
    assert_eq!(e.code(), "not_saml2");
    assert_eq!(
        e.to_string(),
        "the identity provider \"https://idp.example.com/shibboleth\" does not support SAML 2.0: its \
         IDPSSODescriptor lists the protocols urn:oasis:names:tc:SAML:1.1:protocol, urn:mace:shibboleth:1.0 and \
         the SingleSignOnService bindings urn:mace:shibboleth:1.0:profiles:AuthnRequest"
    );
    let listed = metadata::list_idps(&xml).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].saml2);

    // A SAML 1 role first and a SAML 2.0 role second: the SAML 2.0 one is used.
    let two_roles = xml.replace(
        "</md:EntityDescriptor>",
        &format!(
            r#"<md:IDPSSODescriptor protocolSupportEnumeration="  {SAML2}
            urn:oasis:names:tc:SAML:1.1:protocol ">{}{}</md:IDPSSODescriptor></md:EntityDescriptor>"#,
            key(Some("signing"), cert()),
            redirect_sso()
        ),
    );
    let i = metadata::import(&two_roles, None, now()).unwrap();
    assert_eq!(sso(&i), ["HTTP-Redirect"]);
}

#[test]
fn saml2_idp_without_saml2_sso_endpoint() {
    let inner = format!(
        r#"{}<md:SingleSignOnService Binding="urn:mace:shibboleth:1.0:profiles:AuthnRequest" Location="https://idp.example.com/shib"/>"#,
        key(None, cert())
    );
    let e = import_err(&entity("https://idp.example.com", SAML2, &inner), None);
    assert_eq!(e.code(), "no_saml2_sso");
    assert!(e.to_string().contains("urn:mace:shibboleth:1.0:profiles:AuthnRequest"), "{e}");

    let e = import_err(&entity("https://idp.example.com", SAML2, &key(None, cert())), None);
    assert_eq!(e.code(), "no_saml2_sso");
    assert!(e.to_string().contains("no SingleSignOnService at all"), "{e}");

    let no_location = format!(r#"{}<md:SingleSignOnService Binding="{BINDING_HTTP_POST}"/>"#, key(None, cert()));
    let e = import_err(&entity("https://idp.example.com", SAML2, &no_location), None);
    assert_eq!(e.code(), "invalid_endpoint");
    assert!(e.to_string().contains("no Location (line 1)"), "{e}");
}

#[test]
fn soap_or_artifact_only_is_a_warning() {
    let inner = format!(
        "{}{}{}",
        key(Some("signing"), cert()),
        sso_el("urn:oasis:names:tc:SAML:2.0:bindings:SOAP", "https://idp.example.com/ecp"),
        sso_el("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact", "https://idp.example.com/art"),
    );
    let i = metadata::import(&entity("https://idp.example.com", SAML2, &inner), None, now()).unwrap();
    assert_eq!(sso(&i), ["SOAP", "HTTP-Artifact"]);
    assert_eq!(codes(&i), ["no_browser_sso_binding"]);
    assert!(warning(&i, "no_browser_sso_binding").contains("only SOAP, HTTP-Artifact"));
}

#[test]
fn certificate_that_is_not_base64() {
    let inner = format!("{}{}{}", key(Some("signing"), cert()), key(Some("signing"), "not base64!!"), redirect_sso());
    let xml = entity("https://idp.example.com", SAML2, &inner).replace("><md:KeyDescriptor", ">\n<md:KeyDescriptor");
    let e = import_err(&xml, None);
    assert_eq!(e.code(), "invalid_certificate");
    let msg = e.to_string();
    assert!(msg.contains("signing certificate #2"), "{msg}");
    assert!(msg.contains("\"https://idp.example.com\""), "{msg}");
    assert!(msg.contains("line 3"), "{msg}");
    assert!(msg.contains("base64"), "{msg}");

    // Valid base64, not a certificate.
    let xml = entity("https://idp.example.com", SAML2, &format!("{}{}", key(None, "SGVsbG8gd29ybGQ="), redirect_sso()));
    let e = import_err(&xml, None);
    assert_eq!(e.code(), "invalid_certificate");
    assert!(e.to_string().contains("X.509"), "{e}");

    let xml = entity("https://idp.example.com", SAML2, &format!("{}{}", key(None, "  \n "), redirect_sso()));
    assert!(import_err(&xml, None).to_string().contains("the element is empty"));
}

#[test]
fn certificate_whitespace_and_pem_armor_are_tolerated() {
    let wrapped: String =
        cert().as_bytes().chunks(64).map(|c| format!("\n      {}", std::str::from_utf8(c).unwrap())).collect();
    let xml = entity(
        "https://idp.example.com",
        SAML2,
        &format!("{}{}", key(None, &format!("{wrapped}\n   ")), redirect_sso()),
    );
    let i = metadata::import(&xml, None, now()).unwrap();
    assert_eq!(i.idp.signing_certificates[0].der_base64, cert());
    assert!(i.warnings.is_empty());

    let pem = format!("-----BEGIN CERTIFICATE-----{wrapped}\n-----END CERTIFICATE-----");
    let xml = entity("https://idp.example.com", SAML2, &format!("{}{}", key(None, &pem), redirect_sso()));
    let i = metadata::import(&xml, None, now()).unwrap();
    assert_eq!(i.idp.signing_certificates[0].der_base64, cert());
    assert_eq!(codes(&i), ["certificate_pem_armored"]);
}

#[test]
fn signing_and_encryption_keys() {
    let enc = make_cert("encryption-only", "2025-01-01T00:00:00Z", "2030-01-01T00:00:00Z");
    let second = make_cert("rollover", "2025-06-01T00:00:00Z", "2031-01-01T00:00:00Z");
    let inner = format!(
        "{}{}{}{}",
        key(Some("encryption"), &enc),
        key(Some("signing"), cert()),
        key(None, &second),
        redirect_sso()
    );
    let i = metadata::import(&entity("https://idp.example.com", SAML2, &inner), None, now()).unwrap();
    let ders: Vec<&str> = i.idp.signing_certificates.iter().map(|c| c.der_base64.as_str()).collect();
    assert_eq!(ders, [cert(), second.as_str()]);

    // Only an encryption key: nothing can verify logins.
    let only_enc = format!("{}{}", key(Some("encryption"), &enc), redirect_sso());
    let e = import_err(&entity("https://idp.example.com", SAML2, &only_enc), None);
    assert_eq!(e.code(), "no_signing_certificate");
    assert!(e.to_string().contains("1 encryption-only key"), "{e}");
    assert!(e.hint().contains("cannot be saved"), "{}", e.hint());
    let err: Error = e.into();
    assert_eq!(err.code, ErrorCode::InvalidMetadata);
    assert_eq!(err.detail.as_deref(), Some("no_signing_certificate"));
    assert!(
        err.hint.unwrap_or_default().starts_with("a connection without the IdP's signing certificate cannot be saved")
    );

    // No KeyDescriptor at all.
    let e = import_err(&entity("https://idp.example.com", SAML2, &redirect_sso()), None);
    assert_eq!(e.code(), "no_signing_certificate");
    assert!(e.to_string().contains("no KeyDescriptor at all"), "{e}");

    // An unknown `use` is not a signing key, and is reported.
    let odd = format!("{}{}{}", key(Some("Signing"), &enc), key(Some("signing"), cert()), redirect_sso());
    let i = metadata::import(&entity("https://idp.example.com", SAML2, &odd), None, now()).unwrap();
    assert_eq!(i.idp.signing_certificates.len(), 1);
    assert_eq!(codes(&i), ["unknown_key_use"]);
}

#[test]
fn certificate_dates_are_judged_against_now() {
    let expiring = make_cert("expiring", "2025-01-01T00:00:00Z", "2026-12-03T00:00:00Z");
    let future = make_cert("future", "2027-01-01T00:00:00Z", "2030-01-01T00:00:00Z");
    let inner = format!("{}{}{}", key(Some("signing"), &expiring), key(Some("signing"), &future), redirect_sso());
    let i = metadata::import(&entity("https://idp.example.com", SAML2, &inner), None, now()).unwrap();
    assert_eq!(codes(&i), ["certificate_expiring", "certificate_not_yet_valid"]);
    let fp = &i.idp.signing_certificates[0].sha256_fingerprint;
    let msg = warning(&i, "certificate_expiring");
    assert!(msg.contains(fp.as_str()) && msg.contains("2026-12-03T00:00:00Z") && msg.contains("in 10 days"), "{msg}");
    assert!(warning(&i, "certificate_not_yet_valid").contains("2027-01-01T00:00:00Z"));
}

#[test]
fn valid_until_on_the_aggregate() {
    let inner = format!("{}{}", idp("https://a.example.com/idp"), sp("https://sp.example.com"));
    let xml = aggregate("urn:example:fed", r#" validUntil="2026-01-01T00:00:00Z""#, &inner);
    let i = metadata::import(&xml, None, now()).unwrap();
    assert_eq!(i.idp.valid_until, Some(at("2026-01-01T00:00:00Z")));
    assert_eq!(codes(&i), ["valid_until_passed"]);
    let msg = warning(&i, "valid_until_passed");
    assert!(msg.contains("2026-01-01T00:00:00Z") && msg.contains("EntitiesDescriptor \"urn:example:fed\""), "{msg}");

    // The earliest of the entity's own and the aggregate's wins; no zone means UTC.
    let own =
        idp("https://a.example.com/idp").replacen("entityID=", r#"validUntil="2027-05-01T12:00:00" entityID="#, 1);
    let xml = aggregate("urn:example:fed", r#" validUntil="2030-01-01T00:00:00Z""#, &own);
    let i = metadata::import(&xml, None, now()).unwrap();
    assert_eq!(i.idp.valid_until, Some(at("2027-05-01T12:00:00Z")));
    assert!(i.warnings.is_empty());

    let bad = idp("https://a.example.com/idp").replacen("entityID=", r#"validUntil="next tuesday" entityID="#, 1);
    let i = metadata::import(&bad, None, now()).unwrap();
    assert_eq!(i.idp.valid_until, None);
    assert_eq!(codes(&i), ["valid_until_invalid"]);
}

#[test]
fn entity_ids_urn_and_not_uri() {
    let i = metadata::import(&idp("urn:example:idp"), None, now()).unwrap();
    assert_eq!(i.idp.entity_id, "urn:example:idp");
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);

    for odd in ["idp.example.com", "My IdP", "https://idp.example.com/a b"] {
        let i = metadata::import(&idp(odd), None, now()).unwrap();
        assert_eq!(i.idp.entity_id, odd);
        assert_eq!(codes(&i), ["entity_id_not_uri"], "{odd}");
    }

    let e = import_err(&idp(""), None);
    assert_eq!(e.code(), "missing_entity_id");
    assert!(e.to_string().contains("line 1"), "{e}");
}

#[test]
fn aggregate_with_two_idps() {
    let inner = format!(
        "{}\n{}\n{}",
        idp("https://a.example.com/idp"),
        sp("https://sp.example.com"),
        idp("https://b.example.com/idp")
    );
    let xml = aggregate("urn:example:two", "", &inner);
    let e = import_err(&xml, None);
    assert_eq!(e.code(), "several_idps");
    assert_eq!(
        e.to_string(),
        "the aggregate \"urn:example:two\" lists 2 SAML 2.0 identity providers; choose one by entityID: \
         \"https://a.example.com/idp\", \"https://b.example.com/idp\""
    );
    let i = metadata::import(&xml, Some("https://b.example.com/idp"), now()).unwrap();
    assert_eq!(i.idp.entity_id, "https://b.example.com/idp");
    let agg = i.aggregate.unwrap();
    assert_eq!((agg.idp_count, agg.entity_count), (2, 3));

    let e = import_err(&xml, Some("https://c.example.com/idp"));
    assert_eq!(e.code(), "unknown_entity_id");
    assert_eq!(
        e.to_string(),
        "the metadata has no entity with entityID \"https://c.example.com/idp\"; its 2 SAML 2.0 identity \
         providers are \"https://a.example.com/idp\", \"https://b.example.com/idp\""
    );
    let e = import_err(&xml, Some("HTTPS://A.example.com/idp/"));
    assert!(e.hint().contains("did you mean \"https://a.example.com/idp\""), "{}", e.hint());

    let names: Vec<String> = metadata::list_idps(&xml).unwrap().into_iter().map(|s| s.entity_id).collect();
    assert_eq!(names, ["https://a.example.com/idp", "https://b.example.com/idp"]);

    // Nested aggregates: found in document order across levels.
    let nested = aggregate(
        "outer",
        "",
        &format!(
            "<md:EntitiesDescriptor Name=\"inner\">{}</md:EntitiesDescriptor>{}",
            idp("https://a.example.com/idp"),
            idp("https://b.example.com/idp")
        ),
    );
    let names: Vec<String> = metadata::list_idps(&nested).unwrap().into_iter().map(|s| s.entity_id).collect();
    assert_eq!(names, ["https://a.example.com/idp", "https://b.example.com/idp"]);
    assert_eq!(import_err(&nested, None).code(), "several_idps");
}

#[test]
fn unknown_entity_id_in_a_single_entity() {
    let e = import_err(&idp("https://idp.example.com"), Some("https://other.example.com"));
    assert_eq!(e.code(), "unknown_entity_id");
    assert_eq!(
        e.to_string(),
        "the metadata has no entity with entityID \"https://other.example.com\"; its only SAML 2.0 identity \
         provider is \"https://idp.example.com\""
    );
    // The right one imports.
    assert!(metadata::import(&idp("https://idp.example.com"), Some("https://idp.example.com"), now()).is_ok());
}

#[test]
fn aggregate_without_idp() {
    let xml = aggregate(
        "urn:example:sps",
        "",
        &format!("{}{}", sp("https://sp1.example.com"), sp("https://sp2.example.com")),
    );
    let e = import_err(&xml, None);
    assert_eq!(e.code(), "no_idp");
    assert_eq!(
        e.to_string(),
        "the aggregate \"urn:example:sps\" lists 2 entities but no identity provider (no IDPSSODescriptor); it has: SP ×2"
    );
    assert!(metadata::list_idps(&xml).unwrap().is_empty());
    let empty = aggregate("urn:example:empty", "", "");
    assert_eq!(import_err(&empty, None).code(), "no_idp");
}

#[test]
fn wrong_root_elements() {
    let e = import_err("<html><body>Sign in</body></html>", None);
    assert_eq!(e.code(), "not_metadata");
    assert!(e.hint().contains("HTML page"), "{}", e.hint());

    let e = import_err(r#"<EntityDescriptor xmlns="urn:mace:shibboleth:metadata:1.0" entityID="x"/>"#, None);
    assert_eq!(e.code(), "not_metadata");
    assert!(e.to_string().contains("<EntityDescriptor> in namespace \"urn:mace:shibboleth:metadata:1.0\""), "{e}");
    assert!(e.hint().contains("urn:oasis:names:tc:SAML:2.0:metadata"), "{}", e.hint());

    let e = import_err(r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>"#, None);
    assert!(e.hint().contains("SAML message"), "{}", e.hint());
}

#[test]
fn errors_and_warnings_serialize() {
    let i = metadata::import(&fixture("12_jumpcloud_ssoready_placeholder_entityid.xml"), None, now()).unwrap();
    let json = serde_json::to_value(&i.warnings[1]).unwrap();
    assert_eq!(json["code"], "entity_id_not_uri");
    let json = serde_json::to_value(&metadata::list_idps(&fixture("01_okta_ssoready.xml")).unwrap()[0]).unwrap();
    assert_eq!(json["entity_id"], "http://www.okta.com/exkdoocxa1VmjpXmX697");
    assert_eq!(json["saml2"], true);
    assert!(serde_json::to_value(&i).is_ok());

    let err: Error = MetadataError::Empty.into();
    assert_eq!(err.code, ErrorCode::InvalidMetadata);
    assert_eq!((err.message.as_str(), err.detail.as_deref()), ("the metadata is empty", Some("empty")));
    assert!(err.hint.is_some_and(|h| !h.is_empty()));
}

#[test]
fn many_repeated_problems_stay_bounded() {
    // 5,000 duplicate certificates and SLO endpoints without Location: linear, and the
    // warnings are capped per code.
    let keys = key(Some("signing"), cert()).repeat(5_000);
    let slo = format!(r#"<md:SingleLogoutService Binding="{BINDING_HTTP_POST}"/>"#).repeat(5_000);
    let xml = entity("https://idp.example.com", SAML2, &format!("{keys}{slo}{}", redirect_sso()));
    let started = Instant::now();
    let i = metadata::import(&xml, None, now()).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(i.idp.signing_certificates.len(), 1);
    assert!(i.warnings.len() <= 42, "{}", i.warnings.len());
    assert!(
        i.warnings.iter().any(|w| w.message.contains("4979 more duplicate_certificate")),
        "{:?}",
        i.warnings.last()
    );
}

// ------------------------------------------------------------------------------------
// fetch, against a one-shot HTTP server on 127.0.0.1

/// Serves one raw HTTP response to the first connection and returns the request head it
/// read. Bounded: gives up after a few seconds.
async fn serve_once(response: Vec<u8>, hold: Duration) -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/federationmetadata.xml", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        let Ok(Ok((mut socket, _))) = tokio::time::timeout(Duration::from_secs(10), listener.accept()).await else {
            return String::new();
        };
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
            match tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
        tokio::time::sleep(hold).await;
        let _ = socket.write_all(&response).await;
        let _ = socket.shutdown().await;
        String::from_utf8_lossy(&head).into_owned()
    });
    (url, handle)
}

fn http_response(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 {status}\r\nConnection: close\r\n{headers}\r\n").into_bytes();
    r.extend_from_slice(body);
    r
}

#[tokio::test]
async fn fetch_returns_the_body() {
    let body = fixture("03_entra_ssoready_signed_bom.xml");
    let response = http_response(
        "200 OK",
        &format!("Content-Type: application/samlmetadata+xml\r\nContent-Length: {}\r\n", body.len()),
        body.as_bytes(),
    );
    let (url, server) = serve_once(response, Duration::ZERO).await;
    let fetched = metadata::fetch(&url).await.unwrap();
    assert_eq!(fetched, body);
    let head = server.await.unwrap();
    assert!(head.starts_with("GET /federationmetadata.xml HTTP/1.1\r\n"), "{head}");
    assert!(head.to_ascii_lowercase().contains("accept: application/samlmetadata+xml"), "{head}");
    assert!(metadata::import(&fetched, None, now()).is_ok());
}

#[tokio::test]
async fn fetch_404_is_a_network_error_naming_url_and_status() {
    let (url, _server) =
        serve_once(http_response("404 Not Found", "Content-Length: 9\r\n", b"not found"), Duration::ZERO).await;
    let e = metadata::fetch(&url).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Network);
    assert!(e.message.contains(&url), "{}", e.message);
    assert!(e.message.contains("HTTP 404 Not Found"), "{}", e.message);
}

#[tokio::test]
async fn fetch_refuses_bodies_over_the_cap() {
    // Announced by Content-Length: refused before reading.
    let too_big = metadata::MAX_METADATA_BYTES + 1;
    let (url, _server) =
        serve_once(http_response("200 OK", &format!("Content-Length: {too_big}\r\n"), b"<md:"), Duration::ZERO).await;
    let e = metadata::fetch(&url).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Network);
    assert!(
        e.message.contains(&url) && e.message.contains(&too_big.to_string()) && e.message.contains("16 MiB"),
        "{}",
        e.message
    );

    // Not announced (body until close): stopped once over the limit. The real 16 MiB limit.
    let body = vec![b'a'; metadata::MAX_METADATA_BYTES + 10];
    let (url, _server) = serve_once(http_response("200 OK", "", &body), Duration::ZERO).await;
    let e = metadata::fetch(&url).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Network);
    assert!(e.message.contains("larger than the 16 MiB limit"), "{}", e.message);

    // Exactly at a (small) limit is fine.
    let limits = FetchLimits { max_bytes: 1000, ..FetchLimits::default() };
    let (url, _server) = serve_once(http_response("200 OK", "", &[b'a'; 1000]), Duration::ZERO).await;
    assert_eq!(metadata::fetch_with(&url, limits).await.unwrap().len(), 1000);
}

#[tokio::test]
async fn fetch_rejects_other_schemes_and_bad_urls() {
    for url in ["file:///etc/passwd", "ftp://example.com/md.xml", "javascript:alert(1)"] {
        let e = metadata::fetch(url).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{url}");
        assert!(e.message.contains("only http and https"), "{}", e.message);
    }
    let e = metadata::fetch("not a url").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(e.message.contains("\"not a url\" is not a valid URL"), "{}", e.message);
}

#[tokio::test]
async fn fetch_refuses_non_utf8() {
    let (url, _server) =
        serve_once(http_response("200 OK", "Content-Length: 6\r\n", b"<a>\xff</a"), Duration::ZERO).await;
    let e = metadata::fetch(&url).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Network);
    assert!(e.message.contains("not UTF-8") && e.message.contains("offset 3"), "{}", e.message);
}

#[tokio::test]
async fn fetch_times_out_and_reports_refused_connections() {
    let (url, _server) = serve_once(http_response("200 OK", "", b"late"), Duration::from_secs(3)).await;
    let limits = FetchLimits { timeout: Duration::from_millis(300), ..FetchLimits::default() };
    let started = Instant::now();
    let e = metadata::fetch_with(&url, limits).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(e.code, ErrorCode::Network);
    assert!(e.message.contains(&url) && e.message.contains("within 0.3 s"), "{}", e.message);

    // A port nobody listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/md.xml");
    let e = metadata::fetch(&url).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Network);
    assert!(e.message.contains(&url) && e.message.contains("cannot connect"), "{}", e.message);

    // Credentials in the URL are not echoed.
    let e = metadata::fetch(&format!("http://user:s3cret@127.0.0.1:{port}/md.xml")).await.unwrap_err();
    assert!(!e.message.contains("s3cret") && e.message.contains("user:***@"), "{}", e.message);
}
