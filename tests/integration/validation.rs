//! Response validation against the generated fixtures: every valid IdP shape is accepted,
//! every attack and misconfiguration is rejected by the check that names it.

use std::path::PathBuf;

use handshake::certs::Certificate;
use handshake::connection::{SecurityPolicy, SignatureRequirement, SpEndpoints};
use handshake::sensitive::Sensitive;
use handshake::validate::{CheckId, CheckStatus, Context, Report, Verdict, validate};
use openssl::pkey::PKey;

#[path = "../fixtures/generator.rs"]
#[allow(dead_code)]
pub mod generator;

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

pub fn response(name: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join("responses").join(format!("{name}.b64")))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub fn idp_certs() -> Vec<Certificate> {
    ["idp.crt", "idp-ec.crt"]
        .iter()
        .map(|f| Certificate::from_pem(&std::fs::read(fixtures_dir().join("keys").join(f)).unwrap()).unwrap())
        .collect()
}

pub fn sp() -> SpEndpoints {
    SpEndpoints { entity_id: generator::SP_ENTITY_ID.into(), acs_url: generator::ACS_URL.into() }
}

pub fn sp_key() -> Sensitive<PKey<openssl::pkey::Private>> {
    let pem = std::fs::read(fixtures_dir().join("keys").join("sp.key")).unwrap();
    Sensitive::new(PKey::private_key_from_pem(&pem).unwrap())
}

/// Everything a validation needs, with the fixtures' defaults; tests change one thing.
pub struct Judge {
    pub certs: Vec<Certificate>,
    pub sp: SpEndpoints,
    pub policy: SecurityPolicy,
    pub key: Option<Sensitive<PKey<openssl::pkey::Private>>>,
    pub now: chrono::DateTime<chrono::Utc>,
}

impl Judge {
    pub fn new() -> Self {
        Judge {
            certs: idp_certs(),
            sp: sp(),
            policy: SecurityPolicy::default(),
            key: Some(sp_key()),
            now: generator::judged_at(),
        }
    }

    pub fn validate(&self, input: &str, in_response_to: Option<&str>) -> Report {
        let key = self.key.clone();
        let source = move || key.clone().ok_or_else(|| "no SP key is configured for this connection".to_owned());
        let ctx = Context {
            idp_entity_id: generator::IDP_ENTITY_ID,
            signing_certificates: &self.certs,
            sp: &self.sp,
            policy: &self.policy,
            decryption_key: self.key.as_ref().map(|_| &source as &handshake::validate::KeySource<'_>),
            now: self.now,
            in_response_to,
            expired_request: None,
            judging: Default::default(),
        };
        validate(input, &ctx)
    }
}

pub fn check_with(name: &str, policy: &SecurityPolicy, in_response_to: Option<&str>) -> Report {
    Judge { policy: policy.clone(), ..Judge::new() }.validate(&response(name), in_response_to)
}

pub fn check(name: &str) -> Report {
    check_with(name, &SecurityPolicy::default(), None)
}

#[track_caller]
fn assert_accepted(r: &Report) {
    assert_eq!(r.verdict, Verdict::Accepted, "expected accepted, got {:#?}", r.error);
    assert!(r.checks.iter().all(|c| c.status != CheckStatus::Fail));
}

#[track_caller]
fn assert_rejected(r: &Report, check: CheckId, violation: &str) {
    assert_eq!(r.verdict, Verdict::Rejected, "expected rejection by {check}");
    let e = r.error.as_ref().unwrap();
    assert_eq!((e.check, e.violation), (check, violation), "wrong failure: {e:#?}");
    let line = r.check(check).unwrap();
    assert_eq!(line.status, CheckStatus::Fail);
    assert!(
        !line.expected.is_empty() && !line.actual.is_empty() && line.hint.as_deref().is_some_and(|h| !h.is_empty())
    );
}

macro_rules! accepted {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            assert_accepted(&check(stringify!($name)));
        }
    )*};
}

macro_rules! rejected {
    ($($name:ident => $check:ident / $violation:literal),* $(,)?) => {$(
        #[test]
        fn $name() {
            assert_rejected(&check(stringify!($name)), CheckId::$check, $violation);
        }
    )*};
}

accepted!(
    entra_valid,
    okta_valid,
    adfs_valid,
    shibboleth_valid,
    response_signed_only,
    ecdsa_valid,
    rsa_sha512_valid,
    encrypted_gcm_oaep_sha1,
    encrypted_cbc_oaep_sha256,
    encrypted_oaep11_aes192gcm,
    encrypted_response_signed,
    within_clock_skew,
    plain_unsigned_assertion,
);

rejected!(
    not_a_response => Parse / "not_a_response",
    not_xml => Parse / "not_xml",
    dtd_entity_expansion => Doctype / "doctype",
    dtd_external_entity => Doctype / "doctype",
    two_assertions => SingleAssertion / "too_many_assertions",
    extra_unsigned_assertion => SingleAssertion / "too_many_assertions",
    xsw3_evil_sibling_first => SingleAssertion / "too_many_assertions",
    xsw4_evil_wraps_signed => SingleAssertion / "too_many_assertions",
    xsw5_signed_moved_to_extensions => SingleAssertion / "too_many_assertions",
    xsw6_signed_inside_object => SingleAssertion / "too_many_assertions",
    xsw8_stripped_original_in_object => SingleAssertion / "too_many_assertions",
    xsw1_response_in_signature_object => SingleAssertion / "too_many_assertions",
    xsw2_response_detached_sibling => SingleAssertion / "too_many_assertions",
    signed_response_in_extensions => SingleAssertion / "too_many_assertions",
    duplicate_id => SingleAssertion / "duplicate_id",
    encrypted_pkcs1_v15 => Decrypt / "weak_key_transport",
    encrypted_to_other_sp => Decrypt / "key_unwrap_failed",
    encrypted_unsigned => Signature / "unsigned",
    rsa_sha1 => Algorithm / "weak_signature_algorithm",
    sha1_digest => Algorithm / "weak_digest_algorithm",
    unsigned => Signature / "unsigned",
    wrong_key => Signature / "signature_invalid",
    key_in_keyinfo_only => Signature / "signature_invalid",
    digest_changed_nameid => Signature / "signature_invalid",
    digest_changed_attribute => Signature / "signature_invalid",
    reference_to_other_element => Signature / "reference_mismatch",
    status_denied_no_assertion => Status / "status_not_success",
    status_failure_with_assertion => Status / "status_not_success",
    wrong_issuer_assertion => Issuer / "issuer_mismatch",
    wrong_issuer_response => Issuer / "issuer_mismatch",
    wrong_destination => Destination / "destination_mismatch",
    wrong_recipient => SubjectConfirmation / "recipient_mismatch",
    no_bearer_confirmation => SubjectConfirmation / "no_bearer_confirmation",
    confirmation_expired => SubjectConfirmation / "confirmation_expired",
    conditions_expired => TimeWindow / "expired",
    not_yet_valid => TimeWindow / "not_yet_valid",
    wrong_audience => Audience / "audience_mismatch",
    audience_prefix => Audience / "audience_mismatch",
    no_audience => Audience / "no_audience_restriction",
    in_response_to_other => InResponseTo / "unexpected_in_response_to",
    solicited_valid => InResponseTo / "unexpected_in_response_to",
);

#[test]
fn comment_in_nameid_is_refused_not_truncated() {
    let r = check("comment_in_nameid");
    assert_rejected(&r, CheckId::Signature, "comment_in_signed_content");
    assert!(r.name_id.is_none());
    assert!(r.check(CheckId::Signature).unwrap().actual.contains("NameID"));
}

#[test]
fn solicited_response_matches_the_outstanding_request() {
    assert_accepted(&check_with("solicited_valid", &SecurityPolicy::default(), Some(generator::REQUEST_ID)));
}

#[test]
fn response_to_another_request_is_rejected() {
    let r = check_with("in_response_to_other", &SecurityPolicy::default(), Some(generator::REQUEST_ID));
    assert_rejected(&r, CheckId::InResponseTo, "in_response_to_mismatch");
}

#[test]
fn confirmation_in_response_to_must_match_too() {
    let r = check_with("in_response_to_confirmation_mismatch", &SecurityPolicy::default(), Some(generator::REQUEST_ID));
    assert_rejected(&r, CheckId::InResponseTo, "in_response_to_mismatch");
    assert!(r.check(CheckId::InResponseTo).unwrap().actual.contains("SubjectConfirmationData"));
}

#[test]
fn unsolicited_response_when_expecting_one_is_rejected() {
    let r = check_with("okta_valid", &SecurityPolicy::default(), Some(generator::REQUEST_ID));
    assert_rejected(&r, CheckId::InResponseTo, "in_response_to_mismatch");
}

#[test]
fn idp_initiated_refused_by_policy() {
    let policy = SecurityPolicy { allow_idp_initiated: false, ..SecurityPolicy::default() };
    assert_rejected(&check_with("okta_valid", &policy, None), CheckId::InResponseTo, "unsolicited_refused");
}

#[test]
fn sha1_allowed_only_when_the_policy_says_so() {
    let policy = SecurityPolicy { allow_sha1: true, ..SecurityPolicy::default() };
    assert_accepted(&check_with("rsa_sha1", &policy, None));
    assert_accepted(&check_with("sha1_digest", &policy, None));
}

#[test]
fn encryption_required_refuses_plain_assertions() {
    let policy = SecurityPolicy { require_encrypted_assertion: true, ..SecurityPolicy::default() };
    assert_rejected(&check_with("plain_unsigned_assertion", &policy, None), CheckId::Decrypt, "encryption_required");
    assert_accepted(&check_with("encrypted_gcm_oaep_sha1", &policy, None));
}

#[test]
fn signature_policy_requirements() {
    let both = SecurityPolicy { signature: SignatureRequirement::Both, ..SecurityPolicy::default() };
    assert_rejected(&check_with("entra_valid", &both, None), CheckId::Signature, "response_signature_required");
    assert_rejected(
        &check_with("response_signed_only", &both, None),
        CheckId::Signature,
        "assertion_signature_required",
    );
    assert_accepted(&check_with("okta_valid", &both, None));
    let assertion = SecurityPolicy { signature: SignatureRequirement::Assertion, ..SecurityPolicy::default() };
    assert_rejected(
        &check_with("encrypted_response_signed", &assertion, None),
        CheckId::Signature,
        "assertion_signature_required",
    );
}

#[test]
fn clock_skew_is_configurable() {
    let strict = SecurityPolicy { clock_skew_seconds: 0, ..SecurityPolicy::default() };
    assert_rejected(&check_with("within_clock_skew", &strict, None), CheckId::TimeWindow, "not_yet_valid");
}

#[test]
fn encrypted_without_a_key_says_so() {
    let r = Judge { key: None, ..Judge::new() }.validate(&response("encrypted_gcm_oaep_sha1"), None);
    assert_rejected(&r, CheckId::Decrypt, "no_decryption_key");
}

#[test]
fn metadata_without_certificates_never_accepts() {
    let r = Judge { certs: vec![], ..Judge::new() }.validate(&response("okta_valid"), None);
    assert_rejected(&r, CheckId::Signature, "no_trusted_certificates");
}

#[test]
fn semantic_checks_all_report_once_the_signature_holds() {
    // Judged a day later with another SP: time, audience, recipient and destination all fail,
    // and each says so, so the admin can fix them in one round.
    let other = SpEndpoints { entity_id: "https://other/sp".into(), acs_url: "https://other/acs".into() };
    let judge = Judge { sp: other, now: generator::judged_at() + chrono::Duration::days(1), ..Judge::new() };
    let r = judge.validate(&response("okta_valid"), None);
    let failed: Vec<CheckId> = r.checks.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.id).collect();
    assert_eq!(
        failed,
        vec![CheckId::Destination, CheckId::SubjectConfirmation, CheckId::TimeWindow, CheckId::Audience]
    );
    assert!(r.check(CheckId::Audience).unwrap().hint.as_deref().unwrap().contains("https://other/sp"));
}

#[test]
fn report_lists_every_check_in_order() {
    let r = check("okta_valid");
    let ids: Vec<CheckId> = r.checks.iter().map(|c| c.id).collect();
    assert_eq!(ids, CheckId::SAML.to_vec());
    assert_eq!(r.check(CheckId::Decrypt).unwrap().status, CheckStatus::Skip);
    assert_eq!(r.name_id.as_ref().unwrap().value, "ada@acme.example");
    let groups = r.attributes.iter().find(|a| a.name == "groups").unwrap();
    assert_eq!(groups.values, vec!["Everyone", "Engineering", "SSO-Admins"]);
}

#[test]
fn failure_before_signature_skips_the_rest_and_exposes_no_identity() {
    let r = check("wrong_key");
    assert!(r.name_id.is_none() && r.attributes.is_empty());
    assert!(r.checks.iter().filter(|c| c.id > CheckId::Signature).all(|c| c.status == CheckStatus::Skip));
    // The hint names the certificate the response really came with.
    assert!(r.check(CheckId::Signature).unwrap().hint.as_deref().unwrap().contains("content was changed"));
    let r = check("key_in_keyinfo_only");
    assert!(
        r.check(CheckId::Signature).unwrap().hint.as_deref().unwrap().contains("not in this connection's IdP metadata")
    );
}

#[test]
fn hostile_inputs_are_rejected_at_parse() {
    let judge = Judge::new();
    let huge = "A".repeat(handshake::validate::MAX_RESPONSE_BYTES + 4);
    for (input, violation) in [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("%%% not base64 %%%", "not_base64"),
        ("//79/A==", "not_utf8"),
        (huge.as_str(), "too_large"),
    ] {
        let r = judge.validate(input, None);
        assert_eq!(r.error.as_ref().map(|e| (e.check, e.violation)), Some((CheckId::Parse, violation)), "{input:.20}");
    }
    // Whitespace inside base64 (line-wrapped form values) is tolerated.
    let wrapped: String = response("okta_valid")
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned() + "\r\n")
        .collect();
    assert_eq!(judge.validate(&wrapped, None).verdict, Verdict::Accepted);
}

/// Regression: roxmltree is quadratic in nested namespace declarations (5,000 nested
/// declaring elements took minutes). Anyone can POST to the ACS, so the response path
/// refuses such input up front, fast.
#[test]
fn regression_nested_namespace_bomb_is_refused_fast() {
    let mut xml =
        String::from(r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0">"#);
    for i in 0..5000 {
        xml.push_str(&format!(r#"<a xmlns:p{i}="urn:x:{i}">"#));
    }
    for _ in 0..5000 {
        xml.push_str("</a>");
    }
    xml.push_str("</samlp:Response>");
    let b64 = handshake::idp::sign::to_post_form_value(&xml);
    let r = Judge::new().validate(&b64, None);
    let e = r.error.unwrap();
    assert_eq!((e.check, e.violation), (CheckId::Parse, "not_xml"));
    assert!(e.message.contains("refused before parsing"), "{}", e.message);
}

// ---- regressions from the red-team review ----

rejected!(
    regression_transform_flood => Algorithm / "unsupported_transform",
    regression_prefixlist_flood => Algorithm / "unsupported_transform",
    regression_encrypted_key_flood => Decrypt / "key_unwrap_failed",
);

accepted!(regression_encrypted_inherited_namespaces, regression_encrypted_inclusive_c14n);

/// Unauthenticated AES-CBC (Response unsigned): whatever the tampering, one answer. Telling
/// bad padding from bad XML from a bad signature is a decryption oracle.
#[test]
fn regression_cbc_padding_oracle_is_closed() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let xml = String::from_utf8(b64.decode(response("encrypted_cbc_oaep_sha256").trim()).unwrap()).unwrap();
    // The content CipherValue is the last one; flip each value of the IV's last byte.
    let start = xml.rfind("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len();
    let end = start + xml[start..].find("</xenc:CipherValue>").unwrap();
    let mut content = b64.decode(&xml[start..end]).unwrap();
    let judge = Judge::new();
    let mut answers = std::collections::BTreeSet::new();
    for v in 0..=255u8 {
        content[15] = v;
        let tampered = format!("{}{}{}", &xml[..start], b64.encode(&content), &xml[end..]);
        let r = judge.validate(&b64.encode(tampered.as_bytes()), None);
        if r.accepted() {
            continue; // the original byte
        }
        let e = r.error.unwrap();
        answers.insert((e.check, e.violation, e.message));
    }
    assert_eq!(answers.len(), 1, "{answers:#?}");
    assert_eq!(answers.into_iter().next().unwrap().1, "unauthenticated_decryption_failed");
}

#[test]
fn ids_that_are_not_xml_names_get_their_own_violation() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let xml = String::from_utf8(b64.decode(response("okta_valid").trim()).unwrap()).unwrap();
    let bad = xml.replacen("ID=\"id1720512345678901234567890\"", "ID=\"1720512345678901234567890\"", 1);
    assert_ne!(bad, xml);
    let r = Judge::new().validate(&b64.encode(bad.as_bytes()), None);
    assert_eq!(r.error.map(|e| (e.check, e.violation)), Some((CheckId::SingleAssertion, "invalid_id")));
}
