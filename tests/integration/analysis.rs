//! Offline analysis of a captured response: judged as this connection's SP or as the SP it
//! was addressed to, now or at its own time, with fixes that fit a capture; another
//! connection's IdP named instead of a certificate rotation; nothing written.

use chrono::{DateTime, Duration, Utc};
use handshake::login::Outcome;
use handshake::validate::{CheckId, CheckStatus, Verdict};
use handshake::workbench::{AnalyzeResult, ImportRequest, JudgeAs, JudgeAt, JudgingContext, ValueSource, Workbench};

use crate::provisioning::open_workbench;
use crate::validation::{generator, response};

/// The workbench's own SP values for connection `local` (the embedded SP on port 7777).
const LOCAL_ACS: &str = "http://127.0.0.1:7777/saml/local/acs";
const LOCAL_ENTITY_ID: &str = "http://127.0.0.1:7777/saml/local/metadata";

struct Catalog {
    wb: Workbench,
    _dir: tempfile::TempDir,
}

/// `local`: the fixture IdP with the workbench's own SP values (not production's).
fn catalog() -> Catalog {
    let dir = tempfile::tempdir().unwrap();
    let wb = open_workbench(&dir.path().join("catalog.db"));
    let mut request = generator::fixture_connection("local");
    request.sp_entity_id = None;
    request.acs_url = None;
    wb.import_connection(&request, generator::judged_at()).unwrap();
    Catalog { wb, _dir: dir }
}

impl Catalog {
    /// Adds `partner`: another IdP (https://idp.example/) whose certificate is the attacker test key's.
    fn with_partner(self) -> Self {
        let der = generator::keys(&crate::validation::fixtures_dir()).attacker.certificate.der();
        let request = ImportRequest {
            name: "partner".into(),
            metadata_xml: generator::metadata_with_certificates([der]),
            source: "test".into(),
            entity_id: None,
            sp_entity_id: None,
            acs_url: None,
        };
        self.wb.import_connection(&request, generator::judged_at()).unwrap();
        self
    }

    fn analyze(&self, fixture: &str, context: JudgingContext, now: DateTime<Utc>) -> AnalyzeResult {
        self.wb.analyze_response("local", &response(fixture), &context, now).unwrap()
    }
}

fn addressed() -> JudgeAs {
    JudgeAs::Addressed { entity_id: None, acs_url: None }
}

fn check(r: &AnalyzeResult, id: CheckId) -> &handshake::validate::CheckResult {
    r.report.checks.iter().find(|c| c.id == id).unwrap()
}

fn hints(r: &AnalyzeResult) -> String {
    r.report.checks.iter().filter_map(|c| c.hint.clone()).collect::<Vec<_>>().join("\n")
}

/// The wrong advice: a production capture judged as the workbench's SP told the admin to
/// point the IdP at the local ACS.
#[test]
fn regression_capture_advice_does_not_send_the_idp_to_the_local_acs() {
    let c = catalog();
    let r = c.analyze("capture_production", JudgingContext::default(), generator::judged_at());
    assert_eq!(r.report.verdict, Verdict::Rejected);
    for id in [CheckId::Destination, CheckId::SubjectConfirmation, CheckId::Audience] {
        assert_eq!(check(&r, id).status, CheckStatus::Fail, "{id:?}");
    }
    let hints = hints(&r);
    assert!(!hints.contains(&format!("must be configured with the ACS URL {LOCAL_ACS}")), "{hints}");
    assert!(!hints.contains(&format!("Set the ACS (Reply/Recipient) URL at the IdP to {LOCAL_ACS}")), "{hints}");
    assert!(!hints.contains(&format!("the IdP must be configured with SP entityID {LOCAL_ENTITY_ID}")), "{hints}");
    let destination = check(&r, CheckId::Destination).hint.clone().unwrap();
    assert!(
        destination.contains(&format!("This capture was addressed to {}", generator::ACS_URL))
            && destination.contains("not a problem for the SP it was addressed to")
            && destination.contains("judge it as the SP it was addressed to"),
        "{destination}"
    );
}

/// The same response delivered to the ACS keeps the delivered advice: it is true there.
#[test]
fn a_delivered_response_keeps_the_idp_advice() {
    let c = catalog();
    let report =
        c.wb.verify("local", &response("capture_production"), generator::judged_at(), Some(generator::REQUEST_ID))
            .unwrap();
    let destination = report.check(CheckId::Destination).unwrap().hint.clone().unwrap();
    assert_eq!(
        destination,
        format!("The IdP must be configured with the ACS URL {LOCAL_ACS} (it is in the SP metadata).")
    );
}

#[test]
fn a_capture_judged_as_addressed_runs_every_check_against_the_responses_own_values() {
    let c = catalog();
    let before = c.wb.connection("local", generator::judged_at()).unwrap();
    let r = c.analyze(
        "capture_production",
        JudgingContext { judge_as: addressed(), judge_at: JudgeAt::Now },
        generator::judged_at(),
    );
    assert_eq!(r.report.verdict, Verdict::Accepted, "{:#?}", r.report.checks);
    assert_eq!(r.report.outcome, Outcome::Created);
    assert!(r.report.dry_run);
    assert!(r.judged.as_addressed);
    assert_eq!(
        (r.judged.entity_id.value.as_str(), r.judged.entity_id.source),
        (generator::SP_ENTITY_ID, ValueSource::Response)
    );
    assert_eq!((r.judged.acs_url.value.as_str(), r.judged.acs_url.source), (generator::ACS_URL, ValueSource::Response));
    assert_eq!(r.in_response_to.as_deref(), Some(generator::REQUEST_ID), "it answered production's request");
    // The checks ran and say what they compared with.
    let audience = check(&r, CheckId::Audience);
    assert_eq!(audience.status, CheckStatus::Pass);
    assert!(audience.expected.contains("taken from the response, as you asked"), "{}", audience.expected);
    assert!(check(&r, CheckId::Destination).expected.contains("ACS URL taken from the response"));
    assert_eq!(check(&r, CheckId::Signature).status, CheckStatus::Pass);
    assert_eq!(check(&r, CheckId::InResponseTo).status, CheckStatus::Pass);
    assert!(r.judged.notes.iter().any(|n| n.contains("Judged as the SP it was addressed to")), "{:?}", r.judged.notes);
    // The connection's SP values are untouched.
    let after = c.wb.connection("local", generator::judged_at()).unwrap();
    assert_eq!((after.sp.entity_id, after.sp.acs_url), (before.sp.entity_id, before.sp.acs_url));
    assert_eq!(after.updated_at, before.updated_at);
}

#[test]
fn a_value_given_for_the_addressed_sp_is_checked_and_its_hint_says_so() {
    let c = catalog();
    let context = JudgingContext {
        judge_as: JudgeAs::Addressed { entity_id: Some("https://wrong.example/sp".into()), acs_url: None },
        judge_at: JudgeAt::Now,
    };
    let r = c.analyze("capture_production", context, generator::judged_at());
    assert_eq!(r.judged.entity_id.source, ValueSource::Given);
    let audience = check(&r, CheckId::Audience);
    assert_eq!(audience.status, CheckStatus::Fail);
    let hint = audience.hint.clone().unwrap();
    assert!(hint.contains("you judged it as the SP whose SP entityID is https://wrong.example/sp"), "{hint}");
    assert_eq!(check(&r, CheckId::Destination).status, CheckStatus::Pass);
}

#[test]
fn judged_at_its_own_time_an_old_capture_passes_the_time_checks_and_now_it_expires() {
    let c = catalog();
    let days_later = generator::issued() + Duration::days(3);
    let now =
        c.analyze("capture_production", JudgingContext { judge_as: addressed(), judge_at: JudgeAt::Now }, days_later);
    assert_eq!(check(&now, CheckId::TimeWindow).status, CheckStatus::Fail);
    let hint = check(&now, CheckId::TimeWindow).hint.clone().unwrap();
    assert!(hint.contains("Judge it at the response's own time") && !hint.contains("sync the clocks"), "{hint}");

    let then = c.analyze(
        "capture_production",
        JudgingContext { judge_as: addressed(), judge_at: JudgeAt::Response },
        days_later,
    );
    assert_eq!(then.report.verdict, Verdict::Accepted, "{:#?}", then.report.checks);
    assert_eq!((then.judged.at.value, then.judged.at.source), (generator::issued(), ValueSource::Response));
    assert!(then.judged.notes.iter().any(|n| n.contains("Assertion's IssueInstant")), "{:?}", then.judged.notes);
}

/// The rule: analysis writes nothing, so a capture is judged again with the same result.
#[test]
fn a_capture_is_judged_twice_alike_and_nothing_is_written() {
    let c = catalog();
    let context = JudgingContext { judge_as: addressed(), judge_at: JudgeAt::Response };
    let first = c.analyze("capture_production", context.clone(), generator::judged_at());
    let second = c.analyze("capture_production", context, generator::judged_at());
    assert_eq!((first.report.outcome, second.report.outcome), (Outcome::Created, Outcome::Created));
    let db = crate::sql(c.wb.store());
    // The catalog's one audit row is the admin import; the analyses add no login row.
    for (table, filter) in
        [("users", ""), ("audit_log", " WHERE kind = 'login'"), ("test_logins", ""), ("consumed_ids", "")]
    {
        let n: i64 = db.query_row(&format!("SELECT count(*) FROM {table}{filter}"), [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "{table}");
    }
    let all: i64 = db.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0)).unwrap();
    assert_eq!(all, 1, "only the import's admin row");
}

/// As this connection's SP the dry run reads the replay cache as its ACS would; as the SP it
/// was addressed to, this catalog's cache is not that SP's.
#[test]
fn the_replay_cache_is_read_as_the_connection_and_not_as_the_addressed_sp() {
    let c = catalog();
    c.wb.import_connection(&generator::fixture_connection("prod"), generator::judged_at()).unwrap();
    let posted = c
        .wb
        .provision("prod", &response("capture_production"), generator::judged_at(), Some(generator::REQUEST_ID), false)
        .unwrap();
    assert_eq!(posted.outcome, Outcome::Created);
    let as_prod = c
        .wb
        .analyze_response("prod", &response("capture_production"), &JudgingContext::default(), generator::judged_at())
        .unwrap();
    assert_eq!(as_prod.report.failed_check.map(|s| s.as_str().to_owned()).as_deref(), Some("replay"));
    let context = JudgingContext { judge_as: addressed(), judge_at: JudgeAt::Now };
    let as_addressed =
        c.wb.analyze_response("prod", &response("capture_production"), &context, generator::judged_at()).unwrap();
    assert_eq!(as_addressed.report.outcome, Outcome::Unchanged, "{:?}", as_addressed.report.stopped_by);
    assert!(as_addressed.judged.notes.iter().any(|n| n.contains("replay cache was not consulted")));
}

/// The wrong advice: a response from another connection's IdP was explained as a certificate
/// rotation ("re-import its metadata").
#[test]
fn regression_a_response_from_another_connections_idp_names_it_instead_of_a_rotation() {
    let c = catalog().with_partner();
    let r = c.analyze(
        "capture_other_idp",
        JudgingContext { judge_as: addressed(), judge_at: JudgeAt::Now },
        generator::judged_at(),
    );
    let signature = check(&r, CheckId::Signature);
    assert_eq!(signature.status, CheckStatus::Fail);
    assert_eq!(signature.violation.as_deref(), Some("other_connection_idp"));
    let hint = signature.hint.clone().unwrap();
    assert!(hint.contains("This response comes from connection partner's IdP"), "{hint}");
    assert!(hint.contains(&format!("its Issuer {} is", generator::OTHER_IDP_ENTITY_ID)), "{hint}");
    assert!(hint.contains("judge it with connection partner"), "{hint}");
    assert!(!hint.contains("If the IdP rotated its certificate"), "{hint}");
}

#[test]
fn a_certificate_from_another_connections_metadata_names_that_connection() {
    let c = catalog().with_partner();
    // Issuer is this connection's IdP, but the signing certificate is partner's.
    let r = c.analyze(
        "key_in_keyinfo_only",
        JudgingContext { judge_as: addressed(), judge_at: JudgeAt::Now },
        generator::judged_at(),
    );
    let hint = check(&r, CheckId::Signature).hint.clone().unwrap();
    assert!(hint.contains("signed with a certificate from the IdP metadata of connection partner"), "{hint}");
    // Without partner in the catalog, the rotation advice stays (it is then the likely cause).
    let alone = catalog().analyze("key_in_keyinfo_only", JudgingContext::default(), generator::judged_at());
    let hint = check(&alone, CheckId::Signature).hint.clone().unwrap();
    assert!(hint.contains("re-import its metadata"), "{hint}");
}

#[test]
fn judging_at_the_responses_time_needs_an_issue_instant_and_addressed_values_need_a_source() {
    let c = catalog();
    let e =
        c.wb.analyze_response(
            "local",
            "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_x\" Version=\"2.0\"/>",
            &JudgingContext { judge_as: JudgeAs::Connection, judge_at: JudgeAt::Response },
            generator::judged_at(),
        )
        .unwrap_err();
    assert_eq!(e.code, handshake::ErrorCode::InvalidInput);
    assert!(e.message.contains("IssueInstant"), "{}", e.message);
    let addressing = c.wb.response_addressing(&response("capture_production")).unwrap();
    assert_eq!(addressing.entity_id.as_deref(), Some(generator::SP_ENTITY_ID));
    assert_eq!(addressing.acs_url.as_deref(), Some(generator::ACS_URL));
    assert_eq!(addressing.issue_instant, Some(generator::issued()));
    assert!(c.wb.response_addressing("not a response").is_err());
}

/// A second connection to this same IdP whose metadata has the new certificate means the IdP
/// rotated: the rotation hint is the true one, not "another connection's IdP".
#[test]
fn a_connection_to_the_same_idp_with_a_newer_certificate_keeps_the_rotation_hint() {
    let c = catalog();
    let der = generator::keys(&crate::validation::fixtures_dir()).attacker.certificate.der();
    let metadata =
        generator::metadata_with_certificates([der]).replace(generator::OTHER_IDP_ENTITY_ID, generator::IDP_ENTITY_ID);
    let request = ImportRequest {
        name: "local-reimported".into(),
        metadata_xml: metadata,
        source: "test".into(),
        entity_id: None,
        sp_entity_id: None,
        acs_url: None,
    };
    c.wb.import_connection(&request, generator::judged_at()).unwrap();
    let r = c.analyze("key_in_keyinfo_only", JudgingContext::default(), generator::judged_at());
    let signature = check(&r, CheckId::Signature);
    assert_eq!(signature.violation.as_deref(), Some("signature_invalid"));
    assert!(signature.hint.as_deref().unwrap().contains("re-import its metadata"), "{:?}", signature.hint);
}

/// regression: "judge at its own time" took the instant from the response; a crafted
/// IssueInstant at chrono's far past made date arithmetic overflow and panic (poisoning the
/// workbench the embedded SP shares). The instant is bounded first: a clear error instead.
#[test]
fn regression_an_instant_from_the_response_outside_the_sane_years_is_refused_not_a_panic() {
    let c = catalog();
    for year in ["-262143", "0001", "1969"] {
        let xml = format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="{year}-01-01T00:00:00Z"><saml:Issuer>{idp}</saml:Issuer><saml:Assertion ID="_a1" Version="2.0" IssueInstant="{year}-01-01T00:00:00Z"><saml:Issuer>{idp}</saml:Issuer></saml:Assertion></samlp:Response>"#,
            idp = generator::IDP_ENTITY_ID
        );
        for judge_as in [JudgeAs::Connection, addressed()] {
            let context = JudgingContext { judge_as, judge_at: JudgeAt::Response };
            let e = c.wb.analyze_response("local", &xml, &context, generator::judged_at()).unwrap_err();
            assert_eq!(e.detail.as_deref(), Some("instant_out_of_range"), "{year}: {e:?}");
        }
    }
    let far = JudgingContext { judge_as: addressed(), judge_at: JudgeAt::Instant { at: DateTime::<Utc>::MIN_UTC } };
    let e = c.wb.analyze_response("local", &response("capture_production"), &far, generator::judged_at()).unwrap_err();
    assert_eq!(e.detail.as_deref(), Some("instant_out_of_range"));
}
