//! Correctness and diagnosis of the validator (issue #11): what is accepted that real IdPs
//! send (EncryptedID, Advice, every xs:dateTime form), what is refused that the bindings
//! forbid (a signed Response without Destination), and messages that tell the truth.

use chrono::Duration;
use handshake::connection::SecurityPolicy;
use handshake::idp::encrypt::{DataEncryption, EncryptOptions, KeyTransport};
use handshake::idp::response::IssueOptions;
use handshake::idp::sign::{sign_first_template, signature_template, to_post_form_value};
use handshake::idp::{ResponseSpec, SignatureAlgorithm};
use handshake::validate::{CheckId, CheckStatus, Report, Verdict};

use crate::validation::{Judge, check, check_with, fixtures_dir, generator, response};

fn keys() -> generator::Keys {
    generator::keys(&fixtures_dir())
}

fn both() -> IssueOptions<'static> {
    IssueOptions {
        sign_assertion: true,
        sign_response: true,
        algorithm: SignatureAlgorithm::RsaSha256,
        encrypt_to: None,
    }
}

fn judge(xml: &str) -> Report {
    Judge::new().validate(&to_post_form_value(xml), None)
}

/// The response with its assertion signed from `template` (edited by the caller) by `key`.
fn signed_with(spec: &ResponseSpec, template: &str, key: &handshake::idp::SigningKey) -> String {
    spec.response_xml(&sign_first_template(&spec.assertion_xml(Some(template)), key).unwrap(), None)
}

/// The response with its assertion edited by `edit` before the IdP signs it.
fn signed_after(spec: &ResponseSpec, edit: impl Fn(String) -> String) -> String {
    let k = keys().idp;
    let template = signature_template(&spec.assertion_id, SignatureAlgorithm::RsaSha256, &k.certificate);
    let assertion = edit(spec.assertion_xml(Some(&template)));
    spec.response_xml(&sign_first_template(&assertion, &k).unwrap(), None)
}

#[track_caller]
fn assert_accepted(r: &Report) {
    assert_eq!(r.verdict, Verdict::Accepted, "expected accepted, got {:#?}", r.error);
}

#[track_caller]
fn assert_rejected(r: &Report, check: CheckId, violation: &str) {
    let e = r.error.as_ref().unwrap_or_else(|| panic!("expected rejection by {check}, got accepted"));
    assert_eq!((e.check, e.violation), (check, violation), "wrong failure: {e:#?}");
    assert_eq!(r.check(check).unwrap().status, CheckStatus::Fail);
}

fn hint(r: &Report, id: CheckId) -> String {
    r.check(id).unwrap().hint.clone().unwrap_or_default()
}

// ---- destination ----

#[test]
fn regression_signed_response_without_destination_is_rejected() {
    let r = check("missing_destination_signed");
    assert_rejected(&r, CheckId::Destination, "missing_destination");
    assert!(hint(&r, CheckId::Destination).contains(generator::ACS_URL), "{}", hint(&r, CheckId::Destination));
    // Only a signed Response must carry it: an assertion-only signature does not.
    assert_accepted(&check("missing_destination_assertion_signed"));
}

#[test]
fn missing_destination_can_be_allowed_by_the_policy() {
    let policy = SecurityPolicy { allow_missing_destination: true, ..SecurityPolicy::default() };
    let r = check_with("missing_destination_signed", &policy, None);
    assert_accepted(&r);
    assert!(r.check(CheckId::Destination).unwrap().actual.contains("allowed"));
    // The option tolerates a missing Destination, never a wrong one.
    assert_rejected(&check_with("wrong_destination", &policy, None), CheckId::Destination, "destination_mismatch");
}

#[test]
fn stored_policies_without_the_option_still_read() {
    let stored = r#"{"signature":"both","require_encrypted_assertion":false,"clock_skew_seconds":60,"allow_idp_initiated":true,"allow_sha1":false,"sign_authn_requests":false}"#;
    let policy: SecurityPolicy = serde_json::from_str(stored).unwrap();
    assert!(!policy.allow_missing_destination);
    assert_eq!(policy.clock_skew_seconds, 60);
}

// ---- EncryptedID ----

#[test]
fn regression_encrypted_id_is_decrypted_with_the_sp_key() {
    for name in ["encrypted_id_valid", "encrypted_id_in_encrypted_assertion"] {
        let r = check(name);
        assert_accepted(&r);
        let name_id = r.name_id.as_ref().unwrap_or_else(|| panic!("{name}: no NameID"));
        assert_eq!(name_id.value, "ada@example.com", "{name}");
        assert_eq!(name_id.format.as_deref(), Some(handshake::idp::response::NAMEID_EMAIL));
        let decrypt = r.check(CheckId::Decrypt).unwrap();
        assert_eq!(decrypt.status, CheckStatus::Pass, "{name}");
        assert!(decrypt.actual.contains("EncryptedID"), "{name}: {}", decrypt.actual);
    }
}

#[test]
fn regression_undecryptable_encrypted_id_is_named() {
    let r = check("encrypted_id_to_other_sp");
    assert_rejected(&r, CheckId::Decrypt, "encrypted_id_undecryptable");
    let line = r.check(CheckId::Decrypt).unwrap();
    assert!(line.actual.contains("EncryptedID") && hint(&r, CheckId::Decrypt).contains("EncryptedID"), "{line:#?}");
    assert!(!line.actual.contains("empty"));
    // The signature held: the failure is reported as such, not as a signature problem.
    assert_ne!(r.check(CheckId::Signature).unwrap().status, CheckStatus::Fail);

    let r = Judge { key: None, ..Judge::new() }.validate(&response("encrypted_id_valid"), None);
    assert_rejected(&r, CheckId::Decrypt, "encrypted_id_undecryptable");
    assert!(r.error.unwrap().message.contains("EncryptedID: no SP key"));
}

// ---- the masked AES-CBC failure ----

#[test]
fn regression_masked_cbc_failure_lists_the_real_causes() {
    let keys = keys();
    let sp_cert = &keys.sp.certificate;
    let cbc = EncryptOptions { key_transport: KeyTransport::RsaOaepSha1, data: DataEncryption::Aes128Cbc };
    let assertion_only_encrypted = |algorithm| IssueOptions {
        sign_assertion: true,
        sign_response: false,
        algorithm,
        encrypt_to: Some((sp_cert, cbc)),
    };
    // Refused algorithm (RSA-SHA1), and a signing key that is not in the metadata.
    let sha1 =
        generator::spec("ada@example.com").issue(&keys.idp, &assertion_only_encrypted(SignatureAlgorithm::RsaSha1));
    let unknown_key = generator::spec("ada@example.com")
        .issue(&keys.attacker, &assertion_only_encrypted(SignatureAlgorithm::RsaSha256));
    for xml in [sha1.unwrap(), unknown_key.unwrap()] {
        let r = judge(&xml);
        assert_rejected(&r, CheckId::Decrypt, "unauthenticated_decryption_failed");
        let h = hint(&r, CheckId::Decrypt);
        for cause in ["RSA-SHA1", "not in the IdP metadata", "not signed", "changed", "AES-GCM"] {
            assert!(h.contains(cause), "the hint does not mention {cause:?}: {h}");
        }
    }
}

// ---- messages ----

#[test]
fn regression_missing_assertion_issuer_is_not_called_another_idp() {
    let issuer = format!("<saml:Issuer>{}</saml:Issuer>", generator::IDP_ENTITY_ID);
    let r = judge(&signed_after(&generator::spec("ada@example.com"), |a| {
        assert_eq!(a.matches(&issuer).count(), 1);
        a.replace(&issuer, "")
    }));
    assert_rejected(&r, CheckId::Issuer, "missing_assertion_issuer");
    let h = hint(&r, CheckId::Issuer);
    assert!(!h.contains("different IdP") && h.contains("requires an Issuer"), "{h}");
}

#[test]
fn regression_whole_document_reference_is_named() {
    let k = keys().idp;
    let s = generator::spec("ada@example.com");
    let template = signature_template(&s.assertion_id, SignatureAlgorithm::RsaSha256, &k.certificate)
        .replace(&format!("URI=\"#{}\"", s.assertion_id), "URI=\"\"");
    let r = judge(&signed_with(&s, &template, &k));
    assert_rejected(&r, CheckId::Signature, "whole_document_reference");
    let line = r.check(CheckId::Signature).unwrap();
    assert!(line.actual.contains("whole document"), "{}", line.actual);
    assert!(line.expected.contains(&format!("#{}", s.assertion_id)));
    assert!(hint(&r, CheckId::Signature).contains("ID of the Response or Assertion"));
}

#[test]
fn regression_exclusive_c14n_has_a_name() {
    let r = check("regression_transform_flood");
    let actual = &r.check(CheckId::Algorithm).unwrap().actual;
    assert!(actual.contains("[enveloped-signature, xml-exc-c14n, xml-exc-c14n"), "{:.200}", actual);
    assert!(!actual.contains(", ,"));
}

#[test]
fn regression_weak_digest_on_ecdsa_asks_for_a_sha256_digest() {
    let k = keys().idp_ec;
    let s = generator::spec("ada@example.com");
    let template = signature_template(&s.assertion_id, SignatureAlgorithm::EcdsaSha256, &k.certificate)
        .replace("http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2000/09/xmldsig#sha1");
    let r = judge(&signed_with(&s, &template, &k));
    assert_rejected(&r, CheckId::Algorithm, "weak_digest_algorithm");
    let h = hint(&r, CheckId::Algorithm);
    assert!(h.contains("digest algorithm to SHA-256") && !h.contains("RSA-SHA256"), "{h}");

    // An ECDSA-SHA1 signature is told to move to ECDSA-SHA256, not to RSA.
    let template = signature_template(&s.assertion_id, SignatureAlgorithm::EcdsaSha256, &k.certificate)
        .replace("xmldsig-more#ecdsa-sha256", "xmldsig-more#ecdsa-sha1");
    let r = judge(&signed_with(&s, &template, &k));
    assert_rejected(&r, CheckId::Algorithm, "weak_signature_algorithm");
    assert!(hint(&r, CheckId::Algorithm).contains("ECDSA-SHA256"));
}

#[test]
fn regression_bad_confirmation_time_is_a_subject_confirmation_problem() {
    let mut s = generator::spec("ada@example.com");
    s.subject_not_on_or_after = Some(generator::issued() + Duration::minutes(6));
    let r = judge(&signed_after(&s, |a| a.replace("2026-01-15T10:06:00Z", "in five minutes")));
    assert_rejected(&r, CheckId::SubjectConfirmation, "bad_confirmation_timestamp");
    assert!(r.check(CheckId::SubjectConfirmation).unwrap().actual.contains("in five minutes"));
    assert_eq!(r.check(CheckId::TimeWindow).unwrap().status, CheckStatus::Pass);
}

#[test]
fn regression_valid_xs_datetime_forms_are_accepted() {
    // Edited before signing, to lexical forms xs:dateTime allows and RFC 3339 does not.
    let forms = [
        // The first instant of the next day, from a time zone east of UTC.
        ("NotOnOrAfter=\"2026-01-15T10:05:00Z\" Recipient", "NotOnOrAfter=\"2026-01-15T24:00:00+13:00\" Recipient"),
        // Many fractional digits, and no zone (UTC).
        ("NotBefore=\"2026-01-15T09:59:30Z\"", "NotBefore=\"2026-01-15T09:59:30.123456789012\""),
        // A year past 9999.
        ("NotOnOrAfter=\"2026-01-15T10:05:00Z\">", "NotOnOrAfter=\"10000-01-01T00:00:00Z\">"),
    ];
    let r = judge(&signed_after(&generator::spec("ada@example.com"), |mut a| {
        for (from, to) in forms {
            assert_eq!(a.matches(from).count(), 1, "{from}");
            a = a.replace(from, to);
        }
        a
    }));
    assert_accepted(&r);
    assert!(r.check(CheckId::TimeWindow).unwrap().actual.contains("10000-01-01T00:00:00Z"));
}

#[test]
fn regression_every_problem_of_a_check_is_listed() {
    let mut s = generator::spec("ada@example.com");
    s.response_issuer = Some("https://evil.example/response".into());
    s.assertion_issuer = "https://evil.example/assertion".into();
    s.not_before = Some(generator::issued() + Duration::minutes(30));
    s.not_on_or_after = Some(generator::issued() - Duration::minutes(30));
    s.recipient = Some("https://other.example/acs".into());
    s.subject_not_on_or_after = Some(generator::issued() - Duration::minutes(30));
    s.audiences = vec!["https://first.example".into()];
    let restriction =
        "<saml:AudienceRestriction><saml:Audience>https://first.example</saml:Audience></saml:AudienceRestriction>";
    let second = format!("{restriction}{}", restriction.replace("first", "second"));
    let r = judge(&signed_after(&s, |a| a.replace(restriction, &second)));
    for (id, found) in [
        (
            CheckId::Issuer,
            &[
                "Response Issuer \"https://evil.example/response\"",
                "Assertion Issuer \"https://evil.example/assertion\"",
            ][..],
        ),
        (CheckId::TimeWindow, &["NotBefore=2026-01-15T10:30:00Z", "NotOnOrAfter=2026-01-15T09:30:00Z"][..]),
        (
            CheckId::SubjectConfirmation,
            &["Recipient \"https://other.example/acs\"", "NotOnOrAfter=2026-01-15T09:30:00Z"][..],
        ),
        (CheckId::Audience, &["https://first.example", "https://second.example"][..]),
    ] {
        let line = r.check(id).unwrap();
        assert_eq!(line.status, CheckStatus::Fail);
        for f in found {
            assert!(line.actual.contains(f), "{id}: {f:?} missing from {:?}", line.actual);
        }
        assert_eq!(line.problems.len(), found.len(), "{id}: {:#?}", line.problems);
        assert_eq!(line.violation.as_deref(), Some(&*line.problems[0].violation));
    }
    // The report's first failure stays the first problem found.
    let e = r.error.unwrap();
    assert_eq!((e.check, e.violation), (CheckId::Issuer, "issuer_mismatch"));
    assert!(e.message.contains("Response Issuer"));
}

#[test]
fn regression_ids_that_are_not_xml_names_get_a_true_hint() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let xml = String::from_utf8(b64.decode(response("okta_valid").trim()).unwrap()).unwrap();
    let bad = xml.replacen("ID=\"id1720512345678901234567890\"", "ID=\"1720512345678901234567890\"", 1);
    let r = judge(&bad);
    assert_rejected(&r, CheckId::SingleAssertion, "invalid_id");
    let h = hint(&r, CheckId::SingleAssertion);
    assert!(!h.contains("signatures cannot reference them"), "{h}");
    assert!(h.contains("XML Signature itself can reference such an ID") && h.contains("xmlsec"), "{h}");
}

#[test]
fn regression_unsigned_error_status_is_unauthenticated_text() {
    let r = check("status_denied_no_assertion");
    assert_rejected(&r, CheckId::Status, "status_not_success");
    let line = r.check(CheckId::Status).unwrap();
    assert!(line.actual.contains("unauthenticated StatusMessage"), "{}", line.actual);
    assert!(line.actual.contains("User is not assigned to this application"));
    let h = hint(&r, CheckId::Status);
    assert!(!h.starts_with("The IdP refused") && h.contains("nothing shows that the IdP sent it"), "{h}");
    assert_eq!(r.check(CheckId::Signature).unwrap().status, CheckStatus::Skip);
}

#[test]
fn signed_error_status_is_the_idps_word() {
    let k = keys().idp;
    let mut s = generator::spec("ada@example.com");
    s.status_code = "urn:oasis:names:tc:SAML:2.0:status:Responder".into();
    s.status_message = Some("MFA failed".into());
    let template = signature_template(&s.response_id, SignatureAlgorithm::RsaSha256, &k.certificate);
    let signed = sign_first_template(&s.response_xml("", Some(&template)), &k).unwrap();
    let r = judge(&signed);
    assert_rejected(&r, CheckId::Status, "status_not_success");
    assert!(!r.check(CheckId::Status).unwrap().actual.contains("unauthenticated"));
    assert!(hint(&r, CheckId::Status).starts_with("The IdP refused the login"));
    assert_eq!(r.check(CheckId::Signature).unwrap().status, CheckStatus::Pass);
    // Changed after signing: back to unauthenticated.
    let r = judge(&signed.replace("MFA failed", "Call +1 555 0100 to unlock"));
    assert!(r.check(CheckId::Status).unwrap().actual.contains("unauthenticated StatusMessage"));
}

// ---- Advice ----

#[test]
fn regression_advice_with_an_assertion_is_accepted() {
    for name in ["advice_with_assertion", "advice_with_assertion_response_signed"] {
        let r = check(name);
        assert_accepted(&r);
        // Read from the assertion itself, never from its Advice.
        assert_eq!(r.name_id.unwrap().value, "ada@example.com", "{name}");
        assert_eq!(r.assertion_id.as_deref(), Some("_a0000000000000000000000000000001"));
    }
}

/// XML signature wrapping through Advice: the signed original hidden in an evil assertion's
/// Advice, its signature moved, its ID reused, an assertion slipped into signed Advice, or
/// Advice where no assertion may hold it. Each is refused by the rule it breaks.
#[test]
fn advice_does_not_open_signature_wrapping() {
    for (name, check_id, violation) in [
        ("xsw_advice_original_in_evil_advice", CheckId::Signature, "signed_advice"),
        ("xsw_advice_signature_moved_to_evil", CheckId::Signature, "reference_mismatch"),
        ("xsw_advice_evil_reuses_id", CheckId::SingleAssertion, "duplicate_id"),
        ("xsw_advice_injected_after_signing", CheckId::Signature, "signature_invalid"),
        ("xsw_advice_outside_the_assertion", CheckId::SingleAssertion, "too_many_assertions"),
        ("signed_advice_assertion", CheckId::Signature, "signed_advice"),
    ] {
        let r = check(name);
        assert_eq!(r.error.as_ref().map(|e| (e.check, e.violation)), Some((check_id, violation)), "{name}");
        assert!(r.name_id.is_none(), "{name}");
    }
}

// ---- metadata ----

#[test]
fn regression_metadata_certificate_holding_base64_pem_is_decoded() {
    use base64::Engine as _;
    let metadata = std::fs::read_to_string(fixtures_dir().join("idp").join("metadata.xml")).unwrap();
    let idp =
        handshake::certs::Certificate::from_pem(&std::fs::read(fixtures_dir().join("keys").join("idp.crt")).unwrap())
            .unwrap();
    let twice = base64::engine::general_purpose::STANDARD.encode(idp.pem());
    assert_eq!(metadata.matches(&idp.der_base64).count(), 1);
    let metadata = metadata.replace(&idp.der_base64, &twice);
    let imported = handshake::metadata::import(&metadata, None, generator::judged_at()).unwrap();
    assert!(imported.idp.signing_certificates.iter().any(|c| c.sha256_fingerprint == idp.sha256_fingerprint));
    let warning = imported.warnings.iter().find(|w| w.code == "certificate_base64_pem").unwrap();
    assert!(warning.message.contains(&idp.sha256_fingerprint), "{}", warning.message);
    // Text that is neither is still refused, naming the certificate.
    let garbage = base64::engine::general_purpose::STANDARD.encode("-----BEGIN CERTIFICATE-----\nnot a cert\n");
    let e = handshake::metadata::import(&metadata.replace(&twice, &garbage), None, generator::judged_at()).unwrap_err();
    assert_eq!(e.code(), "invalid_certificate");
}

// ---- the ACS ----

#[test]
fn regression_raw_xml_response_is_matched_to_its_request() {
    let dir = tempfile::tempdir().unwrap();
    let wb = crate::provisioning::open_workbench(&dir.path().join("catalog.db"));
    let now = generator::judged_at();
    wb.import_connection(&generator::fixture_connection("acme"), now).unwrap();
    let start = wb.start_login("acme", now, None).unwrap();
    let xml = generator::spec("ada@example.com").solicited_by(&start.request_id).issue(&keys().idp, &both()).unwrap();
    // As a SAML tracer shows it: the decoded XML, not the base64 form value.
    let login = wb.complete_login("acme", &format!("\n  {xml}\n"), now).unwrap();
    assert_eq!(login.request_id.as_deref(), Some(start.request_id.as_str()));
    assert_eq!(login.kind, handshake::login::LoginKind::SpInitiated);
    assert_eq!(login.report.verdict, Verdict::Accepted, "{:?}", login.report.message());
    assert_eq!(handshake::validate::peek_in_response_to(&xml).as_deref(), Some(start.request_id.as_str()));
}

// ---- CSV export ----

#[test]
fn regression_csv_quotes_every_cell_and_neutralises_formulas() {
    use handshake::provision::{AuditEntry, FieldChange};
    let entry = |subject: &str, message: &str| AuditEntry {
        id: 1,
        at: generator::judged_at(),
        connection: "acme".into(),
        subject: Some(subject.into()),
        outcome: Some(handshake::login::Outcome::Denied),
        failed_check: Some(handshake::login::Stop::Denial(handshake::login::DenialCode::MissingAttribute)),
        message: Some(message.into()),
        user_id: None,
        diff: vec![FieldChange {
            field: "groups".into(),
            before: serde_json::json!(null),
            after: serde_json::json!(["-x"]),
        }],
        ..AuditEntry::login()
    };
    let cases = [
        ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM"),
        ("\t=1+1", "'\t'=1+1"),
        ("\r=1+1", "'\r'=1+1"),
        ("  =1+1", "  '=1+1"),
        ("\"=1+1", "\"\"'=1+1"),
        ("＝1+1", "'＝1+1"),
        ("ada;=cmd|' /C calc'!A0", "ada;'=cmd"),
        ("ada,=1+1", "ada,'=1+1"),
        ("ada\n@x", "ada\n'@x"),
        ("ada@example.com", "\"ada@example.com\""),
    ];
    let entries: Vec<AuditEntry> = cases.iter().map(|(s, _)| entry(s, "user; -1 left")).collect();
    let csv = handshake::workbench::render_audit(&entries, handshake::workbench::AuditFormat::Csv).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "\"id\",\"at\",\"connection\",\"subject\",\"outcome\",\"failed_check\",\"message\",\"user_id\",\"diff\",\
         \"kind\",\"actor\",\"action\""
    );
    for (subject, neutralised) in cases {
        assert!(csv.contains(neutralised), "{subject:?} is not neutralised as {neutralised:?} in\n{csv}");
    }
    // Every cell of every row is quoted, message and JSON diff included.
    assert!(csv.contains(",\"user; '-1 left\","), "{csv}");
    assert!(csv.contains(",\"[{\"\"field\"\":\"\"groups\"\""), "the JSON diff is one quoted cell: {csv}");
    assert!(csv.contains(",\"\",\"[{"), "an empty cell is quoted too: {csv}");
    assert!(!csv.contains(",denied,"));
}
